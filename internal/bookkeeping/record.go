package bookkeeping

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The tags of the record (see the package documentation). Every key starts
// with prefix; nothing else rciam writes does.
const (
	prefix = "rciam:"

	// TagKeyID names the access key the stored secret belongs to.
	TagKeyID = prefix + "access-key-id"
	// TagRegion names the region the two secrets were written in; it is on
	// the key secret and on redislabs-user (IAM is global: a run in any
	// region reads it there).
	TagRegion = prefix + "region"
	// TagCloudAccountID is the Redis Cloud cloud account id.
	TagCloudAccountID = prefix + "cloud-account-id"
	// TagPreviousKeyID names the key a rotation keeps beside the stored one.
	TagPreviousKeyID = prefix + "previous-access-key-id"
	// TagPreviousSince is when Redis Cloud was moved off the previous key.
	TagPreviousSince = prefix + "previous-since"
	// TagDeleteAfter is, with --grace, when the previous key may go.
	TagDeleteAfter = prefix + "previous-delete-after"
	// TagPasswordPending starts the key of a password mark.
	TagPasswordPending = prefix + "password-pending:"
)

// rotationTags are the tags a rotation keeps while it is under way.
var rotationTags = []string{TagPreviousKeyID, TagPreviousSince, TagDeleteAfter}

// MarkLease is how long a password mark counts as a live run's: far longer
// than a run holds one (a few requests), short enough that the next apply
// after a crash finishes the job soon.
const MarkLease = 20 * time.Second

// StoppedGrace is how long the mark of a run that stopped still counts as
// live: the time a request it sent before it stopped may take to land.
const StoppedGrace = 5 * time.Second

// MarkFence is how long before its lease ends a mark stops covering
// writes: a request sent then may still land after the lease.
const MarkFence = 5 * time.Second

// markStopped starts the value of a stopped run's mark ("stopped <time>").
const markStopped = "stopped"

