package rcserver

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Task statuses, as the API spells them. The official client keeps polling
// while a task is initialized, received or processing-in-progress.
const (
	TaskInitialized = "initialized"
	TaskReceived    = "received"
	TaskInProgress  = "processing-in-progress"
	TaskCompleted   = "processing-completed"
	TaskError       = "processing-error"
)

// Error codes the server answers with, in task errors or 4xx bodies. Tests
// may pass other codes to FailTasks; they get status "400 BAD_REQUEST".
const (
	CodeNameExists       = "CLOUD_ACCOUNT_NAME_EXISTS"
	CodeAccessKeyExists  = "CLOUD_ACCOUNT_ACCESS_KEY_EXISTS"
	CodeInvalidCreds     = "CLOUD_ACCOUNT_INVALID_CREDS"
	CodePermissionFailed = "CLOUD_ACCOUNT_PERMISSION_FAILED"
	CodeUsed             = "CLOUD_ACCOUNT_USED"
	CodeNotFound         = "CLOUD_ACCOUNT_NOT_FOUND"
	CodeGeneralError     = "GENERAL_ERROR"
	CodeBadRequest       = "BAD_REQUEST"
)

// knownErrors gives each code its status and description.
var knownErrors = map[string][2]string{
	CodeNameExists:       {"400 BAD_REQUEST", "Cloud account name already exists"},
	CodeAccessKeyExists:  {"400 BAD_REQUEST", "Cloud account with this access key already exists"},
	CodeInvalidCreds:     {"400 BAD_REQUEST", "Cloud account credentials are invalid"},
	CodePermissionFailed: {"403 FORBIDDEN", "Cloud account permissions check failed: the IAM user lacks required permissions"},
	CodeUsed:             {"409 CONFLICT", "Cloud account is used by one or more subscriptions and cannot be deleted"},
	CodeNotFound:         {"404 NOT_FOUND", "Cloud account was not found"},
	CodeGeneralError:     {"500 INTERNAL_SERVER_ERROR", "General error; please contact support"},
	CodeBadRequest:       {"400 BAD_REQUEST", "Bad request"},
}

// apiError is the API's error object, in task responses and 4xx bodies.
type apiError struct {
	Type        string `json:"type"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// newAPIError builds the error for code; description "" means the code's
// usual one.
func newAPIError(code, description string) apiError {
	known, ok := knownErrors[code]
	if !ok {
		known = [2]string{"400 BAD_REQUEST", "Request failed with " + code}
	}
	if description == "" {
		description = known[1]
	}
	return apiError{Type: code, Status: known[0], Description: description}
}

const (
	cmdCreate = "cloudAccountCreateRequest"
	cmdUpdate = "cloudAccountUpdateRequest"
	cmdDelete = "cloudAccountDeleteRequest"
)

// task is one asynchronous request. Its outcome is fixed when it is made;
// polls only reveal it, after notFound 404s and pending non-final answers.
type task struct {
	id         string
	command    string
	created    time.Time
	resourceID int
	errCode    string // "" on success
	notFound   int
	pending    int
	polls      int // answered polls that were not 404
}

func (st *state) newTask(command string, o Options) *task {
	st.nextTask++
	t := &task{
		id:       fmt.Sprintf("%08x-0000-4000-8000-%012x", st.nextTask, st.nextTask),
		command:  command,
		created:  time.Now().UTC(),
		notFound: o.TaskNotFoundPolls,
		pending:  o.TaskPendingPolls,
	}
	st.tasks[t.id] = t
	return t
}

func (t *task) fail(code string) *task {
	t.errCode = code
	return t
}

// taskJSON is a task as the API shows it.
type taskJSON struct {
	TaskID      string           `json:"taskId"`
	CommandType string           `json:"commandType"`
	Status      string           `json:"status"`
	Description string           `json:"description"`
	Timestamp   string           `json:"timestamp"`
	Response    *taskResponse    `json:"response,omitempty"`
	HALLinks    map[string]*link `json:"_links,omitempty"`
	Links       []link           `json:"links,omitempty"`
}

type taskResponse struct {
	ResourceID     *int      `json:"resourceId,omitempty"`
	Error          *apiError `json:"error,omitempty"`
	AdditionalInfo string    `json:"additionalInfo,omitempty"`
}

// accepted is the 202 answer to the request that made the task.
func (t *task) accepted(base string) taskJSON {
	return taskJSON{
		TaskID: t.id, CommandType: t.command, Status: TaskReceived,
		Description: "Task request received and is being queued for processing.",
		Timestamp:   t.created.Format(time.RFC3339Nano),
		HALLinks: map[string]*link{"task": {
			Href: base + "/tasks/" + t.id, Title: "getTaskStatusUpdates", Type: "GET",
		}},
	}
}

// poll answers one GET of the task; ok is false while it is still unknown.
func (t *task) poll(base string) (v taskJSON, ok bool) {
	if t.notFound > 0 {
		t.notFound--
		return v, false
	}
	v = taskJSON{
		TaskID: t.id, CommandType: t.command, Timestamp: t.created.Format(time.RFC3339Nano),
		Links: []link{{Rel: "self", Href: base + "/tasks/" + t.id, Type: "GET"}},
	}
	switch {
	case t.pending > 0 && t.polls == 0:
		v.Status, v.Description = TaskReceived, "Task request received and is being queued for processing."
	case t.pending > 0:
		v.Status, v.Description = TaskInProgress, "Task request is being processed."
	case t.errCode != "":
		e := newAPIError(t.errCode, "")
		v.Status = TaskError
		v.Description = "Task request failed during processing. See error information for failure details."
		v.Response = &taskResponse{Error: &e, AdditionalInfo: additionalInfo(t.errCode)}
	default:
		id := t.resourceID
		v.Status = TaskCompleted
		v.Description = "Request processing completed successfully and its resources are now being provisioned / de-provisioned."
		v.Response = &taskResponse{ResourceID: &id}
	}
	if t.pending > 0 {
		t.pending--
	}
	t.polls++
	return v, true
}

// additionalInfo is the machine-readable detail the API adds to an error,
// e.g. "cloud-account-invalid-creds".
func additionalInfo(code string) string {
	return strings.ToLower(strings.ReplaceAll(code, "_", "-"))
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	t, known := s.st.tasks[id]
	var v taskJSON
	if known {
		v, known = t.poll(baseOf(r))
	}
	s.mu.Unlock()
	if !known {
		writeJSON(w, http.StatusNotFound, apiError{Type: "TASK_NOT_FOUND", Status: "404 NOT_FOUND",
			Description: "Task " + id + " was not found"})
		return
	}
	writeJSON(w, http.StatusOK, v)
}
