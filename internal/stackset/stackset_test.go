package stackset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// fakeCFN records the StackSet calls and answers them as AWS does for a
// service-managed StackSet (which moto reports as deployed without
// deploying anything: docs/emulator.md).
type fakeCFN struct {
	mu        sync.Mutex
	calls     []string
	set       *types.StackSet
	instances []types.StackInstanceSummary
	// ous maps an OU to the accounts AWS finds under it.
	ous map[string][]string
	// polls is how many RUNNING answers an operation gets before it ends;
	// fail ends it FAILED.
	polls int
	fail  bool
	seen  map[string]int
	// inputs holds each call's last input.
	inputs map[string]any
}

func (f *fakeCFN) record(call string, in any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	if f.inputs == nil {
		f.inputs = map[string]any{}
	}
	f.inputs[call] = in
}

func (f *fakeCFN) DescribeStackSet(_ context.Context, in *cloudformation.DescribeStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOutput, error) {
	f.record("DescribeStackSet", in)
	if f.set == nil {
		return nil, &smithy.GenericAPIError{Code: "StackSetNotFoundException", Message: "StackSet " + aws.ToString(in.StackSetName) + " not found"}
	}
	return &cloudformation.DescribeStackSetOutput{StackSet: f.set}, nil
}

func (f *fakeCFN) CreateStackSet(_ context.Context, in *cloudformation.CreateStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackSetOutput, error) {
	f.record("CreateStackSet", in)
	f.set = &types.StackSet{StackSetName: in.StackSetName, TemplateBody: in.TemplateBody, PermissionModel: in.PermissionModel, AutoDeployment: in.AutoDeployment, Status: types.StackSetStatusActive}
	return &cloudformation.CreateStackSetOutput{StackSetId: aws.String("id")}, nil
}

func (f *fakeCFN) UpdateStackSet(_ context.Context, in *cloudformation.UpdateStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateStackSetOutput, error) {
	f.record("UpdateStackSet", in)
	f.set.TemplateBody = in.TemplateBody
	return &cloudformation.UpdateStackSetOutput{OperationId: aws.String("op-update")}, nil
}

func (f *fakeCFN) DeleteStackSet(_ context.Context, in *cloudformation.DeleteStackSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackSetOutput, error) {
	f.record("DeleteStackSet", in)
	f.set = nil
	return &cloudformation.DeleteStackSetOutput{}, nil
}

func (f *fakeCFN) CreateStackInstances(_ context.Context, in *cloudformation.CreateStackInstancesInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackInstancesOutput, error) {
	f.record("CreateStackInstances", in)
	if in.DeploymentTargets == nil {
		return &cloudformation.CreateStackInstancesOutput{OperationId: aws.String("op-create")}, nil
	}
	for _, ou := range in.DeploymentTargets.OrganizationalUnitIds {
		for _, a := range f.ous[ou] {
			for _, r := range in.Regions {
				f.instances = append(f.instances, types.StackInstanceSummary{Account: aws.String(a), Region: aws.String(r), OrganizationalUnitId: aws.String(ou),
					Status: types.StackInstanceStatusCurrent, StackInstanceStatus: &types.StackInstanceComprehensiveStatus{DetailedStatus: types.StackInstanceDetailedStatusSucceeded}})
			}
		}
	}
	return &cloudformation.CreateStackInstancesOutput{OperationId: aws.String("op-create")}, nil
}

func (f *fakeCFN) DeleteStackInstances(_ context.Context, in *cloudformation.DeleteStackInstancesInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackInstancesOutput, error) {
	f.record("DeleteStackInstances", in)
	f.instances = nil
	return &cloudformation.DeleteStackInstancesOutput{OperationId: aws.String("op-delete")}, nil
}

func (f *fakeCFN) ListStackInstances(_ context.Context, in *cloudformation.ListStackInstancesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackInstancesOutput, error) {
	f.record("ListStackInstances", in)
	if f.set == nil {
		return nil, &smithy.GenericAPIError{Code: "StackSetNotFoundException"}
	}
	return &cloudformation.ListStackInstancesOutput{Summaries: f.instances}, nil
}

