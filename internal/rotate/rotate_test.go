package rotate

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

const keyA, keyB = "AKIAAAAAAAAAAAAAAAAA", "AKIABBBBBBBBBBBBBBBB"

// snapshot is redislabs-user with the given keys (all active, used) and
// the key secret at version, tagged tags.
func snapshot(version string, tags map[string]string, keys ...string) *live.State {
	used := time.Now().Add(-time.Hour)
	l := &live.State{
		Users:   map[string]*live.User{strings.ToLower(r.UserName): {Name: r.UserName}},
		Secrets: map[string]*live.Secret{r.KeySecretName: {Name: r.KeySecretName, HasValue: true, CurrentVersionID: version, Tags: tags}},
	}
	for _, k := range keys {
		l.Keys = append(l.Keys, live.AccessKey{ID: k, Active: true, LastUsed: &used, LastUsedRead: true})
	}
	l.ReadBooks(time.Now())
	return l
}

// read settles the stored and the previous key from the version id and
// the tags, including the states a killed run leaves.
func TestReadBookkeeping(t *testing.T) {
	since := time.Now().UTC().Format(time.RFC3339)
	cases := []struct {
		name              string
		l                 *live.State
		current, previous string
		retag             bool
		stale             []string
	}{
		{name: "converged",
			l:       snapshot(bookkeeping.KeyVersionID(keyA), map[string]string{bookkeeping.TagKeyID: keyA}, keyA),
			current: keyA},
		{name: "killed between PutSecretValue and TagResource",
			l:       snapshot(bookkeeping.KeyVersionID(keyB), map[string]string{bookkeeping.TagKeyID: keyA}, keyA, keyB),
			current: keyB, previous: keyA, retag: true},
		{name: "same, with a previous-since left by an earlier rotation",
			l:       snapshot(bookkeeping.KeyVersionID(keyB), map[string]string{bookkeeping.TagKeyID: keyA, bookkeeping.TagPreviousSince: since}, keyA, keyB),
			current: keyB, previous: keyA, retag: true, stale: []string{bookkeeping.TagPreviousSince}},
		{name: "stored and tagged, Redis Cloud not switched",
			l:       snapshot(bookkeeping.KeyVersionID(keyB), map[string]string{bookkeeping.TagKeyID: keyB, bookkeeping.TagPreviousKeyID: keyA}, keyA, keyB),
			current: keyB, previous: keyA},
		{name: "previous key deleted, its tags not removed",
			l:       snapshot(bookkeeping.KeyVersionID(keyB), map[string]string{bookkeeping.TagKeyID: keyB, bookkeeping.TagPreviousKeyID: keyA, bookkeeping.TagPreviousSince: since}, keyB),
			current: keyB, stale: []string{bookkeeping.TagPreviousKeyID, bookkeeping.TagPreviousSince}},
		{name: "rollback killed after restoring the secret",
			l:       snapshot("restored-version", map[string]string{bookkeeping.TagKeyID: keyA, bookkeeping.TagPreviousKeyID: keyA}, keyA, keyB),
			current: keyA, stale: []string{bookkeeping.TagPreviousKeyID}},
		{name: "tag-only secret: the other key is not taken for the previous one",
			l:       snapshot("adopted-version", map[string]string{bookkeeping.TagKeyID: keyA}, keyA, keyB),
			current: keyA},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := read(c.l)
			if err != nil {
				t.Fatal(err)
			}
			if st.current.ID != c.current || st.previous != c.previous || st.retag != c.retag || !slices.Equal(st.staleTags, c.stale) {
				t.Errorf("current %s previous %q retag %v stale %v; want %s %q %v %v",
					st.current.ID, st.previous, st.retag, st.staleTags, c.current, c.previous, c.retag, c.stale)
			}
			if c.previous != "" && (st.since != "" || st.deleteAfter != "") {
				t.Errorf("an interrupted switch reads as done: since %q, delete-after %q", st.since, st.deleteAfter)
			}
		})
	}
}

