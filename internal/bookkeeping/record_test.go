package bookkeeping

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const keyA, keyB = "AKIAAAAAAAAAAAAAAAAA", "AKIABBBBBBBBBBBBBBBB"

func keySecret(version string, tags map[string]string) *Secret {
	return &Secret{Tags: tags, CurrentVersion: version}
}

// Which key the stored secret belongs to: by version id first (a run may
// have died before tagging), then by tag, then an untagged secret and a
// single key (the CloudFormation template's).
func TestStoredKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		key     *Secret
		keys    []string
		want    string
		wantHow How
	}{
		{"no secret", nil, []string{keyA}, "", ""},
		{"secret without a value", keySecret("", map[string]string{TagKeyID: keyA}), []string{keyA}, "", ""},
		{"by version", keySecret(KeyVersionID(keyB), map[string]string{TagKeyID: keyA}), []string{keyA, keyB}, keyB, ByVersion},
		{"by tag", keySecret("other", map[string]string{TagKeyID: keyA}), []string{keyA, keyB}, keyA, ByTag},
		{"by tag, key not listed yet", keySecret("other", map[string]string{TagKeyID: keyA}), nil, keyA, ByTag},
		{"adopted: one key", keySecret("cfn", map[string]string{}), []string{keyA}, keyA, ByAdopt},
		{"untagged, two keys: unknown", keySecret("cfn", map[string]string{}), []string{keyA, keyB}, "", ""},
	}
	for _, c := range cases {
		rec := Read(c.key, nil, nil, time.Now())
		if id, how := rec.StoredKey(c.keys); id != c.want || how != c.wantHow {
			t.Errorf("%s: StoredKey = %q %q, want %q %q", c.name, id, how, c.want, c.wantHow)
		}
	}
}

// Stores answers for one key, listed or not: the version id of a listed
// key wins over the tag.
func TestStores(t *testing.T) {
	t.Parallel()
	byVersion := Read(keySecret(KeyVersionID(keyB), map[string]string{TagKeyID: keyA}), nil, nil, time.Now())
	if !byVersion.Stores(keyB, nil) || byVersion.Stores(keyA, []string{keyA, keyB}) {
		t.Error("the version id does not decide")
	}
	byTag := Read(keySecret("restored", map[string]string{TagKeyID: keyA}), nil, nil, time.Now())
	if !byTag.Stores(keyA, nil) || byTag.Stores(keyB, []string{keyB}) {
		t.Error("the tag does not decide when the version names no key")
	}
	if (Record{}).Stores(keyA, []string{keyA}) {
		t.Error("no secret stores a key")
	}
}

// A rotation that died between storing the new key's secret and tagging
// it: the key the tag still names is kept, as the one being replaced.
func TestInterruptedStoreAndKeptKey(t *testing.T) {
	t.Parallel()
	active := func(string) bool { return true }
	interrupted := Read(keySecret(KeyVersionID(keyB), map[string]string{TagKeyID: keyA}), nil, nil, time.Now())
	if got := interrupted.InterruptedStore([]string{keyA, keyB}); got != keyA {
		t.Errorf("InterruptedStore = %q, want %q", got, keyA)
	}
	if id, was := interrupted.KeptKey([]string{keyA, keyB}, active); id != keyA || !was {
		t.Errorf("KeptKey = %q %v", id, was)
	}
	if id, _ := interrupted.KeptKey([]string{keyA, keyB}, func(string) bool { return false }); id != "" {
		t.Errorf("an inactive replaced key is kept: %q", id)
	}
	if got := interrupted.InterruptedStore([]string{keyB}); got != "" {
		t.Errorf("the tagged key is gone, yet InterruptedStore = %q", got)
	}
	recorded := Read(keySecret(KeyVersionID(keyB), map[string]string{TagKeyID: keyB, TagPreviousKeyID: keyA}), nil, nil, time.Now())
	if recorded.InterruptedStore([]string{keyA, keyB}) != "" {
		t.Error("a recorded rotation reads as interrupted")
	}
	if id, was := recorded.KeptKey([]string{keyA, keyB}, active); id != keyA || was {
		t.Errorf("KeptKey of a recorded rotation = %q %v", id, was)
	}
}

