// Package fleet runs one of rciam's commands over many AWS accounts: it
// resolves the target accounts (listed ids, a file, the organization, OUs,
// minus exclusions), runs the command on each — at most Parallel at once,
// each in isolation, a failing or slow account never holding up the others
// — and reports one outcome per account, a summary and the exit code.
// How the command runs on one account is the caller's: a fleet run is one
// single-account run per account.
package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/organization"
)

// Member is one target account and its Organizations name ("" when the
// caller cannot read it).
type Member struct {
	ID, Name string
}

// Spec is what the target flags ask for.
type Spec struct {
	Accounts     []string // --accounts
	AccountsFile string   // --accounts-file
	Organization bool     // --organization
	OUs          []string // --ou
	Exclude      []string // --exclude

	fromFile []string
}

// Given reports whether any target flag was given: without one, commands
// run on the caller's account alone.
func (s *Spec) Given() bool {
	return len(s.Accounts) > 0 || s.AccountsFile != "" || s.Organization || len(s.OUs) > 0
}

var idPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Check validates the ids and OU ids and reads the accounts file, before
// any AWS call; its errors are the user's to fix.
func (s *Spec) Check() error {
	if len(s.Exclude) > 0 && !s.Given() {
		return errors.New("--exclude needs targets: give --accounts, --accounts-file, --organization or --ou")
	}
	for _, list := range []struct {
		flag string
		ids  []string
	}{{"--accounts", s.Accounts}, {"--exclude", s.Exclude}} {
		for _, id := range list.ids {
			if !idPattern.MatchString(id) {
				return fmt.Errorf("invalid account id %q in %s: give 12-digit AWS account ids, without hyphens", id, list.flag)
			}
		}
	}
	for _, ou := range s.OUs {
		if !organization.ValidParent(ou) {
			return fmt.Errorf("invalid --ou %q: give an organizational unit id (ou-…) or the root id (r-…)", ou)
		}
	}
	if s.AccountsFile == "" {
		return nil
	}
	ids, err := readAccountsFile(s.AccountsFile)
	if err != nil {
		return err
	}
	s.fromFile = ids
	return nil
}

// readAccountsFile reads one account id a line; blank lines and # comments
// are skipped.
func readAccountsFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--accounts-file: %w", unwrapPath(err))
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !idPattern.MatchString(line) {
			return nil, fmt.Errorf("--accounts-file %s, line %d: %q is not a 12-digit AWS account id", path, n, line)
		}
		ids = append(ids, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--accounts-file %s: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("--accounts-file %s lists no account ids (one 12-digit id a line, # for comments)", path)
	}
	return ids, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// Organization is what Resolve reads from AWS Organizations.
type Organization interface {
	Organization(context.Context) (*organization.Org, error)
	Accounts(context.Context) ([]organization.Account, error)
	AccountsUnder(context.Context, string) ([]organization.Account, error)
	AccountName(context.Context, string) string
}

// Resolve returns the target accounts, sorted by id: the union of the
// listed ids, the file's, the organization's and the OUs' ACTIVE accounts,
// minus the excluded ones, each with its Organizations name when the
// caller can read it.
func Resolve(ctx context.Context, s *Spec, org Organization) ([]Member, error) {
	names := map[string]string{}
	want := map[string]bool{}
	for _, id := range append(append([]string{}, s.Accounts...), s.fromFile...) {
		want[id] = true
	}
	add := func(accts []organization.Account) {
		for _, a := range accts {
			want[a.ID], names[a.ID] = true, a.Name
		}
	}
	if s.Organization {
		accts, err := org.Accounts(ctx)
		if errors.Is(err, organization.ErrNotInOrganization) {
			return nil, errors.New("--organization: the caller's account is not in an AWS organization: list the accounts with --accounts or --accounts-file")
		}
		if err != nil {
			return nil, fmt.Errorf("--organization: %w", err)
		}
		add(accts)
	}
	// Each OU is listed at once; the union does not depend on the order.
	under := make([][]organization.Account, len(s.OUs))
	g, gctx := errgroup.WithContext(ctx)
	for i, ou := range s.OUs {
		g.Go(func() (err error) { under[i], err = org.AccountsUnder(gctx, ou); return })
	}
	if err := g.Wait(); err != nil {
		if _, oerr := org.Organization(ctx); errors.Is(oerr, organization.ErrNotInOrganization) {
			return nil, errors.New("--ou: the caller's account is not in an AWS organization")
		}
		return nil, err
	}
	for _, accts := range under {
		add(accts)
	}
	for _, id := range s.Exclude {
		delete(want, id)
	}
	out := make([]Member, 0, len(want))
	for id := range want {
		out = append(out, Member{ID: id, Name: names[id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) == 0 {
		return nil, errors.New("no account to run on: the targets are empty once --exclude is applied")
	}
	nameUnknown(ctx, out, org)
	return out, nil
}

// nameUnknown reads the names of listed accounts (DescribeAccount), when
// the caller's organization can be read at all.
func nameUnknown(ctx context.Context, ms []Member, org Organization) {
	unknown := 0
	for _, m := range ms {
		if m.Name == "" {
			unknown++
		}
	}
	if unknown == 0 {
		return
	}
	if _, err := org.Organization(ctx); err != nil {
		return
	}
	var g errgroup.Group
	g.SetLimit(8)
	for i := range ms {
		if ms[i].Name == "" {
			g.Go(func() error { ms[i].Name = org.AccountName(ctx, ms[i].ID); return nil })
		}
	}
	_ = g.Wait()
}
