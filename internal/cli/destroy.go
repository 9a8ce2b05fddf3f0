package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newDestroyCmd) }

type destroyOptions struct {
	f                  *Factory
	layout             layoutFlag
	yes, force         bool
	forceDeleteSecrets bool
	deregister         bool
	apiURL             string
}

func newDestroyCmd(f *Factory) *cobra.Command {
	o := &destroyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Remove what rciam manages, in dependency order",
		Long: `Removes the layout's entities that carry ManagedBy=rciam and that no
CloudFormation stack owns; others are left in place and listed (--force removes
them too). Items rciam did not create that block a delete (MFA devices, SSH
keys, other policies, groups) make destroy fail and are listed, unless --force.
Secrets are deleted with a 7-day recovery window (a later apply restores them)
unless --force-delete-secrets.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needConfirmation(f.IO, o.yes, "destroy"); err != nil {
				return err
			}
			return f.run(cmd, frameOptions{}, o.run)
		},
	}
	o.layout.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&o.yes, "yes", "y", false, "destroy without asking")
	fl.BoolVar(&o.force, "force", false, "also remove entities rciam did not tag, stack-owned ones, and blocking items")
	fl.BoolVar(&o.forceDeleteSecrets, "force-delete-secrets", false, "delete the secrets without a recovery window")
	fl.BoolVar(&o.deregister, "deregister", false, "first delete the Redis Cloud cloud account this AWS account is registered as")
	fl.StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included (with --deregister)")
	return cmd
}

func (o *destroyOptions) run(fr *frame) error {
	f := o.f
	fr.apiURL = o.apiURL
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return err
	}
	td, err := t.PrepareDestroy(fr.ctx, account.DestroyOptions{Layout: layout, Deregister: o.deregister,
		DestroyOptions: plan.DestroyOptions{Force: o.force, ForceDeleteSecrets: o.forceDeleteSecrets}})
	if err != nil {
		return fr.unchanged(err)
	}
	style := view.Style{Color: f.IO.ColorEnabled()}
	fmt.Fprintf(f.IO.ErrOut, "Account %s · layout %s\n\n", td.Live.AccountID, td.Want.Layout)
	if td.CloudAccount > 0 {
		fmt.Fprintf(f.IO.ErrOut, "  - Redis Cloud cloud account %d                   deregister first\n", td.CloudAccount)
	}
	view.PlanHuman(f.IO.ErrOut, td.Plan, style)
	if !td.HasChanges() {
		return o.printJSON(td)
	}
	if !o.yes {
		if err := f.IO.Confirm(fr.ctx, "\nDo you really want to destroy these entities?"); err != nil {
			return fr.declined(err, "destroy")
		}
	}
	err = t.Destroy(fr.ctx, td, &view.Progress{W: f.IO.ErrOut, Style: style})
	var de *account.DeregisterError
	switch {
	case errors.As(err, &de) && fr.ctx.Err() != nil:
		return stopped("nothing was removed from AWS (the cloud account may be deleted: Redis Cloud finishes a deletion it accepted)")
	case err != nil:
		return fr.stepsLeft(err, "what was removed stays removed")
	}
	fmt.Fprintln(f.IO.ErrOut, "\nDestroy complete.")
	return o.printJSON(td)
}

// printJSON writes, with --output json, what was removed and left.
func (o *destroyOptions) printJSON(td *account.Teardown) error {
	if !o.f.JSON() {
		return nil
	}
	out := view.Destroyed{Schema: view.Schema, Removed: td.Removed(), Left: []view.LeftInPlace{}}
	if out.Removed == nil {
		out.Removed = []string{}
	}
	for _, l := range td.Plan.Left {
		out.Left = append(out.Left, view.LeftInPlace{Resource: l.Address.String(), Why: l.Why})
	}
	return view.WriteJSON(o.f.IO.Out, out)
}
