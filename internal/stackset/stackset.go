// Package stackset deploys rciam's CloudFormation template to many accounts
// with AWS CloudFormation StackSets: AWS runs the deployment, and with the
// service-managed permission model, accounts that join a target OU later
// get the stack automatically. It creates or updates the StackSet, adds
// the missing stack instances, waits for each operation, and reads every
// instance's status; it removes the instances, then the set.
package stackset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/rciam/rciam/internal/awsclient"
)

// DefaultName is the StackSet's name unless --stack-set-name says another.
const DefaultName = "rciam-redis-cloud"

// API is the part of the CloudFormation client StackSets need.
type API interface {
	DescribeStackSet(context.Context, *cloudformation.DescribeStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOutput, error)
	CreateStackSet(context.Context, *cloudformation.CreateStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackSetOutput, error)
	UpdateStackSet(context.Context, *cloudformation.UpdateStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateStackSetOutput, error)
	DeleteStackSet(context.Context, *cloudformation.DeleteStackSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackSetOutput, error)
	CreateStackInstances(context.Context, *cloudformation.CreateStackInstancesInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackInstancesOutput, error)
	DeleteStackInstances(context.Context, *cloudformation.DeleteStackInstancesInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackInstancesOutput, error)
	ListStackInstances(context.Context, *cloudformation.ListStackInstancesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackInstancesOutput, error)
	DescribeStackSetOperation(context.Context, *cloudformation.DescribeStackSetOperationInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackSetOperationOutput, error)
}

// Model is the StackSet's permission model.
type Model string

// The permission models: service-managed targets OUs (AWS Organizations
// deploys, and deploys again to accounts that join); self-managed targets
// accounts through the administration and execution roles you made.
const (
	ServiceManaged Model = "service-managed"
	SelfManaged    Model = "self-managed"
)

func (m Model) api() types.PermissionModels {
	if m == ServiceManaged {
		return types.PermissionModelsServiceManaged
	}
	return types.PermissionModelsSelfManaged
}

// ErrNoStackSet is returned for a StackSet that does not exist.
var ErrNoStackSet = errors.New("no such StackSet")

// Deployment is what deploy asks for.
type Deployment struct {
	Name        string
	Template    string
	Description string
	Model       Model
	OUs         []string // service-managed targets
	Accounts    []string // self-managed targets
	Regions     []string
}

// Instance is one stack instance: an account and region the StackSet
// deploys to.
type Instance struct {
	Account, Region, OU string
	Status              string // CURRENT, OUTDATED, INOPERABLE
	Detailed            string // SUCCEEDED, FAILED, RUNNING…
	Reason              string
}

// Current reports an instance that is up to date with the StackSet.
func (i Instance) Current() bool { return i.Status == string(types.StackInstanceStatusCurrent) }

// Runner runs StackSet operations and waits for them.
type Runner struct {
	API API
	// Poll is how often an operation's status is read (5 s if 0).
	Poll time.Duration
	// Progress receives a line as an operation moves; nil: none.
	Progress func(format string, args ...any)
}

func (r *Runner) progress(format string, args ...any) {
	if r.Progress != nil {
		r.Progress(format, args...)
	}
}

