package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/testenv"
)

type verifyJSONOut struct {
	OK     bool         `json:"ok"`
	Checks []checkJSONT `json:"checks"`
}

type checkJSONT struct {
	ID, Resource, Status, Message, Expected, Actual string
}

// findCheck returns the check with id on resource, or nil.
func findCheck(out verifyJSONOut, id, resource string) *checkJSONT {
	for i := range out.Checks {
		if out.Checks[i].ID == id && out.Checks[i].Resource == resource {
			return &out.Checks[i]
		}
	}
	return nil
}

func verifyJSON(t *testing.T, acct *testenv.Account, want int) (verifyJSONOut, result) {
	t.Helper()
	res := rciam(t, acct, runOpts{}, "verify", "--output", "json").mustCode(t, want)
	var out verifyJSONOut
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("verify json: %v\n%s", err, res.stdout)
	}
	return out, res
}

// verifyClean runs verify with args and wants exit 0 and no failed check
// (warnings allowed), listing any failure.
func verifyClean(t *testing.T, acct *testenv.Account, args ...string) verifyJSONOut {
	t.Helper()
	res := rciam(t, acct, runOpts{}, append([]string{"verify", "--output", "json"}, args...)...)
	var out verifyJSONOut
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("verify json (exit %d): %v\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	for _, c := range out.Checks {
		if c.Status == "fail" {
			t.Errorf("verify: %s %s: %s", c.ID, c.Resource, c.Message)
		}
	}
	if res.code != 0 || !out.OK {
		t.Errorf("verify exit %d, ok %v", res.code, out.OK)
	}
	return out
}

// A clean account passes, in at most two dependent rounds of AWS calls
// (every request slowed, as for apply's rounds).
func TestVerifyCleanAccount(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	out, res := verifyJSON(t, slow(t, acct, nil).Via(acct), 0)
	if !out.OK || len(out.Checks) < 25 {
		t.Errorf("ok=%v with %d checks", out.OK, len(out.Checks))
	}
	roundsWithin(t, "verify", res.calls, 2)
	var sim, proof bool
	for _, c := range out.Checks {
		sim = sim || (c.ID == "simulation" && c.Status == "warn") // moto lacks SimulatePrincipalPolicy
		proof = proof || (c.ID == "key-secret" && c.Status == "pass")
		if c.Status == "fail" {
			t.Errorf("check failed: %+v", c)
		}
	}
	if !sim || !proof {
		t.Errorf("simulation warning %v, key proof %v", sim, proof)
	}
	human := rciam(t, acct, runOpts{}, "verify").mustCode(t, 0)
	if !strings.Contains(human.stdout, "0 failed") || strings.Contains(human.stdout, "\x1b[") {
		t.Errorf("human output:\n%s", human.stdout)
	}
}

// Each kind of drift makes verify exit 1 naming the entity touched, and
// apply (with --remove-unexpected where needed) repairs it.
// driftCase is one way an account drifts from what rciam made, the
// resource verify names for it, and whether apply needs
// --remove-unexpected to repair it.
type driftCase struct {
	name     string
	resource string
	drift    func(c *iam.Client, sm *secretsmanager.Client, acct *testenv.Account) error
	remove   bool
}

