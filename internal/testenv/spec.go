package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/iampolicy"
)

// Spec is what CheckSpec expects; zero documents mean the bundled docs-v1.
type Spec struct {
	Layout      string // "cloud" (default) or "rv"
	InstanceDoc []byte
	UserDoc     []byte
}

// SpecState is what CheckSpec found.
type SpecState struct {
	KeyID, KeySecret, Password string
}

// trust policies of docs/entities.md, written out here rather than taken from the
// code under test.
const (
	specNodeTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	specConsoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
)

// BundledDoc reads a bundled docs-v1 document from the source tree.
func BundledDoc(t testing.TB, file string) []byte {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "policysource", "bundled", "docs-v1", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CheckSpec reads the account back with the SDK and fails t unless it holds
// exactly docs/entities.md's entities — names, documents (compared semantically),
// trust policies, tags, attachments, one active key whose stored secret
// signs STS GetCallerIdentity as redislabs-user (proven with moto's
// signature checking on), the login profile and the password secret — and
// nothing else of rciam's kinds.
func CheckSpec(t testing.TB, m *Moto, a *Account, want Spec) SpecState {
	t.Helper()
	ctx := context.Background()
	if want.InstanceDoc == nil {
		want.InstanceDoc = BundledDoc(t, "RedisLabsInstanceRolePolicy.json")
		want.UserDoc = BundledDoc(t, "RedislabsIAMUserRestrictedPolicy.json")
	}
	c := iam.NewFromConfig(a.Config())
	pol := func(name string) string { return "arn:aws:iam::" + a.ID + ":policy/" + name }
	identity := map[string]string{"UsedBy": "RedisLabs", "ManagedBy": "rciam"}

	for name, doc := range map[string][]byte{"RedisLabsInstanceRolePolicy": want.InstanceDoc, "RedislabsIAMUserRestrictedPolicy": want.UserDoc} {
		p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(pol(name))})
		if err != nil {
			t.Fatalf("policy %s: %v", name, err)
		}
		expectTags(t, "policy/"+name, iamTagMap(p.Policy.Tags), map[string]string{"ManagedBy": "rciam"})
		v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Policy.Arn, VersionId: p.Policy.DefaultVersionId})
		if err != nil {
			t.Fatal(err)
		}
		expectSameDoc(t, "policy/"+name, decode(aws.ToString(v.PolicyVersion.Document)), doc)
	}

	roles := map[string]struct{ trust, policy string }{
		"redislabs-cluster-node-role": {specNodeTrust, "RedisLabsInstanceRolePolicy"},
	}
	if want.Layout != "rv" {
		roles["redislabs-role"] = struct{ trust, policy string }{specConsoleTrust, "RedislabsIAMUserRestrictedPolicy"}
	} else if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("redislabs-role")}); err == nil {
		t.Error("layout rv: redislabs-role exists")
	}
	for name, rw := range roles {
		role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil {
			t.Fatalf("role %s: %v", name, err)
		}
		expectTags(t, "role/"+name, iamTagMap(role.Role.Tags), identity)
		expectSameDoc(t, "role/"+name+" trust", decode(aws.ToString(role.Role.AssumeRolePolicyDocument)), []byte(rw.trust))
		att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		expectList(t, "role/"+name+" attached policies", attachedARNs(att.AttachedPolicies), []string{pol(rw.policy)})
	}

	prof, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("redislabs-cluster-node-role")})
	if err != nil {
		t.Fatalf("instance profile: %v", err)
	}
	expectTags(t, "instance-profile", iamTagMap(prof.InstanceProfile.Tags), identity)
	var profRoles []string
	for _, r := range prof.InstanceProfile.Roles {
		profRoles = append(profRoles, aws.ToString(r.RoleName))
	}
	expectList(t, "instance profile roles", profRoles, []string{"redislabs-cluster-node-role"})

	user, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("redislabs-user")})
	if err != nil {
		t.Fatalf("user: %v", err)
	}
	expectTags(t, "user/redislabs-user", iamTagMap(user.User.Tags), map[string]string{"UsedBy": "RedisLabs", "ManagedBy": "rciam", bookkeeping.TagRegion: Region})
	uatt, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("redislabs-user")})
	if err != nil {
		t.Fatal(err)
	}
	expectList(t, "user attached policies", attachedARNs(uatt.AttachedPolicies), []string{pol("RedislabsIAMUserRestrictedPolicy")})
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("redislabs-user")})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != iamtypes.StatusTypeActive {
		t.Fatalf("redislabs-user keys = %+v, want exactly one active", keys.AccessKeyMetadata)
	}
	st := SpecState{KeyID: aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)}
	lp, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("redislabs-user")})
	if err != nil {
		t.Fatalf("login profile: %v", err)
	}
	if lp.LoginProfile.PasswordResetRequired {
		t.Error("login profile requires a password reset")
	}

	sm := secretsmanager.NewFromConfig(a.Config())
	ks, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("/redislabsuser/secret_access_key")})
	if err != nil {
		t.Fatalf("key secret: %v", err)
	}
	if ks.DeletedDate != nil {
		t.Error("key secret is scheduled for deletion")
	}
	kt := map[string]string{}
	for _, tg := range ks.Tags {
		kt[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if kt["ManagedBy"] != "rciam" || kt[bookkeeping.TagKeyID] != st.KeyID || kt[bookkeeping.TagRegion] != Region {
		t.Errorf("key secret tags = %v, want ManagedBy=rciam, rciam:access-key-id=%s, rciam:region=%s", kt, st.KeyID, Region)
	}
	kv, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("/redislabsuser/secret_access_key")})
	if err != nil {
		t.Fatal(err)
	}
	st.KeySecret = aws.ToString(kv.SecretString)
	pv, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("/redislabsuser/password")})
	if err != nil {
		t.Fatalf("password secret: %v", err)
	}
	var pw struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(pv.SecretString)), &pw); err != nil || len(pw.Password) < 30 {
		t.Errorf("password secret is not {\"password\":\"<30+ chars>\"}")
	}
	st.Password = pw.Password
	// Best effort: moto's dump fails once any user was deleted on this
	// server (docs/emulator.md); the reliability tests, which must compare,
	// keep a server without deletions.
	if lpw, ok := m.readDump(a.ID); ok && lpw != pw.Password { // one try: see above
		t.Error("stored password differs from the login profile's")
	}
	ps, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("/redislabsuser/password")})
	if err != nil {
		t.Fatalf("password secret: %v", err)
	}
	for _, tg := range ps.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), bookkeeping.TagPasswordPending) {
			t.Errorf("password secret still carries %s: a run's password change was left unfinished", aws.ToString(tg.Key))
		}
	}
	ProveKey(t, m, a, st.KeyID, st.KeySecret)
	expectNothingElse(t, a, c, sm, want.Layout)
	return st
}

