package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Region is the region every test account uses.
const Region = "us-east-1"

// Account is an isolated AWS account inside moto, reached with the
// credentials of an administrator user created in it: moto maps an access
// key to the account that issued it, so every call signed with these
// credentials (from the SDK or from the rciam binary) lands in this account.
type Account struct {
	ID              string
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is set for an account reached through an assumed role.
	SessionToken string
	Endpoint     string
	// AdminRole is the role the account is administered through (member
	// accounts of an Organization); "" for the rciam-admin user.
	AdminRole string
}

// NewAccount creates a fresh account with an administrator user "rciam-admin"
// whose inline policy allows everything (so it keeps working while moto's
// auth enforcement is on).
func (m *Moto) NewAccount() (*Account, error) {
	ctx, cancel := waitCtx()
	defer cancel()
	m.auth.Lock()
	defer m.auth.Unlock()
	id := nextAccountID()
	cfg := aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIABOOTSTRAP0000000", "bootstrap", ""),
		BaseEndpoint: aws.String(m.URL),
		APIOptions:   []func(*middleware.Stack) error{accountHeader(id)},
	}
	c := iam.NewFromConfig(cfg)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("rciam-admin")}); err != nil {
		return nil, fmt.Errorf("create admin user in %s: %w", id, err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName:       aws.String("rciam-admin"),
		PolicyName:     aws.String("admin"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
	}); err != nil {
		return nil, fmt.Errorf("admin policy in %s: %w", id, err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("rciam-admin")})
	if err != nil {
		return nil, fmt.Errorf("admin key in %s: %w", id, err)
	}
	return &Account{
		ID:              id,
		AccessKeyID:     aws.ToString(key.AccessKey.AccessKeyId),
		SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey),
		Endpoint:        m.URL,
	}, nil
}

// Config returns an SDK config for the account's administrator, with the
// SDK's default retryer.
func (a *Account) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(a.AccessKeyID, a.SecretAccessKey, a.SessionToken),
		BaseEndpoint: aws.String(a.Endpoint),
	}
}

// ConfigFor returns an SDK config signed with another key pair, against
// the same endpoint (e.g. to prove a created access key works).
func (a *Account) ConfigFor(keyID, secret string) aws.Config {
	cfg := a.Config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(keyID, secret, "")
	return cfg
}

// Env returns the environment a child rciam process needs to act as the
// account's administrator against moto, with no shared config files read.
func (a *Account) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + a.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + a.SecretAccessKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL=" + a.Endpoint,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_DEFAULT_REGION=" + Region,
	}
}

func accountHeader(id string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("MotoAccount", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set("x-moto-account-id", id)
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

// RunWithMoto is TestMain's body for packages with integration tests: it
// starts moto_server, runs the tests and stops it. When moto_server is
// missing, integration tests are skipped — except under CI=true, where that
// is a failure.
func RunWithMoto(m *testing.M, dst **Moto) int {
	moto, err := StartMoto()
	switch {
	case err == ErrNoMoto && os.Getenv("CI") != "true":
		fmt.Fprintln(os.Stderr, "testenv: moto_server not found; integration tests will be skipped")
	case err != nil:
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	*dst = moto
	code := m.Run()
	moto.Stop()
	return code
}

// NeedMoto skips t when no moto_server runs (RunWithMoto already failed the
// run for that under CI=true) and returns a fresh account.
func NeedMoto(t testing.TB, m *Moto) *Account {
	t.Helper()
	if m == nil {
		t.Skip("moto_server not available")
	}
	acct, err := m.NewAccount()
	if err != nil {
		t.Fatal(err)
	}
	return acct
}
