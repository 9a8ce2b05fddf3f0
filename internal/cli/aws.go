package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/policysource"
)

// awsEnv holds the clients of one command run.
type awsEnv struct {
	cfg aws.Config
	iam *iam.Client
	sts *sts.Client
	sm  *secretsmanager.Client
	cfn *cloudformation.Client
	rec *awsclient.Recorder
}

// aws loads the AWS configuration once per run.
func (f *Factory) aws(ctx context.Context) (*awsEnv, error) {
	if f.env != nil {
		return f.env, nil
	}
	rec := &awsclient.Recorder{}
	if f.Verbose {
		rec.OnCall = func(c awsclient.Call) {
			status := "ok"
			if c.Err != nil {
				status = awsclient.ErrorCode(c.Err)
				if status == "" {
					status = "error"
				}
			}
			f.Logf("aws %s %s %s (%s)", strings.ToLower(c.Service), c.Operation, status, c.End.Sub(c.Start).Round(1e6))
		}
	}
	opts := append([]func(*middleware.Stack) error{rec.APIOption}, f.apiOptions...)
	cfg, err := awsclient.Load(ctx, awsclient.Options{Profile: f.Profile, Region: f.Region, EndpointURL: f.EndpointURL, APIOptions: opts, Credentials: f.credentials})
	if err != nil {
		return nil, err
	}
	f.env = &awsEnv{cfg: cfg, iam: iam.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), sm: secretsmanager.NewFromConfig(cfg),
		cfn: cloudformation.NewFromConfig(cfg), rec: rec}
	return f.env, nil
}

func (e *awsEnv) reader(awsManaged bool) *live.Reader {
	return &live.Reader{IAM: e.iam, STS: e.sts, Secrets: e.sm, CloudFormation: e.cfn, Region: e.cfg.Region, AWSManaged: awsManaged}
}

// rereader reads an account already read once: the policy tags come in the
// first round.
func (e *awsEnv) rereader(l *live.State) *live.Reader {
	rd := e.reader(false)
	rd.AccountID, rd.Partition = l.AccountID, l.Partition
	return rd
}

// readAccount takes the first snapshot and refuses credentials rciam must
// not run with, before anything is written.
func (f *Factory) readAccount(ctx context.Context, env *awsEnv, awsManaged bool) (*live.State, error) {
	l, err := env.reader(awsManaged).Read(ctx)
	if err != nil {
		return nil, explainAWS(err)
	}
	if err := f.checkCaller(l); err != nil {
		return nil, err
	}
	for _, n := range l.Notes {
		f.Logf("%s", n)
	}
	f.Logf("read %s", l)
	return l, nil
}

func (f *Factory) checkCaller(l *live.State) error {
	if strings.HasSuffix(l.CallerARN, ":root") && !f.AllowRoot {
		return errors.New("refusing to run with the account's root credentials (AWS advises against using them for anything but account tasks): use an IAM user or role, or pass --allow-root")
	}
	if l.Partition != "aws" {
		return fmt.Errorf("partition %q is not supported: Redis Cloud's account %s and the console sign-in URL exist only in the aws partition", l.Partition, "168085023892")
	}
	return nil
}

// explainAWS turns the errors every command can meet into one line that
// says what to fix.
func explainAWS(err error) error {
	var ce *awsclient.CallError
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to refresh cached credentials") && strings.Contains(msg, "sso"):
		return errors.New("SSO session expired: run 'aws sso login' for your profile, then retry")
	case awsclient.ErrorCode(err) == "InvalidClientTokenId" || awsclient.ErrorCode(err) == "SignatureDoesNotMatch":
		return fmt.Errorf("%s: the AWS credentials are not valid: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile (with a session token, IAM may need a role or MFA session: try 'aws-vault exec --no-session')", msg)
	case errors.As(err, &ce) && strings.Contains(ce.Error(), "no AWS credentials found"):
		return err
	}
	return err
}

// layoutFlag binds --layout.
type layoutFlag struct{ value string }

func (l *layoutFlag) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.value, "layout", string(desired.LayoutCloud), "entity layout: cloud (Redis Cloud) or rv (Redis Enterprise VPC)")
}

func (l *layoutFlag) get() (desired.Layout, error) {
	lay, err := desired.ParseLayout(l.value)
	if err != nil {
		return "", &UsageError{Err: err}
	}
	return lay, nil
}

// desiredFor builds the desired set for the account just read.
func desiredFor(sel policysource.Selection, layout desired.Layout, l *live.State) (*desired.Set, error) {
	return desired.Build(sel, desired.Options{Layout: layout, AccountID: l.AccountID, Partition: l.Partition, Region: l.Region})
}
