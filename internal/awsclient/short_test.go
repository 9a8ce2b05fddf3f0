package awsclient

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// A call that got no response names what happened to the connection, and
// a cancelled one says so: never "HTTP 0 from AWS".
func TestShortWithoutResponse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}))
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Retryer = func() aws.Retryer { return NewRetryer(aws.RetryModeStandard, 1) }
	_, err := iam.NewFromConfig(cfg).GetUser(context.Background(), &iam.GetUserInput{})
	got := Short(err)
	if !strings.HasPrefix(got, "no response from "+srv.URL+": ") || strings.Contains(got, "HTTP 0") {
		t.Errorf("reset: Short = %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{})
	if got := Short(err); got != "cancelled" {
		t.Errorf("cancelled: Short = %q", got)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 0)
	defer cancel()
	_, err = iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{})
	if got := Short(err); got != "timed out" {
		t.Errorf("deadline: Short = %q", got)
	}
}

func TestShortAccessDenied(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&smithy.OperationError{ServiceID: "IAM", OperationName: "CreateRole", Err: &smithy.GenericAPIError{Code: "AccessDenied",
			Message: "User: arn:aws:iam::111122223333:user/ops is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111122223333:role/redislabs-role because no identity-based policy allows the iam:CreateRole action"}},
			"access denied: arn:aws:iam::111122223333:user/ops may not perform iam:CreateRole on arn:aws:iam::111122223333:role/redislabs-role (because no identity-based policy allows the iam:CreateRole action); 'rciam render --format operator-policy' prints the policy rciam needs"},
		{&smithy.OperationError{ServiceID: "Organizations", OperationName: "ListParents", Err: &smithy.GenericAPIError{Code: "AccessDeniedException",
			Message: "You don't have permissions to access this resource."}},
			"access denied: the caller may not perform organizations:ListParents on a resource AWS did not name (AWS: You don't have permissions to access this resource); 'rciam render --format operator-policy' prints the policy rciam needs"},
		{&smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &smithy.GenericAPIError{Code: "AccessDeniedException",
			Message: "User: arn:aws:sts::111122223333:assumed-role/ops/s is not authorized to perform: secretsmanager:GetSecretValue on resource: /redislabsuser/password with an explicit deny in a service control policy"}},
			"access denied: arn:aws:sts::111122223333:assumed-role/ops/s may not perform secretsmanager:GetSecretValue on /redislabsuser/password (with an explicit deny in a service control policy); 'rciam render --format operator-policy' prints the policy rciam needs"},
	}
	for _, c := range cases {
		if got := Short(c.err); got != c.want {
			t.Errorf("Short =\n%s\nwant\n%s", got, c.want)
		}
	}
}
