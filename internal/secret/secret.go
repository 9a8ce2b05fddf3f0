// Package secret owns values that must never be printed: access key
// secrets, console passwords and Redis Cloud API keys. A Value redacts itself
// in every formatting path, so a secret reaches a stream only through an
// explicit Reveal.
package secret

import (
	"fmt"
	"os"
)

// Value holds a secret string. Its zero value is the empty secret.
type Value struct{ s string }

// New wraps s.
func New(s string) Value { return Value{s: s} }

// Reveal returns the secret itself. Call it only where the secret is sent to
// AWS or Redis Cloud, or printed because the user asked (--show-secrets).
func (v Value) Reveal() string { return v.s }

// IsZero reports whether the secret is empty.
func (v Value) IsZero() bool { return v.s == "" }

const redacted = "[redacted]"

func (v Value) String() string   { return redacted }
func (v Value) GoString() string { return redacted }

// Format redacts under every verb, %#v and %x included.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON redacts: JSON output that must carry a secret builds it from
// Reveal explicitly.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// WriteFile writes data to path with mode 0600, also when the file existed
// with wider permissions.
func WriteFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// MaskKeyID shows an access key id as its first four and last four
// characters (AKIA…WXYZ), for human output.
func MaskKeyID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:4] + "…" + id[len(id)-4:]
}
