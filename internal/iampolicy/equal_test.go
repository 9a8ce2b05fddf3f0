package iampolicy

import "testing"

// What does not change a policy's meaning (docs/behaviour.md, "Documents: validation and comparison"; condition
// key names are case-insensitive per
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"string vs list",
			stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`),
			stmt(`[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]`), true},
		{"order and duplicates",
			stmt(`[{"Sid":"A","Effect":"Allow","Action":["a:x","b:y","a:x"],"Resource":["arn:aws:s3:::1","arn:aws:s3:::2"]},{"Sid":"B","Effect":"Deny","Action":"c:z","Resource":"*"}]`),
			stmt(`[{"Sid":"B","Effect":"Deny","Action":"c:z","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":["b:y","a:x"],"Resource":["arn:aws:s3:::2","arn:aws:s3:::1"]}]`), true},
		{"action case",
			stmt(`{"Effect":"Allow","Action":"EC2:DescribeInstances","Resource":"*"}`),
			stmt(`{"Effect":"Allow","Action":"ec2:describeinstances","Resource":"*"}`), true},
		{"whitespace",
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
			"{\n  \"Version\" : \"2012-10-17\",\n\t\"Statement\" : { \"Effect\" : \"Allow\", \"Action\" : \"*\", \"Resource\" : \"*\" }\n}\n", true},
		{"account id vs root arn",
			stmt(`{"Effect":"Allow","Principal":{"AWS":"168085023892"},"Action":"sts:AssumeRole"}`),
			stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::168085023892:root"]},"Action":"sts:AssumeRole"}`), true},
		{"bool string vs bool",
			stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`),
			stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}`), true},
		{"null TRUE vs true",
			stmt(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:RequestTag/x":"TRUE"}}}`),
			stmt(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:RequestTag/x":true}}}`), true},
		{"number vs string",
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10}}}`),
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"10"}}}`), true},
		{"key and operator case",
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"ec2:ResourceTag/RedisLabsIdentifier":"Redislabs-VPC"}}}`),
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"EC2:resourcetag/redislabsidentifier":["Redislabs-VPC"]}}}`), true},
		{"missing version is 2008",
			`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, true},

		{"resource case matters",
			stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::Bucket"}`),
			stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket"}`), false},
		{"condition value case matters",
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"Bob"}}}`),
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"bob"}}}`), false},
		{"versions differ",
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
			`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, false},
		{"sid matters",
			stmt(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}`),
			stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), false},
		{"action vs notaction",
			stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`),
			stmt(`{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if got := Equal(a, b); got != tt.equal {
				t.Fatalf("Equal = %v, want %v\n%s\n%s", got, tt.equal, a.Canonical(), b.Canonical())
			}
			if got := Equal(b, a); got != tt.equal {
				t.Fatalf("Equal is not symmetric")
			}
			if d := Diff(a, b); (len(d) == 0) != tt.equal {
				t.Fatalf("Diff = %q, want empty exactly when equal", d)
			}
		})
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, path := range []string{seedUserFile, seedInstanceFile, refUserFile, refInstanceFile} {
		p, err := Parse(readFile(t, path))
		if err != nil {
			t.Fatal(err)
		}
		c := p.Canonical()
		q, err := Parse(c)
		if err != nil {
			t.Fatalf("%s: canonical form does not parse: %v\n%s", path, err, c)
		}
		if !Equal(p, q) || string(q.Canonical()) != string(c) {
			t.Fatalf("%s: canonical form is not stable", path)
		}
	}
	if !Equal(nil, nil) || Equal(nil, mustParse(t, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`))) {
		t.Fatal("nil handling")
	}
}
