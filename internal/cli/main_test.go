package cli

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	// Tests never reach the internet: the default policy source is the
	// bundled docs-v1 (tests of --policy-source serve it on 127.0.0.1), and
	// fetched documents are cached in a directory of this run only.
	os.Setenv("RCIAM_POLICY_SOURCE", "docs-v1")
	// The go command keeps its build cache under XDG_CACHE_HOME unless told
	// otherwise: pin it first, so buildRciam reuses the warm one.
	if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil && os.Getenv("GOCACHE") == "" {
		os.Setenv("GOCACHE", strings.TrimSpace(string(out)))
	}
	cache, err := os.MkdirTemp("", "rciam-cache")
	if err == nil {
		os.Setenv("XDG_CACHE_HOME", cache)
	}
	code := testenv.RunWithMoto(m, &moto)
	os.RemoveAll(cache)
	if builtRciam.dir != "" {
		os.RemoveAll(builtRciam.dir)
	}
	os.Exit(code)
}

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
	// env overrides environment variables the run reads (Redis Cloud).
	env map[string]string
	// rotateAfter injects failures after rotate-key's steps.
	rotateAfter func(step string) error
	// in, when set, replaces stdin.
	in io.Reader
}

// rciam runs one command line in-process against acct (nil: no
// credentials or endpoint at all), recording every AWS call.
func rciam(t testing.TB, acct *testenv.Account, o runOpts, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(o.stdin)
	if o.tty {
		ios.SetTTY(true, true, true)
	}
	if o.in != nil {
		ios.In = o.in
	}
	f := NewFactory(ios)
	f.getenv = func(k string) string {
		if v, ok := o.env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	f.gateInterval, f.rotateAfter = 5*time.Millisecond, o.rotateAfter
	f.redisTuning = func(ro *rediscloud.Options) {
		ro.PollInterval, ro.InvalidCredsWait = 10*time.Millisecond, 10*time.Millisecond
	}
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

// emulatorNote is the line plan and apply print on the emulator, which
// lacks iam:SimulatePrincipalPolicy.
const emulatorNote = "note: permissions not checked before the first change: this endpoint does not implement iam:SimulatePrincipalPolicy"

// oneLine asserts stderr is exactly one line, besides emulatorNote, and
// contains each want.
func (r result) oneLine(t *testing.T, want ...string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
		if l != emulatorNote {
			lines = append(lines, l)
		}
	}
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
		if readOnly(c.Operation) {
			continue
		}
		out = append(out, c.Service+"."+c.Operation)
	}
	return out
}
