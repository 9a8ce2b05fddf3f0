package live

import (
	"context"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/awsclient"
	r "github.com/rciam/rciam/internal/resource"
)

// CloudFormation is the part of the CloudFormation API the reader uses to
// find which of rciam's entities a stack owns. IAM entities carry no
// aws:cloudformation:* tags, so the stacks' resources are the only record
// (docs/entities.md, "Adoption"). DescribeStackResources by physical id would be one call,
// but it needs a stack name on some endpoints (moto), so the reader lists.
type CloudFormation interface {
	ListStacks(context.Context, *cloudformation.ListStacksInput, ...func(*cloudformation.Options)) (*cloudformation.ListStacksOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
}

// stackReadConcurrency bounds the ListStackResources calls in flight: an
// account may hold hundreds of stacks, and CloudFormation throttles early.
const stackReadConcurrency = 8

// stackNote explains, for -v, why stack ownership was not checked.
func stackNote(op string, err error) string {
	return "cloudformation " + op + " " + awsclient.Short(err) +
		": stack ownership not checked (allow cloudformation:ListStacks and cloudformation:ListStackResources to protect stack-owned entities)"
}

// stacks lists the names of the stacks that may own resources (every
// status but DELETE_COMPLETE). It needs no account id, so it runs in the
// first round. An endpoint without CloudFormation, or credentials not
// allowed to list stacks, mean "no stacks" and a note, not a failure.
func (rd *Reader) stacks(ctx context.Context) (names []string, note string, err error) {
	if rd.CloudFormation == nil {
		return nil, "", nil
	}
	var statuses []cfntypes.StackStatus
	for _, st := range cfntypes.StackStatus("").Values() {
		if st != cfntypes.StackStatusDeleteComplete {
			statuses = append(statuses, st)
		}
	}
	in := &cloudformation.ListStacksInput{StackStatusFilter: statuses}
	for {
		out, err := rd.CloudFormation.ListStacks(ctx, in)
		if awsclient.IsUnavailable(err) || awsclient.IsAccessDenied(err) {
			return nil, stackNote("ListStacks", err), nil
		}
		if err != nil {
			return nil, "", awsclient.Wrap("list CloudFormation stacks (cloudformation:ListStacks)", err)
		}
		for _, s := range out.StackSummaries {
			if s.StackStatus != cfntypes.StackStatusDeleteComplete {
				names = append(names, aws.ToString(s.StackName))
			}
		}
		if out.NextToken == nil {
			return names, "", nil
		}
		in.NextToken = out.NextToken
	}
}

// stackOwners reads the resources of each stack (second round: only stacks
// that exist, so an empty account costs nothing) and records in s which of
// the layout's entities each owns. It writes s.StackOwned and s.Notes only
// after every read is done, via the returned finish function, because the
// round's other readers share s.
func (rd *Reader) stackOwners(ctx context.Context, g *errgroup.Group, s *State, stacks []string) (finish func()) {
	var mu sync.Mutex
	owned := map[string]string{}
	var notes []string
	finish = func() {
		for addr, stack := range owned {
			s.StackOwned[addr] = stack
		}
		s.Notes = append(s.Notes, notes...)
	}
	if len(stacks) == 0 {
		return finish
	}
	m := newOwnerMatcher(s)
	g.Go(func() error {
		inner, ictx := errgroup.WithContext(ctx)
		inner.SetLimit(stackReadConcurrency)
		for _, stack := range stacks {
			inner.Go(func() error {
				addrs, note, err := rd.stackResources(ictx, stack, m)
				mu.Lock()
				defer mu.Unlock()
				for _, a := range addrs {
					owned[a] = stack
				}
				if note != "" {
					notes = append(notes, note)
				}
				return err
			})
		}
		return inner.Wait()
	})
	return finish
}

// stackResources returns the addresses of the layout's entities one stack
// owns. A stack deleted since it was listed owns nothing.
func (rd *Reader) stackResources(ctx context.Context, stack string, m *ownerMatcher) (addrs []string, note string, err error) {
	in := &cloudformation.ListStackResourcesInput{StackName: aws.String(stack)}
	for {
		out, err := rd.CloudFormation.ListStackResources(ctx, in)
		switch {
		case awsclient.IsUnavailable(err) || awsclient.IsAccessDenied(err):
			return addrs, stackNote("ListStackResources on stack "+stack, err), nil
		case awsclient.ErrorCode(err) == "ValidationError" && strings.Contains(awsclient.Short(err), "does not exist"):
			return addrs, "", nil
		case err != nil:
			return nil, "", awsclient.Wrap("list resources of CloudFormation stack "+stack+" (cloudformation:ListStackResources)", err)
		}
		for _, res := range out.StackResourceSummaries {
			switch res.ResourceStatus {
			case cfntypes.ResourceStatusCreateFailed, cfntypes.ResourceStatusDeleteComplete, cfntypes.ResourceStatusDeleteSkipped:
				continue // never made, gone, or retained: not the stack's
			}
			if a := m.address(aws.ToString(res.ResourceType), aws.ToString(res.PhysicalResourceId)); a != "" {
				addrs = append(addrs, a)
			}
		}
		if out.NextToken == nil {
			return addrs, "", nil
		}
		in.NextToken = out.NextToken
	}
}

// ownerMatcher maps a stack resource (type and physical id) to the address
// of one of the layout's entities, or "". It is built from the first
// round's snapshot and only read afterwards.
type ownerMatcher struct {
	keys    map[string]bool   // redislabs-user's access key ids
	secrets map[string]string // live secret ARN → name
}

func newOwnerMatcher(s *State) *ownerMatcher {
	m := &ownerMatcher{keys: map[string]bool{}, secrets: map[string]string{}}
	for i := range s.Keys {
		m.keys[s.Keys[i].ID] = true // only the id: other fields are written in this round
	}
	for name, sec := range s.Secrets {
		if sec.ARN != "" {
			m.secrets[sec.ARN] = name
		}
	}
	return m
}

func (m *ownerMatcher) address(resourceType, physicalID string) string {
	if physicalID == "" {
		return ""
	}
	match := func(k r.Kind, name string, names ...string) string {
		for _, n := range names {
			if r.SameName(name, n) {
				return r.Addr(k, n).String()
			}
		}
		return ""
	}
	switch resourceType {
	case "AWS::IAM::ManagedPolicy": // physical id: the policy's ARN
		return match(r.KindPolicy, physicalID[strings.LastIndex(physicalID, "/")+1:], r.InstancePolicyName, r.UserPolicyName)
	case "AWS::IAM::Role":
		return match(r.KindRole, physicalID, r.NodeRoleName, r.ConsoleRoleName)
	case "AWS::IAM::InstanceProfile":
		return match(r.KindInstanceProfile, physicalID, r.ProfileName)
	case "AWS::IAM::User":
		return match(r.KindUser, physicalID, r.UserName)
	case "AWS::IAM::AccessKey":
		if m.keys[physicalID] {
			return r.AccessKey(r.UserName, physicalID).String()
		}
	case "AWS::SecretsManager::Secret": // physical id: the secret's ARN
		if name := m.secrets[physicalID]; name != "" {
			return r.Addr(r.KindSecret, name).String()
		}
		for _, n := range []string{r.KeySecretName, r.PasswordSecretName} {
			if secretName(physicalID) == n { // secret names are case-sensitive
				return r.Addr(r.KindSecret, n).String()
			}
		}
	}
	return ""
}

// secretName recovers a secret's name from its ARN, which ends in
// "secret:<name>-<6 random characters>".
func secretName(arn string) string {
	i := strings.Index(arn, ":secret:")
	if i < 0 {
		return arn
	}
	name := arn[i+len(":secret:"):]
	if j := strings.LastIndexByte(name, '-'); j >= 0 && len(name)-j == 7 {
		name = name[:j]
	}
	return name
}
