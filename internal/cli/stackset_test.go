package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/testenv"
)

// stackSetDoc is stackset's JSON, read independently of the view types.
type stackSetDoc struct {
	StackSet  string
	Instances []struct{ Account, Region, Status, Reason string }
}

// A self-managed StackSet deployed to 5 member accounts: every instance is
// current; with what moto skips made by hand, verify of those accounts
// passes (their entities stack-owned and adopted); a second deploy adds
// nothing; stackset delete removes the instances and the set.
func TestStackSetSelfManaged(t *testing.T) {
	t.Parallel()
	// A moto_server of its own: the test reads key secrets from moto's
	// model dump, which answers 500 once any tracked user was deleted —
	// as other tests on the shared server do (docs/emulator.md).
	m := ownMoto(t)
	org := m.NewOrganization(t, 5)
	mgmt, members := org.Management, org.Members[org.OUs[0]]
	targets := strings.Join(members, ",")

	res := rciam(t, mgmt, runOpts{}, "stackset", "deploy", "--accounts", targets, "--yes", "--output", "json", "--policy-version", "docs-v1").mustCode(t, 0)
	var d stackSetDoc
	if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	if d.StackSet != "rciam-redis-cloud" || len(d.Instances) != 5 {
		t.Fatalf("deploy: %+v", d)
	}
	for _, i := range d.Instances {
		if i.Status != "CURRENT" || i.Region != testenv.Region {
			t.Errorf("instance %+v", i)
		}
	}
	if !strings.Contains(res.stderr, "deploy operation") || !strings.Contains(res.stderr, "SUCCEEDED") {
		t.Errorf("no progress on stderr:\n%s", res.stderr)
	}

	body := rciam(t, nil, runOpts{}, "render", "--format", "cloudformation", "--policy-version", "docs-v1").mustCode(t, 0).stdout
	for _, id := range members {
		fillStackSetInstance(t, m, org.Member(t, id), body)
	}
	v := readFleet(t, rciam(t, mgmt, runOpts{}, "verify", "--accounts", targets, "--policy-version", "docs-v1", "--output", "json").mustCode(t, 0))
	if v.Summary["ok"] != 5 {
		t.Errorf("verify of the StackSet's accounts: %+v", v.Summary)
	}

	again := rciam(t, mgmt, runOpts{}, "stackset", "deploy", "--accounts", targets, "--yes", "--policy-version", "docs-v1").mustCode(t, 0)
	if !strings.Contains(again.stderr, "every account and region already has its stack instance") {
		t.Errorf("second deploy:\n%s", again.stderr)
	}
	status := rciam(t, mgmt, runOpts{}, "stackset", "status").mustCode(t, 0)
	for _, id := range members {
		if !strings.Contains(status.stdout, id+"  "+testenv.Region+"  CURRENT") {
			t.Errorf("status lacks %s:\n%s", id, status.stdout)
		}
	}

	for _, id := range members {
		unfillStackSetInstance(t, org.Member(t, id))
	}
	rciam(t, mgmt, runOpts{}, "stackset", "delete", "--yes").mustCode(t, 0)
	rciam(t, mgmt, runOpts{}, "stackset", "status").mustCode(t, 1).oneLine(t, "no StackSet rciam-redis-cloud")
	for _, id := range members {
		acct := org.Member(t, id)
		// moto's CloudFormation cannot delete managed policies
		// (docs/emulator.md): removed here, so that the check below is
		// about everything else the stacks held.
		c := iam.NewFromConfig(acct.Config())
		for _, name := range []string{"RedisLabsInstanceRolePolicy", "RedislabsIAMUserRestrictedPolicy"} {
			if _, err := c.DeletePolicy(context.Background(), &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::" + id + ":policy/" + name)}); err != nil {
				t.Errorf("account %s: policy %s: %v", id, name, err)
			}
		}
		expectNothingLeft(t, acct)
	}
}

// fillStackSetInstance makes, in one account, what moto's CloudFormation
// skips of the template (docs/emulator.md): the user's tags and login
// profile, and both secrets as the template writes them.
func fillStackSetInstance(t *testing.T, m *testenv.Moto, acct *testenv.Account, body string) {
	t.Helper()
	var tpl renderedTemplate
	if err := json.Unmarshal([]byte(body), &tpl); err != nil {
		t.Fatal(err)
	}
	keySecretID, keySecret := tpl.resource(t, "AWS::SecretsManager::Secret", "Name", "/redislabsuser/secret_access_key")
	_, pwSecret := tpl.resource(t, "AWS::SecretsManager::Secret", "Name", "/redislabsuser/password")
	_, user := tpl.resource(t, "AWS::IAM::User", "UserName", "redislabs-user")
	var keyRef struct {
		GetAtt []string `json:"Fn::GetAtt"`
	}
	_ = json.Unmarshal(tpl.Resources[keySecretID].Properties["SecretString"], &keyRef)
	keys, err := iam.NewFromConfig(acct.Config()).ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("redislabs-user")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 || len(keyRef.GetAtt) != 2 {
		t.Fatalf("account %s: keys %v (%v), key reference %v", acct.ID, keys, err, keyRef)
	}
	keyID := aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)
	keySecretValue, ok := m.AccessKeySecret(keyID)
	if !ok {
		t.Fatalf("no secret for key %s in moto's dump", keyID)
	}
	refs := map[string]string{keyRef.GetAtt[0]: keyID, "AWS::Region": testenv.Region}
	var descKey, descPw string
	_ = json.Unmarshal(keySecret["Description"], &descKey)
	_ = json.Unmarshal(pwSecret["Description"], &descPw)
	f := newFiller(t, acct)
	f.userTags("redislabs-user", tags(t, user["Tags"], refs))
	password, value := generatedPassword()
	f.secret("/redislabsuser/password", descPw, value, tags(t, pwSecret["Tags"], refs))
	f.loginProfile("redislabs-user", password)
	f.secret("/redislabsuser/secret_access_key", descKey, keySecretValue, tags(t, keySecret["Tags"], refs))
}

// unfillStackSetInstance removes what fillStackSetInstance made (it is not
// the stack's to delete on moto) and detaches the stack's managed policies,
// which moto's stack deletion does not do before deleting the roles and the
// user (docs/emulator.md).
func unfillStackSetInstance(t *testing.T, acct *testenv.Account) {
	t.Helper()
	ctx := context.Background()
	f := newFiller(t, acct)
	_, err := f.iam.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("redislabs-user")})
	f.check("delete LoginProfile", err)
	for _, name := range []string{"/redislabsuser/password", "/redislabsuser/secret_access_key"} {
		_, err := f.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
		f.check("delete secret "+name, err)
	}
	for _, p := range []struct{ role, user, policy string }{
		{"redislabs-cluster-node-role", "", "RedisLabsInstanceRolePolicy"},
		{"redislabs-role", "", "RedislabsIAMUserRestrictedPolicy"},
		{"", "redislabs-user", "RedislabsIAMUserRestrictedPolicy"},
	} {
		arn := aws.String("arn:aws:iam::" + acct.ID + ":policy/" + p.policy)
		if p.user != "" {
			_, err = f.iam.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(p.user), PolicyArn: arn})
		} else {
			_, err = f.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(p.role), PolicyArn: arn})
		}
		f.check("detach "+p.policy, err)
	}
}
