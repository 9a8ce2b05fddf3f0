package account

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/propagation"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

// On real AWS verify reads SimulatePrincipalPolicy's results: an action
// an SCP denies is its own failure, other denials are listed, every page
// is read, and Redis Cloud's context keys are sent (docs/behaviour.md,
// "What Redis Cloud's requests carry").
func TestSimulateUserReadsResults(t *testing.T) {
	t.Parallel()
	var forms []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		forms = append(forms, r.Form.Encode())
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("Marker") == "" {
			_, _ = w.Write([]byte(`<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><IsTruncated>true</IsTruncated><Marker>m1</Marker><EvaluationResults>
<member><EvalActionName>ec2:RunInstances</EvalActionName><EvalDecision>explicitDeny</EvalDecision><OrganizationsDecisionDetail><AllowedByOrganizations>false</AllowedByOrganizations></OrganizationsDecisionDetail></member>
<member><EvalActionName>ec2:CreateVpc</EvalActionName><EvalDecision>allowed</EvalDecision></member>
</EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>`))
			return
		}
		_, _ = w.Write([]byte(`<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>
<member><EvalActionName>support:CreateCase</EvalActionName><EvalDecision>implicitDeny</EvalDecision></member>
</EvaluationResults></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIATEST", "x", "")}
	d := fixture.Want(t, desired.LayoutCloud)
	sim := New(cfg).simulateUser(context.Background(), d, fixture.Converged(d))
	if sim == nil || sim.Err != nil || sim.Unavailable {
		t.Fatalf("sim = %+v", sim)
	}
	if strings.Join(sim.OrgDenied, ",") != "ec2:RunInstances" || strings.Join(sim.Denied, ",") != "support:CreateCase" {
		t.Errorf("org denied %v, denied %v", sim.OrgDenied, sim.Denied)
	}
	if len(forms) != 2 || !strings.Contains(forms[0], "aws%3ARequestTag%2FRedisLabsIdentifier") || !strings.Contains(forms[0], "kms%3AGrantIsForAWSResource") {
		t.Errorf("requests: %v", forms)
	}
}

// fakeSTS answers GetCallerIdentity: refused (InvalidClientTokenId) for
// the first refusals calls, then as redislabs-user. It counts the calls.
func fakeSTS(t *testing.T, refusals int) (*Target, *int) {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "text/xml")
		if calls <= refusals {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>`))
			return
		}
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/redislabs-user</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIATEST", "x", "")}
	tg := New(cfg)
	tg.GateInterval = 50 * time.Millisecond
	return tg, &calls
}

// A key AWS refuses is propagating while it is young: verify asks again
// until it signs (pass) or the key is propagation.KeyWindow old (warn); an
// older key that is refused fails at once.
func TestProveKeyRidesOutPropagation(t *testing.T) {
	t.Parallel()
	state := func(age time.Duration) *live.State {
		return &live.State{Keys: []live.AccessKey{{ID: "AKIAYOUNG", Active: true, Created: time.Now().Add(-age)}}}
	}
	ctx := context.Background()
	sec := secret.New("s")

	tg, calls := fakeSTS(t, 3)
	if p := tg.proveKey(ctx, state(time.Second), sec); p.Err != nil || !strings.HasSuffix(p.ARN, ":user/redislabs-user") || *calls != 4 {
		t.Errorf("young key accepted after 3 refusals: %+v after %d calls", p, *calls)
	}
	tg, calls = fakeSTS(t, 1000)
	start := time.Now()
	p := tg.proveKey(ctx, state(propagation.KeyWindow-500*time.Millisecond), sec)
	if p.Err == nil || !p.Propagating || time.Since(start) > 3*time.Second || *calls < 2 {
		t.Errorf("young key refused to the end: %+v in %s after %d calls", p, time.Since(start), *calls)
	}
	tg, calls = fakeSTS(t, 1000)
	if p := tg.proveKey(ctx, state(time.Minute), sec); p.Err == nil || p.Propagating || *calls != 1 {
		t.Errorf("old key refused: %+v after %d calls", p, *calls)
	}
}
