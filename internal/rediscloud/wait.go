package rediscloud

import (
	"context"
	"errors"
	"fmt"
)

// Cloud account statuses (docs/behaviour.md, "Creating and updating").
const (
	statusActive      = "active"
	statusActiveError = "active-error"
	statusFailed      = "error"
	statusDeleted     = "deleted"
)

// waiting are the statuses that mean "keep waiting"; any status that is
// neither here nor final is treated the same way and shown verbatim if
// the wait times out.
var waiting = map[string]bool{"draft": true, "pending": true, "change-draft": true, "change-pending": true}

// WaitActive reads the cloud account every PollInterval until it is
// active, and returns it. active-error, error and deleted end the wait at
// once with an error naming the status (the account is returned too, for
// its status). The wait is bounded by ctx: when it ends, the error is a
// WaitError with the last status seen.
func (c *Client) WaitActive(ctx context.Context, id int) (*Account, error) {
	action := fmt.Sprintf("wait for cloud account %d", id)
	last := ""
	for {
		a, err := c.get(ctx, id)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, c.wrap(action, &WaitError{AccountID: id, LastStatus: last})
			}
			return nil, c.wrap(action, err)
		}
		switch a.Status {
		case statusActive:
			return a, nil
		case statusActiveError, statusFailed, statusDeleted:
			return a, c.wrap(action, &statusError{ID: id, Status: a.Status})
		}
		if a.Status != last {
			note := ""
			if !waiting[a.Status] {
				note = " (unknown status: treated as pending)"
			}
			c.logf("cloud account %d is %s%s: waiting for active", id, a.Status, note)
		}
		last = a.Status
		if err := sleep(ctx, c.o.PollInterval); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, c.wrap(action, &WaitError{AccountID: id, LastStatus: last})
			}
			return nil, c.wrap(action, ctxError(ctx))
		}
	}
}
