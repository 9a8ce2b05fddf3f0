package apply

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/secret"
)

// The console password is written by the protocol of internal/bookkeeping
// (store, set on the login under the run's mark, confirm, unmark): this
// file generates the password and makes the login writes; the books make
// the secret writes and the marks.

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
	}
	return e.bag.password, nil
}

// writePassword is step 1: this run's password, stored.
func (e *Executor) writePassword(ctx context.Context, s plan.Step) error {
	pw, err := e.password(false)
	if err != nil {
		return err
	}
	return e.books().StorePassword(ctx, pw, bookkeeping.PasswordWrite{Exists: s.Exists, Restore: s.Restore, Mark: s.Mark,
		Description: s.Description, Tags: s.Tags})
}

// loginProfile creates or updates the console login with this run's
// password (step 2), never requiring a reset (Redis Cloud signs in with
// it), then confirms it (steps 3 and 4).
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
	set := func(ctx context.Context) error {
		if s.Op == plan.OpCreateLoginProfile {
			err := e.books().Fenced(ctx, false, func(ctx context.Context) error {
				_, err := e.IAM.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: user, Password: aws.String(pw.Reveal()), PasswordResetRequired: false})
				return err
			})
			if !alreadyExists(err) {
				return err
			}
		}
		// An update, or a login that exists (ours from a lost response, or
		// another run's): set ours, marked.
		return e.setLogin(ctx, user, pw.Reveal())
	}
	err = e.withConsistency(ctx, s.ID, loginBusy, set)
	if awsclient.ErrorCode(err) == "PasswordPolicyViolation" {
		// Once: a new password, stored first.
		e.logf("password rejected by the account password policy; generating another")
		if pw, err = e.password(true); err != nil {
			return err
		}
		if err := e.books().StorePassword(ctx, pw, bookkeeping.PasswordWrite{Exists: true}); err != nil {
			return err
		}
		err = e.withConsistency(ctx, s.ID, loginBusy, set)
		if awsclient.ErrorCode(err) == "PasswordPolicyViolation" {
			return fmt.Errorf("the account password policy rejects generated passwords (%s): check its rules", awsclient.Short(err))
		}
	}
	if err != nil {
		return err
	}
	return e.books().Confirm(ctx, func(ctx context.Context, password string) error {
		return e.withConsistency(ctx, "login-profile", loginBusy, func(ctx context.Context) error { return e.setLogin(ctx, user, password) })
	}, s.Untag)
}

// setLogin sets the login's password under this run's mark (put first
// when the run holds none).
func (e *Executor) setLogin(ctx context.Context, user *string, password string) error {
	return e.books().Fenced(ctx, true, func(ctx context.Context) error {
		_, err := e.IAM.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, Password: aws.String(password), PasswordResetRequired: aws.Bool(false)})
		return err
	})
}

// Abandon is for a run that stops (an error, Ctrl-C, --timeout) while it
// changes the console password: bookkeeping.Books.Abandon. ctx should
// outlive the run's own.
func (e *Executor) Abandon(ctx context.Context) error { return e.books().Abandon(ctx) }
