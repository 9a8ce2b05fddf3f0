package account

import (
	"context"
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

// Apply converges the account to p: it runs the plan, reads back and runs
// what is left (apply.Converger), and returns the final snapshot. A run
// that stops while it changes the console password says so in its mark
// (bookkeeping.Books.Abandon), so the next apply need not wait for it. On
// failure the error is an *apply.RunError when steps ran.
func (t *Target) Apply(ctx context.Context, p *Prepared, o ApplyOptions) (*live.State, error) {
	if !p.Plan.HasChanges() {
		return p.Live, nil
	}
	exec := &apply.Executor{IAM: t.IAM, Secrets: t.Secrets, Region: p.Live.Region,
		PasswordPolicy: p.Live.PasswordPolicy, Hook: o.Hook, Logf: t.Logf, Books: t.books(p.Live)}
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
		return l, nil
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if aerr := exec.Abandon(actx); aerr != nil {
		t.logf("could not mark the password change as stopped: %s", awsclient.Short(aerr))
	}
	return nil, err
}
