package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Wire structs: the JSON as written, before any meaning is given to it. Each
// field is raw so that string-or-list forms and types can be checked with
// messages naming the field; field names are matched exactly (encoding/json
// alone would accept "effect" for "Effect").
type wirePolicy struct {
	Version, ID, Statement json.RawMessage
}

type wireStatement struct {
	Sid, Effect             json.RawMessage
	Principal, NotPrincipal json.RawMessage
	Action, NotAction       json.RawMessage
	Resource, NotResource   json.RawMessage
	Condition               json.RawMessage
}

// Parse decodes a policy document strictly and checks its grammar: unknown
// fields, wrong types, a bad Effect or Version, malformed actions, ARNs,
// principals and condition operators are errors naming the statement and
// the field. It does not check characters or size; see Validate.
//
// [Grammar]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
func Parse(data []byte) (*Policy, error) { return parse(data, false) }

// ParseAccepted reads a document AWS has already accepted (an identity
// policy, a boundary, an SCP or an RCP read from an account) and never
// refuses it: rciam evaluates such documents as they are. An element it
// cannot read as AWS's grammar matches nothing — an unreadable action or
// resource entry matches no request, and a statement that cannot be read
// at all (or a document that is not a policy) applies to none.
func ParseAccepted(data []byte) *Policy {
	p, err := parse(data, true)
	if err != nil {
		return &Policy{Version: Version2012}
	}
	return p
}

func parse(data []byte, lenient bool) (*Policy, error) {
	var w wirePolicy
	if err := decodeObject(data, map[string]*json.RawMessage{
		"Version": &w.Version, "Id": &w.ID, "Statement": &w.Statement,
	}); err != nil {
		return nil, docError("", "%s", err)
	}
	p := &Policy{}
	if w.Version != nil {
		if err := json.Unmarshal(w.Version, &p.Version); err != nil {
			return nil, docError("Version", "must be a string")
		}
		if p.Version != Version2012 && p.Version != Version2008 {
			return nil, docError("Version", "unsupported version %q: use %s", p.Version, Version2012)
		}
	}
	if w.ID != nil {
		if err := json.Unmarshal(w.ID, &p.ID); err != nil {
			return nil, docError("Id", "must be a string")
		}
	}
	if w.Statement == nil {
		return nil, docError("Statement", "missing required field Statement")
	}
	raws, err := objectOrList(w.Statement)
	if err != nil || len(raws) == 0 {
		return nil, docError("Statement", "must be a statement object or a non-empty list of them")
	}
	sids := map[string]int{}
	for i, raw := range raws {
		s, err := decodeStatement(raw, stmtErrors{index: i, lenient: lenient})
		if err != nil && lenient {
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.Sid != "" && !lenient {
			if j, dup := sids[s.Sid]; dup {
				return nil, stmtErrors{index: i, sid: s.Sid}.errorf("Sid", "statement IDs must be unique; statement #%d has the same Sid", j+1)
			}
			sids[s.Sid] = i
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// decodeObject decodes a JSON object into raw fields, rejecting any name
// not in fields (compared exactly) and any value that is null.
func decodeObject(data []byte, fields map[string]*json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("not valid JSON: %v (byte %d)", se, se.Offset)
		}
		return errors.New("must be a JSON object")
	}
	if m == nil {
		return errors.New("must be a JSON object, not null")
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		dst, ok := fields[k]
		if !ok {
			return fmt.Errorf("unknown field %q", k)
		}
		if string(m[k]) == "null" {
			return fmt.Errorf("%s must not be null", k)
		}
		*dst = m[k]
	}
	return nil
}

func decodeStatement(raw json.RawMessage, se stmtErrors) (Statement, error) {
	var w wireStatement
	if err := decodeObject(raw, map[string]*json.RawMessage{
		"Sid": &w.Sid, "Effect": &w.Effect,
		"Principal": &w.Principal, "NotPrincipal": &w.NotPrincipal,
		"Action": &w.Action, "NotAction": &w.NotAction,
		"Resource": &w.Resource, "NotResource": &w.NotResource,
		"Condition": &w.Condition,
	}); err != nil {
		var probe struct{ Sid string }
		if json.Unmarshal(raw, &probe) == nil {
			se.sid = probe.Sid // name the statement when its Sid is readable
		}
		return Statement{}, se.errorf("", "%s", err)
	}
	var s Statement
	if w.Sid != nil {
		if err := json.Unmarshal(w.Sid, &s.Sid); err != nil {
			return s, se.errorf("Sid", "must be a string")
		}
		se.sid = s.Sid
	}
	if err := decodeEffect(w.Effect, &s, se); err != nil {
		return s, err
	}
	if err := decodePrincipals(w, &s, se); err != nil {
		return s, err
	}
	if err := decodeActions(w, &s, se); err != nil {
		return s, err
	}
	if err := decodeResources(w, &s, se); err != nil {
		return s, err
	}
	if w.Condition != nil {
		conds, err := decodeConditions(w.Condition, se)
		if err != nil {
			return s, err
		}
		s.Conditions = conds
	}
	return s, nil
}

func decodeEffect(raw json.RawMessage, s *Statement, se stmtErrors) error {
	if raw == nil {
		return se.errorf("Effect", "missing required field Effect")
	}
	var e string
	if err := json.Unmarshal(raw, &e); err != nil {
		return se.errorf("Effect", "must be a string")
	}
	switch e {
	case "Allow":
		s.Effect = Allow
	case "Deny":
		s.Effect = Deny
	default:
		return se.errorf("Effect", "invalid effect %q: use Allow or Deny", e)
	}
	return nil
}

func decodeActions(w wireStatement, s *Statement, se stmtErrors) error {
	field, raw, dst := "Action", w.Action, &s.Action
	switch {
	case w.Action != nil && w.NotAction != nil:
		return se.errorf("Action", "a statement has either Action or NotAction, not both")
	case w.NotAction != nil:
		field, raw, dst = "NotAction", w.NotAction, &s.NotAction
	case w.Action == nil:
		return se.errorf("Action", "policy statement must contain actions (Action or NotAction)")
	}
	list, err := stringOrList(raw)
	if err != nil {
		return se.errorf(field, "%s", err)
	}
	if len(list) == 0 {
		return se.errorf(field, "policy statement must contain actions")
	}
	for _, a := range list {
		// An unreadable action (a space, a comma) cannot equal any real
		// one: kept as it is, it matches nothing.
		if reason := checkAction(a); reason != "" && !se.lenient {
			return se.errorf(field, "%s", reason)
		}
	}
	*dst = list
	return nil
}

func decodeResources(w wireStatement, s *Statement, se stmtErrors) error {
	field, raw, dst := "Resource", w.Resource, &s.Resource
	switch {
	case w.Resource != nil && w.NotResource != nil:
		return se.errorf("Resource", "a statement has either Resource or NotResource, not both")
	case w.NotResource != nil:
		field, raw, dst = "NotResource", w.NotResource, &s.NotResource
	case w.Resource == nil:
		return nil
	}
	list, err := stringOrList(raw)
	if err != nil {
		return se.errorf(field, "%s", err)
	}
	if len(list) == 0 {
		return se.errorf(field, "policy statement must contain resources")
	}
	kept := list[:0:0]
	for _, r := range list {
		if reason := checkResource(r); reason != "" {
			if se.lenient {
				continue // matches nothing: dropped from Resource and NotResource alike
			}
			return se.errorf(field, "%s", reason)
		}
		kept = append(kept, r)
	}
	*dst = kept
	return nil
}
