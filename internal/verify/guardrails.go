package verify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rciam/rciam/internal/access"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/organization"
	r "github.com/rciam/rciam/internal/resource"
)

// guardrails evaluates what Redis Cloud needs through the organization's
// SCPs and RCPs on the account's path (docs/behaviour.md, "Organization
// guardrails"). Unreadable, they are one warning: never "could not check".
func (v *verifier) guardrails() {
	g, err := v.ev.Guardrails, v.ev.GuardrailsErr
	switch {
	case errors.Is(err, organization.ErrNotInOrganization):
		v.add("guardrails", "organization", Pass, "the account is in no AWS organization: no SCP or RCP applies")
		return
	case err != nil:
		v.add("guardrails", "organization", Warn, "the organization's SCPs and RCPs could not be read ("+awsclient.Short(err)+
			"): they were not checked; run verify with the management account's or a delegated administrator's credentials to check them")
		return
	case g == nil:
		return
	case g.Org.ManagementAccount == v.l.AccountID:
		v.add("guardrails", "organization", Pass, "the organization's management account: SCPs and RCPs do not apply to it")
		return
	}
	denials, checked := access.Guardrails(v.d, v.l, g)
	for _, d := range denials {
		v.addLine(d.Kind, "organization-policy/"+d.ResourceID(), Fail, denialLine(d))
	}
	if len(denials) == 0 {
		kinds := []string{}
		if len(g.SCPs) > 0 {
			kinds = append(kinds, "SCPs")
		}
		if len(g.RCPs) > 0 {
			kinds = append(kinds, "RCPs")
		}
		what := "no SCP or RCP type is enabled in organization " + g.Org.ID
		if len(kinds) > 0 {
			what = fmt.Sprintf("the %s on %s allow all %d requests Redis Cloud makes", strings.Join(kinds, " and "), pathOf(g), checked)
		}
		v.add("guardrails", "organization", Pass, what)
	}
}

// denialLine names the policy, where it is attached, the statement and the
// denied actions, and who can change it.
func denialLine(d access.GuardrailDenial) note.Line {
	kind := strings.ToUpper(d.Kind)
	who := "Redis Cloud's requests as " + r.UserName
	if d.Kind == access.RCP {
		who = "Redis Cloud's account " + r.RedisCloudAccountID + " assuming " + r.ConsoleRoleName
	}
	admins := ": only the organization's administrators can change it"
	if d.Statement == "" {
		where := "no " + kind + " attached to " + d.Target.String()
		if d.Policy.ID != "" {
			where += " (" + d.Policy.Name + " " + d.Policy.ID + " among them)"
		}
		return note.New(where+" allows ", d.Actions, " for "+who+admins)
	}
	return note.New(fmt.Sprintf("%s %s (%s), attached to %s, statement %s denies ", kind, d.Policy.Name, d.Policy.ID, d.Target, d.Statement),
		d.Actions, " for "+who+admins)
}

// pathOf writes an account's path: "root r-ab12 → OU ou-… → account …".
func pathOf(g *organization.Guardrails) string {
	levels := g.SCPs
	if len(levels) == 0 {
		levels = g.RCPs
	}
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = l.Target.String()
	}
	return strings.Join(parts, " → ")
}
