// Package rotate replaces redislabs-user's access key without downtime, in
// the order docs/entities.md gives ("Key rotation"): new key → secret stored (the old value
// stays as AWSPREVIOUS) → the new key works → Redis Cloud updated and
// active → old key deactivated → old key deleted (or kept inactive for a
// grace period). A failure before Redis Cloud accepted the new key rolls
// back; after it, rolls forward. Progress is recorded in the key secret's
// rciam: tags, so a run that dies anywhere is finished by the next one.
package rotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/propagation"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// IAM is the part of IAM a rotation uses.
type IAM interface {
	CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

// Secrets is the part of Secrets Manager a rotation uses: the books'
// writes, and the key secret's version history, read only when a second
// key was used (its secret's version in the history tells rciam's
// discarded key, and the creation date of the version that replaced it
// whether the key was used after that).
type Secrets interface {
	bookkeeping.Secrets
	bookkeeping.VersionLister
}

// Registrar updates the Redis Cloud cloud account (nil: not registered).
type Registrar interface {
	// Update sends the new key pair (with the other credentials) and waits
	// until the cloud account is active again.
	Update(ctx context.Context, keyID string, sec secret.Value) error
	// Holds reports whether the cloud account holds keyID now.
	Holds(ctx context.Context, keyID string) (bool, error)
}

// Rotator runs one rotation.
type Rotator struct {
	IAM     IAM
	Secrets Secrets
	// Books records the rotation on the key secret; nil: made from Secrets.
	Books *bookkeeping.Books
	Gate  propagation.Gate
	Redis Registrar
	// Grace keeps the old key inactive for this long (--grace).
	Grace time.Duration
	Now   func() time.Time
	Logf  func(format string, args ...any)
	// After, when set, is called after each step took effect (tests inject
	// failures there); an error stops the rotation as if the step failed.
	After func(step string) error
	// StoredSecret is the key secret's current value, needed to finish a
	// rotation an earlier run left before Redis Cloud was updated.
	StoredSecret *secret.Value
}

// Steps, in order; names used by After and --dry-run.
const (
	StepFinishPrevious = "finish-previous"
	StepCreateKey      = "create-key"
	StepStoreSecret    = "store-secret"
	StepKeyWorks       = "key-works"
	StepUpdateRedis    = "update-redis-cloud"
	StepMarkSwitched   = "mark-switched"
	StepDeactivateOld  = "deactivate-old-key"
	StepDeleteOld      = "delete-old-key"
)

// Result is what a rotation did (rotate-key's JSON, docs/commands.md).
type Result struct {
	OldKeyID            string
	NewKeyID            string
	CloudAccountUpdated bool
	// KeptUntil is set when --grace keeps the old key.
	KeptUntil time.Time
}

// state is what the rotation reads from the snapshot.
type state struct {
	user, previous, since, deleteAfter string
	current                            *live.AccessKey // the stored (active) key
	others                             []live.AccessKey
	versionID                          string // AWSCURRENT of the key secret at the start
	// retag: an earlier run stored the current key's secret and died
	// before tagging it; the tags must name it (and previous) first.
	retag bool
	// staleTags are bookkeeping tags of a rotation that is over, to remove
	// before anything else reads them as this rotation's.
	staleTags []string
	// stackOwned is the snapshot's live.State.StackOwned: keys a
	// CloudFormation stack owns are never deleted.
	stackOwned map[string]string
}

// ErrRefused is a rotation that must not start.
var ErrRefused = errors.New("rotation refused")

func (rt *Rotator) now() time.Time {
	if rt.Now != nil {
		return rt.Now()
	}
	return time.Now()
}

func (rt *Rotator) logf(format string, args ...any) {
	if rt.Logf != nil {
		rt.Logf(format, args...)
	}
}

func (rt *Rotator) books() *bookkeeping.Books {
	if rt.Books == nil {
		rt.Books = &bookkeeping.Books{Secrets: rt.Secrets, Logf: rt.Logf}
	}
	return rt.Books
}

func (rt *Rotator) after(step string) error {
	if rt.After != nil {
		return rt.After(step)
	}
	return nil
}

// read interprets the snapshot; it refuses what a rotation must not touch.
func read(l *live.State) (*state, error) {
	if l.User(r.UserName) == nil {
		return nil, fmt.Errorf("%w: %s does not exist: run 'rciam apply' first", ErrRefused, r.UserName)
	}
	sec := l.Secrets[r.KeySecretName]
	if !sec.Live() {
		return nil, fmt.Errorf("%w: secret %s is missing: run 'rciam apply' first", ErrRefused, r.KeySecretName)
	}
	stored, _ := l.StoredKey()
	k := l.Key(stored)
	if k == nil || !k.Active {
		return nil, fmt.Errorf("%w: the stored key is missing or inactive: run 'rciam apply' to replace it", ErrRefused)
	}
	// A stack that owns the key or its secret makes and stores the key
	// itself: rotating outside it would leave the stack describing a
	// deleted key (docs/entities.md, "Adoption").
	for _, addr := range []string{r.AccessKey(r.UserName, stored).String(), r.Addr(r.KindSecret, r.KeySecretName).String()} {
		if stack := l.StackOwned[addr]; stack != "" {
			return nil, fmt.Errorf("%w: CloudFormation stack %s owns %s: rotate the key through the stack (a new AWS::IAM::AccessKey Serial), not with rciam", ErrRefused, stack, addr)
		}
	}
	rec := l.Books
	st := &state{user: r.UserName, current: k, versionID: sec.CurrentVersionID,
		previous: rec.Previous, since: rec.PreviousSince, deleteAfter: rec.DeleteAfter,
		stackOwned: l.StackOwned}
	st.interpretBookkeeping(l)
	for _, o := range l.Keys {
		if o.ID != stored {
			st.others = append(st.others, o)
		}
	}
	return st, nil
}

// interpretBookkeeping settles which key is the previous one when the tags
// alone would mislead:
//   - the secret's version id names the stored key but the key-id tag
//     still names another existing key, and no previous key is recorded:
//     a run died between PutSecretValue and TagResource of storeSecret.
//     The tagged key is the one it replaced; as after any store, the
//     rotation goes on forward (its new key's secret is the stored one).
//   - the recorded previous key is gone (a run died between deleting it
//     and untagging) or is the stored key itself (a rollback died before
//     untagging): its rotation is over, and a leftover previous-since
//     would make this rotation's switch look done before it happened.
func (st *state) interpretBookkeeping(l *live.State) {
	stored := st.current.ID
	if tagged := l.InterruptedStore(); tagged != "" {
		st.previous, st.retag = tagged, true
	} else if st.previous == "" || st.previous == stored || l.Key(st.previous) == nil {
		st.previous = ""
	} else {
		return
	}
	st.since, st.deleteAfter = "", ""
	st.staleTags = bookkeeping.StaleRotationTags(l.Books)
}

// DryRun lists the steps Run would take, changing nothing. It reads what
// Run would read to decide (the key secret's version history, whether
// Redis Cloud holds a key), so it refuses what Run would refuse.
func (rt *Rotator) DryRun(ctx context.Context, l *live.State) ([]string, error) {
	st, err := read(l)
	if err != nil {
		return nil, err
	}
	var steps []string
	if st.previous != "" {
		if st.since == "" {
			return append(steps, "finish the rotation an earlier run left: prove "+secret.MaskKeyID(st.current.ID)+" works, update Redis Cloud if registered, then retire "+secret.MaskKeyID(st.previous)), nil
		}
		steps = append(steps, "retire the previous key "+secret.MaskKeyID(st.previous)+" (if its grace period is over and it was not used since the switch)")
	}
	h := &history{lister: rt.Secrets}
	for _, o := range st.others {
		if o.ID == st.previous {
			continue
		}
		why, err := rt.orphaned(ctx, st, o, h)
		if err != nil {
			return nil, err
		}
		steps = append(steps, "delete key "+secret.MaskKeyID(o.ID)+": "+why)
	}
	steps = append(steps,
		"create a new access key for "+st.user,
		"store its secret in "+r.KeySecretName+" (the old value stays as AWSPREVIOUS)",
		"wait until the new key works (STS GetCallerIdentity, 3 answers in a row)")
	if rt.Redis != nil {
		steps = append(steps, "update the Redis Cloud cloud account with the new key and wait until it is active")
	}
	steps = append(steps, "deactivate the old key "+secret.MaskKeyID(st.current.ID))
	if rt.Grace > 0 {
		return append(steps, fmt.Sprintf("keep it inactive for %s; a later rotate-key deletes it", rt.Grace)), nil
	}
	return append(steps, "delete the old key "+secret.MaskKeyID(st.current.ID)), nil
}
