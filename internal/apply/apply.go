// Package apply runs a plan: a concurrent walk of its steps in dependency
// order (a step starts as soon as the steps it needs are done; a step whose
// dependency failed is skipped, not blamed), with IAM's eventual
// consistency and lost responses handled at the documented points.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/secret"
)

// Hook is told of progress; the view implements it. Calls may come from
// several goroutines at once.
type Hook interface {
	StepStart(s plan.Step)
	StepDone(s plan.Step, err error)
}

// NopHook ignores progress.
type NopHook struct{}

func (NopHook) StepStart(plan.Step)       {}
func (NopHook) StepDone(plan.Step, error) {}

// DefaultMaxInFlight caps concurrent AWS calls (docs/behaviour.md, "Retries and throttling": at most 8).
const DefaultMaxInFlight = 8

// DefaultConsistencyBudget bounds each wait for IAM's eventual consistency,
// as Terraform does (docs/behaviour.md, "IAM eventual consistency").
const DefaultConsistencyBudget = 2 * time.Minute

// Executor runs plans against one account.
type Executor struct {
	IAM     IAM
	Secrets Secrets
	Region  string
	// PasswordPolicy is the account's, nil when none is set.
	PasswordPolicy *live.PasswordPolicy
	Hook           Hook
	MaxInFlight    int
	// ConsistencyBudget bounds retries of eventual-consistency errors.
	ConsistencyBudget time.Duration
	// Logf, when set, receives progress lines (-v); never a secret.
	Logf func(format string, args ...any)
	// Books writes the bookkeeping (the key secret's records, the console
	// password protocol); one per run. Nil: made from Secrets on first use,
	// with no clock offset.
	Books *bookkeeping.Books

	booksOnce sync.Once
	bag       bag
}

// books returns the run's Books.
func (e *Executor) books() *bookkeeping.Books {
	e.booksOnce.Do(func() {
		if e.Books == nil {
			e.Books = &bookkeeping.Books{Secrets: e.Secrets, Logf: e.Logf}
		}
	})
	return e.Books
}

// bag carries values from one step to another within a run: the new
// access key (CreateAccessKey → StoreKeySecret) and the console password
// (generated once, used by the secret write and the login profile).
type bag struct {
	mu        sync.Mutex
	keyID     string
	keySecret secret.Value
	password  secret.Value
	// keyCalls are the spans of this run's CreateAccessKey calls that were
	// retried or failed: a key dated within one is this run's (madeAt).
	keyCalls [][2]time.Time
}

// Result says what a run did. A step that was running when the run was
// interrupted (Ctrl-C, --timeout) is Cancelled, not Failed: it may or may
// not have taken effect, and the next run finds out.
type Result struct {
	Done, Failed, Cancelled, Skipped []plan.Step
	// NewKeyID is the access key created in this run, if any.
	NewKeyID string
}

// Run executes p's steps and returns what happened. The error is nil only
// when every step succeeded; it names the first failure and how many steps
// did not run.
func (e *Executor) Run(ctx context.Context, p *plan.Plan) (*Result, error) {
	if e.Hook == nil {
		e.Hook = NopHook{}
	}
	n := e.MaxInFlight
	if n <= 0 {
		n = DefaultMaxInFlight
	}
	sem := make(chan struct{}, n)
	type state struct {
		done chan struct{}
		err  error
		ran  bool
	}
	states := make(map[string]*state, len(p.Steps))
	for _, s := range p.Steps {
		states[s.ID] = &state{done: make(chan struct{})}
	}
	var wg sync.WaitGroup
	for _, s := range p.Steps {
		st := states[s.ID]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(st.done)
			for _, d := range s.Deps {
				ds, ok := states[d]
				if !ok {
					st.err = fmt.Errorf("step %q depends on unknown step %q", s.ID, d)
					return
				}
				select {
				case <-ds.done:
				case <-ctx.Done():
					st.err = errSkipped
					return
				}
				if ds.err != nil {
					st.err = errSkipped
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				st.err = errSkipped
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				// Never start a new write after an interrupt.
				st.err = errSkipped
				return
			}
			e.Hook.StepStart(s)
			st.ran = true
			st.err = e.run(ctx, s)
			e.Hook.StepDone(s, st.err)
		}()
	}
	wg.Wait()

	res := &Result{NewKeyID: e.bag.keyID}
	var first error
	denied := false
	for _, s := range p.Steps {
		st := states[s.ID]
		switch {
		case st.err == nil:
			res.Done = append(res.Done, s)
		case !st.ran:
			res.Skipped = append(res.Skipped, s)
		case ctx.Err() != nil && (errors.Is(st.err, context.Canceled) || errors.Is(st.err, context.DeadlineExceeded)):
			res.Cancelled = append(res.Cancelled, s)
		default:
			res.Failed = append(res.Failed, s)
			if first == nil {
				first = st.err
			}
			denied = denied || awsclient.IsAccessDenied(st.err)
		}
	}
	if ctx.Err() != nil && first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return res, &RunError{First: first, Failed: len(res.Failed), NotRun: len(res.Skipped) + len(res.Cancelled), Result: res, Denied: denied}
	}
	return res, nil
}

var errSkipped = errors.New("skipped: a step it depends on did not succeed")

// RunError summarises a run that did not finish.
type RunError struct {
	First          error
	Failed, NotRun int
	// Result is what the run did and did not do, for the summary a command
	// prints when it stops early.
	Result *Result
	// Denied is set when AWS refused a step for want of a permission.
	Denied bool
}

func (e *RunError) Error() string {
	msg := e.First.Error()
	next := "run apply again to finish"
	if e.Denied {
		next = "grant the missing permissions, then run apply again"
	}
	if e.NotRun > 0 || e.Failed > 1 {
		msg += fmt.Sprintf(" (%s failed, %d not run; %s)", note.Count(e.Failed, "step"), e.NotRun, next)
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.First }

// NewKey returns the access key created in this run (id and secret).
func (e *Executor) NewKey() (string, secret.Value) {
	e.bag.mu.Lock()
	defer e.bag.mu.Unlock()
	return e.bag.keyID, e.bag.keySecret
}

func (e *Executor) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}
