package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/bookkeeping"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/rotate"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

const (
	apiKey    = "rc-account-key-0123456789"
	apiSecret = "rc-user-secret-9876543210"
)

func redisServer(t *testing.T, o rcserver.Options) *rcserver.Server {
	t.Helper()
	o.APIKey, o.SecretKey = apiKey, apiSecret
	srv := rcserver.New(o)
	t.Cleanup(srv.Close)
	return srv
}

func withRedis(srv *rcserver.Server) runOpts {
	return runOpts{env: map[string]string{"REDISCLOUD_ACCESS_KEY": apiKey, "REDISCLOUD_SECRET_KEY": apiSecret, "REDISCLOUD_URL": srv.BaseURL()}}
}

// register sends exactly what is in the account; a second register
// changes nothing; --force-update sends one PUT.
func TestRegister(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	srv := redisServer(t, rcserver.Options{StatusPendingGets: 2, TaskPendingPolls: 0})
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})

	res := rciam(t, acct, withRedis(srv), "-v", "register", "--name", "prod", "--output", "json").mustCode(t, 0)
	var out struct {
		ID     int    `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.Status != "active" {
		t.Fatalf("register output %q (%v)", res.stdout, err)
	}
	accts := srv.Accounts()
	if len(accts) != 1 {
		t.Fatalf("%d cloud accounts", len(accts))
	}
	a := accts[0]
	if a.ID != out.ID || a.Name != "prod" || a.Provider != "AWS" || a.AccessKeyID != st.KeyID || string(a.AccessSecretKey) != st.KeySecret ||
		a.ConsoleUsername != "redislabs-user" || string(a.ConsolePassword) != st.Password || a.SignInLoginURL != "https://"+acct.ID+".signin.aws.amazon.com/console" {
		t.Errorf("registered %+v", a)
	}
	// The id is recorded in the account itself.
	desc, err := secretsmanager.NewFromConfig(acct.Config()).DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("/redislabsuser/secret_access_key")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tg := range desc.Tags {
		found = found || (aws.ToString(tg.Key) == bookkeeping.TagCloudAccountID && aws.ToString(tg.Value) == fmt.Sprint(out.ID))
	}
	if !found {
		t.Error("cloud account id not recorded on the key secret")
	}
	// outputs --format api is exactly the body register sends.
	api := rciam(t, acct, runOpts{}, "outputs", "--format", "api", "--show-secrets", "--name", "prod").mustCode(t, 0)
	var body map[string]string
	_ = json.Unmarshal([]byte(api.stdout), &body)
	if body["accessSecretKey"] != string(a.AccessSecretKey) || body["consolePassword"] != string(a.ConsolePassword) || body["accessKeyId"] != a.AccessKeyID {
		t.Error("outputs --format api differs from what register sent")
	}

	posts, puts := srv.Count("POST", "/v1/cloud-accounts"), srv.Count("PUT", "/v1/cloud-accounts/*")
	again := rciam(t, acct, withRedis(srv), "-v", "register", "--name", "prod").mustCode(t, 0)
	if srv.Count("POST", "/v1/cloud-accounts") != posts || srv.Count("PUT", "/v1/cloud-accounts/*") != puts {
		t.Error("a second register sent a POST or PUT")
	}
	if !strings.Contains(again.stderr, "--force-update") {
		t.Errorf("second register does not explain: %s", again.stderr)
	}
	rciam(t, acct, withRedis(srv), "register", "--name", "prod", "--force-update").mustCode(t, 0)
	if srv.Count("PUT", "/v1/cloud-accounts/*") != puts+1 || len(srv.Accounts()) != 1 {
		t.Error("--force-update did not send exactly one PUT")
	}
	for _, r := range []result{res, again} {
		for _, s := range []string{st.KeySecret, st.Password, apiKey, apiSecret} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Error("a secret appears in register's output")
			}
		}
	}
}

func TestRegisterErrors(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)

	t.Run("missing API keys", func(t *testing.T) {
		res := rciam(t, acct, runOpts{env: map[string]string{"REDISCLOUD_ACCESS_KEY": "", "REDISCLOUD_SECRET_KEY": ""}}, "register", "--name", "x").mustCode(t, 1)
		res.oneLine(t, "REDISCLOUD_ACCESS_KEY", "REDISCLOUD_SECRET_KEY")
		if len(res.calls) != 0 {
			t.Errorf("AWS calls before the key check: %d", len(res.calls))
		}
	})
	t.Run("wrong API keys", func(t *testing.T) {
		srv := redisServer(t, rcserver.Options{})
		o := withRedis(srv)
		o.env["REDISCLOUD_SECRET_KEY"] = "wrong"
		res := rciam(t, acct, o, "register", "--name", "x").mustCode(t, 1)
		res.oneLine(t, "REDISCLOUD_ACCESS_KEY", "401")
		if strings.Contains(res.stderr, "<") {
			t.Errorf("HTML in the error: %s", res.stderr)
		}
	})
	t.Run("task error", func(t *testing.T) {
		srv := redisServer(t, rcserver.Options{})
		srv.FailTasks(10, rcserver.CodePermissionFailed)
		res := rciam(t, acct, withRedis(srv), "register", "--name", "x").mustCode(t, 1)
		res.oneLine(t, "CLOUD_ACCOUNT_PERMISSION_FAILED", "rciam verify", "task")
	})
	t.Run("invalid creds twice, then accepted", func(t *testing.T) {
		srv := redisServer(t, rcserver.Options{})
		srv.FailTasks(2, rcserver.CodeInvalidCreds)
		rciam(t, acct, withRedis(srv), "register", "--name", "y").mustCode(t, 0)
		if n := len(srv.Accounts()); n != 1 {
			t.Errorf("%d accounts", n)
		}
	})
	t.Run("stuck pending", func(t *testing.T) {
		srv := redisServer(t, rcserver.Options{StatusPendingGets: 1 << 20})
		start := time.Now()
		// Long enough for the AWS reads before it on a loaded machine.
		res := rciam(t, acct, withRedis(srv), "--timeout", "8s", "register", "--name", "z").mustCode(t, 1)
		res.oneLine(t, "pending")
		if time.Since(start) > 20*time.Second {
			t.Errorf("took %s", time.Since(start))
		}
	})
}

// rotate-key leaves one active key, its secret stored, the old key gone and
// the cloud account on the new key.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	srv := redisServer(t, rcserver.Options{StatusPendingGets: 1})
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)

	dry := rciam(t, acct, withRedis(srv), "rotate-key", "--dry-run").mustCode(t, 0)
	id := srv.Accounts()[0].ID
	if len(writes(dry.calls)) != 0 || !strings.HasPrefix(dry.stdout, fmt.Sprintf("This account is registered with Redis Cloud as cloud account %d.\n", id)) ||
		!strings.Contains(dry.stdout, "Redis Cloud") {
		t.Errorf("dry run: writes %v, steps\n%s", writes(dry.calls), dry.stdout)
	}
	out, res := rotateJSON(t, acct, withRedis(srv), "-v")
	after := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if out.Old != before.KeyID || out.New != after.KeyID || out.New == out.Old || !out.Updated {
		t.Errorf("rotate output %+v; keys %s → %s", out, before.KeyID, after.KeyID)
	}
	a := srv.Accounts()[0]
	if a.AccessKeyID != after.KeyID || string(a.AccessSecretKey) != after.KeySecret || string(a.ConsolePassword) != after.Password {
		t.Error("the cloud account does not hold the new key")
	}
	for _, s := range []string{before.KeySecret, after.KeySecret, after.Password, apiKey, apiSecret} {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Error("a secret appears in rotate-key -v output")
		}
	}
	if !strings.Contains(res.stderr, "waiting for key") && !strings.Contains(res.stderr, "created access key") {
		t.Errorf("-v shows no progress:\n%s", res.stderr)
	}
	rciam(t, acct, runOpts{}, "verify").mustCode(t, 0)
}

// A failure injected after each step leaves a working key that matches the
// stored secret and the cloud account; the next rotate-key finishes.
func TestRotateKeyFailureAtEachStep(t *testing.T) {
	t.Parallel()
	steps := []string{rotate.StepCreateKey, rotate.StepStoreSecret, rotate.StepKeyWorks, rotate.StepUpdateRedis,
		rotate.StepMarkSwitched, rotate.StepDeactivateOld, rotate.StepDeleteOld}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			acct := testenv.NeedMoto(t, moto)
			srv := redisServer(t, rcserver.Options{})
			rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
			rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)
			o := withRedis(srv)
			o.rotateAfter = func(s string) error {
				if s == step {
					return errors.New("injected failure")
				}
				return nil
			}
			res := rciam(t, acct, o, "rotate-key").mustCode(t, 1)
			res.oneLine(t, "injected failure")
			expectWorkingStoredKey(t, acct, srv)
			rciam(t, acct, withRedis(srv), "rotate-key").mustCode(t, 0)
			st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
			if srv.Accounts()[0].AccessKeyID != st.KeyID {
				t.Error("cloud account not on the stored key after the next run")
			}
		})
	}
}

// expectWorkingStoredKey: the stored secret signs as redislabs-user with an
// active key, and the cloud account holds that key.
func expectWorkingStoredKey(t *testing.T, acct *testenv.Account, srv *rcserver.Server) {
	t.Helper()
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(acct.Config())
	v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("/redislabsuser/secret_access_key")})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := iam.NewFromConfig(acct.Config()).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("redislabs-user")})
	cloudKey := srv.Accounts()[0].AccessKeyID
	for _, k := range keys.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == cloudKey && k.Status == "Active" && string(srv.Accounts()[0].AccessSecretKey) == aws.ToString(v.SecretString) {
			testenv.ProveKey(t, moto, acct, cloudKey, aws.ToString(v.SecretString))
			return
		}
	}
	t.Errorf("the cloud account's key %s is not an active key whose secret is stored (keys %+v)", cloudKey, keys.AccessKeyMetadata)
}

func TestRotateKeyGraceAndUnregistered(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	first := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	// The grace period must outlast the next apply and rotate-key on a busy
	// machine; the test then waits out what is left of it.
	const grace = 6 * time.Second
	res := rciam(t, acct, runOpts{}, "rotate-key", "--grace", grace.String(), "--output", "json").mustCode(t, 0)
	rotated := time.Now()
	if !strings.Contains(res.stdout, `"cloudAccountUpdated": false`) {
		t.Errorf("output %s", res.stdout)
	}
	keys, _ := iam.NewFromConfig(acct.Config()).ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("redislabs-user")})
	if len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("grace: %d keys, want the old one kept inactive", len(keys.AccessKeyMetadata))
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0) // apply leaves the grace key alone
	rciam(t, acct, runOpts{}, "rotate-key").mustCode(t, 1).oneLine(t, "--grace")
	time.Sleep(time.Until(rotated.Add(grace + 100*time.Millisecond)))
	dry := rciam(t, acct, runOpts{}, "rotate-key", "--dry-run").mustCode(t, 0)
	if !strings.HasPrefix(dry.stdout, "This account is not registered with Redis Cloud: only AWS is changed.\n") {
		t.Errorf("dry run on an unregistered account:\n%s", dry.stdout)
	}
	if done := rciam(t, acct, runOpts{}, "rotate-key").mustCode(t, 0); !strings.Contains(done.stdout, "(Redis Cloud: not registered)") {
		t.Errorf("rotate-key on an unregistered account said:\n%s", done.stdout)
	}
	last := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if last.KeyID == first.KeyID {
		t.Error("key not rotated")
	}
}

func TestDestroyDeregister(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	srv := redisServer(t, rcserver.Options{})
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)
	rciam(t, acct, withRedis(srv), "destroy", "--yes").mustCode(t, 1).oneLine(t, "--deregister")
	id := srv.Accounts()[0].ID
	if err := srv.SetUsed(id, true); err != nil {
		t.Fatal(err)
	}
	used := rciam(t, acct, withRedis(srv), "destroy", "--yes", "--deregister").mustCode(t, 1)
	if !strings.Contains(used.stderr, "CLOUD_ACCOUNT_USED") && !strings.Contains(used.stderr, "subscriptions") {
		t.Errorf("used: %s", used.stderr)
	}
	if len(writes(used.calls)) != 0 {
		t.Errorf("destroy changed AWS although deregistering failed: %v", writes(used.calls))
	}
	_ = srv.SetUsed(id, false)
	rciam(t, acct, withRedis(srv), "destroy", "--yes", "--deregister").mustCode(t, 0)
	if len(srv.Accounts()) != 0 {
		t.Error("cloud account not deleted")
	}
	expectNothingLeft(t, acct)

	// Deregistration ended the registration: the key secret a later apply
	// restores no longer records it, and destroy needs no --deregister.
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if id, ok := keySecretTags(t, acct)[bookkeeping.TagCloudAccountID]; ok {
		t.Errorf("the restored key secret still records cloud account %s", id)
	}
	rciam(t, acct, runOpts{}, "destroy", "--yes").mustCode(t, 0)
	expectNothingLeft(t, acct)
}

// markPasswordPending puts on the password secret the mark a run leaves
// when it stops while changing the console password (an hour ago: older
// than bookkeeping.MarkLease, so apply takes it for a stopped run's).
func markPasswordPending(t *testing.T, acct *testenv.Account) {
	t.Helper()
	_, err := secretsmanager.NewFromConfig(acct.Config()).TagResource(context.Background(), &secretsmanager.TagResourceInput{
		SecretId: aws.String(r.PasswordSecretName),
		Tags:     []smtypes.Tag{{Key: aws.String(bookkeeping.TagPasswordPending + "stopped-run"), Value: aws.String(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))}}})
	if err != nil {
		t.Fatal(err)
	}
}

// While the password secret carries a password-pending mark, register
// would send Redis Cloud a console password that may not be the login's:
// it refuses in one line before any change (AWS or Redis Cloud), and
// works once 'rciam apply' repaired the password.
func TestRegisterRefusedWhilePasswordPending(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	srv := redisServer(t, rcserver.Options{})
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	markPasswordPending(t, acct)

	res := rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 1)
	res.oneLine(t, "the stored console password may not be the login's (a run is changing it, or stopped while changing it): run 'rciam apply' first")
	if w := writes(res.calls); len(w) != 0 {
		t.Errorf("register changed AWS: %v", w)
	}
	if n := len(srv.Requests()); n != 0 || len(srv.Accounts()) != 0 {
		t.Errorf("register sent %d requests to Redis Cloud, %d cloud accounts", n, len(srv.Accounts()))
	}
	if _, ok := keySecretTags(t, acct)[bookkeeping.TagCloudAccountID]; ok {
		t.Error("a cloud account id was recorded")
	}

	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if a := srv.Accounts(); len(a) != 1 || string(a[0].ConsolePassword) != st.Password {
		t.Error("after apply, register did not send the login's password")
	}
}
