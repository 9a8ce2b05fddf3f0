package iampolicy

import (
	"bytes"
	"sort"
	"strings"
)

// Normal form, the basis of Canonical, Equal and Diff. What does not change
// a policy's meaning is removed: statement and value order, string-vs-list,
// duplicates, formatting, the case of action names and context keys, an
// account id written bare or as its root ARN, and "true" vs true or 5 vs "5"
// in conditions.

type normPolicy struct {
	version string // a missing Version reads as 2008-10-17
	id      string
	stmts   []normStmt // sorted by json, without duplicates
}

type normStmt struct {
	index                   int // position of the first such statement in the source
	sid                     string
	effect                  Effect
	principal, notPrincipal *normPrincipal
	action, notAction       normSet
	resource, notResource   normSet
	conds                   []normCond // sorted by operator, then key
	json                    string     // canonical JSON of the statement
}

// normSet is a set of strings compared by key; shown holds each key's
// spelling as first written. present distinguishes "absent" from "empty".
type normSet struct {
	present bool
	keys    []string
	shown   map[string]string
}

type normPrincipal struct {
	wildcard bool
	types    []string            // sorted
	values   map[string][]string // sorted, deduplicated, normalized
}

type normCond struct {
	op     string // canonical spelling
	lkey   string // lowercased key
	key    string // as written
	values []string
}

func normalize(p *Policy) normPolicy {
	np := normPolicy{version: p.Version, id: p.ID}
	if np.version == "" {
		np.version = Version2008
	}
	seen := map[string]bool{}
	for i, s := range p.Statements {
		ns := normalizeStatement(s, i)
		if seen[ns.json] {
			continue
		}
		seen[ns.json] = true
		np.stmts = append(np.stmts, ns)
	}
	sort.SliceStable(np.stmts, func(i, j int) bool { return np.stmts[i].json < np.stmts[j].json })
	return np
}

func normalizeStatement(s Statement, i int) normStmt {
	ns := normStmt{
		index: i, sid: s.Sid, effect: s.Effect,
		principal:    normalizePrincipal(s.Principal),
		notPrincipal: normalizePrincipal(s.NotPrincipal),
		action:       newSet(s.Action, strings.ToLower),
		notAction:    newSet(s.NotAction, strings.ToLower),
		resource:     newSet(s.Resource, nil),
		notResource:  newSet(s.NotResource, nil),
	}
	for _, c := range s.Conditions {
		nc := normCond{op: c.Operator.String(), lkey: strings.ToLower(c.Key), key: c.Key}
		fold := c.Operator.Family() == FamilyBool || c.Operator.Family() == FamilyNull
		seen := map[string]bool{}
		for _, v := range c.Values {
			if fold {
				v = strings.ToLower(v)
			}
			if !seen[v] {
				seen[v] = true
				nc.values = append(nc.values, v)
			}
		}
		sort.Strings(nc.values)
		ns.conds = append(ns.conds, nc)
	}
	sort.Slice(ns.conds, func(i, j int) bool {
		if ns.conds[i].op != ns.conds[j].op {
			return ns.conds[i].op < ns.conds[j].op
		}
		return ns.conds[i].lkey < ns.conds[j].lkey
	})
	ns.json = statementJSON(&ns)
	return ns
}

func statementJSON(s *normStmt) string {
	var b bytes.Buffer
	writeStatement(&b, s)
	return b.String()
}

func newSet(list []string, key func(string) string) normSet {
	if list == nil {
		return normSet{}
	}
	ns := normSet{present: true, shown: map[string]string{}}
	for _, v := range list {
		k := v
		if key != nil {
			k = key(v)
		}
		if _, dup := ns.shown[k]; !dup {
			ns.shown[k] = v
			ns.keys = append(ns.keys, k)
		}
	}
	sort.Strings(ns.keys)
	return ns
}

func normalizePrincipal(p *Principal) *normPrincipal {
	if p == nil {
		return nil
	}
	np := &normPrincipal{wildcard: p.Wildcard, values: map[string][]string{}}
	for typ, list := range p.Values {
		np.types = append(np.types, typ)
		seen := map[string]bool{}
		for _, v := range list {
			if typ == "AWS" && isAccountID(v) {
				v = "arn:aws:iam::" + v + ":root"
			}
			if !seen[v] {
				seen[v] = true
				np.values[typ] = append(np.values[typ], v)
			}
		}
		sort.Strings(np.values[typ])
	}
	sort.Strings(np.types)
	return np
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Canonical returns the normalized document as compact JSON with a fixed
// field order: two documents have the same Canonical form exactly when
// Equal holds. Lists are always written as lists, action names and context
// keys in lower case, condition values as strings, and a missing Version
// as "2008-10-17". The result parses back to an equal Policy.
func (p *Policy) Canonical() []byte {
	np := normalize(p)
	var b bytes.Buffer
	b.WriteString(`{"Version":`)
	writeString(&b, np.version)
	if np.id != "" {
		b.WriteString(`,"Id":`)
		writeString(&b, np.id)
	}
	b.WriteString(`,"Statement":[`)
	for i, s := range np.stmts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.json)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// Equal reports whether a and b mean the same policy (see Canonical).
func Equal(a, b *Policy) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(a.Canonical(), b.Canonical())
}