// ProveKey fails t unless keyID/secret sign STS GetCallerIdentity as
// redislabs-user, with moto checking signatures.
func ProveKey(t testing.TB, m *Moto, a *Account, keyID, secret string) {
	t.Helper()
	err := m.WithAuth(func() error {
		out, err := sts.NewFromConfig(a.ConfigFor(keyID, secret)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			return err
		}
		if got := aws.ToString(out.Arn); got != "arn:aws:iam::"+a.ID+":user/redislabs-user" {
			t.Errorf("stored key signs as %s", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("stored key pair does not work: %v", err)
	}
}

func expectNothingElse(t testing.TB, a *Account, c *iam.Client, sm *secretsmanager.Client, layout string) {
	ctx := context.Background()
	users, _ := c.ListUsers(ctx, &iam.ListUsersInput{})
	var names []string
	for _, u := range users.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	wantUsers := []string{"redislabs-user"}
	if a.AdminRole == "" {
		wantUsers = []string{"rciam-admin", "redislabs-user"}
	}
	expectList(t, "users", names, wantUsers)
	roles, _ := c.ListRoles(ctx, &iam.ListRolesInput{})
	names = nil
	for _, r := range roles.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	want := []string{"redislabs-cluster-node-role", "redislabs-role"}
	if layout == "rv" {
		want = want[:1]
	}
	if a.AdminRole != "" {
		want = append([]string{a.AdminRole}, want...)
	}
	expectList(t, "roles", names, want)
	pols, _ := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	names = nil
	for _, p := range pols.Policies {
		names = append(names, aws.ToString(p.PolicyName))
	}
	expectList(t, "local policies", names, []string{"RedisLabsInstanceRolePolicy", "RedislabsIAMUserRestrictedPolicy"})
	secs, _ := sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	names = nil
	for _, s := range secs.SecretList {
		names = append(names, aws.ToString(s.Name))
	}
	expectList(t, "secrets", names, []string{"/redislabsuser/password", "/redislabsuser/secret_access_key"})
}

// LoginPassword reads redislabs-user's console password from moto's model
// dump (docs/emulator.md: the only place it can be read). The dump fails now
// and then while other accounts change: it is read up to five times.
func (m *Moto) LoginPassword(account string) (string, bool) {
	for range 5 {
		if pw, ok := m.readDump(account); ok {
			return pw, true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", false
}

func (m *Moto) readDump(account string) (string, bool) {
	var dump struct {
		IAM struct {
			User []struct {
				AccountID string  `json:"account_id"`
				Name      string  `json:"name"`
				Password  *string `json:"password"`
			} `json:"User"`
		} `json:"iam"`
	}
	if !m.dump(&dump) {
		return "", false
	}
	for _, u := range dump.IAM.User {
		if u.AccountID == account && u.Name == "redislabs-user" && u.Password != nil {
			return *u.Password, true
		}
	}
	return "", false
}

func expectSameDoc(t testing.TB, what string, got, want []byte) {
	t.Helper()
	g, err1 := iampolicy.Parse(got)
	w, err2 := iampolicy.Parse(want)
	if err1 != nil || err2 != nil || !iampolicy.Equal(g, w) {
		t.Errorf("%s document differs:\n got %s\nwant %s", what, got, want)
	}
}

func expectTags(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s tags = %v, want exactly %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s tags = %v, want exactly %v", what, got, want)
			return
		}
	}
}

func expectList(t testing.TB, what string, got, want []string) {
	t.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func iamTagMap(tags []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func attachedARNs(list []iamtypes.AttachedPolicy) []string {
	var out []string
	for _, a := range list {
		out = append(out, aws.ToString(a.PolicyArn))
	}
	return out
}

func decode(doc string) []byte {
	if strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return []byte(doc)
	}
	d, err := url.QueryUnescape(doc)
	if err != nil {
		return []byte(doc)
	}
	return []byte(d)
}

// AccessKeySecret reads an access key's secret from moto's model dump: the
// only place a key CloudFormation made (Fn::GetAtt SecretAccessKey, which
// moto does not pass on when it skips the secret) can be read.
func (m *Moto) AccessKeySecret(keyID string) (string, bool) {
	// moto builds the dump from live state: under a busy parallel run it
	// can fail (HTTP 500) or lag; ask again for a while.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var dump struct {
			IAM struct {
				AccessKey []struct {
					ID     string `json:"access_key_id"`
					Secret string `json:"secret_access_key"`
				} `json:"AccessKey"`
			} `json:"iam"`
		}
		if m.dump(&dump) {
			for _, k := range dump.IAM.AccessKey {
				if k.ID == keyID {
					return k.Secret, true
				}
			}
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// dump decodes moto's state dump into v. Python writes NaN and Infinity
// for some services' numbers, which JSON lacks: they read as null.
func (m *Moto) dump(v any) bool {
	resp, err := http.Get(m.URL + "/moto-api/data.json")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return false
	}
	return json.Unmarshal(pythonJSON(body), v) == nil
}

// pythonJSON replaces the NaN, Infinity and -Infinity tokens Python's json
// module writes (outside strings) with null.
func pythonJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			continue
		}
		matched := false
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(b[i:], []byte(tok)) {
				out = append(out, "null"...)
				i += len(tok) - 1
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, c)
		}
	}
	return out
}
