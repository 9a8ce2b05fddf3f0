package awsclient

import (
	"context"
	"sort"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
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
	// OnCall, when set, is told of each finished call (verbose logging).
	OnCall func(Call)
}

// APIOption adds the recorder to a client's middleware stack, outside the
// retry loop.
func (r *Recorder) APIOption(s *middleware.Stack) error {
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

// Reset forgets the recorded calls.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

// Rounds returns the number of dependent rounds among the recorded calls:
// the longest chain of calls each of which started after the previous one
// ended. Calls in flight together count once, however many there are.
func (r *Recorder) Rounds() int { return Rounds(r.Calls()) }

// Rounds computes the dependent depth of calls (see Recorder.Rounds).
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
