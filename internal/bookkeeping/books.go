package bookkeeping

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/awsclient"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// Secrets is the part of Secrets Manager the books write with.
type Secrets interface {
	CreateSecret(context.Context, *secretsmanager.CreateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	RestoreSecret(context.Context, *secretsmanager.RestoreSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
	TagResource(context.Context, *secretsmanager.TagResourceInput, ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error)
	UntagResource(context.Context, *secretsmanager.UntagResourceInput, ...func(*secretsmanager.Options)) (*secretsmanager.UntagResourceOutput, error)
}

// Books writes one account's bookkeeping for one run. The zero value is
// not usable: Secrets must be set. A Books carries the run's password
// marks, so one run uses one Books for the account throughout.
type Books struct {
	Secrets Secrets
	// ClockOffset is AWS's clock minus this machine's: marks are dated in
	// AWS's time.
	ClockOffset time.Duration
	// Logf, when set, receives progress lines; never a secret.
	Logf func(format string, args ...any)

	mu sync.Mutex
	// mark is this run's current password mark while it is on the secret,
	// put at markedAt (this machine's clock); own are every mark key this
	// run has put and not removed (a renewal takes a new key).
	mark     string
	markedAt time.Time
	own      []string
	// storedVersion is the version id of this run's last password write:
	// the login is confirmed against it.
	storedVersion string
}

// KeyWrite is a new access key's secret to store (StoreKey).
type KeyWrite struct {
	KeyID  string
	Secret secret.Value
	// Exists: the key secret exists (else it is created, with Description
	// and Tags); Restore: it is scheduled for deletion.
	Exists, Restore bool
	Description     string
	// Tags are written with the key id: the desired tags, KeySecretTags.
	Tags map[string]string
	// Previous, when set, is recorded as the key the new one replaces (a
	// rotation), in the same write as the key id.
	Previous string
}

// StoreKey stores a new key's secret under KeyVersionID(KeyID), then tags
// the key id (and the previous key): a run that dies between the two is
// recognised by the version id. Retrying it is idempotent.
func (b *Books) StoreKey(ctx context.Context, w KeyWrite) error {
	tags := map[string]string{TagKeyID: w.KeyID}
	for k, v := range w.Tags {
		tags[k] = v
	}
	if w.Previous != "" {
		tags[TagPreviousKeyID] = w.Previous
	}
	token := aws.String(KeyVersionID(w.KeyID))
	if !w.Exists {
		_, err := b.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(r.KeySecretName),
			Description: aws.String(w.Description), SecretString: aws.String(w.Secret.Reveal()),
			ClientRequestToken: token, Tags: smTags(tags)})
		if !secretExists(err) {
			return err
		}
		w.Restore = true // it may be scheduled for deletion: restoring a live secret is harmless
	}
	if err := b.restore(ctx, r.KeySecretName, w.Restore); err != nil {
		return err
	}
	if _, err := b.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(r.KeySecretName),
		SecretString: aws.String(w.Secret.Reveal()), ClientRequestToken: token}); err != nil {
		return err
	}
	return b.tag(ctx, r.KeySecretName, tags)
}

// RecordStored records that the key secret holds keyID's secret, replacing
// previous: what StoreKey's tag write would have said, for a run that died
// between storing and tagging.
func (b *Books) RecordStored(ctx context.Context, keyID, previous string) error {
	return awsclient.Wrap("tag secret "+r.KeySecretName, b.tag(ctx, r.KeySecretName, map[string]string{TagKeyID: keyID, TagPreviousKeyID: previous}))
}

// RecordSwitched records that Redis Cloud was moved off the previous key
// at t.
func (b *Books) RecordSwitched(ctx context.Context, t time.Time) error {
	return awsclient.Wrap("tag secret "+r.KeySecretName, b.tag(ctx, r.KeySecretName, map[string]string{TagPreviousSince: t.UTC().Format(time.RFC3339)}))
}

// RecordDeleteAfter records, with --grace, when the previous key may go.
func (b *Books) RecordDeleteAfter(ctx context.Context, t time.Time) error {
	return awsclient.Wrap("tag secret "+r.KeySecretName, b.tag(ctx, r.KeySecretName, map[string]string{TagDeleteAfter: t.UTC().Format(time.RFC3339)}))
}

