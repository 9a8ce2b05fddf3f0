package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newSimulateCmd) }

type simulateOptions struct {
	f            *Factory
	policyFiles  []string
	boundaryFile string
	scpFiles     []string
	action       string
	resource     string
	context      []string
}

func newSimulateCmd(f *Factory) *cobra.Command {
	o := &simulateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "simulate --policy-file FILE... --action ACTION --resource ARN",
		Short: "Evaluate one request against policy files, offline",
		Long: `Evaluates one request against identity policies, an optional permissions
boundary and optional SCPs, as AWS does, without credentials, region or
network. Policy variables such as ${aws:username} resolve only from --context.
Context key names are case-insensitive; a key given twice is multivalued.
Each --scp-file is one level of the organization path (root, OU..., account):
every level must allow, and an explicit Deny anywhere denies.

Exit codes: 0 allowed; 1 denied (explicitly or implicitly); 3 any error,
usage errors included.`,
		Example: `  rciam simulate --policy-file user.json --action ec2:RunInstances \
    --resource arn:aws:ec2:us-east-1:123456789012:instance/i-1 \
    --context aws:RequestTag/RedisLabsIdentifier=Redislabs-VPC`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationUsageExit: "3"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.run(); err != nil {
				var exit *ExitError
				if errors.As(err, &exit) {
					return err
				}
				return &ExitError{Code: 3, Err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.policyFiles, "policy-file", nil, "identity policy document (repeatable)")
	fl.StringVar(&o.boundaryFile, "boundary-file", "", "permissions boundary document")
	fl.StringArrayVar(&o.scpFiles, "scp-file", nil, "service control policy, one level of the organization path each, root first (repeatable)")
	fl.StringVar(&o.action, "action", "", "action to evaluate, e.g. ec2:RunInstances")
	fl.StringVar(&o.resource, "resource", "", "resource ARN, or *")
	fl.StringArrayVar(&o.context, "context", nil, "context entry KEY=VALUE (repeatable)")
	return cmd
}

func (o *simulateOptions) run() error {
	req, err := o.request()
	if err != nil {
		return err
	}
	in := &iampolicy.Input{}
	for _, path := range o.policyFiles {
		c, err := compilePolicyFile(path)
		if err != nil {
			return err
		}
		in.Identity = append(in.Identity, c)
	}
	if o.boundaryFile != "" {
		if in.Boundary, err = compilePolicyFile(o.boundaryFile); err != nil {
			return err
		}
	}
	for _, path := range o.scpFiles {
		c, err := compilePolicyFile(path)
		if err != nil {
			return err
		}
		in.SCPs = append(in.SCPs, []*iampolicy.Compiled{c})
	}
	res := iampolicy.Evaluate(in, req)
	if err := o.print(req, res); err != nil {
		return err
	}
	if res.Decision != iampolicy.Allowed {
		return &ExitError{Code: 1}
	}
	return nil
}

// request checks the flags and builds the request, before any file is read.
func (o *simulateOptions) request() (iampolicy.Request, error) {
	var req iampolicy.Request
	switch {
	case len(o.policyFiles) == 0:
		return req, usageErrorf("missing --policy-file: give at least one identity policy document")
	case o.action == "":
		return req, usageErrorf("missing --action: give the action to evaluate, e.g. --action ec2:RunInstances")
	case o.resource == "":
		return req, usageErrorf("missing --resource: give a resource ARN or *")
	}
	service, name, ok := strings.Cut(o.action, ":")
	if !ok || service == "" || name == "" || strings.ContainsAny(o.action, "*? \t") || strings.Count(o.action, ":") != 1 {
		return req, usageErrorf("invalid --action %q: give one action as service:Action, e.g. ec2:RunInstances", o.action)
	}
	if o.resource != "*" && !iampolicy.IsARN(o.resource) {
		return req, usageErrorf("invalid --resource %q: give an ARN (arn:partition:service:region:account:resource) or *", o.resource)
	}
	req.Action, req.Resource = o.action, o.resource
	req.Context = map[string][]string{}
	for _, kv := range o.context {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return req, usageErrorf("invalid --context %q: use KEY=VALUE, e.g. aws:username=redislabs-user", kv)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		req.Context[k] = append(req.Context[k], v)
	}
	return req, nil
}

// compilePolicyFile reads, parses and compiles one policy document; the policy
// is named by its path in decisions.
func compilePolicyFile(path string) (*iampolicy.Compiled, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read policy file %s: %w", path, err)
	}
	p, err := iampolicy.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	c, err := iampolicy.Compile(path, p)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return c, nil
}

func (o *simulateOptions) print(req iampolicy.Request, res iampolicy.Result) error {
	out := view.Simulate{Decision: res.Decision.String()}
	for _, m := range res.Matched {
		sid := m.Sid
		if sid == "" {
			sid = m.Statement()
		}
		out.Matched = append(out.Matched, view.SimulateMatch{Policy: m.Policy, Sid: sid, Effect: m.Effect})
	}
	if o.f.JSON() {
		return view.SimulateJSON(o.f.IO.Out, out)
	}
	view.SimulateHuman(o.f.IO.Out, req.Action, req.Resource, out, res.Missing, view.Style{Color: o.f.IO.OutColorEnabled()})
	return nil
}