// Deploy creates the StackSet or updates its template, adds the instances
// it lacks, waits for each operation, and returns every instance.
func (r *Runner) Deploy(ctx context.Context, d Deployment) ([]Instance, error) {
	existing, err := r.describe(ctx, d.Name)
	switch {
	case errors.Is(err, ErrNoStackSet):
		in := &cloudformation.CreateStackSetInput{StackSetName: aws.String(d.Name), TemplateBody: aws.String(d.Template),
			Description: aws.String(d.Description), Capabilities: []types.Capability{types.CapabilityCapabilityNamedIam},
			PermissionModel: d.Model.api()}
		if d.Model == ServiceManaged {
			in.AutoDeployment = &types.AutoDeployment{Enabled: aws.Bool(true), RetainStacksOnAccountRemoval: aws.Bool(false)}
		}
		if _, err := r.API.CreateStackSet(ctx, in); err != nil {
			return nil, awsclient.Wrap("create StackSet "+d.Name+" (cloudformation:CreateStackSet)", err)
		}
		r.progress("created StackSet %s (%s)", d.Name, d.Model)
	case err != nil:
		return nil, err
	default:
		if existing.PermissionModel != d.Model.api() {
			return nil, fmt.Errorf("StackSet %s is %s: deploy it with --permission-model %s, or give another --stack-set-name",
				d.Name, modelName(existing.PermissionModel), modelName(existing.PermissionModel))
		}
		if aws.ToString(existing.TemplateBody) != d.Template {
			out, err := r.API.UpdateStackSet(ctx, &cloudformation.UpdateStackSetInput{StackSetName: aws.String(d.Name), TemplateBody: aws.String(d.Template),
				Description: aws.String(d.Description), Capabilities: []types.Capability{types.CapabilityCapabilityNamedIam}})
			if err != nil {
				return nil, awsclient.Wrap("update StackSet "+d.Name+" (cloudformation:UpdateStackSet)", err)
			}
			if err := r.wait(ctx, d.Name, aws.ToString(out.OperationId), "update"); err != nil {
				return nil, err
			}
		}
	}
	if err := r.addInstances(ctx, d); err != nil {
		return nil, err
	}
	return r.Instances(ctx, d.Name)
}

// addInstances creates the stack instances the targets lack: every target
// OU (AWS adds the accounts under it), and the listed accounts and regions
// not deployed yet.
func (r *Runner) addInstances(ctx context.Context, d Deployment) error {
	in := &cloudformation.CreateStackInstancesInput{StackSetName: aws.String(d.Name), Regions: d.Regions,
		OperationPreferences: &types.StackSetOperationPreferences{MaxConcurrentPercentage: aws.Int32(100), FailureTolerancePercentage: aws.Int32(100),
			RegionConcurrencyType: types.RegionConcurrencyTypeParallel}}
	if d.Model == ServiceManaged {
		in.DeploymentTargets = &types.DeploymentTargets{OrganizationalUnitIds: d.OUs}
	} else {
		have, err := r.Instances(ctx, d.Name)
		if err != nil {
			return err
		}
		deployed := map[string]bool{}
		for _, i := range have {
			deployed[i.Account+"/"+i.Region] = true
		}
		regions := map[string]bool{}
		accounts := map[string]bool{}
		for _, a := range d.Accounts {
			for _, reg := range d.Regions {
				if !deployed[a+"/"+reg] {
					accounts[a], regions[reg] = true, true
				}
			}
		}
		if len(accounts) == 0 {
			r.progress("every account and region already has its stack instance")
			return nil
		}
		in.Accounts, in.Regions = sortedKeys(accounts), sortedKeys(regions)
	}
	out, err := r.API.CreateStackInstances(ctx, in)
	if err != nil {
		return awsclient.Wrap("create stack instances of "+d.Name+" (cloudformation:CreateStackInstances)", err)
	}
	return r.wait(ctx, d.Name, aws.ToString(out.OperationId), "deploy")
}

