package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/plan"
	r "github.com/rciam/rciam/internal/resource"
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

// storeKeySecret writes the new key's secret under a version id derived
// from the key id, then records the key id in the tags. A run that dies
// between the two is recognised by the version id (live.StoredKey).
func (e *Executor) storeKeySecret(ctx context.Context, s plan.Step) error {
	id, value := e.NewKey()
	if id == "" {
		return errors.New("no new access key to store")
	}
	tags := map[string]string{}
	for k, v := range s.Tags {
		tags[k] = v
	}
	tags[r.TagKeyID] = id
	token := aws.String(r.KeyVersionID(id))
	if !s.Exists {
		_, err := e.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(s.Name),
			Description: aws.String(s.Description), SecretString: aws.String(value.Reveal()),
			ClientRequestToken: token, Tags: smTags(tags)})
		if !secretExists(err) {
			return err
		}
		s.Restore = true // it may be scheduled for deletion: restoring a live secret is harmless
	}
	if err := e.restore(ctx, s); err != nil {
		return err
	}
	if _, err := e.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.Name),
		SecretString: aws.String(value.Reveal()), ClientRequestToken: token}); err != nil {
		return err
	}
	_, err := e.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(s.Name), Tags: smTags(tags)})
	return err
}

// secretExists: CreateSecret met an existing secret (AWS answers
// InvalidRequestException for one scheduled for deletion, moto
// ResourceExistsException: docs/emulator.md).
func secretExists(err error) bool {
	switch awsclient.ErrorCode(err) {
	case "ResourceExistsException", "InvalidRequestException":
		return true
	}
	return false
}

func (e *Executor) restore(ctx context.Context, s plan.Step) error {
	if !s.Restore {
		return nil
	}
	_, err := e.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(s.Name)})
	if err != nil && awsclient.ErrorCode(err) != "InvalidRequestException" {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}