// Marks are judged in AWS's time: live within their lease (a stopped
// run's within StoppedGrace), stale after it or when unreadable.
func TestMarks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	pw := &Secret{Tags: map[string]string{
		"ManagedBy":                   "rciam",
		TagPasswordPending + "young":  at(time.Second),
		TagPasswordPending + "old":    at(MarkLease),
		TagPasswordPending + "halt1":  markStopped + " " + at(time.Second),
		TagPasswordPending + "halt2":  markStopped + " " + at(StoppedGrace),
		TagPasswordPending + "broken": "yesterday",
	}}
	rec := Read(nil, pw, nil, now)
	want := map[string]bool{"young": true, "halt1": true, "old": false, "halt2": false, "broken": false}
	if len(rec.Marks) != len(want) || !rec.Pending() {
		t.Fatalf("marks %v", rec.Marks)
	}
	for _, m := range rec.Marks {
		if tok := m.Key[len(TagPasswordPending):]; m.Live != want[tok] {
			t.Errorf("mark %s: live %v, want %v", tok, m.Live, want[tok])
		}
	}
	stale := rec.Stale()
	if !slices.Equal(stale, []string{TagPasswordPending + "broken", TagPasswordPending + "halt2", TagPasswordPending + "old"}) {
		t.Errorf("Stale = %v", stale)
	}
	if others := rec.OthersLive(); len(others) != 2 {
		t.Errorf("OthersLive = %v", others)
	}
	// This run's own live mark is redone, not waited for.
	for i := range rec.Marks {
		rec.Marks[i].Own = rec.Marks[i].Key == TagPasswordPending+"young"
	}
	if !slices.Contains(rec.Stale(), TagPasswordPending+"young") || len(rec.OthersLive()) != 1 {
		t.Errorf("own mark: stale %v, others %v", rec.Stale(), rec.OthersLive())
	}
}

// The other records read as they are tagged.
func TestReadRecord(t *testing.T) {
	t.Parallel()
	rec := Read(keySecret("v", map[string]string{TagRegion: "eu-west-1", TagCloudAccountID: "42", TagPreviousKeyID: keyA,
		TagPreviousSince: "2026-01-01T00:00:00Z", TagDeleteAfter: "2026-01-02T00:00:00Z"}), nil, map[string]string{TagRegion: "eu-west-1"}, time.Now())
	if rec.Region != "eu-west-1" || rec.UserRegion != "eu-west-1" || rec.CloudAccount != 42 || rec.Previous != keyA || rec.PreviousSince == "" || rec.DeleteAfter == "" {
		t.Errorf("record %+v", rec)
	}
	if got := StaleRotationTags(rec); len(got) != 3 {
		t.Errorf("StaleRotationTags = %v", got)
	}
	if err := rec.CheckRegion("eu-west-1"); err != nil {
		t.Errorf("CheckRegion in the recorded region: %v", err)
	}
	if err := rec.CheckRegion("us-east-1"); err == nil || !strings.Contains(err.Error(), "pass --region eu-west-1") {
		t.Errorf("CheckRegion in another region: %v", err)
	}
	if err := (Record{}).CheckRegion("us-east-1"); err != nil {
		t.Errorf("an account without the user's tag is refused: %v", err)
	}
	if bad := Read(keySecret("v", map[string]string{TagCloudAccountID: "x"}), nil, nil, time.Now()); bad.CloudAccount != 0 {
		t.Errorf("an unreadable cloud account id reads as %d", bad.CloudAccount)
	}
}

// Every key of the record starts with the bookkeeping prefix, and the key
// version id is a UUID-shaped function of the key id.
func TestTagsAndVersionIDs(t *testing.T) {
	t.Parallel()
	for _, k := range []string{TagKeyID, TagRegion, TagCloudAccountID, TagPreviousKeyID, TagPreviousSince, TagDeleteAfter, TagPasswordPending} {
		if k[:len(prefix)] != prefix {
			t.Errorf("%s lacks the prefix", k)
		}
	}
	a, b := KeyVersionID(keyA), KeyVersionID(keyB)
	if a == b || a != KeyVersionID(keyA) || len(a) != 36 || a[8] != '-' || a[13] != '-' {
		t.Errorf("version ids %s %s", a, b)
	}
}
