package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newRotateKeyCmd) }

type rotateOptions struct {
	f      *Factory
	layout layoutFlag
	apiURL string
	dryRun bool
	grace  time.Duration
	fleet  fleetFlags
}

func newRotateKeyCmd(f *Factory) *cobra.Command {
	o := &rotateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Replace redislabs-user's access key without downtime",
		Long: `new key → secret stored → key works → Redis Cloud updated (if registered) and
active → old key deactivated → old key deleted (with --grace, kept inactive and
deleted by a later run after the grace period). A failure before Redis Cloud
accepted the new key rolls back; after it, the next run finishes. Never prompts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if many, err := o.fleet.given(cmd); err != nil {
				return err
			} else if many {
				return f.runFleet(cmd, &o.fleet, fleetJob{command: "rotate-key", run: o.run,
					changed: func(result []byte) bool { return jsonField(result, "accessKeyId") != "" },
					detail: func(o fleetOutcome) string {
						if id := jsonField(o.Result, "accessKeyId"); id != "" {
							return secret.MaskKeyID(jsonField(o.Result, "oldAccessKeyId")) + " → " + secret.MaskKeyID(id)
						}
						return "dry run"
					}})
			}
			return f.run(cmd, frameOptions{}, o.run)
		},
	}
	o.layout.bind(cmd)
	o.fleet.bind(cmd, false)
	cmd.Flags().StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the steps without taking them")
	cmd.Flags().DurationVar(&o.grace, "grace", 0, "keep the old key inactive this long before a later run deletes it")
	return cmd
}

func (o *rotateOptions) run(fr *frame) error {
	f := fr.f
	if o.grace < 0 {
		return usageErrorf("invalid --grace %s: give a positive duration such as 24h", o.grace)
	}
	fr.apiURL = o.apiURL
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return err
	}
	rot, err := t.RotateKey(fr.ctx, account.RotateOptions{Layout: layout, Grace: o.grace}, o.dryRun)
	if err != nil {
		return err
	}
	registration := "not registered with Redis Cloud: only AWS is changed"
	if rot.CloudAccount > 0 {
		registration = fmt.Sprintf("registered with Redis Cloud as cloud account %d", rot.CloudAccount)
	}
	if o.dryRun {
		if f.JSON() {
			return view.WriteJSON(f.IO.Out, view.RotationSteps{Schema: view.Schema, CloudAccount: rot.CloudAccount, Steps: rot.Steps})
		}
		fmt.Fprintf(f.IO.Out, "This account is %s.\n", registration)
		for i, s := range rot.Steps {
			fmt.Fprintf(f.IO.Out, "%d. %s\n", i+1, s)
		}
		return nil
	}
	res := rot.Result
	if f.JSON() {
		return view.WriteJSON(f.IO.Out, view.Rotated{Schema: view.Schema, OldAccessKeyID: res.OldKeyID, AccessKeyID: res.NewKeyID, CloudAccountUpdated: res.CloudAccountUpdated})
	}
	redis := "Redis Cloud: not registered"
	if rot.CloudAccount > 0 {
		redis = fmt.Sprintf("Redis Cloud cloud account %d moved to it", rot.CloudAccount)
	}
	fmt.Fprintf(f.IO.Out, "rotated %s → %s (%s)\n", secret.MaskKeyID(res.OldKeyID), secret.MaskKeyID(res.NewKeyID), redis)
	if !res.KeptUntil.IsZero() {
		fmt.Fprintf(f.IO.ErrOut, "the old key is kept inactive until %s; a later rotate-key deletes it\n", res.KeptUntil.Format(time.RFC3339))
	}
	return nil
}
