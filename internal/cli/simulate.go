package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
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
	rcpFiles     []string
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
every level must allow, and an explicit Deny anywhere denies. Each --rcp-file
is one level of the resource's organization path; RCPs can only deny (AWS
attaches RCPFullAWSAccess to every level), and count only for the services they
cover (s3, sts, kms, sqs, secretsmanager,
cognito-identity, logs, dynamodb, ecr, aoss) and never for service-linked
roles (an aws:PrincipalArn under role/aws-service-role/).

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
	fl.StringArrayVar(&o.rcpFiles, "rcp-file", nil, "resource control policy, one level of the resource's organization path each, root first (repeatable)")
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
	var docs []*iampolicy.Policy
	compile := func(path string) (*iampolicy.Compiled, error) {
		c, p, err := compilePolicyFile(path)
		docs = append(docs, p)
		return c, err
	}
	for _, path := range o.policyFiles {
		c, err := compile(path)
		if err != nil {
			return err
		}
		in.Identity = append(in.Identity, c)
	}
	if o.boundaryFile != "" {
		if in.Boundary, err = compile(o.boundaryFile); err != nil {
			return err
		}
	}
	for _, path := range o.scpFiles {
		c, err := compile(path)
		if err != nil {
			return err
		}
		in.SCPs = append(in.SCPs, []*iampolicy.Compiled{c})
	}
	for _, path := range o.rcpFiles {
		c, err := compile(path)
		if err != nil {
			return err
		}
		in.RCPs = append(in.RCPs, []*iampolicy.Compiled{c})
	}
	if apply, why := iampolicy.RCPsApply(req); !apply && len(in.RCPs) > 0 {
		fmt.Fprintf(o.f.IO.ErrOut, "note: %s: the --rcp-file policies were not evaluated\n", why)
		in.RCPs = nil
	}
	res := iampolicy.Evaluate(in, req)
	if err := o.print(req, res); err != nil {
		return err
	}
	if vars := unresolved(docs, req); res.Decision == iampolicy.ImplicitDeny && len(vars) > 0 {
		// A variable without a value matches nothing: that may be why.
		fmt.Fprintf(o.f.IO.ErrOut, "note: the policies use %s, which have no value here: give them with --context, e.g. --context %s=VALUE\n",
			joinList(vars), strings.Trim(vars[0], "${}"))
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
// is named by its path in decisions. It returns the parsed policy too.
func compilePolicyFile(path string) (*iampolicy.Compiled, *iampolicy.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("read policy file %s: %w", path, err)
	}
	p, err := iampolicy.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	c, err := iampolicy.Compile(path, p)
	if err != nil {
		return nil, nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return c, p, nil
}

// variablePattern is a policy variable without a default (${key}); the
// special ${*}, ${?} and ${$} are characters, not variables.
var variablePattern = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9:/_.-]*)\}`)

// unresolved lists the policy variables without a value in req's context
// that the Allow statements for req's action use (in their resources or
// conditions): each matches nothing, which may be why req was denied.
func unresolved(docs []*iampolicy.Policy, req iampolicy.Request) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range docs {
		if p == nil || p.Version != iampolicy.Version2012 {
			continue // before 2012-10-17 a variable is plain text
		}
		for _, st := range p.Statements {
			if st.Effect != iampolicy.Allow || !allowsAction(st, req.Action) {
				continue
			}
			text := strings.Join(append(st.Resource, st.NotResource...), " ")
			for _, c := range st.Conditions {
				text += " " + strings.Join(c.Values, " ")
			}
			for _, m := range variablePattern.FindAllStringSubmatch(text, -1) {
				key := strings.ToLower(m[1])
				if len(req.Context[key]) == 0 && !seen[key] {
					seen[key] = true
					out = append(out, "${"+m[1]+"}")
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// allowsAction reports whether statement st names action (its resources
// and conditions aside).
func allowsAction(st iampolicy.Statement, action string) bool {
	probe := &iampolicy.Policy{Version: iampolicy.Version2012, Statements: []iampolicy.Statement{
		{Effect: iampolicy.Allow, Action: st.Action, NotAction: st.NotAction, Resource: []string{"*"}}}}
	c, err := iampolicy.Compile("probe", probe)
	return err == nil && iampolicy.Evaluate(&iampolicy.Input{Identity: []*iampolicy.Compiled{c}}, iampolicy.Request{Action: action, Resource: "*"}).Decision == iampolicy.Allowed
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
