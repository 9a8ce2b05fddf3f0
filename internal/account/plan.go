package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/operator"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/policysource"
)

// Prepared is what plan, apply and verify share: the snapshot, the desired
// set and the plan between them.
type Prepared struct {
	Live *live.State
	Want *desired.Set
	Plan *plan.Plan
	// Options are the plan's: apply re-plans with them after each pass.
	Options plan.Options
}

// Prepare reads the account and computes the plan.
func (t *Target) Prepare(ctx context.Context, sel policysource.Selection, layout desired.Layout, o plan.Options) (*Prepared, error) {
	l, err := t.Read(ctx)
	if err != nil {
		return nil, err
	}
	d, err := want(sel, layout, l)
	if err != nil {
		return nil, err
	}
	p, err := plan.Compute(d, l, o)
	if err != nil {
		return nil, err
	}
	return &Prepared{Live: l, Want: d, Plan: p, Options: o}, nil
}

// PlanResult is what plan shows.
type PlanResult struct {
	*Prepared
	Preflight
}

// Preflight is the answer to "may the caller perform every planned
// step?", from iam:SimulatePrincipalPolicy with each step's resource ARN.
type Preflight struct {
	// Caller is the principal asked about.
	Caller string
	// Denied are the planned steps' permissions the caller lacks.
	Denied []operator.Need
	// Undecided are those the simulation could not decide: a condition
	// needs a context key it was not given (aws:RequestedRegion, …).
	// They do not stop apply.
	Undecided []operator.Need
	// Note says why the question could not be asked ("" when it was).
	Note string
}

// Plan reads the account, computes the plan and checks the caller's
// permissions for it (CheckPermissions).
func (t *Target) Plan(ctx context.Context, sel policysource.Selection, layout desired.Layout, o plan.Options) (*PlanResult, error) {
	p, err := t.Prepare(ctx, sel, layout, o)
	if err != nil {
		return nil, err
	}
	return &PlanResult{Prepared: p, Preflight: t.CheckPermissions(ctx, p)}, nil
}

// CheckPermissions asks, where the endpoint has
// iam:SimulatePrincipalPolicy, whether the caller may perform exactly the
// planned steps: one simulation of every action the steps send on every
// resource they act on (one request, one round), read pair by pair.
// Nothing planned, nothing asked.
func (t *Target) CheckPermissions(ctx context.Context, p *Prepared) Preflight {
	res := Preflight{Caller: principalARN(p.Live.CallerARN)}
	if i := strings.Index(res.Caller, ":role/"); i >= 0 {
		// The session's ARN drops the role's path (SSO roles live under
		// /aws-reserved/…); the account read has the role's own ARN.
		if role := p.Live.Role(res.Caller[i+len(":role/"):]); role != nil && role.ARN != "" {
			res.Caller = role.ARN
		}
	}
	needs := operator.StepNeeds(p.Plan, p.Live)
	if len(needs) == 0 {
		return res
	}
	if res.Caller == "" {
		res.Note = fmt.Sprintf("permissions not checked before the first change: the caller %s is not an IAM user or role", p.Live.CallerARN)
		return res
	}
	decided, err := t.decide(ctx, res.Caller, needs)
	switch {
	case awsclient.IsUnavailable(err):
		res.Note = "permissions not checked before the first change: this endpoint does not implement iam:SimulatePrincipalPolicy"
	case err != nil:
		res.Note = "permissions not checked before the first change: iam:SimulatePrincipalPolicy: " + awsclient.Short(err)
	default:
		for _, n := range needs {
			switch d, ok := decided[pair(n.Action, n.Resource)]; {
			case !ok || d == undecided:
				res.Undecided = append(res.Undecided, n)
			case d == refused:
				res.Denied = append(res.Denied, n)
			}
		}
	}
	return res
}

// decision is the simulation's answer for one action on one resource.
type decision int

const (
	permitted decision = iota
	refused
	undecided // not allowed, but a condition lacked a context key
)

func pair(action, resource string) string { return strings.ToLower(action) + " " + resource }

// decide asks about every action of needs on every resource of needs and
// returns the decision for each action-resource pair (pair).
func (t *Target) decide(ctx context.Context, caller string, needs []operator.Need) (map[string]decision, error) {
	var actions, resources []string
	for _, n := range needs {
		if !slices.Contains(actions, n.Action) {
			actions = append(actions, n.Action)
		}
		if !slices.Contains(resources, n.Resource) {
			resources = append(resources, n.Resource)
		}
	}
	// Every action on every resource; results may come in pages.
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(caller), ActionNames: actions, ResourceArns: resources,
		MaxItems: aws.Int32(1000)}
	judge := func(d iamtypes.PolicyEvaluationDecisionType, missing []string) decision {
		switch {
		case d == iamtypes.PolicyEvaluationDecisionTypeAllowed:
			return permitted
		case len(missing) > 0:
			return undecided
		}
		return refused
	}
	out := map[string]decision{}
	err := t.simulate(ctx, in, func(e iamtypes.EvaluationResult) {
		action := aws.ToString(e.EvalActionName)
		if len(e.ResourceSpecificResults) == 0 {
			out[pair(action, aws.ToString(e.EvalResourceName))] = judge(e.EvalDecision, e.MissingContextValues)
			return
		}
		for _, rr := range e.ResourceSpecificResults {
			out[pair(action, aws.ToString(rr.EvalResourceName))] = judge(rr.EvalResourceDecision, append(rr.MissingContextValues, e.MissingContextValues...))
		}
	})
	return out, err
}

// principalARN maps a caller ARN to the IAM principal to simulate: users as
// they are, assumed-role sessions to their role.
func principalARN(caller string) string {
	parts := strings.SplitN(caller, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	res := parts[5]
	switch {
	case strings.HasPrefix(res, "user/"):
		return caller
	case strings.HasPrefix(res, "assumed-role/"):
		name := strings.SplitN(strings.TrimPrefix(res, "assumed-role/"), "/", 2)[0]
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", parts[1], parts[4], name)
	}
	return ""
}

// DeniedError stops apply before its first write: the caller may not
// perform some of the planned steps.
type DeniedError struct {
	Preflight
}

func (e *DeniedError) Error() string {
	items := make([]string, len(e.Denied))
	for i, d := range e.Denied {
		items[i] = d.String()
	}
	return e.line(note.List(items, true))
}

// Summary is Error without the list, for where the list was printed.
func (e *DeniedError) Summary() string { return e.line("listed above") }

func (e *DeniedError) line(which string) string {
	return fmt.Sprintf("stopped before the first change: %s lacks %s the plan needs (%s): grant them; %s",
		e.Caller, note.Count(len(e.Denied), "permission"), which, awsclient.OperatorPolicyHint)
}

// Check returns a *DeniedError when the pre-flight found permissions
// missing, else nil.
func (p Preflight) Check() error {
	if len(p.Denied) == 0 {
		return nil
	}
	return &DeniedError{p}
}
