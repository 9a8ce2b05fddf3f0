package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
)

// DestroyOptions tune Destroy.
type DestroyOptions struct {
	// Force also removes entities without ManagedBy=rciam or owned by a
	// stack, and the foreign items that block a delete.
	Force bool
	// ForceDeleteSecrets deletes the secrets without a recovery window.
	ForceDeleteSecrets bool
	// Blockers are redislabs-user's MFA devices, SSH keys and certificates.
	Blockers *live.UserBlockers
}

// BlockedError lists what stops destroy without --force; nothing has been
// changed when it is returned.
type BlockedError struct{ Items []string }

func (e *BlockedError) Error() string {
	return "destroy would have to remove items rciam did not create: " + strings.Join(e.Items, "; ") +
		": remove them yourself, or pass --force"
}

// Destroy plans the removal, in dependency order, of the layout's entities
// that carry ManagedBy=rciam and that no stack owns (all of them with
// Force). Entities left in place are reported as warnings.
func Destroy(d *desired.Set, l *live.State, o DestroyOptions) (*Plan, error) {
	if err := l.Books.CheckRegion(d.Region); err != nil {
		return nil, err // the secrets are elsewhere: destroy there
	}
	x := &destroyer{b: newBuilder(&Plan{Account: l.AccountID, Layout: d.Layout, Teardown: true}), d: d, l: l, o: o,
		detaches: map[string][]string{}, roleOut: map[string][]string{}, kept: map[string]bool{}}
	x.user()
	x.roles()
	x.profiles()
	x.policies()
	x.secrets()
	if len(x.blocked) > 0 && !o.Force {
		return nil, &BlockedError{Items: x.blocked}
	}
	return x.b.finish(), nil
}

type destroyer struct {
	b       *builder
	d       *desired.Set
	l       *live.State
	o       DestroyOptions
	blocked []string
	// detaches maps a policy ARN to the steps detaching it.
	detaches map[string][]string
	// roleOut maps a role name to the steps taking it out of profiles.
	roleOut map[string][]string
	// kept are the layout's entities destroy leaves in place.
	kept map[string]bool
}

// removable decides whether an entity is rciam's to delete.
func (x *destroyer) removable(addr r.Address, tags map[string]string, tagsKnown bool) bool {
	ok := x.decide(addr, tags, tagsKnown)
	if !ok {
		x.kept[addr.String()] = true
	}
	return ok
}

func (x *destroyer) decide(addr r.Address, tags map[string]string, tagsKnown bool) bool {
	if owner := x.l.StackOwned[addr.String()]; owner != "" && !x.o.Force {
		x.leave(addr, fmt.Sprintf("owned by CloudFormation stack %s", owner), "delete the stack instead (or pass --force)")
		return false
	}
	if x.o.Force || (tagsKnown && tags[r.TagManagedBy] == r.ManagedByValue) {
		return true
	}
	x.leave(addr, fmt.Sprintf("does not carry %s=%s", r.TagManagedBy, r.ManagedByValue), "--force removes it")
	return false
}

// leave records an entity left in place, why, and what to do about it.
func (x *destroyer) leave(addr r.Address, why, fix string) {
	x.b.p.Left = append(x.b.p.Left, Left{Address: addr, Why: why})
	x.b.warn(fmt.Sprintf("%s is left in place: %s; %s", addr, why, fix))
}

func (x *destroyer) ours(arn string) bool {
	for _, p := range x.d.Policies {
		if arn == x.d.PolicyARN(p.Name) {
			return true
		}
	}
	return false
}

func (x *destroyer) block(item string) { x.blocked = append(x.blocked, item) }

