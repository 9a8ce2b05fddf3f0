package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newRegisterCmd) }

type registerOptions struct {
	f           *Factory
	layout      layoutFlag
	name        string
	apiURL      string
	forceUpdate bool
	fleet       fleetFlags
}

func newRegisterCmd(f *Factory) *cobra.Command {
	o := &registerOptions{f: f}
	cmd := &cobra.Command{
		Use:   "register --name NAME",
		Short: "Create, find or update the Redis Cloud cloud account for this AWS account",
		Long: `Reads the outputs (secrets from Secrets Manager), waits until the access key
works, then creates the Redis Cloud cloud account — or finds it (by the id rciam
recorded, the access key id, or the exact name) and updates it when its key
differs — and waits until it is active. Prints its id. Never prompts.

API keys come only from REDISCLOUD_ACCESS_KEY and REDISCLOUD_SECRET_KEY; the
base URL from --api-url, else REDISCLOUD_URL, else ` + rediscloud.DefaultURL + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if many, err := o.fleet.given(cmd); err != nil {
				return err
			} else if many {
				if cmd.Flags().Changed("name") {
					return usageErrorf("--name names one cloud account: over many accounts use --name-template (default {{.Name}})")
				}
				return f.runFleet(cmd, &o.fleet, fleetJob{command: "register", run: o.run,
					detail: func(o fleetOutcome) string {
						return "cloud account " + jsonField(o.Result, "id") + " " + jsonField(o.Result, "status")
					}})
			}
			return f.run(cmd, frameOptions{}, o.run)
		},
	}
	o.layout.bind(cmd)
	o.fleet.bind(cmd, true)
	cmd.Flags().StringVar(&o.name, "name", "", "cloud account name (required)")
	cmd.Flags().StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included")
	cmd.Flags().BoolVar(&o.forceUpdate, "force-update", false, "send the credentials even when the access key id matches")
	return cmd
}

func (o *registerOptions) run(fr *frame) error {
	f := fr.f
	name := o.name
	if fr.cloudAccountName != "" {
		name = fr.cloudAccountName // --name-template, in a fleet run
	}
	if strings.TrimSpace(name) == "" {
		return usageErrorf("register needs --name: the name of the cloud account in Redis Cloud")
	}
	fr.apiURL = o.apiURL
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return err
	}
	res, err := t.Register(fr.ctx, account.RegisterOptions{Layout: layout, Name: name, ForceUpdate: o.forceUpdate})
	if err != nil {
		return err
	}
	if f.JSON() {
		return view.WriteJSON(f.IO.Out, view.Registered{Schema: view.Schema, ID: res.Account.ID, Status: res.Account.Status})
	}
	fmt.Fprintf(f.IO.Out, "%d %s\n", res.Account.ID, res.Account.Status)
	return nil
}
