package apply

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rciam/rciam/internal/awsclient"
)

// retryable decides whether an error is IAM's eventual consistency showing,
// to be retried within the consistency budget.
type retryable func(error) bool

// notYetVisible: an entity created moments ago is briefly "not found".
func notYetVisible(err error) bool { return awsclient.ErrorCode(err) == "NoSuchEntity" }

// principalNotYetValid: a new principal is briefly an invalid one in trust
// policies (docs/behaviour.md, "IAM eventual consistency").
func principalNotYetValid(err error) bool {
	return awsclient.ErrorCode(err) == "MalformedPolicyDocument" && strings.Contains(strings.ToLower(awsclient.Short(err)), "invalid principal")
}

// stillAttached: a delete right after a detach may still conflict.
func stillAttached(err error) bool { return awsclient.ErrorCode(err) == "DeleteConflict" }

// loginBusy: login profile operations right after a change.
func loginBusy(err error) bool {
	return awsclient.ErrorCode(err) == "EntityTemporarilyUnmodifiable" || notYetVisible(err)
}

func concurrentModification(err error) bool {
	return awsclient.ErrorCode(err) == "ConcurrentModification"
}

// withConsistency calls fn until it succeeds, fails with an error retry
// does not accept, or the budget (or ctx) runs out. Waits grow from 250 ms
// to 5 s with jitter.
func (e *Executor) withConsistency(ctx context.Context, what string, retry retryable, fn func(context.Context) error) error {
	budget := e.ConsistencyBudget
	if budget <= 0 {
		budget = DefaultConsistencyBudget
	}
	deadline := time.Now().Add(budget)
	wait := 250 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil || !(retry(err) || concurrentModification(err)) || time.Now().Add(wait).After(deadline) {
			return err
		}
		e.logf("waiting for IAM to catch up: %s: %s (retry in %s)", what, awsclient.ErrorCode(err), wait.Round(time.Millisecond))
		d := wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		if wait *= 2; wait > 5*time.Second {
			wait = 5 * time.Second
		}
	}
}

// alreadyDone reports the answers of a retried call whose first attempt took
// effect (the response was lost), per operation kind (docs/behaviour.md, "Lost responses").
func alreadyExists(err error) bool { return awsclient.ErrorCode(err) == "EntityAlreadyExists" }
func alreadyGone(err error) bool   { return awsclient.ErrorCode(err) == "NoSuchEntity" }