func (x *destroyer) user() {
	u := x.l.User(r.UserName)
	addr := r.Addr(r.KindUser, r.UserName)
	if u == nil || !x.removable(addr, u.Tags, true) {
		return
	}
	x.b.change(addr, Delete)
	var deps []string
	add := func(s Step) { deps = append(deps, x.b.step(s)) }
	for _, k := range x.l.Keys {
		ka := r.AccessKey(r.UserName, k.ID)
		x.b.change(ka, Delete)
		add(Step{Op: OpDeleteAccessKey, Address: ka, Name: u.Name, Target: k.ID})
	}
	if x.l.LoginProfile != nil {
		la := r.Addr(r.KindLoginProfile, r.UserName)
		x.b.change(la, Delete)
		add(Step{Op: OpDeleteLoginProfile, Address: la, Name: u.Name})
	}
	for _, arn := range u.AttachedPolicies {
		if !x.ours(arn) {
			x.block(fmt.Sprintf("policy %s attached to %s", arn, addr))
		}
		id := x.b.step(Step{Op: OpDetachUserPolicy, Address: addr, Name: u.Name, Target: arn})
		deps = append(deps, id)
		x.detaches[arn] = append(x.detaches[arn], id)
	}
	for _, name := range sortedNames(u.InlinePolicies) {
		x.block(fmt.Sprintf("inline policy %s on %s", name, addr))
		add(Step{Op: OpDeleteUserInline, Address: addr, Name: u.Name, Target: name})
	}
	for _, g := range u.Groups {
		x.block(fmt.Sprintf("%s is a member of group %s", addr, g))
		add(Step{Op: OpRemoveUserFromGroup, Address: addr, Name: u.Name, Target: g})
	}
	if bl := x.o.Blockers; bl != nil {
		for _, s := range bl.MFADevices {
			x.block(fmt.Sprintf("MFA device %s of %s", s, addr))
			add(Step{Op: OpDeactivateMFA, Address: addr, Name: u.Name, Target: s})
		}
		for _, k := range bl.SSHKeys {
			x.block(fmt.Sprintf("SSH public key %s of %s", k, addr))
			add(Step{Op: OpDeleteSSHKey, Address: addr, Name: u.Name, Target: k})
		}
		for _, c := range bl.SigningCerts {
			x.block(fmt.Sprintf("signing certificate %s of %s", c, addr))
			add(Step{Op: OpDeleteSigningCert, Address: addr, Name: u.Name, Target: c})
		}
	}
	x.b.step(Step{Op: OpDeleteUser, Address: addr, Name: u.Name, Deps: deps})
}

func (x *destroyer) roles() {
	for _, name := range []string{r.NodeRoleName, r.ConsoleRoleName} {
		role := x.l.Role(name)
		addr := r.Addr(r.KindRole, name)
		if role == nil || !x.removable(addr, role.Tags, true) {
			continue
		}
		x.b.change(addr, Delete)
		var deps []string
		for _, arn := range role.AttachedPolicies {
			if !x.ours(arn) {
				x.block(fmt.Sprintf("policy %s attached to %s", arn, addr))
			}
			id := x.b.step(Step{Op: OpDetachRolePolicy, Address: addr, Name: role.Name, Target: arn})
			deps = append(deps, id)
			x.detaches[arn] = append(x.detaches[arn], id)
		}
		for _, pn := range sortedNames(role.InlinePolicies) {
			x.block(fmt.Sprintf("inline policy %s on %s", pn, addr))
			deps = append(deps, x.b.step(Step{Op: OpDeleteRoleInline, Address: addr, Name: role.Name, Target: pn}))
		}
		for _, p := range sortedProfiles(x.l) {
			if !containsFold(p.Roles, role.Name) {
				continue
			}
			if !r.SameName(p.Name, r.ProfileName) {
				x.block(fmt.Sprintf("%s is in instance profile %s", addr, p.Name))
			}
			id := x.b.step(Step{Op: OpRemoveRoleFromProfile, Address: r.Addr(r.KindInstanceProfile, p.Name), Name: p.Name, Target: role.Name})
			deps = append(deps, id)
			x.roleOut[strings.ToLower(p.Name)] = append(x.roleOut[strings.ToLower(p.Name)], id)
		}
		x.b.step(Step{Op: OpDeleteRole, Address: addr, Name: role.Name, Deps: deps})
	}
}

func (x *destroyer) profiles() {
	p := x.l.Profile(r.ProfileName)
	addr := r.Addr(r.KindInstanceProfile, r.ProfileName)
	if p == nil || !x.removable(addr, p.Tags, true) {
		return
	}
	x.b.change(addr, Delete)
	deps := x.roleOut[strings.ToLower(p.Name)]
	for _, role := range p.Roles {
		// the same step as a removed role's (added once)
		deps = append(deps, x.b.step(Step{Op: OpRemoveRoleFromProfile, Address: addr, Name: p.Name, Target: role}))
	}
	x.b.step(Step{Op: OpDeleteProfile, Address: addr, Name: p.Name, Deps: deps})
}

