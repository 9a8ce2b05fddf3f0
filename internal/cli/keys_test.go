package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/bookkeeping"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/testenv"
)

// cancelAfter cancels the run right after the first call of op returned:
// the call took effect, nothing after it starts (Ctrl-C at that point).
func cancelAfter(op string) (context.Context, func(*middleware.Stack) error) {
	ctx, cancel := context.WithCancel(context.Background())
	return ctx, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("cancelAfter", func(c context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(c, in)
			if awsmiddleware.GetOperationName(c) == op {
				cancel()
			}
			return out, md, err
		}), middleware.After)
	}
}

// An apply interrupted right after CreateAccessKey (the key exists, its
// secret was never stored) exits 130; the next apply deletes that key,
// makes a new one and stores it: one key, matching its secret.
func TestInterruptedApplyIsFinished(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"CreateUser", "CreateAccessKey", "CreateSecret", "AttachRolePolicy"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			acct := testenv.NeedMoto(t, moto)
			ctx, opt := cancelAfter(op)
			res := rciam(t, acct, runOpts{ctx: ctx, apiOptions: []func(*middleware.Stack) error{opt}}, "apply", "--yes")
			if res.code != 130 {
				t.Fatalf("exit %d, want 130; stderr:\n%s", res.code, res.stderr)
			}
			if !strings.Contains(res.stderr, "run apply again") {
				t.Errorf("stderr does not say what to do:\n%s", res.stderr)
			}
			rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
			testenv.CheckSpec(t, moto, acct, testenv.Spec{})
			rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
		})
	}
}

// A key nobody ever used that the stored secret does not belong to is an
// orphan: apply deletes it and keeps the stored one.
func TestUnusedExtraKeyIsDeleted(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	extra, err := iam.NewFromConfig(acct.Config()).CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("redislabs-user")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(extra.AccessKey.AccessKeyId)
	p := rciam(t, acct, runOpts{}, "plan", "--output", "json").mustCode(t, 0)
	if !strings.Contains(p.stdout, `"access-key/redislabs-user/`+id+`"`) || !strings.Contains(p.stdout, `"delete"`) {
		t.Errorf("plan does not delete the orphan key:\n%s", p.stdout)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if after := testenv.CheckSpec(t, moto, acct, testenv.Spec{}); after.KeyID != before.KeyID {
		t.Errorf("stored key replaced: %s → %s", before.KeyID, after.KeyID)
	}
}

// A lost key secret (docs/entities.md): after the key secret is deleted
// for good, the key rciam's own verify used is kept, active, as the
// previous key; apply makes and stores a new key and exits 0 with a warning
// that names the old key in full and rotate-key; verify warns meanwhile;
// rotate-key finishes (the previous key goes) and verify is clean again.
func TestLostKeySecretIsFinishedByRotateKey(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	ctx := context.Background()
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	// rciam's own verify is the one use of the key.
	if _, err := sts.NewFromConfig(acct.ConfigFor(before.KeyID, before.KeySecret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	last, err := iam.NewFromConfig(acct.Config()).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(before.KeyID)})
	if err != nil || last.AccessKeyLastUsed == nil || last.AccessKeyLastUsed.LastUsedDate == nil {
		t.Skipf("moto did not record the key's use (%v): nothing to test", err)
	}
	if _, err := secretsmanager.NewFromConfig(acct.Config()).DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
		SecretId: aws.String(r.KeySecretName), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	out, _ := verifyJSON(t, acct, 1)
	if c := findCheck(out, "exists", "secret/"+r.KeySecretName); c == nil || !strings.Contains(c.Message, "run 'rciam apply'") {
		t.Errorf("verify on the lost secret: %+v", c)
	}
	res := rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if !strings.Contains(res.stderr, "the secret of access key "+before.KeyID+" is lost") || !strings.Contains(res.stderr, "run 'rciam rotate-key'") {
		t.Errorf("apply does not say what it kept and what finishes:\n%s", res.stderr)
	}
	keys, _ := iam.NewFromConfig(acct.Config()).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(r.UserName)})
	if len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("%d keys after apply, want the previous one beside a new one", len(keys.AccessKeyMetadata))
	}
	if tags := keySecretTags(t, acct); tags[bookkeeping.TagPreviousKeyID] != before.KeyID {
		t.Errorf("the previous key is not recorded: %v", tags)
	}
	out, _ = verifyJSON(t, acct, 0)
	if c := findCheck(out, "access-keys", "user/"+r.UserName); c == nil || c.Status != "warn" || !strings.Contains(c.Message, before.KeyID) {
		t.Errorf("verify meanwhile: %+v", c)
	}
	rciam(t, acct, runOpts{}, "rotate-key").mustCode(t, 0)
	after := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if after.KeyID == before.KeyID {
		t.Error("the previous key is the stored one")
	}
	verifyClean(t, acct)
}

