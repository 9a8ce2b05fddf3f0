package organization

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rciam/rciam/internal/awsclient"
)

// Kind is what a policy is attached to.
type Kind string

// The kinds of targets on an account's path.
const (
	KindRoot    Kind = "root"
	KindOU      Kind = "ou"
	KindAccount Kind = "account"
)

// Target is one step of an account's path: the root, an OU or the account.
type Target struct {
	ID   string
	Kind Kind
}

// String names the target as messages do: "root r-ab12", "OU ou-…",
// "account 123456789012".
func (t Target) String() string {
	switch t.Kind {
	case KindRoot:
		return "root " + t.ID
	case KindOU:
		return "OU " + t.ID
	}
	return "account " + t.ID
}

// Policy is one policy attached to a target, with its document.
type Policy struct {
	ID, Name   string
	AWSManaged bool
	Document   []byte
}

// Level is a target and the policies of one type attached to it.
type Level struct {
	Target   Target
	Policies []Policy
}

// Guardrails are the service and resource control policies on an
// account's path, root first. A type not enabled on the root has no levels:
// AWS does not apply it.
type Guardrails struct {
	Org  *Org
	SCPs []Level
	RCPs []Level
}

// Guardrails reads the SCPs and RCPs on the path root → OUs → account.
func (r *Reader) Guardrails(ctx context.Context, account string) (*Guardrails, error) {
	org, err := r.Organization(ctx)
	if err != nil {
		return nil, err
	}
	path, err := r.path(ctx, account)
	if err != nil {
		return nil, err
	}
	g := &Guardrails{Org: org}
	enabled, err := r.enabledTypes(ctx)
	if err != nil {
		return nil, err
	}
	for _, pt := range []types.PolicyType{types.PolicyTypeServiceControlPolicy, types.PolicyTypeResourceControlPolicy} {
		if !enabled[pt] {
			continue
		}
		levels := make([]Level, len(path))
		for i, t := range path {
			ps, err := r.attached(ctx, t.ID, pt)
			if err != nil {
				return nil, err
			}
			levels[i] = Level{Target: t, Policies: ps}
		}
		if pt == types.PolicyTypeServiceControlPolicy {
			g.SCPs = levels
		} else {
			g.RCPs = levels
		}
	}
	return g, nil
}

// path returns root → OUs → account.
func (r *Reader) path(ctx context.Context, account string) ([]Target, error) {
	path := []Target{{ID: account, Kind: KindAccount}}
	child := account
	for depth := 0; depth < 10; depth++ { // AWS nests OUs at most 5 deep
		p, err := r.parent(ctx, child)
		if err != nil {
			return nil, err
		}
		t := Target{ID: aws.ToString(p.Id), Kind: KindOU}
		if p.Type == types.ParentTypeRoot {
			t.Kind = KindRoot
		}
		path = append([]Target{t}, path...)
		if t.Kind == KindRoot {
			return path, nil
		}
		child = t.ID
	}
	return nil, fmt.Errorf("account %s: its organization path is deeper than AWS allows", account)
}

func (r *Reader) parent(ctx context.Context, child string) (types.Parent, error) {
	m := memoFor(r, &r.parents, child)
	return m.get(func() (types.Parent, error) {
		out, err := r.API.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
		if err != nil {
			return types.Parent{}, awsclient.Wrap("read the parent of "+child+" (organizations:ListParents)", err)
		}
		if len(out.Parents) == 0 {
			return types.Parent{}, fmt.Errorf("%s has no parent in the organization", child)
		}
		return out.Parents[0], nil
	})
}

// enabledTypes reports which policy types are enabled on the root.
func (r *Reader) enabledTypes(ctx context.Context) (map[types.PolicyType]bool, error) {
	roots, err := r.roots.get(func() ([]types.Root, error) {
		out, err := r.API.ListRoots(ctx, &organizations.ListRootsInput{})
		if err != nil {
			return nil, awsclient.Wrap("read the organization's root (organizations:ListRoots)", err)
		}
		return out.Roots, nil
	})
	if err != nil {
		return nil, err
	}
	on := map[types.PolicyType]bool{}
	for _, root := range roots {
		for _, pt := range root.PolicyTypes {
			if pt.Status == types.PolicyTypeStatusEnabled {
				on[pt.Type] = true
			}
		}
	}
	return on, nil
}

// attached reads the policies of one type attached to a target, with their
// documents.
func (r *Reader) attached(ctx context.Context, target string, pt types.PolicyType) ([]Policy, error) {
	m := memoFor(r, &r.policies, target+"/"+string(pt))
	sums, err := m.get(func() ([]types.PolicySummary, error) {
		var out []types.PolicySummary
		p := organizations.NewListPoliciesForTargetPaginator(r.API, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: pt})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, awsclient.Wrap("list the policies attached to "+target+" (organizations:ListPoliciesForTarget)", err)
			}
			out = append(out, page.Policies...)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	ps := make([]Policy, 0, len(sums))
	for _, s := range sums {
		id := aws.ToString(s.Id)
		doc, err := memoFor(r, &r.docs, id).get(func() ([]byte, error) {
			out, err := r.API.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
			if err != nil {
				return nil, awsclient.Wrap("read policy "+id+" (organizations:DescribePolicy)", err)
			}
			return []byte(aws.ToString(out.Policy.Content)), nil
		})
		if err != nil {
			return nil, err
		}
		ps = append(ps, Policy{ID: id, Name: aws.ToString(s.Name), AWSManaged: s.AwsManaged, Document: doc})
	}
	return ps, nil
}

// memoFor returns the memo of key in *m, making both on first use.
func memoFor[T any](r *Reader, m *map[string]*memo[T], key string) *memo[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	if *m == nil {
		*m = map[string]*memo[T]{}
	}
	if (*m)[key] == nil {
		(*m)[key] = &memo[T]{}
	}
	return (*m)[key]
}
