package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/operator"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/planfile"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newPlanCmd) }

type planOptions struct {
	f                *Factory
	layout           layoutFlag
	policy           policyFlags
	detailedExitCode bool
	noAdoptTags      bool
	removeUnexpected bool
	out              string
	fleet            fleetFlags
}

func newPlanCmd(f *Factory) *cobra.Command {
	o := &planOptions{f: f}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would create, update or delete",
		Long: `Reads the account and prints each entity as create, update, delete or no-op,
with a readable diff of policy and trust documents (compared semantically).

Exit codes: 0 success (with --detailed-exitcode: no changes); 2 changes pending
(--detailed-exitcode only); 1 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if many, err := o.fleet.given(cmd); err != nil {
				return err
			} else if many {
				if o.out != "" {
					return usageErrorf("--out saves one account's plan: drop it, or run plan for one account")
				}
				return f.runFleet(cmd, &o.fleet, fleetJob{command: "plan", policy: &o.policy, run: o.run, detailed: o.detailedExitCode,
					changed: func(result []byte) bool { c, u, d := jsonCounts(result); return c+u+d > 0 },
					detail: func(o fleetOutcome) string {
						c, u, d := jsonCounts(o.Result)
						return fmt.Sprintf("%d to create, %d to update, %d to delete", c, u, d)
					}})
			}
			return f.run(cmd, frameOptions{readOnly: true}, o.run)
		},
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	cmd.Flags().BoolVar(&o.detailedExitCode, "detailed-exitcode", false, "exit 2 when changes are pending, 0 when none")
	cmd.Flags().BoolVar(&o.noAdoptTags, "no-adopt-tags", false, "propose no tag changes (adopting a template-made account)")
	cmd.Flags().BoolVar(&o.removeUnexpected, "remove-unexpected", false, "plan the removal of policies that deny or limit what Redis Cloud needs")
	cmd.Flags().StringVar(&o.out, "out", "", "save the plan to FILE for 'rciam apply FILE' (no secret in it)")
	o.fleet.bind(cmd, false)
	return cmd
}

func (o *planOptions) run(fr *frame) error {
	f := fr.f
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return err
	}
	// After the local checks (flags, region), before the first AWS call.
	sel, err := fr.selection(&o.policy)
	if err != nil {
		return err
	}
	po := plan.Options{NoAdoptTags: o.noAdoptTags, RemoveUnexpected: o.removeUnexpected}
	res, err := t.Plan(fr.ctx, sel, layout, po)
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := planfile.New(res.Live, sel, layout, po, res.Plan, buildVersion().Version, time.Now()).Write(o.out); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "Saved the plan to %s: 'rciam apply %s' applies exactly it, if the account has not changed.\n", o.out, o.out)
	}
	reportChecked(f.IO.ErrOut, res.Preflight)
	reportDenied(f.IO.ErrOut, res.Preflight, "apply would stop before its first change")
	if f.JSON() {
		if err := view.PlanJSON(f.IO.Out, res.Plan, permissionsJSON(res)); err != nil {
			return err
		}
	} else {
		view.PlanHeader(f.IO.Out, res.Live.AccountID, res.Want)
		view.PlanHuman(f.IO.Out, res.Plan, view.Style{Color: f.IO.OutColorEnabled()})
	}
	if o.detailedExitCode && res.Plan.HasChanges() {
		return &ExitError{Code: 2}
	}
	return nil
}

// reportChecked says, one line each, when the caller's permissions could
// not be checked before the first change, and which the simulation could
// not decide.
func reportChecked(w io.Writer, p account.Preflight) {
	if p.Note != "" {
		fmt.Fprintf(w, "note: %s\n", p.Note)
	}
	if len(p.Undecided) > 0 {
		items := make([]string, len(p.Undecided))
		for i, n := range p.Undecided {
			items[i] = n.String()
		}
		fmt.Fprintf(w, "note: the simulation could not decide %s (a condition needs context it was not given): not checked\n", note.List(items, true))
	}
}

// reportDenied lists, one line each, the permissions the planned steps
// need that the caller lacks, what that means, and how to get the policy
// that has them.
func reportDenied(w io.Writer, p account.Preflight, means string) {
	if len(p.Denied) == 0 {
		return
	}
	fmt.Fprintf(w, "warning: %s lacks %s the plan needs (%s):\n", p.Caller, note.Count(len(p.Denied), "permission"), means)
	for _, d := range p.Denied {
		fmt.Fprintf(w, "  %s on %s (%s)\n", d.Action, d.Resource, d.Step)
	}
	fmt.Fprintf(w, "  %s.\n", awsclient.OperatorPolicyHint)
}

// permissionsJSON is the pre-flight's answer as plan's JSON gives it (nil
// when nothing was planned, so nothing was asked).
func permissionsJSON(res *account.PlanResult) *view.PermissionsJSON {
	if !res.Plan.HasChanges() {
		return nil
	}
	needs := func(ns []operator.Need) []view.DeniedJSON {
		out := make([]view.DeniedJSON, len(ns))
		for i, n := range ns {
			out[i] = view.DeniedJSON{Action: n.Action, Resource: n.Resource, Step: n.Step}
		}
		return out
	}
	return &view.PermissionsJSON{Checked: res.Note == "", Caller: res.Caller, Note: res.Note,
		Denied: needs(res.Denied), Undecided: needs(res.Undecided)}
}
