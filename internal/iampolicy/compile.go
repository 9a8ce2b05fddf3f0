package iampolicy

import (
	"errors"
	"fmt"
	"strings"
)

// Compiled is a policy ready for evaluation: every action, resource and
// condition value is a precompiled matcher, and actions are indexed so a
// request looks at the statements that can apply to it only. A Compiled is
// immutable and safe for concurrent use.
type Compiled struct {
	name  string
	stmts []cstmt
	// exact maps a lowercased action without wildcards to the Action
	// statements naming it.
	exact map[string][]int32
	// byService holds wildcard Action patterns by lowercased service
	// prefix, matched against the action name only; anyService holds
	// patterns whose service part has a wildcard, matched whole.
	byService  map[string][]wildAction
	anyService []wildAction
	// notAction lists NotAction statements, checked for every request.
	notAction []int32
}

type wildAction struct {
	pat  pattern
	stmt int32
}

type cstmt struct {
	sid    string
	index  int
	effect Effect
	// notActions holds the patterns of a NotAction statement.
	notActions []pattern
	// anyResource: no Resource element, or "*" among its values.
	anyResource bool
	notResource bool
	resources   []arnPattern
	conds       []cond
}

// Name returns the name the policy was compiled with.
func (c *Compiled) Name() string { return c.name }

// Compile prepares p for evaluation under name, which decisions report.
// Policy variables are substituted only in 2012-10-17 documents.
func Compile(name string, p *Policy) (*Compiled, error) {
	if p == nil {
		return nil, errors.New("compile policy " + name + ": no policy")
	}
	c := &Compiled{name: name, exact: map[string][]int32{}, byService: map[string][]wildAction{}}
	vars := p.usesVariables()
	for i, s := range p.Statements {
		if s.Effect != Allow && s.Effect != Deny {
			return nil, fmt.Errorf("compile policy %s: statement %s: invalid effect", name, p.Name(i))
		}
		if len(s.Action) == 0 && len(s.NotAction) == 0 {
			return nil, fmt.Errorf("compile policy %s: statement %s: no actions", name, p.Name(i))
		}
		id := int32(len(c.stmts))
		cs := cstmt{sid: s.Sid, index: i, effect: s.Effect}
		for _, a := range s.Action {
			c.indexAction(strings.ToLower(a), id)
		}
		if len(s.Action) == 0 {
			for _, a := range s.NotAction {
				cs.notActions = append(cs.notActions, compilePattern(strings.ToLower(a), true, false))
			}
			c.notAction = append(c.notAction, id)
		}
		compileResources(&cs, s, vars)
		for _, cd := range s.Conditions {
			cs.conds = append(cs.conds, compileCondition(cd, vars))
		}
		c.stmts = append(c.stmts, cs)
	}
	return c, nil
}

func (c *Compiled) indexAction(a string, id int32) {
	if !strings.ContainsAny(a, "*?") {
		if ids := c.exact[a]; len(ids) == 0 || ids[len(ids)-1] != id {
			c.exact[a] = append(ids, id)
		}
		return
	}
	service, name, ok := strings.Cut(a, ":")
	if ok && !strings.ContainsAny(service, "*?") {
		c.byService[service] = append(c.byService[service], wildAction{compilePattern(name, true, false), id})
		return
	}
	c.anyService = append(c.anyService, wildAction{compilePattern(a, true, false), id})
}

func compileResources(cs *cstmt, s Statement, vars bool) {
	list := s.Resource
	if s.NotResource != nil {
		list, cs.notResource = s.NotResource, true
	} else if s.Resource == nil {
		cs.anyResource = true
		return
	}
	for _, r := range list {
		ap := compileARN(r, vars)
		if ap.any && !cs.notResource {
			cs.anyResource, cs.resources = true, nil
			return
		}
		cs.resources = append(cs.resources, ap)
	}
}

// candidates marks in set the statements whose Action or NotAction admits
// the lowercased action act.
func (c *Compiled) candidates(act string, set []uint64) {
	mark := func(id int32) { set[id>>6] |= 1 << (uint(id) & 63) }
	for _, id := range c.exact[act] {
		mark(id)
	}
	service, name, ok := strings.Cut(act, ":")
	if ok {
		for i := range c.byService[service] {
			if w := &c.byService[service][i]; w.pat.match(name, false, resolver{}) {
				mark(w.stmt)
			}
		}
	}
	for i := range c.anyService {
		if w := &c.anyService[i]; w.pat.match(act, false, resolver{}) {
			mark(w.stmt)
		}
	}
	for _, id := range c.notAction {
		matched := false
		for i := range c.stmts[id].notActions {
			if c.stmts[id].notActions[i].match(act, false, resolver{}) {
				matched = true
				break
			}
		}
		if !matched {
			mark(id)
		}
	}
}

// applies reports whether statement s applies to the resource and context.
func (s *cstmt) applies(resource string, r resolver) bool {
	if !s.anyResource {
		hit := false
		for i := range s.resources {
			if s.resources[i].match(resource, r) {
				hit = true
				break
			}
		}
		if hit == s.notResource {
			return false
		}
	}
	for i := range s.conds {
		if !s.conds[i].holds(r) {
			return false
		}
	}
	return true
}
