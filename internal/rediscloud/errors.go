package rediscloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrNotFound: the cloud account does not exist (any more).
	ErrNotFound = errors.New("not found in redis cloud")
	// ErrInUse: subscriptions still use the cloud account, so Redis Cloud
	// refuses to delete it (task error CLOUD_ACCOUNT_USED).
	ErrInUse = errors.New("cloud account is used by subscriptions")
)

// TaskError is a Redis Cloud task that ended in an error. Type is the
// error code (e.g. CLOUD_ACCOUNT_INVALID_CREDS), Status its HTTP-like
// status (e.g. "400 BAD_REQUEST"). Its text is one line with all four
// fields and a hint for the codes users meet (docs/behaviour.md, "Errors, rate limits and transport").
type TaskError struct {
	TaskID, Type, Status, Description string
}

func (e *TaskError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "redis cloud task %s failed", orUnknown(e.TaskID))
	if e.Type != "" {
		b.WriteString(": " + e.Type)
	}
	if e.Status != "" {
		fmt.Fprintf(&b, " (%s)", e.Status)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if h := e.hint(); h != "" {
		b.WriteString("; " + h)
	}
	return oneLine(b.String())
}

// Is makes a task that failed because subscriptions use the account match
// ErrInUse.
func (e *TaskError) Is(target error) bool { return target == ErrInUse && e.code("USED") }

func (e *TaskError) code(suffix string) bool {
	return e.Type == suffix || strings.HasSuffix(e.Type, "_"+suffix)
}

func (e *TaskError) hint() string {
	switch {
	case e.code("INVALID_CREDS"):
		return "likely IAM propagation: a new access key takes a while to work everywhere (run register again in a minute); " +
			"otherwise the key pair is wrong: check it with `rciam verify`"
	case e.code("PERMISSION_FAILED"):
		return "the IAM user or role lacks permissions Redis Cloud needs: run `rciam verify` (and `rciam apply` to fix them)"
	case e.code("NAME_EXISTS"):
		return "a cloud account with this name already exists: run `rciam register` against the existing account (its exact --name), or pick another name"
	case e.code("ACCESS_KEY_EXISTS"):
		return "another cloud account already holds this access key: run `rciam register` against the existing account (its exact --name)"
	case e.code("USED"):
		return "subscriptions still use this cloud account: delete them or move them to another cloud account first"
	case e.code("GENERAL_ERROR"):
		return "contact Redis Cloud support quoting task " + orUnknown(e.TaskID)
	}
	return ""
}

// WaitError is a wait that ran out of time (--timeout): for a task
// (TaskID set) or for a cloud account to become active (AccountID set).
// LastStatus is the last status seen, verbatim. It matches
// context.DeadlineExceeded.
type WaitError struct {
	TaskID, LastStatus string
	AccountID          int
}

func (e *WaitError) Error() string {
	what := "redis cloud task " + e.TaskID
	if e.TaskID == "" {
		what = fmt.Sprintf("cloud account %d to become active", e.AccountID)
	}
	return oneLine(fmt.Sprintf("timed out waiting for %s (last status: %s): raise --timeout, or look at it in the Redis Cloud console",
		what, orUnknown(e.LastStatus)))
}

func (e *WaitError) Unwrap() error { return context.DeadlineExceeded }

// statusError is a cloud account that reached a status it will not leave
// by itself (active-error, error, deleted).
type statusError struct {
	ID     int
	Status string
}

func (e *statusError) Error() string {
	hint := "Redis Cloud cannot use the AWS account with these credentials: run `rciam verify`, then `rciam register --force-update`"
	if e.Status == statusDeleted {
		hint = "it was deleted in Redis Cloud"
	}
	return fmt.Sprintf("cloud account %d is %s: %s", e.ID, e.Status, hint)
}

// opError is what the exported methods return: the action, then the
// cause, as one line with every known secret redacted. Unwrap keeps the
// cause reachable with errors.Is and errors.As.
type opError struct {
	msg string
	err error
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.err }

// wrap prefixes err with the action; nil stays nil.
func (c *Client) wrap(action string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{msg: c.red.clean(action + ": " + err.Error()), err: err}
}

// redactor knows every secret this client has seen (the API keys and the
// secrets of the bodies it sent) and removes them from text meant for
// people: error messages and -v output.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

// minScrubbed is the shortest value clean removes: a shorter one (a test
// key "a") would mangle ordinary words, and a value that short is no
// secret worth the name anyway.
const minScrubbed = 8

func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= minScrubbed {
			r.secrets = append(r.secrets, s)
		}
	}
}

// clean makes s one line without any known secret.
func (r *redactor) clean(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return oneLine(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