// A key (or key secret) a CloudFormation stack owns is rotated through
// the stack: read refuses, naming the stack, before anything changes.
func TestReadRefusesStackOwnedKey(t *testing.T) {
	for _, addr := range []string{r.AccessKey(r.UserName, keyA).String(), r.Addr(r.KindSecret, r.KeySecretName).String()} {
		l := snapshot(bookkeeping.KeyVersionID(keyA), map[string]string{bookkeeping.TagKeyID: keyA}, keyA)
		l.StackOwned = map[string]string{addr: "RedisCloud"}
		_, err := read(l)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "stack RedisCloud owns "+addr) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v", addr, err)
		}
	}
}

// --dry-run says an interrupted store is finished, not refused.
func TestDryRunAfterInterruptedStore(t *testing.T) {
	l := snapshot(bookkeeping.KeyVersionID(keyB), map[string]string{bookkeeping.TagKeyID: keyA}, keyA, keyB)
	steps, err := (&Rotator{}).DryRun(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || !strings.Contains(steps[0], "finish the rotation an earlier run left") {
		t.Errorf("steps %q", steps)
	}
}

// fakeSecrets answers ListSecretVersionIds from versions (version id → is
// AWSCURRENT) and created (version id → CreatedDate; none if missing), in
// pages of one; any other call panics (nil interface).
type fakeSecrets struct {
	Secrets
	versions map[string]bool
	created  map[string]time.Time
	lists    int
}

func (f *fakeSecrets) ListSecretVersionIds(_ context.Context, in *secretsmanager.ListSecretVersionIdsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	if !aws.ToBool(in.IncludeDeprecated) {
		return nil, errors.New("IncludeDeprecated not set: replaced versions would be missing")
	}
	if aws.ToString(in.NextToken) == "" {
		f.lists++
	}
	ids := slices.Sorted(maps.Keys(f.versions))
	i := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		i, _ = strconv.Atoi(tok)
	}
	out := &secretsmanager.ListSecretVersionIdsOutput{NextToken: aws.String("")} // moto's "no more"
	if i < len(ids) {
		v := smtypes.SecretVersionsListEntry{VersionId: aws.String(ids[i])}
		if f.versions[ids[i]] {
			v.VersionStages = []string{"AWSCURRENT"}
		}
		if c, ok := f.created[ids[i]]; ok {
			v.CreatedDate = aws.Time(c)
		}
		out.Versions = []smtypes.SecretVersionsListEntry{v}
		if i+1 < len(ids) {
			out.NextToken = aws.String(strconv.Itoa(i + 1))
		}
	}
	return out, nil
}

// fakeIAM records deleted keys; any other call panics.
type fakeIAM struct {
	IAM
	deleted []string
}

func (f *fakeIAM) DeleteAccessKey(_ context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	f.deleted = append(f.deleted, aws.ToString(in.AccessKeyId))
	return &iam.DeleteAccessKeyOutput{}, nil
}

// fakeRedis holds one key id.
type fakeRedis struct {
	Registrar
	holds string
}

func (f *fakeRedis) Holds(_ context.Context, keyID string) (bool, error) {
	return keyID == f.holds, nil
}

