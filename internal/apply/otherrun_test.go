package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
)

// history is a fake key secret version listing: version id → current.
type history map[string]bool

func (h history) ListSecretVersionIds(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	out := &secretsmanager.ListSecretVersionIdsOutput{NextToken: aws.String("")}
	for v, cur := range h {
		e := smtypes.SecretVersionsListEntry{VersionId: aws.String(v)}
		if cur {
			e.VersionStages = []string{"AWSCURRENT"}
		}
		out.Versions = append(out.Versions, e)
	}
	return out, nil
}

// snapshot is an account whose key secret holds the secret of stored.
func snapshot(stored string, keys ...string) *live.State {
	l := &live.State{Secrets: map[string]*live.Secret{}}
	for _, k := range keys {
		l.Keys = append(l.Keys, live.AccessKey{ID: k, Active: true, Created: time.Unix(0, 0)})
	}
	if stored != "" {
		l.Secrets[r.KeySecretName] = &live.Secret{Name: r.KeySecretName, HasValue: true, CurrentVersionID: bookkeeping.KeyVersionID(stored),
			Tags: map[string]string{bookkeeping.TagKeyID: stored}}
	}
	l.ReadBooks(time.Now())
	return l
}

// Which keys a read-back waits for rather than deletes, when another run
// may be making one (docs/reliability.md, "Concurrent runs").
func TestPendingKey(t *testing.T) {
	t.Parallel()
	v := bookkeeping.KeyVersionID
	cases := []struct {
		name    string
		start   *live.State
		now     *live.State
		created []string
		hist    history
		want    string
	}{
		{"ours stored, nothing else", snapshot(""), snapshot("A", "A"), []string{"A"}, nil, ""},
		{"theirs not stored yet", snapshot(""), snapshot("A", "A", "B"), []string{"A"}, history{v("A"): true}, "B"},
		{"theirs stored after our snapshot", snapshot(""), snapshot("A", "A", "B"), []string{"A"}, history{v("A"): false, v("B"): true}, "B"},
		{"theirs stored, then replaced by ours", snapshot(""), snapshot("A", "A", "B"), []string{"A"}, history{v("B"): false, v("A"): true}, ""},
		{"theirs is the stored one", snapshot(""), snapshot("B", "A", "B"), []string{"A"}, history{v("A"): false, v("B"): true}, ""},
		{"a crashed run's, there before us", snapshot("", "X"), snapshot("A", "A", "X"), []string{"A"}, history{v("A"): true}, ""},
		{"no snapshot of the start: never waits", nil, snapshot("A", "A", "B"), []string{"A"}, history{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Converger{Exec: &Executor{}, Start: tc.start}
			if tc.hist != nil {
				c.History = tc.hist
			}
			created := map[string]bool{}
			for _, id := range tc.created {
				created[id] = true
			}
			got, err := c.pendingKey(context.Background(), tc.now, created)
			if err != nil || got != tc.want {
				t.Errorf("pendingKey = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// A key made within a retried CreateAccessKey call of this run is its own
// (a lost response), never another run's.
func TestMadeAtCoversRetriedCalls(t *testing.T) {
	t.Parallel()
	e := &Executor{}
	at := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	e.bag.keyCalls = [][2]time.Time{{at, at.Add(3 * time.Second)}}
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{at.Add(time.Second), true},
		{at.Add(-time.Second), true}, // IAM's clock, to the second
		{at.Add(10 * time.Second), false},
	} {
		if got := e.madeAt(tc.t); got != tc.want {
			t.Errorf("madeAt(%s) = %v, want %v", tc.t.Sub(at), got, tc.want)
		}
	}
}

// withMarks is an account whose password secret carries the password
// marks of the given run tokens, each set age ago.
func withMarks(age time.Duration, tokens ...string) *live.State {
	l := snapshot("")
	tags := map[string]string{r.TagManagedBy: r.ManagedByValue}
	for _, tok := range tokens {
		tags[bookkeeping.TagPasswordPending+tok] = time.Now().Add(-age).UTC().Format(time.RFC3339)
	}
	l.Secrets[r.PasswordSecretName] = &live.Secret{Name: r.PasswordSecretName, HasValue: true, Tags: tags}
	l.ReadBooks(time.Now())
	return l
}

// A read-back waits for another run's console password change while its
// mark is younger than its lease (that run confirms the login itself); an
// older mark is a stopped run's (the plan replaces its password), and this
// run's own is never waited for.
func TestPendingPassword(t *testing.T) {
	t.Parallel()
	young, old := time.Second, 2*bookkeeping.MarkLease
	cases := []struct {
		name  string
		start *live.State
		now   *live.State
		ours  string
		want  string
	}{
		{"no mark", withMarks(0), withMarks(0), "", ""},
		{"another run's, young", withMarks(0), withMarks(young, "b"), "", bookkeeping.TagPasswordPending + "b"},
		{"another run's, young, there at the start too", withMarks(young, "b"), withMarks(young, "b"), "", bookkeeping.TagPasswordPending + "b"},
		{"a stopped run's, older than the lease", withMarks(old, "x"), withMarks(old, "x"), "", ""},
		{"ours", withMarks(0), withMarks(young, "a"), bookkeeping.TagPasswordPending + "a", ""},
		{"no password secret at the start", snapshot(""), withMarks(young, "b"), "", bookkeeping.TagPasswordPending + "b"},
		{"no snapshot of the start: never waits", nil, withMarks(young, "b"), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &Converger{Exec: &Executor{}, Start: tc.start}
			for i, m := range tc.now.Books.Marks {
				tc.now.Books.Marks[i].Own = m.Key == tc.ours // as Books.Claim flags them in a read-back
			}
			if got := c.pendingPassword(tc.now); got != tc.want {
				t.Errorf("pendingPassword = %q, want %q", got, tc.want)
			}
		})
	}
}

// The message names the key, or the console password.
func TestOtherRunErrorSaysWhat(t *testing.T) {
	t.Parallel()
	key := (&OtherRunError{KeyID: "AKIAABCDEFGHIJKLMNOP", Wait: 30 * time.Second}).Error()
	pw := (&OtherRunError{Wait: 30 * time.Second}).Error()
	for _, tc := range []struct{ msg, want string }{
		{key, "access key AKIA…MNOP appeared during this run"},
		{pw, "changing the console password"},
	} {
		if !strings.HasPrefix(tc.msg, "another run is changing this account: ") || !strings.Contains(tc.msg, tc.want) || !strings.Contains(tc.msg, "within 30s") {
			t.Errorf("%q", tc.msg)
		}
	}
}
