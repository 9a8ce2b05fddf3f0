package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// decodeConditions reads a Condition block: operator → key → value or list
// of values (strings, numbers or booleans). Entries come back sorted by
// operator and key so a document always decodes the same way.
func decodeConditions(raw json.RawMessage, se stmtErrors) ([]Condition, error) {
	var ops map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || ops == nil {
		return nil, se.errorf("Condition", "must be a map of condition operator to {key: values}")
	}
	var out []Condition
	seenOp := map[string]string{}
	for name, body := range ops {
		op, ok := ParseOperator(name)
		if !ok {
			return nil, se.errorf("Condition", "unknown condition operator %q", name)
		}
		if prev, dup := seenOp[op.String()]; dup {
			return nil, se.errorf("Condition", "operators %q and %q are the same operator", prev, name)
		}
		seenOp[op.String()] = name
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(body, &keys); err != nil || keys == nil {
			return nil, se.errorf("Condition", "%s must be a map of context key to values", name)
		}
		seenKey := map[string]string{}
		for key, vals := range keys {
			if reason := checkConditionKey(key); reason != "" {
				return nil, se.errorf("Condition", "%s: %s", name, reason)
			}
			lk := strings.ToLower(key)
			if prev, dup := seenKey[lk]; dup {
				return nil, se.errorf("Condition", "%s names context key %q twice (as %q; key names are case-insensitive)", name, key, prev)
			}
			seenKey[lk] = key
			values, err := conditionValues(vals)
			if err != nil {
				return nil, se.errorf("Condition", "%s %s: %v", name, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: values})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Operator.String(), out[j].Operator.String()
		if a != b {
			return a < b
		}
		return strings.ToLower(out[i].Key) < strings.ToLower(out[j].Key)
	})
	return out, nil
}

// conditionValues reads one value or a list of values; numbers keep their
// literal text and booleans become "true"/"false".
func conditionValues(raw json.RawMessage) ([]string, error) {
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, e := range list {
			v, err := scalarValue(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalarValue(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

var errValueType = errors.New("values must be strings, numbers or booleans, or a list of them")

func scalarValue(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", errValueType
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errValueType
		}
		return s, nil
	case c == 't' || c == 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", errValueType
		}
		if b {
			return "true", nil
		}
		return "false", nil
	case c == '-' || c >= '0' && c <= '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", errValueType
		}
		return n.String(), nil
	}
	return "", errValueType
}

// checkAction returns why IAM would reject an Action/NotAction entry, or "".
// Unknown services and actions are fine: IAM accepts them.
func checkAction(a string) string {
	if a == "*" {
		return ""
	}
	service, name, ok := strings.Cut(a, ":")
	if !ok || service == "" || name == "" {
		return fmt.Sprintf("action %q must be prefaced by a service, e.g. iam:GetUser or ec2:*", a)
	}
	if strings.Contains(name, ":") {
		return fmt.Sprintf("action %q can contain only one colon", a)
	}
	for _, part := range []string{service, name} {
		for i := 0; i < len(part); i++ {
			if !actionChar(part[i]) {
				return fmt.Sprintf("action %q contains %q: use letters, digits, - _ . and the wildcards * ?", a, rune(part[i]))
			}
		}
	}
	return ""
}

func actionChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '*' || c == '?'
}

// checkResource returns why IAM would reject a Resource/NotResource entry,
// or "". IAM needs "*" or arn:partition:service:region:account:resource; it
// does not know resource types, so unknown ones (e.g. ec2 keypair/*) pass.
func checkResource(r string) string {
	if r == "*" {
		return ""
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return fmt.Sprintf("resource %q must be in ARN format (arn:partition:service:region:account:resource) or \"*\"", r)
	}
	return ""
}

// checkConditionKey returns why IAM would reject a context key name, or "".
func checkConditionKey(k string) string {
	service, name, ok := strings.Cut(k, ":")
	if !ok || service == "" || name == "" {
		return fmt.Sprintf("context key %q must be prefaced by a service, e.g. aws:SourceIp", k)
	}
	return ""
}

// IsARN reports whether s has the form arn:partition:service:region:account:resource
// (wildcards allowed), as Resource elements and simulate's --resource need.
func IsARN(s string) bool { return s != "*" && checkResource(s) == "" }
