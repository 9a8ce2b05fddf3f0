package reliability

import (
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// held are the requests the interrupt test holds in the proxy: apply's
// third round (attachments, profile membership, key, login), so that the
// creates before them are done and the key secret after them is not.
var held = map[string]bool{"AttachRolePolicy": true, "AttachUserPolicy": true, "AddRoleToInstanceProfile": true,
	"CreateAccessKey": true, "CreateLoginProfile": true}

// heldRequests is how many requests that round makes (two AttachRolePolicy).
const heldRequests = 6

const holdFor = 3 * time.Second

// TestInterruptStopsCleanly sends SIGINT to apply while requests are in
// flight: it exits 130 within 2 s, its in-flight calls are cancelled
// through the context (the proxy sees the client give up before it
// forwards them), no request starts after the signal, stderr says what was
// done and what was not, and the next apply finishes the job.
func TestInterruptStopsCleanly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	w.proxy.SetRule(func(r faults.Request) faults.Fault {
		if held[r.Action] {
			return faults.Fault{Kind: faults.Latency, Delay: holdFor}
		}
		return faults.Fault{}
	})
	var once sync.Once
	var sent time.Time
	signalled := make(chan struct{})
	pr := w.start(opts{}, applyArgs...)
	go func() {
		// Once the whole held round has reached the proxy (or a second
		// after its first request), interrupt.
		var first time.Time
		for {
			n := 0
			for _, ev := range w.proxy.Timeline() {
				if held[ev.Action] {
					n++
				}
			}
			if n > 0 && first.IsZero() {
				first = time.Now()
			}
			if n == heldRequests || n > 0 && time.Since(first) > time.Second {
				once.Do(func() {
					// Marked before the signal: the process may exit
					// (and the test read the mark) before Signal returns.
					sent = time.Now()
					close(signalled)
					_ = pr.cmd.Process.Signal(syscall.SIGINT)
				})
				return
			}
			select {
			case <-pr.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	pr.wait(t)
	select {
	case <-signalled:
	default:
		t.Fatalf("apply ended (exit %d) before it was interrupted:\n%s", pr.code, pr.stderr.String())
	}
	pr.want(t, 130)
	within(t, "stopping after SIGINT", pr.exit.Sub(sent), 2*time.Second)
	errOut := pr.stderr.String()
	for _, want := range []string{"✓ CreateUser", "not run: StoreKeySecret", "interrupted", "run apply again"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	quiet(t, w.proxy)
	inFlight := 0
	for _, ev := range w.proxy.Timeline() {
		if ev.Start.After(pr.exit) {
			t.Errorf("%s %s started %s after rciam exited", ev.Service, ev.Action, ev.Start.Sub(pr.exit))
		}
		if isWrite(ev) && ev.Start.After(sent.Add(signalGrace)) {
			t.Errorf("write %s %s started %s after SIGINT", ev.Service, ev.Action, ev.Start.Sub(sent))
		}
		if held[ev.Action] {
			inFlight++
			// The SDK call returns as soon as its context is cancelled; the
			// connection it closes reaches the proxy a moment later, which
			// under load can be just after the process exited (seen: 4 ms).
			if ev.Upstream != 0 || ev.End.Sub(ev.Start) >= holdFor || ev.End.After(pr.exit.Add(closeGrace)) {
				t.Errorf("%s was not cancelled by rciam: forwarded with %d, held %s, ended %s after exit (%s)", ev.Action, ev.Upstream, ev.End.Sub(ev.Start), ev.End.Sub(pr.exit), ev.Err)
			}
		}
	}
	if inFlight == 0 {
		t.Error("no request was in flight at the interrupt")
	}
	w.proxy.SetRule(nil)
	w.run(applyArgs...).want(t, 0)
	specState(t, w)
	settled(t, w)
	figures.set("interrupt", "stoppedIn", pr.exit.Sub(sent).Round(time.Millisecond).String())
	figures.set("interrupt", "cancelledInFlight", inFlight)
}

// closeGrace is how long after the process exited the proxy may notice a
// connection the process closed when it cancelled the request.
const closeGrace = 100 * time.Millisecond

// signalGrace is how long a request already on its way when the signal
// was sent may take to reach the proxy.
const signalGrace = 100 * time.Millisecond
