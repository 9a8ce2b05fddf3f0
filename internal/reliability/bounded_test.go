package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// throttle answers Throttling to every request when match is nil, else to
// those match accepts.
func throttle(match func(faults.Request) bool) faults.Rule {
	return func(r faults.Request) faults.Fault {
		if match == nil || match(r) {
			return faults.Fault{Kind: faults.Throttle}
		}
		return faults.Fault{}
	}
}

// TestTimeoutBoundsPersistentThrottling: with every write (or every
// request) throttled, apply gives up when --timeout runs out, with one
// line naming the last AWS error and what is left to do, and what it did
// is kept for the next apply.
func TestTimeoutBoundsPersistentThrottling(t *testing.T) {
	t.Parallel()
	const limit = 4 * time.Second
	cases := []struct {
		name  string
		match func(faults.Request) bool
		left  string
	}{
		{"writes", func(r faults.Request) bool { return isWrite(faults.Event{Request: r}) }, "steps left to do"},
		{"everything", nil, "nothing was changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, 0)
			w.proxy.SetRule(throttle(c.match))
			pr := w.run(append([]string{"--timeout", limit.String()}, applyArgs...)...).want(t, 1)
			within(t, "apply under persistent throttling", pr.exit.Sub(pr.start), limit+2*time.Second)
			last := pr.lastLine()
			for _, want := range []string{"rciam: apply stopped: --timeout 4s reached", "last AWS error: ", "Throttling", ": Rate exceeded", c.left, "run apply again"} {
				if !strings.Contains(last, want) {
					t.Errorf("last line lacks %q: %s", want, last)
				}
			}
			if n := strings.Count(pr.stderr.String(), "rciam:"); n != 1 {
				t.Errorf("%d error lines, want 1:\n%s", n, pr.stderr.String())
			}
			if strings.Contains(pr.stderr.String(), "quota") {
				t.Errorf("a client-side retry quota ran out:\n%s", pr.stderr.String())
			}
			figures.set("bounded", "stoppedAfter/"+c.name, pr.exit.Sub(pr.start).Round(time.Millisecond).String())
			w.proxy.SetRule(nil)
			quiet(t, w.proxy)
			w.run(applyArgs...).want(t, 0)
			specState(t, w)
		})
	}
}

// TestTimeoutBoundsDestroy: destroy under throttled writes gives up at
// --timeout in one line saying what is left, and the next destroy finishes.
func TestTimeoutBoundsDestroy(t *testing.T) {
	t.Parallel()
	const limit = 4 * time.Second
	w := newWorldOn(t, motoDestroy, 0)
	converged(t, w)
	w.proxy.SetRule(throttle(func(r faults.Request) bool { return isWrite(faults.Event{Request: r}) }))
	pr := w.run(append([]string{"--timeout", limit.String()}, destroyArgs...)...).want(t, 1)
	within(t, "destroy under persistent throttling", pr.exit.Sub(pr.start), limit+2*time.Second)
	last := pr.lastLine()
	for _, want := range []string{"rciam: destroy stopped: --timeout 4s reached", "last AWS error: ", "Throttling", "steps left to do", "run destroy again"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line lacks %q: %s", want, last)
		}
	}
	w.proxy.SetRule(nil)
	quiet(t, w.proxy)
	w.run(destroyArgs...).want(t, 0)
	gone(t, w.acct)
}

// TestRetryModesAreHonoured throttles every sts:GetCallerIdentity: the
// proxy's timeline must show exactly AWS_MAX_ATTEMPTS attempts (5 when
// unset), in standard and adaptive mode, spaced by the SDK's exponential
// back-off with jitter, and apply fails with the AWS error in one line.
func TestRetryModesAreHonoured(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env      []string
		attempts int
	}{
		{nil, 5},
		{[]string{"AWS_MAX_ATTEMPTS=1"}, 1},
		{[]string{"AWS_MAX_ATTEMPTS=3"}, 3},
		{[]string{"AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=2"}, 2},
		{[]string{"AWS_RETRY_MODE=adaptive", "AWS_MAX_ATTEMPTS=3"}, 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.env), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, 0)
			w.proxy.SetRule(throttle(func(r faults.Request) bool { return r.Action == "GetCallerIdentity" }))
			pr := w.runVia(w.proxy, c.env, applyArgs...).want(t, 1)
			if last := pr.lastLine(); last != "rciam: read caller identity (sts:GetCallerIdentity): Throttling: Rate exceeded" {
				t.Errorf("last line %q", last)
			}
			var starts []time.Time
			for _, ev := range w.proxy.Timeline() {
				if ev.Action != "GetCallerIdentity" {
					continue
				}
				if ev.Attempt != len(starts)+1 {
					t.Errorf("attempt header %d, want %d", ev.Attempt, len(starts)+1)
				}
				starts = append(starts, ev.Start)
			}
			if len(starts) != c.attempts {
				t.Fatalf("%d attempts, want %d", len(starts), c.attempts)
			}
			// The SDK waits a random share of 2^i seconds before attempt
			// i+1 (capped at 20 s): exponential, with jitter.
			var gaps []string
			seen := map[time.Duration]bool{}
			for i := 1; i < len(starts); i++ {
				gap := starts[i].Sub(starts[i-1])
				gaps = append(gaps, gap.Round(time.Millisecond).String())
				if limit := time.Duration(1<<i)*time.Second + 300*time.Millisecond; gap > limit {
					t.Errorf("wait before attempt %d: %s, more than the SDK's cap %s", i+1, gap, limit)
				}
				seen[gap.Round(time.Millisecond)] = true
			}
			if len(starts) > 3 && len(seen) < len(starts)-1 {
				t.Errorf("waits %v are not jittered", gaps)
			}
			figures.set("bounded", "attempts/"+fmt.Sprint(c.env), fmt.Sprintf("%d, waits %v", len(starts), gaps))
		})
	}
}
