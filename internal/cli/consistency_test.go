package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/propagation"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// IAM as it really behaves (docs/behaviour.md, "IAM eventual
// consistency"): every entity rciam creates is invisible for 3 s — to uses
// by name and to the listings — and STS refuses every new access key for
// 20 s (so that verify right after apply meets a refusal even when a
// loaded machine makes apply slow). apply, then verify, register and
// rotate-key in a row all exit 0: apply's read-back waits for what it made instead of making it again (one
// console password version, never a second), verify asks again for a young
// key instead of failing it, register and rotate-key wait for their keys.
func TestEventualConsistencyLikeAWS(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	p := faults.Start(t, acct.Endpoint, faults.Options{})
	p.AWSConsistency(3*time.Second, 20*time.Second)
	via := p.Via(acct)

	apply := rciam(t, via, runOpts{}, "apply", "--yes", "-v").mustCode(t, 0)
	if !strings.Contains(apply.stderr, "waiting for IAM to show") {
		t.Errorf("apply did not wait for what it made:\n%s", apply.stderr)
	}
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	versions, err := secretsmanager.NewFromConfig(acct.Config()).ListSecretVersionIds(context.Background(),
		&secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("/redislabsuser/password"), IncludeDeprecated: aws.Bool(true)})
	if err != nil || len(versions.Versions) != 1 {
		t.Errorf("apply stored %d console password versions (%v), want 1", len(versions.Versions), err)
	}
	refused := func(action string) int {
		n := 0
		for _, e := range p.Timeline() {
			if e.Action == action && e.Fault.Kind == faults.InvalidClientTokenID {
				n++
			}
		}
		return n
	}
	out, _ := verifyJSON(t, via, 0)
	for _, c := range out.Checks {
		if c.Status != "pass" && c.ID != "simulation" {
			t.Errorf("verify right after apply: %+v", c)
		}
	}
	if refused("GetCallerIdentity") == 0 {
		t.Error("STS never refused the new key: the emulation is off")
	}

	srv := redisServer(t, rcserver.Options{})
	rciam(t, via, withRedis(srv), "register", "--name", "prod").mustCode(t, 0)
	rot := rciam(t, via, withRedis(srv), "rotate-key", "--output", "json").mustCode(t, 0)
	if !strings.Contains(rot.stdout, `"cloudAccountUpdated": true`) {
		t.Errorf("rotate-key: %s", rot.stdout)
	}
	after := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if after.KeyID == st.KeyID || after.Password != st.Password {
		t.Errorf("after rotate-key: key %s (was %s), password changed %v", after.KeyID, st.KeyID, after.Password != st.Password)
	}
	if a := srv.Accounts(); len(a) != 1 || a[0].AccessKeyID != after.KeyID {
		t.Errorf("Redis Cloud holds %+v, want key %s", a, after.KeyID)
	}
}

// A key older than propagation.KeyWindow that AWS refuses is not
// propagating: verify fails it at once, saying to repair it. (The test
// waits for the key to be that old.)
func TestVerifyFailsAnOldRefusedKey(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	time.Sleep(propagation.KeyWindow + time.Second)
	p := faults.Start(t, acct.Endpoint, faults.Options{})
	p.SetRule(func(r faults.Request) faults.Fault {
		if r.Service == "sts" && r.Nth > 1 { // the reader's own caller identity passes
			return faults.Fault{Kind: faults.InvalidClientTokenID}
		}
		return faults.Fault{}
	})
	start := time.Now()
	out, _ := verifyJSON(t, p.Via(acct), 1)
	found := false
	for _, c := range out.Checks {
		if c.ID == "key-secret" {
			found = c.Status == "fail" && strings.Contains(c.Message, "does not sign") && strings.Contains(c.Message, "rciam apply")
		}
	}
	if !found || time.Since(start) > 10*time.Second {
		t.Errorf("verify of an old refused key (%s): %+v", time.Since(start), out.Checks)
	}
}
