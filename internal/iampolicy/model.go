package iampolicy

import "strconv"

// Policy versions IAM accepts. A document without Version is read as
// Version2008, in which policy variables are ordinary text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a decoded, structurally valid policy document. It keeps what the
// author wrote (order, spelling, duplicates); Canonical and Equal apply the
// normalization. Build one with Parse or Validate; a Policy built by hand must
// follow the same rules, or Compile and Canonical may reject or misread it.
type Policy struct {
	// Version is "2012-10-17", "2008-10-17", or "" when the document has none
	// (read as 2008-10-17).
	Version string
	// ID is the optional Id element.
	ID string
	// Statements is never empty for a parsed policy.
	Statements []Statement
}

// Statement is one element of the Statement list. Exactly one of Action and
// NotAction is non-empty; at most one of Resource and NotResource, and of
// Principal and NotPrincipal, is set.
type Statement struct {
	Sid    string
	Effect Effect

	Principal    *Principal
	NotPrincipal *Principal

	Action    []string
	NotAction []string

	Resource    []string
	NotResource []string

	// Conditions holds one entry per operator and key; entries are ANDed.
	Conditions []Condition
}

// Effect is a statement's effect: Allow or Deny.
type Effect uint8

// The two effects. The zero value is invalid and never produced by Parse.
const (
	Allow Effect = iota + 1
	Deny
)

// String returns the JSON spelling, "Allow" or "Deny".
func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// Principal is the Principal or NotPrincipal element: either the bare "*"
// or a map from principal type (AWS, Service, Federated, CanonicalUser) to
// values.
type Principal struct {
	Wildcard bool
	Values   map[string][]string
}

// Principal types IAM accepts as keys of a Principal map.
var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

// Condition is one operator/key pair of a Condition block with its values.
// Values of any JSON type (string, number, bool) are kept as their text.
type Condition struct {
	Operator Operator
	// Key is the context key as written; keys compare case-insensitively.
	Key    string
	Values []string
}

// statementName names a statement in messages: its Sid when it has one,
// else its 1-based position.
func statementName(sid string, index int) string {
	if sid != "" {
		return strconv.Quote(sid)
	}
	return "#" + strconv.Itoa(index+1)
}

// Name names statement i of p in messages: `"Sid"` or `#3`.
func (p *Policy) Name(i int) string {
	if i < 0 || i >= len(p.Statements) {
		return "#" + strconv.Itoa(i+1)
	}
	return statementName(p.Statements[i].Sid, i)
}

// Actions returns every Action pattern named by an Allow statement, as
// written and in document order, without repeats. NotAction statements are
// left out: they name what is not granted.
func (p *Policy) Actions() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range p.Statements {
		if s.Effect != Allow {
			continue
		}
		for _, a := range s.Action {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// usesVariables reports whether policy variables are substituted in p.
func (p *Policy) usesVariables() bool { return p.Version == Version2012 }
