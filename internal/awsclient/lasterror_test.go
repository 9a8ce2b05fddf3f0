package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/middleware"
)

// LastError sees every attempt, also those the retryer rode out and those
// a deadline cut short, so a --timeout message can name what AWS said.
func TestRecorderLastErrorSeesRetriedAttempts(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`))
	}))
	defer srv.Close()
	rec := &Recorder{}
	cfg := testConfig(srv.URL)
	cfg.APIOptions = []func(*middleware.Stack) error{rec.APIOption}
	if _, ok := rec.LastError(); ok {
		t.Fatal("LastError before any call")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")})
	if got := Short(err); got != "timed out" && got != "Throttling: Rate exceeded" {
		t.Errorf("Short = %q", got)
	}
	last, ok := rec.LastError()
	if !ok || last.Operation != "GetUser" || last.Service != "IAM" || Short(last.Err) != "Throttling: Rate exceeded" {
		t.Errorf("LastError = %+v, %v", last, ok)
	}
	if n := len(rec.Calls()); n != 1 || hits < 1 {
		t.Errorf("%d calls recorded for %d attempts, want 1", n, hits)
	}
}

// An answer a caller expects (NoSuchEntity: no password policy, no such
// key) is not a fault: a later --timeout line must not name it.
func TestRecorderLastErrorIgnoresExpectedAnswers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The Password Policy cannot be found.</Message></Error></ErrorResponse>`))
	}))
	defer srv.Close()
	rec := &Recorder{}
	cfg := testConfig(srv.URL)
	cfg.APIOptions = []func(*middleware.Stack) error{rec.APIOption}
	if _, err := iam.NewFromConfig(cfg).GetAccountPasswordPolicy(context.Background(), &iam.GetAccountPasswordPolicyInput{}); err == nil {
		t.Fatal("no error")
	}
	if last, ok := rec.LastError(); ok {
		t.Errorf("LastError = %+v, want none", last)
	}
}
