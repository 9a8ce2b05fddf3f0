package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	// policy has no usable default (FIELD-NOTES 17).
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
// ResourceExistsException: MOTO-NOTES.md).
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

// password returns this run's console password, generating it once.
func (e *Executor) password(regenerate bool) (secret.Value, error) {
	e.bag.mu.Lock()
	defer e.bag.mu.Unlock()
	if e.bag.password.IsZero() || regenerate {
		pw, err := GeneratePassword(e.PasswordPolicy)
		if err != nil {
			return secret.Value{}, fmt.Errorf("generate password: %w", err)
		}
		e.bag.password = secret.New(pw)
		e.bag.stored, e.bag.loginSet = false, false
	}
	return e.bag.password, nil
}

func passwordJSON(pw secret.Value) *string {
	b, _ := json.Marshal(map[string]string{"password": pw.Reveal()})
	return aws.String(string(b))
}

func (e *Executor) writePassword(ctx context.Context, s plan.Step) error {
	pw, err := e.password(false)
	if err != nil {
		return err
	}
	e.untagLater(s.Untag)
	return e.putPassword(ctx, s, pw)
}

func (e *Executor) putPassword(ctx context.Context, s plan.Step, pw secret.Value) error {
	if !s.Exists {
		_, err := e.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(s.Name),
			Description: aws.String(s.Description), SecretString: passwordJSON(pw), Tags: smTags(s.Tags)})
		if err == nil {
			return e.passwordSide(ctx, &e.bag.stored)
		}
		if !secretExists(err) {
			return err
		}
		s.Restore = true
	}
	if err := e.restore(ctx, s); err != nil {
		return err
	}
	// Overwriting a stored password: until the login holds it too, mark.
	if err := e.markPasswordPending(ctx); err != nil {
		return err
	}
	if _, err := e.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.Name), SecretString: passwordJSON(pw)}); err != nil {
		return err
	}
	return e.passwordSide(ctx, &e.bag.stored)
}

// markPasswordPending puts this run's TagPasswordPending on the password
// secret before the stored password or the login's changes, so that a run
// dying before both hold the same password leaves a trace the next plan
// acts on. A missing secret needs no mark: the next plan sees it missing.
func (e *Executor) markPasswordPending(ctx context.Context) error {
	e.bag.mu.Lock()
	if e.bag.token == "" {
		e.bag.token = runToken()
	}
	key := r.TagPasswordPending + e.bag.token
	e.bag.mu.Unlock()
	_, err := e.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(r.PasswordSecretName),
		Tags: smTags(map[string]string{key: time.Now().UTC().Format(time.RFC3339)})})
	if awsclient.IsNotFound(err) {
		return nil
	}
	if err == nil {
		e.bag.mu.Lock()
		e.bag.pendingTag = key
		e.bag.mu.Unlock()
	}
	return err
}

// passwordSide records that one side (stored or loginSet) now holds this
// run's password; once both do, this run's mark is removed.
func (e *Executor) passwordSide(ctx context.Context, side *bool) error {
	e.bag.mu.Lock()
	*side = true
	key, both := e.bag.pendingTag, e.bag.stored && e.bag.loginSet
	keys := slices.Clone(e.bag.staleTags)
	e.bag.mu.Unlock()
	if key != "" {
		keys = append(keys, key)
	}
	if len(keys) == 0 || !both {
		return nil
	}
	_, err := e.Secrets.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(r.PasswordSecretName), TagKeys: keys})
	if awsclient.IsNotFound(err) {
		return nil
	}
	return err
}

// untagLater adds the marks of stopped runs a step names to those removed
// once both sides hold this run's password.
func (e *Executor) untagLater(keys []string) {
	e.bag.mu.Lock()
	defer e.bag.mu.Unlock()
	for _, k := range keys {
		if !slices.Contains(e.bag.staleTags, k) {
			e.bag.staleTags = append(e.bag.staleTags, k)
		}
	}
}

// runToken is 8 random hex digits naming this run in bookkeeping tags.
func runToken() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loginProfile creates or updates the console login with this run's
// password, never requiring a reset (Redis Cloud signs in with it).
func (e *Executor) loginProfile(ctx context.Context, s plan.Step) error {
	user := aws.String(s.Name)
	if s.ClearReset {
		return e.withConsistency(ctx, s.ID, loginBusy, func(ctx context.Context) error {
			_, err := e.IAM.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, PasswordResetRequired: aws.Bool(false)})
			return err
		})
	}
	pw, err := e.password(false)
	if err != nil {
		return err
	}
	e.untagLater(s.Untag)
	existed := false
	set := func(ctx context.Context) error {
		if s.Op == plan.OpCreateLoginProfile {
			_, err := e.IAM.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: user, Password: aws.String(pw.Reveal()), PasswordResetRequired: false})
			if err == nil {
				return e.passwordSide(ctx, &e.bag.loginSet)
			}
			if !alreadyExists(err) {
				return err
			}
			// Ours from a lost response, or another run's: either way make
			// it hold the password just stored.
			existed = true
		}
		if err := e.markPasswordPending(ctx); err != nil {
			return err
		}
		if _, err := e.IAM.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, Password: aws.String(pw.Reveal()), PasswordResetRequired: aws.Bool(false)}); err != nil {
			return err
		}
		if !existed {
			return e.passwordSide(ctx, &e.bag.loginSet)
		}
		// Another run that made the login stored its password before ours,
		// or after: store ours again, now that the login has it, so the
		// last password stored is the login's.
		e.bag.mu.Lock()
		e.bag.stored = false
		e.bag.mu.Unlock()
		if err := e.passwordSide(ctx, &e.bag.loginSet); err != nil {
			return err
		}
		return e.putPassword(ctx, plan.Step{Name: r.PasswordSecretName, Exists: true}, pw)
	}
	err = e.withConsistency(ctx, s.ID, loginBusy, set)
	if awsclient.ErrorCode(err) != "PasswordPolicyViolation" {
		return err
	}
	// Once: a new password, stored first when the login is being created.
	e.logf("password rejected by the account password policy; generating another")
	if pw, err = e.password(true); err != nil {
		return err
	}
	if s.Op == plan.OpCreateLoginProfile {
		if err := e.putPassword(ctx, plan.Step{Name: r.PasswordSecretName, Exists: true}, pw); err != nil {
			return err
		}
	}
	// On update, the secret is written after this step, from the bag.
	err = e.withConsistency(ctx, s.ID, loginBusy, set)
	if awsclient.ErrorCode(err) == "PasswordPolicyViolation" {
		return fmt.Errorf("the account password policy rejects generated passwords (%s): check its rules", awsclient.Short(err))
	}
	return err
}
