package faults_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

var moto *testenv.Moto

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, &moto)) }

// setup returns a proxy in front of a fresh moto account and two SDK
// configs through it: one that sees the raw fault (one attempt) and one
// with the SDK's standard retryer (short back-off, to keep tests fast).
func setup(t *testing.T) (p *faults.Proxy, raw, retrying aws.Config) {
	t.Helper()
	acct := testenv.NeedMoto(t, moto)
	p = faults.Start(t, acct.Endpoint, faults.Options{Seed: 42, Latency: 10 * time.Millisecond})
	raw = p.Via(acct).Config()
	raw.Retryer = func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }
	retrying = p.Via(acct).Config()
	retrying.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
		})
	}
	return p, raw, retrying
}

// on faults every request whose action is one of actions (all when none)
// and whose Nth is at most upTo (all when 0).
func on(kind faults.Kind, upTo int, actions ...string) faults.Rule {
	return func(r faults.Request) faults.Fault {
		if upTo > 0 && r.Nth > upTo {
			return faults.Fault{}
		}
		for _, a := range actions {
			if a == r.Action {
				return faults.Fault{Kind: kind}
			}
		}
		if len(actions) > 0 {
			return faults.Fault{}
		}
		return faults.Fault{Kind: kind}
	}
}

type caller struct {
	name string
	call func(context.Context, aws.Config) error
}

var callers = map[string]caller{
	"iam": {"iam:GetUser", func(ctx context.Context, cfg aws.Config) error {
		_, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("rciam-admin")})
		return err
	}},
	"sts": {"sts:GetCallerIdentity", func(ctx context.Context, cfg aws.Config) error {
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}},
	"secretsmanager": {"secretsmanager:ListSecrets", func(ctx context.Context, cfg aws.Config) error {
		_, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		return err
	}},
	"cloudformation": {"cloudformation:ListStacks", func(ctx context.Context, cfg aws.Config) error {
		_, err := cloudformation.NewFromConfig(cfg).ListStacks(ctx, &cloudformation.ListStacksInput{})
		return err
	}},
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestFaultsReachTheSDKAsFromAWS(t *testing.T) {
	p, raw, _ := setup(t)
	ctx := context.Background()
	isThrottle := retry.IsErrorThrottles(retry.DefaultThrottles)
	isRetryable := retry.IsErrorRetryables(retry.DefaultRetryables)
	for _, tc := range []struct {
		kind     faults.Kind
		service  string
		code     string
		status   int
		throttle bool
	}{
		{faults.Throttle, "iam", "Throttling", 400, true},
		{faults.Throttle, "sts", "Throttling", 400, true},
		{faults.Throttle, "cloudformation", "Throttling", 400, true},
		{faults.Throttle, "secretsmanager", "ThrottlingException", 400, true},
		{faults.InternalError, "iam", "InternalFailure", 500, false},
		{faults.InternalError, "secretsmanager", "InternalFailure", 500, false},
		{faults.Unavailable, "sts", "ServiceUnavailable", 503, false},
		{faults.Unavailable, "secretsmanager", "ServiceUnavailable", 503, false},
	} {
		c := callers[tc.service]
		p.SetRule(on(tc.kind, 0))
		err := c.call(ctx, raw)
		if code, status := apiCode(err), httpStatus(err); code != tc.code || status != tc.status {
			t.Errorf("%v on %s: code %q status %d, want %q %d (%v)", tc.kind, c.name, code, status, tc.code, tc.status, err)
		}
		if got := isThrottle.IsErrorThrottle(err) == aws.TrueTernary; got != tc.throttle {
			t.Errorf("%v on %s: throttle = %v", tc.kind, c.name, got)
		}
		if isRetryable.IsErrorRetryable(err) != aws.TrueTernary && !tc.throttle {
			t.Errorf("%v on %s: not retryable for the SDK", tc.kind, c.name)
		}
	}

	p.SetRule(on(faults.HTMLNotImplemented, 0))
	for _, svc := range []string{"iam", "secretsmanager"} {
		// What moto's "not implemented" page gives: a 500 that is no AWS
		// error document, so the SDK has no error code for it.
		err := callers[svc].call(ctx, raw)
		if apiCode(err) != "" || httpStatus(err) != 500 || !strings.Contains(err.Error(), "deserializ") {
			t.Errorf("HTML 500 on %s: %v (code %q), want a 500 that fails to deserialize", svc, err, apiCode(err))
		}
	}

	p.SetRule(on(faults.ResetBeforeForward, 0))
	err := callers["iam"].call(ctx, raw)
	if err == nil || apiCode(err) != "" || isRetryable.IsErrorRetryable(err) != aws.TrueTernary {
		t.Errorf("reset: %v (code %q), want a retryable connection error", err, apiCode(err))
	}
}

