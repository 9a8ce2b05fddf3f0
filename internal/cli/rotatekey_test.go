package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/bookkeeping"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/rotate"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// errDead is what every request of a "killed" run gets.
var errDead = errors.New("the process was killed")

// deadAfter makes the run behave, towards AWS, like a process SIGKILLed
// right after the n-th successful call of op took effect: that call's
// answer and every later request fail before they are sent, so nothing
// after it (a rollback included) reaches the account.
func deadAfter(op string, n int) func(*middleware.Stack) error {
	var mu sync.Mutex
	seen, dead := 0, false
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("deadAfter", func(c context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			mu.Lock()
			gone := dead
			mu.Unlock()
			if gone {
				return middleware.InitializeOutput{}, middleware.Metadata{}, errDead
			}
			out, md, err := next.HandleInitialize(c, in)
			if awsmiddleware.GetOperationName(c) != op || err != nil {
				return out, md, err
			}
			mu.Lock()
			defer mu.Unlock()
			if seen++; seen == n {
				dead = true
				return out, md, errDead
			}
			return out, md, err
		}), middleware.After)
	}
}

// A rotation killed between storing the new key's secret (PutSecretValue,
// under the new key's version id) and tagging it (TagResource: the tag
// still names the old key) is finished by the next rotate-key: the new key
// is proved and handed to Redis Cloud, the old one deleted, the tags name
// the new key and apply has nothing left to do. An apply run on that
// state first keeps the old key (Redis Cloud's) as the previous one.
func TestRotateKeyKilledBetweenStoreAndTag(t *testing.T) {
	t.Parallel()
	for _, applyFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "rotate-key again", true: "apply, then rotate-key"}[applyFirst], func(t *testing.T) {
			t.Parallel()
			rotateKilledBetweenStoreAndTag(t, applyFirst)
		})
	}
}

// rotateKilledBetweenStoreAndTag makes the crash state, optionally runs
// apply on it (which must keep the key the tag names, Redis Cloud's, as
// the previous one and say to finish with rotate-key), then rotate-key.
func rotateKilledBetweenStoreAndTag(t *testing.T, applyFirst bool) {
	acct := testenv.NeedMoto(t, moto)
	srv := redisServer(t, rcserver.Options{})
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)

	killed := withRedis(srv)
	killed.apiOptions = append(killed.apiOptions, deadAfter("PutSecretValue", 1))
	rciam(t, acct, killed, "rotate-key").mustCode(t, 1)
	tags := keySecretTags(t, acct)
	if tags[bookkeeping.TagKeyID] != before.KeyID || tags[bookkeeping.TagPreviousKeyID] != "" {
		t.Fatalf("not the crash state: tags %v", tags)
	}

	if applyFirst {
		res := rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
		if !strings.Contains(res.stderr, "run 'rciam rotate-key' to finish the rotation") {
			t.Errorf("apply does not say to finish the rotation:\n%s", res.stderr)
		}
		if w := writes(res.calls); len(w) != 1 || w[0] != "Secrets Manager.TagResource" {
			t.Errorf("apply wrote %v, want only the key secret's tags", w)
		}
		if tags = keySecretTags(t, acct); tags[bookkeeping.TagPreviousKeyID] != before.KeyID || tags[bookkeeping.TagKeyID] == before.KeyID {
			t.Errorf("tags after apply: %v", tags)
		}
	}

	out, _ := rotateJSON(t, acct, withRedis(srv))
	after := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if out.Old != before.KeyID || out.New != after.KeyID || out.New == out.Old || !out.Updated {
		t.Errorf("rotate output %+v; keys %s → %s", out, before.KeyID, after.KeyID)
	}
	if a := srv.Accounts()[0]; a.AccessKeyID != after.KeyID || string(a.AccessSecretKey) != after.KeySecret {
		t.Error("the cloud account does not hold the new key")
	}
	tags = keySecretTags(t, acct)
	if tags[bookkeeping.TagKeyID] != after.KeyID || tags[bookkeeping.TagPreviousKeyID] != "" || tags[bookkeeping.TagPreviousSince] != "" {
		t.Errorf("bookkeeping tags after the rotation: %v", tags)
	}
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
}

