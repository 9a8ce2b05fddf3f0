package planfile

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

// A saved plan reads back as written, and is refused for another account
// or region, an account that reads differently, or other steps.
func TestSaveReadCheck(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	l := fixture.Converged(d)
	l.Users["redislabs-user"].AttachedPolicies = nil
	p, err := plan.Compute(d, l, plan.Options{RemoveUnexpected: true})
	if err != nil {
		t.Fatal(err)
	}
	sel, _ := policysource.Bundled(policysource.DefaultVersion)
	path := filepath.Join(t.TempDir(), "p.plan")
	if err := New(l, sel, desired.LayoutCloud, plan.Options{RemoveUnexpected: true}, p, "v1.2.3", time.Now()).Write(path); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Selection(); string(got.User.Raw) != string(sel.User.Raw) || got.Source != sel.Source || !f.PlanOptions().RemoveUnexpected {
		t.Error("the saved documents or options differ")
	}
	if err := f.Check(l, p); err != nil {
		t.Errorf("the same account: %v", err)
	}
	var stale *StaleError
	other := fixture.Converged(d)
	other.Users["redislabs-user"].AttachedPolicies = nil
	other.Region = "ap-south-1"
	if err := f.Check(other, p); !errors.As(err, &stale) || !strings.Contains(err.Error(), "pass --region "+fixture.Region) {
		t.Errorf("another region: %v", err)
	}
	other.Region = l.Region
	other.Roles["redislabs-role"].Tags = map[string]string{}
	if err := f.Check(other, p); !errors.As(err, &stale) || !strings.Contains(err.Error(), "the account changed") {
		t.Errorf("a changed account: %v", err)
	}
	fewer := *p
	fewer.Steps = nil
	if err := f.Check(l, &fewer); !errors.As(err, &stale) || !strings.Contains(err.Error(), "other steps") {
		t.Errorf("other steps: %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing file: %v", err)
	}
}
