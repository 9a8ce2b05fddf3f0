package live

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// fakeCFN serves ListStacks from stacks and ListStackResources from pages
// (stack name → pages of resources); errs fail a stack's listing.
type fakeCFN struct {
	stacks    []cfntypes.StackSummary
	listErr   error
	pages     map[string][][]cfntypes.StackResourceSummary
	errs      map[string]error
	mu        sync.Mutex
	resources []string // stacks whose resources were listed
	filter    []cfntypes.StackStatus
}

func (f *fakeCFN) ListStacks(_ context.Context, in *cloudformation.ListStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStacksOutput, error) {
	f.filter = in.StackStatusFilter
	if f.listErr != nil {
		return nil, f.listErr
	}
	return &cloudformation.ListStacksOutput{StackSummaries: f.stacks}, nil
}

func (f *fakeCFN) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	name := aws.ToString(in.StackName)
	f.mu.Lock()
	f.resources = append(f.resources, name)
	f.mu.Unlock()
	if err := f.errs[name]; err != nil {
		return nil, err
	}
	page := 0
	if in.NextToken != nil {
		page = 1
	}
	out := &cloudformation.ListStackResourcesOutput{StackResourceSummaries: f.pages[name][page]}
	if page+1 < len(f.pages[name]) {
		out.NextToken = aws.String("next")
	}
	return out, nil
}

// keyIAM is fakeIAM with one access key on redislabs-user.
type keyIAM struct{ fakeIAM }

func (k *keyIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: []iamtypes.AccessKeyMetadata{{AccessKeyId: aws.String("AKIAOURS"), Status: iamtypes.StatusTypeActive}}}, nil
}

func (k *keyIAM) GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return &iam.GetAccessKeyLastUsedOutput{}, nil
}

func res(typ, id string, st cfntypes.ResourceStatus) cfntypes.StackResourceSummary {
	return cfntypes.StackResourceSummary{ResourceType: aws.String(typ), PhysicalResourceId: aws.String(id), ResourceStatus: st}
}

func stack(name string) cfntypes.StackSummary {
	return cfntypes.StackSummary{StackName: aws.String(name), StackStatus: cfntypes.StackStatusCreateComplete}
}

func html500() error {
	resp := &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": []string{"text/html; charset=utf-8"}}}
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: errors.New("not implemented")}}
}

func readWith(t *testing.T, cfn CloudFormation) (*State, error) {
	t.Helper()
	return (&Reader{IAM: &keyIAM{}, STS: fakeSTS{}, Secrets: fakeSecrets{}, CloudFormation: cfn, Region: "us-east-1"}).Read(context.Background())
}