// rotateOut is rotate-key's JSON (docs/commands.md).
type rotateOut struct {
	Old     string `json:"oldAccessKeyId"`
	New     string `json:"accessKeyId"`
	Updated bool   `json:"cloudAccountUpdated"`
}

// rotateJSON runs rotate-key --output json, wanting exit 0, with args
// before the command (e.g. -v).
func rotateJSON(t *testing.T, acct *testenv.Account, opts runOpts, args ...string) (rotateOut, result) {
	t.Helper()
	res := rciam(t, acct, opts, append(args, "rotate-key", "--output", "json")...).mustCode(t, 0)
	var out rotateOut
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("rotate-key output %q: %v", res.stdout, err)
	}
	return out, res
}

// keySecretTags reads the key secret's tags.
func keySecretTags(t *testing.T, acct *testenv.Account) map[string]string {
	t.Helper()
	d, err := secretsmanager.NewFromConfig(acct.Config()).DescribeSecret(context.Background(),
		&secretsmanager.DescribeSecretInput{SecretId: aws.String(r.KeySecretName)})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range d.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return tags
}

// A rollback killed right after it restored the old key's secret (the
// rotation failed once the new key worked) leaves the tag naming the key
// the stored secret signs for, and the new key active and used (by the
// readiness gate). The next rotate-key must not take the stored key for
// the previous one and retire it, nor refuse the used key as someone
// else's: the key secret's history shows rciam stored that key's secret
// and then replaced it, and its last use (the readiness gate) came before
// the replacing version, so (Redis Cloud not using it) it is deleted and
// the rotation goes on. --dry-run says so first. (moto gives every version
// the listing time as CreatedDate, so here the last-use rule always lets
// the key go; internal/rotate's unit tests cover it.)
func TestRotateKeyRollbackKilledAfterRestore(t *testing.T) {
	t.Parallel()
	for _, registered := range []bool{false, true} {
		name := "unregistered"
		if registered {
			name = "registered"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			acct := testenv.NeedMoto(t, moto)
			opts := runOpts{}
			var srv *rcserver.Server
			rciam(t, acct, opts, "apply", "--yes").mustCode(t, 0)
			before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
			if registered {
				srv = redisServer(t, rcserver.Options{})
				opts = withRedis(srv)
				rciam(t, acct, opts, "register", "--name", "prod").mustCode(t, 0)
			}

			killed := opts
			killed.apiOptions = []func(*middleware.Stack) error{deadAfter("PutSecretValue", 2)}
			killed.rotateAfter = func(step string) error {
				if step == rotate.StepKeyWorks {
					return errors.New("injected failure")
				}
				return nil
			}
			rciam(t, acct, killed, "rotate-key").mustCode(t, 1)
			if id := keySecretTags(t, acct)[bookkeeping.TagKeyID]; id != before.KeyID {
				t.Fatalf("after the killed rollback the tag names %s, want %s", id, before.KeyID)
			}
			testenv.ProveKey(t, moto, acct, before.KeyID, storedKeySecret(t, acct))
			discarded := otherKey(t, acct, before.KeyID)
			if used, err := iam.NewFromConfig(acct.Config()).GetAccessKeyLastUsed(context.Background(),
				&iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(discarded)}); err != nil || used.AccessKeyLastUsed == nil || used.AccessKeyLastUsed.LastUsedDate == nil {
				t.Fatalf("not the crash state: the discarded key %s was not used (%v)", discarded, err)
			}

			dry := rciam(t, acct, opts, "rotate-key", "--dry-run").mustCode(t, 0)
			if !strings.Contains(dry.stdout, "delete key "+secret.MaskKeyID(discarded)) {
				t.Errorf("--dry-run does not list deleting the discarded key %s:\n%s", secret.MaskKeyID(discarded), dry.stdout)
			}

			out, _ := rotateJSON(t, acct, opts)
			after := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
			if out.Old != before.KeyID || out.New != after.KeyID || out.New == discarded || out.Updated != registered {
				t.Errorf("rotate output %+v; keys %s → %s, discarded %s", out, before.KeyID, after.KeyID, discarded)
			}
			if k := otherKey(t, acct, after.KeyID); k != "" {
				t.Errorf("key %s left beside the stored one", k)
			}
			if registered {
				if a := srv.Accounts()[0]; a.AccessKeyID != after.KeyID || string(a.AccessSecretKey) != after.KeySecret {
					t.Error("the cloud account does not hold the stored key")
				}
			}
			rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)
		})
	}
}

