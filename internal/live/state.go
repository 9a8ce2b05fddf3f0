// Package live reads what an AWS account holds of rciam's entities — and
// what else touches them (groups, inline and foreign policies, boundaries) —
// in as few dependent rounds as the API allows, into a State that plan and
// verify compare with the desired set. It never writes.
package live

import (
	"fmt"
	"strings"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	r "github.com/rciam/rciam/internal/resource"
)

// ClockSlack is the clock difference State.ClockOffset ignores.
const ClockSlack = 2 * time.Second

// State is a snapshot of the account. Maps are keyed by lower-case name
// (IAM names are unique case-insensitively); a missing key means the entity
// does not exist.
type State struct {
	AccountID string
	CallerARN string
	Partition string
	// ClockOffset is AWS's clock minus this machine's, from the Date of the
	// caller identity answer; 0 when unknown or within ClockSlack (the
	// Date header has whole seconds). Password marks are dated and judged
	// in AWS's time, so runs on machines with skewed clocks agree.
	ClockOffset time.Duration
	Region      string

	Policies map[string]*Policy
	Roles    map[string]*Role
	Users    map[string]*User
	Groups   map[string]*Group
	Profiles map[string]*Profile

	// Keys are the access keys of redislabs-user (nil when it is absent).
	Keys []AccessKey
	// LoginProfile is redislabs-user's console login, nil when absent.
	LoginProfile *LoginProfile
	// Secrets are rciam's two secrets, by exact name.
	Secrets map[string]*Secret
	// PasswordPolicy is the account password policy, nil when none is set.
	PasswordPolicy *PasswordPolicy
	// Books is rciam's bookkeeping, read from the two secrets (ReadBooks).
	Books bookkeeping.Record
	// StackOwned maps an address string ("role/redislabs-role") to the
	// CloudFormation stack that owns the entity.
	StackOwned map[string]string
	// Notes say what could not be read and was assumed instead (e.g. no
	// CloudFormation at the endpoint: no stacks); the CLI prints them
	// under -v.
	Notes []string
}

// Policy is a managed policy.
type Policy struct {
	Name, ARN, Path, Description string
	DefaultVersionID             string
	Document                     []byte // default version, URL-decoded
	Versions                     []PolicyVersion
	AttachmentCount              int
	Tags                         map[string]string
	TagsKnown                    bool // false when the tags could not be read
	AWSManaged                   bool
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID        string
	IsDefault bool
	Created   time.Time
	Document  []byte
}

// Role is an IAM role.
type Role struct {
	Name, ARN, Path  string
	Trust            []byte
	AttachedPolicies []string          // ARNs
	InlinePolicies   map[string][]byte // name → document
	Boundary         string            // ARN, "" when none
	Tags             map[string]string
}

// User is an IAM user.
type User struct {
	Name, ARN, Path  string
	AttachedPolicies []string
	InlinePolicies   map[string][]byte
	Groups           []string
	Boundary         string
	Tags             map[string]string
}

// Group is an IAM group (its policies apply to its members).
type Group struct {
	Name, ARN        string
	AttachedPolicies []string
	InlinePolicies   map[string][]byte
}

// Profile is an instance profile.
type Profile struct {
	Name, ARN string
	Roles     []string
	Tags      map[string]string
}

// AccessKey is one access key's metadata.
type AccessKey struct {
	ID      string
	Active  bool
	Created time.Time
	// LastUsed is read only for keys the stored secret does not belong to
	// (LastUsedRead): a key never used since its creation cannot be in use
	// by Redis Cloud or anyone else.
	LastUsed     *time.Time
	LastUsedRead bool
}

// LoginProfile is a user's console password setting.
type LoginProfile struct {
	Created               time.Time
	PasswordResetRequired bool
}

