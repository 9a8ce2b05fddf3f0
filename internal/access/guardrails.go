package access

import (
	"fmt"
	"sort"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/organization"
	r "github.com/rciam/rciam/internal/resource"
)

// Guardrail kinds: which organization policies denied.
const (
	SCP = "scp"
	RCP = "rcp"
)

// GuardrailDenial is one organization policy statement — or one level
// where no policy allows — that stops requests Redis Cloud makes.
type GuardrailDenial struct {
	Kind   string // SCP or RCP
	Target organization.Target
	// Policy is the policy whose statement denies; for a level where no
	// policy allows, the first policy attached there (zero when none is).
	Policy organization.Policy
	// Statement is the denying statement (`"Sid"` or `#N`); "" when no
	// policy at the level allows the actions.
	Statement string
	Actions   []string
}

// ResourceID is what the check is about: the policy, or the target when
// nothing is attached there.
func (g GuardrailDenial) ResourceID() string {
	if g.Policy.ID != "" {
		return g.Policy.ID
	}
	return g.Target.ID
}

// Guardrails evaluates, through the organization's policies on the
// account's path, what Redis Cloud needs: redislabs-user's requests through
// the SCP levels (with its identity policies and boundary), and
// sts:AssumeRole of redislabs-role by Redis Cloud's account through the
// RCP levels. It returns the denials, and how many requests were checked.
// The organization's management account is subject to neither.
func Guardrails(d *desired.Set, l *live.State, g *organization.Guardrails) ([]GuardrailDenial, int) {
	if g == nil || g.Org.ManagementAccount == l.AccountID {
		return nil, 0
	}
	var out []GuardrailDenial
	checked := 0
	if u := l.User(r.UserName); u != nil && len(g.SCPs) > 0 {
		srcs, _ := sourcesFor(d, l, u.AttachedPolicies, u.InlinePolicies, u.Groups, u.Boundary)
		in := identityInput(srcs)
		levels := compileLevels(g.SCPs, SCP)
		in.SCPs = levels.compiled
		for _, n := range neededRequests(d, d.Policy(r.UserPolicyName)) {
			checked++
			out = levels.attribute(out, iampolicy.Evaluate(in, n.request()), n.Action)
		}
	}
	if d.HasRole(r.ConsoleRoleName) && len(g.RCPs) > 0 {
		levels := compileLevels(g.RCPs, RCP)
		// The role's trust policy lets Redis Cloud's account in; what is
		// left to decide is whether an RCP denies it.
		trust, _ := iampolicy.Compile("trust", iampolicy.ParseAccepted([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)))
		in := &iampolicy.Input{Identity: []*iampolicy.Compiled{trust}, RCPs: levels.compiled}
		checked++
		out = levels.attribute(out, iampolicy.Evaluate(in, AssumeByRedisCloud(d.Partition, l.AccountID, g.Org.ID)), "sts:AssumeRole")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, checked
}

// AssumeByRedisCloud is Redis Cloud's console access as an RCP sees it:
// sts:AssumeRole of redislabs-role by a principal of account 168085023892
// (outside the organization, signed in with MFA).
func AssumeByRedisCloud(partition, account, orgID string) iampolicy.Request {
	return iampolicy.Request{
		Action:   "sts:AssumeRole",
		Resource: "arn:" + partition + ":iam::" + account + ":role/" + r.ConsoleRoleName,
		Context: map[string][]string{
			"aws:PrincipalAccount":       {r.RedisCloudAccountID},
			"aws:PrincipalArn":           {"arn:" + partition + ":iam::" + r.RedisCloudAccountID + ":root"},
			"aws:PrincipalIsAWSService":  {"false"},
			"aws:MultiFactorAuthPresent": {"true"},
			"aws:SecureTransport":        {"true"},
			"aws:ResourceAccount":        {account},
			"aws:ResourceOrgID":          {orgID},
		},
	}
}

// orgLevels are an organization path's policies, compiled, with a way back
// from a compiled name to the policy and its target.
type orgLevels struct {
	kind     string
	levels   []organization.Level
	compiled [][]*iampolicy.Compiled
	byName   map[string]int // compiled name → level index
	policy   map[string]organization.Policy
}

func compileLevels(levels []organization.Level, kind string) orgLevels {
	o := orgLevels{kind: kind, levels: levels, byName: map[string]int{}, policy: map[string]organization.Policy{}}
	for i, lv := range levels {
		var cs []*iampolicy.Compiled
		for _, p := range lv.Policies {
			name := fmt.Sprintf("%s/%d/%s", kind, i, p.ID)
			c, err := iampolicy.Compile(name, iampolicy.ParseAccepted(p.Document))
			if err != nil {
				continue // a document without statements allows nothing
			}
			o.byName[name], o.policy[name] = i, p
			cs = append(cs, c)
		}
		o.compiled = append(o.compiled, cs)
	}
	return o
}

// attribute adds to out what, in res, the organization's policies caused:
// their Deny statements, and SCP levels where no policy allows (RCP levels
// only deny).
func (o orgLevels) attribute(out []GuardrailDenial, res iampolicy.Result, action string) []GuardrailDenial {
	add := func(d GuardrailDenial) []GuardrailDenial {
		for i := range out {
			if out[i].Kind == d.Kind && out[i].Target == d.Target && out[i].Policy.ID == d.Policy.ID && out[i].Statement == d.Statement {
				out[i].Actions = appendUnique(out[i].Actions, action)
				return out
			}
		}
		d.Actions = []string{action}
		return append(out, d)
	}
	switch res.Decision {
	case iampolicy.ExplicitDeny:
		for _, m := range res.Matched {
			if i, ok := o.byName[m.Policy]; ok && m.Effect == "Deny" {
				out = add(GuardrailDenial{Kind: o.kind, Target: o.levels[i].Target, Policy: o.policy[m.Policy], Statement: m.Statement()})
			}
		}
	case iampolicy.ImplicitDeny:
		for _, n := range res.MissingSCPLevels {
			if o.kind != SCP || n < 1 || n > len(o.levels) {
				continue
			}
			lv := o.levels[n-1]
			d := GuardrailDenial{Kind: o.kind, Target: lv.Target}
			if len(lv.Policies) > 0 {
				d.Policy = lv.Policies[0]
			}
			out = add(d)
		}
	}
	return out
}
