package reliability

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// faultKinds are the faults a trial mixes: every kind AWS shows a client
// that a retry or a later run rides out. (An HTML 500 is left out: it
// means the operation does not exist on the endpoint, which apply reports
// instead of retrying — docs/behaviour.md, "Retries and throttling".) Eventual consistency comes on
// top: each entity a create makes answers NoSuchEntity to its first use.
var faultKinds = []faults.Kind{faults.Latency, faults.Throttle, faults.InternalError, faults.Unavailable,
	faults.ResetBeforeForward, faults.DropAfterForward}

// faultRate is the share of requests a trial faults at random.
const faultRate = 0.2

// maxRuns is how many applies a trial may need.
const maxRuns = 3

type trialResult struct {
	runs     int // applies it took to exit 0; 0 when more than maxRuns
	requests int
	faulted  map[string]int // by kind
	books    books
}

// TestFaultTrials runs seeded trials (8 in CI, 100 with
// RCIAM_RELIABILITY=full) on a fresh account each, with 20% of requests
// faulted: apply --yes, re-run at most 3 times, must reach the exact SPEC
// state, and a further apply must change nothing.
func TestFaultTrials(t *testing.T) {
	t.Parallel()
	n := trials()
	results := make([]trialResult, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				seed := seedBase() + int64(i)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { trial(t, seed, &results[i]) })
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()

	byRuns := map[int]int{}
	var requests, faulted, orphans, lost int
	kinds := map[string]int{}
	for _, r := range results {
		byRuns[r.runs]++
		requests += r.requests
		for k, v := range r.faulted {
			kinds[k] += v
			faulted += v
		}
		orphans += r.books.Orphans
		lost += r.books.Lost
	}
	converged := n - byRuns[0]
	figures.set("faults", "trials", n)
	figures.set("faults", "seeds", fmt.Sprintf("%d..%d", seedBase(), seedBase()+int64(n)-1))
	figures.set("faults", "converged", converged)
	figures.set("faults", "firstRun", byRuns[1])
	figures.set("faults", "secondRun", byRuns[2])
	figures.set("faults", "thirdRun", byRuns[3])
	figures.set("faults", "requests", requests)
	figures.set("faults", "faulted", faulted)
	figures.set("faults", "faultedByKind", kinds)
	figures.set("faults", "orphanKeys", orphans)
	figures.set("faults", "lostSecrets", lost)
	t.Logf("%d trials: %d converged (%d on the first run, %d on the second, %d on the third); %d of %d requests faulted %v; %d orphan keys, %d lost secrets",
		n, converged, byRuns[1], byRuns[2], byRuns[3], faulted, requests, kinds, orphans, lost)
}

// accountFree makes a rule see entities without the account id (policy
// ARNs hold it, and each trial's account id differs from run to run), so a
// seed faults the same requests every time.
func accountFree(rule faults.Rule) faults.Rule {
	return func(r faults.Request) faults.Fault {
		if strings.HasPrefix(r.Entity, "arn:") {
			if parts := strings.SplitN(r.Entity, ":", 6); len(parts) == 6 {
				r.Entity = parts[5]
			}
		}
		return rule(r)
	}
}

func trial(t *testing.T, seed int64, res *trialResult) {
	w := newWorld(t, seed)
	w.proxy.SetRule(accountFree(faults.RandomRule(seed, faultRate, 100*time.Millisecond, faultKinds...)))
	w.proxy.EventualConsistency(1)
	for run := 1; run <= maxRuns && res.runs == 0; run++ {
		pr := w.run(applyArgs...)
		switch {
		case pr.code == 0:
			res.runs = run
		case pr.code != 1 || !strings.HasPrefix(pr.lastLine(), "rciam: "):
			t.Errorf("run %d: exit %d, last line %q", run, pr.code, pr.lastLine())
		default:
			t.Logf("run %d: %s", run, pr.lastLine())
			if os.Getenv("RCIAM_RELIABILITY_DEBUG") != "" {
				t.Logf("stderr:\n%s", pr.stderr.String())
			}
		}
	}
	w.proxy.SetRule(nil)
	w.proxy.EventualConsistency(0)
	quiet(t, w.proxy)
	tl := w.proxy.Timeline()
	res.requests, res.faulted = len(tl), map[string]int{}
	for _, ev := range tl {
		if ev.Fault.Kind != faults.None {
			res.faulted[ev.Fault.Kind.String()]++
		}
	}
	if res.runs == 0 {
		t.Fatalf("not converged after %d applies", maxRuns)
	}
	res.books = count(t, w)
	specState(t, w)
	settled(t, w)
}

// TestEachFaultOnceAtEveryWrite gives each write request of apply each
// fault once — its first attempt throttled, failed with 500 or 503, reset,
// or forwarded with the response lost — with IAM's eventual consistency on:
// apply exits 0 on its first run with the SPEC state, never waiting on a
// key its own lost response made.
func TestEachFaultOnceAtEveryWrite(t *testing.T) {
	t.Parallel()
	actions := []string{"CreatePolicy", "CreateRole", "CreateInstanceProfile", "CreateUser", "CreateSecret",
		"AttachRolePolicy", "AttachUserPolicy", "AddRoleToInstanceProfile", "CreateAccessKey", "CreateLoginProfile",
		"PutSecretValue", "TagResource"}
	kinds := []faults.Kind{faults.Throttle, faults.InternalError, faults.Unavailable, faults.ResetBeforeForward, faults.DropAfterForward}
	type job struct {
		action string
		kind   faults.Kind
	}
	// CI: every action's response lost, and one other kind in turn; a full
	// run: every kind at every action.
	var jobs []job
	for i, a := range actions {
		for _, k := range kinds {
			if full || k == faults.DropAfterForward || k == kinds[i%(len(kinds)-1)] {
				jobs = append(jobs, job{a, k})
			}
		}
	}
	next := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				ok := t.Run(j.kind.String()+"/"+j.action, func(t *testing.T) {
					w := newWorld(t, 0)
					w.proxy.SetRule(func(r faults.Request) faults.Fault {
						if r.Action == j.action && r.Nth == 1 {
							return faults.Fault{Kind: j.kind}
						}
						return faults.Fault{}
					})
					w.proxy.EventualConsistency(1)
					pr := w.run(applyArgs...).want(t, 0)
					within(t, "apply", pr.exit.Sub(pr.start), 20*time.Second)
					w.proxy.SetRule(nil)
					w.proxy.EventualConsistency(0)
					quiet(t, w.proxy)
					if b := count(t, w); b.Orphans > 0 || b.Lost > 0 {
						t.Errorf("%+v", b)
					}
					specState(t, w)
				})
				if ok {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	figures.set("faults/once", "cases", len(jobs))
	figures.set("faults/once", "passed", passed)
}
