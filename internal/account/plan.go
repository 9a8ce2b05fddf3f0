package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
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
	// Denied are the actions apply may need that the caller may not
	// perform, as iam:SimulatePrincipalPolicy answered (none when it could
	// not be asked: Note says why).
	Denied []string
	// Caller is the principal the pre-flight asked about.
	Caller string
	// PreflightNote says why the pre-flight was skipped ("" when it ran).
	PreflightNote string
}

// Plan reads the account, computes the plan and checks, where the endpoint
// has iam:SimulatePrincipalPolicy, that the caller may perform what apply
// will need. The check costs a round of its own, so only plan makes it.
func (t *Target) Plan(ctx context.Context, sel policysource.Selection, layout desired.Layout, o plan.Options) (*PlanResult, error) {
	p, err := t.Prepare(ctx, sel, layout, o)
	if err != nil {
		return nil, err
	}
	res := &PlanResult{Prepared: p}
	t.preflight(ctx, res)
	return res, nil
}

// preflightActions are the actions apply may need beyond plain creates
// (docs/commands.md, plan).
var preflightActions = []string{
	"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
	"iam:TagUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
	"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret", "secretsmanager:TagResource",
	"secretsmanager:UntagResource", "secretsmanager:ListSecretVersionIds", "iam:UpdateLoginProfile",
}

func (t *Target) preflight(ctx context.Context, res *PlanResult) {
	res.Caller = principalARN(res.Live.CallerARN)
	if res.Caller == "" {
		res.PreflightNote = fmt.Sprintf("pre-flight skipped: caller %s is not an IAM user or role", res.Live.CallerARN)
		return
	}
	out, err := t.IAM.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(res.Caller), ActionNames: preflightActions})
	switch {
	case awsclient.IsUnavailable(err):
		res.PreflightNote = "pre-flight skipped: this endpoint does not implement iam:SimulatePrincipalPolicy"
		return
	case err != nil:
		res.PreflightNote = "pre-flight skipped: " + awsclient.Short(err)
		return
	}
	for _, e := range out.EvaluationResults {
		if e.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			res.Denied = append(res.Denied, aws.ToString(e.EvalActionName))
		}
	}
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
