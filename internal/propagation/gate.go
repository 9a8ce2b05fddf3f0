package propagation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/secret"
)

// Prober calls STS GetCallerIdentity signed with a key pair and returns the
// caller ARN.
type Prober func(ctx context.Context, keyID string, sec secret.Value) (string, error)

// Defaults of a Gate.
const (
	DefaultInterval = 1500 * time.Millisecond
	DefaultBudget   = 2 * time.Minute
	DefaultNeed     = 3
)

// Gate polls until Need consecutive calls return an ARN ending in
// WantSuffix, or the budget (or ctx) runs out.
type Gate struct {
	Probe      Prober
	WantSuffix string // e.g. ":user/redislabs-user"
	Interval   time.Duration
	Budget     time.Duration
	Need       int
	Logf       func(format string, args ...any)
}

// Wait blocks until the key works; its error is one line naming the masked
// key id and the time waited.
func (g Gate) Wait(ctx context.Context, keyID string, sec secret.Value) error {
	_, err := g.Until(ctx, keyID, sec)
	return err
}

// Until is Wait that also returns the ARN the key signed as.
func (g Gate) Until(ctx context.Context, keyID string, sec secret.Value) (string, error) {
	interval, budget, need := g.Interval, g.Budget, g.Need
	if interval <= 0 {
		interval = DefaultInterval
	}
	if budget <= 0 {
		budget = DefaultBudget
	}
	if need <= 0 {
		need = DefaultNeed
	}
	start := time.Now()
	ok := 0
	var last error
	for {
		arn, err := g.Probe(ctx, keyID, sec)
		switch {
		case err == nil && strings.HasSuffix(arn, g.WantSuffix):
			ok++
			if ok >= need {
				return arn, nil
			}
		case err == nil:
			return arn, fmt.Errorf("access key %s signs as %s, not as %s", secret.MaskKeyID(keyID), arn, strings.TrimPrefix(g.WantSuffix, ":"))
		default:
			ok, last = 0, err
		}
		waited := time.Since(start).Round(time.Second)
		if g.Logf != nil {
			g.Logf("waiting for key %s (%s)", secret.MaskKeyID(keyID), waited)
		}
		if time.Since(start)+interval > budget {
			return "", &NotValidError{KeyID: keyID, Waited: waited, Last: last}
		}
		select {
		case <-ctx.Done():
			return "", &NotValidError{KeyID: keyID, Waited: time.Since(start).Round(time.Second), Last: ctx.Err()}
		case <-time.After(interval):
		}
	}
}

// NotValidError is a key that did not become valid in time.
type NotValidError struct {
	KeyID  string
	Waited time.Duration
	Last   error
}

func (e *NotValidError) Error() string {
	msg := fmt.Sprintf("access key %s did not become valid within %s", secret.MaskKeyID(e.KeyID), e.Waited)
	if e.Last != nil && !errors.Is(e.Last, context.Canceled) {
		msg += " (last answer: " + awsclient.Short(e.Last) + ")"
	}
	return msg + ": check the key in IAM, then retry"
}
