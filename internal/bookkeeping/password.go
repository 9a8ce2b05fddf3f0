package bookkeeping

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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// maxConfirmations bounds step 3: more stored versions than this while one
// run confirms means runs keep changing the password.
const maxConfirmations = 5

// PasswordWrite is step 1 of the console password protocol (StorePassword).
type PasswordWrite struct {
	// Exists: the password secret exists (else it is created, with
	// Description and Tags); Restore: it is scheduled for deletion.
	Exists, Restore bool
	Description     string
	Tags            map[string]string
	// Mark marks the secret from this write on, CreateSecret included:
	// the login exists, so the write overwrites what it may hold.
	Mark bool
}

// StorePassword stores pw in the password secret (step 1) and remembers the
// version it made, against which Confirm checks. Overwriting an existing
// secret is always done under this run's mark.
func (b *Books) StorePassword(ctx context.Context, pw secret.Value, w PasswordWrite) error {
	if !w.Exists {
		tags, put := w.Tags, func() {}
		if w.Mark {
			tags, put = b.newMark(w.Tags)
		}
		var out *secretsmanager.CreateSecretOutput
		create := func(ctx context.Context) (err error) {
			out, err = b.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(r.PasswordSecretName),
				Description: aws.String(w.Description), SecretString: passwordJSON(pw), Tags: smTags(tags)})
			return err
		}
		var err error
		if w.Mark { // the call puts the mark: it covers the call from now
			err = underMark(ctx, time.Now(), create)
		} else {
			err = create(ctx)
		}
		if err == nil {
			put()
			b.stored(aws.ToString(out.VersionId))
			return nil
		}
		if !secretExists(err) {
			return err
		}
		w.Restore = true
	}
	if err := b.restore(ctx, r.PasswordSecretName, w.Restore); err != nil {
		return err
	}
	var out *secretsmanager.PutSecretValueOutput
	if err := b.Fenced(ctx, true, func(ctx context.Context) (err error) {
		out, err = b.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(r.PasswordSecretName), SecretString: passwordJSON(pw)})
		return err
	}); err != nil {
		return err
	}
	b.stored(aws.ToString(out.VersionId))
	return nil
}

func passwordJSON(pw secret.Value) *string {
	body, _ := json.Marshal(map[string]string{"password": pw.Reveal()})
	return aws.String(string(body))
}

func (b *Books) stored(version string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.storedVersion = version
}

// Fenced runs a protocol write (step 2, or a write of Confirm) under this
// run's mark — put first when mark is set; otherwise only when the run
// holds one — so that no write of this run lands after another run may
// have taken the mark for a stopped run's and removed it. An unmarked run's
// write runs as it is.
func (b *Books) Fenced(ctx context.Context, mark bool, write func(context.Context) error) error {
	b.mu.Lock()
	holds := b.mark != ""
	b.mu.Unlock()
	if !mark && !holds {
		return write(ctx)
	}
	if err := b.markPending(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	at := b.markedAt
	b.mu.Unlock()
	return underMark(ctx, at, write)
}

// markPending makes sure this run's mark is on the password secret and
// will still look live to other runs through the next write: it puts a new
// one (under a new key: a run that planned from an older snapshot may list
// this run's older marks as stale) unless the current one is that fresh.
func (b *Books) markPending(ctx context.Context) error {
	b.mu.Lock()
	fresh := b.mark != "" && time.Since(b.markedAt) <= MarkLease-2*MarkFence
	b.mu.Unlock()
	if fresh {
		return nil
	}
	tags, put := b.newMark(nil)
	if err := b.tag(ctx, r.PasswordSecretName, tags); err != nil {
		return fmt.Errorf("mark the password secret: %w", err)
	}
	put()
	return nil
}

// newMark returns tags plus a new mark of this run (a new token), dated
// now in AWS's time, and records it as the run's current mark once put.
func (b *Books) newMark(tags map[string]string) (withMark map[string]string, put func()) {
	key, at := TagPasswordPending+runToken(), time.Now()
	b.mu.Lock()
	b.own = append(b.own, key)
	b.mu.Unlock()
	withMark = map[string]string{key: at.Add(b.ClockOffset).UTC().Format(time.RFC3339)}
	for k, v := range tags {
		withMark[k] = v
	}
	return withMark, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.mark, b.markedAt = key, at
	}
}

// underMark runs write so that it ends MarkFence before a mark put at at
// stops covering it; a write cut short by that says so.
func underMark(ctx context.Context, at time.Time, write func(context.Context) error) error {
	fctx, cancel := context.WithDeadline(ctx, at.Add(MarkLease-MarkFence))
	defer cancel()
	err := write(fctx)
	if err != nil && ctx.Err() == nil && fctx.Err() != nil {
		return fmt.Errorf("a console password write took longer than its mark covers (%s): run apply again", MarkLease-MarkFence)
	}
	return err
}

// runToken is 8 random hex digits naming this run in a mark.
func runToken() string {
	var t [4]byte
	_, _ = rand.Read(t[:])
	return hex.EncodeToString(t[:])
}

// Confirm is steps 3 and 4: it makes the login hold the stored password —
// while the stored version is not the one this run's login write was based
// on, another run stored a password since, and setLogin sets the login to
// it — then removes this run's marks and the stopped runs' marks in stale.
// A run that never marked wrote the secret and the login first and has
// nothing to confirm.
func (b *Books) Confirm(ctx context.Context, setLogin func(ctx context.Context, password string) error, stale []string) error {
	b.mu.Lock()
	mark, basis := b.mark, b.storedVersion
	b.mu.Unlock()
	if mark == "" && len(stale) == 0 {
		return nil
	}
	for range maxConfirmations {
		cur, err := b.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(r.PasswordSecretName)})
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
			b.logf("another run stored a console password meanwhile: setting the login to it")
			if err := setLogin(ctx, doc.Password); err != nil {
				return err
			}
			basis = version
			continue
		}
		b.mu.Lock()
		keys := append(append([]string(nil), stale...), b.own...)
		b.mu.Unlock()
		if _, err := b.Secrets.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(r.PasswordSecretName), TagKeys: keys}); err != nil {
			return fmt.Errorf("unmark the password secret: %w", err)
		}
		b.mu.Lock()
		b.mark, b.own = "", nil
		b.mu.Unlock()
		return nil
	}
	return errors.New("the stored console password kept changing while this run set the login: another run is changing it; run apply again when it has finished")
}

// Claim flags, in a record this run read, the marks this run put and has
// not removed: its change was not confirmed, and the next pass redoes it
// instead of waiting for "another run".
func (b *Books) Claim(rec *Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range rec.Marks {
		rec.Marks[i].Own = slices.Contains(b.own, rec.Marks[i].Key)
	}
}

// Abandon is for a run that stops (an error, Ctrl-C, --timeout) while its
// mark is on the password secret: it re-dates the mark "stopped", so that
// the next apply replaces the password after StoppedGrace instead of
// waiting out MarkLease for a run that is gone. It never removes the mark:
// the login may not hold the stored password. ctx should outlive the run's.
func (b *Books) Abandon(ctx context.Context) error {
	b.mu.Lock()
	mark := b.mark
	b.mu.Unlock()
	if mark == "" {
		return nil
	}
	return b.tag(ctx, r.PasswordSecretName, map[string]string{mark: markStopped + " " + time.Now().Add(b.ClockOffset).UTC().Format(time.RFC3339)})
}
