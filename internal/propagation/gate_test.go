package propagation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/secret"
)

// A fake STS that rejects the key for the first n calls (docs/behaviour.md, "Access key readiness").
func flaky(n int, calls *int) Prober {
	return func(context.Context, string, secret.Value) (string, error) {
		*calls++
		if *calls <= n {
			return "", errors.New("InvalidClientTokenId: The security token included in the request is invalid")
		}
		return "arn:aws:iam::123456789012:user/redislabs-user", nil
	}
}

func TestGateWaitsForThreeConsecutiveSuccesses(t *testing.T) {
	t.Parallel()
	calls := 0
	g := Gate{Probe: flaky(4, &calls), WantSuffix: ":user/redislabs-user", Interval: time.Millisecond, Budget: time.Second}
	if err := g.Wait(context.Background(), "AKIAIOSFODNN7EXAMPLE", secret.New("s")); err != nil {
		t.Fatal(err)
	}
	if calls != 7 {
		t.Errorf("calls = %d, want 4 failures + 3 successes", calls)
	}
}

func TestGateGivesUpWithOneLine(t *testing.T) {
	t.Parallel()
	calls := 0
	g := Gate{Probe: flaky(1000, &calls), WantSuffix: ":user/redislabs-user", Interval: 5 * time.Millisecond, Budget: 50 * time.Millisecond}
	err := g.Wait(context.Background(), "AKIAIOSFODNN7EXAMPLE", secret.New("hunter2"))
	var nv *NotValidError
	if !errors.As(err, &nv) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "AKIA…MPLE") || strings.Contains(msg, "AKIAIOSFODNN7EXAMPLE") || strings.Contains(msg, "hunter2") || strings.Contains(msg, "\n") {
		t.Errorf("message = %q", msg)
	}
}

func TestGateRejectsAnotherPrincipal(t *testing.T) {
	t.Parallel()
	g := Gate{Probe: func(context.Context, string, secret.Value) (string, error) {
		return "arn:aws:iam::123456789012:user/someone", nil
	}, WantSuffix: ":user/redislabs-user", Interval: time.Millisecond}
	if err := g.Wait(context.Background(), "AKIAIOSFODNN7EXAMPLE", secret.New("s")); err == nil || !strings.Contains(err.Error(), "someone") {
		t.Errorf("err = %v", err)
	}
}
