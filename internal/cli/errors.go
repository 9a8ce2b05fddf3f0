package cli

import (
	"errors"
	"fmt"
)

// Exit codes shared by every command (docs/commands.md). Commands with their own
// meaning for a code (plan's 2, verify's 3, simulate's 3) say so through
// ExitError.
const (
	exitOK          = 0
	exitError       = 1
	exitInterrupted = 130
)

// ExitError carries an exit code chosen by a command together with the error
// to print. A nil Err prints nothing (e.g. "changes pending" for plan
// --detailed-exitcode, or a failed verify whose report is already out).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError is bad input on the command line: an unknown flag or flag value,
// a missing argument. Nothing has been changed when one is returned.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// errCancelled marks a run stopped by Ctrl-C.
var errCancelled = errors.New("interrupted")