// otherKey returns redislabs-user's access key other than keyID ("" if none).
func otherKey(t *testing.T, acct *testenv.Account, keyID string) string {
	t.Helper()
	out, err := iam.NewFromConfig(acct.Config()).ListAccessKeys(context.Background(),
		&iam.ListAccessKeysInput{UserName: aws.String(r.UserName)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range out.AccessKeyMetadata {
		if id := aws.ToString(k.AccessKeyId); id != keyID {
			return id
		}
	}
	return ""
}

// storedKeySecret reads the key secret's current value.
func storedKeySecret(t *testing.T, acct *testenv.Account) string {
	t.Helper()
	v, err := secretsmanager.NewFromConfig(acct.Config()).GetSecretValue(context.Background(),
		&secretsmanager.GetSecretValueInput{SecretId: aws.String(r.KeySecretName)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(v.SecretString)
}

// While the password secret carries a password-pending mark, rotate-key on
// a registered account (every update of the cloud account sends the
// console password) refuses in one line before any change, --dry-run
// included. Unregistered, it sends no password and rotates.
func TestRotateKeyRefusedWhilePasswordPending(t *testing.T) {
	t.Parallel()
	t.Run("registered", func(t *testing.T) {
		t.Parallel()
		acct := testenv.NeedMoto(t, moto)
		srv := redisServer(t, rcserver.Options{})
		rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
		before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
		rciam(t, acct, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)
		markPasswordPending(t, acct)
		requests := len(srv.Requests())

		for _, args := range [][]string{{"rotate-key"}, {"rotate-key", "--dry-run"}} {
			res := rciam(t, acct, withRedis(srv), args...).mustCode(t, 1)
			res.oneLine(t, "the stored console password may not be the login's (a run is changing it, or stopped while changing it): run 'rciam apply' first")
			if w := writes(res.calls); len(w) != 0 {
				t.Errorf("%v changed AWS: %v", args, w)
			}
		}
		if n := len(srv.Requests()); n != requests {
			t.Errorf("rotate-key sent %d requests to Redis Cloud", n-requests)
		}
		if k := otherKey(t, acct, before.KeyID); k != "" {
			t.Errorf("a key %s was created", k)
		}
		if a := srv.Accounts()[0]; a.AccessKeyID != before.KeyID {
			t.Error("the cloud account's key changed")
		}

		rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
		rciam(t, acct, withRedis(srv), "rotate-key").mustCode(t, 0)
		after := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
		if a := srv.Accounts()[0]; after.KeyID == before.KeyID || a.AccessKeyID != after.KeyID || string(a.ConsolePassword) != after.Password {
			t.Error("after apply, rotate-key did not move the cloud account to the new key with the login's password")
		}
	})
	t.Run("unregistered", func(t *testing.T) {
		t.Parallel()
		acct := testenv.NeedMoto(t, moto)
		rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
		before := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
		markPasswordPending(t, acct)
		rciam(t, acct, runOpts{}, "rotate-key").mustCode(t, 0)
		rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
		if after := testenv.CheckSpec(t, moto, acct, testenv.Spec{}); after.KeyID == before.KeyID {
			t.Error("key not rotated")
		}
	})
}
