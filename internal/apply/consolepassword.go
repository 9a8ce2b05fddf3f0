package apply

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/plan"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// The console password lives in two places that are each last-writer-wins
// and have no compare-and-swap: the login profile (whose password IAM never
// shows) and the password secret. The protocol that keeps them equal
// (plan/keys.go password):
//
//  1. store the password (CreateSecret, or PutSecretValue after marking
//     the secret with this run's TagPasswordPending);
//  2. set it on the login;
//  3. confirm: read the secret; while its current version is not the one
//     this run's login write was based on, another run stored a password
//     since — set the login to that one and read again;
//  4. remove this run's mark (and the stopped runs' marks the plan named).
//
// Whatever runs interleave, the last login write is followed by a
// confirmation against the last stored version, so once every run has
// confirmed, the login holds the stored password. A run that dies before
// confirming leaves its mark, and the next plan sets a new password. A run
// that creates both the secret and the login needs neither mark nor
// confirmation: it wrote each first, and every later writer confirms.
//
// Another run takes a mark older than MarkLease for a stopped run's and
// removes it once it has replaced the password. So a marked run never
// writes outside its mark's cover (fenced): it renews the mark under a new
// key before it could look stale, and abandons a write that would still be
// going markFence before the lease ends.

// maxConfirmations bounds step 3: more stored versions than this while
// one run confirms means runs keep changing the password.
const maxConfirmations = 5

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

func passwordJSON(pw secret.Value) *string {
	b, _ := json.Marshal(map[string]string{"password": pw.Reveal()})
	return aws.String(string(b))
}

func (e *Executor) writePassword(ctx context.Context, s plan.Step) error {
	pw, err := e.password(false)
	if err != nil {
		return err
	}
	return e.putPassword(ctx, s, pw)
}

// putPassword stores pw (step 1) and records the version it made.
func (e *Executor) putPassword(ctx context.Context, s plan.Step, pw secret.Value) error {
	if !s.Exists {
		tags, put := s.Tags, func() {}
		if s.Mark {
			tags, put = e.newMark(s.Tags)
		}
		var out *secretsmanager.CreateSecretOutput
		create := func(ctx context.Context) (err error) {
			out, err = e.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(s.Name),
				Description: aws.String(s.Description), SecretString: passwordJSON(pw), Tags: smTags(tags)})
			return err
		}
		var err error
		if s.Mark { // the call puts the mark: it covers the call from now
			err = underMark(ctx, time.Now(), create)
		} else {
			err = create(ctx)
		}
		if err == nil {
			put()
			e.stored(aws.ToString(out.VersionId))
			return nil
		}
		if !secretExists(err) {
			return err
		}
		s.Restore = true
	}
	if err := e.restore(ctx, s); err != nil {
		return err
	}
	var out *secretsmanager.PutSecretValueOutput
	if err := e.fenced(ctx, true, func(ctx context.Context) (err error) {
		out, err = e.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.Name), SecretString: passwordJSON(pw)})
		return err
	}); err != nil {
		return err
	}
	e.stored(aws.ToString(out.VersionId))
	return nil
}

// stored records the version of this run's last password write.
func (e *Executor) stored(version string) {
	e.bag.mu.Lock()
	defer e.bag.mu.Unlock()
	e.bag.storedVersion = version
}

// markFence is how long before its lease runs out a mark stops covering
// writes: a request sent then may still land at AWS after the lease.
const markFence = 5 * time.Second

// newMark returns tags plus a new mark of this run (a new token: a run
// that planned from an older snapshot may remove this run's older marks as
// stale), dated now, and records it as this run's current mark once put.
func (e *Executor) newMark(tags map[string]string) (withMark map[string]string, put func()) {
	key, at := r.TagPasswordPending+runToken(), time.Now()
	e.bag.mu.Lock()
	e.bag.ownMarks = append(e.bag.ownMarks, key)
	e.bag.mu.Unlock()
	withMark = map[string]string{key: at.Add(e.ClockOffset).UTC().Format(time.RFC3339)}
	for k, v := range tags {
		withMark[k] = v
	}
	return withMark, func() {
		e.bag.mu.Lock()
		defer e.bag.mu.Unlock()
		e.bag.pendingTag, e.bag.markedAt = key, at
	}
}

// markPasswordPending makes sure this run's mark is on the password
// secret and will still look live to other runs through the next write: it
// puts a new one (under a new key: a run that planned from an older
// snapshot may list this run's older marks as stale) unless the current
// one is that fresh.
func (e *Executor) markPasswordPending(ctx context.Context) error {
	e.bag.mu.Lock()
	fresh := e.bag.pendingTag != "" && time.Since(e.bag.markedAt) <= r.MarkLease-2*markFence
	e.bag.mu.Unlock()
	if fresh {
		return nil
	}
	tags, put := e.newMark(nil)
	if _, err := e.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(r.PasswordSecretName), Tags: smTags(tags)}); err != nil {
		return fmt.Errorf("mark the password secret: %w", err)
	}
	put()
	return nil
}

