package account

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// simulate runs iam:SimulatePrincipalPolicy with in and hands each
// evaluation result, page after page, to each.
func (t *Target) simulate(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, each func(iamtypes.EvaluationResult)) error {
	for {
		out, err := t.IAM.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			return err
		}
		for _, e := range out.EvaluationResults {
			each(e)
		}
		if !out.IsTruncated || out.Marker == nil {
			return nil
		}
		in.Marker = out.Marker
	}
}
