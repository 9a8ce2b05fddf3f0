package access

import (
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/organization"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

const (
	fullSCP = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	fullRCP = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	// An SCP denying instance launches, as many organizations write one.
	noRunInstances = `{"Version":"2012-10-17","Statement":[{"Sid":"NoLaunch","Effect":"Deny","Action":"ec2:RunInstances","Resource":"*"}]}`
	// A data perimeter RCP: only the organization's principals may assume
	// roles (AWS services excepted).
	perimeter = `{"Version":"2012-10-17","Statement":[{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
	  "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-example"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`
	// An allow-list SCP without EC2 at an OU.
	onlyS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
)

func levels(docs ...[]organization.Policy) []organization.Level {
	targets := []organization.Target{{ID: "r-ab12", Kind: organization.KindRoot}, {ID: "ou-ab12-11111111", Kind: organization.KindOU}, {ID: "123456789012", Kind: organization.KindAccount}}
	var out []organization.Level
	for i, ps := range docs {
		out = append(out, organization.Level{Target: targets[i], Policies: ps})
	}
	return out
}

func pol(id, name, doc string) organization.Policy {
	return organization.Policy{ID: id, Name: name, Document: []byte(doc)}
}

// Guardrails name the policy, its target and statement, and the denied
// actions; the management account and accounts without denying policies
// have none.
func TestGuardrails(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	org := &organization.Org{ID: "o-example", ManagementAccount: "999999999999"}
	full := []organization.Policy{pol("p-FullAWSAccess", "FullAWSAccess", fullSCP)}
	rcpFull := []organization.Policy{pol("p-RCPFullAWSAccess", "RCPFullAWSAccess", fullRCP)}
	cases := []struct {
		name string
		g    organization.Guardrails
		want []string // kind target policy statement actions
	}{
		{"full access everywhere", organization.Guardrails{Org: org, SCPs: levels(full, full, full), RCPs: levels(rcpFull, rcpFull, rcpFull)}, nil},
		{"scp deny on the OU", organization.Guardrails{Org: org, SCPs: levels(full, append(full, pol("p-nolaunch", "NoLaunch", noRunInstances)), full)},
			[]string{`scp OU ou-ab12-11111111 p-nolaunch "NoLaunch" ec2:RunInstances`}},
		{"allow-list without ec2 on the OU", organization.Guardrails{Org: org, SCPs: levels(full, []organization.Policy{pol("p-s3", "OnlyS3", onlyS3)}, full)},
			[]string{`scp OU ou-ab12-11111111 p-s3  ec2:`}},
		{"rcp perimeter on the root", organization.Guardrails{Org: org, RCPs: levels(append(rcpFull, pol("p-perimeter", "Perimeter", perimeter)), rcpFull, rcpFull)},
			[]string{`rcp root r-ab12 p-perimeter "EnforceOrgIdentities" sts:AssumeRole`}},
		{"management account", organization.Guardrails{Org: &organization.Org{ID: "o-example", ManagementAccount: "123456789012"},
			SCPs: levels(append(full, pol("p-nolaunch", "NoLaunch", noRunInstances)), full, full)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := fixture.Converged(d)
			got, checked := Guardrails(d, l, &tc.g)
			if tc.g.Org.ManagementAccount != l.AccountID && checked == 0 {
				t.Error("nothing was checked")
			}
			if len(got) != len(tc.want) {
				t.Fatalf("denials %+v, want %v", got, tc.want)
			}
			for i, g := range got {
				line := g.Kind + " " + g.Target.String() + " " + g.Policy.ID + " " + g.Statement + " " + strings.Join(g.Actions, ",")
				if !strings.HasPrefix(line, tc.want[i]) {
					t.Errorf("denial %q, want %q…", line, tc.want[i])
				}
			}
		})
	}
}
