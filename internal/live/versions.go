package live

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/awsclient"
)

// SecretVersion is one version a secret has held.
type SecretVersion struct {
	Current bool       // holds AWSCURRENT
	Created *time.Time // CreatedDate; nil when not given
}

// VersionLister is the part of Secrets Manager that lists the versions a
// secret has held.
type VersionLister interface {
	ListSecretVersionIds(context.Context, *secretsmanager.ListSecretVersionIdsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
}

// maxVersionPages bounds a listing: more than a thousand versions means the
// secret is not just rciam's.
const maxVersionPages = 10

// SecretVersions returns every version secret name has held, deprecated
// ones included, by version id; none when the secret does not exist.
// truncated: the listing stopped after maxVersionPages pages.
func SecretVersions(ctx context.Context, sm VersionLister, name string) (versions map[string]SecretVersion, truncated bool, err error) {
	out := map[string]SecretVersion{}
	in := &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(name), IncludeDeprecated: aws.Bool(true)}
	for range maxVersionPages {
		page, err := sm.ListSecretVersionIds(ctx, in)
		if awsclient.IsNotFound(err) {
			return out, false, nil
		}
		if err != nil {
			return nil, false, awsclient.Wrap("list versions of secret "+name+" (secretsmanager:ListSecretVersionIds)", err)
		}
		for _, v := range page.Versions {
			out[aws.ToString(v.VersionId)] = SecretVersion{Current: slices.Contains(v.VersionStages, "AWSCURRENT"), Created: v.CreatedDate}
		}
		if aws.ToString(page.NextToken) == "" { // moto answers "" for "no more"
			return out, false, nil
		}
		in.NextToken = page.NextToken
	}
	return out, true, nil
}
