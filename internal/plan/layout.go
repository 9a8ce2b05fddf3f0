package plan

import (
	"fmt"
	"strings"

	r "github.com/rciam/rciam/internal/resource"
)

// layoutRoles are the roles some layout has: a live one the desired layout
// lacks is left over from another layout.
var layoutRoles = []string{r.NodeRoleName, r.ConsoleRoleName}

// layoutSwitch plans the removal of the roles another layout made and this
// one does not have (cloud → rv: redislabs-role), so that switching layouts
// is a plan like any other. The way back (rv → cloud) needs nothing here:
// roles() creates what the layout lacks.
//
// A leftover role is deleted only when it is rciam's (ManagedBy=rciam) and
// no stack owns it, and only when nothing but
// rciam's own policy attachments holds it: its attached policies are
// detached first. Anything else is a warning and the role stays.
func (c *computer) layoutSwitch() {
	for _, name := range layoutRoles {
		if c.d.HasRole(name) {
			continue
		}
		role := c.l.Role(name)
		if role == nil {
			continue
		}
		addr := r.Addr(r.KindRole, role.Name)
		why := fmt.Sprintf("layout %s has no %s", c.d.Layout, addr)
		if owner := c.stackOwner(addr); owner != "" {
			c.b.warn(fmt.Sprintf("%s, but stack %s owns it: left in place (delete it with the stack)", why, owner))
			continue
		}
		if role.Tags[r.TagManagedBy] != r.ManagedByValue {
			c.b.warn(fmt.Sprintf("%s, but it does not carry %s=%s: left in place (delete it yourself if it is not used)", why, r.TagManagedBy, r.ManagedByValue))
			continue
		}
		if foreign := c.foreignHolds(role.Name, role.AttachedPolicies, role.InlinePolicies); len(foreign) > 0 {
			c.b.warn(fmt.Sprintf("%s, but %s: left in place (remove them, then plan again)", why, strings.Join(foreign, "; ")))
			continue
		}
		c.b.change(addr, Delete, why)
		var deps []string
		for _, arn := range role.AttachedPolicies {
			c.b.change(addr, Delete, "detach "+arn[strings.LastIndexByte(arn, '/')+1:])
			deps = append(deps, c.b.step(Step{Op: OpDetachRolePolicy, Address: addr, Name: role.Name, Target: arn}))
		}
		for _, pn := range sortedNames(role.InlinePolicies) {
			deps = append(deps, c.b.step(Step{Op: OpDeleteRoleInline, Address: addr, Name: role.Name, Target: pn}))
		}
		for _, p := range sortedProfiles(c.l) {
			if containsFold(p.Roles, role.Name) {
				deps = append(deps, c.b.step(Step{Op: OpRemoveRoleFromProfile, Address: r.Addr(r.KindInstanceProfile, p.Name), Name: p.Name, Target: role.Name}))
			}
		}
		c.b.step(Step{Op: OpDeleteRole, Address: addr, Name: role.Name, Deps: deps})
	}
}

// foreignHolds lists what holds role besides attachments of the layout's
// own managed policies: other policies, inline policies, instance
// profiles. Deleting the role would remove them too.
func (c *computer) foreignHolds(role string, attached []string, inline map[string][]byte) []string {
	var out []string
	for _, arn := range attached {
		if !c.ownPolicy(arn) {
			out = append(out, "policy "+arn+" is attached to it")
		}
	}
	for _, name := range sortedNames(inline) {
		out = append(out, "it has inline policy "+name)
	}
	for _, p := range sortedProfiles(c.l) {
		if containsFold(p.Roles, role) {
			out = append(out, "it is in instance profile "+p.Name)
		}
	}
	return out
}

func (c *computer) ownPolicy(arn string) bool {
	for _, p := range c.d.Policies {
		if strings.EqualFold(arn, c.d.PolicyARN(p.Name)) {
			return true
		}
	}
	return false
}
