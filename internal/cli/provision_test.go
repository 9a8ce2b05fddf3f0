package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

// The "done when", end to end: apply on an empty account makes
// exactly docs/entities.md's entities; a second apply changes nothing and keeps the
// key; plan exits 0; outputs carry six keys and no secret; destroy leaves
// nothing; a new apply works (restoring the secrets).
func TestProvisionLifecycle(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	first := rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{})
	if !strings.Contains(first.stdout, st.KeyID) || !strings.Contains(first.stdout, "accessSecretKey") {
		t.Errorf("apply did not print the outputs:\n%s", first.stdout)
	}

	second := rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if w := writes(second.calls); len(w) != 0 {
		t.Errorf("second apply wrote %v", w)
	}
	if !strings.Contains(second.stderr, "No changes") {
		t.Errorf("second apply did not say no changes:\n%s", second.stderr)
	}
	if again := testenv.CheckSpec(t, moto, acct, testenv.Spec{}); again.KeyID != st.KeyID {
		t.Errorf("key changed from %s to %s", st.KeyID, again.KeyID)
	}
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 0)

	out := rciam(t, acct, runOpts{}, "outputs", "--output", "json").mustCode(t, 0)
	o := outputsJSON(t, out.stdout)
	for _, k := range []string{"accessKeyId", "accessSecretKey", "consolePassword", "consoleUsername", "signInLoginUrl", "IAMRoleName"} {
		if o[k] == "" {
			t.Errorf("outputs lack %s: %v", k, o)
		}
	}
	if len(o) != 6 || o["accessKeyId"] != st.KeyID || o["consoleUsername"] != "redislabs-user" || o["IAMRoleName"] != "redislabs-role" ||
		o["signInLoginUrl"] != "https://"+acct.ID+".signin.aws.amazon.com/console" || !strings.HasPrefix(o["accessSecretKey"], "arn:aws:secretsmanager:") {
		t.Errorf("outputs = %v", o)
	}
	if strings.Contains(out.stdout, st.KeySecret) || strings.Contains(out.stdout, st.Password) {
		t.Error("outputs printed a secret without --show-secrets")
	}
	shown := rciam(t, acct, runOpts{}, "outputs", "--output", "json", "--show-secrets").mustCode(t, 0)
	o = outputsJSON(t, shown.stdout)
	if o["accessSecretKey"] != st.KeySecret || o["consolePassword"] != st.Password {
		t.Error("--show-secrets did not print the stored secrets")
	}
	api := rciam(t, acct, runOpts{}, "outputs", "--format", "api", "--show-secrets", "--name", "prod").mustCode(t, 0)
	var body map[string]string
	_ = json.Unmarshal([]byte(api.stdout), &body)
	if body["name"] != "prod" || body["provider"] != "AWS" || body["accessKeyId"] != st.KeyID || body["accessSecretKey"] != st.KeySecret ||
		body["consolePassword"] != st.Password || len(body) != 7 {
		t.Errorf("api body = %v", body)
	}

	rciam(t, acct, runOpts{}, "destroy", "--yes").mustCode(t, 0)
	expectNothingLeft(t, acct)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})
}

func expectNothingLeft(t *testing.T, acct *testenv.Account) {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(acct.Config())
	for _, name := range []string{"redislabs-role", "redislabs-cluster-node-role"} {
		if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); !awsclient.IsNotFound(err) {
			t.Errorf("role %s still there (%v)", name, err)
		}
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("redislabs-user")}); !awsclient.IsNotFound(err) {
		t.Errorf("user still there (%v)", err)
	}
	if _, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("redislabs-cluster-node-role")}); !awsclient.IsNotFound(err) {
		t.Errorf("instance profile still there (%v)", err)
	}
	pols, _ := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})
	if len(pols.Policies) != 0 {
		t.Errorf("%d local policies left", len(pols.Policies))
	}
	secs, _ := secretsmanager.NewFromConfig(acct.Config()).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if len(secs.SecretList) != 0 {
		t.Errorf("%d secrets not scheduled for deletion", len(secs.SecretList))
	}
}

// docs/behaviour.md, "Fast": on an empty account apply needs at most 6 dependent
// rounds, the first read included, and the first read needs no account id.
// Every request is slowed (slow), so that calls started together overlap
// however the goroutines are scheduled on a loaded machine.
func TestApplyRoundsOnEmptyAccount(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	res := rciam(t, slow(t, acct, nil).Via(acct), runOpts{}, "apply", "--yes").mustCode(t, 0)
	roundsWithin(t, "apply", res.calls, 6)
	firstEnd, sawGAAD := res.calls[0].End, false
	for _, c := range res.calls {
		if c.Operation == "GetAccountAuthorizationDetails" && !sawGAAD {
			sawGAAD = true
			if c.Start.After(firstEnd) {
				t.Error("GetAccountAuthorizationDetails did not start in the first round")
			}
		}
		if c.Operation == "TagRole" || c.Operation == "TagUser" || c.Operation == "TagPolicy" || c.Operation == "TagInstanceProfile" || c.Operation == "TagResource" {
			t.Errorf("apply on an empty account called %s: tags belong in the create calls", c.Operation)
		}
	}
}

// slowLatency is what slow adds to every request: far more than the
// scheduling delay between calls a run starts together, even under -race
// on a loaded machine, so that the wall-clock rounds awsclient.Rounds
// counts are the dependent rounds of the code.
const slowLatency = 150 * time.Millisecond

// slow starts a proxy in front of acct's endpoint that delays every
// request by slowLatency; rule, when set, decides other faults first.
func slow(t *testing.T, acct *testenv.Account, rule faults.Rule) *faults.Proxy {
	t.Helper()
	p := faults.Start(t, acct.Endpoint, faults.Options{Latency: slowLatency})
	p.SetRule(func(r faults.Request) faults.Fault {
		if rule != nil {
			if f := rule(r); f.Kind != faults.None {
				return f
			}
		}
		return faults.Fault{Kind: faults.Latency}
	})
	return p
}

// roundsWithin fails when calls took more than max dependent rounds,
// listing them.
func roundsWithin(t *testing.T, what string, calls []awsclient.Call, max int) {
	t.Helper()
	got := awsclient.Rounds(calls)
	t.Logf("%s: %d dependent rounds, %d calls", what, got, len(calls))
	if got > max {
		t.Errorf("%s took %d dependent rounds, want ≤ %d", what, got, max)
		for _, c := range calls {
			t.Logf("%s %s %s–%s", c.Service, c.Operation, c.Start.Format("15:04:05.000"), c.End.Format("15:04:05.000"))
		}
	}
}

// outputsJSON reads the outputs' JSON: the six outputs and the schema.
func outputsJSON(t *testing.T, stdout string) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("outputs json: %v\n%s", err, stdout)
	}
	if raw["schema"] != float64(1) {
		t.Errorf("outputs json: schema %v, want 1", raw["schema"])
	}
	delete(raw, "schema")
	o := map[string]string{}
	for k, v := range raw {
		o[k], _ = v.(string)
	}
	return o
}
