// Package propagation rides out IAM's eventual consistency for what rciam
// has just made (docs/behaviour.md, "IAM eventual consistency" and "Access
// key readiness"). The rule, the same for every command: an entity this
// run created, or an access key younger than KeyWindow, that reads as
// missing or is refused (NoSuchEntity, InvalidClientTokenId) is
// propagating, not drift — rciam waits for it, bounded, and never creates
// or replaces it again.
//
//   - Gate waits until a key pair signs STS calls as the expected user
//     (register and rotate-key before they hand a key to Redis Cloud;
//     verify for a young key it could not prove).
//   - Await re-reads until what a run made is visible (apply's read-back).
//
// Neither ever logs a secret.
package propagation

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rciam/rciam/internal/awsclient"
)

// KeyWindow is how long a new access key may be refused by AWS before its
// refusal means something else (a wrong or deleted secret). AWS documents
// "a few seconds"; 30 s is far above what is seen.
const KeyWindow = 30 * time.Second

// EntityBudget bounds a wait for an entity a run made to become visible,
// as Terraform's AWS provider bounds its IAM waits.
const EntityBudget = 2 * time.Minute

// Young reports whether a key created at created (IAM's clock) is younger
// than KeyWindow at now (AWS's time).
func Young(created, now time.Time) bool {
	return !created.IsZero() && now.Sub(created) < KeyWindow
}

// Refused reports the answer AWS gives for a key it does not accept (yet).
func Refused(err error) bool { return awsclient.ErrorCode(err) == "InvalidClientTokenId" }

// Await calls pending until it reports nothing pending, waiting between
// calls (250 ms growing to 2 s, with jitter), for at most budget (or until
// ctx ends). pending returns what is still not visible, for the log and
// the error.
func Await(ctx context.Context, budget time.Duration, logf func(string, ...any), pending func(context.Context) (string, error)) error {
	what, err := Poll(ctx, budget, pending, func(what string) {
		if logf != nil {
			logf("waiting for IAM to show %s (made by this run)", what)
		}
	})
	if err == nil && what != "" {
		return &StillMissingError{What: what, Waited: budget}
	}
	return err
}

// Poll calls pending until it reports nothing pending (""), telling
// waiting what it waits for before each pause (250 ms growing to 2 s, with
// jitter). It returns what is still pending when the next pause would
// pass budget, or the error of pending or ctx.
func Poll(ctx context.Context, budget time.Duration, pending func(context.Context) (string, error), waiting func(what string)) (string, error) {
	deadline := time.Now().Add(budget)
	wait := 250 * time.Millisecond
	for {
		what, err := pending(ctx)
		if err != nil || what == "" {
			return "", err
		}
		if time.Now().Add(wait).After(deadline) {
			return what, nil
		}
		waiting(what)
		d := wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(d):
		}
		if wait *= 2; wait > 2*time.Second {
			wait = 2 * time.Second
		}
	}
}

// StillMissingError is something a run made that did not become visible
// within the wait: not drift to repair by making it again.
type StillMissingError struct {
	What   string
	Waited time.Duration
}

func (e *StillMissingError) Error() string {
	return fmt.Sprintf("%s, made by this run, is still not visible after %s (IAM is slower than usual to propagate): run apply again in a minute; nothing will be made twice", e.What, e.Waited)
}
