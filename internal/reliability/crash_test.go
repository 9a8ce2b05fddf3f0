package reliability

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

// crashCase is a command whose every request is a crash point. For each
// point N a fresh account is brought to the starting state (setup), the
// command is started and SIGKILLed right after its N-th request took
// effect and before the response reached it, and one run of recover must
// then leave the state check expects.
type crashCase struct {
	name string
	// deletesUser: the command deletes redislabs-user, so the scenario
	// runs on motoDestroy.
	deletesUser bool
	setup       func(t testing.TB, w *world)
	command     []string
	recover     []string
	check       func(t testing.TB, w *world)
}

// crashCases are the swept commands: each is one entry.
var crashCases = []crashCase{
	{name: "apply", command: applyArgs, recover: applyArgs, check: specState},
	{name: "destroy", deletesUser: true, setup: converged, command: destroyArgs, recover: destroyArgs,
		check: func(t testing.TB, w *world) { gone(t, w.acct) }},
	rotateCase,
}

// rotateCase sweeps rotate-key: after a crash at any request, the next
// rotate-key leaves the SPEC state — one active key whose stored secret
// signs as redislabs-user — with a key other than the one before.
var rotateCase = crashCase{name: "rotate-key", setup: converged, command: []string{"rotate-key"},
	recover: []string{"rotate-key"}, check: rotated}

// rotated: the SPEC state, with a key other than the one setup made.
func rotated(t testing.TB, w *world) {
	if st := testenv.CheckSpec(t, w.m, w.acct, testenv.Spec{}); st.KeyID == w.before.KeyID {
		t.Errorf("key %s was not rotated", w.before.KeyID)
	}
}

// converged applies and keeps what the account then holds in w.before.
func converged(t testing.TB, w *world) {
	w.run(applyArgs...).want(t, 0)
	w.before = testenv.CheckSpec(t, w.m, w.acct, testenv.Spec{})
}

func specState(t testing.TB, w *world) { testenv.CheckSpec(t, w.m, w.acct, testenv.Spec{}) }

// TestCrashAtEveryRequest kills apply, destroy and rotate-key after each
// of its requests in turn — every third one in CI, all with
// RCIAM_RELIABILITY=full — and checks that the next run finishes the job:
// the exact SPEC state (or nothing left), no orphan key, no lost secret.
func TestCrashAtEveryRequest(t *testing.T) {
	for _, c := range crashCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sweep(t, c)
		})
	}
}

// pointResult is what one crash point showed.
type pointResult struct {
	n       int
	at      string // the request the process died after
	reached bool   // false when the run finished in fewer than n requests
	books   books
	ok      bool
}

func sweep(t *testing.T, c crashCase) {
	m := measure(t, c)
	var points []int
	for n := 1; n <= m; n += crashStride() {
		points = append(points, n)
	}
	if points[len(points)-1] != m {
		points = append(points, m)
	}
	results := make([]pointResult, len(points))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].n = points[i]
				results[i].ok = t.Run(fmt.Sprintf("N=%02d", points[i]), func(t *testing.T) { crashAt(t, c, &results[i]) })
			}
		}()
	}
	for i := range points {
		next <- i
	}
	close(next)
	wg.Wait()

	var recovered, reached, orphans, lost int
	for _, r := range results {
		if r.ok {
			recovered++
		}
		if r.reached {
			reached++
		}
		orphans += r.books.Orphans
		lost += r.books.Lost
	}
	section := "crash/" + c.name
	figures.set(section, "requests", m)
	figures.set(section, "points", len(points))
	figures.set(section, "killed", reached)
	figures.set(section, "recovered", recovered)
	figures.set(section, "orphanKeys", orphans)
	figures.set(section, "lostSecrets", lost)
	t.Logf("%s: %d requests; %d crash points, %d killed, %d recovered; %d orphan keys, %d lost secrets", c.name, m, len(points), reached, recovered, orphans, lost)
}

// measure counts the requests of one clean run of the command.
func measure(t *testing.T, c crashCase) int {
	w := c.world(t, 0)
	if c.setup != nil {
		c.setup(t, w)
		w.proxy.Reset()
	}
	w.run(c.command...).want(t, 0)
	c.check(t, w)
	return w.proxy.Count()
}

func (c crashCase) world(t *testing.T, seed int64) *world {
	if c.deletesUser {
		return newWorldOn(t, motoDestroy, seed)
	}
	return newWorld(t, seed)
}

func crashAt(t *testing.T, c crashCase, res *pointResult) {
	w := c.world(t, int64(res.n))
	if c.setup != nil {
		c.setup(t, w)
		w.proxy.Reset()
	}
	var mu sync.Mutex
	var victim *proc
	w.proxy.AfterEffect(func(seq int, r faults.Request) bool {
		if seq != res.n {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		_ = victim.cmd.Process.Signal(syscall.SIGKILL)
		res.at = r.Service + " " + r.Action + " " + r.Entity
		return true
	})
	mu.Lock() // the hook waits until victim is set
	victim = w.start(opts{}, c.command...)
	mu.Unlock()
	victim.wait(t)
	res.reached = victim.signal == syscall.SIGKILL
	if !res.reached {
		t.Logf("the run ended (exit %d) before request %d", victim.code, res.n)
	}
	w.proxy.AfterEffect(nil)
	// Requests the process had in flight still take effect, as on AWS; the
	// next run starts once they have.
	quiet(t, w.proxy)
	t.Logf("killed after %s", res.at)
	w.run(c.recover...).want(t, 0)
	res.books = count(t, w)
	if res.books.Orphans > 0 || res.books.Lost > 0 {
		t.Errorf("after the crash at %s and one recovery run: %+v", res.at, res.books)
	}
	c.check(t, w)
}

// quiet waits until the proxy has no request in flight.
func quiet(t testing.TB, p *faults.Proxy) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		busy := false
		for _, ev := range p.Timeline() {
			if ev.End.IsZero() {
				busy = true
			}
		}
		if !busy {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("requests still in flight after 30 s")
}
