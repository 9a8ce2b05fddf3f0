package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/fleet"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/render"
	"github.com/rciam/rciam/internal/stackset"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newStackSetCmd) }

// stackSetPoll paces the operation waits (tests: shorter).
var stackSetPoll = 5 * time.Second

type stackSetOptions struct {
	name     string
	ous      []string
	accounts []string
	model    string
	regions  []string
	layout   layoutFlag
	policy   policyFlags
	yes      bool
}

func newStackSetCmd(f *Factory) *cobra.Command {
	o := &stackSetOptions{}
	cmd := &cobra.Command{
		Use:   "stackset",
		Short: "Deploy the entities to many accounts with CloudFormation StackSets",
		Long: `Deploys the template of 'rciam render --format cloudformation' to the accounts
of OUs (service-managed: AWS Organizations deploys it, and deploys it again to
accounts that join later) or to listed accounts (self-managed: through the
StackSet administration and execution roles you made). AWS runs the
deployment; there is no plan, repair or key rotation: run 'rciam verify' on
the accounts, and 'rciam register' to register them (docs/fleet.md).

Exit codes: 0 every stack instance is current; 1 otherwise (outdated, failed,
or no such StackSet).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	deploy := &cobra.Command{
		Use:   "deploy (--ou ID... | --accounts LIST)",
		Short: "Create or update the StackSet and its stack instances, and wait for AWS",
		Example: `  rciam stackset deploy --ou ou-ab12-34cd5678 --regions eu-west-1
  rciam stackset deploy --accounts 111111111111,222222222222 --permission-model self-managed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.checkDeploy(cmd); err != nil {
				return err
			}
			if err := needConfirmation(f.IO, o.yes, "stackset deploy"); err != nil {
				return err
			}
			return f.run(cmd, frameOptions{}, o.deploy)
		},
	}
	fl := deploy.Flags()
	fl.StringArrayVar(&o.ous, "ou", nil, "deploy to every account under this OU (repeatable; service-managed)")
	fl.StringSliceVar(&o.accounts, "accounts", nil, "deploy to these accounts (12-digit ids, comma-separated; self-managed)")
	fl.StringVar(&o.model, "permission-model", "", "service-managed or self-managed (default: service-managed with --ou, self-managed with --accounts)")
	fl.StringSliceVar(&o.regions, "regions", nil, "regions of the stack instances (default: the selected region)")
	fl.BoolVarP(&o.yes, "yes", "y", false, "deploy without asking")
	o.layout.bind(deploy)
	o.policy.bind(deploy)
	status := &cobra.Command{
		Use:   "status",
		Short: "Print each stack instance's account, region, status and reason",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, frameOptions{readOnly: true}, o.status)
		},
	}
	del := &cobra.Command{
		Use:   "delete",
		Short: "Remove the stack instances (and their entities), then the StackSet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needConfirmation(f.IO, o.yes, "stackset delete"); err != nil {
				return err
			}
			return f.run(cmd, frameOptions{}, o.delete)
		},
	}
	del.Flags().BoolVarP(&o.yes, "yes", "y", false, "delete without asking")
	for _, c := range []*cobra.Command{deploy, status, del} {
		c.Flags().StringVar(&o.name, "stack-set-name", stackset.DefaultName, "the StackSet's name")
		cmd.AddCommand(c)
	}
	return cmd
}

// checkDeploy validates the targets before any AWS call.
func (o *stackSetOptions) checkDeploy(cmd *cobra.Command) error {
	switch {
	case len(o.ous) == 0 && len(o.accounts) == 0:
		return usageErrorf("stackset deploy needs targets: --ou ID (service-managed) or --accounts LIST (self-managed)")
	case len(o.ous) > 0 && len(o.accounts) > 0:
		return usageErrorf("--ou and --accounts exclude each other: a StackSet targets OUs (service-managed) or accounts (self-managed)")
	}
	spec := fleet.Spec{Accounts: o.accounts, OUs: o.ous}
	if err := spec.Check(); err != nil {
		return &UsageError{Err: err}
	}
	switch stackset.Model(o.model) {
	case "":
		o.model = string(stackset.SelfManaged)
		if len(o.ous) > 0 {
			o.model = string(stackset.ServiceManaged)
		}
	case stackset.ServiceManaged:
		if len(o.ous) == 0 {
			return usageErrorf("a service-managed StackSet targets OUs: give --ou (or --permission-model self-managed with --accounts)")
		}
	case stackset.SelfManaged:
		if len(o.accounts) == 0 {
			return usageErrorf("a self-managed StackSet targets accounts: give --accounts (or --permission-model service-managed with --ou)")
		}
	default:
		return usageErrorf("invalid --permission-model %q: use service-managed or self-managed", o.model)
	}
	for _, r := range o.regions {
		if err := awsclient.CheckRegion(r); err != nil {
			return usageErrorf("invalid region %q in --regions: give regions such as eu-west-1,us-east-1", r)
		}
	}
	return nil
}

// runner returns the StackSet runner of the run's AWS configuration.
func (o *stackSetOptions) runner(fr *frame) (*stackset.Runner, string, error) {
	t, err := fr.account()
	if err != nil {
		return nil, "", err
	}
	return &stackset.Runner{API: cloudformation.NewFromConfig(t.Config), Poll: stackSetPoll,
		Progress: func(format string, args ...any) { fmt.Fprintf(fr.f.IO.ErrOut, format+"\n", args...) }}, t.Config.Region, nil
}

