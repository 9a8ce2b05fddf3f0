package plan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

func mustParse(t *testing.T, doc string) *iampolicy.Policy {
	t.Helper()
	p, err := iampolicy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompareActions(t *testing.T) {
	t.Parallel()
	const head = `{"Version":"2012-10-17","Statement":[`
	cases := []struct {
		name, from, to        string
		gained, lost, changed string
	}{
		{"action added",
			`{"Effect":"Allow","Action":"ec2:A","Resource":"*"}`,
			`{"Effect":"Allow","Action":["ec2:A","ec2:B"],"Resource":"*"}`, "ec2:B", "", ""},
		{"statement removed (the May 2025 change)",
			`{"Effect":"Allow","Action":"ec2:A","Resource":"*"},{"Sid":"S3Object","Effect":"Allow","Action":["s3:*Object*","s3:ListBucket"],"Resource":"*"}`,
			`{"Effect":"Allow","Action":"ec2:A","Resource":"*"}`, "", "s3:*Object*,s3:ListBucket", ""},
		{"pattern replaced by a name it covers",
			`{"Effect":"Allow","Action":"s3:*Object*","Resource":"*"}`,
			`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`, "", "s3:*Object*", ""},
		{"condition added",
			`{"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*"}`,
			`{"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"StringEquals":{"ec2:ResourceTag/RedisLabsIdentifier":"Redislabs-VPC"}}}`,
			"", "", "ec2:DeleteVolume"},
		{"resource narrowed",
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`,
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/redislabs-cluster-node-role"}`, "", "", "iam:PassRole"},
		{"explicit deny added",
			`{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`,
			`{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}`, "", "ec2:TerminateInstances", ""},
		{"policy variable resolved", `{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"}`,
			`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"},{"Effect":"Allow","Action":"support:*","Resource":"*"}`,
			"support:*", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ch := CompareActions(mustParse(t, head+tc.from+"]}"), mustParse(t, head+tc.to+"]}"))
			for _, c := range []struct{ what, got, want string }{
				{"gained", strings.Join(ch.Gained, ","), tc.gained},
				{"lost", strings.Join(ch.Lost, ","), tc.lost},
				{"changed", strings.Join(ch.Changed, ","), tc.changed},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

// A live document that differs is named after the known version it
// matches, and the plan lists the actions the update changes, apart from
// the statement diff.
func TestPlanNamesTheKnownVersionLiveMatches(t *testing.T) {
	t.Parallel()
	docsV1, err := policysource.Bundled("docs-v1")
	if err != nil {
		t.Fatal(err)
	}
	// A newer published instance policy without the S3Object statement,
	// and a user policy naming the account through the placeholder.
	inst := mustParse(t, string(docsV1.Instance.Raw))
	var kept []iampolicy.Statement
	for _, s := range inst.Statements {
		if s.Sid != "S3Object" {
			kept = append(kept, s)
		}
	}
	inst.Statements = kept
	sel := policysource.Selection{Source: "https://example.invalid/new/",
		Instance: policysource.Document{File: "i", Raw: inst.Canonical()},
		User:     policysource.Document{File: "u", Raw: docsV1.User.Raw},
		Known:    append(policysource.BundledKnown(), policysource.Known{Name: "https://example.invalid/old/ as fetched 2024-01-01 00:00 UTC", Instance: docsV1.Instance, User: docsV1.User})}
	sel.User.Raw = bytes.Replace(sel.User.Raw, []byte(`"arn:aws:iam::*:role/redislabs-cluster-node-role"`),
		[]byte(`"arn:aws:iam::`+policysource.Placeholder+`:role/redislabs-cluster-node-role"`), 1)
	d, err := desired.Build(sel, desired.Options{Layout: desired.LayoutCloud, AccountID: fixture.Account, Region: fixture.Region})
	if err != nil {
		t.Fatal(err)
	}
	l := fixture.Converged(d)
	l.Policies["redislabsinstancerolepolicy"].Document = docsV1.Instance.Raw
	l.Policies["redislabsiamuserrestrictedpolicy"].Document = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"support:*","Resource":"*"}]}`)
	p, err := Compute(d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]string{}
	for _, c := range p.Changes {
		details[c.Address.String()] = detailText(c)
	}
	instDetails := details["policy/RedisLabsInstanceRolePolicy"]
	for _, w := range []string{`- statement "S3Object"`, "live document matches docs-v1",
		"actions no longer allowed: s3:DeleteObject, s3:GetBucketLocation, s3:GetObject, s3:GetObjectAcl, s3:ListBucket, s3:PutObject, s3:PutObjectAcl"} {
		if !strings.Contains(instDetails, w) {
			t.Errorf("instance policy details lack %q:\n%s", w, instDetails)
		}
	}
	if strings.Contains(instDetails, "becoming allowed") {
		t.Errorf("instance policy update gains nothing:\n%s", instDetails)
	}
	userDetails := details["policy/RedislabsIAMUserRestrictedPolicy"]
	for _, w := range []string{"matches no known version", "actions becoming allowed: ", "ec2:RunInstances", "iam:PassRole"} {
		if !strings.Contains(userDetails, w) {
			t.Errorf("user policy details lack %q:\n%s", w, userDetails)
		}
	}

	// The placeholder of a known version is replaced before comparing.
	if got := KnownMatch(d, "RedislabsIAMUserRestrictedPolicy", d.Policy("RedislabsIAMUserRestrictedPolicy").Parsed); got != "" {
		t.Errorf("selected user policy matches known %q, want none (it names the account)", got)
	}
	d.Source.Known = append(d.Source.Known, policysource.Known{Name: "mine", Instance: sel.Instance, User: sel.User})
	if got := KnownMatch(d, "RedislabsIAMUserRestrictedPolicy", d.Policy("RedislabsIAMUserRestrictedPolicy").Parsed); got != "mine" {
		t.Errorf("known version with the placeholder: match %q, want mine", got)
	}
}