// KeyVersionID is the Secrets Manager version id (ClientRequestToken) under
// which the secret of access key keyID is stored. The version id is written
// atomically with the value, so the key a stored secret belongs to is known
// even when a run died before it could tag it, and a retried write of the
// same key is idempotent.
func KeyVersionID(keyID string) string {
	sum := sha256.Sum256([]byte(prefix + keyID))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Secret is what the record is read from: one secret's tags and the
// version that holds AWSCURRENT ("" when it holds no value). A nil
// *Secret is a secret that does not exist.
type Secret struct {
	Tags           map[string]string
	CurrentVersion string
}

// Record is the bookkeeping of one account as read. The zero Record is an
// account with no bookkeeping at all.
type Record struct {
	// KeySecretVersion is the key secret's current version id; "" when it
	// holds no value (or does not exist).
	KeySecretVersion string
	// KeyID is rciam:access-key-id as tagged.
	KeyID string
	// Region is rciam:region on the key secret.
	Region string
	// UserRegion is rciam:region on redislabs-user: where the secrets are,
	// readable from any region.
	UserRegion string
	// CloudAccount is rciam:cloud-account-id; 0 when none (or unreadable).
	CloudAccount int
	// Previous, PreviousSince and DeleteAfter are a rotation's tags, as
	// tagged (times in RFC 3339).
	Previous, PreviousSince, DeleteAfter string
	// Marks are the password marks on the password secret, sorted by key.
	Marks []Mark
}

// Mark is one password mark.
type Mark struct {
	Key   string // the tag key: TagPasswordPending + the run's token
	Value string // the time it was put, or "stopped <time>"
	// Live: its run may still be going (younger than its lease when read).
	Live bool
	// Own: this run put it (Books.Claim).
	Own bool
}

// Read reads the record from the key secret and the password secret (nil
// when absent) and redislabs-user's tags (nil when it is absent), judging
// the marks' age at now, in AWS's time.
func Read(key, password *Secret, userTags map[string]string, now time.Time) Record {
	rec := Record{UserRegion: userTags[TagRegion]}
	if key != nil {
		rec.KeySecretVersion = key.CurrentVersion
		t := key.Tags
		rec.KeyID, rec.Region = t[TagKeyID], t[TagRegion]
		rec.CloudAccount, _ = strconv.Atoi(t[TagCloudAccountID])
		rec.Previous, rec.PreviousSince, rec.DeleteAfter = t[TagPreviousKeyID], t[TagPreviousSince], t[TagDeleteAfter]
	}
	if password != nil {
		for k, v := range password.Tags {
			if strings.HasPrefix(k, TagPasswordPending) {
				rec.Marks = append(rec.Marks, Mark{Key: k, Value: v, Live: markLive(v, now)})
			}
		}
		slices.SortFunc(rec.Marks, func(a, b Mark) int { return strings.Compare(a.Key, b.Key) })
	}
	return rec
}

// markLive reports whether a mark valued v is younger than its lease at
// now. An unreadable value is a stopped run's.
func markLive(v string, now time.Time) bool {
	lease := MarkLease
	if rest, ok := strings.CutPrefix(v, markStopped+" "); ok {
		v, lease = rest, StoppedGrace
	}
	at, err := time.Parse(time.RFC3339, v)
	return err == nil && now.Sub(at) < lease
}

// How tells how the stored secret was tied to a key (StoredKey).
type How string

const (
	ByVersion How = "version" // the key secret's current version id is KeyVersionID(key)
	ByTag     How = "tag"     // rciam:access-key-id
	ByAdopt   How = "adopt"   // a secret rciam did not write and a single key
)

// StoredKey returns the key, among keys (the user's key ids), whose secret
// the key secret holds, and how that was established; "" when no secret is
// stored or it cannot be tied to a key. The tag may name a key not in keys
// (listed late, or deleted).
func (rec Record) StoredKey(keys []string) (id string, how How) {
	if rec.KeySecretVersion == "" {
		return "", ""
	}
	for _, k := range keys {
		if rec.KeySecretVersion == KeyVersionID(k) {
			return k, ByVersion
		}
	}
	if rec.KeyID != "" {
		return rec.KeyID, ByTag
	}
	if len(keys) == 1 {
		return keys[0], ByAdopt
	}
	return "", ""
}

// Stores reports whether the stored secret is key id's, by its version id
// or, unless the version is a listed key's, its tag. Unlike StoredKey it
// needs id to be listed in keys only for the tag.
func (rec Record) Stores(id string, keys []string) bool {
	if rec.KeySecretVersion == "" {
		return false
	}
	if rec.KeySecretVersion == KeyVersionID(id) {
		return true
	}
	for _, k := range keys {
		if rec.KeySecretVersion == KeyVersionID(k) {
			return false
		}
	}
	return rec.KeyID == id
}

// InterruptedStore returns the key a rotation was replacing when it died
// between storing the new key's secret and recording it: the version id
// names the stored key, no previous key is recorded, and the key-id tag
// still names another key in keys. "" otherwise.
func (rec Record) InterruptedStore(keys []string) string {
	stored, how := rec.StoredKey(keys)
	if how != ByVersion || rec.Previous != "" {
		return ""
	}
	if rec.KeyID != "" && rec.KeyID != stored && slices.Contains(keys, rec.KeyID) {
		return rec.KeyID
	}
	return ""
}

// KeptKey returns the key kept beside the stored one, which plan never
// deletes: the previous key the record names, or — when a rotation died
// between storing and recording (InterruptedStore) — the key it was
// replacing, if active (interrupted; an inactive one nobody can use).
func (rec Record) KeptKey(keys []string, active func(id string) bool) (id string, interrupted bool) {
	if rec.Previous != "" {
		return rec.Previous, false
	}
	if k := rec.InterruptedStore(keys); k != "" && active(k) {
		return k, true
	}
	return "", false
}

// KeySecretTags are the bookkeeping tags the key secret must carry for key
// keyID ("" when the key is not made yet) in region, with previous (when
// set) the key kept beside it.
func KeySecretTags(region, keyID, previous string) map[string]string {
	t := map[string]string{TagRegion: region}
	if keyID != "" {
		t[TagKeyID] = keyID
	}
	if previous != "" {
		t[TagPreviousKeyID] = previous
	}
	return t
}

// UserTags are the bookkeeping tags redislabs-user must carry when the
// secrets are in region.
func UserTags(region string) map[string]string { return map[string]string{TagRegion: region} }

// WrongRegionError stops a command run in another region than the one the
// account's secrets are in: it would build (or look for) a second pair.
type WrongRegionError struct{ Recorded, Region string }

func (e *WrongRegionError) Error() string {
	return fmt.Sprintf("rciam set this account up in region %s (redislabs-user's tag %s), and this run uses %s: pass --region %s (or run 'rciam destroy --region %s' first, then apply here, to move it)",
		e.Recorded, TagRegion, e.Region, e.Recorded, e.Recorded)
}

// CheckRegion refuses region when the record places the secrets in
// another one. An account without the user's tag (template-made) is
// judged by its secrets alone.
func (rec Record) CheckRegion(region string) error {
	if rec.UserRegion != "" && rec.UserRegion != region {
		return &WrongRegionError{Recorded: rec.UserRegion, Region: region}
	}
	return nil
}

// Pending reports whether a password mark is present: a run is changing
// the console password, or stopped while changing it, so the stored one
// may not be the login's.
func (rec Record) Pending() bool { return len(rec.Marks) > 0 }

// MarkKeys returns every mark's key.
func (rec Record) MarkKeys() []string {
	keys := make([]string, len(rec.Marks))
	for i, m := range rec.Marks {
		keys[i] = m.Key
	}
	return keys
}

// Stale returns the marks the next password change removes: stopped runs'
// (no longer live) and this run's own unconfirmed ones (it redoes the
// change).
func (rec Record) Stale() []string {
	var out []string
	for _, m := range rec.Marks {
		if !m.Live || m.Own {
			out = append(out, m.Key)
		}
	}
	return out
}

// OthersLive returns the marks of other runs that may still be going:
// each confirms the login itself, so this run leaves them alone.
func (rec Record) OthersLive() []Mark {
	var out []Mark
	for _, m := range rec.Marks {
		if m.Live && !m.Own {
			out = append(out, m)
		}
	}
	return out
}
