package access

import (
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

func TestConvergedAccountAllowsEverything(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	fs := Analyze(d, fixture.Converged(d))
	if len(fs) != 3 {
		t.Fatalf("findings for %d principals, want 3", len(fs))
	}
	for _, f := range fs {
		if f.Checked < 5 || len(f.Denied) > 0 || len(f.Unreadable) > 0 {
			t.Errorf("%s: checked %d, denied %v, unreadable %v", f.Principal, f.Checked, f.DeniedActions(), f.Unreadable)
		}
	}
}

func TestDenialsNameTheirPolicy(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	cases := []struct {
		name    string
		drift   func(l *live.State)
		who     string
		actions []string
		by      string
	}{
		{"inline deny on the user", func(l *live.State) {
			l.Users["redislabs-user"].InlinePolicies["no-ec2"] = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"*"}]}`)
		}, "user/redislabs-user", []string{"ec2:RunInstances"}, "inline policy no-ec2"},
		// a Deny on a real name inside a wildcard the policy grants
		{"group policy denies inside a wildcard", func(l *live.State) {
			l.Users["redislabs-user"].Groups = []string{"g"}
			l.Groups["g"] = &live.Group{Name: "g", InlinePolicies: map[string][]byte{"x": []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:CreateVpc","Resource":"*"}]}`)}}
		}, "user/redislabs-user", []string{"ec2:CreateVpc"}, "inline policy x of group g"},
		{"boundary limits the console role", func(l *live.State) {
			l.Roles["redislabs-role"].Boundary = "arn:aws:iam::123456789012:policy/limit"
			l.Policies["limit"] = &live.Policy{Name: "limit", ARN: "arn:aws:iam::123456789012:policy/limit",
				Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"support:*","Resource":"*"}]}`)}
		}, "role/redislabs-role", []string{"support:CreateCase", "support:DescribeCases"}, "permissions boundary limit"},
		{"instance policy detached", func(l *live.State) { l.Roles["redislabs-cluster-node-role"].AttachedPolicies = nil },
			"role/redislabs-cluster-node-role", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := fixture.Converged(d)
			tc.drift(l)
			var got *Finding
			for _, f := range Analyze(d, l) {
				if f.Principal.String() == tc.who {
					got = &f
				} else if len(f.Denied) > 0 {
					t.Errorf("%s also denied %v", f.Principal, f.DeniedActions())
				}
			}
			if got == nil || len(got.Denied) == 0 {
				t.Fatalf("no denial for %s", tc.who)
			}
			if tc.actions != nil && strings.Join(got.DeniedActions(), ",") != strings.Join(tc.actions, ",") {
				t.Errorf("denied %v, want %v", got.DeniedActions(), tc.actions)
			}
			bl := Blockers([]Finding{*got})
			if tc.by == "" {
				if len(bl) != 0 {
					t.Errorf("blockers %v, want none (a missing attachment is repaired, not removed)", bl)
				}
				return
			}
			if len(bl) != 1 || bl[0].Source.String() != tc.by {
				t.Errorf("blockers = %+v, want %s", bl, tc.by)
			}
		})
	}
}

// The latest published user policy denies RunInstances without the
// RedisLabsIdentifier request tag; Redis Cloud sends the tag, so the needs
// derived from it are allowed.
func TestReferencePolicyNeedsCarryTheTag(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	raw := fixture.Published(t, "RedislabsIAMUserRestrictedPolicy.json")
	p, err := iampolicy.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	d.Policies[1].Parsed, d.Policies[1].Document = p, raw
	l := fixture.Converged(d)
	for _, f := range Analyze(d, l) {
		if len(f.Denied) > 0 {
			t.Errorf("%s denied %v", f.Principal, f.DeniedActions())
		}
	}
	var run bool
	for _, n := range Needs(p, "aws", fixture.Account, fixture.Region, "redislabs-user") {
		if n.Action == "ec2:RunInstances" {
			run = true
			if n.Context["aws:RequestTag/RedisLabsIdentifier"] == nil {
				t.Error("RunInstances need lacks the request tag")
			}
		}
	}
	if !run {
		t.Error("no RunInstances need")
	}
}
