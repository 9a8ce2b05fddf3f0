package iampolicy

import (
	"fmt"
	"strings"
)

// ValidationError says why IAM would reject a document: which statement (by
// Sid or position), which field, and what is wrong, in the spirit of IAM's
// MalformedPolicyDocument messages.
type ValidationError struct {
	// Statement is the 0-based index of the statement, or -1 for the
	// document as a whole.
	Statement int
	Sid       string
	// Field is the element, e.g. "Effect", "Action", "Condition"; may be "".
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Statement >= 0 {
		b.WriteString("statement ")
		b.WriteString(statementName(e.Sid, e.Statement))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// docError is a ValidationError about the whole document.
func docError(field, format string, args ...any) error {
	return &ValidationError{Statement: -1, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// stmtErrors builds ValidationErrors for one statement.
type stmtErrors struct {
	index int
	sid   string
	// lenient reads a document AWS accepted (ParseAccepted).
	lenient bool
}

func (s stmtErrors) errorf(field, format string, args ...any) error {
	return &ValidationError{Statement: s.index, Sid: s.sid, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// SizeError says a document exceeds IAM's size limit for its kind.
type SizeError struct {
	Kind  Kind
	Limit int
	Size  int
	// Whitespace reports whether whitespace was counted (SCPs) or not (IAM).
	Whitespace bool
}

func (e *SizeError) Error() string {
	what := "non-whitespace characters"
	if e.Whitespace {
		what = "characters"
	}
	return fmt.Sprintf("%s is %s %s; the limit is %s: shorten the document",
		e.Kind, groupDigits(e.Size), what, groupDigits(e.Limit))
}

// CharError says a document holds a character IAM does not accept.
type CharError struct {
	Rune   rune
	Offset int // byte offset in the document
	Line   int // 1-based
}

func (e *CharError) Error() string {
	if e.Rune == -1 {
		return fmt.Sprintf("invalid UTF-8 at line %d (byte %d): save the document as UTF-8", e.Line, e.Offset)
	}
	return fmt.Sprintf("character U+%04X at line %d (byte %d) is not allowed: IAM accepts only tab, newline, carriage return and U+0020 to U+00FF",
		e.Rune, e.Line, e.Offset)
}

// groupDigits prints n with thousands separators, as AWS's docs write limits.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
