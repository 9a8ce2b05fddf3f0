package apply

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/secret"
)

// DefaultOtherRunWait bounds how long a read-back waits for another run to
// store the secret of the access key it made: normally well under a
// second, more under throttling.
const DefaultOtherRunWait = 30 * time.Second

// ownKeySlack widens the windows of this run's CreateAccessKey calls when
// deciding whether a key was made by one of them (a lost response): IAM
// dates keys to the second, from its own clock.
const ownKeySlack = 2 * time.Second

// OtherRunError stops an apply that waited in vain for another run: a key
// appeared during this run and its secret was never stored. Nothing stays
// locked: the next apply finds that key in its first read and, if it is
// still not stored and was never used, deletes it as a crashed run's.
type OtherRunError struct {
	KeyID string
	Wait  time.Duration
}

func (e *OtherRunError) Error() string {
	return fmt.Sprintf("another run is changing this account: access key %s appeared during this run and its secret was not stored within %s; run apply again when the other run has finished",
		secret.MaskKeyID(e.KeyID), e.Wait)
}

// pendingKey returns an active key that appeared during this run, that
// this run did not make and whose secret is not the stored one: another
// run made it and has not stored its secret yet. "" when there is none.
func (c *Converger) pendingKey(l *live.State, created map[string]bool) string {
	if c.Start == nil {
		return ""
	}
	stored, _ := l.StoredKey()
	for _, k := range l.Keys {
		if !k.Active || k.ID == stored || created[k.ID] || c.Start.Key(k.ID) != nil || c.Exec.madeAt(k.Created) {
			continue
		}
		return k.ID
	}
	return ""
}

// waitForOtherRun re-reads the account until no other run's key is
// pending, at most OtherRunWait.
func (c *Converger) waitForOtherRun(ctx context.Context, l *live.State, created map[string]bool) (*live.State, error) {
	budget := c.OtherRunWait
	if budget <= 0 {
		budget = DefaultOtherRunWait
	}
	deadline := time.Now().Add(budget)
	wait := 250 * time.Millisecond
	for {
		id := c.pendingKey(l, created)
		if id == "" {
			return l, nil
		}
		if time.Now().Add(wait).After(deadline) {
			return nil, &OtherRunError{KeyID: id, Wait: budget}
		}
		c.Exec.logf("access key %s appeared during this run and its secret is not stored yet: waiting for the other run", secret.MaskKeyID(id))
		d := wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(d):
		}
		if wait *= 2; wait > 2*time.Second {
			wait = 2 * time.Second
		}
		var err error
		if l, err = c.readBack(ctx, created); err != nil {
			return nil, err
		}
	}
}
