package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

func decodePrincipals(w wireStatement, s *Statement, se stmtErrors) error {
	if w.Principal != nil && w.NotPrincipal != nil {
		return se.errorf("Principal", "a statement has either Principal or NotPrincipal, not both")
	}
	var err error
	if w.Principal != nil {
		s.Principal, err = decodePrincipal(w.Principal)
		if err != nil {
			return se.errorf("Principal", "%s", err)
		}
	}
	if w.NotPrincipal != nil {
		s.NotPrincipal, err = decodePrincipal(w.NotPrincipal)
		if err != nil {
			return se.errorf("NotPrincipal", "%s", err)
		}
	}
	return nil
}

func decodePrincipal(raw json.RawMessage) (*Principal, error) {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star != "*" {
			return nil, fmt.Errorf("invalid principal %q: use \"*\" or a map such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}", star)
		}
		return &Principal{Wildcard: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, errors.New("must be \"*\" or a non-empty map of principal type to values")
	}
	p := &Principal{Values: map[string][]string{}}
	for typ, v := range m {
		if !principalTypes[typ] {
			return nil, fmt.Errorf("unknown principal type %q: use AWS, Service, Federated or CanonicalUser", typ)
		}
		list, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", typ, err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%s: no principal given", typ)
		}
		for _, x := range list {
			if strings.TrimSpace(x) == "" {
				return nil, fmt.Errorf("%s: empty principal", typ)
			}
		}
		p.Values[typ] = list
	}
	return p, nil
}

// objectOrList returns the elements of a JSON list of objects, or the single
// object.
func objectOrList(raw json.RawMessage) ([]json.RawMessage, error) {
	if len(raw) > 0 && raw[0] == '{' {
		return []json.RawMessage{raw}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	for _, e := range list {
		if len(e) == 0 || e[0] != '{' {
			return nil, errors.New("not an object")
		}
	}
	return list, nil
}

// stringOrList reads a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("must be a string or a list of strings")
		}
		return []string{s}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("must be a string or a list of strings")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		var s string
		if len(e) == 0 || e[0] != '"' || json.Unmarshal(e, &s) != nil {
			return nil, errors.New("must be a string or a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}
