package account

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rciam/rciam/internal/apply"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
)

// ApplyOptions are what apply reports progress through.
type ApplyOptions struct {
	// Hook is told of each step (nil: nothing).
	Hook apply.Hook
	// OnResidual is told of each further pass after a read-back.
	OnResidual func(pass int, p *plan.Plan)
}

// Applied is what apply did: the final snapshot (nil when it failed) and
// every step it ran, in every pass.
type Applied struct {
	Live  *live.State
	Steps []StepResult
}

// StepResult is one step and how it ended: done, failed, or cancelled
// (interrupted, or not run because a step before it failed).
type StepResult struct {
	Step   plan.Step
	Status string
}

// Apply converges the account to p: it runs the plan, reads back and runs
// what is left (apply.Converger). A run that stops while it changes the
// console password says so in its mark (bookkeeping.Books.Abandon), so the
// next apply need not wait for it. On failure the error is an
// *apply.RunError when steps ran, and Applied still lists them.
func (t *Target) Apply(ctx context.Context, p *Prepared, o ApplyOptions) (*Applied, error) {
	if !p.Plan.HasChanges() {
		return &Applied{Live: p.Live}, nil
	}
	rec := &stepRecorder{next: o.Hook, ctx: ctx}
	if rec.next == nil {
		rec.next = apply.NopHook{}
	}
	exec := &apply.Executor{IAM: t.IAM, Secrets: t.Secrets, Region: p.Live.Region,
		PasswordPolicy: p.Live.PasswordPolicy, Hook: rec, Logf: t.Logf, Books: t.books(p.Live)}
	conv := &apply.Converger{
		Read:       t.rereader(p.Live).Read,
		Exec:       exec,
		Desired:    p.Want,
		Options:    p.Options,
		Start:      p.Live,
		History:    t.Secrets,
		OnResidual: o.OnResidual,
	}
	l, err := conv.Converge(ctx, p.Plan)
	if err == nil {
		return &Applied{Live: l, Steps: rec.steps}, nil
	}
	var runErr *apply.RunError
	if errors.As(err, &runErr) && runErr.Result != nil {
		for _, s := range runErr.Result.Skipped {
			rec.steps = append(rec.steps, StepResult{Step: s, Status: "cancelled"})
		}
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if aerr := exec.Abandon(actx); aerr != nil {
		t.logf("could not mark the password change as stopped: %s", awsclient.Short(aerr))
	}
	return &Applied{Steps: rec.steps}, err
}

// stepRecorder records how each step ended, and tells next.
type stepRecorder struct {
	next  apply.Hook
	ctx   context.Context
	mu    sync.Mutex
	steps []StepResult
}

func (r *stepRecorder) StepStart(s plan.Step) { r.next.StepStart(s) }

func (r *stepRecorder) StepDone(s plan.Step, err error) {
	status := "done"
	switch {
	case err != nil && r.ctx.Err() != nil:
		status = "cancelled"
	case err != nil:
		status = "failed"
	}
	r.mu.Lock()
	r.steps = append(r.steps, StepResult{Step: s, Status: status})
	r.mu.Unlock()
	r.next.StepDone(s, err)
}
