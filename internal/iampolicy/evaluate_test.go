package iampolicy

import (
	"fmt"
	"reflect"
	"testing"
)

func mustCompile(t testing.TB, name, doc string) *Compiled {
	t.Helper()
	c, err := Compile(name, mustParse(t, doc))
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return c
}

// ctx builds a request context from key, value pairs; a key given twice is
// multivalued.
func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

var (
	allowAll   = stmt(`{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}`)
	allowS3    = stmt(`{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}`)
	denyS3Put  = stmt(`{"Sid":"NoPut","Effect":"Deny","Action":"s3:PutObject","Resource":"*"}`)
	allowEC2   = stmt(`{"Sid":"EC2","Effect":"Allow","Action":"ec2:*","Resource":"*"}`)
	allowNoIAM = stmt(`{"Sid":"NotIAM","Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)
)

// The evaluation logic of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// (identity policies, permissions boundary, SCP levels; explicit deny wins,
// everything not allowed is implicitly denied).
func TestEvaluateLogic(t *testing.T) {
	t.Parallel()
	c := func(name, doc string) *Compiled { return mustCompile(t, name, doc) }
	tests := []struct {
		name    string
		in      Input
		action  string
		want    Decision
		matched []Match
		missing []string
	}{
		{"no policies", Input{}, "s3:GetObject", ImplicitDeny, nil, []string{"identity policies"}},
		{"identity allows", Input{Identity: []*Compiled{c("p", allowS3)}}, "s3:GetObject", Allowed,
			[]Match{{"p", "S3", "Allow", 0}}, nil},
		{"not named", Input{Identity: []*Compiled{c("p", allowS3)}}, "ec2:RunInstances", ImplicitDeny, nil, []string{"identity policies"}},
		{"explicit deny wins", Input{Identity: []*Compiled{c("a", allowAll), c("d", denyS3Put)}}, "s3:PutObject", ExplicitDeny,
			[]Match{{"d", "NoPut", "Deny", 0}}, nil},
		{"allows from two policies", Input{Identity: []*Compiled{c("a", allowAll), c("s", allowS3)}}, "s3:GetObject", Allowed,
			[]Match{{"a", "All", "Allow", 0}, {"s", "S3", "Allow", 0}}, nil},
		{"boundary must allow", Input{Identity: []*Compiled{c("a", allowAll)}, Boundary: c("b", allowEC2)}, "s3:GetObject", ImplicitDeny,
			nil, []string{"permissions boundary"}},
		{"boundary allows", Input{Identity: []*Compiled{c("a", allowS3)}, Boundary: c("b", allowAll)}, "s3:GetObject", Allowed,
			[]Match{{"a", "S3", "Allow", 0}, {"b", "All", "Allow", 0}}, nil},
		{"boundary alone grants nothing", Input{Boundary: c("b", allowAll)}, "s3:GetObject", ImplicitDeny, nil, []string{"identity policies"}},
		{"deny in boundary", Input{Identity: []*Compiled{c("a", allowAll)}, Boundary: c("b", denyS3Put)}, "s3:PutObject", ExplicitDeny,
			[]Match{{"b", "NoPut", "Deny", 0}}, nil},
		{"every scp level allows", Input{Identity: []*Compiled{c("a", allowS3)}, SCPs: [][]*Compiled{{c("root", allowAll)}, {c("ou", allowS3)}}},
			"s3:GetObject", Allowed, []Match{{"a", "S3", "Allow", 0}, {"root", "All", "Allow", 0}, {"ou", "S3", "Allow", 0}}, nil},
		{"one scp level does not", Input{Identity: []*Compiled{c("a", allowAll)}, SCPs: [][]*Compiled{{c("root", allowAll)}, {c("ou", allowEC2)}}},
			"s3:GetObject", ImplicitDeny, nil, []string{"SCP level 2"}},
		{"scp allows from one of two", Input{Identity: []*Compiled{c("a", allowAll)}, SCPs: [][]*Compiled{{c("x", allowEC2), c("y", allowS3)}}},
			"s3:GetObject", Allowed, []Match{{"a", "All", "Allow", 0}, {"y", "S3", "Allow", 0}}, nil},
		{"scp deny", Input{Identity: []*Compiled{c("a", allowAll)}, SCPs: [][]*Compiled{{c("root", allowAll), c("deny", denyS3Put)}}},
			"s3:PutObject", ExplicitDeny, []Match{{"deny", "NoPut", "Deny", 0}}, nil},
		{"empty scp level", Input{Identity: []*Compiled{c("a", allowAll)}, SCPs: [][]*Compiled{{}}}, "s3:GetObject", ImplicitDeny,
			nil, []string{"SCP level 1"}},
		{"scp grants nothing alone", Input{SCPs: [][]*Compiled{{c("root", allowAll)}}}, "s3:GetObject", ImplicitDeny,
			nil, []string{"identity policies"}},
		{"rcp deny", Input{Identity: []*Compiled{c("a", allowAll)}, RCPs: [][]*Compiled{{c("full", allowAll)}, {c("ou", denyS3Put)}}},
			"s3:PutObject", ExplicitDeny, []Match{{"ou", "NoPut", "Deny", 0}}, nil},
		{"rcp levels only deny (RCPFullAWSAccess cannot be detached)", Input{Identity: []*Compiled{c("a", allowS3)}, RCPs: [][]*Compiled{{}, {c("ec2", allowEC2)}}},
			"s3:GetObject", Allowed, []Match{{"a", "S3", "Allow", 0}}, nil},
		{"scp and rcp levels both allow", Input{Identity: []*Compiled{c("a", allowS3)}, SCPs: [][]*Compiled{{c("scp", allowAll)}}, RCPs: [][]*Compiled{{c("rcp", allowAll)}}},
			"s3:GetObject", Allowed, []Match{{"a", "S3", "Allow", 0}, {"scp", "All", "Allow", 0}, {"rcp", "All", "Allow", 0}}, nil},
		{"notaction", Input{Identity: []*Compiled{c("n", allowNoIAM)}}, "s3:GetObject", Allowed, []Match{{"n", "NotIAM", "Allow", 0}}, nil},
		{"notaction excludes", Input{Identity: []*Compiled{c("n", allowNoIAM)}}, "IAM:CreateUser", ImplicitDeny, nil, []string{"identity policies"}},
		{"statement without sid", Input{Identity: []*Compiled{c("p", stmt(`[{"Sid":"X","Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]`))}},
			"s3:GetObject", ExplicitDeny, []Match{{"p", "", "Deny", 1}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(&tt.in, Request{Action: tt.action, Resource: "*"})
			want := Result{Decision: tt.want, Matched: tt.matched, Missing: tt.missing, MissingSCPLevels: scpLevels(tt.missing)}
			if len(got.Matched) == 0 {
				got.Matched = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

// Wildcards in actions (case-insensitive) and resources (case-sensitive,
// per ARN component), NotResource and the absent Resource element:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
func TestEvaluateMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, statement, action, resource string
		allowed                           bool
	}{
		{"action case-insensitive", `"Action":"EC2:describeINSTANCES","Resource":"*"`, "ec2:DescribeInstances", "*", true},
		{"action star", `"Action":"ec2:Describe*","Resource":"*"`, "ec2:DescribeVpcs", "*", true},
		{"action star middle", `"Action":"ec2:*Vpc*","Resource":"*"`, "ec2:CreateVpcPeeringConnection", "*", true},
		{"action star other service", `"Action":"ec2:*","Resource":"*"`, "ec2messages:Get", "*", false},
		{"action question", `"Action":"s3:Get?bject","Resource":"*"`, "s3:GetObject", "*", true},
		{"action question one char", `"Action":"s3:Get?bject","Resource":"*"`, "s3:Getbject", "*", false},
		{"action service wildcard", `"Action":"*:Get*","Resource":"*"`, "s3:GetObject", "*", true},
		{"action star all", `"Action":"*","Resource":"*"`, "anything:AtAll", "*", true},
		{"resource exact", `"Action":"s3:*","Resource":"arn:aws:s3:::bucket/key"`, "s3:GetObject", "arn:aws:s3:::bucket/key", true},
		{"resource case-sensitive", `"Action":"s3:*","Resource":"arn:aws:s3:::Bucket/*"`, "s3:GetObject", "arn:aws:s3:::bucket/key", false},
		{"resource star in component", `"Action":"iam:*","Resource":"arn:aws:iam::*:role/redislabs-*"`, "iam:PassRole", "arn:aws:iam::123456789012:role/redislabs-x", true},
		{"resource star does not span colon", `"Action":"ec2:*","Resource":"arn:aws:ec2:*:123456789012:instance/*"`, "ec2:RunInstances", "arn:aws:ec2:us-east-1:999:123456789012:instance/i-1", false},
		{"resource last component keeps colons", `"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`, "s3:GetObject", "arn:aws:s3:::b/a:b:c", true},
		{"resource question", `"Action":"s3:*","Resource":"arn:aws:s3:::b?"`, "s3:GetObject", "arn:aws:s3:::b1", true},
		{"star request matches star only", `"Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/*"`, "ec2:RunInstances", "*", false},
		{"empty resource reads as star", `"Action":"ec2:*","Resource":"*"`, "ec2:RunInstances", "", true},
		{"notresource excludes", `"Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"`, "s3:GetObject", "arn:aws:s3:::secret/x", false},
		{"notresource admits", `"Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"`, "s3:GetObject", "arn:aws:s3:::public/x", true},
		{"no resource element", `"Action":"sts:AssumeRole","Principal":"*"`, "sts:AssumeRole", "arn:aws:iam::1:role/r", true},
		{"notaction with wildcard", `"NotAction":["iam:*","s3:Put*"],"Resource":"*"`, "s3:putobject", "*", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustCompile(t, "p", stmt(`{"Effect":"Allow",`+tt.statement+`}`))
			got := Evaluate(&Input{Identity: []*Compiled{c}}, Request{Action: tt.action, Resource: tt.resource})
			if (got.Decision == Allowed) != tt.allowed {
				t.Fatalf("%s on %q: %s, want allowed=%v", tt.action, tt.resource, got.Decision, tt.allowed)
			}
		})
	}
}

// Policy variables, from
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
// resolved only from the request context; ${*}, ${?}, ${$} are literal;
// a default applies when the key is missing; a variable without value
// matches nothing (so a negated operator holds); 2008-10-17 documents read
// variables as text.
func TestEvaluateVariables(t *testing.T) {
	t.Parallel()
	user := "arn:aws:iam::123456789012:user/"
	tests := []struct {
		name, version, statement, resource string
		ctx                                map[string][]string
		allowed                            bool
	}{
		{"username", Version2012, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "bob", ctx("aws:username", "bob"), true},
		{"username other", Version2012, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "alice", ctx("aws:username", "bob"), false},
		{"key name any case", Version2012, `"Resource":"arn:aws:iam::*:user/${AWS:UserName}"`, user + "bob", ctx("aws:USERNAME", "bob"), true},
		{"missing key", Version2012, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "bob", nil, false},
		{"multivalued key does not resolve", Version2012, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "bob", ctx("aws:username", "bob", "aws:username", "al"), false},
		{"value is literal", Version2012, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "bob", ctx("aws:username", "*"), false},
		{"principal tag", Version2012, `"Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"`, "arn:aws:s3:::b/red/x", ctx("aws:PrincipalTag/team", "red"), true},
		{"default value", Version2012, `"Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*"`, "arn:aws:s3:::b/shared/x", nil, true},
		{"default unused when present", Version2012, `"Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*"`, "arn:aws:s3:::b/shared/x", ctx("aws:PrincipalTag/team", "red"), false},
		{"literal star", Version2012, `"Resource":"arn:aws:s3:::b/${*}"`, "arn:aws:s3:::b/*", nil, true},
		{"literal star is not a wildcard", Version2012, `"Resource":"arn:aws:s3:::b/${*}"`, "arn:aws:s3:::b/x", nil, false},
		{"literal question and dollar", Version2012, `"Resource":"arn:aws:s3:::b/${?}${$}"`, "arn:aws:s3:::b/?$", nil, true},
		{"2008 reads text", Version2008, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "${aws:username}", ctx("aws:username", "bob"), true},
		{"2008 does not substitute", Version2008, `"Resource":"arn:aws:iam::*:user/${aws:username}"`, user + "bob", ctx("aws:username", "bob"), false},
		{"in StringEquals", Version2012, `"Resource":"*","Condition":{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, "*", ctx("s3:prefix", "home/bob", "aws:username", "bob"), true},
		{"in StringLike", Version2012, `"Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, "*", ctx("s3:prefix", "home/bob/x", "aws:username", "bob"), true},
		{"unresolved in StringEquals", Version2012, `"Resource":"*","Condition":{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, "*", ctx("s3:prefix", "home/"), false},
		{"unresolved in StringNotEquals holds", Version2012, `"Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"home/${aws:username}"}}`, "*", ctx("s3:prefix", "home/"), true},
		{"in ArnLike", Version2012, `"Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:username}"}}`, "*", ctx("aws:SourceArn", user+"bob", "aws:username", "bob"), true},
		{"not in numeric", Version2012, `"Resource":"*","Condition":{"NumericEquals":{"s3:max-keys":"${aws:username}"}}`, "*", ctx("s3:max-keys", "5", "aws:username", "5"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"Version":"` + tt.version + `","Statement":{"Effect":"Allow","Action":"*",` + tt.statement + `}}`
			c := mustCompile(t, "p", doc)
			got := Evaluate(&Input{Identity: []*Compiled{c}}, Request{Action: "iam:GetUser", Resource: tt.resource, Context: tt.ctx})
			if (got.Decision == Allowed) != tt.allowed {
				t.Fatalf("%s: %s, want allowed=%v", tt.resource, got.Decision, tt.allowed)
			}
		})
	}
}

// scpLevels reads the SCP levels a Missing list names ("SCP level 2").
func scpLevels(missing []string) []int {
	var out []int
	for _, m := range missing {
		var n int
		if _, err := fmt.Sscanf(m, "SCP level %d", &n); err == nil {
			out = append(out, n)
		}
	}
	return out
}