// Instances lists the StackSet's stack instances, by account and region.
func (r *Runner) Instances(ctx context.Context, name string) ([]Instance, error) {
	var out []Instance
	p := cloudformation.NewListStackInstancesPaginator(r.API, &cloudformation.ListStackInstancesInput{StackSetName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if notFound(err) {
			return nil, fmt.Errorf("StackSet %s: %w", name, ErrNoStackSet)
		}
		if err != nil {
			return nil, awsclient.Wrap("list the stack instances of "+name+" (cloudformation:ListStackInstances)", err)
		}
		for _, s := range page.Summaries {
			i := Instance{Account: aws.ToString(s.Account), Region: aws.ToString(s.Region), OU: aws.ToString(s.OrganizationalUnitId),
				Status: string(s.Status), Reason: aws.ToString(s.StatusReason)}
			if s.StackInstanceStatus != nil {
				i.Detailed = string(s.StackInstanceStatus.DetailedStatus)
			}
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Account != out[b].Account {
			return out[a].Account < out[b].Account
		}
		return out[a].Region < out[b].Region
	})
	return out, nil
}

// Delete removes every stack instance (their stacks, with the entities),
// then the StackSet.
func (r *Runner) Delete(ctx context.Context, name string) error {
	set, err := r.describe(ctx, name)
	if err != nil {
		return err
	}
	have, err := r.Instances(ctx, name)
	if err != nil {
		return err
	}
	if len(have) > 0 {
		in := &cloudformation.DeleteStackInstancesInput{StackSetName: aws.String(name), RetainStacks: aws.Bool(false),
			OperationPreferences: &types.StackSetOperationPreferences{MaxConcurrentPercentage: aws.Int32(100), FailureTolerancePercentage: aws.Int32(100)}}
		regions, accounts, ous := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, i := range have {
			regions[i.Region], accounts[i.Account] = true, true
			if i.OU != "" {
				ous[i.OU] = true
			}
		}
		in.Regions = sortedKeys(regions)
		if set.PermissionModel == types.PermissionModelsServiceManaged {
			in.DeploymentTargets = &types.DeploymentTargets{OrganizationalUnitIds: sortedKeys(ous)}
		} else {
			in.Accounts = sortedKeys(accounts)
		}
		out, err := r.API.DeleteStackInstances(ctx, in)
		if err != nil {
			return awsclient.Wrap("delete the stack instances of "+name+" (cloudformation:DeleteStackInstances)", err)
		}
		if err := r.wait(ctx, name, aws.ToString(out.OperationId), "delete"); err != nil {
			return err
		}
	}
	if _, err := r.API.DeleteStackSet(ctx, &cloudformation.DeleteStackSetInput{StackSetName: aws.String(name)}); err != nil {
		return awsclient.Wrap("delete StackSet "+name+" (cloudformation:DeleteStackSet)", err)
	}
	r.progress("deleted StackSet %s", name)
	return nil
}

func (r *Runner) describe(ctx context.Context, name string) (*types.StackSet, error) {
	out, err := r.API.DescribeStackSet(ctx, &cloudformation.DescribeStackSetInput{StackSetName: aws.String(name)})
	if notFound(err) || err == nil && (out.StackSet == nil || out.StackSet.Status == types.StackSetStatusDeleted) {
		return nil, fmt.Errorf("StackSet %s: %w", name, ErrNoStackSet)
	}
	if err != nil {
		return nil, awsclient.Wrap("read StackSet "+name+" (cloudformation:DescribeStackSet)", err)
	}
	return out.StackSet, nil
}

// wait polls an operation until it ends; a failed or stopped operation is
// an error naming its reason.
func (r *Runner) wait(ctx context.Context, name, id, what string) error {
	poll := r.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	start := time.Now()
	last := types.StackSetOperationStatus("")
	for {
		out, err := r.API.DescribeStackSetOperation(ctx, &cloudformation.DescribeStackSetOperationInput{StackSetName: aws.String(name), OperationId: aws.String(id)})
		if err != nil {
			return awsclient.Wrap("read StackSet operation "+id+" (cloudformation:DescribeStackSetOperation)", err)
		}
		op := out.StackSetOperation
		if op.Status != last {
			r.progress("%s operation %s: %s (%s)", what, id, op.Status, time.Since(start).Round(time.Second))
			last = op.Status
		}
		switch op.Status {
		case types.StackSetOperationStatusSucceeded:
			return nil
		case types.StackSetOperationStatusFailed, types.StackSetOperationStatusStopped:
			reason := aws.ToString(op.StatusReason)
			if reason == "" {
				reason = "see each stack instance's reason below, or 'rciam stackset status'"
			}
			return fmt.Errorf("StackSet %s: the %s operation %s ended %s: %s", name, what, id, op.Status, reason)
		}
		timer := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

func notFound(err error) bool {
	code := awsclient.ErrorCode(err)
	return code == "StackSetNotFoundException" || code == "StackSetNotFound" || strings.Contains(code, "NotFound") && strings.Contains(code, "StackSet")
}

func modelName(m types.PermissionModels) string {
	if m == types.PermissionModelsServiceManaged {
		return string(ServiceManaged)
	}
	return string(SelfManaged)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
