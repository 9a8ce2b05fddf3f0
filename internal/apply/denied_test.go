package apply

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
)

// refusingIAM fails CreatePolicy with a throttling error and CreateRole
// with AccessDenied; any other call would panic (nil embedded interface).
type refusingIAM struct {
	IAM
	creates int
}

func (f *refusingIAM) CreatePolicy(context.Context, *iam.CreatePolicyInput, ...func(*iam.Options)) (*iam.CreatePolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "ServiceFailure", Message: "internal"}
}

func (f *refusingIAM) CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.creates++
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: u is not authorized to perform: iam:CreateRole on resource: r"}
}

// An AccessDenied in any failed step ends apply's passes, even when an
// earlier step in plan order failed for another reason: no read-back, no
// second pass, and the line says to grant the permission first.
func TestAccessDeniedEndsThePasses(t *testing.T) {
	t.Parallel()
	fake := &refusingIAM{}
	reads := 0
	c := &Converger{
		Exec: &Executor{IAM: fake},
		Read: func(context.Context) (*live.State, error) { reads++; return nil, errors.New("no read-back expected") },
	}
	p := &plan.Plan{Steps: []plan.Step{
		{ID: "CreatePolicy policy/p", Op: plan.OpCreatePolicy, Name: "p"},
		{ID: "CreateRole role/r", Op: plan.OpCreateRole, Name: "r"},
	}}
	_, err := c.Converge(context.Background(), p)
	var re *RunError
	if !errors.As(err, &re) || !re.Denied {
		t.Fatalf("Converge = %v, want a RunError marked Denied", err)
	}
	if reads != 0 || fake.creates != 1 {
		t.Errorf("%d read-backs and %d CreateRole calls after AccessDenied, want 0 and 1", reads, fake.creates)
	}
	if !strings.Contains(err.Error(), "grant the missing permissions, then run apply again") {
		t.Errorf("error: %v", err)
	}
}
