package iampolicy

import (
	"strconv"
	"unicode/utf8"
)

// Kind selects the rules and size limit a document is validated against.
//
// [IAM quotas]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
// [SCP quotas]: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
type Kind int

const (
	// ManagedPolicy: 6,144 characters, whitespace not counted; no Principal;
	// every statement names resources.
	ManagedPolicy Kind = iota
	// TrustPolicy (a role's assume-role policy): 2,048 characters, whitespace
	// not counted (the default quota); needs a Principal, has no Resource.
	TrustPolicy
	// InlinePolicy: an inline user or role policy. IAM limits the sum of a
	// principal's inline policies (users 2,048, roles 10,240, groups 5,120);
	// one document is held to the largest, 10,240.
	InlinePolicy
	// SCP: an AWS Organizations service control policy, 5,120 characters
	// with whitespace counted (Organizations keeps whitespace sent through
	// the API); no Principal.
	SCP
)

// String names the kind as messages do.
func (k Kind) String() string {
	switch k {
	case ManagedPolicy:
		return "managed policy"
	case TrustPolicy:
		return "trust policy"
	case InlinePolicy:
		return "inline policy"
	case SCP:
		return "service control policy"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Limit returns the size limit for k and whether whitespace counts.
func (k Kind) Limit() (limit int, whitespace bool) {
	switch k {
	case ManagedPolicy:
		return 6144, false
	case TrustPolicy:
		return 2048, false
	case InlinePolicy:
		return 10240, false
	case SCP:
		return 5120, true
	}
	return 0, false
}

// Validate checks a document as IAM (or Organizations, for SCP) would before
// accepting it: allowed characters, the size limit of kind (a *SizeError
// naming the limit and the measured size), the grammar (Parse), and the
// rules of the kind (Principal, Resource, Sid). It rejects only what AWS
// rejects.
func Validate(data []byte, kind Kind) (*Policy, error) {
	if err := checkChars(data); err != nil {
		return nil, err
	}
	limit, ws := kind.Limit()
	if size := Size(data, ws); limit > 0 && size > limit {
		return nil, &SizeError{Kind: kind, Limit: limit, Size: size, Whitespace: ws}
	}
	p, err := Parse(data)
	if err != nil {
		return nil, err
	}
	for i, s := range p.Statements {
		if err := checkKind(s, stmtErrors{index: i, sid: s.Sid}, kind); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Size counts the characters of a document as AWS does for its limits:
// without whitespace (space, tab, CR, LF) unless whitespace is true.
func Size(data []byte, whitespace bool) int {
	n := 0
	for _, r := range string(data) {
		if !whitespace && (r == ' ' || r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		n++
	}
	return n
}

// checkChars enforces IAM's character set: U+0009, U+000A, U+000D and
// U+0020 through U+00FF.
func checkChars(data []byte) error {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return &CharError{Rune: -1, Offset: i, Line: line}
		}
		if r == '\n' {
			line++
		}
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xFF) {
			return &CharError{Rune: r, Offset: i, Line: line}
		}
		i += size
	}
	return nil
}

func checkKind(s Statement, se stmtErrors, kind Kind) error {
	switch kind {
	case ManagedPolicy, InlinePolicy, TrustPolicy:
		if !alnum(s.Sid) {
			return se.errorf("Sid", "statement IDs must be alphanumeric ([0-9A-Za-z]*), got %q", s.Sid)
		}
	case SCP:
	}
	switch kind {
	case ManagedPolicy, InlinePolicy, SCP:
		if s.Principal != nil || s.NotPrincipal != nil {
			return se.errorf("Principal", "%s should not specify a principal", kind)
		}
		if kind != SCP && s.Resource == nil && s.NotResource == nil {
			return se.errorf("Resource", "policy statement must contain resources")
		}
	case TrustPolicy:
		if s.Principal == nil && s.NotPrincipal == nil {
			return se.errorf("Principal", "missing required field Principal")
		}
		if s.Resource != nil || s.NotResource != nil {
			return se.errorf("Resource", "has prohibited field Resource: a trust policy applies to its role")
		}
	}
	return nil
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
