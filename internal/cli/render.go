package cli

import (
	"regexp"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/render"
)

func init() { register(newRenderCmd) }

type renderOptions struct {
	f                *Factory
	layout           layoutFlag
	policy           policyFlags
	format           string
	withRegistration bool
	accountID        string
}

func newRenderCmd(f *Factory) *cobra.Command {
	o := &renderOptions{f: f}
	cmd := &cobra.Command{
		Use:   "render --format cloudformation|terraform|json|mermaid|dot",
		Short: "Print the entities as CloudFormation, Terraform, JSON or a picture, offline",
		Long: `Prints the same entities plan and apply manage, with the same policy
selection, as infrastructure code: a CloudFormation template (JSON), a
Terraform configuration, a JSON dump of the desired set, or a picture of who
trusts whom and what is attached (Mermaid or Graphviz DOT). It makes no AWS
call and needs no credentials or region. The output deploys with no
parameters; each entity is one resource block.

Documents that hold ACCOUNT-ID-WITHOUT-HYPHENS need --account-id.`,
		Example: `  rciam render --format cloudformation > rciam.template.json
  rciam render --format terraform --with-registration > rciam.tf
  rciam render --format dot | dot -Tsvg > rciam.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, frameOptions{readOnly: true}, o.run) },
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.format, "format", "", "output format: cloudformation, terraform, json, mermaid or dot (required)")
	fl.BoolVar(&o.withRegistration, "with-registration", false, "also register the account with Redis Cloud (Terraform: rediscloud_cloud_account)")
	fl.StringVar(&o.accountID, "account-id", "", "12-digit AWS account id replacing "+policysource.Placeholder+" in the documents")
	return cmd
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

func (o *renderOptions) run(fr *frame) error {
	if o.format == "" {
		return usageErrorf("render needs --format: cloudformation, terraform, json, mermaid or dot")
	}
	format, err := render.ParseFormat(o.format)
	if err != nil {
		return &UsageError{Err: err}
	}
	layout, err := o.layout.get()
	if err != nil {
		return err
	}
	if o.accountID != "" && !accountIDPattern.MatchString(o.accountID) {
		return usageErrorf("invalid --account-id %q: give the 12-digit AWS account id, without hyphens", o.accountID)
	}
	sel, err := fr.selection(&o.policy)
	if err != nil {
		return err
	}
	picture := format == render.Mermaid || format == render.Dot // no document in it
	if sel.HasPlaceholder() && o.accountID == "" && !picture {
		return usageErrorf("the policy documents (%s) hold %s and render does not call AWS to learn the account id: pass --account-id with the 12-digit id of the target account",
			sel.Source, policysource.Placeholder)
	}
	set, err := desired.Build(sel, desired.Options{Layout: layout, AccountID: o.accountID})
	if err != nil {
		return err
	}
	return render.Render(o.f.IO.Out, set, render.Options{Format: format, WithRegistration: o.withRegistration})
}
