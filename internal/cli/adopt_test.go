package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

// templateAccount is testdata/template-made-account.yaml, a template that
// makes an account the way the official Redis Cloud template does (its
// header says what is reproduced), with the bundled docs-v1 documents rciam
// plans against in place of the documents the official template includes
// from S3.
func templateAccount(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/template-made-account.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	for placeholder, file := range map[string]string{
		"__INSTANCE_POLICY_DOCUMENT__": "RedisLabsInstanceRolePolicy.json",
		"__USER_POLICY_DOCUMENT__":     "RedislabsIAMUserRestrictedPolicy.json",
	} {
		var doc bytes.Buffer
		if err := json.Indent(&doc, testenv.BundledDoc(t, file), "        ", "  "); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, placeholder) {
			t.Fatalf("the fixture lacks %s", placeholder)
		}
		body = strings.Replace(body, placeholder, doc.String(), 1)
	}
	return body
}

// docs/entities.md, "Adoption": an account made by the official template
// plans no change other than tags, none at all with --no-adopt-tags, is
// adopted by apply, and destroy leaves what the stack owns unless --force.
func TestAdoptTemplateAccount(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	out := deployStack(t, acct, "RedisCloud", templateAccount(t))
	keyID := out["accessKeyId"]

	// What moto skips of the template, made as the template says (names,
	// descriptions, tags; no rciam tags anywhere):
	f := newFiller(t, acct)
	f.managedPolicyArns("redislabs-cluster-node-role", "", "RedisLabsInstanceRolePolicy") // RedisLabsClusterNodeRole.ManagedPolicyArns
	f.managedPolicyArns("redislabs-role", "", "RedislabsIAMUserRestrictedPolicy")         // RedisLabsCrossAccountRole.ManagedPolicyArns
	f.managedPolicyArns("", "redislabs-user", "RedislabsIAMUserRestrictedPolicy")         // RedisLabsUser.ManagedPolicyArns
	f.userTags("redislabs-user", map[string]string{"UsedBy": "RedisLabs"})                // RedisLabsUser.Tags
	password, value := generatedPassword()
	f.secret("/redislabsuser/password", "Redis Labs User Password", value, nil) // RedisLabsUserPassword
	f.loginProfile("redislabs-user", password)                                  // RedisLabsUser.LoginProfile
	f.secret("/redislabsuser/secret_access_key", "Redis Labs User Secret Access Key", out["testKeySecret"], nil)

	const pv = "--policy-version=docs-v1"
	expectOnlyTags(t, planChanges(t, acct, pv), map[string]string{
		"policy/RedisLabsInstanceRolePolicy":           "tags: ManagedBy=rciam",
		"policy/RedislabsIAMUserRestrictedPolicy":      "tags: ManagedBy=rciam",
		"role/redislabs-cluster-node-role":             "tags: ManagedBy=rciam",
		"role/redislabs-role":                          "tags: ManagedBy=rciam",
		"instance-profile/redislabs-cluster-node-role": "tags: ManagedBy=rciam, UsedBy=RedisLabs",
		"user/redislabs-user":                          "tags: ManagedBy=rciam, rciam:region=" + testenv.Region,
		"access-key/redislabs-user/" + keyID:           "",
		"login-profile/redislabs-user":                 "",
		"secret//redislabsuser/secret_access_key":      "tags: ManagedBy=rciam, rciam:access-key-id=" + keyID + ", rciam:region=" + testenv.Region,
		"secret//redislabsuser/password":               "tags: ManagedBy=rciam",
	})
	// Nothing but tags differs: no warning about the stack (there is
	// nothing it would have to change), and never a flag plan lacks.
	human := rciam(t, acct, runOpts{}, "plan", pv, "--no-adopt-tags", "--detailed-exitcode").mustCode(t, 0)
	if out := human.stdout + human.stderr; strings.Contains(out, "warning") || strings.Contains(out, "--force") {
		t.Errorf("plan of an adopted account warns:\n%s", out)
	}

	// Before adoption only tags differ: verify warns, never fails.
	verifyClean(t, acct, pv)
	rciam(t, acct, runOpts{}, "apply", "--yes", pv).mustCode(t, 0)
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode", pv).mustCode(t, 0)
	verifyClean(t, acct, pv)
	if st := testenv.CheckSpec(t, moto, acct, testenv.Spec{}); st.KeyID != keyID || st.Password != password {
		t.Errorf("adoption replaced the stack's key or password (key %s, want %s)", st.KeyID, keyID)
	}

	// The stack made the key: rotating it is the stack's job.
	if res := rciam(t, acct, runOpts{}, "rotate-key").mustCode(t, 1); !strings.Contains(res.stderr, "CloudFormation stack RedisCloud owns access-key/redislabs-user/"+keyID) {
		t.Errorf("rotate-key on a stack's key:\n%s", res.stderr)
	}
	expectDestroyLeavesStack(t, acct, "RedisCloud")
}

// expectDestroyLeavesStack: destroy leaves what the stack owns, lists it
// and names the stack; destroy --force removes it.
func expectDestroyLeavesStack(t *testing.T, acct *testenv.Account, stack string) {
	t.Helper()
	res := rciam(t, acct, runOpts{}, "destroy", "--yes").mustCode(t, 0)
	for _, addr := range []string{"policy/RedisLabsInstanceRolePolicy", "policy/RedislabsIAMUserRestrictedPolicy",
		"role/redislabs-cluster-node-role", "role/redislabs-role", "instance-profile/redislabs-cluster-node-role", "user/redislabs-user"} {
		if !strings.Contains(res.stderr, addr+" is left in place: owned by CloudFormation stack "+stack+"; delete the stack instead") {
			t.Errorf("destroy does not list %s as owned by stack %s:\n%s", addr, stack, res.stderr)
		}
	}
	c := iam.NewFromConfig(acct.Config())
	ctx := context.Background()
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("redislabs-role")}); err != nil {
		t.Errorf("destroy removed a stack-owned role: %v", err)
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("redislabs-user")}); err != nil {
		t.Errorf("destroy removed the stack-owned user: %v", err)
	}
	rciam(t, acct, runOpts{}, "destroy", "--yes", "--force").mustCode(t, 0)
	expectNothingLeft(t, acct)
}

// An endpoint without CloudFormation (an emulator's HTML 500) does not
// break apply: no stacks, said under -v, and the rounds stay within
// docs/behaviour.md's budget.
func TestApplyWithoutCloudFormation(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	p := slow(t, acct, func(r faults.Request) faults.Fault {
		if r.Service == "cloudformation" {
			return faults.Fault{Kind: faults.HTMLNotImplemented}
		}
		return faults.Fault{}
	})
	res := rciam(t, p.Via(acct), runOpts{}, "apply", "--yes", "-v", "--policy-version=docs-v1").mustCode(t, 0)
	roundsWithin(t, "apply", res.calls, 6)
	if !strings.Contains(res.stderr, "cloudformation ListStacks operation not implemented by this endpoint (HTTP 500 with an HTML page): stack ownership not checked") {
		t.Errorf("apply -v does not say stack ownership was not checked:\n%s", res.stderr)
	}
	listed := 0
	for _, e := range p.Timeline() {
		if e.Service == "cloudformation" {
			listed++
		}
	}
	// One ListStacks, in the first read: an HTML 500 is not retried, and
	// the read-back carries stack ownership over.
	if listed != 1 {
		t.Errorf("%d CloudFormation calls, want one ListStacks", listed)
	}
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})
}
