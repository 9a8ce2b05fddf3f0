package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rciam/rciam/internal/awsclient"
)

// preflightActions are the actions apply may need beyond plain creates
// (docs/commands.md, plan).
var preflightActions = []string{
	"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
	"iam:TagUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
	"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret", "secretsmanager:TagResource",
	"secretsmanager:UntagResource", "secretsmanager:ListSecretVersionIds", "iam:UpdateLoginProfile",
}

// preflight checks, where the endpoint implements SimulatePrincipalPolicy,
// that the caller may perform what apply will need, and warns on stderr
// about each action it may not. It costs a round of its own, so only plan
// runs it.
func (f *Factory) preflight(ctx context.Context, pr *prepared) {
	arn := principalARN(pr.live.CallerARN)
	if arn == "" {
		f.Logf("pre-flight skipped: caller %s is not an IAM user or role", pr.live.CallerARN)
		return
	}
	out, err := pr.env.iam.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(arn), ActionNames: preflightActions})
	switch {
	case awsclient.IsUnavailable(err):
		f.Logf("pre-flight skipped: this endpoint does not implement iam:SimulatePrincipalPolicy")
		return
	case err != nil:
		f.Logf("pre-flight skipped: %s", awsclient.Short(err))
		return
	}
	var denied []string
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			denied = append(denied, aws.ToString(r.EvalActionName))
		}
	}
	if len(denied) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s may not call %s: apply may fail where it needs them\n", arn, strings.Join(denied, ", "))
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