func TestStandardRetryerRidesOutFirstAttemptFaults(t *testing.T) {
	p, _, retrying := setup(t)
	ctx := context.Background()
	for _, kind := range []faults.Kind{faults.Throttle, faults.Unavailable, faults.InternalError, faults.ResetBeforeForward, faults.Latency} {
		for _, svc := range []string{"iam", "secretsmanager"} {
			p.Reset()
			p.SetRule(on(kind, 1))
			if err := callers[svc].call(ctx, retrying); err != nil {
				t.Errorf("%v once on %s: %v", kind, svc, err)
				continue
			}
			tl := p.Timeline()
			want := 2
			if kind == faults.Latency {
				want = 1
			}
			if len(tl) != want || tl[0].Fault.Kind != kind || tl[len(tl)-1].Upstream != 200 || tl[len(tl)-1].Attempt != want {
				t.Errorf("%v once on %s: timeline %+v", kind, svc, tl)
			}
		}
	}
	// A create reset before it reached moto is retried and made once.
	p.Reset()
	p.SetRule(on(faults.ResetBeforeForward, 1, "CreateUser"))
	if _, err := iam.NewFromConfig(retrying).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("once")}); err != nil {
		t.Fatalf("CreateUser after a reset: %v", err)
	}
}

func TestDropAfterForwardTakesEffect(t *testing.T) {
	p, raw, retrying := setup(t)
	ctx := context.Background()
	p.SetRule(on(faults.DropAfterForward, 1, "CreateUser"))
	_, err := iam.NewFromConfig(raw).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("lost-answer")})
	if err == nil || apiCode(err) != "" {
		t.Fatalf("CreateUser with a dropped response: %v, want a connection error", err)
	}
	if _, err := iam.NewFromConfig(raw).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("lost-answer")}); err != nil {
		t.Fatalf("user whose create response was dropped does not exist: %v", err)
	}
	// With retries, the retry of a create that took effect answers
	// EntityAlreadyExists (docs/behaviour.md, "Lost responses").
	p.SetRule(on(faults.DropAfterForward, 1, "CreateRole"))
	_, err = iam.NewFromConfig(retrying).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("lost-role"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("retried CreateRole after a dropped response: %v, want EntityAlreadyExists", err)
	}
	tl := p.Timeline()
	if last := tl[len(tl)-2]; last.Action != "CreateRole" || last.Upstream != 200 || last.Status != 0 {
		t.Errorf("dropped CreateRole event %+v", last)
	}
}

// AWSConsistency: a new role, user and login profile are invisible for the
// entity window — to uses by name and to the listings that would show
// them — and STS refuses a new access key for the key window.
func TestAWSConsistency(t *testing.T) {
	t.Parallel()
	p, raw, _ := setup(t)
	ctx := context.Background()
	const entities, keys = 1500 * time.Millisecond, 2500 * time.Millisecond
	p.AWSConsistency(entities, keys)
	c := iam.NewFromConfig(raw)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	made := time.Now() // the windows run from the proxy's answers, a little later
	const slack = 300 * time.Millisecond
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("u"), Password: aws.String("Pa55-word-long-enough")}); err == nil || !strings.Contains(err.Error(), "NoSuchEntity") {
		t.Fatalf("CreateLoginProfile on a user just made: %v", err)
	}
	listed := func() (users, roles int) {
		out, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.UserDetailList), len(out.RoleDetailList)
	}
	if u, r := listed(); u != 1 || r != 0 { // the account's admin user is listed
		t.Errorf("within the window: %d users, %d roles listed", u, r)
	}
	time.Sleep(time.Until(made.Add(entities + slack)))
	if u, r := listed(); u != 2 || r != 1 {
		t.Errorf("after the window: %d users, %d roles listed", u, r)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("u"), Password: aws.String("Pa55-word-long-enough")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("u")}); err == nil || !strings.Contains(err.Error(), "NoSuchEntity") {
		t.Errorf("a login profile just made is visible: %v", err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u")})
	if err != nil {
		t.Fatal(err)
	}
	keyMade := time.Now()
	if list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u")}); err != nil || len(list.AccessKeyMetadata) != 0 {
		t.Errorf("a key just made is listed: %v %v", list, err)
	}
	signed := raw
	signed.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	if _, err := sts.NewFromConfig(signed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil || !strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Errorf("STS accepted a key just made: %v", err)
	}
	time.Sleep(time.Until(keyMade.Add(keys)))
	if out, err := sts.NewFromConfig(signed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || !strings.HasSuffix(aws.ToString(out.Arn), ":user/u") {
		t.Errorf("after the key window: %v", err)
	}
	if list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u")}); err != nil || len(list.AccessKeyMetadata) != 1 {
		t.Errorf("after the window the key is not listed: %v", err)
	}
}