// ClearRotation removes the rotation's tags: the previous key is gone, or
// its rotation is over.
func (b *Books) ClearRotation(ctx context.Context) error {
	_, err := b.Secrets.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(r.KeySecretName), TagKeys: rotationTags})
	return awsclient.Wrap("clear the rotation's bookkeeping tags", err)
}

// StaleRotationTags returns the rotation tags rec holds: after a rotation
// that is over, they must go before anything reads them as the next one's.
func StaleRotationTags(rec Record) []string {
	var out []string
	for _, t := range []struct{ key, v string }{{TagPreviousKeyID, rec.Previous}, {TagPreviousSince, rec.PreviousSince}, {TagDeleteAfter, rec.DeleteAfter}} {
		if t.v != "" {
			out = append(out, t.key)
		}
	}
	return out
}

// Untag removes bookkeeping tags from the key secret.
func (b *Books) Untag(ctx context.Context, keys []string) error {
	_, err := b.Secrets.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(r.KeySecretName), TagKeys: keys})
	return err
}

// RollBack undoes a rotation that stored newID's secret: the key-id tag
// goes back to old first, then old's secret is restored — written back as
// a new version when its value is known (the tag then names its key), else
// by moving AWSCURRENT back to oldVersion — then the rotation tags go.
func (b *Books) RollBack(ctx context.Context, old, newID string, oldValue secret.Value, oldVersion string) error {
	if err := b.tag(ctx, r.KeySecretName, map[string]string{TagKeyID: old}); err != nil {
		return awsclient.Wrap("tag secret "+r.KeySecretName, err)
	}
	var err error
	if !oldValue.IsZero() {
		_, err = b.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(r.KeySecretName),
			SecretString: aws.String(oldValue.Reveal())})
	} else {
		_, err = b.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(r.KeySecretName),
			VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(oldVersion), RemoveFromVersionId: aws.String(KeyVersionID(newID))})
	}
	if err != nil {
		return fmt.Errorf("restore the stored secret: %s", awsclient.Short(err))
	}
	if err := b.Untag(ctx, rotationTags); err != nil {
		return fmt.Errorf("untag: %s", awsclient.Short(err))
	}
	return nil
}

// RecordCloudAccount records the Redis Cloud cloud account id, unless rec
// already holds it.
func (b *Books) RecordCloudAccount(ctx context.Context, rec Record, id int) error {
	if rec.CloudAccount == id {
		return nil
	}
	return awsclient.Wrap("record the cloud account id on "+r.KeySecretName,
		b.tag(ctx, r.KeySecretName, map[string]string{TagCloudAccountID: strconv.Itoa(id)}))
}

// ForgetCloudAccount removes the recorded cloud account once it is
// deleted: a later apply that restores the key secret must not bring the
// registration back. A secret already gone, or scheduled for deletion
// (removed by hand), is left as it is.
func (b *Books) ForgetCloudAccount(ctx context.Context) error {
	_, err := b.Secrets.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(r.KeySecretName), TagKeys: []string{TagCloudAccountID}})
	if awsclient.IsNotFound(err) || awsclient.ErrorCode(err) == "InvalidRequestException" {
		return nil
	}
	return awsclient.Wrap("remove the recorded cloud account id from "+r.KeySecretName, err)
}

func (b *Books) tag(ctx context.Context, name string, tags map[string]string) error {
	_, err := b.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(name), Tags: smTags(tags)})
	return err
}

// restore brings back a secret scheduled for deletion; on a live secret
// Secrets Manager answers InvalidRequestException, which is fine.
func (b *Books) restore(ctx context.Context, name string, restore bool) error {
	if !restore {
		return nil
	}
	_, err := b.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)})
	if err != nil && awsclient.ErrorCode(err) != "InvalidRequestException" {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
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

func (b *Books) logf(format string, args ...any) {
	if b.Logf != nil {
		b.Logf(format, args...)
	}
}

func smTags(m map[string]string) []smtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]smtypes.Tag, 0, len(m))
	for _, k := range keys {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
