package bookkeeping

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// A new key's secret is stored under the key's version id before the key
// id is tagged (or both in one CreateSecret), in every start state of the
// secret; a retry is idempotent.
func TestStoreKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, start := range []string{"absent", "present", "scheduled for deletion"} {
		t.Run(start, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if start != "absent" {
				f.secrets[r.KeySecretName] = &fakeSecret{tags: map[string]string{TagKeyID: keyA}, deleted: start == "scheduled for deletion"}
				f.secrets[r.KeySecretName].put("old", KeyVersionID(keyA))
			}
			b := &Books{Secrets: f}
			w := KeyWrite{KeyID: keyB, Secret: secret.New("s3cret"), Exists: start != "absent", Restore: start == "scheduled for deletion",
				Tags: KeySecretTags("eu-west-1", "", ""), Previous: keyA}
			if err := b.StoreKey(ctx, w); err != nil {
				t.Fatal(err)
			}
			s := f.secrets[r.KeySecretName]
			if s.value != "s3cret" || s.version != KeyVersionID(keyB) || s.deleted {
				t.Errorf("stored %q under %s (deleted %v)", s.value, s.version, s.deleted)
			}
			rec := f.record(time.Now())
			if id, how := rec.StoredKey([]string{keyA, keyB}); id != keyB || how != ByVersion || rec.KeyID != keyB || rec.Previous != keyA || rec.Region != "eu-west-1" {
				t.Errorf("record %+v (stored %s by %s)", rec, id, how)
			}
			// The value and its version id first; the key id (with the
			// value, when the secret is created) last.
			want := "TagResource "
			if start == "absent" {
				want = "CreateSecret "
			}
			if last := f.calls[len(f.calls)-1]; last != want+r.KeySecretName {
				t.Errorf("the last write is %q, want %s: %v", last, want, f.calls)
			}
			if err := b.StoreKey(ctx, w); err != nil || f.secrets[r.KeySecretName].version != KeyVersionID(keyB) {
				t.Errorf("retry: %v", err)
			}
		})
	}
}

// A rollback puts the key-id tag back first, then the value, then clears
// the rotation's tags: killed between the first two, the version id still
// names the new key (finished forward); after, the tag names the old one.
func TestRollBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, known := range []bool{true, false} {
		f := newFake()
		f.secrets[r.KeySecretName] = &fakeSecret{tags: map[string]string{TagKeyID: keyB, TagPreviousKeyID: keyA}}
		f.secrets[r.KeySecretName].put("new", KeyVersionID(keyB))
		old := secret.Value{}
		if known {
			old = secret.New("old")
		}
		b := &Books{Secrets: f}
		if err := b.RollBack(ctx, keyA, keyB, old, KeyVersionID(keyA)); err != nil {
			t.Fatal(err)
		}
		want := []string{"TagResource", "PutSecretValue", "UntagResource"}
		if !known {
			want[1] = "UpdateSecretVersionStage"
		}
		var got []string
		for _, c := range f.calls {
			got = append(got, strings.Fields(c)[0])
		}
		if !slices.Equal(got, want) {
			t.Errorf("value known %v: calls %v, want %v", known, got, want)
		}
		rec := f.record(time.Now())
		if id, _ := rec.StoredKey([]string{keyA, keyB}); id != keyA || rec.Previous != "" {
			t.Errorf("value known %v: after the rollback the record says %s (previous %q)", known, id, rec.Previous)
		}
	}
}

// The cloud account is recorded once and forgotten when deregistered; a
// key secret that is gone or scheduled for deletion is not an error.
func TestCloudAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFake()
	f.secrets[r.KeySecretName] = &fakeSecret{tags: map[string]string{}}
	b := &Books{Secrets: f}
	if err := b.RecordCloudAccount(ctx, Record{}, 42); err != nil {
		t.Fatal(err)
	}
	rec := f.record(time.Now())
	if rec.CloudAccount != 42 {
		t.Fatalf("recorded %d", rec.CloudAccount)
	}
	n := len(f.calls)
	if err := b.RecordCloudAccount(ctx, rec, 42); err != nil || len(f.calls) != n {
		t.Errorf("recording it again wrote (%v, %d calls)", err, len(f.calls)-n)
	}
	if err := b.ForgetCloudAccount(ctx); err != nil || f.record(time.Now()).CloudAccount != 0 {
		t.Errorf("forget: %v, record %d", err, f.record(time.Now()).CloudAccount)
	}
	f.secrets[r.KeySecretName].deleted = true
	if err := b.ForgetCloudAccount(ctx); err != nil {
		t.Errorf("forget on a secret scheduled for deletion: %v", err)
	}
	delete(f.secrets, r.KeySecretName)
	if err := b.ForgetCloudAccount(ctx); err != nil {
		t.Errorf("forget without a secret: %v", err)
	}
	f.secrets[r.KeySecretName] = &fakeSecret{tags: map[string]string{}}
	f.fail["UntagResource"] = "AccessDeniedException"
	if err := b.ForgetCloudAccount(ctx); err == nil || !strings.Contains(err.Error(), "remove the recorded cloud account id") {
		t.Errorf("a refused untag: %v", err)
	}
}

// history answers ListSecretVersionIds: version id → (current, created).
type history map[string]struct {
	current bool
	created *time.Time
}

func (h history) ListSecretVersionIds(_ context.Context, in *secretsmanager.ListSecretVersionIdsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	if !aws.ToBool(in.IncludeDeprecated) {
		return nil, errors.New("IncludeDeprecated not set: replaced versions would be missing")
	}
	out := &secretsmanager.ListSecretVersionIdsOutput{NextToken: aws.String("")}
	for id, v := range h {
		e := smtypes.SecretVersionsListEntry{VersionId: aws.String(id), CreatedDate: v.created}
		if v.current {
			e.VersionStages = []string{"AWSCURRENT"}
		}
		out.Versions = append(out.Versions, e)
	}
	return out, nil
}

// When a stored key's secret was replaced: the first version created at or
// after its own; unknown when a date is missing or nothing came after.
func TestHistory(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	h, err := ReadHistory(context.Background(), history{
		KeyVersionID(keyA): {false, at(0)},
		"restored":         {false, at(time.Hour)},
		KeyVersionID(keyB): {true, at(2 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if stored, current := h.Stored(keyA); !stored || current {
		t.Errorf("keyA: stored %v current %v", stored, current)
	}
	if stored, current := h.Stored(keyB); !stored || !current {
		t.Errorf("keyB: stored %v current %v", stored, current)
	}
	if stored, _ := h.Stored("AKIANEVER"); stored {
		t.Error("a key never stored reads as stored")
	}
	if when, known := h.ReplacedAt(keyA); !known || !when.Equal(t0.Add(time.Hour)) {
		t.Errorf("ReplacedAt(keyA) = %s %v", when, known)
	}
	if _, known := h.ReplacedAt(keyB); known {
		t.Error("the current version reads as replaced")
	}
	undated, _ := ReadHistory(context.Background(), history{KeyVersionID(keyA): {false, at(0)}, "x": {true, nil}})
	if _, known := undated.ReplacedAt(keyA); known {
		t.Error("a missing date still gives a replacement time")
	}
}
