// Package registration owns an AWS account's registration with Redis
// Cloud: finding its cloud account (by the id rciam recorded, else the
// access key id, else the exact name), creating or updating it with the
// outputs and waiting until it is active, moving it to a new access key
// during a rotation, and deleting it. Which cloud account it is, is
// recorded by internal/bookkeeping; the API is internal/rediscloud's.
package registration

import (
	"context"
	"errors"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/outputs"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/secret"
)

// Result is what Register did.
type Result struct {
	Account *rediscloud.Account
	// Unchanged: the cloud account already held the access key, and
	// nothing was sent.
	Unchanged bool
}

// Register creates the cloud account named name from out (revealed), or
// finds it (docs/behaviour.md, "Finding the cloud account") and updates it
// when its access key differs or force is set, then waits until it is
// active. rec is the account's bookkeeping (the recorded id).
func Register(ctx context.Context, rc *rediscloud.Client, rec bookkeeping.Record, out *outputs.Outputs, name string, force bool, logf func(string, ...any)) (*Result, error) {
	body := Body(name, out)
	acct, err := Find(ctx, rc, rec, out.AccessKeyID, name)
	if err != nil {
		return nil, err
	}
	var id int
	unchanged := false
	switch {
	case acct == nil:
		logf("creating cloud account %q", name)
		if id, err = rc.Create(ctx, body); err != nil {
			return nil, err
		}
	case !rediscloud.SameKeyID(acct.AccessKeyID, out.AccessKeyID) || force:
		logf("updating cloud account %d", acct.ID)
		if err := rc.Update(ctx, acct.ID, body); err != nil {
			return nil, err
		}
		id = acct.ID
	default:
		id, unchanged = acct.ID, true
	}
	a, err := rc.WaitActive(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Result{Account: a, Unchanged: unchanged}, nil
}

// Find looks for the cloud account by the id recorded on the key secret,
// then by access key id, then by exact name; nil when there is none.
func Find(ctx context.Context, rc *rediscloud.Client, rec bookkeeping.Record, keyID, name string) (*rediscloud.Account, error) {
	if id := rec.CloudAccount; id > 0 {
		a, err := rc.Get(ctx, id)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, rediscloud.ErrNotFound) {
			return nil, err
		}
	}
	list, err := rc.List(ctx)
	if err != nil {
		return nil, err
	}
	return rediscloud.FindMatch(list, keyID, name)
}

// Body is the request body that registers out under name.
func Body(name string, out *outputs.Outputs) rediscloud.Body {
	return rediscloud.Body{Name: name, AccessKeyID: out.AccessKeyID, AccessSecretKey: out.AccessSecretKey,
		ConsoleUsername: out.ConsoleUsername, ConsolePassword: out.ConsolePassword, SignInLoginURL: out.SignInLoginURL}
}

// Deregister deletes cloud account id; one already gone is no error.
func Deregister(ctx context.Context, rc *rediscloud.Client, id int) error {
	if err := rc.Delete(ctx, id); err != nil && !errors.Is(err, rediscloud.ErrNotFound) {
		return err
	}
	return nil
}

// Registrar moves the registered cloud account to a new key pair during a
// rotation (rotate.Registrar). Every update carries all the credentials,
// so it holds the outputs (revealed).
type Registrar struct {
	RC  *rediscloud.Client
	ID  int
	Out *outputs.Outputs
}

// Update sends keyID and sec with the other credentials and waits until
// the cloud account is active again.
func (g *Registrar) Update(ctx context.Context, keyID string, sec secret.Value) error {
	a, err := g.RC.Get(ctx, g.ID)
	if err != nil {
		return err
	}
	body := Body(a.Name, g.Out)
	body.AccessKeyID, body.AccessSecretKey = keyID, sec
	if err := g.RC.Update(ctx, g.ID, body); err != nil {
		return err
	}
	_, err = g.RC.WaitActive(ctx, g.ID)
	return err
}

// Holds reports whether the cloud account holds keyID now.
func (g *Registrar) Holds(ctx context.Context, keyID string) (bool, error) {
	a, err := g.RC.Get(ctx, g.ID)
	if err != nil {
		return false, err
	}
	return rediscloud.SameKeyID(a.AccessKeyID, keyID), nil
}
