package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/note"
	r "github.com/rciam/rciam/internal/resource"
)

// Options tune Compute.
type Options struct {
	// NoAdoptTags suppresses every tag change (--no-adopt-tags).
	NoAdoptTags bool
	// RemoveUnexpected removes policies that deny or limit what Redis
	// Cloud needs (--remove-unexpected); without it they fail the plan.
	RemoveUnexpected bool
}

// MaxPolicyVersions is IAM's limit of versions per managed policy.
const MaxPolicyVersions = 5

// Compute returns the plan that converges l to d. It fails only when the
// account is in a state rciam must not resolve on its own (an access key in
// use whose secret rciam does not hold).
func Compute(d *desired.Set, l *live.State, o Options) (*Plan, error) {
	if err := l.Books.CheckRegion(d.Region); err != nil {
		return nil, err
	}
	b := newBuilder(&Plan{Account: l.AccountID, Layout: d.Layout, Source: d.Source.Source})
	c := &computer{b: b, d: d, l: l, o: o, created: map[string]string{}}
	c.policies()
	c.roles()
	c.layoutSwitch()
	c.profiles()
	c.user()
	if err := c.keys(); err != nil {
		return nil, err
	}
	c.password()
	c.autoRotation()
	if err := c.unexpected(); err != nil {
		return nil, err
	}
	return b.finish(), nil
}

type computer struct {
	b *builder
	d *desired.Set
	l *live.State
	o Options
	// created maps an address string to the ID of the step creating it.
	created map[string]string
}

// autoRotation warns about a secret Secrets Manager rotates on a schedule:
// rciam cannot tell what a rotation function writes, so it turns nothing
// off by itself.
func (c *computer) autoRotation() {
	for _, name := range []string{r.KeySecretName, r.PasswordSecretName} {
		if s := c.l.Secrets[name]; s != nil && s.RotationEnabled {
			c.b.warn(r.Addr(r.KindSecret, name).String() + ": " + live.AutoRotationWarning(name))
		}
	}
}

func (c *computer) stackOwner(addr r.Address) string { return c.l.StackOwned[addr.String()] }

// leftToStack reports whether a stack owns addr: then only its tags are
// rciam's to change, and each other difference is a warning that says to
// update the stack (there is nothing to warn about when nothing differs).
func (c *computer) leftToStack(addr r.Address, differs ...string) bool {
	owner := c.stackOwner(addr)
	if owner == "" {
		return false
	}
	for _, d := range differs {
		c.b.warn(fmt.Sprintf("%s: %s, but stack %s owns it: only its tags are rciam's to change; update the stack", addr, d, owner))
	}
	return true
}

// tagStep adds a tag op for the desired tags the live ones lack, unless
// tag changes are suppressed.
func (c *computer) tagStep(addr r.Address, op Op, name string, want, have map[string]string, deps ...string) {
	missing := missingTags(want, have)
	if len(missing) == 0 || c.o.NoAdoptTags {
		return
	}
	c.b.detail(addr, Update, note.New("tags: ", tagList(missing)))
	c.b.step(Step{Op: op, Address: addr, Name: name, Tags: missing, Deps: deps})
}

