package iampolicy

import (
	"bytes"
	"testing"
)

// FuzzParse checks that no input panics Parse, Validate, Compile or
// Evaluate, and that parse → normalize → print → parse is stable: the
// canonical form parses back to an Equal policy with the same canonical
// form.
func FuzzParse(f *testing.F) {
	for _, path := range []string{seedUserFile, seedInstanceFile, refUserFile, refInstanceFile} {
		f.Add(readFile(f, path))
	}
	for _, s := range []string{
		stmt(`{"Effect":"Allow","Principal":{"AWS":["168085023892","arn:aws:iam::1:root"]},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}`),
		stmt(`{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::${aws:username}/${*}","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a?","b*"]},"NumericLessThan":{"s3:max-keys":1.5e3}}}`),
		`{"Statement":{"Sid":"x","Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}}`,
		`{"Version":"2008-10-17","Id":"i","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/\u00e9\n"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Validate(data, ManagedPolicy)
		p, err := Parse(data)
		if err != nil {
			return
		}
		c1 := p.Canonical()
		q, err := Parse(c1)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, c1)
		}
		if c2 := q.Canonical(); !bytes.Equal(c1, c2) {
			t.Fatalf("canonical form not stable:\n%s\n%s", c1, c2)
		}
		if !Equal(p, q) || len(Diff(p, q)) != 0 {
			t.Fatalf("reparsed policy differs: %q", Diff(p, q))
		}
		c, err := Compile("fuzz", p)
		if err != nil {
			t.Fatalf("compile: %v", err)
		}
		in := &Input{Identity: []*Compiled{c}, Boundary: c, SCPs: [][]*Compiled{{c}}}
		for _, req := range []Request{
			{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			{Action: "iam:CreateUser", Resource: "*", Context: map[string][]string{"aws:username": {"b"}, "aws:TagKeys": {"a1", "b"}}},
		} {
			Evaluate(in, req)
		}
	})
}
