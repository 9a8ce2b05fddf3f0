package apply

import (
	"context"
	"fmt"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/propagation"
	r "github.com/rciam/rciam/internal/resource"
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
	KeyID string // the other run's key; "" when it is the console password
	Wait  time.Duration
}

func (e *OtherRunError) Error() string {
	what := "access key " + secret.MaskKeyID(e.KeyID) + " appeared during this run and its secret was not stored"
	if e.KeyID == "" {
		what = "it is changing the console password and did not finish"
	}
	return fmt.Sprintf("another run is changing this account: %s within %s; run apply again when the other run has finished", what, e.Wait)
}

// pendingPassword returns a password mark of another run that may still
// be going, "" when there is none: its run will confirm the login, so this
// run waits for it rather than plan a new password beside it. Stopped
// runs' marks are the plan's to replace.
func (c *Converger) pendingPassword(l *live.State) string {
	if c.Start == nil {
		return ""
	}
	if others := l.Books.OthersLive(); len(others) > 0 {
		return others[0].Key
	}
	return ""
}

// pendingKey returns an active key another run made whose secret it has
// not stored yet, or that is stored by now although the snapshot l does
// not show it: this run must neither delete it nor make a key beside it,
// but read again. "" when there is none. The key secret's version history,
// listed after l was read, tells a key whose secret was never stored (a
// run still going; or, if the key was there before this run, a crashed
// run's orphan) from one whose secret was stored and then replaced (its
// run lost the race — and may have ended believing it won, so nobody else
// would delete it).
func (c *Converger) pendingKey(ctx context.Context, l *live.State, created map[string]bool) (string, error) {
	if c.Start == nil {
		return "", nil
	}
	stored, _ := l.StoredKey()
	var history *bookkeeping.History
	for _, k := range l.Keys {
		if !k.Active || k.ID == stored || created[k.ID] || c.Exec.madeAt(k.Created) {
			continue
		}
		if history == nil {
			var err error
			if history, err = c.history(ctx); err != nil {
				return "", err
			}
		}
		seen, current := history.Stored(k.ID)
		switch {
		case seen && current:
			return k.ID, nil // stored since l was read
		case seen:
			continue // stored, then replaced: deletable
		case c.Start.Key(k.ID) != nil:
			continue // there before this run: a crashed run's orphan
		}
		return k.ID, nil
	}
	return "", nil
}

// history lists the key secret's versions; an empty history without a
// History client.
func (c *Converger) history(ctx context.Context) (*bookkeeping.History, error) {
	if c.History == nil {
		return &bookkeeping.History{}, nil
	}
	return bookkeeping.ReadHistory(ctx, c.History)
}

// waitForOtherRun re-reads the account until no other run's key or
// console password is pending, at most OtherRunWait.
func (c *Converger) waitForOtherRun(ctx context.Context, l *live.State, created map[string]bool, made []r.Address) (*live.State, error) {
	budget := c.OtherRunWait
	if budget <= 0 {
		budget = DefaultOtherRunWait
	}
	var id string
	first := true
	pending, err := propagation.Poll(ctx, budget, func(ctx context.Context) (string, error) {
		if !first {
			var err error
			if l, err = c.readBack(ctx, created, made); err != nil {
				return "", err
			}
		}
		first = false
		var err error
		if id, err = c.pendingKey(ctx, l, created); err != nil || id != "" {
			return fmt.Sprintf("access key %s appeared during this run and its secret is not stored yet: waiting for the other run", secret.MaskKeyID(id)), err
		}
		if mark := c.pendingPassword(l); mark != "" {
			return fmt.Sprintf("another run (%s) is changing the console password: waiting for it", mark), nil
		}
		return "", nil
	}, func(what string) { c.Exec.logf("%s", what) })
	switch {
	case err != nil:
		return nil, err
	case pending != "":
		return nil, &OtherRunError{KeyID: id, Wait: budget}
	}
	return l, nil
}
