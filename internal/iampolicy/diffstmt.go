package iampolicy

import (
	"fmt"
	"sort"
)

// statementChanges lists what changed between two matched statements.
func statementChanges(a, b normStmt) []string {
	var out []string
	if a.sid != b.sid {
		out = append(out, fmt.Sprintf("sid %q -> %q", a.sid, b.sid))
	}
	if a.effect != b.effect {
		out = append(out, fmt.Sprintf("effect %s -> %s", a.effect, b.effect))
	}
	out = append(out, principalChanges("principal", a.principal, b.principal)...)
	out = append(out, principalChanges("notprincipal", a.notPrincipal, b.notPrincipal)...)
	out = append(out, setChanges("action", a.action, b.action)...)
	out = append(out, setChanges("notaction", a.notAction, b.notAction)...)
	out = append(out, setChanges("resource", a.resource, b.resource)...)
	out = append(out, setChanges("notresource", a.notResource, b.notResource)...)
	out = append(out, conditionChanges(a.conds, b.conds)...)
	return out
}

func setChanges(what string, a, b normSet) []string {
	var out []string
	for _, k := range a.keys {
		if _, ok := b.shown[k]; !ok {
			out = append(out, "- "+what+" "+a.shown[k])
		}
	}
	for _, k := range b.keys {
		if _, ok := a.shown[k]; !ok {
			out = append(out, "+ "+what+" "+b.shown[k])
		}
	}
	return out
}

func principalChanges(what string, a, b *normPrincipal) []string {
	flat := func(p *normPrincipal) (keys []string) {
		if p == nil {
			return nil
		}
		if p.wildcard {
			return []string{"*"}
		}
		for _, t := range p.types {
			for _, v := range p.values[t] {
				keys = append(keys, t+" "+v)
			}
		}
		return keys
	}
	return setChanges(what, listSet(flat(a)), listSet(flat(b)))
}

func listSet(keys []string) normSet {
	return newSet(keys, nil)
}

func conditionChanges(a, b []normCond) []string {
	find := func(cs []normCond, c normCond) (normCond, bool) {
		for _, x := range cs {
			if x.op == c.op && x.lkey == c.lkey {
				return x, true
			}
		}
		return normCond{}, false
	}
	var removed, added []string
	for _, c := range a {
		other, ok := find(b, c)
		if !ok {
			removed = append(removed, "- condition "+condText(c, c.values))
			continue
		}
		if gone := missing(c.values, other.values); len(gone) > 0 {
			removed = append(removed, "- condition "+condText(c, gone))
		}
	}
	for _, c := range b {
		other, ok := find(a, c)
		if !ok {
			added = append(added, "+ condition "+condText(c, c.values))
			continue
		}
		if extra := missing(c.values, other.values); len(extra) > 0 {
			added = append(added, "+ condition "+condText(c, extra))
		}
	}
	sort.Strings(removed)
	sort.Strings(added)
	return append(removed, added...)
}

// missing returns the values of xs not in ys.
func missing(xs, ys []string) []string {
	in := map[string]bool{}
	for _, y := range ys {
		in[y] = true
	}
	var out []string
	for _, x := range xs {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}
