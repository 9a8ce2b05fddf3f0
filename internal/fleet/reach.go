package fleet

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rciam/rciam/internal/awsclient"
)

// SessionName is the role session name of every assumed role: CloudTrail
// shows "rciam" as who acted in the account.
const SessionName = "rciam"

// Reach says how a fleet run gets into its accounts: the caller's own
// account with the caller's credentials, every other by assuming Role
// there (with ExternalID when set).
type Reach struct {
	Caller        aws.Config
	CallerAccount string
	Partition     string
	Role          string
	ExternalID    string
}

// RoleARN is the role assumed in account.
func (r Reach) RoleARN(account string) string {
	return "arn:" + r.Partition + ":iam::" + account + ":role/" + r.Role
}

// Credentials returns the credentials for m (nil: the caller's own), after
// checking that they can be had: a role that cannot be assumed is that
// account's error, in one line.
func (r Reach) Credentials(ctx context.Context, m Member) (aws.CredentialsProvider, error) {
	if m.ID == r.CallerAccount {
		return nil, nil
	}
	arn := r.RoleARN(m.ID)
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(r.Caller), arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName
		if r.ExternalID != "" {
			o.ExternalID = aws.String(r.ExternalID)
		}
	}))
	if _, err := p.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("cannot assume %s: %s (the role must exist in the account and trust the caller: see --assume-role and --external-id)", arn, awsclient.Short(err))
	}
	return p, nil
}
