package rediscloud

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Create creates the cloud account and waits for its task; it returns the
// new id (the account may still be pending: see WaitActive). A task ending
// in CLOUD_ACCOUNT_INVALID_CREDS is sent again (Options). A POST left
// without an answer is not simply repeated: the accounts are listed first
// and one matching the name or access key is adopted (docs/behaviour.md, "Creating and updating").
func (c *Client) Create(ctx context.Context, b Body) (int, error) {
	action := fmt.Sprintf("create cloud account %q", b.Name)
	if err := b.check(); err != nil {
		return 0, c.wrap(action, err)
	}
	c.red.add(b.AccessSecretKey.Reveal(), b.ConsolePassword.Reveal())
	var id int
	err := c.withCredsRetry(ctx, action, func(again bool) error {
		var err error
		id, err = c.createOnce(ctx, b, again)
		return err
	})
	return id, c.wrap(action, err)
}

// createOnce sends the POST until it gets an answer (at most maxLost
// times more), adopting the account a lost POST made. again means an
// earlier attempt may have made the account; then a duplicate-name or
// duplicate-key answer also leads to adoption.
func (c *Client) createOnce(ctx context.Context, b Body, again bool) (int, error) {
	for drops := 0; ; drops++ {
		tctx, tr := withTrace(ctx)
		id, err := c.api.Create(tctx, b.create())
		if err = c.convert(ctx, tr, err); err == nil {
			return id, nil
		}
		noAnswer := lost(err) && drops < maxLost
		duplicate := (again || drops > 0) && isCode(err, "NAME_EXISTS", "ACCESS_KEY_EXISTS")
		if !noAnswer && !duplicate {
			return 0, err
		}
		c.logf("create %q: %v: looking for the account before sending it again", b.Name, err)
		list, lerr := c.list(ctx)
		if lerr != nil {
			return 0, fmt.Errorf("%w; then listing the accounts failed: %w", err, lerr)
		}
		found, ferr := FindMatch(list, b.AccessKeyID, b.Name)
		if ferr != nil {
			return 0, ferr
		}
		if found != nil {
			c.logf("adopting cloud account %d (%q), made by the request whose answer was lost", found.ID, found.Name)
			return found.ID, nil
		}
		if duplicate {
			return 0, err
		}
	}
}

// Update sends all six fields to the cloud account and waits for the
// task. INVALID_CREDS is retried as for Create; a PUT left without an
// answer is sent again (it is idempotent).
func (c *Client) Update(ctx context.Context, id int, b Body) error {
	action := fmt.Sprintf("update cloud account %d", id)
	if err := b.check(); err != nil {
		return c.wrap(action, err)
	}
	c.red.add(b.AccessSecretKey.Reveal(), b.ConsolePassword.Reveal())
	return c.wrap(action, c.withCredsRetry(ctx, action, func(bool) error {
		for drops := 0; ; drops++ {
			tctx, tr := withTrace(ctx)
			err := c.convert(ctx, tr, c.api.Update(tctx, id, b.update()))
			if !lost(err) || drops >= maxLost {
				return err
			}
			c.logf("%s: %v: sending it again", action, err)
		}
	}))
}

// Delete deletes the cloud account and waits for the task. An account
// still used by subscriptions gives an error matching ErrInUse; an unknown
// one, ErrNotFound.
func (c *Client) Delete(ctx context.Context, id int) error {
	action := fmt.Sprintf("delete cloud account %d", id)
	for drops := 0; ; drops++ {
		tctx, tr := withTrace(ctx)
		err := c.convert(ctx, tr, c.api.Delete(tctx, id))
		switch {
		case drops > 0 && errors.Is(err, ErrNotFound):
			return nil // the request whose answer was lost deleted it
		case lost(err) && drops < maxLost:
			c.logf("%s: %v: sending it again", action, err)
		default:
			return c.wrap(action, err)
		}
	}
}

// withCredsRetry runs op again while it fails with INVALID_CREDS, at most
// InvalidCredsRetries times and within credsBudget.
func (c *Client) withCredsRetry(ctx context.Context, action string, op func(again bool) error) error {
	start := time.Now()
	for n := 0; ; n++ {
		err := op(n > 0)
		if err == nil || !isCode(err, "INVALID_CREDS") {
			return err
		}
		wait := c.o.InvalidCredsWait
		if n >= c.o.InvalidCredsRetries || time.Since(start)+wait > credsBudget {
			if n == 0 {
				return err
			}
			return fmt.Errorf("still refused after %d retries over %s: %w", n, time.Since(start).Round(time.Second), err)
		}
		c.logf("%s: Redis Cloud refused the access key (CLOUD_ACCOUNT_INVALID_CREDS), likely IAM propagation: retry %d of %d in %s",
			action, n+1, c.o.InvalidCredsRetries, wait)
		if sleep(ctx, wait) != nil {
			return fmt.Errorf("%w while waiting to retry; last error: %w", ctxError(ctx), err)
		}
	}
}

// isCode reports whether err is a task error whose code ends in one of
// the suffixes.
func isCode(err error, suffixes ...string) bool {
	var te *TaskError
	if !errors.As(err, &te) {
		return false
	}
	for _, s := range suffixes {
		if te.code(s) {
			return true
		}
	}
	return false
}