// Secret is a Secrets Manager secret's metadata (never its value).
type Secret struct {
	Name, ARN, Description string
	Tags                   map[string]string
	// Deleted is set when the secret is scheduled for deletion.
	Deleted *time.Time
	// CurrentVersionID is the version labelled AWSCURRENT.
	CurrentVersionID string
	HasValue         bool
	// RotationEnabled is set when Secrets Manager rotates the secret on a
	// schedule, which must stay off (AutoRotationWarning).
	RotationEnabled bool
}

// AutoRotationWarning says why a secret rciam manages must not be rotated
// by Secrets Manager, and how to turn that off: a rotation function
// replaces the value behind Redis Cloud's back (and rciam's records of
// which key the secret holds).
func AutoRotationWarning(name string) string {
	return fmt.Sprintf("Secrets Manager rotates %s automatically, which replaces the value Redis Cloud uses without telling it: "+
		"turn it off with 'aws secretsmanager cancel-rotate-secret --secret-id %s' and rotate with 'rciam rotate-key'", name, name)
}

// PasswordPolicy is the part of the account password policy the generated
// console password must satisfy.
type PasswordPolicy struct {
	MinLength                                  int
	RequireLower, RequireUpper, RequireNumbers bool
	RequireSymbols                             bool
	MaxAgeDays                                 int
	HardExpiry                                 bool
}

func key(name string) string { return strings.ToLower(name) }

// Policy returns the managed policy called name, or nil.
func (s *State) Policy(name string) *Policy { return s.Policies[key(name)] }

// Role returns the role called name, or nil.
func (s *State) Role(name string) *Role { return s.Roles[key(name)] }

// User returns the user called name, or nil.
func (s *State) User(name string) *User { return s.Users[key(name)] }

// Profile returns the instance profile called name, or nil.
func (s *State) Profile(name string) *Profile { return s.Profiles[key(name)] }

// PolicyByARN returns a managed policy by ARN, or nil.
func (s *State) PolicyByARN(arn string) *Policy {
	for _, p := range s.Policies {
		if p.ARN == arn {
			return p
		}
	}
	return nil
}

// Key returns the access key with id, or nil.
func (s *State) Key(id string) *AccessKey {
	for i := range s.Keys {
		if s.Keys[i].ID == id {
			return &s.Keys[i]
		}
	}
	return nil
}

// Live reports whether the secret exists and is not scheduled for deletion.
func (s *Secret) Live() bool { return s != nil && s.Deleted == nil }

// KeyIDs returns the ids of redislabs-user's access keys.
func (s *State) KeyIDs() []string {
	ids := make([]string, len(s.Keys))
	for i := range s.Keys {
		// Only the id: the read's last round may still be filling in
		// other fields of the keys (LastUsed) while verify proves the key.
		ids[i] = s.Keys[i].ID
	}
	return ids
}

// StoredKey returns the id of the access key whose secret is stored in the
// key secret, and how that was established ("" when none can be told): see
// bookkeeping.Record.StoredKey. A secret scheduled for deletion still
// counts: restoring it brings the value back.
func (s *State) StoredKey() (string, bookkeeping.How) { return s.Books.StoredKey(s.KeyIDs()) }

// InterruptedStore returns the key a rotation was replacing when it died
// between storing the new key's secret and recording it ("" when none).
func (s *State) InterruptedStore() string { return s.Books.InterruptedStore(s.KeyIDs()) }

// ReadBooks reads the bookkeeping record from the snapshot's two secrets
// and redislabs-user,
// judging the password marks' age at now (AWS's time). The reader does
// this itself; snapshots made by hand call it once their secrets are set.
func (s *State) ReadBooks(now time.Time) {
	view := func(name string) *bookkeeping.Secret {
		sec := s.Secrets[name]
		if sec == nil {
			return nil
		}
		v := &bookkeeping.Secret{Tags: sec.Tags}
		if sec.HasValue {
			v.CurrentVersion = sec.CurrentVersionID
		}
		return v
	}
	var userTags map[string]string
	if u := s.User(r.UserName); u != nil {
		userTags = u.Tags
	}
	s.Books = bookkeeping.Read(view(r.KeySecretName), view(r.PasswordSecretName), userTags, now)
}
