package bookkeeping

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// passwordOf reads the password the fake's password secret holds.
func (f *fakeSecrets) passwordOf() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body struct{ Password string }
	_ = json.Unmarshal([]byte(f.secrets[r.PasswordSecretName].value), &body)
	return body.Password
}

// withPassword is a fake whose password secret holds pw.
func withPassword(pw string) *fakeSecrets {
	f := newFake()
	f.secrets[r.PasswordSecretName] = &fakeSecret{tags: map[string]string{}}
	f.secrets[r.PasswordSecretName].put(`{"password":"`+pw+`"}`, "")
	return f
}

// Overwriting a stored password marks the secret first; Confirm finds the
// stored version unchanged and removes the mark (and the stale marks the
// plan named). A fresh secret is created unmarked and needs no
// confirmation.
func TestStoreAndConfirm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := withPassword("old")
	f.secrets[r.PasswordSecretName].tags[TagPasswordPending+"dead"] = "2020-01-01T00:00:00Z"
	b := &Books{Secrets: f}
	if err := b.StorePassword(ctx, secret.New("new"), PasswordWrite{Exists: true}); err != nil {
		t.Fatal(err)
	}
	if rec := f.record(time.Now()); len(rec.Marks) != 2 || len(rec.OthersLive()) != 1 {
		t.Fatalf("after the write: marks %v", rec.Marks)
	}
	b.Claim(ptr(f.record(time.Now())))
	login := ""
	if err := b.Confirm(ctx, func(_ context.Context, pw string) error { login = pw; return nil }, []string{TagPasswordPending + "dead"}); err != nil {
		t.Fatal(err)
	}
	if login != "" || f.passwordOf() != "new" || f.record(time.Now()).Pending() {
		t.Errorf("login set to %q, stored %q, marks %v", login, f.passwordOf(), f.record(time.Now()).Marks)
	}

	fresh := newFake()
	fb := &Books{Secrets: fresh}
	if err := fb.StorePassword(ctx, secret.New("first"), PasswordWrite{Tags: map[string]string{"ManagedBy": "rciam"}}); err != nil {
		t.Fatal(err)
	}
	n := len(fresh.calls)
	if err := fb.Confirm(ctx, nil, nil); err != nil || len(fresh.calls) != n || fresh.record(time.Now()).Pending() {
		t.Errorf("a fresh secret: confirm made %d calls (%v), marks %v", len(fresh.calls)-n, err, fresh.record(time.Now()).Marks)
	}
}

func ptr(rec Record) *Record { return &rec }

// Another run stored a password after this run's: Confirm sets the login
// to the stored one before it unmarks.
func TestConfirmFollowsALaterStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := withPassword("old")
	b := &Books{Secrets: f}
	if err := b.StorePassword(ctx, secret.New("ours"), PasswordWrite{Exists: true}); err != nil {
		t.Fatal(err)
	}
	f.secrets[r.PasswordSecretName].put(`{"password":"theirs"}`, "") // another run, after ours
	var logins []string
	if err := b.Confirm(ctx, func(_ context.Context, pw string) error { logins = append(logins, pw); return nil }, nil); err != nil {
		t.Fatal(err)
	}
	if len(logins) != 1 || logins[0] != "theirs" || f.record(time.Now()).Pending() {
		t.Errorf("logins %v, marks %v", logins, f.record(time.Now()).Marks)
	}
}

// Claim flags this run's marks in a record it read: its own unconfirmed
// change is redone, never waited for.
func TestClaim(t *testing.T) {
	t.Parallel()
	f := withPassword("old")
	f.secrets[r.PasswordSecretName].tags[TagPasswordPending+"othr"] = time.Now().UTC().Format(time.RFC3339)
	b := &Books{Secrets: f}
	if err := b.Fenced(context.Background(), true, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	rec := f.record(time.Now())
	b.Claim(&rec)
	if others := rec.OthersLive(); len(others) != 1 || others[0].Key != TagPasswordPending+"othr" {
		t.Errorf("others %v", others)
	}
	if stale := rec.Stale(); len(stale) != 1 || stale[0] != b.mark {
		t.Errorf("stale %v, own mark %s", stale, b.mark)
	}
}

// A run that stops holding its mark re-dates it "stopped": stale after
// StoppedGrace, not MarkLease. Without a mark Abandon writes nothing.
func TestAbandon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := withPassword("old")
	b := &Books{Secrets: f}
	if err := b.Abandon(ctx); err != nil || len(f.calls) != 0 {
		t.Fatalf("without a mark: %v, %v", err, f.calls)
	}
	if err := b.StorePassword(ctx, secret.New("new"), PasswordWrite{Exists: true}); err != nil {
		t.Fatal(err)
	}
	if err := b.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	if rec := f.record(time.Now()); len(rec.Marks) != 1 || !rec.Marks[0].Live || !strings.HasPrefix(rec.Marks[0].Value, "stopped ") {
		t.Errorf("just after Abandon: %v", rec.Marks)
	}
	if rec := f.record(time.Now().Add(StoppedGrace + time.Second)); len(rec.Stale()) != 1 {
		t.Errorf("StoppedGrace after Abandon: %v", rec.Marks)
	}
}

// A run's protocol writes are fenced by its mark: a mark about to look
// stale to other runs is renewed (under a new key) before the next write,
// and a write that would outlast the mark is abandoned, not left to land
// after another run may have removed the mark.
func TestWritesAreFencedByTheMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("an old mark is renewed first", func(t *testing.T) {
		t.Parallel()
		f := withPassword("old")
		b := &Books{Secrets: f}
		if err := b.markPending(ctx); err != nil {
			t.Fatal(err)
		}
		first := b.mark
		b.markedAt = time.Now().Add(-(MarkLease - MarkFence)) // about to look stale
		wrote := false
		if err := b.Fenced(ctx, true, func(context.Context) error { wrote = true; return nil }); err != nil {
			t.Fatal(err)
		}
		if b.mark == first || len(b.own) != 2 || len(f.record(time.Now()).Marks) != 2 || !wrote {
			t.Errorf("mark not renewed under a new key: current %s, own %v, on the secret %v", b.mark, b.own, f.record(time.Now()).Marks)
		}
	})
	t.Run("a write that would outlast the mark is abandoned", func(t *testing.T) {
		t.Parallel()
		b := &Books{Secrets: withPassword("old")}
		if err := b.markPending(ctx); err != nil {
			t.Fatal(err)
		}
		b.markedAt = time.Now().Add(-(MarkLease - 2*MarkFence - time.Second)) // ~1 s of cover left
		start := time.Now()
		err := b.Fenced(ctx, false, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		if err == nil || !strings.Contains(err.Error(), "longer than its mark covers") {
			t.Errorf("err = %v", err)
		}
		if took := time.Since(start); took > MarkFence+3*time.Second {
			t.Errorf("the write was given %s", took)
		}
	})
	t.Run("an unmarked run's write is not fenced", func(t *testing.T) {
		t.Parallel()
		f := withPassword("old")
		b := &Books{Secrets: f}
		if err := b.Fenced(ctx, false, func(context.Context) error { return nil }); err != nil || len(f.calls) != 0 {
			t.Errorf("%v, calls %v", err, f.calls)
		}
	})
}
