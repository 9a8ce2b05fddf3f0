package iampolicy

import (
	"errors"
	"strings"
	"testing"
)

// Limits from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
// (IAM does not count whitespace; characters U+0009, U+000A, U+000D and
// U+0020–U+00FF) and
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html (SCPs).
func TestValidate(t *testing.T) {
	t.Parallel()
	// padded returns a managed-policy document with exactly n non-whitespace
	// characters, padded with a long Sid.
	padded := func(n int, extraSpace int) string {
		base := stmt(`{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}`)
		fill := n - Size([]byte(base), false)
		return strings.Replace(base, `"Sid":""`, `"Sid":"`+strings.Repeat("a", fill)+`"`+strings.Repeat(" ", extraSpace), 1)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	tests := []struct {
		name string
		doc  string
		kind Kind
		err  string
	}{
		{"at managed limit", padded(6144, 5000), ManagedPolicy, ""},
		{"over managed limit", padded(6145, 0), ManagedPolicy, "managed policy is 6,145 non-whitespace characters; the limit is 6,144"},
		{"inline allows more", padded(6145, 0), InlinePolicy, ""},
		{"scp counts whitespace", padded(5000, 200), SCP, "service control policy is 5,200 characters; the limit is 5,120"},
		{"trust policy", trust, TrustPolicy, ""},
		{"trust over limit", strings.Replace(trust, "ec2.amazonaws.com", strings.Repeat("x", 2000), 1), TrustPolicy, "trust policy is 2,"},
		{"trust without principal", stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), TrustPolicy, "missing required field Principal"},
		{"trust with resource", stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), TrustPolicy, "prohibited field Resource"},
		{"identity with principal", stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), ManagedPolicy, "should not specify a principal"},
		{"identity without resource", stmt(`{"Effect":"Allow","Action":"*"}`), ManagedPolicy, "must contain resources"},
		{"scp without resource", stmt(`{"Effect":"Deny","Action":"s3:*"}`), SCP, ""},
		{"sid not alphanumeric", stmt(`{"Sid":"a b","Effect":"Allow","Action":"*","Resource":"*"}`), ManagedPolicy, "alphanumeric"},
		{"latin-1 allowed", stmt(`{"Sid":"","Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::caf\u00e9é"}`), ManagedPolicy, ""},
		{"curly quote rejected", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::it’s"}`), ManagedPolicy, "character U+2019 at line 1"},
		{"control char rejected", "{\n\x01}", ManagedPolicy, "character U+0001 at line 2"},
		{"invalid utf-8", "{\"\xff\"}", ManagedPolicy, "invalid UTF-8"},
		{"grammar still checked", stmt(`{"Effect":"Permit","Action":"*","Resource":"*"}`), ManagedPolicy, "invalid effect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Validate([]byte(tt.doc), tt.kind)
			checkErr(t, err, tt.err)
		})
	}
}

func TestValidateSizeError(t *testing.T) {
	t.Parallel()
	doc := stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::` + strings.Repeat("b", 7000) + `"}`)
	_, err := Validate([]byte(doc), ManagedPolicy)
	var se *SizeError
	if !errors.As(err, &se) || se.Limit != 6144 || se.Size != Size([]byte(doc), false) {
		t.Fatalf("err = %#v, want a SizeError with limit 6144 and the measured size", err)
	}
}

// The docs-v1 documents and the latest published documents are valid
// managed policies (the user policy's keypair/* included).
func TestValidateKnownDocuments(t *testing.T) {
	t.Parallel()
	for _, path := range []string{seedUserFile, seedInstanceFile, refUserFile, refInstanceFile} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			if _, err := Validate(readFile(t, path), ManagedPolicy); err != nil {
				t.Fatal(err)
			}
		})
	}
}