// No secret value appears in any output of any run without
// --show-secrets, -v included.
func TestNoSecretInOutput(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	var runs []result
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "apply", "--yes").mustCode(t, 0))
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	// Repairs that write secrets: a new console password (its secret is
	// gone for good) and a restored key secret (deleted from the console,
	// with a recovery window).
	sm := secretsmanager.NewFromConfig(acct.Config())
	if _, err := sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("/redislabsuser/password"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String("/redislabsuser/secret_access_key"), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "plan").mustCode(t, 0))
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "apply", "--yes").mustCode(t, 0))
	st2 := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if st2.KeyID != st.KeyID || st2.Password == st.Password {
		t.Errorf("repair: key %s→%s (want kept), password changed %v (want new)", st.KeyID, st2.KeyID, st2.Password != st.Password)
	}
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "outputs").mustCode(t, 0))
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "--output", "json", "outputs").mustCode(t, 0))
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "outputs", "--format", "hand").mustCode(t, 0))
	runs = append(runs, rciam(t, acct, runOpts{}, "-v", "destroy", "--yes").mustCode(t, 0))
	for _, r := range runs {
		for _, s := range []string{st.KeySecret, st.Password, st2.KeySecret, st2.Password, acct.SecretAccessKey} {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
				t.Errorf("a secret appears in output:\n%s\n%s", r.stdout, r.stderr)
			}
		}
	}
	if !strings.Contains(runs[0].stderr, "aws iam CreateUser") {
		t.Errorf("-v does not show the AWS calls:\n%s", runs[0].stderr)
	}
}

// The generated password meets a strict account password policy.
func TestPasswordPolicyIsMet(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	if _, err := iam.NewFromConfig(acct.Config()).UpdateAccountPasswordPolicy(context.Background(), &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(64), RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
	}); err != nil {
		t.Fatal(err)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if len(st.Password) < 64 || !strings.ContainsAny(st.Password, "!@#$%^&*()_+-=[]{}|'") || !strings.ContainsAny(st.Password, "0123456789") {
		t.Errorf("password of length %d does not meet the policy", len(st.Password))
	}
}

// A run that set a new console password on an existing login and died
// before storing it leaves rciam:password-pending on the password secret:
// the next plan sets a new password, apply stores it and removes the mark.
func TestPasswordSetButNotStoredIsReset(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	ctx := context.Background()
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	sm := secretsmanager.NewFromConfig(acct.Config())
	if _, err := sm.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("/redislabsuser/password"),
		Tags: []smtypes.Tag{{Key: aws.String(bookkeeping.TagPasswordPending + "0a1b2c3d"), Value: aws.String("2026-12-04T10:00:00Z")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(acct.Config()).UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("redislabs-user"),
		Password: aws.String("Another-password-set-by-a-run-that-died-1")}); err != nil {
		t.Fatal(err)
	}
	if v := rciam(t, acct, runOpts{}, "verify").mustCode(t, 1); !strings.Contains(v.stdout, "or stopped while changing it") {
		t.Errorf("verify does not say the password may differ:\n%s", v.stdout)
	}
	p := rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 2)
	if !strings.Contains(p.stdout, "a run stopped while changing it") {
		t.Errorf("plan does not say why the password is reset:\n%s", p.stdout)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if st := testenv.CheckSpec(t, moto, acct, testenv.Spec{}); st.Password == "Another-password-set-by-a-run-that-died-1" {
		t.Error("the password of the dead run was kept")
	}
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("/redislabsuser/password")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range d.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), bookkeeping.TagPasswordPending) {
			t.Error("a password mark is still on the password secret")
		}
	}
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
	rciam(t, acct, runOpts{}, "verify").mustCode(t, 0)
}

// Ctrl-C while destroy still reads the account: exit 130, one line saying
// nothing was changed, and nothing was.
func TestDestroyInterruptedWhileReading(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	ctx, opt := cancelAfter("GetAccountAuthorizationDetails")
	res := rciam(t, acct, runOpts{ctx: ctx, apiOptions: []func(*middleware.Stack) error{opt}}, "destroy", "--yes")
	if res.code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", res.code, res.stderr)
	}
	res.oneLine(t, "nothing was changed", "run destroy again")
	if w := writes(res.calls); len(w) > 0 {
		t.Errorf("destroy wrote %v", w)
	}
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})
}

// Ctrl-C between storing a new console password and setting it on the
// login: the run leaves its mark dated "stopped", so the apply right after
// replaces the password within seconds (StoppedGrace, not MarkLease) and
// ends in the SPEC state, mark gone.
func TestInterruptedPasswordChangeIsFinished(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	ctx := context.Background()
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if _, err := iam.NewFromConfig(acct.Config()).DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("redislabs-user")}); err != nil {
		t.Fatal(err)
	}
	cctx, opt := cancelAfter("PutSecretValue")
	res := rciam(t, acct, runOpts{ctx: cctx, apiOptions: []func(*middleware.Stack) error{opt}}, "apply", "--yes")
	if res.code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", res.code, res.stderr)
	}
	d, err := secretsmanager.NewFromConfig(acct.Config()).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("/redislabsuser/password")})
	if err != nil {
		t.Fatal(err)
	}
	marked := false
	for _, tg := range d.Tags {
		marked = marked || (strings.HasPrefix(aws.ToString(tg.Key), bookkeeping.TagPasswordPending) && strings.HasPrefix(aws.ToString(tg.Value), "stopped "))
	}
	if !marked {
		t.Fatalf("no mark dated stopped on the password secret: %v", d.Tags)
	}
	start := time.Now()
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the next apply took %s: it waited for the stopped run", took)
	}
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
}