func (c *computer) policies() {
	for _, p := range c.d.Policies {
		addr := r.Addr(r.KindPolicy, p.Name)
		lp := c.l.Policy(p.Name)
		if lp == nil {
			c.b.change(addr, Create, "document sha256 "+p.SHA256)
			c.created[addr.String()] = c.b.step(Step{Op: OpCreatePolicy, Address: addr, Name: p.Name,
				Document: p.Document, Description: p.Description, Tags: p.Tags})
			continue
		}
		c.b.change(addr, NoOp)
		arn := c.d.PolicyARN(p.Name)
		if lp.Description != "" && lp.Description != p.Description {
			c.b.warn(fmt.Sprintf("%s: description %q differs from rciam's (descriptions cannot be changed; not a problem)", addr, lp.Description))
		}
		if lp.TagsKnown {
			c.tagStep(addr, OpTagPolicy, arn, p.Tags, lp.Tags)
		}
		if c.leftToStack(addr, when(!sameDocument(lp.Document, p.Parsed), "the document differs")...) {
			continue
		}
		if live, err := iampolicy.Parse(lp.Document); err != nil || !iampolicy.Equal(live, p.Parsed) {
			st := Step{Op: OpUpdatePolicy, Address: addr, Name: arn, Document: p.Document}
			details := append([]note.Line{note.New("new default version with the selected document")}, lines(documentDiff(live, err, p.Parsed))...)
			details = append(details, c.provenance(&p, live)...)
			if len(lp.Versions) >= MaxPolicyVersions {
				st.DeleteVersion = oldestNonDefault(lp.Versions)
				details = append(details, note.New("delete policy version "+st.DeleteVersion+" (IAM keeps at most 5)"))
			}
			c.b.detail(addr, Update, details...)
			c.b.step(st)
		}
	}
}

func (c *computer) roles() {
	for _, role := range c.d.Roles {
		addr := r.Addr(r.KindRole, role.Name)
		lr := c.l.Role(role.Name)
		if lr == nil {
			c.b.change(addr, Create)
			id := c.b.step(Step{Op: OpCreateRole, Address: addr, Name: role.Name, Document: role.Trust,
				Description: role.Description, Tags: role.Tags})
			c.created[addr.String()] = id
			for _, pn := range role.Policies {
				c.b.change(addr, Create, "attach "+pn)
				c.b.step(Step{Op: OpAttachRolePolicy, Address: addr, Name: role.Name, Target: c.d.PolicyARN(pn),
					Deps: []string{id, c.created[r.Addr(r.KindPolicy, pn).String()]}})
			}
			continue
		}
		c.b.change(addr, NoOp)
		c.tagStep(addr, OpTagRole, role.Name, role.Tags, lr.Tags)
		if c.leftToStack(addr, append(when(!sameDocument(lr.Trust, role.Parsed), "the trust policy differs"),
			c.missingAttachments(role.Policies, lr.AttachedPolicies)...)...) {
			continue
		}
		if live, err := iampolicy.Parse(lr.Trust); err != nil || !iampolicy.Equal(live, role.Parsed) {
			c.b.change(addr, Update, append([]string{"trust policy:"}, documentDiff(live, err, role.Parsed)...)...)
			c.b.step(Step{Op: OpUpdateTrust, Address: addr, Name: role.Name, Document: role.Trust})
		}
		for _, pn := range role.Policies {
			arn := c.d.PolicyARN(pn)
			if !contains(lr.AttachedPolicies, arn) {
				c.b.change(addr, Update, "attach "+pn)
				c.b.step(Step{Op: OpAttachRolePolicy, Address: addr, Name: role.Name, Target: arn,
					Deps: []string{c.created[r.Addr(r.KindPolicy, pn).String()]}})
			}
		}
	}
}

func (c *computer) profiles() {
	for _, p := range c.d.Profiles {
		addr := r.Addr(r.KindInstanceProfile, p.Name)
		roleCreate := c.created[r.Addr(r.KindRole, p.Role).String()]
		lp := c.l.Profile(p.Name)
		if lp == nil {
			c.b.change(addr, Create, "holds role "+p.Role)
			id := c.b.step(Step{Op: OpCreateProfile, Address: addr, Name: p.Name, Tags: p.Tags})
			c.b.step(Step{Op: OpAddRoleToProfile, Address: addr, Name: p.Name, Target: p.Role, Deps: []string{id, roleCreate}})
			continue
		}
		c.b.change(addr, NoOp)
		c.tagStep(addr, OpTagProfile, p.Name, p.Tags, lp.Tags)
		if c.leftToStack(addr, when(len(lp.Roles) != 1 || !r.SameName(lp.Roles[0], p.Role), "it does not hold exactly "+p.Role)...) {
			continue
		}
		has := false
		var removes []string
		for _, role := range lp.Roles {
			if r.SameName(role, p.Role) {
				has = true
				continue
			}
			// An instance profile holds one role: make room for ours.
			c.b.change(addr, Update, "remove role "+role)
			removes = append(removes, c.b.step(Step{Op: OpRemoveRoleFromProfile, Address: addr, Name: p.Name, Target: role}))
		}
		if !has {
			c.b.change(addr, Update, "add role "+p.Role)
			c.b.step(Step{Op: OpAddRoleToProfile, Address: addr, Name: p.Name, Target: p.Role, Deps: append(removes, roleCreate)})
		}
	}
}

