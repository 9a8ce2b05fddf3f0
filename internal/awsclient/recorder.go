package awsclient

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Call is one AWS operation as the caller saw it: retries inside it are
// part of the same call.
type Call struct {
	Service, Operation string
	Start, End         time.Time
	Err                error
}

// Recorder records every operation made through the clients it is added
// to. It never looks at parameters, so it cannot capture a secret.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
	// lastErr is the last attempt that failed by a fault (isFault),
	// retried or not.
	lastErr *Call
	// OnCall, when set, is told of each finished call (verbose logging).
	OnCall func(Call)
}

// APIOption adds the recorder to a client's middleware stack: outside the
// retry loop for the calls, and inside it for the last failed attempt.
func (r *Recorder) APIOption(s *middleware.Stack) error {
	// At the end of the finalize step, after the SDK's retry middleware:
	// once per attempt.
	if err := s.Finalize.Add(middleware.FinalizeMiddlewareFunc("RciamAttemptRecorder",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil && ctx.Err() == nil && isFault(err) {
				c := Call{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx), Start: start, End: time.Now(), Err: err}
				r.mu.Lock()
				r.lastErr = &c
				r.mu.Unlock()
			}
			return out, md, err
		}), middleware.After); err != nil {
		return err
	}
	return s.Initialize.Add(middleware.InitializeMiddlewareFunc("RciamRecorder",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c := Call{Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx), Start: time.Now()}
			out, md, err := next.HandleInitialize(ctx, in)
			c.End, c.Err = time.Now(), err
			r.mu.Lock()
			r.calls = append(r.calls, c)
			r.mu.Unlock()
			if r.OnCall != nil {
				r.OnCall(c)
			}
			return out, md, err
		}), middleware.Before)
}

// Calls returns the calls recorded so far, in start order.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Call(nil), r.calls...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// LastError returns the last attempt that failed by a fault — throttling,
// a 5xx, a reset connection — whether or not the SDK retried it: what to
// name when --timeout cuts the retries short. Answers callers expect, such
// as NoSuchEntity, are not faults.
func (r *Recorder) LastError() (Call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr == nil {
		return Call{}, false
	}
	return *r.lastErr, true
}

// Rounds returns the number of dependent rounds among calls: the longest
// chain of calls each of which started after the previous one ended. Calls
// in flight together count once, however many there are.
func Rounds(calls []Call) int {
	sorted := append([]Call(nil), calls...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	depth := make([]int, len(sorted))
	best := 0
	for i, c := range sorted {
		depth[i] = 1
		for j := 0; j < i; j++ {
			if !sorted[j].End.After(c.Start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		if depth[i] > best {
			best = depth[i]
		}
	}
	return best
}

// isFault reports an error the retryer exists for — throttling, a server
// fault, no answer at all — rather than a client error such as
// NoSuchEntity, which a caller may well expect.
func isFault(err error) bool {
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorFault() != smithy.FaultClient
	}
	return true
}
