package cli

import (
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/operator"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/render"
)

func init() { register(newRenderCmd) }

type renderOptions struct {
	f                *Factory
	cmd              *cobra.Command
	layout           layoutFlag
	policy           policyFlags
	format           string
	withRegistration bool
	accountID        string
	// operator-policy formats
	commands   string
	fleet      bool
	assumeRole string
}

func newRenderCmd(f *Factory) *cobra.Command {
	o := &renderOptions{f: f}
	cmd := &cobra.Command{
		Use:   "render --format cloudformation|terraform|json|mermaid|dot|operator-policy",
		Short: "Print the entities as CloudFormation, Terraform, JSON or a picture, or the policy rciam needs, offline",
		Long: `Prints the same entities plan and apply manage, with the same policy
selection, as infrastructure code: a CloudFormation template (JSON), a
Terraform configuration, a JSON dump of the desired set, or a picture of who
trusts whom and what is attached (Mermaid or Graphviz DOT). It makes no AWS
call and needs no credentials or region. The output deploys with no
parameters; each entity is one resource block.

Documents that hold ACCOUNT-ID-WITHOUT-HYPHENS need --account-id.

--format operator-policy prints instead the least-privilege IAM policy the
caller of rciam needs for --commands (default: every command that calls
AWS), resources scoped to the entities' names wherever AWS allows it
(docs/permissions.md); --account-id and --region scope its ARNs, --fleet
adds reading the organization and assuming --assume-role in its accounts.
operator-policy-cloudformation and operator-policy-terraform wrap it as a
managed policy named rciam-operator.`,
		Example: `  rciam render --format cloudformation > rciam.template.json
  rciam render --format terraform --with-registration > rciam.tf
  rciam render --format dot | dot -Tsvg > rciam.svg
  rciam render --format operator-policy --commands plan,verify --account-id 123456789012`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, frameOptions{readOnly: true}, o.run) },
	}
	o.cmd = cmd
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.format, "format", "", "output format: "+render.FormatList+" (required)")
	fl.BoolVar(&o.withRegistration, "with-registration", false, "also register the account with Redis Cloud (Terraform: rediscloud_cloud_account)")
	fl.StringVar(&o.accountID, "account-id", "", "12-digit AWS account id replacing "+policysource.Placeholder+" in the documents (operator-policy: the account of every ARN)")
	fl.StringVar(&o.commands, "commands", "", "operator-policy: comma-separated commands to allow (default: "+strings.Join(operator.Commands, ",")+")")
	fl.BoolVar(&o.fleet, "fleet", false, "operator-policy: also allow fleet mode (list the organization, assume --assume-role)")
	fl.StringVar(&o.assumeRole, "assume-role", operator.DefaultMemberRole, "operator-policy --fleet: the role fleet mode assumes in member accounts")
	return cmd
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

func (o *renderOptions) run(fr *frame) error {
	if o.format == "" {
		return usageErrorf("render needs --format: %s", render.FormatList)
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
	if format.IsOperator() {
		return o.operator(format, layout)
	}
	for _, name := range []string{"commands", "fleet", "assume-role"} {
		if o.cmd.Flags().Changed(name) {
			return usageErrorf("--%s works with the operator-policy formats only", name)
		}
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

// operator prints the policy the caller of rciam needs.
func (o *renderOptions) operator(format render.Format, layout desired.Layout) error {
	if o.withRegistration {
		return usageErrorf("--with-registration does not apply to --format %s: the operator policy covers register through --commands", format)
	}
	if o.cmd.Flags().Changed("assume-role") && !o.fleet {
		return usageErrorf("--assume-role names the member role of --fleet: add --fleet")
	}
	if err := checkAssumeRole(o.assumeRole); err != nil {
		return err
	}
	cmds, err := operator.ParseCommands(o.commands)
	if err != nil {
		return &UsageError{Err: err}
	}
	region := o.f.Region
	if region != "" {
		if err := awsclient.CheckRegion(region); err != nil {
			return &UsageError{Err: err}
		}
	}
	doc := operator.Policy(operator.Options{Commands: cmds, AccountID: o.accountID, Region: region,
		Layout: layout, Fleet: o.fleet, MemberRole: o.assumeRole})
	about := "commands " + strings.Join(cmds, ", ") + "; layout " + string(layout)
	if o.fleet {
		about += "; fleet mode through " + o.assumeRole
	}
	return render.Operator(o.f.IO.Out, doc.JSON(), format, about)
}
