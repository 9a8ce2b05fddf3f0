package rediscloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/RedisLabs/rediscloud-go-api/service/cloud_accounts"
)

// processingStates are the task statuses go-api keeps polling through.
var processingStates = map[string]bool{"initialized": true, "received": true, "processing-in-progress": true}

// convert turns what go-api returned into rciam's errors: TaskError for a
// failed task (with the id the transport recorded), WaitError when the
// context ran out during a task wait, ErrNotFound, and the transport's own
// errors unwrapped from go-api's and net/url's wording.
func (c *Client) convert(ctx context.Context, tr *trace, err error) error {
	if err == nil {
		return nil
	}
	st := tr.state()
	// go-api returns a failed task's error object, an internal type: reach
	// it through a method it has and read its fields through JSON.
	var apiErr interface{ StatusCode() string }
	if errors.As(err, &apiErr) {
		var body apiErrorBody
		if b, jerr := json.Marshal(apiErr); jerr != nil || json.Unmarshal(b, &body) != nil || body.Type == "" && st.Err != nil {
			body = *st.Err
		}
		return &TaskError{TaskID: st.ID, Type: body.Type, Status: body.Status, Description: c.red.clean(body.Description)}
	}
	if st.ID != "" && st.Status != "" && st.Status != taskCompleted && !processingStates[st.Status] {
		te := &TaskError{TaskID: st.ID, Status: st.Status}
		if st.Err != nil {
			te.Type, te.Status, te.Description = st.Err.Type, st.Err.Status, c.red.clean(st.Err.Description)
		}
		return te
	}
	if ctx.Err() != nil {
		if st.ID != "" && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			last := st.Status
			if st.Polls == 0 && st.NotFound > 0 {
				last = "not known yet (404)"
			}
			return &WaitError{TaskID: st.ID, LastStatus: last}
		}
		return ctxError(ctx)
	}
	var nf *cloud_accounts.NotFound
	var he *httpError
	var nr *noResponseError
	switch {
	case errors.As(err, &nf):
		return ErrNotFound
	case errors.As(err, &he):
		return he
	case errors.As(err, &nr):
		return nr
	case st.ID != "" && st.NotFound > 0 && st.Polls == 0:
		return fmt.Errorf("redis cloud task %s was still unknown after %d polls answered 404: look for it in the Redis Cloud console", st.ID, st.NotFound)
	}
	return err
}

// ctxErr is a context that ended: --timeout or an interrupt. It matches
// the context's error.
type ctxErr struct{ err error }

func (e *ctxErr) Error() string {
	if errors.Is(e.err, context.DeadlineExceeded) {
		return "timed out: raise --timeout"
	}
	return "interrupted"
}

func (e *ctxErr) Unwrap() error { return e.err }

func ctxError(ctx context.Context) error { return &ctxErr{ctx.Err()} }
