// Package account runs rciam's commands against one AWS account. A Target
// is one account's clients and settings; each command is one method —
// Plan, Prepare and Apply, Verify, Outputs, Register, RotateKey,
// PrepareDestroy and Destroy — that takes the command's options and
// returns its result for a view to print. It knows nothing of flags,
// terminals or exit codes: internal/cli builds the Target of a run and
// renders what comes back, and a run over many accounts makes one Target
// per account and calls the same methods.
package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/organization"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/propagation"
	"github.com/rciam/rciam/internal/rediscloud"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// Target is one AWS account as one command run sees it.
type Target struct {
	Config         aws.Config
	IAM            *iam.Client
	STS            *sts.Client
	Secrets        *secretsmanager.Client
	CloudFormation *cloudformation.Client

	// AllowRoot lets the account's root credentials run (--allow-root).
	AllowRoot bool
	// RedisCloud makes the Redis Cloud API client, checking its keys; nil
	// when no command of this run needs it. Called before anything changes.
	RedisCloud func() (*rediscloud.Client, error)
	// Logf receives progress lines (-v); never a secret. Nil: discarded.
	Logf func(format string, args ...any)
	// Notef receives the lines a person must see on stderr whatever -v
	// says (warnings, notes), one line each; never a secret. Nil: discarded.
	Notef func(format string, args ...any)
	// GateInterval paces the wait for a new key to work (tests: shorter).
	GateInterval time.Duration
	// RotateAfter, when set, is called after each rotate-key step (tests
	// inject failures there).
	RotateAfter func(step string) error
	// Organization reads the organization's guardrails with the caller's
	// credentials (verify); nil: not consulted.
	Organization *organization.Reader
	// ExpectAccount, when set, is the account the credentials must reach
	// (a fleet run's target, after assuming a role into it).
	ExpectAccount string
}

// New returns the Target of the account cfg reaches.
func New(cfg aws.Config) *Target {
	return &Target{Config: cfg, IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg),
		Secrets: secretsmanager.NewFromConfig(cfg), CloudFormation: cloudformation.NewFromConfig(cfg)}
}

func (t *Target) logf(format string, args ...any) {
	if t.Logf != nil {
		t.Logf(format, args...)
	}
}

func (t *Target) notef(format string, args ...any) {
	if t.Notef != nil {
		t.Notef(format, args...)
	}
}

func (t *Target) reader(awsManaged bool) *live.Reader {
	return &live.Reader{IAM: t.IAM, STS: t.STS, Secrets: t.Secrets, CloudFormation: t.CloudFormation, Region: t.Config.Region, AWSManaged: awsManaged}
}

// rereader reads an account already read once (apply's read-back): the
// policy tags come in the first round, and what apply cannot change is
// carried over from l (live.Reader.Carry).
func (t *Target) rereader(l *live.State) *live.Reader {
	rd := t.reader(false)
	rd.AccountID, rd.Partition, rd.Carry = l.AccountID, l.Partition, l
	return rd
}

// Read takes the first snapshot and refuses credentials rciam must not run
// with, before anything is written.
func (t *Target) Read(ctx context.Context) (*live.State, error) {
	l, err := t.reader(false).Read(ctx)
	if err != nil {
		return nil, ExplainAWS(err)
	}
	if err := t.checkCaller(l); err != nil {
		return nil, err
	}
	for _, n := range l.Notes {
		t.logf("%s", n)
	}
	t.logf("read %s", l)
	return l, nil
}

func (t *Target) checkCaller(l *live.State) error {
	if t.ExpectAccount != "" && l.AccountID != t.ExpectAccount {
		return fmt.Errorf("the credentials for account %s reach account %s (%s): check the role and the account id", t.ExpectAccount, l.AccountID, l.CallerARN)
	}
	if strings.HasSuffix(l.CallerARN, ":root") && !t.AllowRoot {
		return errors.New("refusing to run with the account's root credentials (AWS advises against using them for anything but account tasks): use an IAM user or role, or pass --allow-root")
	}
	if l.Partition != "aws" {
		return fmt.Errorf("partition %q is not supported: Redis Cloud's account %s and the console sign-in URL exist only in the aws partition", l.Partition, r.RedisCloudAccountID)
	}
	return nil
}

// ExplainAWS turns the errors every command can meet into one line that
// says what to fix.
func ExplainAWS(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to refresh cached credentials") && strings.Contains(msg, "sso"):
		return errors.New("SSO session expired: run 'aws sso login' for your profile, then retry")
	case awsclient.ErrorCode(err) == "InvalidClientTokenId" || awsclient.ErrorCode(err) == "SignatureDoesNotMatch":
		return fmt.Errorf("%s: the AWS credentials are not valid: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile (with a session token, IAM may need a role or MFA session: try 'aws-vault exec --no-session')", msg)
	}
	return err
}

// books returns the bookkeeping writer of one run on this account.
func (t *Target) books(l *live.State) *bookkeeping.Books {
	return &bookkeeping.Books{Secrets: t.Secrets, ClockOffset: l.ClockOffset, Logf: t.Logf}
}

// stsWith is an STS client signing with a given key pair, with one retry.
func (t *Target) stsWith(keyID string, sec secret.Value) *sts.Client {
	return sts.NewFromConfig(t.Config, func(o *sts.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(keyID, sec.Reveal(), "")
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 2)
	})
}

// keyGate waits until a key pair signs STS calls as redislabs-user
// (docs/behaviour.md, "Access key readiness").
func (t *Target) keyGate() propagation.Gate {
	return propagation.Gate{WantSuffix: ":user/" + r.UserName, Logf: t.Logf, Interval: t.GateInterval,
		Probe: func(ctx context.Context, keyID string, sec secret.Value) (string, error) {
			out, err := t.stsWith(keyID, sec).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Arn), nil
		}}
}

// redis makes the Redis Cloud client, or says that this run cannot.
func (t *Target) redis() (*rediscloud.Client, error) {
	if t.RedisCloud == nil {
		return nil, errors.New("this command cannot reach the Redis Cloud API")
	}
	return t.RedisCloud()
}

// Session is what outputs, destroy, register and rotate-key start from:
// one snapshot and the layout's entities (names only: the bundled
// documents stand in for the policy documents).
type Session struct {
	Live *live.State
	Want *desired.Set
}

// Open reads the account for a command that needs the layout's names but
// not its documents.
func (t *Target) Open(ctx context.Context, layout desired.Layout) (*Session, error) {
	l, err := t.Read(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := policysource.Bundled(policysource.DefaultVersion)
	if err != nil {
		return nil, err
	}
	d, err := want(sel, layout, l)
	if err != nil {
		return nil, err
	}
	return &Session{Live: l, Want: d}, nil
}

// want builds the desired set for the account just read.
func want(sel policysource.Selection, layout desired.Layout, l *live.State) (*desired.Set, error) {
	return desired.Build(sel, desired.Options{Layout: layout, AccountID: l.AccountID, Partition: l.Partition, Region: l.Region})
}
