package cli

import (
	"encoding/json"
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
	fleet              fleetFlags
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
			many, err := o.fleet.given(cmd)
			if err != nil {
				return err
			}
			if err := needConfirmation(f.IO, o.yes, "destroy"); err != nil {
				return err
			}
			if many {
				return f.runFleet(cmd, &o.fleet, o.fleetJob())
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
	o.fleet.bind(cmd, false)
	return cmd
}

// fleetJob is destroy over many accounts: every account read and planned,
// one question, then each account's entities removed.
func (o *destroyOptions) fleetJob() fleetJob {
	removed := func(result []byte) int {
		var r struct{ Removed []string }
		_ = json.Unmarshal(result, &r)
		return len(r.Removed)
	}
	return fleetJob{command: "destroy", run: o.run,
		changed: func(result []byte) bool { return removed(result) > 0 },
		detail:  func(o fleetOutcome) string { return fmt.Sprintf("%d removed", removed(o.Result)) },
		preview: &fleetPreview{yes: o.yes, question: "Do you really want to destroy these entities in these accounts?",
			prepare: func(fr *frame) (any, fleetCounts, error) {
				td, t, err := o.prepare(fr)
				if err != nil {
					return nil, fleetCounts{}, err
				}
				c := planCounts(td.Plan)
				if td.CloudAccount > 0 {
					c.warnings = append(c.warnings, fmt.Sprintf("Redis Cloud cloud account %d is deregistered first", td.CloudAccount))
				}
				return &preparedDestroy{td, t}, c, nil
			}},
	}
}

// preparedDestroy is one account's teardown, made by the first phase of a
// fleet destroy.
type preparedDestroy struct {
	td *account.Teardown
	t  *account.Target
}

// prepare reads the account and plans its teardown (or takes the one the
// first phase of a fleet destroy made).
func (o *destroyOptions) prepare(fr *frame) (*account.Teardown, *account.Target, error) {
	if p, ok := fr.prepared.(*preparedDestroy); ok {
		return p.td, p.t, nil
	}
	fr.apiURL = o.apiURL
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return nil, nil, err
	}
	td, err := t.PrepareDestroy(fr.ctx, account.DestroyOptions{Layout: layout, Deregister: o.deregister,
		DestroyOptions: plan.DestroyOptions{Force: o.force, ForceDeleteSecrets: o.forceDeleteSecrets}})
	return td, t, err
}

func (o *destroyOptions) run(fr *frame) error {
	f := fr.f
	td, t, err := o.prepare(fr)
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
		return printDestroyed(fr, td)
	}
	if !o.yes && fr.member == nil { // a fleet run asked once, for every account
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
	return printDestroyed(fr, td)
}

// printDestroyed writes, with --output json, what was removed and left.
func printDestroyed(fr *frame, td *account.Teardown) error {
	if !fr.f.JSON() {
		return nil
	}
	out := view.Destroyed{Schema: view.Schema, Removed: td.Removed(), Left: []view.LeftInPlace{}}
	if out.Removed == nil {
		out.Removed = []string{}
	}
	for _, l := range td.Plan.Left {
		out.Left = append(out.Left, view.LeftInPlace{Resource: l.Address.String(), Why: l.Why})
	}
	return view.WriteJSON(fr.f.IO.Out, out)
}
