package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/outputs"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newOutputsCmd) }

type outputsOptions struct {
	f           *Factory
	layout      layoutFlag
	showSecrets bool
	format      string
	name        string
}

func newOutputsCmd(f *Factory) *cobra.Command {
	o := &outputsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "outputs",
		Short: "Print the values Redis Cloud asks for",
		Long: `Prints the six values Redis Cloud asks for, named as the official
CloudFormation template's outputs are. Secrets are shown as the ARN of the secret that holds them unless
--show-secrets is given. --format hand prints what you type into the Redis Cloud
console; --format api prints the exact JSON body 'rciam register' sends.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&o.showSecrets, "show-secrets", false, "print the secret values (to stdout only)")
	fl.StringVar(&o.format, "format", "", "hand or api (default: the full table)")
	fl.StringVar(&o.name, "name", "", "cloud account name to put in the --format api body")
	return cmd
}

func (o *outputsOptions) run(ctx context.Context) error {
	f := o.f
	switch o.format {
	case "", "hand":
	case "api":
		if !o.showSecrets {
			return usageErrorf("--format api prints the body register sends, which holds the secrets: add --show-secrets")
		}
	default:
		return usageErrorf("invalid --format %q: use hand or api", o.format)
	}
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ss, err := f.openSession(ctx, &o.layout)
	if err != nil {
		return err
	}
	env, d, l := ss.env, ss.want, ss.live
	if o.format == "api" {
		out, err := f.outputs(ctx, env, d, l, true)
		if err != nil {
			return err
		}
		body, err := out.API(o.name)
		if err != nil {
			return err
		}
		return view.APIBody(f.IO.Out, body)
	}
	if o.format == "hand" {
		out, err := f.outputs(ctx, env, d, l, o.showSecrets)
		if err != nil {
			return err
		}
		return view.OutputsHand(f.IO.Out, out)
	}
	return f.printOutputs(ctx, env, d, l, o.showSecrets)
}

// session is what outputs, destroy, register and rotate-key start from:
// the clients, one snapshot, and the layout's entities (names only: the
// bundled documents stand in).
type session struct {
	env  *awsEnv
	live *live.State
	want *desired.Set
}

// openSession validates the layout flag, then reads the account.
func (f *Factory) openSession(ctx context.Context, lf *layoutFlag) (*session, error) {
	layout, err := lf.get()
	if err != nil {
		return nil, err
	}
	env, err := f.aws(ctx)
	if err != nil {
		return nil, err
	}
	l, err := f.readAccount(ctx, env, false)
	if err != nil {
		return nil, err
	}
	d, err := layoutSet(layout, l)
	if err != nil {
		return nil, err
	}
	return &session{env: env, live: l, want: d}, nil
}

// layoutSet is the desired set for commands that need names, not
// documents (the bundled default stands in for the documents).
func layoutSet(layout desired.Layout, l *live.State) (*desired.Set, error) {
	sel, err := policysource.Bundled(policysource.DefaultVersion)
	if err != nil {
		return nil, err
	}
	return desiredFor(sel, layout, l)
}

// outputs reads the outputs from a snapshot, revealing secrets on request,
// and warns when the secrets were written for another region.
func (f *Factory) outputs(ctx context.Context, env *awsEnv, d *desired.Set, l *live.State, reveal bool) (*outputs.Outputs, error) {
	if rec := l.Books.Region; rec != "" && rec != l.Region {
		fmt.Fprintf(f.IO.ErrOut, "warning: rciam recorded region %s for these secrets, but this run uses %s\n", rec, l.Region)
	}
	out, err := outputs.From(d, l)
	if err != nil {
		return nil, err
	}
	if reveal {
		if err := out.Reveal(ctx, env.sm); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// printOutputs writes the outputs table (or JSON) to stdout.
func (f *Factory) printOutputs(ctx context.Context, env *awsEnv, d *desired.Set, l *live.State, reveal bool) error {
	out, err := f.outputs(ctx, env, d, l, reveal)
	if err != nil {
		return err
	}
	if f.JSON() {
		return view.OutputsJSON(f.IO.Out, out)
	}
	return view.OutputsTable(f.IO.Out, out)
}
