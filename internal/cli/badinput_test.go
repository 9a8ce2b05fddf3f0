package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/golden"
)

// Bad input: one clear line on stderr, a non-zero exit, within seconds, and
// no change to the account (docs/behaviour.md, "Bad input changes nothing").
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	big := filepath.Join(t.TempDir(), "big.json")
	var stmts []string
	for i := 0; i < 120; i++ {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}`, i))
	}
	if err := os.WriteFile(big, []byte(`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	inst := "../policysource/bundled/docs-v1/RedisLabsInstanceRolePolicy.json"
	cases := []struct {
		name string
		args []string
	}{
		{"unknown output", []string{"--output", "yaml", "apply", "--yes"}},
		{"unknown layout", []string{"apply", "--yes", "--layout", "enterprise"}},
		{"unknown flag", []string{"apply", "--yes", "--colour"}},
		{"unknown policy version", []string{"apply", "--yes", "--policy-version", "v9"}},
		{"unreadable policy file", []string{"apply", "--yes", "--instance-policy-file", "/nonexistent", "--user-policy-file", inst}},
		{"oversized policy", []string{"apply", "--yes", "--instance-policy-file", inst, "--user-policy-file", big}},
		{"no terminal, no --yes", []string{"apply"}},
		{"destroy: no terminal, no --yes", []string{"destroy"}},
		{"invalid region", []string{"plan", "--region", "us_east_1"}},
		{"output for verify only", []string{"plan", "--output", "JUnit"}},
		{"unknown command", []string{"plna"}},
		{"unknown subcommand", []string{"policy", "lst"}},
		{"unknown stackset subcommand", []string{"stackset", "deplo"}},
	}
	// The error lines are compared whole with testdata/bad-input.txt
	// (internal/testenv/golden), the scratch directory written as $TMP.
	var lines bytes.Buffer
	for _, tc := range cases {
		start := time.Now()
		res := rciam(t, acct, runOpts{}, tc.args...)
		if res.code != 1 {
			t.Errorf("%s: exit %d, want 1; stderr %s", tc.name, res.code, res.stderr)
		}
		res.oneLine(t)
		if w := writes(res.calls); len(w) > 0 {
			t.Errorf("%s: bad input made writes: %v", tc.name, w)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s", tc.name, d)
		}
		fmt.Fprintf(&lines, "%s\n  %s", tc.name, strings.ReplaceAll(res.stderr, filepath.Dir(big), "$TMP"))
	}
	golden.Check(t, "bad-input.txt", lines.Bytes())
}

// A closed endpoint is reported within 10 s as one line.
func TestClosedEndpoint(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	acct := &testenv.Account{ID: "000000000000", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "x", Endpoint: addr}
	start := time.Now()
	res := rciam(t, acct, runOpts{}, "plan")
	res.mustCode(t, 1)
	res.oneLine(t, "cannot reach "+addr)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
}

// The confirmation accepts only the word yes.
func TestApplyConfirmation(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	no := rciam(t, acct, runOpts{tty: true, stdin: "y\n"}, "apply").mustCode(t, 1)
	if !strings.Contains(no.stderr, "cancelled") || len(writes(no.calls)) > 0 {
		t.Errorf("answer y: %s (writes %v)", no.stderr, writes(no.calls))
	}
	rciam(t, acct, runOpts{tty: true, stdin: "yes\n"}, "apply").mustCode(t, 0)
	// Nothing to change: no question is asked, so empty stdin is fine.
	rciam(t, acct, runOpts{tty: true}, "apply").mustCode(t, 0)
}

// No credentials anywhere: one line that says where credentials come from.
func TestNoCredentials(t *testing.T) {
	// Not parallel: it empties the environment the AWS SDK reads, which
	// only a test that runs alone may do.
	acct := testenv.NeedMoto(t, moto)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	start := time.Now()
	res := rciam(t, nil, runOpts{}, "plan", "--endpoint-url", acct.Endpoint, "--region", testenv.Region).mustCode(t, 1)
	res.oneLine(t, "no AWS credentials found")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
}

// An endpoint that answers, but not as an AWS API (a web server, a wrong
// port), is named in one line.
func TestEndpointThatIsNotAWS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><body>Not Found</body></html>"))
	}))
	defer srv.Close()
	acct := &testenv.Account{ID: "000000000000", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "x", Endpoint: srv.URL}
	res := rciam(t, acct, runOpts{}, "plan").mustCode(t, 1)
	res.oneLine(t, srv.URL+" answered HTTP 404, not as an AWS API answers: check --endpoint-url")
	if strings.Contains(res.stderr, "UnknownError") {
		t.Errorf("SDK jargon: %s", res.stderr)
	}
}

// ctrlC is a terminal where the user presses Ctrl-C at the prompt: the
// first read cancels the run's context, as the signal does, and blocks.
type ctrlC struct {
	cancel context.CancelFunc
	block  chan struct{}
}

func (c ctrlC) Read([]byte) (int, error) {
	c.cancel()
	<-c.block
	return 0, io.EOF
}

// Ctrl-C while apply asks for confirmation is an interrupt: exit 130, the
// prompt's line ended, the stop line on its own line, nothing changed.
func TestCtrlCAtTheConfirmation(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	ctx, cancel := context.WithCancel(context.Background())
	in := ctrlC{cancel: cancel, block: make(chan struct{})}
	defer close(in.block)
	res := rciam(t, acct, runOpts{tty: true, in: in, ctx: ctx}, "apply", "--no-color").mustCode(t, 130)
	if !strings.HasSuffix(res.stderr, "Enter a value: \nrciam: interrupted: nothing was changed; run apply again to finish\n") {
		t.Errorf("stderr ends %q", res.stderr[max(0, len(res.stderr)-120):])
	}
	if w := writes(res.calls); len(w) > 0 {
		t.Errorf("writes %v", w)
	}
}
