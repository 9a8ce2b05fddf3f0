package reliability

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// jitter delays each request by a seeded pseudo-random 0–max, so that
// pairs of runs interleave differently from seed to seed.
func jitter(seed int64, max time.Duration) faults.Rule {
	return func(r faults.Request) faults.Fault {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00%d", seed, r.Action, r.Entity, r.Nth)
		return faults.Fault{Kind: faults.Latency, Delay: time.Duration(h.Sum64() % uint64(max))}
	}
}

type pairResult struct {
	codes  [2]int
	waited int // runs that waited for the other to store its key's secret
	books  books
}

// TestConcurrentApplies starts two applies together, each through its own
// proxy with seeded latency, on an empty account and on a converged one:
// they must end with exactly the SPEC state — one active key, the stored
// secret its own — and each exit 0, or one exit 1 naming another run
// changing the account.
func TestConcurrentApplies(t *testing.T) {
	for _, start := range []string{"empty", "converged"} {
		t.Run(start, func(t *testing.T) {
			t.Parallel()
			n := concurrentPairs()
			results := make([]pairResult, n)
			next := make(chan int)
			var wg sync.WaitGroup
			for range workers() / 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						seed := seedBase() + int64(i)
						t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { pair(t, start == "converged", seed, &results[i]) })
					}
				}()
			}
			for i := range n {
				next <- i
			}
			close(next)
			wg.Wait()
			both, one, waited, orphans, lost := 0, 0, 0, 0, 0
			for _, r := range results {
				waited += r.waited
				switch {
				case r.codes == [2]int{0, 0}:
					both++
				case r.codes[0] == 0 || r.codes[1] == 0:
					one++
				}
				orphans += r.books.Orphans
				lost += r.books.Lost
			}
			section := "concurrent/" + start
			figures.set(section, "pairs", n)
			figures.set(section, "bothExit0", both)
			figures.set(section, "oneExit1", one)
			figures.set(section, "runsThatWaited", waited)
			figures.set(section, "orphanKeys", orphans)
			figures.set(section, "lostSecrets", lost)
		})
	}
}

func pair(t *testing.T, converged bool, seed int64, res *pairResult) {
	w := newWorld(t, seed)
	if converged {
		w.run(applyArgs...).want(t, 0)
	}
	// Latency up to 50–500 ms per request, and the second run started
	// 0–400 ms after the first (its first read then sees the first run's
	// half-made entities and key), both varying with the seed.
	maxDelay := time.Duration(50+50*(seed%10)) * time.Millisecond
	stagger := time.Duration(100*(seed%5)) * time.Millisecond
	proxies := [2]*faults.Proxy{w.newProxy(seed), w.newProxy(seed)}
	var procs [2]*proc
	for i, p := range proxies {
		p.SetRule(jitter(seed*2+int64(i), maxDelay))
		if i == 1 {
			time.Sleep(stagger)
		}
		procs[i] = w.start(opts{proxy: p}, append([]string{"-v"}, applyArgs...)...)
	}
	failed := 0
	for i, pr := range procs {
		pr.wait(t)
		res.codes[i] = pr.code
		if strings.Contains(pr.stderr.String(), "waiting for the other run") {
			res.waited++
		}
		if pr.code == 0 {
			continue
		}
		failed++
		if pr.code != 1 || !strings.Contains(pr.lastLine(), "another run") {
			t.Errorf("run %d: exit %d, last line %q, want 0, or 1 naming another run\n%s", i, pr.code, pr.lastLine(), pr.stderr.String())
		}
	}
	if failed > 1 {
		t.Errorf("both runs failed")
	}
	for _, p := range proxies {
		quiet(t, p)
	}
	defer func() {
		if t.Failed() {
			for i, pr := range procs {
				t.Logf("run %d (exit %d):\n%s", i, pr.code, pr.stderr.String())
			}
		}
	}()
	res.books = count(t, w)
	if res.books.Orphans > 0 || res.books.Lost > 0 {
		t.Errorf("after two concurrent applies: %+v", res.books)
	}
	specState(t, w)
	settled(t, w)
}

// TestOtherRunDiedBeforeStoringItsKey: while an apply runs, another one
// starts, makes its key and dies before storing its secret. The first
// waits for that secret for 30 s at most, then exits 1 naming another run
// and the key; nothing stays locked: the next apply deletes the dead run's
// key and ends in the SPEC state.
func TestOtherRunDiedBeforeStoringItsKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	first, second := w.newProxy(0), w.newProxy(0)
	// The first run's key is made only once the second run is dead.
	secondDead := make(chan struct{})
	release := sync.OnceFunc(func() { close(secondDead) })
	defer release() // never leave a proxy handler blocked
	first.SetRule(func(r faults.Request) faults.Fault {
		if r.Action == "CreateAccessKey" {
			<-secondDead
		}
		return faults.Fault{}
	})
	a := w.start(opts{proxy: first}, applyArgs...)
	for !strings.Contains(a.stderr.String(), "Plan:") {
		select {
		case <-a.done:
			t.Fatalf("the first apply ended early:\n%s", a.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	var mu sync.Mutex
	var b *proc
	second.AfterEffect(func(seq int, r faults.Request) bool {
		if r.Action != "CreateAccessKey" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		_ = b.cmd.Process.Signal(syscall.SIGKILL)
		return true
	})
	mu.Lock()
	b = w.start(opts{proxy: second}, applyArgs...)
	mu.Unlock()
	b.wait(t)
	release()
	if b.signal != syscall.SIGKILL {
		t.Fatalf("the second apply was not killed after CreateAccessKey (exit %d):\n%s", b.code, b.stderr.String())
	}
	a.wait(t).want(t, 1)
	if last := a.lastLine(); !strings.Contains(last, "another run is changing this account") || !strings.Contains(last, "…") {
		t.Errorf("last line %q", last)
	}
	within(t, "waiting for the dead run", a.exit.Sub(a.start), 45*time.Second)
	quiet(t, first)
	quiet(t, second)
	w.run(applyArgs...).want(t, 0)
	if bk := count(t, w); bk.Orphans > 0 || bk.Lost > 0 {
		t.Errorf("%+v", bk)
	}
	specState(t, w)
}