// driftCases are the drift kinds apply repairs.
func driftCases(t testing.TB) []driftCase {
	ctx := context.Background()
	pol := func(acct *testenv.Account, name string) *string {
		return aws.String("arn:aws:iam::" + acct.ID + ":policy/" + name)
	}
	return []driftCase{
		{"user policy detached", "user/redislabs-user", func(c *iam.Client, _ *secretsmanager.Client, a *testenv.Account) error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("redislabs-user"), PolicyArn: pol(a, "RedislabsIAMUserRestrictedPolicy")})
			return err
		}, false},
		{"instance policy detached", "role/redislabs-cluster-node-role", func(c *iam.Client, _ *secretsmanager.Client, a *testenv.Account) error {
			_, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("redislabs-cluster-node-role"), PolicyArn: pol(a, "RedisLabsInstanceRolePolicy")})
			return err
		}, false},
		{"trust without MFA", "role/redislabs-role", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("redislabs-role"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole"}]}`)})
			return err
		}, false},
		{"trust with an external id", "role/redislabs-role", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("redislabs-role"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"sts:ExternalId":"x"}}}]}`)})
			return err
		}, false},
		{"role removed from profile", "instance-profile/redislabs-cluster-node-role", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			_, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("redislabs-cluster-node-role"), RoleName: aws.String("redislabs-cluster-node-role")})
			return err
		}, false},
		{"profile deleted", "instance-profile/redislabs-cluster-node-role", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			n := aws.String("redislabs-cluster-node-role")
			if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: n, RoleName: n}); err != nil {
				return err
			}
			_, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: n})
			return err
		}, false},
		{"key set inactive", "user/redislabs-user", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("redislabs-user")})
			if err != nil {
				return err
			}
			_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("redislabs-user"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId, Status: iamtypes.StatusTypeInactive})
			return err
		}, false},
		{"login profile deleted", "login-profile/redislabs-user", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			_, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("redislabs-user")})
			return err
		}, false},
		{"default version missing a statement", "policy/RedislabsIAMUserRestrictedPolicy", func(c *iam.Client, _ *secretsmanager.Client, a *testenv.Account) error {
			doc := strings.Replace(string(testenv.BundledDoc(t, "RedislabsIAMUserRestrictedPolicy.json")), `"Sid": "Support",`, `"Sid": "Support", "NotAction": "support:*", "Effect": "Deny",`, 1)
			doc = strings.Replace(doc, `"Effect": "Allow",
            "Action": "support:*",`, ``, 1)
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol(a, "RedislabsIAMUserRestrictedPolicy"), PolicyDocument: aws.String(doc), SetAsDefault: true})
			return err
		}, false},
		{"inline deny on the user", "user/redislabs-user", func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("redislabs-user"), PolicyName: aws.String("no-run"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"*"}]}`)})
			return err
		}, true},
		{"secret deleted", "secret//redislabsuser/secret_access_key", func(_ *iam.Client, sm *secretsmanager.Client, _ *testenv.Account) error {
			_, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("/redislabsuser/secret_access_key"), RecoveryWindowInDays: aws.Int64(7)})
			return err
		}, false},
		{"password secret deleted for good", "secret//redislabsuser/password", func(_ *iam.Client, sm *secretsmanager.Client, _ *testenv.Account) error {
			_, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("/redislabsuser/password"), ForceDeleteWithoutRecovery: aws.Bool(true)})
			return err
		}, false},
	}
}

func TestVerifyDetectsAndApplyRepairsDrift(t *testing.T) {
	t.Parallel()
	cases := driftCases(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			acct := testenv.NeedMoto(t, moto)
			rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
			if err := tc.drift(iam.NewFromConfig(acct.Config()), secretsmanager.NewFromConfig(acct.Config()), acct); err != nil {
				t.Fatalf("drift: %v", err)
			}
			out, _ := verifyJSON(t, acct, 1)
			named := false
			for _, c := range out.Checks {
				if c.Status == "fail" {
					named = named || c.Resource == tc.resource
					if !strings.Contains(c.Message, "rciam") && !strings.Contains(c.Message, "remove") {
						t.Errorf("failure without a fix: %+v", c)
					}
				}
			}
			if !named {
				t.Errorf("no failing check names %s: %+v", tc.resource, out.Checks)
			}
			args := []string{"apply", "--yes"}
			if tc.remove {
				// Without the flag the plan stands, and says what blocks
				// Redis Cloud and how to remove it; verify still fails.
				plain := rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
				if !strings.Contains(plain.stdout, "inline policy no-run denies ec2:RunInstances") || !strings.Contains(plain.stdout, "--remove-unexpected") {
					t.Errorf("plan without --remove-unexpected:\n%s", plain.stdout)
				}
				args = append(args, "--remove-unexpected")
			}
			rciam(t, acct, runOpts{}, args...).mustCode(t, 0)
			verifyJSON(t, acct, 0)
			testenv.CheckSpec(t, moto, acct, testenv.Spec{})
		})
	}
}

// A read the credentials may not make is "could not check": exit 3.
func TestVerifyCouldNotCheck(t *testing.T) {
	t.Parallel()
	acct := &testenv.Account{ID: "000000000000", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "x", Endpoint: "http://127.0.0.1:1"}
	res := rciam(t, acct, runOpts{}, "verify")
	res.mustCode(t, 3)
	res.oneLine(t, "cannot reach")
}
