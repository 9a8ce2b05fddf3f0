package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
)

// MaxPasses bounds how often Converge runs a plan within one command.
const MaxPasses = 3

// Converger reads the account back after running a plan and runs what is
// left — what a lost response, a concurrent change or a failed step left
// undone — until the account reads back as planned. So apply finishes only
// when what it wrote reads back as written (FIELD-NOTES 34).
type Converger struct {
	Read    func(context.Context) (*live.State, error)
	Exec    *Executor
	Desired *desired.Set
	Options plan.Options
	// OnResidual is told of each further plan run after the first.
	OnResidual func(pass int, p *plan.Plan)
}

// Converge runs p, then reads back and re-plans, at most MaxPasses runs in
// all. It returns the final snapshot.
func (c *Converger) Converge(ctx context.Context, p *plan.Plan) (*live.State, error) {
	created := map[string]bool{}
	for pass := 1; ; pass++ {
		res, runErr := c.Exec.Run(ctx, p)
		if res != nil && res.NewKeyID != "" {
			created[res.NewKeyID] = true
		}
		if ctx.Err() != nil {
			return nil, runErr
		}
		l, err := c.Read(ctx)
		if err != nil {
			if runErr != nil {
				return nil, runErr
			}
			return nil, fmt.Errorf("read back: %w", err)
		}
		// A key made moments ago may not be listed yet: never mistake its
		// absence for "no key" (that would make another).
		for id := range created {
			if l.Key(id) == nil && l.User(c.Desired.User.Name) != nil {
				l.Keys = append(l.Keys, live.AccessKey{ID: id, Active: true})
			}
		}
		next, err := plan.Compute(c.Desired, l, c.Options)
		if err != nil {
			return nil, err
		}
		if !next.HasChanges() {
			return l, nil
		}
		if pass >= MaxPasses {
			if runErr != nil {
				return nil, runErr
			}
			return nil, errors.New("the account did not read back as planned after " + fmt.Sprint(MaxPasses) + " passes (another process changing it?): run apply again")
		}
		if c.OnResidual != nil {
			c.OnResidual(pass+1, next)
		}
		p = next
	}
}
