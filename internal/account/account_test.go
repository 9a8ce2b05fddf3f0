package account

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
)

// Root credentials are refused unless allowed, and other partitions always
// (Redis Cloud's account exists only in aws), before anything is written.
func TestCheckCaller(t *testing.T) {
	t.Parallel()
	tg := &Target{}
	root := &live.State{CallerARN: "arn:aws:iam::123456789012:root", Partition: "aws"}
	if err := tg.checkCaller(root); err == nil || !strings.Contains(err.Error(), "--allow-root") {
		t.Errorf("root: %v", err)
	}
	tg.AllowRoot = true
	if err := tg.checkCaller(root); err != nil {
		t.Errorf("root with --allow-root: %v", err)
	}
	if err := tg.checkCaller(&live.State{CallerARN: "arn:aws-cn:iam::123456789012:user/x", Partition: "aws-cn"}); err == nil || !strings.Contains(err.Error(), "aws partition") {
		t.Errorf("aws-cn: %v", err)
	}
}

// The pre-flight simulates the IAM principal behind the caller: a user as
// it is, an assumed-role session as its role; anything else is skipped.
func TestPrincipalARN(t *testing.T) {
	t.Parallel()
	for caller, want := range map[string]string{
		"arn:aws:iam::123456789012:user/admin":                      "arn:aws:iam::123456789012:user/admin",
		"arn:aws:sts::123456789012:assumed-role/Admin/session-name": "arn:aws:iam::123456789012:role/Admin",
		"arn:aws:sts::123456789012:federated-user/alice":            "",
		"arn:aws:iam::123456789012:root":                            "",
		"not an arn":                                                "",
	} {
		if got := principalARN(caller); got != want {
			t.Errorf("principalARN(%s) = %q, want %q", caller, got, want)
		}
	}
}

// CheckPermissions asks once about every planned action on every planned
// resource, for the caller's role with its path, reads every page, and
// tells refused permissions from those a condition kept undecided.
func TestCheckPermissions(t *testing.T) {
	t.Parallel()
	var sources []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		sources = append(sources, r.Form.Get("PolicySourceArn"))
		res := func(action, resource, decision, missing string) string {
			m := ""
			if missing != "" {
				m = "<member>" + missing + "</member>"
			}
			return "<member><EvalActionName>" + action + "</EvalActionName><EvalResourceName>" + resource + "</EvalResourceName><EvalDecision>" + decision +
				"</EvalDecision><MissingContextValues>" + m + "</MissingContextValues></member>"
		}
		role := "arn:aws:iam::123456789012:role/redislabs-cluster-node-role"
		body := res("iam:CreateRole", role, "allowed", "")
		truncated := "<IsTruncated>true</IsTruncated><Marker>page2</Marker>"
		if r.Form.Get("Marker") == "page2" {
			body = res("iam:TagRole", role, "implicitDeny", "aws:RequestTag/UsedBy")
			truncated = "<IsTruncated>false</IsTruncated>"
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>%s<EvaluationResults>%s</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`, truncated, body)
	}))
	defer srv.Close()
	tg := &Target{IAM: iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})}
	l := &live.State{AccountID: "123456789012", Partition: "aws", Region: "eu-west-1",
		CallerARN: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice",
		Roles:     map[string]*live.Role{"awsreservedsso_admin_0123": {Name: "AWSReservedSSO_Admin_0123", ARN: "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"}},
		Secrets:   map[string]*live.Secret{}}
	p := &plan.Plan{Steps: []plan.Step{
		{ID: "CreateRole role/redislabs-cluster-node-role", Op: plan.OpCreateRole, Name: "redislabs-cluster-node-role", Tags: map[string]string{"UsedBy": "RedisLabs"}},
		{ID: "AttachRolePolicy role/redislabs-cluster-node-role", Op: plan.OpAttachRolePolicy, Name: "redislabs-cluster-node-role"},
	}}
	got := tg.CheckPermissions(context.Background(), &Prepared{Live: l, Plan: p})
	if len(sources) != 2 || sources[0] != "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123" {
		t.Errorf("simulated %v: want the role's ARN with its path, two pages", sources)
	}
	// TagRole lacked a context key; AttachRolePolicy is in no answer:
	// neither is decided, neither is denied.
	if got.Note != "" || len(got.Denied) != 0 || len(got.Undecided) != 2 ||
		got.Undecided[0].Action != "iam:TagRole" || got.Undecided[1].Action != "iam:AttachRolePolicy" {
		t.Errorf("denied %+v, undecided %+v (note %q)", got.Denied, got.Undecided, got.Note)
	}
}