func (c *computer) user() {
	u := c.d.User
	addr := r.Addr(r.KindUser, u.Name)
	lu := c.l.User(u.Name)
	tags := bookkeeping.UserTags(c.d.Region) // where the secrets are: IAM is global
	for k, v := range u.Tags {
		tags[k] = v
	}
	if lu == nil {
		c.b.change(addr, Create)
		id := c.b.step(Step{Op: OpCreateUser, Address: addr, Name: u.Name, Tags: tags})
		c.created[addr.String()] = id
		for _, pn := range u.Policies {
			c.b.change(addr, Create, "attach "+pn)
			c.b.step(Step{Op: OpAttachUserPolicy, Address: addr, Name: u.Name, Target: c.d.PolicyARN(pn),
				Deps: []string{id, c.created[r.Addr(r.KindPolicy, pn).String()]}})
		}
		return
	}
	c.b.change(addr, NoOp)
	c.tagStep(addr, OpTagUser, u.Name, tags, lu.Tags)
	if c.leftToStack(addr, c.missingAttachments(u.Policies, lu.AttachedPolicies)...) {
		return
	}
	for _, pn := range u.Policies {
		arn := c.d.PolicyARN(pn)
		if !contains(lu.AttachedPolicies, arn) {
			c.b.change(addr, Update, "attach "+pn)
			c.b.step(Step{Op: OpAttachUserPolicy, Address: addr, Name: u.Name, Target: arn,
				Deps: []string{c.created[r.Addr(r.KindPolicy, pn).String()]}})
		}
	}
}

// when is what when cond holds, else nothing.
func when(cond bool, what string) []string {
	if cond {
		return []string{what}
	}
	return nil
}

// missingAttachments says which of the policies called want are not
// attached (have holds ARNs).
func (c *computer) missingAttachments(want, have []string) []string {
	var out []string
	for _, pn := range want {
		if !contains(have, c.d.PolicyARN(pn)) {
			out = append(out, pn+" is not attached")
		}
	}
	return out
}

func sameDocument(doc []byte, want *iampolicy.Policy) bool {
	p, err := iampolicy.Parse(doc)
	return err == nil && iampolicy.Equal(p, want)
}

// lines makes plain detail lines.
func lines(texts []string) []note.Line {
	out := make([]note.Line, len(texts))
	for i, t := range texts {
		out[i] = note.New(t)
	}
	return out
}

func documentDiff(live *iampolicy.Policy, parseErr error, want *iampolicy.Policy) []string {
	if parseErr != nil {
		return []string{"live document cannot be read (" + parseErr.Error() + "): replaced"}
	}
	lines := iampolicy.Diff(live, want)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

func oldestNonDefault(vs []live.PolicyVersion) string {
	var cands []live.PolicyVersion
	for _, v := range vs {
		if !v.IsDefault {
			cands = append(cands, v)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if !cands[i].Created.Equal(cands[j].Created) {
			return cands[i].Created.Before(cands[j].Created)
		}
		return versionNumber(cands[i].ID) < versionNumber(cands[j].ID)
	})
	if len(cands) == 0 {
		return ""
	}
	return cands[0].ID
}

func versionNumber(id string) int {
	n := 0
	fmt.Sscanf(strings.TrimPrefix(id, "v"), "%d", &n)
	return n
}

func missingTags(want, have map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			out[k] = v
		}
	}
	return out
}

func tagList(t map[string]string) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + t[k]
	}
	return parts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
