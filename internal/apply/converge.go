package apply

import (
	"context"
	"fmt"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
)

// MaxPasses bounds how often Converge runs a plan within one command.
const MaxPasses = 3

// Converger reads the account back after running a plan and runs what is
// left — what a lost response, a concurrent change or a failed step left
// undone — until the account reads back as planned. So apply finishes only
// when what it wrote reads back as written (docs/behaviour.md, "IAM eventual consistency").
//
// Two applies running at once converge too (docs/reliability.md): every
// write is idempotent or re-planned from a fresh read, except deleting an
// access key whose secret is not stored, which is how a crashed run's key
// is cleaned up. In a read-back that would also delete the key another
// live run has just made and is about to store, so a read-back never
// touches such a key: it waits until the other run has stored its secret
// (then whichever secret is stored last wins, and the losing key is
// deleted) or gives up with OtherRunError.
type Converger struct {
	Read    func(context.Context) (*live.State, error)
	Exec    *Executor
	Desired *desired.Set
	Options plan.Options
	// Start is the snapshot the first plan was computed from: a key that
	// is not in it and that this run did not make appeared during the run.
	// Nil turns the wait for other runs off.
	Start *live.State
	// OtherRunWait bounds the wait for another run to store the secret of
	// the key it made; DefaultOtherRunWait when zero.
	OtherRunWait time.Duration
	// History lists the key secret's versions: a key whose secret was
	// stored and replaced is not waited for. Nil: every such key is.
	History bookkeeping.VersionLister
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
		l, err := c.readBack(ctx, created)
		if err == nil {
			l, err = c.waitForOtherRun(ctx, l, created)
		}
		if err != nil {
			if runErr != nil {
				return nil, runErr
			}
			return nil, err
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
			return nil, fmt.Errorf("the account did not read back as planned after %d passes: another run may be changing this account; run apply again when it has finished", MaxPasses)
		}
		if c.OnResidual != nil {
			c.OnResidual(pass+1, next)
		}
		p = next
	}
}

func (c *Converger) readBack(ctx context.Context, created map[string]bool) (*live.State, error) {
	l, err := c.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	// This run's own password marks are not another run's to wait for: a
	// mark it still holds means its change was not confirmed, and the next
	// pass makes it again.
	c.Exec.books().Claim(&l.Books)
	// A key made and stored moments ago may not be listed yet: never
	// mistake its absence for "no key" (that would make another). A key of
	// ours that is not the stored one is left out: it was deleted (by this
	// run or another), or it is not wanted anyway.
	for id := range created {
		if l.Key(id) == nil && l.User(c.Desired.User.Name) != nil && l.Books.Stores(id, l.KeyIDs()) {
			l.Keys = append(l.Keys, live.AccessKey{ID: id, Active: true, LastUsedRead: true})
		}
	}
	return l, nil
}