// fenced runs a protocol write under this run's mark — put first when mark
// is set; otherwise only when the run holds one — so that no write of this
// run lands after another run may have taken the mark for a stopped run's
// and removed it. An unmarked run's write runs as it is.
func (e *Executor) fenced(ctx context.Context, mark bool, write func(context.Context) error) error {
	e.bag.mu.Lock()
	holds := e.bag.pendingTag != ""
	e.bag.mu.Unlock()
	if !mark && !holds {
		return write(ctx)
	}
	if err := e.markPasswordPending(ctx); err != nil {
		return err
	}
	e.bag.mu.Lock()
	at := e.bag.markedAt
	e.bag.mu.Unlock()
	return underMark(ctx, at, write)
}

// underMark runs write so that it ends markFence before a mark put at at
// stops covering it; a write cut short by that says so.
func underMark(ctx context.Context, at time.Time, write func(context.Context) error) error {
	fctx, cancel := context.WithDeadline(ctx, at.Add(r.MarkLease-markFence))
	defer cancel()
	err := write(fctx)
	if err != nil && ctx.Err() == nil && fctx.Err() != nil {
		return fmt.Errorf("a console password write took longer than its mark covers (%s): run apply again", r.MarkLease-markFence)
	}
	return err
}

// runToken is 8 random hex digits naming this run in bookkeeping tags.
func runToken() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
			err := e.fenced(ctx, false, func(ctx context.Context) error {
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
		if err := e.putPassword(ctx, plan.Step{Name: r.PasswordSecretName, Exists: true}, pw); err != nil {
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
	return e.confirmLogin(ctx, user, s.Untag)
}

// setLogin sets the login's password under this run's mark (put first
// when the run holds none).
func (e *Executor) setLogin(ctx context.Context, user *string, password string) error {
	return e.fenced(ctx, true, func(ctx context.Context) error {
		_, err := e.IAM.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: user, Password: aws.String(password), PasswordResetRequired: aws.Bool(false)})
		return err
	})
}

// OwnMarks returns the password marks this run has put and not removed:
// the next plan of this run treats them as stale (it redoes the change).
func (e *Executor) OwnMarks() []string {
	e.bag.mu.Lock()
	defer e.bag.mu.Unlock()
	return append([]string(nil), e.bag.ownMarks...)
}

// confirmLogin is steps 3 and 4: it makes the login hold the stored
// password, then removes this run's mark and the stopped runs' marks in
// stale. A run that never marked wrote the secret and the login first and
// has nothing to confirm.
func (e *Executor) confirmLogin(ctx context.Context, user *string, stale []string) error {
	e.bag.mu.Lock()
	mark, basis := e.bag.pendingTag, e.bag.storedVersion
	e.bag.mu.Unlock()
	if mark == "" && len(stale) == 0 {
		return nil
	}
	for range maxConfirmations {
		cur, err := e.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(r.PasswordSecretName)})
		if err != nil {
			return fmt.Errorf("confirm the stored password: %w", err)
		}
		if version := aws.ToString(cur.VersionId); version != basis || basis == "" {
			// Another run stored a password after ours: the login takes it.
			var doc struct {
				Password string `json:"password"`
			}
			if json.Unmarshal([]byte(aws.ToString(cur.SecretString)), &doc) != nil || doc.Password == "" {
				return errors.New(`the password secret is not of the form {"password":"…"} (another run or a person wrote it): run apply again`)
			}
			e.logf("another run stored a console password meanwhile: setting the login to it")
			if err := e.withConsistency(ctx, "login-profile", loginBusy, func(ctx context.Context) error {
				return e.setLogin(ctx, user, doc.Password)
			}); err != nil {
				return err
			}
			basis = version
			continue
		}
		e.bag.mu.Lock()
		keys := append(append([]string(nil), stale...), e.bag.ownMarks...)
		e.bag.mu.Unlock()
		if _, err := e.Secrets.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(r.PasswordSecretName), TagKeys: keys}); err != nil {
			return fmt.Errorf("unmark the password secret: %w", err)
		}
		e.bag.mu.Lock()
		e.bag.pendingTag, e.bag.ownMarks = "", nil
		e.bag.mu.Unlock()
		return nil
	}
	return errors.New("the stored console password kept changing while this run set the login: another run is changing it; run apply again when it has finished")
}

// Abandon is for a run that stops (an error, Ctrl-C, --timeout) while its
// mark is on the password secret: it re-dates the mark "stopped", so that
// the next apply replaces the password after StoppedGrace instead of
// waiting out MarkLease for a run that is gone. It never removes the mark: the login
// may not hold the stored password. ctx should outlive the run's own.
func (e *Executor) Abandon(ctx context.Context) error {
	e.bag.mu.Lock()
	mark := e.bag.pendingTag
	e.bag.mu.Unlock()
	if mark == "" {
		return nil
	}
	_, err := e.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(r.PasswordSecretName),
		Tags: smTags(map[string]string{mark: r.MarkStopped + " " + time.Now().Add(e.ClockOffset).UTC().Format(time.RFC3339)})})
	return err
}
