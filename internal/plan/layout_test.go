package plan

import (
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
)

// Switching layouts is a plan like any other: cloud → rv deletes
// redislabs-role (detaching first) when it is rciam's, rv → cloud creates
// it.
func TestLayoutSwitch(t *testing.T) {
	t.Parallel()
	cloud, rv := want(t, desired.LayoutCloud), want(t, desired.LayoutRV)
	cases := []struct {
		name  string
		want  *desired.Set
		live  func() *live.State
		opts  Options
		ops   []string
		warns []string
	}{
		{"cloud to rv deletes the console role", rv, func() *live.State { return converged(cloud) }, Options{},
			[]string{"DetachRolePolicy role/redislabs-role", "DeleteRole role/redislabs-role"}, nil},
		{"rv to cloud creates it", cloud, func() *live.State { return converged(rv) }, Options{},
			[]string{"CreateRole role/redislabs-role", "AttachRolePolicy role/redislabs-role"}, nil},
		{"not rciam's: kept", rv, func() *live.State {
			l := converged(cloud)
			l.Roles["redislabs-role"].Tags = map[string]string{r.TagUsedBy: r.UsedByValue}
			return l
		}, Options{}, nil, []string{"ManagedBy=rciam", "left in place"}},
		{"stack-owned: kept", rv, func() *live.State {
			l := converged(cloud)
			l.StackOwned = map[string]string{"role/redislabs-role": "RedisCloud"}
			return l
		}, Options{}, nil, []string{"stack RedisCloud"}},
		{"foreign inline policy and profile: kept", rv, func() *live.State {
			l := converged(cloud)
			l.Roles["redislabs-role"].InlinePolicies = map[string][]byte{"extra": nil}
			l.Profiles["other"] = &live.Profile{Name: "other", Roles: []string{"redislabs-role"}}
			return l
		}, Options{}, nil, []string{"inline policy extra", "instance profile other"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compute(tc.want, tc.live(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ops(p), ","); got != strings.Join(tc.ops, ",") {
				t.Errorf("steps = %s, want %s", got, strings.Join(tc.ops, ","))
			}
			warns := warnText(p)
			for _, w := range tc.warns {
				if !strings.Contains(warns, w) {
					t.Errorf("warnings %q lack %q", warns, w)
				}
			}
			if del := hasOp(p, OpDeleteRole); del != nil {
				if len(del.Deps) == 0 || !strings.HasPrefix(del.Deps[0], string(OpDetachRolePolicy)) {
					t.Errorf("DeleteRole does not wait for the detach: %v", del.Deps)
				}
				if _, _, d := p.Counts(); d != 1 {
					t.Errorf("deletes = %d, want 1", d)
				}
			}
		})
	}
}
