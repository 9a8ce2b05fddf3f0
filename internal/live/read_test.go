package live

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rciam/rciam/internal/bookkeeping"
	r "github.com/rciam/rciam/internal/resource"
)

// fakeIAM pages GetAccountAuthorizationDetails one role per page.
type fakeIAM struct {
	IAM
	roles int
	calls int
}

func (f *fakeIAM) GetAccountAuthorizationDetails(_ context.Context, in *iam.GetAccountAuthorizationDetailsInput, _ ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	f.calls++
	i := 0
	if in.Marker != nil {
		fmt.Sscanf(*in.Marker, "%d", &i)
	}
	out := &iam.GetAccountAuthorizationDetailsOutput{RoleDetailList: []iamtypes.RoleDetail{{
		RoleName: aws.String(fmt.Sprintf("role-%d", i)), AssumeRolePolicyDocument: aws.String("%7B%22Version%22%3A%222012-10-17%22%7D"),
	}}}
	if i+1 < f.roles {
		out.IsTruncated, out.Marker = true, aws.String(fmt.Sprint(i+1))
	}
	return out, nil
}

func (f *fakeIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return &iam.ListAccessKeysOutput{}, nil
}
func (f *fakeIAM) GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	return nil, &iamtypes.NoSuchEntityException{}
}
func (f *fakeIAM) GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	return nil, &iamtypes.NoSuchEntityException{}
}
func (f *fakeIAM) GetAccountPasswordPolicy(context.Context, *iam.GetAccountPasswordPolicyInput, ...func(*iam.Options)) (*iam.GetAccountPasswordPolicyOutput, error) {
	return nil, &iamtypes.NoSuchEntityException{}
}

type fakeSTS struct{}

func (fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:iam::123456789012:user/admin")}, nil
}

type fakeSecrets struct{}

func (fakeSecrets) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return nil, &smtypes.ResourceNotFoundException{}
}

// docs/behaviour.md, "Reading many entities": five pages read as one (moto never paginates).
func TestReadFollowsEveryPage(t *testing.T) {
	t.Parallel()
	f := &fakeIAM{roles: 5}
	s, err := (&Reader{IAM: f, STS: fakeSTS{}, Secrets: fakeSecrets{}, Region: "us-east-1"}).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.calls != 5 || len(s.Roles) != 5 {
		t.Fatalf("calls %d, roles %d", f.calls, len(s.Roles))
	}
	if got := string(s.Role("ROLE-4").Trust); got != `{"Version":"2012-10-17"}` {
		t.Errorf("URL-encoded document not decoded: %s", got)
	}
	if s.AccountID != "123456789012" || s.Partition != "aws" || s.User("redislabs-user") != nil {
		t.Errorf("state = %s", s)
	}
}

// AWS's clock minus ours, from an answer's Date: whole seconds, and 0
// within ClockSlack (the header's resolution plus the round trip).
func TestClockOffset(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	received := sent.Add(200 * time.Millisecond)
	for _, tc := range []struct {
		server time.Time
		want   time.Duration
	}{
		{sent, 0},
		{sent.Add(-time.Second), 0},
		{sent.Add(30 * time.Second), 30 * time.Second},
		{sent.Add(-90 * time.Second), -90 * time.Second},
	} {
		if got := clockOffset(tc.server, sent, received); got != tc.want {
			t.Errorf("server %s: offset %s, want %s", tc.server.Sub(sent), got, tc.want)
		}
	}
}

// A run that died between storing a new key's secret and recording it:
// the version id names the new key, the tag the key it replaced.
func TestInterruptedStore(t *testing.T) {
	t.Parallel()
	state := func(version string, tags map[string]string, keys ...string) *State {
		s := &State{Secrets: map[string]*Secret{r.KeySecretName: {Name: r.KeySecretName, HasValue: true, CurrentVersionID: version, Tags: tags}}}
		for _, k := range keys {
			s.Keys = append(s.Keys, AccessKey{ID: k, Active: true})
		}
		s.ReadBooks(time.Now())
		return s
	}
	for _, tc := range []struct {
		name string
		s    *State
		want string
	}{
		{"converged", state(bookkeeping.KeyVersionID("AKIAOLD"), map[string]string{bookkeeping.TagKeyID: "AKIAOLD"}, "AKIAOLD"), ""},
		{"died before tagging", state(bookkeeping.KeyVersionID("AKIANEW"), map[string]string{bookkeeping.TagKeyID: "AKIAOLD"}, "AKIAOLD", "AKIANEW"), "AKIAOLD"},
		{"tagged key gone", state(bookkeeping.KeyVersionID("AKIANEW"), map[string]string{bookkeeping.TagKeyID: "AKIAOLD"}, "AKIANEW"), ""},
		{"previous recorded", state(bookkeeping.KeyVersionID("AKIANEW"), map[string]string{bookkeeping.TagKeyID: "AKIAOLD", bookkeeping.TagPreviousKeyID: "AKIAOLD"}, "AKIAOLD", "AKIANEW"), ""},
		{"stored by tag only", state("other", map[string]string{bookkeeping.TagKeyID: "AKIAOLD"}, "AKIAOLD", "AKIANEW"), ""},
	} {
		if got := tc.s.InterruptedStore(); got != tc.want {
			t.Errorf("%s: InterruptedStore = %q, want %q", tc.name, got, tc.want)
		}
	}
}
