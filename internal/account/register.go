package account

import (
	"context"
	"errors"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/registration"
	"github.com/rciam/rciam/internal/secret"
)

// RegisterOptions are register's.
type RegisterOptions struct {
	Layout desired.Layout
	// Name is the cloud account's name in Redis Cloud.
	Name string
	// ForceUpdate sends the credentials even when the key id matches.
	ForceUpdate bool
}

// Register registers the account with Redis Cloud (internal/registration)
// once its access key works, and records the cloud account id.
func (t *Target) Register(ctx context.Context, o RegisterOptions) (*registration.Result, error) {
	rc, err := t.redis() // the API keys are checked before anything else
	if err != nil {
		return nil, err
	}
	s, err := t.Open(ctx, o.Layout)
	if err != nil {
		return nil, err
	}
	if err := refuseIfPasswordPending(s.Live); err != nil {
		return nil, err
	}
	out, err := t.Outputs(ctx, s, true)
	if err != nil {
		return nil, err
	}
	if err := t.keyGate().Wait(ctx, out.AccessKeyID, out.AccessSecretKey); err != nil {
		return nil, err
	}
	res, err := registration.Register(ctx, rc, s.Live.Books, out, o.Name, o.ForceUpdate, t.logf)
	if err != nil {
		return nil, err
	}
	if res.Unchanged {
		t.notef("cloud account %d already holds access key %s: no change (the secret and password cannot be compared; use --force-update to push them)",
			res.Account.ID, secret.MaskKeyID(out.AccessKeyID))
	}
	if err := t.books(s.Live).RecordCloudAccount(ctx, s.Live.Books, res.Account.ID); err != nil {
		return nil, err
	}
	return res, nil
}

// errPasswordPending: the console password rciam would send Redis Cloud
// may not be the login's.
var errPasswordPending = errors.New("the stored console password may not be the login's (a run is changing it, or stopped while changing it): run 'rciam apply' first")

// refuseIfPasswordPending refuses, before anything changes, a command that
// sends the stored console password to Redis Cloud while a password mark
// is on the password secret: a run that stopped between storing a password
// and setting it on the login left them possibly different, and 'rciam
// apply' repairs that.
func refuseIfPasswordPending(l *live.State) error {
	if l.Books.Pending() {
		return errPasswordPending
	}
	return nil
}
