// Package organization reads what rciam needs from AWS Organizations, always
// with the caller's own credentials: which accounts a fleet run targets
// (the whole organization, or everything under an OU, nested OUs
// included), the accounts' names, and the guardrails on an account's path
// — the service and resource control policies attached to the root, each
// OU and the account itself.
//
// A Reader is safe for concurrent use and reads each target's policies and
// each policy's document once, however many accounts share them.
package organization

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rciam/rciam/internal/awsclient"
)

// API is the part of the Organizations client rciam uses.
type API interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	DescribeOrganizationalUnit(context.Context, *organizations.DescribeOrganizationalUnitInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationalUnitOutput, error)
	DescribeAccount(context.Context, *organizations.DescribeAccountInput, ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
	ListParents(context.Context, *organizations.ListParentsInput, ...func(*organizations.Options)) (*organizations.ListParentsOutput, error)
	ListPoliciesForTarget(context.Context, *organizations.ListPoliciesForTargetInput, ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error)
	DescribePolicy(context.Context, *organizations.DescribePolicyInput, ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
}

// ErrNotInOrganization is returned when the caller's account belongs to no
// organization.
var ErrNotInOrganization = errors.New("the caller's account is not in an AWS organization")

// Org is the caller's organization.
type Org struct {
	ID                string
	ManagementAccount string
}

// Account is one member account.
type Account struct {
	ID, Name string
}

// Reader reads one organization through the caller's credentials.
type Reader struct {
	API API

	org   memo[*Org]
	roots memo[[]types.Root]

	mu       sync.Mutex
	policies map[string]*memo[[]types.PolicySummary] // target id + type
	docs     map[string]*memo[[]byte]                // policy id
	parents  map[string]*memo[types.Parent]          // child id
}

// New returns a Reader using api.
func New(api API) *Reader { return &Reader{API: api} }

// Organization returns the caller's organization, or ErrNotInOrganization.
func (r *Reader) Organization(ctx context.Context) (*Org, error) {
	return r.org.get(func() (*Org, error) {
		out, err := r.API.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		if awsclient.ErrorCode(err) == "AWSOrganizationsNotInUseException" {
			return nil, ErrNotInOrganization
		}
		if err != nil {
			return nil, awsclient.Wrap("read the organization (organizations:DescribeOrganization)", err)
		}
		return &Org{ID: aws.ToString(out.Organization.Id), ManagementAccount: aws.ToString(out.Organization.MasterAccountId)}, nil
	})
}

// Accounts lists the organization's ACTIVE accounts, sorted by id.
func (r *Reader) Accounts(ctx context.Context) ([]Account, error) {
	// Asked first, not read from ListAccounts' error: not every endpoint
	// answers ListAccounts outside an organization with an error (the
	// emulator lists nothing), and the answer is remembered for the
	// guardrails anyway.
	if _, err := r.Organization(ctx); err != nil {
		return nil, err
	}
	var out []Account
	p := organizations.NewListAccountsPaginator(r.API, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Wrap("list the organization's accounts (organizations:ListAccounts)", err)
		}
		out = appendActive(out, page.Accounts)
	}
	return sorted(out), nil
}

// ouPattern and rootPattern are the shapes of OU and root ids.
var (
	ouPattern   = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	rootPattern = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
)

// ValidParent reports whether id looks like an OU or a root id.
func ValidParent(id string) bool { return ouPattern.MatchString(id) || rootPattern.MatchString(id) }

// AccountsUnder lists the ACTIVE accounts under an OU (or root), nested OUs
// included, sorted by id. An OU that does not exist is an error that says
// so.
func (r *Reader) AccountsUnder(ctx context.Context, parent string) ([]Account, error) {
	// Whether the OU exists is asked beside the listing (one round less);
	// its answer decides the error.
	exists := make(chan error, 1)
	go func() {
		if !ouPattern.MatchString(parent) {
			exists <- nil
			return
		}
		_, err := r.API.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(parent)})
		switch code := awsclient.ErrorCode(err); {
		case code == "OrganizationalUnitNotFoundException" || code == "ParentNotFoundException":
			exists <- fmt.Errorf("--ou %s: no such organizational unit in this organization", parent)
		case err != nil:
			exists <- awsclient.Wrap("read organizational unit "+parent+" (organizations:DescribeOrganizationalUnit)", err)
		default:
			exists <- nil
		}
	}()
	out, err := r.listUnder(ctx, parent)
	if e := <-exists; e != nil {
		return nil, e
	}
	return out, err
}

// listUnder lists the ACTIVE accounts under parent, nested OUs included.
func (r *Reader) listUnder(ctx context.Context, parent string) ([]Account, error) {
	var out []Account
	queue := []string{parent}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		ap := organizations.NewListAccountsForParentPaginator(r.API, &organizations.ListAccountsForParentInput{ParentId: aws.String(id)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if code := awsclient.ErrorCode(err); code == "ParentNotFoundException" {
				return nil, fmt.Errorf("--ou %s: no such organizational unit or root in this organization", parent)
			}
			if err != nil {
				return nil, awsclient.Wrap("list the accounts of "+id+" (organizations:ListAccountsForParent)", err)
			}
			out = appendActive(out, page.Accounts)
		}
		op := organizations.NewListOrganizationalUnitsForParentPaginator(r.API, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(id)})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				return nil, awsclient.Wrap("list the OUs of "+id+" (organizations:ListOrganizationalUnitsForParent)", err)
			}
			for _, ou := range page.OrganizationalUnits {
				queue = append(queue, aws.ToString(ou.Id))
			}
		}
	}
	return sorted(out), nil
}

// AccountName returns an account's name, or "" when the caller cannot read
// it (not in an organization, not allowed).
func (r *Reader) AccountName(ctx context.Context, id string) string {
	out, err := r.API.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	if err != nil || out.Account == nil {
		return ""
	}
	return aws.ToString(out.Account.Name)
}

func appendActive(out []Account, accts []types.Account) []Account {
	for _, a := range accts {
		active := a.State == types.AccountStateActive
		if a.State == "" {
			active = a.Status == types.AccountStatusActive
		}
		if active {
			out = append(out, Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name)})
		}
	}
	return out
}

func sorted(a []Account) []Account {
	sort.Slice(a, func(i, j int) bool { return a[i].ID < a[j].ID })
	return a
}

// memo runs a read once and remembers its answer (an error too), for the
// concurrent accounts of a fleet run that share it. A read stopped by its
// caller's context is not remembered: that account's run ended, and the
// next account asks again.
type memo[T any] struct {
	mu   sync.Mutex
	done bool
	v    T
	err  error
}

func (m *memo[T]) get(read func() (T, error)) (T, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done {
		v, err := read()
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return v, err
		}
		m.v, m.err, m.done = v, err, true
	}
	return m.v, m.err
}
