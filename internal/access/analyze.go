package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
)

// Source is one policy that applies to a principal.
type Source struct {
	Kind  string // "managed", "inline", "group managed", "group inline", "boundary"
	Name  string // policy name (managed: from the ARN)
	ARN   string // managed policies and boundaries
	Group string // the group, for group sources
	Ours  bool   // one of rciam's own managed policies
}

func (s Source) String() string {
	switch s.Kind {
	case "inline":
		return "inline policy " + s.Name
	case "group inline":
		return "inline policy " + s.Name + " of group " + s.Group
	case "group managed":
		return "policy " + s.Name + " attached to group " + s.Group
	case "boundary":
		return "permissions boundary " + s.Name
	}
	return "policy " + s.Name
}

// Denial is a needed request the live policies do not allow.
type Denial struct {
	Need     Need
	Decision iampolicy.Decision
	// By are the policies that deny it explicitly, or the boundary that
	// does not allow it; empty when no identity policy allows it.
	By []Source
}

// Finding is the analysis of one principal.
type Finding struct {
	Principal r.Address
	Checked   int // requests evaluated
	Denied    []Denial
	// Unreadable lists applying policies whose document rciam could not
	// read (they were left out of the evaluation).
	Unreadable []string
}

// Analyze evaluates, for each principal of the layout that exists, every
// request its policy document grants against every policy that applies to
// it in the live account.
func Analyze(d *desired.Set, l *live.State) []Finding {
	var out []Finding
	if u := l.User(r.UserName); u != nil {
		srcs, docs := sourcesFor(d, l, u.AttachedPolicies, u.InlinePolicies, u.Groups, u.Boundary)
		out = append(out, evaluate(d, l, r.Addr(r.KindUser, r.UserName), d.Policy(r.UserPolicyName), srcs, docs))
	}
	for _, role := range d.Roles {
		lr := l.Role(role.Name)
		if lr == nil {
			continue
		}
		srcs, docs := sourcesFor(d, l, lr.AttachedPolicies, lr.InlinePolicies, nil, lr.Boundary)
		out = append(out, evaluate(d, l, r.Addr(r.KindRole, role.Name), d.Policy(role.Policies[0]), srcs, docs))
	}
	return out
}

type source struct {
	Source
	compiled *iampolicy.Compiled
}

// sourcesFor gathers the policies that apply to a principal.
func sourcesFor(d *desired.Set, l *live.State, attached []string, inline map[string][]byte, groups []string, boundary string) ([]source, []string) {
	var out []source
	var unreadable []string
	add := func(s Source, doc []byte) {
		if len(doc) == 0 {
			unreadable = append(unreadable, s.String())
			return
		}
		// AWS accepted the document: it is evaluated as it is, whatever
		// rciam's grammar makes of it.
		c, err := iampolicy.Compile(fmt.Sprint(len(out)), iampolicy.ParseAccepted(doc))
		if err != nil {
			unreadable = append(unreadable, s.String())
			return
		}
		out = append(out, source{s, c})
	}
	managed := func(kind, group string, arns []string) {
		for _, arn := range arns {
			s := Source{Kind: kind, Name: arn[strings.LastIndex(arn, "/")+1:], ARN: arn, Group: group}
			s.Ours = kind == "managed" && (arn == d.PolicyARN(r.InstancePolicyName) || arn == d.PolicyARN(r.UserPolicyName))
			var doc []byte
			if p := l.PolicyByARN(arn); p != nil {
				doc = p.Document
			}
			add(s, doc)
		}
	}
	managed("managed", "", attached)
	for _, name := range sortedKeys(inline) {
		add(Source{Kind: "inline", Name: name}, inline[name])
	}
	for _, g := range groups {
		lg := l.Groups[strings.ToLower(g)]
		if lg == nil {
			continue
		}
		managed("group managed", lg.Name, lg.AttachedPolicies)
		for _, name := range sortedKeys(lg.InlinePolicies) {
			add(Source{Kind: "group inline", Name: name, Group: lg.Name}, lg.InlinePolicies[name])
		}
	}
	if boundary != "" {
		var doc []byte
		if p := l.PolicyByARN(boundary); p != nil {
			doc = p.Document
		}
		add(Source{Kind: "boundary", Name: boundary[strings.LastIndex(boundary, "/")+1:], ARN: boundary}, doc)
	}
	return out, unreadable
}

func evaluate(d *desired.Set, l *live.State, who r.Address, want *desired.Policy, srcs []source, unreadable []string) Finding {
	f := Finding{Principal: who, Unreadable: unreadable}
	in := identityInput(srcs)
	byName := map[string]Source{}
	for _, s := range srcs {
		byName[s.compiled.Name()] = s.Source
	}
	for _, n := range neededRequests(d, want) {
		f.Checked++
		res := iampolicy.Evaluate(in, n.request())
		if res.Decision == iampolicy.Allowed {
			continue
		}
		den := Denial{Need: n, Decision: res.Decision}
		if res.Decision == iampolicy.ExplicitDeny {
			for _, m := range res.Matched {
				if m.Effect == "Deny" {
					den.By = appendSource(den.By, byName[m.Policy])
				}
			}
		} else if in.Boundary != nil && contains(res.Missing, "permissions boundary") {
			den.By = appendSource(den.By, byName[in.Boundary.Name()])
		}
		f.Denied = append(f.Denied, den)
	}
	return f
}

// Blocker is a policy to remove so that a principal gets what it needs.
type Blocker struct {
	Principal r.Address
	Source    Source
	Actions   []string
}

// Blockers lists, per principal, the foreign policies behind denials.
func Blockers(fs []Finding) []Blocker {
	var out []Blocker
	for _, f := range fs {
		by := map[string]*Blocker{}
		var order []string
		for _, d := range f.Denied {
			for _, s := range d.By {
				if s.Ours {
					continue
				}
				k := s.String()
				if by[k] == nil {
					by[k] = &Blocker{Principal: f.Principal, Source: s}
					order = append(order, k)
				}
				by[k].Actions = appendUnique(by[k].Actions, d.Need.Action)
			}
		}
		for _, k := range order {
			sort.Strings(by[k].Actions)
			out = append(out, *by[k])
		}
	}
	return out
}

// DeniedActions returns the distinct actions a finding denies, sorted.
func (f Finding) DeniedActions() []string {
	var ns []Need
	for _, d := range f.Denied {
		ns = append(ns, d.Need)
	}
	return sortedActions(ns)
}

func appendSource(list []Source, s Source) []Source {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// identityInput is a principal's identity policies and boundary, as the
// engine takes them.
func identityInput(srcs []source) *iampolicy.Input {
	in := &iampolicy.Input{}
	for _, s := range srcs {
		if s.Kind == "boundary" {
			in.Boundary = s.compiled
		} else {
			in.Identity = append(in.Identity, s.compiled)
		}
	}
	return in
}

// neededRequests are the requests of want's principal Redis Cloud makes
// that want itself allows: only those are needed.
func neededRequests(d *desired.Set, want *desired.Policy) []Need {
	own, _ := iampolicy.Compile("desired", want.Parsed)
	var out []Need
	for _, n := range Needs(want.Parsed, d.Partition, d.AccountID, d.Region, r.UserName) {
		if iampolicy.Evaluate(&iampolicy.Input{Identity: []*iampolicy.Compiled{own}}, n.request()).Decision == iampolicy.Allowed {
			out = append(out, n)
		}
	}
	return out
}
