package fleet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/organization"
)

func TestSpecCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "# prod\n111111111111\n\n222222222222  # dev\n")
	for _, tc := range []struct {
		name string
		spec Spec
		want string // "" accepted
	}{
		{"ids", Spec{Accounts: []string{"111111111111"}}, ""},
		{"short id", Spec{Accounts: []string{"11111111111"}}, `invalid account id "11111111111" in --accounts`},
		{"hyphens", Spec{Accounts: []string{"1111-1111-1111"}}, "without hyphens"},
		{"bad exclude", Spec{Organization: true, Exclude: []string{"x"}}, `invalid account id "x" in --exclude`},
		{"exclude alone", Spec{Exclude: []string{"111111111111"}}, "--exclude needs targets"},
		{"bad ou", Spec{OUs: []string{"prod"}}, `invalid --ou "prod"`},
		{"root as ou", Spec{OUs: []string{"r-ab12"}}, ""},
		{"file", Spec{AccountsFile: good}, ""},
		{"missing file", Spec{AccountsFile: filepath.Join(dir, "none")}, "--accounts-file: " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"empty file", Spec{AccountsFile: write("empty", "# nothing\n\n")}, "lists no account ids"},
		{"bad line", Spec{AccountsFile: write("bad", "111111111111\nprod\n")}, `line 2: "prod" is not a 12-digit AWS account id`},
	} {
		err := tc.spec.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	s := Spec{AccountsFile: good}
	if err := s.Check(); err != nil || strings.Join(s.fromFile, ",") != "111111111111,222222222222" {
		t.Errorf("file read as %v (%v)", s.fromFile, err)
	}
}

type fakeOrg struct {
	notIn bool
	all   []organization.Account
	ous   map[string][]organization.Account
	names map[string]string
}

func (f *fakeOrg) Organization(context.Context) (*organization.Org, error) {
	if f.notIn {
		return nil, organization.ErrNotInOrganization
	}
	return &organization.Org{ID: "o-example"}, nil
}

func (f *fakeOrg) Accounts(ctx context.Context) ([]organization.Account, error) {
	if _, err := f.Organization(ctx); err != nil {
		return nil, err
	}
	return f.all, nil
}

func (f *fakeOrg) AccountsUnder(_ context.Context, ou string) ([]organization.Account, error) {
	a, ok := f.ous[ou]
	if !ok {
		return nil, errors.New("--ou " + ou + ": no such organizational unit in this organization")
	}
	return a, nil
}

func (f *fakeOrg) AccountName(_ context.Context, id string) string { return f.names[id] }

func TestResolve(t *testing.T) {
	t.Parallel()
	org := &fakeOrg{
		all:   []organization.Account{{ID: "111111111111", Name: "mgmt"}, {ID: "222222222222", Name: "prod"}, {ID: "333333333333", Name: "dev"}},
		ous:   map[string][]organization.Account{"ou-ab12-prodprod": {{ID: "222222222222", Name: "prod"}}},
		names: map[string]string{"444444444444": "sandbox"},
	}
	ids := func(ms []Member) string {
		var s []string
		for _, m := range ms {
			s = append(s, m.ID+"="+m.Name)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"organization minus exclude", Spec{Organization: true, Exclude: []string{"111111111111"}}, "222222222222=prod 333333333333=dev"},
		{"union without duplicates, names read", Spec{Accounts: []string{"444444444444", "222222222222"}, OUs: []string{"ou-ab12-prodprod"}}, "222222222222=prod 444444444444=sandbox"},
		{"unknown name", Spec{Accounts: []string{"555555555555"}}, "555555555555="},
	} {
		got, err := Resolve(context.Background(), &tc.spec, org)
		if err != nil || ids(got) != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, ids(got), err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		org  *fakeOrg
		spec Spec
		want string
	}{
		{"not in an organization", &fakeOrg{notIn: true}, Spec{Organization: true}, "--organization: the caller's account is not in an AWS organization"},
		{"ou not in an organization", &fakeOrg{notIn: true}, Spec{OUs: []string{"ou-ab12-prodprod"}}, "--ou: the caller's account is not in an AWS organization"},
		{"no such ou", org, Spec{OUs: []string{"ou-ab12-nothere1"}}, "no such organizational unit"},
		{"all excluded", org, Spec{Accounts: []string{"222222222222"}, Exclude: []string{"222222222222"}}, "no account to run on"},
	} {
		if _, err := Resolve(context.Background(), &tc.spec, tc.org); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Run keeps to --parallel, gives every member its outcome in order, marks
// each call's context with its account, and starts nobody once the
// context has ended (those are skipped).
func TestRun(t *testing.T) {
	t.Parallel()
	var members []Member
	for i := 0; i < 20; i++ {
		members = append(members, Member{ID: strings.Repeat(string(rune('a'+i)), 12)})
	}
	var running, peak atomic.Int32
	out := Run(context.Background(), members, 4, func(ctx context.Context, m Member) Outcome {
		if AccountOf(ctx) != m.ID {
			t.Errorf("context marks %q for %s", AccountOf(ctx), m.ID)
		}
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		running.Add(-1)
		return Outcome{Status: OK}
	}, nil, nil)
	if peak.Load() != 4 {
		t.Errorf("peak %d accounts at once, want 4", peak.Load())
	}
	for i, o := range out {
		if o.Account != members[i].ID || o.Status != OK {
			t.Errorf("outcome %d = %+v", i, o)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	out = Run(ctx, members, 2, func(ctx context.Context, m Member) Outcome {
		if started.Add(1) == 2 {
			cancel()
		}
		<-ctx.Done()
		return Outcome{Status: Stopped, ExitCode: 130}
	}, nil, nil)
	s := Summarize(out)
	if s.Stopped != 2 || s.Skipped != 18 || s.Accounts != 20 {
		t.Errorf("after the cancel: %+v", s)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	o := func(st Status, code int) Outcome { return Outcome{Status: st, ExitCode: code} }
	for _, tc := range []struct {
		name        string
		os          []Outcome
		interrupted bool
		detailed    bool
		want        int
	}{
		{"all ok", []Outcome{o(OK, 0), o(Changes, 0)}, false, false, 0},
		{"changes with detailed", []Outcome{o(OK, 0), o(Changes, 0)}, false, true, 2},
		{"could not check beats changes", []Outcome{o(Changes, 0), o(Failed, 3)}, false, true, 3},
		{"a failure beats could not check", []Outcome{o(Failed, 3), o(Failed, 1)}, false, false, 1},
		{"interrupted beats all", []Outcome{o(Failed, 1), o(Stopped, 130)}, true, false, 130},
	} {
		if got := ExitCode(tc.os, tc.interrupted, tc.detailed); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
