package reliability

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

const (
	userName      = "redislabs-user"
	keySecretName = "/redislabsuser/secret_access_key"
	pwSecretName  = "/redislabsuser/password"
)

// books is what the account's bookkeeping of keys and secrets shows,
// counted independently of rciam's code.
type books struct {
	Keys int
	// Orphans are keys of redislabs-user other than the one the stored
	// secret belongs to (left by a crash or a lost response).
	Orphans int
	// Lost counts secrets that are nowhere: the stored key secret missing
	// or not signing with an existing key, and the password secret missing
	// while a login profile exists.
	Lost int
}

// count reads the books straight from moto. The stored key is proven the
// way a user would: its secret signs STS GetCallerIdentity as
// redislabs-user with moto checking signatures.
func count(t testing.TB, w *world) books {
	t.Helper()
	a := w.acct
	ctx := context.Background()
	c := iam.NewFromConfig(a.Config())
	var b books
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(userName)})
	if awsclient.IsNotFound(err) {
		keys, err = &iam.ListAccessKeysOutput{}, nil
	}
	if err != nil {
		t.Fatalf("list keys: %v", err)
	}
	b.Keys = len(keys.AccessKeyMetadata)
	sm := secretsmanager.NewFromConfig(a.Config())
	stored := ""
	if d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(keySecretName)}); err == nil {
		for _, tg := range d.Tags {
			if aws.ToString(tg.Key) == bookkeeping.TagKeyID {
				stored = aws.ToString(tg.Value)
			}
		}
	}
	secretValue := ""
	if v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(keySecretName)}); err == nil {
		secretValue = aws.ToString(v.SecretString)
	}
	found := false
	for _, k := range keys.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == stored {
			found = true
		} else {
			b.Orphans++
		}
	}
	if b.Keys > 0 && (!found || secretValue == "" || !signs(w.m, a, stored, secretValue)) {
		b.Lost++
	}
	if _, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(userName)}); err == nil {
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(pwSecretName)})
		var doc struct{ Password string }
		switch login, ok := w.m.LoginPassword(a.ID); {
		case err != nil || json.Unmarshal([]byte(aws.ToString(v.SecretString)), &doc) != nil:
			b.Lost++
		case !ok:
			t.Error("moto's model dump cannot be read: the stored password cannot be compared with the login's")
		case login != doc.Password:
			b.Lost++ // the login's password is stored nowhere
		}
	}
	return b
}

// signs reports whether keyID/secret sign GetCallerIdentity as
// redislabs-user, with moto checking signatures.
func signs(m *testenv.Moto, a *testenv.Account, keyID, secret string) bool {
	ok := false
	_ = m.WithAuth(func() error {
		out, err := sts.NewFromConfig(a.ConfigFor(keyID, secret)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		ok = err == nil && strings.HasSuffix(aws.ToString(out.Arn), ":user/"+userName)
		return nil
	})
	return ok
}

// gone fails t unless none of rciam's entities is left: no user, roles,
// instance profile or local policies, and both secrets deleted or
// scheduled for deletion (destroy keeps a recovery window).
func gone(t testing.TB, a *testenv.Account) {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(a.Config())
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(userName)}); err == nil {
		t.Errorf("user %s is left", userName)
	}
	for _, r := range []string{"redislabs-role", "redislabs-cluster-node-role"} {
		if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r)}); err == nil {
			t.Errorf("role %s is left", r)
		}
	}
	if _, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("redislabs-cluster-node-role")}); err == nil {
		t.Error("instance profile is left")
	}
	pols, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols.Policies {
		t.Errorf("policy %s is left", aws.ToString(p.PolicyName))
	}
	sm := secretsmanager.NewFromConfig(a.Config())
	for _, s := range []string{keySecretName, pwSecretName} {
		d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s)})
		if err == nil && d.DeletedDate == nil {
			t.Errorf("secret %s is left", s)
		}
	}
}

// isWrite reports a request that changes the account.
func isWrite(ev faults.Event) bool {
	for _, p := range []string{"Get", "List", "Describe", "Simulate"} {
		if strings.HasPrefix(ev.Action, p) {
			return false
		}
	}
	return ev.Action != ""
}

// writes lists the write requests of a timeline as "service Action".
func writes(tl []faults.Event) []string {
	var out []string
	for _, ev := range tl {
		if isWrite(ev) {
			out = append(out, ev.Service+" "+ev.Action)
		}
	}
	return out
}

// settled applies once more through a clean proxy: it must exit 0 and send
// no write request.
func settled(t testing.TB, w *world) {
	t.Helper()
	p := w.newProxy(0)
	w.runVia(p, nil, applyArgs...).want(t, 0)
	if wr := writes(p.Timeline()); len(wr) > 0 {
		t.Errorf("a further apply wrote %v", wr)
	}
}

// within fails t unless d ≤ limit.
func within(t testing.TB, what string, d, limit time.Duration) {
	t.Helper()
	if d > limit {
		t.Errorf("%s took %s, want at most %s", what, d.Round(time.Millisecond), limit)
	}
}

// applyArgs is apply as every scenario runs it: bundled documents, so no
// run fetches the default policy source.
var applyArgs = []string{"apply", "--yes", "--policy-version", "docs-v1"}

// destroyArgs is destroy without a question.
var destroyArgs = []string{"destroy", "--yes"}
