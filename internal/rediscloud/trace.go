package rediscloud

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// trace is what the transport saw during one call of ours: the task the
// call started and the last answer about it. It travels in the request
// context, so concurrent calls never mix their tasks.
type trace struct {
	mu       sync.Mutex
	taskID   string
	command  string
	status   string        // last status of GET /tasks/{id}
	taskErr  *apiErrorBody // response.error of that answer, if any
	notFound int           // GET /tasks/{id} answered 404
	polls    int           // GET /tasks/{id} answered with the task
}

type traceKey struct{}

func withTrace(ctx context.Context) (context.Context, *trace) {
	tr := &trace{}
	return context.WithValue(ctx, traceKey{}, tr), tr
}

func traceFrom(ctx context.Context) *trace {
	tr, _ := ctx.Value(traceKey{}).(*trace)
	return tr
}

// taskState is a copy of what the trace holds.
type taskState struct {
	ID, Command, Status string
	Err                 *apiErrorBody
	NotFound, Polls     int
}

func (tr *trace) state() taskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return taskState{tr.taskID, tr.command, tr.status, tr.taskErr, tr.notFound, tr.polls}
}

// Task statuses go-api knows (internal/service.go).
const (
	taskCompleted = "processing-completed"
	taskError     = "processing-error"
)

// taskBody is the part of a task answer rciam reads.
type taskBody struct {
	TaskID      string `json:"taskId"`
	CommandType string `json:"commandType"`
	Status      string `json:"status"`
	Response    *struct {
		Error *apiErrorBody `json:"error"`
	} `json:"response"`
}

// observe records the task a 202 names and the state a task poll shows,
// reading the body and handing go-api an equivalent one.
func (t *transport) observe(req *http.Request, resp *http.Response) {
	path := req.URL.Path
	isTask := req.Method == http.MethodGet && isItem(path) && strings.Contains(path, "/tasks/")
	started := resp.StatusCode == http.StatusAccepted && req.Method != http.MethodGet && strings.Contains(path, "/cloud-accounts")
	if !isTask && !started {
		return
	}
	tr := traceFrom(req.Context())
	if isTask && resp.StatusCode == http.StatusNotFound {
		if tr != nil {
			tr.mu.Lock()
			tr.notFound++
			tr.mu.Unlock()
		}
		t.logf("task %s is not known yet (404)", path[strings.LastIndexByte(path, '/')+1:])
		return
	}
	var body taskBody
	if json.Unmarshal(peek(resp), &body) != nil || body.TaskID == "" {
		return
	}
	if started {
		t.logf("%s %s: task %s accepted", req.Method, path, body.TaskID)
		if tr != nil {
			tr.mu.Lock()
			tr.taskID, tr.command, tr.status, tr.taskErr, tr.notFound, tr.polls = body.TaskID, body.CommandType, body.Status, nil, 0, 0
			tr.mu.Unlock()
		}
		return
	}
	var changed bool
	if tr != nil {
		tr.mu.Lock()
		changed = tr.status != body.Status || tr.polls == 0
		tr.status = body.Status
		tr.polls++
		if body.Response != nil && body.Response.Error != nil {
			tr.taskErr = body.Response.Error
		}
		tr.mu.Unlock()
	}
	if changed || tr == nil {
		t.logf("task %s: %s", body.TaskID, body.Status)
	}
}

// peek reads up to 1 MiB of the body and puts back a body that yields the
// same bytes.
func peek(resp *http.Response) []byte {
	orig := resp.Body
	b, _ := io.ReadAll(io.LimitReader(orig, 1<<20))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), orig), orig}
	return b
}