func (x *destroyer) policies() {
	for _, dp := range x.d.Policies {
		p := x.l.Policy(dp.Name)
		addr := r.Addr(r.KindPolicy, dp.Name)
		if p == nil || !x.removable(addr, p.Tags, p.TagsKnown) {
			continue
		}
		holders := x.foreignAttachments(p.ARN)
		if h := x.keptHolder(holders); h != "" {
			x.leave(addr, h+", which destroy keeps, uses it", "it goes with "+h)
			continue
		}
		x.b.change(addr, Delete)
		deps := append([]string(nil), x.detaches[p.ARN]...)
		for _, holder := range holders {
			x.block(fmt.Sprintf("%s is attached to %s", addr, holder.addr))
			deps = append(deps, x.b.step(holder.step))
		}
		for _, v := range p.Versions {
			if !v.IsDefault {
				deps = append(deps, x.b.step(Step{Op: OpDeletePolicyVersion, Address: addr, Name: p.ARN, Target: v.ID}))
			}
		}
		x.b.step(Step{Op: OpDeletePolicy, Address: addr, Name: p.ARN, Deps: deps})
	}
}

// keptHolder returns the first holder that is a layout entity destroy
// keeps: the policy must stay with it.
func (x *destroyer) keptHolder(hs []holder) string {
	for _, h := range hs {
		if x.kept[h.addr] {
			return h.addr
		}
	}
	return ""
}

type holder struct {
	addr string
	step Step
}

// foreignAttachments finds attachments of arn to entities destroy does not
// remove (they block DeletePolicy).
func (x *destroyer) foreignAttachments(arn string) []holder {
	var out []holder
	done := map[string]bool{}
	for _, id := range x.detaches[arn] {
		done[id] = true
	}
	// Entities destroy removes have their detach steps already.
	for _, role := range sortedRoles(x.l) {
		if containsFold(role.AttachedPolicies, arn) {
			s := Step{Op: OpDetachRolePolicy, Address: r.Addr(r.KindRole, role.Name), Name: role.Name, Target: arn}
			if !done[stepID(s)] {
				out = append(out, holder{"role/" + role.Name, s})
			}
		}
	}
	for _, u := range sortedUsers(x.l) {
		if containsFold(u.AttachedPolicies, arn) {
			s := Step{Op: OpDetachUserPolicy, Address: r.Addr(r.KindUser, u.Name), Name: u.Name, Target: arn}
			if !done[stepID(s)] {
				out = append(out, holder{"user/" + u.Name, s})
			}
		}
	}
	return out
}

func (x *destroyer) secrets() {
	for _, ds := range x.d.Secrets {
		s := x.l.Secrets[ds.Name]
		addr := r.Addr(r.KindSecret, ds.Name)
		if s == nil || (s.Deleted != nil && !x.o.ForceDeleteSecrets) || !x.removable(addr, s.Tags, true) {
			continue
		}
		detail := fmt.Sprintf("recoverable for %d days; a later apply restores it", 7)
		if x.o.ForceDeleteSecrets {
			detail = "without recovery (--force-delete-secrets)"
		}
		x.b.change(addr, Delete, detail)
		x.b.step(Step{Op: OpDeleteSecret, Address: addr, Name: ds.Name, ForceDelete: x.o.ForceDeleteSecrets})
	}
}

func stepID(s Step) string {
	id := string(s.Op) + " " + s.Address.String()
	if s.Target != "" {
		id += " " + s.Target
	}
	return id
}

func sortedNames(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedProfiles(l *live.State) []*live.Profile {
	out := make([]*live.Profile, 0, len(l.Profiles))
	for _, p := range l.Profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedRoles(l *live.State) []*live.Role {
	out := make([]*live.Role, 0, len(l.Roles))
	for _, p := range l.Roles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedUsers(l *live.State) []*live.User {
	out := make([]*live.User, 0, len(l.Users))
	for _, p := range l.Users {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
