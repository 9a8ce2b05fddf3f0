package account

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rciam/rciam/internal/desired"
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
