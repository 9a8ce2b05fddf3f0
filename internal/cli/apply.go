package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/apply"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
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
}

func newApplyCmd(f *Factory) *cobra.Command {
	o := &applyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Create or repair the entities, then print the outputs",
		Long: `Shows the plan, asks for confirmation (only 'yes' confirms; --yes skips the
question, and without a terminal --yes is required), converges the account and
prints the outputs. Running it again changes nothing.

Exit codes: 0 done; 1 error; 130 interrupted (run apply again to finish).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&o.yes, "yes", "y", false, "apply without asking")
	fl.BoolVar(&o.noAdoptTags, "no-adopt-tags", false, "make no tag changes")
	fl.BoolVar(&o.removeUnexpected, "remove-unexpected", false, "also remove policies that deny or limit what Redis Cloud needs")
	fl.BoolVar(&o.showSecrets, "show-secrets", false, "print the access key secret and console password instead of where they are kept")
	return cmd
}

// needConfirmation refuses at once, before any AWS call and without
// reading stdin, when nobody can answer the question.
func needConfirmation(ios *iostreams.IOStreams, yes bool, command string) error {
	if yes || ios.CanPrompt() {
		return nil
	}
	return usageErrorf("%s changes the account and needs confirmation, but stdin is not a terminal: pass --yes", command)
}

func (o *applyOptions) run(ctx context.Context) error {
	f := o.f
	if err := needConfirmation(f.IO, o.yes, "apply"); err != nil {
		return err
	}
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	pr, err := f.prepare(ctx, &o.layout, &o.policy, o.planOptions())
	if err != nil {
		return stoppedOr(ctx, "apply", err, "nothing was changed")
	}
	style := view.Style{Color: f.IO.ColorEnabled()}
	view.PlanHeader(f.IO.ErrOut, pr.live.AccountID, pr.want)
	view.PlanHuman(f.IO.ErrOut, pr.plan, style)
	final := pr.live
	if pr.plan.HasChanges() {
		if !o.yes {
			if err := f.IO.Confirm("\nDo you want to apply these changes?"); err != nil {
				return errors.New("apply cancelled: nothing was changed")
			}
		}
		if final, err = o.converge(ctx, pr, style); err != nil {
			return err
		}
		fmt.Fprintln(f.IO.ErrOut, "\nApply complete.")
	}
	return f.printOutputs(ctx, pr.env, pr.want, final, o.showSecrets)
}

func (o *applyOptions) converge(ctx context.Context, pr *prepared, style view.Style) (*live.State, error) {
	f := o.f
	exec := &apply.Executor{IAM: pr.env.iam, Secrets: pr.env.sm, Region: pr.live.Region,
		PasswordPolicy: pr.live.PasswordPolicy, Hook: &view.Progress{W: f.IO.ErrOut, Style: style}, Logf: f.Logf,
		Books: &bookkeeping.Books{Secrets: pr.env.sm, ClockOffset: pr.live.ClockOffset, Logf: f.Logf}}
	conv := &apply.Converger{
		Read:    pr.env.rereader(pr.live).Read,
		Exec:    exec,
		Desired: pr.want,
		Options: o.planOptions(),
		Start:   pr.live,
		History: pr.env.sm,
		OnResidual: func(pass int, p *plan.Plan) {
			fmt.Fprintf(f.IO.ErrOut, "Read back: %d step(s) left to do (pass %d).\n", len(p.Steps), pass)
		},
	}
	l, err := conv.Converge(ctx, pr.plan)
	if err == nil {
		return l, nil
	}
	// Stopping with a password change unconfirmed: say so in the mark, so
	// the next apply need not wait for this run.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	if aerr := exec.Abandon(actx); aerr != nil {
		f.Logf("could not mark the password change as stopped: %s", awsclient.Short(aerr))
	}
	cancel()
	left := ""
	var runErr *apply.RunError
	if errors.As(err, &runErr) && runErr.Result != nil {
		res := runErr.Result
		view.Summary(f.IO.ErrOut, res.Done, res.Failed, res.Skipped)
		left = fmt.Sprintf("what was done is kept, %d step(s) left to do", len(res.Failed)+len(res.Skipped))
	}
	if ctx.Err() != nil {
		return nil, stopped(ctx, "apply", left)
	}
	return nil, err
}

// stopped explains a run stopped by Ctrl-C or --timeout, saying what is
// left to do ("" for "what was done is kept").
func stopped(ctx context.Context, command, left string) error {
	return &stopError{command: command, timeout: errors.Is(ctx.Err(), context.DeadlineExceeded), left: left}
}

// stoppedOr is err, or the stop line when Ctrl-C or --timeout caused it.
func stoppedOr(ctx context.Context, command string, err error, left string) error {
	if ctx.Err() != nil {
		return stopped(ctx, command, left)
	}
	return err
}

// stopError is a command stopped by Ctrl-C or --timeout before it finished.
// For a timeout, run (root.go) fills in the limit and the last error AWS
// answered: the retries the deadline cut short hide it behind "timed out".
type stopError struct {
	command string
	timeout bool
	left    string
	limit   time.Duration
	lastAWS string
}

func (e *stopError) Error() string {
	left := e.left
	if left == "" {
		left = "what was done is kept"
	}
	if !e.timeout {
		return fmt.Sprintf("%s: %s; run %s again to finish", errCancelled, left, e.command)
	}
	msg := e.command + " stopped: --timeout"
	if e.limit > 0 {
		msg += " " + e.limit.String()
	}
	msg += " reached"
	if e.lastAWS != "" {
		msg += "; last AWS error: " + e.lastAWS
	}
	return msg + "; " + left + ": run " + e.command + " again to finish"
}

// Unwrap makes a Ctrl-C exit 130 and a timeout exit 1.
func (e *stopError) Unwrap() error {
	if e.timeout {
		return context.DeadlineExceeded
	}
	return errCancelled
}

func (o *applyOptions) planOptions() plan.Options {
	return plan.Options{NoAdoptTags: o.noAdoptTags, RemoveUnexpected: o.removeUnexpected}
}