func (f *fakeCFN) DescribeStackSetOperation(_ context.Context, in *cloudformation.DescribeStackSetOperationInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOperationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "DescribeStackSetOperation")
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	id := aws.ToString(in.OperationId)
	f.seen[id]++
	st := types.StackSetOperationStatusRunning
	if f.seen[id] > f.polls {
		st = types.StackSetOperationStatusSucceeded
		if f.fail {
			st = types.StackSetOperationStatusFailed
		}
	}
	op := &types.StackSetOperation{OperationId: in.OperationId, Status: st}
	if st == types.StackSetOperationStatusFailed {
		op.StatusReason = aws.String("Account 222222222222 should have 'AWSCloudFormationStackSetExecutionRole' role")
	}
	return &cloudformation.DescribeStackSetOperationOutput{StackSetOperation: op}, nil
}

// A service-managed deployment to OUs: created with auto-deployment on,
// instances requested by OU (AWS adds the accounts), each operation waited
// for; a changed template is an update; deletion goes by OU too.
func TestServiceManaged(t *testing.T) {
	t.Parallel()
	fake := &fakeCFN{ous: map[string][]string{"ou-ab12-11111111": {"111111111111", "222222222222"}}, polls: 2}
	var progress []string
	r := &Runner{API: fake, Poll: 1, Progress: func(format string, args ...any) { progress = append(progress, fmt.Sprintf(format, args...)) }}
	d := Deployment{Name: DefaultName, Template: `{"Resources":{}}`, Model: ServiceManaged, OUs: []string{"ou-ab12-11111111"}, Regions: []string{"eu-west-1"}}
	got, err := r.Deploy(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Account != "111111111111" || !got[0].Current() || got[0].OU != "ou-ab12-11111111" {
		t.Fatalf("instances %+v", got)
	}
	ci := fake.inputs["CreateStackInstances"].(*cloudformation.CreateStackInstancesInput)
	if ci.Accounts != nil || strings.Join(ci.DeploymentTargets.OrganizationalUnitIds, ",") != "ou-ab12-11111111" || strings.Join(ci.Regions, ",") != "eu-west-1" {
		t.Errorf("CreateStackInstances %+v", ci)
	}
	create := fake.calls[1]
	if create != "CreateStackSet" || fake.set.PermissionModel != types.PermissionModelsServiceManaged || !aws.ToBool(fake.set.AutoDeployment.Enabled) {
		t.Errorf("calls %v, set %+v", fake.calls, fake.set)
	}
	if !strings.Contains(strings.Join(progress, "\n"), "deploy operation op-create: RUNNING") || !strings.Contains(strings.Join(progress, "\n"), "SUCCEEDED") {
		t.Errorf("progress %v", progress)
	}

	d.Template = `{"Resources":{"X":{}}}`
	fake.calls = nil
	if _, err := r.Deploy(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if strings.Join(fake.calls[:2], " ") != "DescribeStackSet UpdateStackSet" {
		t.Errorf("a changed template: calls %v", fake.calls)
	}

	d.Model = SelfManaged
	if _, err := r.Deploy(context.Background(), d); err == nil || !strings.Contains(err.Error(), "is service-managed: deploy it with --permission-model service-managed") {
		t.Errorf("model mismatch: %v", err)
	}

	fake.calls = nil
	if err := r.Delete(context.Background(), DefaultName); err != nil {
		t.Fatal(err)
	}
	di := fake.inputs["DeleteStackInstances"].(*cloudformation.DeleteStackInstancesInput)
	if di.Accounts != nil || strings.Join(di.DeploymentTargets.OrganizationalUnitIds, ",") != "ou-ab12-11111111" || aws.ToBool(di.RetainStacks) {
		t.Errorf("DeleteStackInstances %+v", di)
	}
	if n := len(fake.calls); n == 0 || fake.calls[n-1] != "DeleteStackSet" {
		t.Errorf("delete calls %v: the set goes last", fake.calls)
	}
	if _, err := r.Instances(context.Background(), DefaultName); !errors.Is(err, ErrNoStackSet) {
		t.Errorf("after delete: %v", err)
	}
}

// A failed operation is an error naming AWS's reason.
func TestFailedOperation(t *testing.T) {
	t.Parallel()
	fake := &fakeCFN{ous: map[string][]string{}, fail: true}
	r := &Runner{API: fake, Poll: 1}
	_, err := r.Deploy(context.Background(), Deployment{Name: "x", Template: "{}", Model: SelfManaged, Accounts: []string{"222222222222"}, Regions: []string{"us-east-1"}})
	if err == nil || !strings.Contains(err.Error(), "the deploy operation op-create ended FAILED: Account 222222222222 should have 'AWSCloudFormationStackSetExecutionRole' role") {
		t.Errorf("error %v", err)
	}
}
