package account

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

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

// simulateConcurrency bounds the simulations in flight: one per resource,
// all in one round.
const simulateConcurrency = 8

// CheckPermissions asks, where the endpoint has
// iam:SimulatePrincipalPolicy, whether the caller may perform exactly the
// planned steps: one simulation per resource ARN with the actions its steps
// send, all at once (one round). Nothing planned, nothing asked.
func (t *Target) CheckPermissions(ctx context.Context, p *Prepared) Preflight {
	res := Preflight{Caller: principalARN(p.Live.CallerARN)}
	needs := operator.StepNeeds(p.Plan, p.Live)
	if len(needs) == 0 {
		return res
	}
	if res.Caller == "" {
		res.Note = fmt.Sprintf("permissions not checked before the first change: the caller %s is not an IAM user or role", p.Live.CallerARN)
		return res
	}
	byResource := map[string][]operator.Need{}
	var order []string
	for _, n := range needs {
		if byResource[n.Resource] == nil {
			order = append(order, n.Resource)
		}
		byResource[n.Resource] = append(byResource[n.Resource], n)
	}
	var mu sync.Mutex
	var firstErr error
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(simulateConcurrency)
	for _, resource := range order {
		g.Go(func() error {
			denied, err := t.simulate(gctx, res.Caller, resource, byResource[resource])
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			res.Denied = append(res.Denied, denied...)
			return nil
		})
	}
	_ = g.Wait()
	switch {
	case firstErr == nil:
	case awsclient.IsUnavailable(firstErr):
		res.Denied, res.Note = nil, "permissions not checked before the first change: this endpoint does not implement iam:SimulatePrincipalPolicy"
	default:
		res.Denied, res.Note = nil, "permissions not checked before the first change: iam:SimulatePrincipalPolicy: "+awsclient.Short(firstErr)
	}
	sort.SliceStable(res.Denied, func(i, j int) bool {
		return index(order, res.Denied[i].Resource) < index(order, res.Denied[j].Resource)
	})
	return res
}

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// simulate asks about the actions needs send on one resource and returns
// the needs not allowed.
func (t *Target) simulate(ctx context.Context, caller, resource string, needs []operator.Need) ([]operator.Need, error) {
	var actions []string
	for _, n := range needs {
		if !slices.Contains(actions, n.Action) {
			actions = append(actions, n.Action)
		}
	}
	out, err := t.IAM.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(caller), ActionNames: actions, ResourceArns: []string{resource}})
	if err != nil {
		return nil, err
	}
	allowed := map[string]bool{}
	for _, e := range out.EvaluationResults {
		decision := e.EvalDecision
		for _, rr := range e.ResourceSpecificResults {
			if aws.ToString(rr.EvalResourceName) == resource {
				decision = rr.EvalResourceDecision
			}
		}
		if decision == iamtypes.PolicyEvaluationDecisionTypeAllowed {
			allowed[strings.ToLower(aws.ToString(e.EvalActionName))] = true
		}
	}
	var denied []operator.Need
	for _, n := range needs {
		if !allowed[strings.ToLower(n.Action)] {
			denied = append(denied, n)
		}
	}
	return denied, nil
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
	return fmt.Sprintf("stopped before the first change: %s lacks %s the plan needs (%s): grant them; 'rciam render --format operator-policy' prints the policy rciam needs",
		e.Caller, note.Count(len(e.Denied), "permission"), note.List(items, true))
}

// Check returns a *DeniedError when the pre-flight found permissions
// missing, else nil.
func (p Preflight) Check() error {
	if len(p.Denied) == 0 {
		return nil
	}
	return &DeniedError{p}
}