// template renders the CloudFormation every account gets: one template
// for all, so the documents must not need the account id.
func (o *stackSetOptions) template(fr *frame) (string, error) {
	layout, err := o.layout.get()
	if err != nil {
		return "", err
	}
	sel, err := fr.selection(&o.policy)
	if err != nil {
		return "", err
	}
	if sel.HasPlaceholder() {
		return "", usageErrorf("the policy documents (%s) hold %s, and a StackSet deploys one template to every account: use documents without it",
			sel.Source, policysource.Placeholder)
	}
	set, err := desired.Build(sel, desired.Options{Layout: layout})
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := render.Render(&b, set, render.Options{Format: render.CloudFormation}); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (o *stackSetOptions) deploy(fr *frame) error {
	f := fr.f
	body, err := o.template(fr)
	if err != nil {
		return err
	}
	r, region, err := o.runner(fr)
	if err != nil {
		return err
	}
	regions := o.regions
	if len(regions) == 0 {
		regions = []string{region}
	}
	sum := sha256.Sum256([]byte(body))
	targets := "OUs " + strings.Join(o.ous, ", ")
	if len(o.accounts) > 0 {
		targets = "accounts " + strings.Join(o.accounts, ", ")
	}
	fmt.Fprintf(f.IO.ErrOut, "StackSet %s (%s): template sha256 %s\n  to %s\n  in %s\n", o.name, o.model, hex.EncodeToString(sum[:]), targets, strings.Join(regions, ", "))
	if !o.yes {
		if err := f.IO.Confirm(fr.ctx, "\nDo you want to deploy it?"); err != nil {
			return fr.declined(err, "stackset deploy")
		}
	}
	instances, err := r.Deploy(fr.ctx, stackset.Deployment{Name: o.name, Template: body, Model: stackset.Model(o.model),
		Description: "Redis Cloud IAM entities, deployed by rciam", OUs: o.ous, Accounts: o.accounts, Regions: regions})
	if err != nil && fr.ctx.Err() == nil && !errors.Is(err, stackset.ErrNoStackSet) {
		// What AWS did before the operation failed is worth showing.
		if got, lerr := r.Instances(fr.ctx, o.name); lerr == nil {
			_ = o.print(fr, got)
		}
		return err
	}
	if err != nil {
		return err
	}
	return o.print(fr, instances)
}

func (o *stackSetOptions) status(fr *frame) error {
	r, _, err := o.runner(fr)
	if err != nil {
		return err
	}
	instances, err := r.Instances(fr.ctx, o.name)
	if errors.Is(err, stackset.ErrNoStackSet) {
		return fmt.Errorf("no StackSet %s in this account and region: deploy it with 'rciam stackset deploy', or give --stack-set-name", o.name)
	}
	if err != nil {
		return err
	}
	return o.print(fr, instances)
}

func (o *stackSetOptions) delete(fr *frame) error {
	f := fr.f
	r, _, err := o.runner(fr)
	if err != nil {
		return err
	}
	instances, err := r.Instances(fr.ctx, o.name)
	if errors.Is(err, stackset.ErrNoStackSet) {
		return fmt.Errorf("no StackSet %s in this account and region: nothing to delete", o.name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "StackSet %s: %d stack instances and their entities will be deleted, then the StackSet.\n", o.name, len(instances))
	if !o.yes {
		if err := f.IO.Confirm(fr.ctx, "\nDo you really want to delete them?"); err != nil {
			return fr.declined(err, "stackset delete")
		}
	}
	if err := r.Delete(fr.ctx, o.name); err != nil {
		return err
	}
	if f.JSON() {
		return view.WriteJSON(f.IO.Out, view.StackSet{Schema: view.Schema, Name: o.name, Instances: []view.StackInstance{}})
	}
	fmt.Fprintf(f.IO.Out, "deleted StackSet %s and its %d stack instances\n", o.name, len(instances))
	return nil
}

// print writes the instances and exits 1 unless each is current.
func (o *stackSetOptions) print(fr *frame, instances []stackset.Instance) error {
	f := fr.f
	doc := view.StackSet{Schema: view.Schema, Name: o.name, Instances: []view.StackInstance{}}
	current := len(instances) > 0
	for _, i := range instances {
		doc.Instances = append(doc.Instances, view.StackInstance{Account: i.Account, Region: i.Region, OU: i.OU, Status: i.Status, DetailedStatus: i.Detailed, Reason: i.Reason})
		current = current && i.Current()
	}
	if f.JSON() {
		if err := view.WriteJSON(f.IO.Out, doc); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tREGION\tSTATUS\tDETAIL\tREASON")
		for _, i := range instances {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", i.Account, i.Region, i.Status, i.Detailed, i.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch {
	case len(instances) == 0:
		return &ExitError{Code: exitError, Err: fmt.Errorf("StackSet %s has no stack instances", o.name)}
	case !current:
		return &ExitError{Code: exitError, Err: fmt.Errorf("StackSet %s: not every stack instance is current (see the reasons above)", o.name)}
	}
	return nil
}
