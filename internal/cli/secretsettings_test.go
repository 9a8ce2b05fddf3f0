package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/testenv"
)

// docs/security.md tells users who want the two secrets under their own KMS
// key to run `aws secretsmanager update-secret --kms-key-id` on each after
// the first apply. rciam must keep that key: no plan change because of it,
// and neither a repair, a rotation nor a destroy followed by an apply (the
// secrets restored from their recovery window) puts a secret back on the
// AWS managed key. (moto records the key without encrypting with it.)
func TestCustomerManagedKMSKeyIsKept(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(acct.Config())
	secrets := []string{"/redislabsuser/secret_access_key", "/redislabsuser/password"}
	key := "arn:aws:kms:" + testenv.Region + ":" + acct.ID + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	expectKey := func(when string) {
		t.Helper()
		for _, name := range secrets {
			d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
			if err != nil {
				t.Fatalf("%s: describe %s: %v", when, name, err)
			}
			if aws.ToString(d.KmsKeyId) != key {
				t.Errorf("%s: %s is encrypted with %q, want the customer-managed key", when, name, aws.ToString(d.KmsKeyId))
			}
		}
	}

	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	for _, name := range secrets {
		if _, err := sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String(name), KmsKeyId: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	}
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
	rciam(t, acct, runOpts{}, "verify").mustCode(t, 0)

	// A repair that rewrites the key secret (its value lost) and the
	// password (the login profile removed by hand).
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(secrets[0]), SecretString: aws.String("not-the-key-secret")}); err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(acct.Config()).DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("redislabs-user")}); err != nil {
		t.Fatal(err)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	expectKey("after a repair")

	rciam(t, acct, runOpts{}, "rotate-key").mustCode(t, 0)
	expectKey("after rotate-key")

	rciam(t, acct, runOpts{}, "destroy", "--yes").mustCode(t, 0)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	expectKey("after destroy and apply")
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})
}

// A secret Secrets Manager rotates on a schedule is a warning in verify
// and plan, naming the command that turns the rotation off (a rotation
// function would replace the value Redis Cloud uses without telling it).
func TestAutomaticRotationIsWarned(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	sm := secretsmanager.NewFromConfig(acct.Config())
	// moto turns rotation on without a rotation function when asked not
	// to rotate at once; AWS needs the function.
	if _, err := sm.RotateSecret(context.Background(), &secretsmanager.RotateSecretInput{
		SecretId: aws.String("/redislabsuser/password"), RotateImmediately: aws.Bool(false),
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
	}); err != nil {
		t.Fatal(err)
	}
	fix := "aws secretsmanager cancel-rotate-secret --secret-id /redislabsuser/password"

	var report struct {
		Checks []struct{ ID, Resource, Status, Message string }
	}
	out := rciam(t, acct, runOpts{}, "verify", "--output", "json").mustCode(t, 0)
	if err := json.Unmarshal([]byte(out.stdout), &report); err != nil {
		t.Fatal(err)
	}
	var warned []string
	for _, c := range report.Checks {
		if c.ID == "rotation" {
			warned = append(warned, c.Resource)
			if c.Status != "warn" || !strings.Contains(c.Message, fix) {
				t.Errorf("rotation check %+v", c)
			}
		}
	}
	if len(warned) != 1 || warned[0] != "secret//redislabsuser/password" {
		t.Errorf("rotation warnings for %v, want the password secret alone", warned)
	}

	plan := rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
	if !strings.Contains(plan.stdout+plan.stderr, "warning: secret//redislabsuser/password: "+"Secrets Manager rotates") || !strings.Contains(plan.stdout+plan.stderr, fix) {
		t.Errorf("plan did not warn about the rotation:\n%s%s", plan.stdout, plan.stderr)
	}
}
