package iampolicy

import (
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to string
		want     []string
	}{
		{"action removed by sid",
			stmt(`{"Sid":"EC2Tagged","Effect":"Allow","Action":["ec2:AuthorizeSecurityGroupIngress","ec2:DeleteSecurityGroup"],"Resource":"*"}`),
			stmt(`{"Sid":"EC2Tagged","Effect":"Allow","Action":"ec2:AuthorizeSecurityGroupIngress","Resource":"*"}`),
			[]string{`~ statement "EC2Tagged": - action ec2:DeleteSecurityGroup`}},
		{"statement added and removed",
			stmt(`[{"Sid":"Keep","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Old","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]`),
			stmt(`[{"Sid":"Keep","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"New","Effect":"Allow","Action":"ec2:Foo","Resource":"*"}]`),
			[]string{`- statement "Old": Allow s3:PutObject on *`, `+ statement "New": Allow ec2:Foo on *`}},
		{"matched by content without sid",
			stmt(`[{"Effect":"Allow","Action":["a:x","a:y"],"Resource":"*"},{"Effect":"Deny","Action":"b:z","Resource":"*"}]`),
			stmt(`[{"Effect":"Deny","Action":"b:z","Resource":"*"},{"Effect":"Allow","Action":["a:x","a:w"],"Resource":["*","arn:aws:s3:::b"]}]`),
			[]string{`~ statement #2: - action a:y`, `~ statement #2: + action a:w`, `~ statement #2: + resource arn:aws:s3:::b`}},
		{"effect principal and conditions",
			stmt(`{"Sid":"T","Effect":"Allow","Principal":{"AWS":"168085023892"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"sts:ExternalId":["a","b"]}}}`),
			stmt(`{"Sid":"T","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":["a","c"]}}}`),
			[]string{
				`~ statement "T": effect Allow -> Deny`,
				`~ statement "T": - principal AWS arn:aws:iam::168085023892:root`,
				`~ statement "T": + principal AWS arn:aws:iam::111122223333:root`,
				`~ statement "T": - condition Bool aws:MultiFactorAuthPresent "true"`,
				`~ statement "T": - condition StringEquals sts:ExternalId "b"`,
				`~ statement "T": + condition StringEquals sts:ExternalId "c"`,
			}},
		{"version and sid",
			`{"Statement":{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}}`,
			stmt(`{"Sid":"B","Effect":"Allow","Action":"*","Resource":"*"}`),
			[]string{`~ version 2008-10-17 -> 2012-10-17`, `~ statement "B": sid "A" -> "B"`}},
		{"summary of conditioned statement",
			stmt(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}`),
			stmt(`[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"D","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/x","Condition":{"Null":{"aws:RequestTag/k":true}}}]`),
			[]string{`+ statement "D": Deny every action but iam:* on every resource but arn:aws:iam::*:user/x if Null aws:RequestTag/k "true"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diff(mustParse(t, tt.from), mustParse(t, tt.to))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// The bundled docs-v1 user policy and the published one differ; the diff
// names what the published version added, e.g. the tag-enforcing Deny.
func TestDiffSeedToReference(t *testing.T) {
	t.Parallel()
	from, err := Parse(readFile(t, seedUserFile))
	if err != nil {
		t.Fatal(err)
	}
	to, err := Parse(readFile(t, refUserFile))
	if err != nil {
		t.Fatal(err)
	}
	d := strings.Join(Diff(from, to), "\n")
	for _, want := range []string{
		`+ statement "ForceUnderlyingResourcesToHaveIdentifierTags": Deny ec2:CreateKeyPair, ec2:RunInstances on arn:aws:ec2:*:*:instance/*`,
		`- statement "Support": Allow support:* on *`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	if again := strings.Join(Diff(from, to), "\n"); again != d {
		t.Fatal("Diff is not stable")
	}
}
