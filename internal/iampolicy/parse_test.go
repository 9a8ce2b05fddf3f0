package iampolicy

import (
	"errors"
	"reflect"
	"testing"
)

// Every form the policy grammar allows, and what IAM rejects, from
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, err string
	}{
		{"statement object", stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), ""},
		{"statement list", stmt(`[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]`), ""},
		{"no version", `{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/x"}}`, ""},
		{"version 2008", `{"Version":"2008-10-17","Id":"x","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, ""},
		{"principal star", stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`), ""},
		{"principal map", stmt(`{"Effect":"Allow","Principal":{"AWS":["168085023892"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), ""},
		{"not principal", stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"*","Resource":"*"}`), ""},
		{"condition value types", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10},"StringEquals":{"aws:username":["a","b"]}}}`), ""},
		{"unknown resource type", stmt(`{"Effect":"Deny","Action":"ec2:CreateKeyPair","Resource":"arn:aws:ec2:*:*:keypair/*"}`), ""},
		{"wildcard service action", stmt(`{"Effect":"Allow","Action":"ec2:*Vpc*","Resource":"*"}`), ""},

		{"not json", `{"Statement":`, "not valid JSON"},
		{"not object", `[1]`, "must be a JSON object"},
		{"unknown top field", `{"Statement":[],"Foo":1}`, `unknown field "Foo"`},
		{"field case matters", `{"statement":{}}`, `unknown field "statement"`},
		{"no statement", `{"Version":"2012-10-17"}`, "missing required field Statement"},
		{"empty statement list", stmt(`[]`), "non-empty list"},
		{"bad version", `{"Version":"2020-01-01","Statement":{}}`, `Version: unsupported version "2020-01-01"`},
		{"unknown statement field", stmt(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*","Foo":1}`), `statement "A": unknown field "Foo"`},
		{"bad effect", stmt(`{"Sid":"A","Effect":"allow","Action":"*","Resource":"*"}`), `statement "A": Effect: invalid effect "allow"`},
		{"missing effect", stmt(`[{"Action":"*","Resource":"*"}]`), "statement #1: Effect: missing required field Effect"},
		{"empty action", stmt(`[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":[],"Resource":"*"}]`), "statement #2: Action: policy statement must contain actions"},
		{"no action", stmt(`{"Effect":"Allow","Resource":"*"}`), "must contain actions"},
		{"action and notaction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}`), "not both"},
		{"action without service", stmt(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), "must be prefaced by a service"},
		{"action two colons", stmt(`{"Effect":"Allow","Action":"s3:a:b","Resource":"*"}`), "only one colon"},
		{"action number", stmt(`{"Effect":"Allow","Action":[1],"Resource":"*"}`), "Action: must be a string or a list of strings"},
		{"malformed arn", stmt(`{"Sid":"R","Effect":"Allow","Action":"*","Resource":"arn:aws:s3"}`), `statement "R": Resource: resource "arn:aws:s3" must be in ARN format`},
		{"resource not arn", stmt(`{"Effect":"Allow","Action":"*","NotResource":["bucket"]}`), "NotResource: resource \"bucket\""},
		{"empty resource", stmt(`{"Effect":"Allow","Action":"*","Resource":[]}`), "must contain resources"},
		{"unknown operator", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}`), `unknown condition operator "StringEqualz"`},
		{"null ifexists", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}`), "unknown condition operator"},
		{"condition key no service", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"SecureTransport":"true"}}}`), "must be prefaced by a service"},
		{"condition object value", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}`), "values must be strings, numbers or booleans"},
		{"condition keys differ in case", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","AWS:UserName":"b"}}}`), "twice"},
		{"principal bad string", stmt(`{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"*"}`), "Principal: invalid principal"},
		{"principal unknown type", stmt(`{"Effect":"Allow","Principal":{"User":"x"},"Action":"*"}`), `unknown principal type "User"`},
		{"duplicate sid", stmt(`[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]`), "must be unique"},
		{"null field", stmt(`{"Effect":"Allow","Action":null,"Resource":"*"}`), "Action must not be null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.doc))
			checkErr(t, err, tt.err)
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error %T is not a *ValidationError", err)
				}
			}
		})
	}
}

func TestParseModel(t *testing.T) {
	t.Parallel()
	p := mustParse(t, stmt(`{"Sid":"S","Effect":"Allow","Principal":{"AWS":"1"},"Action":"s3:Get*","Resource":"*",
		"Condition":{"forallvalues:stringlikeifexists":{"aws:TagKeys":["a*",1,true]}}}`))
	s := p.Statements[0]
	want := Condition{Key: "aws:TagKeys", Values: []string{"a*", "1", "true"}}
	want.Operator, _ = ParseOperator("ForAllValues:StringLikeIfExists")
	if !reflect.DeepEqual(s.Conditions, []Condition{want}) {
		t.Fatalf("conditions = %+v, want %+v", s.Conditions, want)
	}
	if got := s.Conditions[0].Operator.String(); got != "ForAllValues:StringLikeIfExists" {
		t.Fatalf("operator spelled %q", got)
	}
	if s.Effect != Allow || s.Sid != "S" || s.Principal.Values["AWS"][0] != "1" || s.Action[0] != "s3:Get*" {
		t.Fatalf("statement = %+v", s)
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	p := mustParse(t, stmt(`[{"Effect":"Allow","Action":["ec2:Describe*","s3:GetObject"],"Resource":"*"},
		{"Effect":"Deny","Action":"iam:*","Resource":"*"},
		{"Effect":"Allow","NotAction":"kms:*","Resource":"*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`))
	want := []string{"ec2:Describe*", "s3:GetObject"}
	if got := p.Actions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Actions() = %v, want %v", got, want)
	}
}

// Documents AWS accepted are read, never refused: an element rciam cannot
// read as AWS's grammar matches nothing, and the rest still counts.
func TestParseAccepted(t *testing.T) {
	t.Parallel()
	doc := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Odd","Effect":"Deny","Action":["ec2:Run Instances","ec2:A,B","ec2:TerminateInstances"],"Resource":["bucket","*"]},
	  {"Sid":"Unreadable","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}},
	  {"Sid":"Odd","Effect":"Allow","Action":"*","Resource":"*"},
	  {"Sid":"OnlyBadResources","Effect":"Deny","Action":"s3:*","Resource":["bucket"]}]}`
	p := ParseAccepted([]byte(doc))
	if _, err := Parse([]byte(doc)); err == nil {
		t.Fatal("Parse accepted a document with unreadable elements")
	}
	c, err := Compile("accepted", p)
	if err != nil {
		t.Fatal(err)
	}
	in := &Input{Identity: []*Compiled{c}}
	for _, tc := range []struct {
		action string
		want   Decision
	}{
		{"ec2:TerminateInstances", ExplicitDeny}, // the readable action of "Odd" still denies
		{"ec2:RunInstances", Allowed},            // "ec2:Run Instances" matches nothing
		{"iam:CreateUser", Allowed},              // the unreadable condition's statement applies to nothing
		{"s3:GetObject", Allowed},                // a Resource of unreadable entries only matches nothing
	} {
		if got := Evaluate(in, Request{Action: tc.action, Resource: "*"}).Decision; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.action, got, tc.want)
		}
	}
	for _, bad := range []string{`not json`, `{"Statement":[]}`, `{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}`} {
		c, err := Compile("bad", ParseAccepted([]byte(bad)))
		if err != nil || Evaluate(&Input{Identity: []*Compiled{c}}, Request{Action: "s3:GetObject"}).Decision != ImplicitDeny {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
