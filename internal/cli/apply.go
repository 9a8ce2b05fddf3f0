package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/apply"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/planfile"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newApplyCmd) }

type applyOptions struct {
	f                *Factory
	layout           layoutFlag
	policy           policyFlags
	yes              bool
	noAdoptTags      bool
	removeUnexpected bool
	showSecrets      bool
	saved            *planfile.File
	fleet            fleetFlags
}

// useSaved reads a saved plan; the flags it fixes must not be given
// beside it.
func (o *applyOptions) useSaved(cmd *cobra.Command, path string) error {
	for _, name := range []string{"layout", "policy-version", "policy-source", "instance-policy-file", "user-policy-file", "no-adopt-tags", "remove-unexpected"} {
		if cmd.Flags().Changed(name) {
			return usageErrorf("apply %s uses the saved plan's layout, policy documents and options: drop --%s", path, name)
		}
	}
	saved, err := planfile.Read(path)
	if err != nil {
		return &UsageError{Err: err}
	}
	o.saved = saved
	return nil
}

func newApplyCmd(f *Factory) *cobra.Command {
	o := &applyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "apply [FILE]",
		Short: "Create or repair the entities, then print the outputs",
		Long: `Shows the plan, asks for confirmation (only 'yes' confirms; --yes skips the
question, and without a terminal --yes is required), converges the account and
prints the outputs. Running it again changes nothing. With FILE, a plan saved
by 'rciam plan --out FILE' is applied exactly — its layout, policy documents
and options — or refused, changing nothing, when the account no longer reads
as it did.

Exit codes: 0 done; 1 error; 130 interrupted (run apply again to finish).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if many, err := o.fleet.given(cmd); err != nil {
				return err
			} else if many {
				if len(args) == 1 {
					return usageErrorf("a saved plan is one account's: apply FILE takes no targets")
				}
				if err := needConfirmation(f.IO, o.yes, "apply"); err != nil {
					return err
				}
				return f.runFleet(cmd, &o.fleet, o.fleetJob())
			}
			if len(args) == 1 {
				if err := o.useSaved(cmd, args[0]); err != nil {
					return err
				}
			}
			if err := needConfirmation(f.IO, o.yes, "apply"); err != nil {
				return err
			}
			return f.run(cmd, frameOptions{}, o.run)
		},
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&o.yes, "yes", "y", false, "apply without asking")
	fl.BoolVar(&o.noAdoptTags, "no-adopt-tags", false, "make no tag changes")
	fl.BoolVar(&o.removeUnexpected, "remove-unexpected", false, "also remove policies that deny or limit what Redis Cloud needs")
	fl.BoolVar(&o.showSecrets, "show-secrets", false, "print the access key secret and console password instead of where they are kept")
	o.fleet.bind(cmd, false)
	return cmd
}

// fleetJob is apply over many accounts: every account planned, one
// question, then each plan applied.
func (o *applyOptions) fleetJob() fleetJob {
	return fleetJob{command: "apply", policy: &o.policy, run: o.run,
		changed: func(result []byte) bool { return stepCount(result) > 0 },
		detail: func(o fleetOutcome) string {
			if n := stepCount(o.Result); n > 0 {
				return note.Count(n, "step") + " applied"
			}
			return "no changes"
		},
		preview: &fleetPreview{yes: o.yes, question: "Do you want to apply these changes to these accounts?",
			prepare: func(fr *frame) (any, fleetCounts, error) {
				pr, t, err := o.prepare(fr)
				if err != nil {
					return nil, fleetCounts{}, err
				}
				return &preparedApply{pr, t}, planCounts(pr.Plan), nil
			}},
	}
}

// preparedApply is one account's plan, made by the first phase of a
// fleet apply.
type preparedApply struct {
	pr *account.Prepared
	t  *account.Target
}

// needConfirmation refuses at once, before any AWS call and without
// reading stdin, when nobody can answer the question.
func needConfirmation(ios *iostreams.IOStreams, yes bool, command string) error {
	if yes || ios.CanPrompt() {
		return nil
	}
	return usageErrorf("%s changes the account and needs confirmation, but stdin is not a terminal: pass --yes", command)
}

func (o *applyOptions) run(fr *frame) error {
	f := fr.f
	pr, t, err := o.prepare(fr)
	var denied *account.DeniedError
	if errors.As(err, &denied) {
		// The plan, then what stops it: one line per permission.
		view.PlanHeader(f.IO.ErrOut, pr.Live.AccountID, pr.Want)
		view.PlanHuman(f.IO.ErrOut, pr.Plan, view.Style{Color: f.IO.ColorEnabled()})
		reportDenied(f.IO.ErrOut, denied.Preflight, "apply stops before its first change")
		if fr.member != nil {
			return err // a fleet run's account: its one line holds the list
		}
		return errors.New(denied.Summary())
	}
	if err != nil {
		return fr.unchanged(err)
	}
	style := view.Style{Color: f.IO.ColorEnabled()}
	view.PlanHeader(f.IO.ErrOut, pr.Live.AccountID, pr.Want)
	view.PlanHuman(f.IO.ErrOut, pr.Plan, style)
	// In a fleet run the question was asked once, for every account.
	if pr.Plan.HasChanges() && !o.yes && fr.member == nil {
		if err := f.IO.Confirm(fr.ctx, "\nDo you want to apply these changes?"); err != nil {
			return fr.declined(err, "apply")
		}
	}
	applied, err := t.Apply(fr.ctx, pr, account.ApplyOptions{
		Hook: &view.Progress{W: f.IO.ErrOut, Style: style},
		OnResidual: func(pass int, p *plan.Plan) {
			fmt.Fprintf(f.IO.ErrOut, "Read back: %s left to do (pass %d).\n", note.Count(len(p.Steps), "step"), pass)
		},
	})
	if err != nil {
		if f.JSON() {
			_ = view.ApplyJSON(f.IO.Out, nil, stepsJSON(applied))
		}
		return fr.stepsLeft(err, "what was done is kept")
	}
	if pr.Plan.HasChanges() {
		fmt.Fprintln(f.IO.ErrOut, "\nApply complete.")
		// The warnings again, after the progress lines: each says what is
		// left for the user to do.
		for _, w := range pr.Plan.Warnings {
			fmt.Fprintf(f.IO.ErrOut, "%s %s\n", style.Warning(), w.Short())
		}
	}
	s := &account.Session{Live: applied.Live, Want: pr.Want}
	if !f.JSON() {
		return printOutputs(fr, t, s, o.showSecrets)
	}
	out, err := t.Outputs(fr.ctx, s, o.showSecrets)
	if err != nil {
		return err
	}
	return view.ApplyJSON(f.IO.Out, out, stepsJSON(applied))
}

// stepsJSON lists what apply ran, as its JSON shows it.
func stepsJSON(a *account.Applied) []view.StepJSON {
	out := []view.StepJSON{}
	if a == nil {
		return out
	}
	for _, s := range a.Steps {
		out = append(out, view.StepJSON{Resource: s.Step.Address.String(), Action: string(s.Step.Op), Status: s.Status})
	}
	return out
}

// prepare reads the account and computes the plan — from the flags, or
// from a saved plan, which must still fit the account — then asks whether
// the caller may perform its steps (a *account.DeniedError, with the plan,
// when not).
func (o *applyOptions) prepare(fr *frame) (*account.Prepared, *account.Target, error) {
	if p, ok := fr.prepared.(*preparedApply); ok {
		return p.pr, p.t, nil
	}
	pr, t, err := o.read(fr)
	if err != nil || !pr.Plan.HasChanges() {
		return pr, t, err
	}
	check := t.CheckPermissions(fr.ctx, pr)
	reportChecked(fr.f.IO.ErrOut, check)
	return pr, t, check.Check()
}

// read reads the account and computes the plan.
func (o *applyOptions) read(fr *frame) (*account.Prepared, *account.Target, error) {
	if o.saved != nil {
		layout, _ := desired.ParseLayout(o.saved.Layout)
		t, err := fr.account()
		if err != nil {
			return nil, nil, err
		}
		pr, err := t.Prepare(fr.ctx, o.saved.Selection(), layout, o.saved.PlanOptions())
		if err != nil {
			return nil, nil, err
		}
		return pr, t, o.saved.Check(pr.Live, pr.Plan)
	}
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return nil, nil, err
	}
	sel, err := fr.selection(&o.policy)
	if err != nil {
		return nil, nil, err
	}
	pr, err := t.Prepare(fr.ctx, sel, layout, plan.Options{NoAdoptTags: o.noAdoptTags, RemoveUnexpected: o.removeUnexpected})
	return pr, t, err
}

// unchanged is the stop line of a command stopped before its first write.
func (fr *frame) unchanged(err error) error {
	if fr.ctx.Err() != nil {
		return stopped("nothing was changed")
	}
	return err
}

// stepsLeft reports a run of steps that did not finish: the summary of
// what ran on stderr and, when Ctrl-C or --timeout stopped it, the stop
// line saying how many steps are left ("<kept>, N steps left to do").
func (fr *frame) stepsLeft(err error, kept string) error {
	var runErr *apply.RunError
	if !errors.As(err, &runErr) || runErr.Result == nil {
		return err
	}
	res := runErr.Result
	view.Summary(fr.f.IO.ErrOut, res)
	if fr.ctx.Err() != nil {
		return stopped(fmt.Sprintf("%s, %s left to do", kept, note.Count(len(res.Failed)+len(res.Cancelled)+len(res.Skipped), "step")))
	}
	return err
}
