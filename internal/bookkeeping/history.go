package bookkeeping

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/awsclient"
	r "github.com/rciam/rciam/internal/resource"
)

// VersionLister is the part of Secrets Manager that lists the versions a
// secret has held.
type VersionLister interface {
	ListSecretVersionIds(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
}

// maxVersionPages bounds a listing: more than a thousand versions means the
// secret is not just rciam's.
const maxVersionPages = 10

// UsedAfterReplaceMargin is how long after the version that replaced a
// key's secret a recorded use of that key still counts as before the
// replacement: IAM records last use late and coarsely (a use just before
// the replacement, such as rotate-key's own check that the new key works,
// may be stamped a little after it).
const UsedAfterReplaceMargin = time.Minute

// History is every version the key secret has held, deprecated ones
// included: it tells a key whose secret rciam stored and then replaced (a
// discarded key) from one whose secret it never stored.
type History struct {
	versions map[string]version // by version id
	// truncated: the listing stopped after maxVersionPages pages.
	truncated bool
}

type version struct {
	current bool       // holds AWSCURRENT
	created *time.Time // CreatedDate; nil when not given
}

// ReadHistory lists the key secret's versions; an empty History when the
// secret does not exist.
func ReadHistory(ctx context.Context, sm VersionLister) (*History, error) {
	h := &History{versions: map[string]version{}}
	in := &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(r.KeySecretName), IncludeDeprecated: aws.Bool(true)}
	for range maxVersionPages {
		page, err := sm.ListSecretVersionIds(ctx, in)
		if awsclient.IsNotFound(err) {
			return h, nil
		}
		if err != nil {
			return nil, awsclient.Wrap("list versions of secret "+r.KeySecretName+" (secretsmanager:ListSecretVersionIds)", err)
		}
		for _, v := range page.Versions {
			h.versions[aws.ToString(v.VersionId)] = version{current: slices.Contains(v.VersionStages, "AWSCURRENT"), created: v.CreatedDate}
		}
		if aws.ToString(page.NextToken) == "" { // moto answers "" for "no more"
			return h, nil
		}
		in.NextToken = page.NextToken
	}
	h.truncated = true
	return h, nil
}

// Stored reports whether key keyID's secret was ever stored, and whether
// it is the current value.
func (h *History) Stored(keyID string) (stored, current bool) {
	v, ok := h.versions[KeyVersionID(keyID)]
	return ok, v.current
}

// ReplacedAt is when key keyID's stored secret was replaced: the creation
// date of the earliest other version created no earlier than its own (a
// version stamped the same instant counts: its date is no later than the
// real replacement's, so the bound only gets stricter). known is false when
// that cannot be told: a date is missing, the listing was cut short, or no
// version came after it (AWSCURRENT was moved back to an older one).
func (h *History) ReplacedAt(keyID string) (at time.Time, known bool) {
	id := KeyVersionID(keyID)
	own, ok := h.versions[id]
	if !ok || own.created == nil || h.truncated {
		return time.Time{}, false
	}
	for vid, v := range h.versions {
		if vid == id {
			continue
		}
		if v.created == nil {
			return time.Time{}, false
		}
		if !v.created.Before(*own.created) && (!known || v.created.Before(at)) {
			at, known = *v.created, true
		}
	}
	return at, known
}
