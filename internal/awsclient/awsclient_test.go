package awsclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestRoundsCountsDependentDepth(t *testing.T) {
	t.Parallel()
	at := func(s, e int) Call {
		base := time.Unix(0, 0)
		return Call{Start: base.Add(time.Duration(s) * time.Millisecond), End: base.Add(time.Duration(e) * time.Millisecond)}
	}
	cases := []struct {
		name  string
		calls []Call
		want  int
	}{
		{"none", nil, 0},
		{"parallel", []Call{at(0, 10), at(1, 9), at(2, 8)}, 1},
		{"chain", []Call{at(0, 10), at(11, 20), at(21, 30)}, 3},
		// the second wave starts when its own dependency ends, while a
		// slow call of the first wave is still running: still 2 deep
		{"overlapping waves", []Call{at(0, 5), at(0, 50), at(6, 10)}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Rounds(tc.calls); got != tc.want {
				t.Errorf("Rounds = %d, want %d", got, tc.want)
			}
		})
	}
}

func testConfig(url string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIATEST", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return NewRetryer(aws.RetryModeStandard, 5) },
		HTTPClient:   httpClient(),
	}
}

// An emulator's HTML 500 "not implemented" page must be answered at once
// and classified as unavailable, not retried for minutes.
func TestHTML500IsUnavailableAndNotRetried(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(500)
		_, _ = w.Write([]byte("<!doctype html><title>500 Internal Server Error</title>"))
	}))
	defer srv.Close()
	_, err := iam.NewFromConfig(testConfig(srv.URL)).SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/x"), ActionNames: []string{"ec2:RunInstances"},
	})
	if !IsUnavailable(err) {
		t.Fatalf("IsUnavailable(%v) = false", err)
	}
	if hits != 1 {
		t.Errorf("requests = %d, want 1", hits)
	}
}

// A real AWS 500 (an error document) is retried.
func TestAWS500IsRetried(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/xml")
		if hits < 3 {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>x</Message></Error></ErrorResponse>`))
			return
		}
		_, _ = w.Write([]byte(`<GetUserResponse><GetUserResult><User><UserName>u</UserName><Arn>arn:aws:iam::1:user/u</Arn><UserId>X</UserId><Path>/</Path><CreateDate>2020-01-01T00:00:00Z</CreateDate></User></GetUserResult></GetUserResponse>`))
	}))
	defer srv.Close()
	if _, err := iam.NewFromConfig(testConfig(srv.URL)).GetUser(context.Background(), &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}
	if hits != 3 {
		t.Errorf("requests = %d, want 3", hits)
	}
}

// A closed port is reported within seconds, as one readable line.
func TestRefusedConnectionFailsFast(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = iam.NewFromConfig(testConfig(url)).GetUser(context.Background(), &iam.GetUserInput{})
	if err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if !IsConnectivity(err) {
		t.Errorf("IsConnectivity(%v) = false", err)
	}
	if got := Short(err); got != "cannot reach "+url+": connection refused" {
		t.Errorf("Short = %q", got)
	}
	var ce *CallError
	if !errors.As(Wrap("read user", err), &ce) {
		t.Error("Wrap lost its type")
	}
}