// A second active key that was used is deleted only when the key secret's
// history shows rciam stored its secret and then replaced it (a rollback
// killed after restoring the old secret leaves such a key), Redis Cloud
// does not use it, and it was last used no later than the replacing
// version was created (plus the margin); otherwise the rotation is
// refused. A key a CloudFormation stack owns is never deleted. The history
// is listed only when there is a used, active key no stack owns.
func TestClearOthersDiscardedKey(t *testing.T) {
	restored := "restored-version" // what a rollback's PutSecretValue wrote
	used := time.Now().Add(-time.Hour).Truncate(time.Second)
	snap := func() *live.State {
		l := snapshot(restored, map[string]string{bookkeeping.TagKeyID: keyA}, keyA, keyB)
		l.Keys[1].LastUsed = &used
		return l
	}
	neverUsed := func(l *live.State) *live.State {
		l.Keys[1].LastUsed = nil
		return l
	}
	lastUseUnread := func(l *live.State) *live.State {
		l.Keys[1].LastUsed, l.Keys[1].LastUsedRead = nil, false
		return l
	}
	inactive := func(l *live.State) *live.State {
		l.Keys[1].Active = false
		return l
	}
	stackOwned := func(l *live.State) *live.State {
		l.StackOwned = map[string]string{r.AccessKey(r.UserName, keyB).String(): "RedisCloud"}
		return l
	}
	// created: keyA's version, then keyB's, then the restore at replaced.
	created := func(replaced time.Time) map[string]time.Time {
		return map[string]time.Time{bookkeeping.KeyVersionID(keyA): used.Add(-3 * time.Hour), bookkeeping.KeyVersionID(keyB): used.Add(-2 * time.Hour), restored: replaced}
	}
	replacedBefore := map[string]bool{bookkeeping.KeyVersionID(keyA): false, bookkeeping.KeyVersionID(keyB): false, restored: true}
	cases := []struct {
		name     string
		l        *live.State
		versions map[string]bool
		created  map[string]time.Time
		redis    *fakeRedis
		deleted  []string
		refused  string // in the error; "" for none
		lists    int
	}{
		{name: "stored, then replaced, used before the replacement: deleted",
			l: snap(), versions: replacedBefore, created: created(used.Add(10 * time.Second)),
			deleted: []string{keyB}, lists: 1},
		{name: "used within the margin after the replacement (IAM's late stamp): deleted",
			l: snap(), versions: replacedBefore, created: created(used.Add(-30 * time.Second)),
			deleted: []string{keyB}, lists: 1},
		{name: "used after the replacement: refused",
			l: snap(), versions: replacedBefore, created: created(used.Add(-10 * time.Minute)),
			refused: "has been used since", lists: 1},
		{name: "the replacing version is the earliest after its own, not the current one",
			l:        snap(),
			versions: map[string]bool{bookkeeping.KeyVersionID(keyB): false, "in-between": false, restored: true},
			created:  map[string]time.Time{bookkeeping.KeyVersionID(keyB): used.Add(-2 * time.Hour), "in-between": used.Add(-10 * time.Minute), restored: used.Add(time.Minute)},
			refused:  "has been used since", lists: 1},
		{name: "a version stamped the same instant as its own counts as the replacement",
			l:        snap(),
			versions: map[string]bool{bookkeeping.KeyVersionID(keyB): false, "same-instant": false, restored: true},
			created:  map[string]time.Time{bookkeeping.KeyVersionID(keyB): used.Add(-2 * time.Hour), "same-instant": used.Add(-2 * time.Hour), restored: used.Add(time.Minute)},
			refused:  "has been used since", lists: 1},
		{name: "no creation dates: refused",
			l: snap(), versions: replacedBefore,
			refused: "cannot be told", lists: 1},
		{name: "the replacing version has no creation date: refused",
			l: snap(), versions: replacedBefore,
			created: map[string]time.Time{bookkeeping.KeyVersionID(keyA): used.Add(-3 * time.Hour), bookkeeping.KeyVersionID(keyB): used.Add(-2 * time.Hour)},
			refused: "cannot be told", lists: 1},
		{name: "no version after its own (AWSCURRENT moved back): refused",
			l:        snap(),
			versions: map[string]bool{bookkeeping.KeyVersionID(keyA): true, bookkeeping.KeyVersionID(keyB): false},
			created:  map[string]time.Time{bookkeeping.KeyVersionID(keyA): used.Add(-3 * time.Hour), bookkeeping.KeyVersionID(keyB): used.Add(-2 * time.Hour)},
			refused:  "cannot be told", lists: 1},
		{name: "last use not read: refused",
			l: lastUseUnread(snap()), versions: replacedBefore, created: created(used.Add(10 * time.Second)),
			refused: "last used is unknown", lists: 1},
		{name: "stored, then replaced, registered and Redis Cloud uses the stored key: deleted",
			l: snap(), versions: replacedBefore, created: created(used.Add(10 * time.Second)),
			redis:   &fakeRedis{holds: keyA},
			deleted: []string{keyB}, lists: 1},
		{name: "stored, then replaced, but Redis Cloud uses it: refused",
			l: snap(), versions: replacedBefore, created: created(used.Add(10 * time.Second)),
			redis:   &fakeRedis{holds: keyB},
			refused: "Redis Cloud cloud account uses key", lists: 1},
		{name: "never stored: refused",
			l:        snap(),
			versions: map[string]bool{bookkeeping.KeyVersionID(keyA): false, restored: true}, created: created(used.Add(10 * time.Second)),
			refused: "second key", lists: 1},
		{name: "its version is the current one (stored since the snapshot): refused",
			l:        snap(),
			versions: map[string]bool{restored: false, bookkeeping.KeyVersionID(keyB): true}, created: created(used.Add(10 * time.Second)),
			refused: "second key", lists: 1},
		{name: "stack-owned, otherwise deletable: refused without reading the history",
			l: stackOwned(snap()), versions: replacedBefore, created: created(used.Add(10 * time.Second)),
			refused: "CloudFormation stack RedisCloud"},
		{name: "stack-owned and never used: refused",
			l: stackOwned(neverUsed(snap())), versions: replacedBefore,
			refused: "CloudFormation stack RedisCloud"},
		{name: "stack-owned and inactive: refused",
			l: stackOwned(inactive(snap())), versions: replacedBefore,
			refused: "CloudFormation stack RedisCloud"},
		{name: "another key owned by a stack does not matter",
			l: func() *live.State {
				l := neverUsed(snap())
				l.StackOwned = map[string]string{r.AccessKey(r.UserName, "AKIACCCCCCCCCCCCCCCC").String(): "RedisCloud"}
				return l
			}(),
			versions: map[string]bool{restored: true},
			deleted:  []string{keyB}},
		{name: "never used: deleted without reading the history",
			l:        neverUsed(snap()),
			versions: map[string]bool{restored: true},
			deleted:  []string{keyB}},
		{name: "inactive: deleted without reading the history",
			l:        inactive(snap()),
			versions: map[string]bool{restored: true},
			deleted:  []string{keyB}},
		{name: "one key: nothing read, nothing deleted",
			l:        snapshot(bookkeeping.KeyVersionID(keyA), map[string]string{bookkeeping.TagKeyID: keyA}, keyA),
			versions: map[string]bool{bookkeeping.KeyVersionID(keyA): true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sm, im := &fakeSecrets{versions: c.versions, created: c.created}, &fakeIAM{}
			rt := &Rotator{IAM: im, Secrets: sm}
			if c.redis != nil {
				rt.Redis = c.redis
			}
			st, err := read(c.l)
			if err != nil {
				t.Fatal(err)
			}
			err = rt.clearOthers(context.Background(), st)
			switch {
			case c.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refused != "" && (!errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.refused)):
				t.Fatalf("error %v, want a refusal saying %q", err, c.refused)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("refusal is not one line: %q", err)
			case err != nil && (!strings.Contains(err.Error(), secret.MaskKeyID(keyB)) || strings.Contains(err.Error(), keyB)):
				t.Errorf("refusal does not name the key masked: %q", err)
			}
			if !slices.Equal(im.deleted, c.deleted) || sm.lists != c.lists {
				t.Errorf("deleted %v, history listed %d times; want %v, %d", im.deleted, sm.lists, c.deleted, c.lists)
			}

			// --dry-run decides the same, changing nothing.
			dry := &Rotator{Secrets: &fakeSecrets{versions: c.versions, created: c.created}}
			if c.redis != nil {
				dry.Redis = c.redis
			}
			steps, err := dry.DryRun(context.Background(), c.l)
			if (err != nil) != (c.refused != "") || (err != nil && !strings.Contains(err.Error(), c.refused)) {
				t.Fatalf("dry run: steps %q, error %v", steps, err)
			}
			deletes := 0
			for _, s := range steps {
				if strings.HasPrefix(s, "delete key ") {
					deletes++
					if !strings.Contains(s, secret.MaskKeyID(keyB)) {
						t.Errorf("dry run deletes another key: %q", s)
					}
				}
			}
			if deletes != len(c.deleted) {
				t.Errorf("dry run lists %d deletes, want %d: %q", deletes, len(c.deleted), steps)
			}
		})
	}
}