// docs/entities.md, "Adoption": the stacks' resources say which of the layout's entities
// a stack owns; other resources, other users' keys, resources gone or
// retained, and stacks deleted meanwhile count for nothing.
func TestStackOwnershipFromStackResources(t *testing.T) {
	t.Parallel()
	const done = cfntypes.ResourceStatusCreateComplete
	f := &fakeCFN{
		stacks: []cfntypes.StackSummary{stack("RedisCloud"), stack("Other"), stack("Gone")},
		pages: map[string][][]cfntypes.StackResourceSummary{
			"RedisCloud": {
				{res("AWS::IAM::ManagedPolicy", "arn:aws:iam::123456789012:policy/RedisLabsInstanceRolePolicy", done),
					res("AWS::IAM::Role", "redislabs-role", done),
					res("AWS::IAM::Role", "redislabs-cluster-node-role", cfntypes.ResourceStatusDeleteSkipped),
					res("AWS::IAM::InstanceProfile", "redislabs-cluster-node-role", done),
					res("AWS::IAM::User", "Redislabs-User", done)},
				{res("AWS::IAM::AccessKey", "AKIAOURS", done),
					res("AWS::SecretsManager::Secret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:/redislabsuser/password-AbCdEf", done),
					res("AWS::SecretsManager::Secret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:/RedisLabsUser/secret_access_key-AbCdEf", done)},
			},
			"Other": {{res("AWS::IAM::AccessKey", "AKIATHEIRS", done), res("AWS::S3::Bucket", "redislabs-role", done),
				res("AWS::IAM::ManagedPolicy", "arn:aws:iam::123456789012:policy/RedislabsIAMUserRestrictedPolicy", done),
				res("AWS::IAM::Role", "", cfntypes.ResourceStatusCreateFailed)}},
		},
		errs: map[string]error{"Gone": &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id Gone does not exist"}},
	}
	s, err := readWith(t, f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"policy/RedisLabsInstanceRolePolicy":           "RedisCloud",
		"policy/RedislabsIAMUserRestrictedPolicy":      "Other",
		"role/redislabs-role":                          "RedisCloud",
		"instance-profile/redislabs-cluster-node-role": "RedisCloud",
		"user/redislabs-user":                          "RedisCloud",
		"access-key/redislabs-user/AKIAOURS":           "RedisCloud",
		"secret//redislabsuser/password":               "RedisCloud",
	}
	if len(s.StackOwned) != len(want) {
		t.Errorf("StackOwned = %v, want %v", s.StackOwned, want)
	}
	for a, st := range want {
		if s.StackOwned[a] != st {
			t.Errorf("StackOwned[%s] = %q, want %q", a, s.StackOwned[a], st)
		}
	}
	if slices.Contains(f.filter, cfntypes.StackStatusDeleteComplete) || !slices.Contains(f.filter, cfntypes.StackStatusUpdateRollbackComplete) {
		t.Errorf("ListStacks filter = %v, want every status but DELETE_COMPLETE", f.filter)
	}
	if len(s.Notes) != 0 {
		t.Errorf("notes = %v", s.Notes)
	}
}

// No CloudFormation at the endpoint, or no permission to list stacks:
// "no stacks", a note for -v, and the read goes on.
func TestStackOwnershipUnavailable(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"html 500":      html500(),
		"access denied": &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fakeCFN{listErr: err}
			s, rerr := readWith(t, f)
			if rerr != nil {
				t.Fatalf("read failed: %v", rerr)
			}
			if len(s.StackOwned) != 0 || len(f.resources) != 0 {
				t.Errorf("StackOwned = %v, listed %v", s.StackOwned, f.resources)
			}
			if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "stack ownership not checked") || !strings.Contains(s.Notes[0], "cloudformation:ListStacks") {
				t.Errorf("notes = %q", s.Notes)
			}
		})
	}
}

// A stack whose resources cannot be listed for another reason fails the
// read: planning changes to entities a stack may own would be worse.
func TestStackResourcesErrorFailsRead(t *testing.T) {
	t.Parallel()
	f := &fakeCFN{stacks: []cfntypes.StackSummary{stack("RedisCloud")},
		errs: map[string]error{"RedisCloud": &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}}}
	_, err := readWith(t, f)
	if err == nil || !strings.Contains(err.Error(), "list resources of CloudFormation stack RedisCloud (cloudformation:ListStackResources): Throttling") {
		t.Fatalf("err = %v", err)
	}
}

// An account without stacks costs one ListStacks and nothing more.
func TestNoStacksNoResourceCalls(t *testing.T) {
	t.Parallel()
	f := &fakeCFN{}
	s, err := readWith(t, f)
	if err != nil || len(f.resources) != 0 || len(s.StackOwned) != 0 {
		t.Fatalf("err %v, listed %v, owned %v", err, f.resources, s.StackOwned)
	}
}

func TestSecretName(t *testing.T) {
	t.Parallel()
	for arn, want := range map[string]string{
		"arn:aws:secretsmanager:us-east-1:1:secret:/redislabsuser/password-AbCdEf": "/redislabsuser/password",
		"arn:aws:secretsmanager:us-east-1:1:secret:plain":                          "plain",
		"not-an-arn": "not-an-arn",
	} {
		if got := secretName(arn); got != want {
			t.Errorf("secretName(%s) = %s, want %s", arn, got, want)
		}
	}
}
