package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
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
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	cmd.Flags().BoolVar(&o.detailedExitCode, "detailed-exitcode", false, "exit 2 when changes are pending, 0 when none")
	cmd.Flags().BoolVar(&o.noAdoptTags, "no-adopt-tags", false, "propose no tag changes (adopting a template-made account)")
	cmd.Flags().BoolVar(&o.removeUnexpected, "remove-unexpected", false, "plan the removal of policies that deny or limit what Redis Cloud needs")
	return cmd
}

// prepared is what plan, apply and verify share: the snapshot, the desired
// set and the plan between them.
type prepared struct {
	env  *awsEnv
	live *live.State
	want *desired.Set
	plan *plan.Plan
}

// prepare validates the flags (before any AWS call), reads the account and
// computes the plan.
func (f *Factory) prepare(ctx context.Context, lf *layoutFlag, pf *policyFlags, po plan.Options) (*prepared, error) {
	layout, err := lf.get()
	if err != nil {
		return nil, err
	}
	env, err := f.aws(ctx)
	if err != nil {
		return nil, err
	}
	// After the local checks (flags, region), before the first AWS call.
	sel, err := pf.selection()
	if err != nil {
		return nil, err
	}
	l, err := f.readAccount(ctx, env, false)
	if err != nil {
		return nil, err
	}
	d, err := desiredFor(sel, layout, l)
	if err != nil {
		return nil, err
	}
	p, err := plan.Compute(d, l, po)
	if err != nil {
		return nil, err
	}
	return &prepared{env: env, live: l, want: d, plan: p}, nil
}

func (o *planOptions) run(ctx context.Context) error {
	f := o.f
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	pr, err := f.prepare(ctx, &o.layout, &o.policy, plan.Options{NoAdoptTags: o.noAdoptTags, RemoveUnexpected: o.removeUnexpected})
	if err != nil {
		return err
	}
	f.preflight(ctx, pr)
	if f.JSON() {
		if err := view.PlanJSON(f.IO.Out, pr.plan); err != nil {
			return err
		}
	} else {
		view.PlanHeader(f.IO.Out, pr.live.AccountID, pr.want)
		view.PlanHuman(f.IO.Out, pr.plan, view.Style{Color: f.IO.OutColorEnabled()})
	}
	if o.detailedExitCode && pr.plan.HasChanges() {
		return &ExitError{Code: 2}
	}
	return nil
}
