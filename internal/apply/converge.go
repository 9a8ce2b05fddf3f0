package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/propagation"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
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
	var made []r.Address
	for pass := 1; ; pass++ {
		res, runErr := c.Exec.Run(ctx, p)
		if res != nil {
			if res.NewKeyID != "" {
				created[res.NewKeyID] = true
			}
			made = append(made, madeBy(res.Done)...)
		}
		if ctx.Err() != nil {
			return nil, runErr
		}
		var re *RunError
		if errors.As(runErr, &re) && re.Denied {
			// Permissions do not change by trying again: the run ends
			// with what it did.
			return nil, runErr
		}
		l, err := c.readBack(ctx, created, made)
		if err == nil {
			l, err = c.waitForOtherRun(ctx, l, created, made)
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

// readBack reads the account once what this run made (created keys by
// id, other entities by address) is visible: IAM is eventually consistent,
// and an entity this run made that reads as missing is propagating, not
// drift — re-planning it would make it twice (a second console password
// for a login this run just set). The wait is propagation.Await's.
func (c *Converger) readBack(ctx context.Context, created map[string]bool, made []r.Address) (*live.State, error) {
	var l *live.State
	err := propagation.Await(ctx, propagation.EntityBudget, c.Exec.logf, func(ctx context.Context) (string, error) {
		var err error
		if l, err = c.Read(ctx); err != nil {
			return "", fmt.Errorf("read back: %w", err)
		}
		return c.unseen(l, created, made), nil
	})
	if err != nil {
		return nil, err
	}
	// This run's own password marks are not another run's to wait for: a
	// mark it still holds means its change was not confirmed, and the next
	// pass makes it again.
	c.Exec.books().Claim(&l.Books)
	return l, nil
}

// unseen names the first thing this run made that l does not show, ""
// when all are there. A key of ours counts only while its secret is the
// stored one: otherwise it was deleted (by this run or another run that
// stored last), or it is not wanted anyway.
func (c *Converger) unseen(l *live.State, created map[string]bool, made []r.Address) string {
	for _, a := range made {
		if !shows(l, a) {
			return a.String()
		}
	}
	for id := range created {
		if l.Key(id) == nil && l.User(c.Desired.User.Name) != nil && l.Books.Stores(id, l.KeyIDs()) {
			return r.AccessKey(r.UserName, secret.MaskKeyID(id)).String()
		}
	}
	return ""
}

// madeBy lists the entities the done steps created (access keys are
// tracked by id).
func madeBy(done []plan.Step) []r.Address {
	var out []r.Address
	for _, s := range done {
		switch s.Op {
		case plan.OpCreatePolicy, plan.OpCreateRole, plan.OpCreateProfile, plan.OpCreateUser, plan.OpCreateLoginProfile:
			out = append(out, s.Address)
		case plan.OpWritePassword, plan.OpStoreKeySecret:
			if !s.Exists {
				out = append(out, s.Address)
			}
		}
	}
	return out
}

// shows reports whether snapshot l holds the entity at a.
func shows(l *live.State, a r.Address) bool {
	switch a.Kind {
	case r.KindPolicy:
		return l.Policy(a.Name) != nil
	case r.KindRole:
		return l.Role(a.Name) != nil
	case r.KindInstanceProfile:
		return l.Profile(a.Name) != nil
	case r.KindUser:
		return l.User(a.Name) != nil
	case r.KindLoginProfile:
		return l.LoginProfile != nil
	case r.KindSecret:
		return l.Secrets[a.Name] != nil
	}
	return true
}
