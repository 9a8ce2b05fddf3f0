package fleet

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Status is how one account's run ended.
type Status string

// The statuses of docs/fleet.md.
const (
	OK      Status = "ok"      // done, nothing changed (or nothing to change)
	Changes Status = "changes" // done and changed something (plan: changes pending)
	Failed  Status = "failed"  // an error, or (verify) a failing check
	Stopped Status = "stopped" // Ctrl-C or --timeout stopped it while it ran
	Skipped Status = "skipped" // never started: the run was stopped first
)

// Outcome is one account's result, as the fleet JSON shows it.
type Outcome struct {
	Account  string          `json:"account"`
	Name     string          `json:"name"`
	Status   Status          `json:"status"`
	ExitCode int             `json:"exitCode"`
	Error    string          `json:"error,omitempty"`
	Seconds  float64         `json:"seconds"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// Run runs fn on every member, at most parallel at once, in the members'
// order, and returns the outcomes in that order. Each call gets ctx: when it
// ends (Ctrl-C, --timeout) no further member starts, and those are Skipped.
// onDone, when set, is called as each outcome is known (from several
// goroutines, one at a time).
func Run(ctx context.Context, members []Member, parallel int, fn func(context.Context, Member) Outcome, onStart func(Member), onDone func(Outcome)) []Outcome {
	if parallel < 1 {
		parallel = 1
	}
	out := make([]Outcome, len(members))
	var mu sync.Mutex
	report := func(i int, o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		out[i] = o
		if onDone != nil {
			onDone(o)
		}
	}
	// Workers take the next member in order; none is taken once ctx has
	// ended, and those left are skipped.
	var takeMu sync.Mutex
	taken := 0
	take := func() (int, bool) {
		takeMu.Lock()
		defer takeMu.Unlock()
		if ctx.Err() != nil || taken == len(members) {
			return 0, false
		}
		taken++
		return taken - 1, true
	}
	var wg sync.WaitGroup
	for w := 0; w < min(parallel, len(members)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ok := take(); ok; i, ok = take() {
				m := members[i]
				if onStart != nil {
					mu.Lock()
					onStart(m)
					mu.Unlock()
				}
				start := time.Now()
				o := fn(WithAccount(ctx, m.ID), m)
				o.Account, o.Name = m.ID, m.Name
				o.Seconds = time.Since(start).Round(10 * time.Millisecond).Seconds()
				report(i, o)
			}
		}()
	}
	wg.Wait()
	for i := taken; i < len(members); i++ {
		report(i, Outcome{Account: members[i].ID, Name: members[i].Name, Status: Skipped})
	}
	return out
}

// Summary counts the outcomes by status.
type Summary struct {
	Accounts int `json:"accounts"`
	OK       int `json:"ok"`
	Changes  int `json:"changes"`
	Failed   int `json:"failed"`
	Stopped  int `json:"stopped"`
	Skipped  int `json:"skipped"`
}

// Summarize counts outcomes.
func Summarize(os []Outcome) Summary {
	s := Summary{Accounts: len(os)}
	for _, o := range os {
		switch o.Status {
		case OK:
			s.OK++
		case Changes:
			s.Changes++
		case Failed:
			s.Failed++
		case Stopped:
			s.Stopped++
		case Skipped:
			s.Skipped++
		}
	}
	return s
}

// ExitCode is the fleet run's exit code: the first that applies of 130
// (interrupted), 1 (an account failed, or verify found a failing check),
// 3 (verify could not check an account), 2 (with detailed, plan's
// --detailed-exitcode: an account has changes pending), 0.
func ExitCode(os []Outcome, interrupted, detailed bool) int {
	if interrupted {
		return 130
	}
	code := 0
	for _, o := range os {
		switch {
		case o.Status == Failed && o.ExitCode != 3:
			return 1
		case o.Status == Failed:
			code = 3
		case o.Status == Changes && detailed && code == 0:
			code = 2
		}
	}
	return code
}

type accountKey struct{}

// WithAccount returns ctx marked as the run of one fleet member: every AWS
// call made under it can tell which account it is for (-v, tests' fault
// injection).
func WithAccount(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, accountKey{}, id)
}

// AccountOf returns the fleet member ctx runs for ("" outside a fleet run).
func AccountOf(ctx context.Context) string {
	id, _ := ctx.Value(accountKey{}).(string)
	return id
}
