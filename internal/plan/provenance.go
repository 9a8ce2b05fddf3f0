package plan

import (
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/policysource"
	r "github.com/rciam/rciam/internal/resource"
)

// provenance explains a live managed policy document that differs from the
// selected one (docs/behaviour.md, "Policy provenance"): which known version it matches, and —
// apart from the statement diff — which actions the update makes allowed,
// no longer allowed, or allowed differently. The lines only explain; they
// never steer apply.
func (c *computer) provenance(want *desired.Policy, live *iampolicy.Policy) []note.Line {
	if live == nil {
		return nil
	}
	out := []note.Line{note.New("live document " + MatchNote(c.d, want.Name, live))}
	ch := CompareActions(live, want.Parsed)
	for _, l := range []struct {
		what string
		list []string
	}{
		{"actions becoming allowed: ", ch.Gained},
		{"actions no longer allowed: ", ch.Lost},
		{"actions allowed on other resources or conditions: ", ch.Changed},
	} {
		if len(l.list) > 0 {
			out = append(out, note.New(l.what, l.list))
		}
	}
	return out
}

// MatchNote says which known version a live document of the managed
// policy called name matches: "matches NAME", or that none does.
func MatchNote(d *desired.Set, name string, live *iampolicy.Policy) string {
	if known := KnownMatch(d, name, live); known != "" {
		return "matches " + known
	}
	return "matches no known version (edited by hand?)"
}

// KnownMatch returns the name of the first known version (bundled, then
// cached fetches; d.Source.Known) whose document for the managed policy
// called name means the same as live, the placeholder replaced by d's
// account id; "" when none does.
func KnownMatch(d *desired.Set, name string, live *iampolicy.Policy) string {
	for _, k := range d.Source.Known {
		doc := k.User
		if strings.EqualFold(name, r.InstancePolicyName) {
			doc = k.Instance
		}
		p, err := iampolicy.Parse(policysource.ReplacePlaceholder(doc.Raw, d.AccountID))
		if err == nil && iampolicy.Equal(p, live) {
			return k.Name
		}
	}
	return ""
}

// ActionChanges says how what a document allows changes, per action named
// in either document (wildcard patterns as written, standing for every
// action they match).
type ActionChanges struct {
	// Gained: allowed by to, by from in none of the sampled requests.
	Gained []string
	// Lost: allowed by from, by to in none of the sampled requests.
	Lost []string
	// Changed: allowed by both, but not for the same resources or
	// condition values.
	Changed []string
}

// CompareActions evaluates, with the policy engine, every action named in
// either document (Action elements of Allow and Deny statements) against
// both documents, on resource "*" and on every resource either document
// names, with no condition values and with the values either document's
// conditions name. A pattern such as "s3:*Object*" is evaluated as written
// (a wildcard matches itself), so it counts as allowed only where a
// statement grants all of it.
func CompareActions(from, to *iampolicy.Policy) ActionChanges {
	var ch ActionChanges
	a, err1 := iampolicy.Compile("from", from)
	b, err2 := iampolicy.Compile("to", to)
	if err1 != nil || err2 != nil {
		return ch
	}
	resources, contexts := samples(from, to)
	for _, act := range namedActions(from, to) {
		var was, is []bool
		for _, res := range resources {
			for _, ctx := range contexts {
				req := iampolicy.Request{Action: act, Resource: res, Context: ctx}
				was = append(was, iampolicy.Evaluate(&iampolicy.Input{Identity: []*iampolicy.Compiled{a}}, req).Decision == iampolicy.Allowed)
				is = append(is, iampolicy.Evaluate(&iampolicy.Input{Identity: []*iampolicy.Compiled{b}}, req).Decision == iampolicy.Allowed)
			}
		}
		switch before, after := anyTrue(was), anyTrue(is); {
		case !before && after:
			ch.Gained = append(ch.Gained, act)
		case before && !after:
			ch.Lost = append(ch.Lost, act)
		case before && !same(was, is):
			ch.Changed = append(ch.Changed, act)
		}
	}
	return ch
}

// namedActions lists the Action values of both documents, sorted, without
// case-insensitive repeats.
func namedActions(ps ...*iampolicy.Policy) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, a := range s.Action {
				if k := strings.ToLower(a); !seen[k] {
					seen[k] = true
					out = append(out, a)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}

// samples returns the resources ("*" and every Resource value, with
// ${aws:username} filled in) and the two contexts (none, and every value
// a non-negated condition names) the comparison evaluates.
func samples(ps ...*iampolicy.Policy) ([]string, []map[string][]string) {
	resources := []string{"*"}
	seen := map[string]bool{"*": true}
	filled := map[string][]string{}
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, res := range s.Resource {
				res = strings.ReplaceAll(res, "${aws:username}", r.UserName)
				if !seen[res] {
					seen[res] = true
					resources = append(resources, res)
				}
			}
			for _, cd := range s.Conditions {
				if !cd.Operator.Negated() && cd.Operator.Family() != iampolicy.FamilyNull {
					filled[cd.Key] = append(filled[cd.Key], cd.Values...)
				}
			}
		}
	}
	base := map[string][]string{"aws:username": {r.UserName}}
	filled["aws:username"] = base["aws:username"]
	return resources, []map[string][]string{base, filled}
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

func same(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
