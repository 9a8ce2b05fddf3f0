package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/secret"
)

func (e *Executor) updatePolicy(ctx context.Context, s plan.Step) error {
	arn := aws.String(s.Name)
	if s.DeleteVersion != "" {
		_, err := e.IAM.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(s.DeleteVersion)})
		if err = ignore(err, alreadyGone); err != nil {
			return fmt.Errorf("delete version %s: %w", s.DeleteVersion, err)
		}
	}
	// Created as non-default, then made default: no window in which the
	// policy has no usable default (docs/behaviour.md, "Policy versions").
	out, err := e.IAM.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: doc(s), SetAsDefault: false})
	if err != nil {
		return err
	}
	_, err = e.IAM.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: out.PolicyVersion.VersionId})
	return err
}

func (e *Executor) createKey(ctx context.Context, s plan.Step) error {
	return e.withConsistency(ctx, s.ID, notYetVisible, func(ctx context.Context) error {
		start := time.Now()
		out, err := e.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(s.Name)})
		if err != nil || attempts(out.ResultMetadata) > 1 {
			// An attempt whose response was lost may have made a key.
			e.bag.mu.Lock()
			e.bag.keyCalls = append(e.bag.keyCalls, [2]time.Time{start, time.Now()})
			e.bag.mu.Unlock()
		}
		if awsclient.ErrorCode(err) == "LimitExceeded" {
			return fmt.Errorf("%s already has two access keys, AWS's limit: run 'rciam plan' to see which one rciam can delete: %w", s.Name, err)
		}
		if err != nil {
			return err
		}
		e.bag.mu.Lock()
		e.bag.keyID = aws.ToString(out.AccessKey.AccessKeyId)
		e.bag.keySecret = secret.New(aws.ToString(out.AccessKey.SecretAccessKey))
		e.bag.mu.Unlock()
		e.logf("created access key %s", secret.MaskKeyID(e.bag.keyID))
		return nil
	})
}

// attempts is how many attempts the SDK's retryer made for a call.
func attempts(md middleware.Metadata) int {
	if res, ok := retry.GetAttemptResults(md); ok {
		return len(res.Results)
	}
	return 1
}

// madeAt reports whether a key created at t (IAM's clock, to the second)
// may come from one of this run's CreateAccessKey calls that were retried
// or failed: a retry after a lost response makes a second key this run
// never hears of.
func (e *Executor) madeAt(t time.Time) bool {
	e.bag.mu.Lock()
	defer e.bag.mu.Unlock()
	for _, w := range e.bag.keyCalls {
		if !t.Before(w[0].Add(-ownKeySlack)) && !t.After(w[1].Add(ownKeySlack)) {
			return true
		}
	}
	return false
}

// storeKeySecret stores the new key's secret through the books (under
// its key's version id, then tagged).
func (e *Executor) storeKeySecret(ctx context.Context, s plan.Step) error {
	id, value := e.NewKey()
	if id == "" {
		return errors.New("no new access key to store")
	}
	return e.books().StoreKey(ctx, bookkeeping.KeyWrite{KeyID: id, Secret: value, Exists: s.Exists, Restore: s.Restore,
		Description: s.Description, Tags: s.Tags})
}
