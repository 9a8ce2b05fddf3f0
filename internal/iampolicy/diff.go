package iampolicy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Diff describes how to differs from from, one readable line per change,
// in a stable order; it is empty exactly when Equal(from, to). Statements
// are matched by Sid, then by identical content, then by the most shared
// actions, resources and conditions. Lines look like
//
//	~ version 2008-10-17 -> 2012-10-17
//	- statement "Old": Allow s3:GetObject on *
//	~ statement "EC2Tagged": - action ec2:DeleteSecurityGroup
//	+ statement "New": Allow ec2:Foo on *
//
// Actions, resources and keys are shown as written in the document they
// come from.
func Diff(from, to *Policy) []string {
	if Equal(from, to) {
		return nil
	}
	a, b := normalizeOrEmpty(from), normalizeOrEmpty(to)
	var lines []string
	if a.version != b.version {
		lines = append(lines, fmt.Sprintf("~ version %s -> %s", a.version, b.version))
	}
	if a.id != b.id {
		lines = append(lines, fmt.Sprintf("~ id %q -> %q", a.id, b.id))
	}
	as, bs := byIndex(a.stmts), byIndex(b.stmts)
	pairOf := matchStatements(as, bs) // index in bs -> index in as, or -1
	used := make([]bool, len(as))
	for _, j := range pairOf {
		if j >= 0 {
			used[j] = true
		}
	}
	for i, s := range as {
		if !used[i] {
			lines = append(lines, fmt.Sprintf("- statement %s: %s", statementName(s.sid, s.index), summary(s)))
		}
	}
	for i, s := range bs {
		name := statementName(s.sid, s.index)
		if pairOf[i] < 0 {
			lines = append(lines, fmt.Sprintf("+ statement %s: %s", name, summary(s)))
			continue
		}
		for _, change := range statementChanges(as[pairOf[i]], s) {
			lines = append(lines, fmt.Sprintf("~ statement %s: %s", name, change))
		}
	}
	return lines
}

func normalizeOrEmpty(p *Policy) normPolicy {
	if p == nil {
		return normPolicy{}
	}
	return normalize(p)
}

func byIndex(stmts []normStmt) []normStmt {
	out := append([]normStmt(nil), stmts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

// matchStatements pairs each statement of bs with one of as, or -1.
func matchStatements(as, bs []normStmt) []int {
	pairOf := make([]int, len(bs))
	used := make([]bool, len(as))
	for i := range pairOf {
		pairOf[i] = -1
	}
	pair := func(ok func(a, b *normStmt) bool) {
		for i := range bs {
			for j := range as {
				if pairOf[i] < 0 && !used[j] && ok(&as[j], &bs[i]) {
					pairOf[i], used[j] = j, true
				}
			}
		}
	}
	pair(func(a, b *normStmt) bool { return a.sid != "" && a.sid == b.sid })
	pair(func(a, b *normStmt) bool { return bodyOf(a) == bodyOf(b) })
	for {
		best, bi, bj := 0, -1, -1
		for i := range bs {
			for j := range as {
				if pairOf[i] >= 0 || used[j] || (as[j].sid != "" && bs[i].sid != "") {
					continue
				}
				if sc := similarity(&as[j], &bs[i]); sc > best {
					best, bi, bj = sc, i, j
				}
			}
		}
		if bi < 0 {
			return pairOf
		}
		pairOf[bi], used[bj] = bj, true
	}
}

// bodyOf is a statement's canonical JSON without its Sid.
func bodyOf(s *normStmt) string {
	c := *s
	c.sid = ""
	return statementJSON(&c)
}

func similarity(a, b *normStmt) int {
	if a.effect != b.effect {
		return 0
	}
	n := common(a.action.keys, b.action.keys) + common(a.notAction.keys, b.notAction.keys) +
		common(a.resource.keys, b.resource.keys) + common(a.notResource.keys, b.notResource.keys)
	ak, bk := condKeys(a.conds), condKeys(b.conds)
	return n + common(ak, bk)
}

func common(a, b []string) int {
	set := map[string]bool{}
	for _, x := range a {
		set[x] = true
	}
	n := 0
	for _, x := range b {
		if set[x] {
			n++
		}
	}
	return n
}

func condKeys(cs []normCond) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.op + " " + c.lkey
	}
	return out
}

// summary is a one-line reading of a statement.
func summary(s normStmt) string {
	var b strings.Builder
	b.WriteString(s.effect.String())
	if s.principal != nil {
		b.WriteString(" " + principalText(s.principal))
	}
	if s.notPrincipal != nil {
		b.WriteString(" everyone but " + principalText(s.notPrincipal))
	}
	if s.action.present {
		b.WriteString(" " + shownList(s.action))
	} else {
		b.WriteString(" every action but " + shownList(s.notAction))
	}
	if s.resource.present {
		b.WriteString(" on " + shownList(s.resource))
	} else if s.notResource.present {
		b.WriteString(" on every resource but " + shownList(s.notResource))
	}
	for i, c := range s.conds {
		if i == 0 {
			b.WriteString(" if ")
		} else {
			b.WriteString(" and ")
		}
		b.WriteString(condText(c, c.values))
	}
	return b.String()
}

func principalText(p *normPrincipal) string {
	if p.wildcard {
		return "*"
	}
	var parts []string
	for _, t := range p.types {
		parts = append(parts, t+" "+strings.Join(p.values[t], ", "))
	}
	return strings.Join(parts, "; ")
}

func shownList(s normSet) string {
	out := make([]string, len(s.keys))
	for i, k := range s.keys {
		out[i] = s.shown[k]
	}
	return strings.Join(out, ", ")
}

func condText(c normCond, values []string) string {
	if len(values) == 0 {
		return c.op + " " + c.key + " (no values)"
	}
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return c.op + " " + c.key + " " + strings.Join(q, " or ")
}
