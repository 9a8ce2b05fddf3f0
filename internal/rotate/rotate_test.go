package rotate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
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
			l:       snapshot(r.KeyVersionID(keyA), map[string]string{r.TagKeyID: keyA}, keyA),
			current: keyA},
		{name: "killed between PutSecretValue and TagResource",
			l:       snapshot(r.KeyVersionID(keyB), map[string]string{r.TagKeyID: keyA}, keyA, keyB),
			current: keyB, previous: keyA, retag: true},
		{name: "same, with a previous-since left by an earlier rotation",
			l:       snapshot(r.KeyVersionID(keyB), map[string]string{r.TagKeyID: keyA, r.TagPreviousSince: since}, keyA, keyB),
			current: keyB, previous: keyA, retag: true, stale: []string{r.TagPreviousSince}},
		{name: "stored and tagged, Redis Cloud not switched",
			l:       snapshot(r.KeyVersionID(keyB), map[string]string{r.TagKeyID: keyB, r.TagPreviousKeyID: keyA}, keyA, keyB),
			current: keyB, previous: keyA},
		{name: "previous key deleted, its tags not removed",
			l:       snapshot(r.KeyVersionID(keyB), map[string]string{r.TagKeyID: keyB, r.TagPreviousKeyID: keyA, r.TagPreviousSince: since}, keyB),
			current: keyB, stale: []string{r.TagPreviousKeyID, r.TagPreviousSince}},
		{name: "rollback killed after restoring the secret",
			l:       snapshot("restored-version", map[string]string{r.TagKeyID: keyA, r.TagPreviousKeyID: keyA}, keyA, keyB),
			current: keyA, stale: []string{r.TagPreviousKeyID}},
		{name: "tag-only secret: the other key is not taken for the previous one",
			l:       snapshot("adopted-version", map[string]string{r.TagKeyID: keyA}, keyA, keyB),
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

// --dry-run says an interrupted store is finished, not refused.
func TestDryRunAfterInterruptedStore(t *testing.T) {
	l := snapshot(r.KeyVersionID(keyB), map[string]string{r.TagKeyID: keyA}, keyA, keyB)
	steps, err := (&Rotator{}).DryRun(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || !strings.Contains(steps[0], "finish the rotation an earlier run left") {
		t.Errorf("steps %q", steps)
	}
}
