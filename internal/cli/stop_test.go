package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

// Every command that calls AWS ends a run stopped by --timeout or Ctrl-C
// with the same stop line: what was stopped, why, and to run it again
// (docs/behaviour.md, "Bounded" and "Interruptible"). AWS never answers
// here: every request is held until the client gives up.
func TestEveryCommandPrintsTheStopLine(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	stalled := faults.Start(t, acct.Endpoint, faults.Options{Latency: time.Minute})
	stalled.SetRule(func(faults.Request) faults.Fault { return faults.Fault{Kind: faults.Latency} })
	via := stalled.Via(acct)
	redis := runOpts{env: map[string]string{"REDISCLOUD_ACCESS_KEY": apiKey, "REDISCLOUD_SECRET_KEY": apiSecret, "REDISCLOUD_URL": "http://127.0.0.1:9/v1"}}
	for _, tc := range []struct {
		command  string
		args     []string
		left     string
		stopCode int
	}{
		{"plan", nil, "nothing was changed", 1},
		{"apply", []string{"--yes"}, "nothing was changed", 1},
		{"verify", nil, "nothing was changed", 3},
		{"outputs", nil, "nothing was changed", 1},
		{"destroy", []string{"--yes"}, "nothing was changed", 1},
		{"register", []string{"--name", "prod"}, "what was done is kept", 1},
		{"rotate-key", nil, "what was done is kept", 1},
	} {
		t.Run(tc.command, func(t *testing.T) {
			t.Parallel()
			args := append([]string{tc.command}, tc.args...)
			res := rciam(t, via, redis, append([]string{"--timeout", "1s"}, args...)...).mustCode(t, tc.stopCode)
			res.oneLine(t)
			want := "rciam: " + tc.command + " stopped: --timeout 1s reached; " + tc.left + ": run " + tc.command + " again to finish\n"
			if res.stderr != want {
				t.Errorf("--timeout:\n got %q\nwant %q", res.stderr, want)
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(500*time.Millisecond, cancel)
			o := redis
			o.ctx = ctx
			res = rciam(t, via, o, args...).mustCode(t, 130)
			res.oneLine(t)
			if want := "rciam: interrupted: " + tc.left + "; run " + tc.command + " again to finish\n"; res.stderr != want {
				t.Errorf("Ctrl-C:\n got %q\nwant %q", res.stderr, want)
			}
			if w := writes(res.calls); len(w) > 0 || strings.Contains(res.stdout, "{") {
				t.Errorf("a stopped %s wrote %v, printed %q", tc.command, w, res.stdout)
			}
		})
	}
}
