package account

import (
	"context"
	"errors"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/outputs"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/registration"
	"github.com/rciam/rciam/internal/rotate"
)

// RotateOptions are rotate-key's.
type RotateOptions struct {
	Layout desired.Layout
	// Grace keeps the old key inactive this long (--grace).
	Grace time.Duration
}

// Rotation is what rotate-key did or, for a dry run, would do.
type Rotation struct {
	Result *rotate.Result // nil for a dry run
	Steps  []string       // a dry run's steps
	// CloudAccount is the Redis Cloud cloud account moved to the new key;
	// 0 when the account is not registered.
	CloudAccount int
}

// RotateKey replaces the access key without downtime (internal/rotate),
// moving the registered Redis Cloud cloud account to the new key; with
// dryRun it lists the steps instead.
func (t *Target) RotateKey(ctx context.Context, o RotateOptions, dryRun bool) (*Rotation, error) {
	s, err := t.Open(ctx, o.Layout)
	if err != nil {
		return nil, err
	}
	l := s.Live
	rot := &rotate.Rotator{IAM: t.IAM, Secrets: t.Secrets, Books: t.books(l), Gate: t.keyGate(), Grace: o.Grace, Logf: t.Logf, After: t.RotateAfter}
	var out *outputs.Outputs
	id, rc, err := t.cloudAccount(ctx, l)
	if err != nil {
		return nil, err
	}
	if id > 0 {
		// Registered: every update sends the console password too, which
		// must be the login's; and the API keys are needed before anything
		// changes.
		if err := refuseIfPasswordPending(l); err != nil {
			return nil, err
		}
		if rc == nil {
			if rc, err = t.redis(); err != nil {
				return nil, err
			}
		}
		if out, err = t.Outputs(ctx, s, !dryRun); err != nil {
			return nil, err
		}
		rot.Redis = &registration.Registrar{RC: rc, ID: id, Out: out}
	}
	if dryRun {
		steps, err := rot.DryRun(ctx, l)
		if err != nil {
			return nil, err
		}
		return &Rotation{Steps: steps, CloudAccount: id}, nil
	}
	if out == nil {
		if out, err = t.Outputs(ctx, s, true); err != nil {
			return nil, err
		}
	}
	rot.StoredSecret = &out.AccessSecretKey
	res, err := rot.Run(ctx, l)
	if err != nil {
		return nil, err
	}
	if id > 0 {
		// Found by the previous key's id: record it again on the secret.
		if err := rot.Books.RecordCloudAccount(ctx, l.Books, id); err != nil {
			return nil, err
		}
	}
	return &Rotation{Result: res, CloudAccount: id}, nil
}

// cloudAccount is the Redis Cloud cloud account the account is registered
// as: the one recorded on the key secret; or, when that record was lost
// with the key secret and a previous key is kept (the lost-key rule), the
// cloud account that holds the previous key — looked for only when the
// Redis Cloud API keys are set. 0 when not registered. The client is
// returned when one was made.
func (t *Target) cloudAccount(ctx context.Context, l *live.State) (int, *rediscloud.Client, error) {
	if id := l.Books.CloudAccount; id > 0 || l.Books.Previous == "" {
		return id, nil, nil
	}
	rc, err := t.redis()
	if errors.Is(err, rediscloud.ErrNoKeys) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	a, err := registration.Find(ctx, rc, bookkeeping.Record{}, l.Books.Previous, "")
	if err != nil || a == nil {
		return 0, rc, err
	}
	t.notef("cloud account %d holds the previous key %s: it is moved to the stored key", a.ID, l.Books.Previous)
	return a.ID, rc, nil
}
