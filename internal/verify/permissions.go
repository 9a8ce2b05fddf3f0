package verify

import (
	"fmt"
	"strings"

	"github.com/rciam/rciam/internal/access"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/note"
	r "github.com/rciam/rciam/internal/resource"
)

// permissions evaluates, offline, every request Redis Cloud makes as each
// principal against every policy that applies to it.
func (v *verifier) permissions() {
	for _, f := range access.Analyze(v.d, v.l) {
		addr := f.Principal.String()
		for _, u := range f.Unreadable {
			v.add("permissions", addr, Warn, u+" could not be read and was left out of the evaluation")
		}
		if len(f.Denied) == 0 {
			v.add("permissions", addr, Pass, fmt.Sprintf("all %d requests Redis Cloud makes are allowed (policy engine)", f.Checked))
			continue
		}
		msg := []any{fmt.Sprintf("%d of %d requests are not allowed (", len(f.DeniedActions()), f.Checked), f.DeniedActions(), ")"}
		blockers := access.Blockers([]access.Finding{f})
		for i, b := range blockers {
			msg = append(msg, map[bool]string{true: ": ", false: "; "}[i == 0]+b.Source.String()+" denies ", b.Actions)
		}
		if len(blockers) > 0 {
			msg = append(msg, ": remove it, or run 'rciam apply --remove-unexpected'")
		} else {
			msg = append(msg, ": no policy rciam expects allows them: "+repair)
		}
		v.addLine("permissions", addr, Fail, note.New(msg...))
	}
}

// simulation reports iam:SimulatePrincipalPolicy for the user, which also
// reflects Organizations SCPs.
func (v *verifier) simulation() {
	s := v.ev.Simulation
	if s == nil {
		return
	}
	addr := r.Addr(r.KindUser, r.UserName).String()
	switch {
	case s.Unavailable:
		v.add("simulation", addr, Warn, "this endpoint does not implement iam:SimulatePrincipalPolicy: permissions were checked offline only")
	case s.Err != nil && awsclient.IsAccessDenied(s.Err):
		v.add("simulation", addr, Warn, "not allowed to call iam:SimulatePrincipalPolicy ("+awsclient.Short(s.Err)+"): permissions were checked offline only")
	case s.Err != nil:
		v.add("simulation", addr, Warn, "iam:SimulatePrincipalPolicy failed ("+awsclient.Short(s.Err)+"): permissions were checked offline only")
	case len(s.OrgDenied) > 0:
		v.addLine("simulation", addr, Fail, note.New("an Organizations SCP denies ", s.OrgDenied, ": ask your organization's administrators to allow them for this account"))
	case len(s.Denied) > 0:
		v.addLine("simulation", addr, Fail, note.New("AWS's simulation denies ", s.Denied, ": run 'rciam plan' to see which policy, or 'rciam apply --remove-unexpected'"))
	case len(s.Missing) > 0:
		v.add("simulation", addr, Warn, "the simulation lacked context keys "+strings.Join(s.Missing, ", ")+" (an rciam bug: please report it)")
	default:
		v.add("simulation", addr, Pass, "AWS's simulation allows every action Redis Cloud needs")
	}
}
