// Package doctor checks the setup a command would run with, without
// changing anything: who the caller is and in which account, partition and
// region (and where the region came from), which endpoint and credentials
// are used, how far this machine's clock is from AWS's, whether the policy
// source answers, and — when its keys are set — whether the Redis Cloud API
// does. Each check is one line: ok, warn or fail.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/secret"
)

// Status is a check's outcome.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one line of the report.
type Check struct {
	ID      string
	Status  Status
	Message string
}

// Report is every check, in order.
type Report struct{ Checks []Check }

// OK reports whether no check failed.
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// Inputs are what the checks look at. Config is nil when the AWS
// configuration could not be loaded (ConfigErr says why).
type Inputs struct {
	Config    *aws.Config
	ConfigErr error
	// RegionFrom and EndpointFrom say where the region and the endpoint
	// came from ("--region", "AWS_REGION", "profile prod"…).
	RegionFrom, EndpointFrom, Endpoint string
	// Policy selects the policy documents as plan would (fetching them).
	Policy func(context.Context) (policysource.Selection, error)
	// RedisCloud makes the Redis Cloud client; it fails with
	// rediscloud.ErrNoKeys when the keys are not set.
	RedisCloud func() (*rediscloud.Client, error)
}

// maxSkew is the clock difference AWS's request signing tolerates.
const maxSkew = 5 * time.Minute

// Run makes every check.
func Run(ctx context.Context, in Inputs) *Report {
	r := &Report{}
	add := func(id string, st Status, format string, args ...any) {
		r.Checks = append(r.Checks, Check{ID: id, Status: st, Message: fmt.Sprintf(format, args...)})
	}
	if in.ConfigErr != nil {
		add("configuration", Fail, "%s", in.ConfigErr)
	} else {
		add("region", OK, "%s (from %s)", in.Config.Region, in.RegionFrom)
		add("endpoint", OK, "%s (from %s)", in.Endpoint, in.EndpointFrom)
		if credentials(ctx, *in.Config, add) {
			caller(ctx, *in.Config, add)
		}
	}
	policy(ctx, in.Policy, add)
	redis(ctx, in.RedisCloud, add)
	return r
}

// credentials reports where the credentials come from; false when there
// are none to call AWS with.
func credentials(ctx context.Context, cfg aws.Config, add func(string, Status, string, ...any)) bool {
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		add("credentials", Fail, "%s", awsclient.Short(err))
		return false
	}
	msg := "from " + sourceName(creds.Source) + ", key " + secret.MaskKeyID(creds.AccessKeyID)
	if creds.CanExpire {
		left := time.Until(creds.Expires).Round(time.Minute)
		if left <= 0 {
			add("credentials", Fail, "%s: expired at %s: refresh them", msg, creds.Expires.UTC().Format(time.RFC3339))
			return false
		}
		msg += fmt.Sprintf(", expire in %s", left)
	}
	add("credentials", OK, "%s", msg)
	return true
}

// sourceName says in words where the SDK took the credentials from.
func sourceName(source string) string {
	switch {
	case source == "EnvConfigCredentials":
		return "the environment (AWS_ACCESS_KEY_ID)"
	case strings.HasPrefix(source, "SharedConfigCredentials"):
		return "the shared credentials file" + strings.TrimPrefix(source, "SharedConfigCredentials")
	case source == "SSOProvider":
		return "AWS SSO (IAM Identity Center)"
	case source == "AssumeRoleProvider":
		return "a role the profile assumes"
	case source == "WebIdentityCredentials":
		return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"
	case source == "EC2RoleProvider":
		return "the instance's role (instance metadata)"
	case source == "CredentialsEndpointProvider":
		return "the container credentials endpoint"
	case source == "ProcessProvider":
		return "credential_process"
	case source == "":
		return "an unnamed provider"
	}
	return source
}

// caller asks STS who the caller is, and reads AWS's clock from the
// answer's Date.
func caller(ctx context.Context, cfg aws.Config, add func(string, Status, string, ...any)) {
	sent := time.Now()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		add("caller", Fail, "%s", account.ExplainAWS(awsclient.Wrap("sts:GetCallerIdentity", err)))
		return
	}
	arn := aws.ToString(out.Arn)
	if strings.HasSuffix(arn, ":root") {
		add("caller", Warn, "%s: the account's root credentials (rciam refuses them without --allow-root)", arn)
	} else {
		add("caller", OK, "%s", arn)
	}
	if partition := live.PartitionOf(arn); partition != "aws" {
		add("account", Fail, "%s in partition %s: Redis Cloud exists only in the aws partition", aws.ToString(out.Account), partition)
	} else {
		add("account", OK, "%s (partition aws)", aws.ToString(out.Account))
	}
	server, ok := awsmiddleware.GetServerTime(out.ResultMetadata)
	if !ok {
		add("clock", Warn, "AWS's answer had no Date: the clock skew is unknown")
		return
	}
	skew := live.ClockSkew(server, sent, time.Now()).Round(time.Second)
	switch abs := max(skew, -skew); {
	case abs >= maxSkew:
		add("clock", Fail, "this machine's clock is %s off AWS's: requests are refused beyond %s; set the clock (NTP)", abs, maxSkew)
	case abs >= time.Minute:
		add("clock", Warn, "this machine's clock is %s off AWS's: set it (NTP) before it reaches %s", abs, maxSkew)
	default:
		add("clock", OK, "within %s of AWS's (the Date is to the second)", max(abs, time.Second))
	}
}

func policy(ctx context.Context, sel func(context.Context) (policysource.Selection, error), add func(string, Status, string, ...any)) {
	if sel == nil {
		return
	}
	s, err := sel(ctx)
	switch {
	case err != nil:
		add("policy-source", Fail, "%s", err)
	case s.Note != "":
		add("policy-source", Warn, "%s", s.Note)
	default:
		add("policy-source", OK, "%s (sha256 %s, %s)", s.Source, s.Instance.SHA256()[:12], s.User.SHA256()[:12])
	}
}

func redis(ctx context.Context, mk func() (*rediscloud.Client, error), add func(string, Status, string, ...any)) {
	if mk == nil {
		return
	}
	rc, err := mk()
	switch {
	case errors.Is(err, rediscloud.ErrNoKeys):
		add("redis-cloud", OK, "%s and %s not set: not checked (register, rotate-key on a registered account and destroy --deregister need them)",
			rediscloud.EnvAccessKey, rediscloud.EnvSecretKey)
		return
	case err != nil:
		add("redis-cloud", Fail, "%s", err)
		return
	}
	list, err := rc.List(ctx)
	if err != nil {
		add("redis-cloud", Fail, "%s", err)
		return
	}
	add("redis-cloud", OK, "the API answers: %d cloud accounts", len(list))
}
