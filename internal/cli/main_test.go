package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, &moto)) }

// result is one in-process run of rciam.
type result struct {
	stdout, stderr string
	code           int
	calls          []awsclient.Call
}

// runOpts shape an in-process run.
type runOpts struct {
	stdin      string
	tty        bool
	apiOptions []func(*middleware.Stack) error
	ctx        context.Context
}

// rciam runs one command line in-process against acct (nil: no
// credentials or endpoint at all), recording every AWS call.
func rciam(t *testing.T, acct *testenv.Account, o runOpts, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(o.stdin)
	if o.tty {
		ios.SetTTY(true, true, true)
	}
	f := NewFactory(ios)
	rec := &awsclient.Recorder{}
	f.apiOptions = append([]func(*middleware.Stack) error{rec.APIOption}, o.apiOptions...)
	if acct != nil {
		f.credentials = credentials.NewStaticCredentialsProvider(acct.AccessKeyID, acct.SecretAccessKey, "")
		args = append([]string{"--endpoint-url", acct.Endpoint, "--region", testenv.Region}, args...)
	}
	ctx := o.ctx
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
	}
	code := run(ctx, f, args)
	return result{stdout: out.String(), stderr: errOut.String(), code: code, calls: rec.Calls()}
}

func (r result) mustCode(t *testing.T, want int) result {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
	return r
}

// oneLine asserts stderr is exactly one line and contains each want.
func (r result) oneLine(t *testing.T, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 {
		t.Errorf("stderr has %d lines, want 1:\n%s", len(lines), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
}

// writes counts calls other than reads.
func writes(calls []awsclient.Call) []string {
	var out []string
	for _, c := range calls {
		op := c.Operation
		if strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Simulate") {
			continue
		}
		out = append(out, c.Service+"."+op)
	}
	return out
}
