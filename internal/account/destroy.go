package account

import (
	"context"
	"fmt"
	"sort"

	"github.com/rciam/rciam/internal/apply"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/registration"
	r "github.com/rciam/rciam/internal/resource"
)

// DestroyOptions are destroy's.
type DestroyOptions struct {
	Layout desired.Layout
	plan.DestroyOptions
	// Deregister deletes the Redis Cloud cloud account first.
	Deregister bool
}

// Teardown is a prepared destroy: what will be removed, and the Redis
// Cloud cloud account to delete first (0 when not registered).
type Teardown struct {
	Live         *live.State
	Want         *desired.Set
	Plan         *plan.Plan
	CloudAccount int
	rc           *rediscloud.Client
	done         []plan.Step
}

// HasChanges reports whether running the teardown changes anything.
func (td *Teardown) HasChanges() bool { return td.Plan.HasChanges() || td.CloudAccount > 0 }

// PrepareDestroy reads the account and plans its removal. A registered
// account is refused without Deregister; with it, the Redis Cloud API keys
// are checked before anything changes.
func (t *Target) PrepareDestroy(ctx context.Context, o DestroyOptions) (*Teardown, error) {
	s, err := t.Open(ctx, o.Layout)
	if err != nil {
		return nil, err
	}
	l := s.Live
	td := &Teardown{Live: l, Want: s.Want}
	switch id := l.Books.CloudAccount; {
	case id > 0 && !o.Deregister:
		return nil, fmt.Errorf("this account is registered with Redis Cloud as cloud account %d: pass --deregister to delete it first (Redis Cloud must not use it any more)", id)
	case id > 0:
		if td.rc, err = t.redis(); err != nil {
			return nil, err
		}
		td.CloudAccount = id
	}
	po := o.DestroyOptions
	if l.User(r.UserName) != nil {
		if po.Blockers, err = live.ReadUserBlockers(ctx, t.IAM); err != nil {
			return nil, err
		}
	}
	if td.Plan, err = plan.Destroy(s.Want, l, po); err != nil {
		return nil, err
	}
	return td, nil
}

// DeregisterError is a destroy that stopped at the Redis Cloud cloud
// account: nothing was removed from AWS.
type DeregisterError struct{ Err error }

func (e *DeregisterError) Error() string { return e.Err.Error() }
func (e *DeregisterError) Unwrap() error { return e.Err }

// Destroy runs a teardown: the cloud account is deleted first and its
// record removed (a later apply that restores the key secret must not
// bring the registration back), then the plan runs. The error is a
// *DeregisterError when it stopped before AWS, an *apply.RunError when
// steps ran.
func (t *Target) Destroy(ctx context.Context, td *Teardown, hook apply.Hook) error {
	if td.CloudAccount > 0 {
		if err := registration.Deregister(ctx, td.rc, td.CloudAccount); err != nil {
			return &DeregisterError{Err: err}
		}
		if err := t.books(td.Live).ForgetCloudAccount(ctx); err != nil {
			return &DeregisterError{Err: err}
		}
		t.notef("  ✓ deleted Redis Cloud cloud account %d", td.CloudAccount)
	}
	if !td.Plan.HasChanges() {
		return nil
	}
	exec := &apply.Executor{IAM: t.IAM, Secrets: t.Secrets, Region: td.Live.Region, Hook: hook, Logf: t.Logf}
	res, err := exec.Run(ctx, td.Plan)
	if res != nil {
		td.done = res.Done
	}
	return err
}

// Removed returns the addresses a destroy removed: each entity whose
// delete step was done.
func (td *Teardown) Removed() []string {
	var out []string
	for _, s := range td.done {
		if deletes(s) {
			out = append(out, s.Address.String())
		}
	}
	sort.Strings(out)
	return out
}

// deletes reports a step that deletes its entity itself (not one of its
// versions, attachments or blockers).
func deletes(s plan.Step) bool {
	switch s.Op {
	case plan.OpDeletePolicy, plan.OpDeleteRole, plan.OpDeleteProfile, plan.OpDeleteUser, plan.OpDeleteAccessKey, plan.OpDeleteLoginProfile, plan.OpDeleteSecret:
		return true
	}
	return false
}
