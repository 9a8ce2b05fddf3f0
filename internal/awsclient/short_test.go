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
