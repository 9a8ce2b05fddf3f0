package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newOutputsCmd) }

type outputsOptions struct {
	f           *Factory
	layout      layoutFlag
	showSecrets bool
	format      string
	name        string
	fleet       fleetFlags
}

func newOutputsCmd(f *Factory) *cobra.Command {
	o := &outputsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "outputs",
		Short: "Print the values Redis Cloud asks for",
		Long: `Prints the six values Redis Cloud asks for, named as the official
CloudFormation template's outputs are. Secrets are shown as the ARN of the
secret that holds them unless --show-secrets is given. --format hand prints
what you type into the Redis Cloud console; --format api prints the exact JSON
body 'rciam register' sends.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if many, err := o.fleet.given(cmd); err != nil {
				return err
			} else if many {
				return f.runFleet(cmd, &o.fleet, fleetJob{command: "outputs", run: o.run,
					detail: func(o fleetOutcome) string { return jsonField(o.Result, "accessKeyId") }})
			}
			return f.run(cmd, frameOptions{readOnly: true}, o.run)
		},
	}
	o.layout.bind(cmd)
	o.fleet.bind(cmd, false)
	fl := cmd.Flags()
	fl.BoolVar(&o.showSecrets, "show-secrets", false, "print the secret values (to stdout only)")
	fl.StringVar(&o.format, "format", "", "hand or api (default: the full table)")
	fl.StringVar(&o.name, "name", "", "cloud account name to put in the --format api body")
	return cmd
}

func (o *outputsOptions) run(fr *frame) error {
	f := fr.f
	switch o.format {
	case "", "hand":
	case "api":
		if !o.showSecrets {
			return usageErrorf("--format api prints the body register sends, which holds the secrets: add --show-secrets")
		}
	default:
		return usageErrorf("invalid --format %q: use hand or api", o.format)
	}
	t, layout, err := fr.target(&o.layout)
	if err != nil {
		return err
	}
	s, err := t.Open(fr.ctx, layout)
	if err != nil {
		return err
	}
	if o.format == "" || o.format == "hand" && f.JSON() {
		return printOutputs(fr, t, s, o.showSecrets)
	}
	out, err := t.Outputs(fr.ctx, s, o.showSecrets)
	if err != nil {
		return err
	}
	if o.format == "hand" {
		return view.OutputsHand(f.IO.Out, out)
	}
	body, err := out.API(o.name)
	if err != nil {
		return err
	}
	if o.name == "" {
		fmt.Fprintln(f.IO.ErrOut, "warning: the body has no name: Redis Cloud needs one to create the cloud account (pass --name NAME)")
	}
	return view.APIBody(f.IO.Out, body)
}

// printOutputs writes the outputs table (or JSON) to stdout.
func printOutputs(fr *frame, t *account.Target, s *account.Session, reveal bool) error {
	out, err := t.Outputs(fr.ctx, s, reveal)
	if err != nil {
		return err
	}
	if fr.f.JSON() {
		return view.OutputsJSON(fr.f.IO.Out, out)
	}
	return view.OutputsTable(fr.f.IO.Out, out)
}
