package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newVerifyCmd) }

type verifyOptions struct {
	f      *Factory
	layout layoutFlag
	policy policyFlags
	fleet  fleetFlags
}

func newVerifyCmd(f *Factory) *cobra.Command {
	o := &verifyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that the account works for Redis Cloud",
		Long: `Checks every entity, policy document, trust policy, attachment, key, login
profile and secret, proves the stored key pair works (STS), and evaluates every
request Redis Cloud makes against every policy that applies (the policy engine;
on AWS also iam:SimulatePrincipalPolicy). Changes nothing: 'rciam apply' repairs.

Exit codes: 0 all pass (warnings allowed); 1 a check fails; 3 could not check
(unreachable endpoint, no credentials, access denied on a read).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if many, err := o.fleet.given(cmd); err != nil {
				return err
			} else if many {
				return f.runFleet(cmd, &o.fleet, fleetJob{command: "verify", policy: &o.policy, run: o.run, stopCode: 3,
					failure: failingChecks, detail: func(o fleetOutcome) string { return checkCounts(o.Result) }})
			}
			return f.run(cmd, frameOptions{readOnly: true, stopCode: 3}, o.run)
		},
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	o.fleet.bind(cmd, false)
	return cmd
}

func (o *verifyOptions) run(fr *frame) error {
	f := fr.f
	layout, err := o.layout.get()
	if err != nil {
		return err
	}
	sel, err := fr.selection(&o.policy)
	if err != nil {
		return err
	}
	t, err := fr.account()
	if err != nil {
		return &ExitError{Code: 3, Err: err}
	}
	v, err := t.Verify(fr.ctx, sel, layout)
	var ce *account.CheckError
	if errors.As(err, &ce) && fr.ctx.Err() == nil {
		return &ExitError{Code: 3, Err: ce.Err}
	}
	if err != nil {
		return err
	}
	switch f.Output {
	case "json":
		err = view.VerifyJSON(f.IO.Out, v.Report)
	case "junit":
		err = view.VerifyJUnit(f.IO.Out, v.Live.AccountID, v.Report)
	case "sarif":
		err = view.VerifySARIF(f.IO.Out, v.Live.AccountID, buildVersion().Version, v.Report)
	default:
		view.PlanHeader(f.IO.Out, v.Live.AccountID, v.Want)
		err = view.VerifyHuman(f.IO.Out, v.Report, view.Style{Color: f.IO.OutColorEnabled()})
	}
	if err != nil {
		return err
	}
	if !v.Report.OK() {
		return &ExitError{Code: 1}
	}
	return nil
}
