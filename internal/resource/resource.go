// Package resource names the entities rciam manages: their addresses as
// users and scripts see them ("role/redislabs-role"), the fixed names and
// tags of docs/entities.md, and the kinds apply and destroy order by.
package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Kind is the type of an entity; its string is the address prefix.
type Kind string

const (
	KindPolicy          Kind = "policy"
	KindRole            Kind = "role"
	KindInstanceProfile Kind = "instance-profile"
	KindUser            Kind = "user"
	KindAccessKey       Kind = "access-key"
	KindLoginProfile    Kind = "login-profile"
	KindSecret          Kind = "secret"
)

// Address identifies one entity: Kind plus name. Access keys are named
// "<user>/<key id>" and login profiles by their user.
type Address struct {
	Kind Kind
	Name string
}

func (a Address) String() string { return string(a.Kind) + "/" + a.Name }

// Addr builds an Address.
func Addr(k Kind, name string) Address { return Address{Kind: k, Name: name} }

// AccessKey is the address of one access key of user.
func AccessKey(user, id string) Address { return Address{Kind: KindAccessKey, Name: user + "/" + id} }

// Entity names (docs/entities.md).
const (
	InstancePolicyName = "RedisLabsInstanceRolePolicy"
	UserPolicyName     = "RedislabsIAMUserRestrictedPolicy"
	NodeRoleName       = "redislabs-cluster-node-role"
	ProfileName        = "redislabs-cluster-node-role"
	UserName           = "redislabs-user"
	ConsoleRoleName    = "redislabs-role"
	KeySecretName      = "/redislabsuser/secret_access_key"
	PasswordSecretName = "/redislabsuser/password"

	// RedisCloudAccountID is Redis Cloud's own AWS account, the only
	// principal redislabs-role trusts.
	RedisCloudAccountID = "168085023892"
)

// Tags rciam sets, and its bookkeeping tags on the key secret.
const (
	TagUsedBy      = "UsedBy"
	UsedByValue    = "RedisLabs"
	TagManagedBy   = "ManagedBy"
	ManagedByValue = "rciam"

	// TagKeyID records which access key the stored secret belongs to.
	TagKeyID = "rciam:access-key-id"
	// TagPreviousKeyID records the key a rotation replaced while it is kept
	// (inactive during --grace, or until Redis Cloud has switched).
	TagPreviousKeyID = "rciam:previous-access-key-id"
	// TagPreviousSince is when the previous key was deactivated (RFC 3339).
	TagPreviousSince = "rciam:previous-since"
	// TagRegion records the region the secrets were written in.
	TagRegion = "rciam:region"
	// TagCloudAccountID records the Redis Cloud cloud account id.
	TagCloudAccountID = "rciam:cloud-account-id"
	// TagPasswordPending starts the key of a tag a run puts on the password
	// secret (TagPasswordPending + a token of the run, value the RFC 3339
	// time it was set) before it overwrites a stored password or changes
	// an existing login's, and removes once it has confirmed that the login
	// holds the stored password. A mark older than MarkLease is a stopped
	// run's: its password may not be the login's, and the next plan sets a
	// new one.
	TagPasswordPending = "rciam:password-pending:"
)

// MarkLease is how long a TagPasswordPending mark counts as a live run's:
// far longer than a run holds one (a few requests), short enough that the
// next apply after a crash finishes the job soon.
const MarkLease = 20 * time.Second

// MarkStopped starts the value of the mark of a run that stopped before it
// confirmed the login ("stopped <RFC 3339 time>"): stale after
// StoppedGrace, the time a request the run sent before it stopped may
// still take to land.
const MarkStopped = "stopped"

// StoppedGrace is how long a stopped run's mark still counts as live.
const StoppedGrace = 5 * time.Second

// StaleMarks splits the TagPasswordPending marks in tags into those older
// than MarkLease at now (or unreadable): stopped runs' — and the young
// ones, of runs that may still be going.
func StaleMarks(tags map[string]string, now time.Time) (stale, young []string) {
	for _, k := range PasswordPending(tags) {
		v, lease := tags[k], MarkLease
		if rest, ok := strings.CutPrefix(v, MarkStopped+" "); ok {
			v, lease = rest, StoppedGrace
		}
		at, err := time.Parse(time.RFC3339, v)
		if err != nil || now.Sub(at) >= lease {
			stale = append(stale, k)
		} else {
			young = append(young, k)
		}
	}
	return stale, young
}

// PasswordPending returns the keys of the TagPasswordPending tags in tags,
// sorted.
func PasswordPending(tags map[string]string) []string {
	var keys []string
	for k := range tags {
		if strings.HasPrefix(k, TagPasswordPending) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// BookkeepingPrefix starts every tag key of rciam's own bookkeeping.
const BookkeepingPrefix = "rciam:"

// SameName reports whether two IAM names denote the same entity: IAM names
// are unique case-insensitively.
func SameName(a, b string) bool { return strings.EqualFold(a, b) }

// KeyVersionID is the Secrets Manager version id (ClientRequestToken) under
// which rciam stores the secret of access key keyID. Because the version id
// is written atomically with the value, the key a stored secret belongs to
// can be recognised even when a run died before it could update the
// TagKeyID tag; and a retried write of the same key is idempotent.
func KeyVersionID(keyID string) string {
	sum := sha256.Sum256([]byte("rciam:" + keyID))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
