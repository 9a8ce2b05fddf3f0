package iampolicy

import "testing"

// condHolds compiles a statement with the given Condition block and reports
// whether it applies to a request with context c.
func condHolds(t *testing.T, condition string, c map[string][]string) bool {
	t.Helper()
	p := mustCompile(t, "p", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+condition+`}`))
	return Evaluate(&Input{Identity: []*Compiled{p}}, Request{Action: "s3:GetObject", Resource: "*", Context: c}).Decision == Allowed
}

type condCase struct {
	name, condition string
	ctx             map[string][]string
	want            bool
}

func runCondCases(t *testing.T, tests []condCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := condHolds(t, tt.condition, tt.ctx); got != tt.want {
				t.Fatalf("%s with %v: %v, want %v", tt.condition, tt.ctx, got, tt.want)
			}
		})
	}
}

// Each operator family of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func TestConditionOperators(t *testing.T) {
	t.Parallel()
	runCondCases(t, []condCase{
		// String
		{"StringEquals", `{"StringEquals":{"aws:username":"bob"}}`, ctx("aws:username", "bob"), true},
		{"StringEquals case-sensitive", `{"StringEquals":{"aws:username":"bob"}}`, ctx("aws:username", "Bob"), false},
		{"StringEquals no wildcards", `{"StringEquals":{"aws:username":"b*"}}`, ctx("aws:username", "bob"), false},
		{"StringEquals values OR", `{"StringEquals":{"aws:username":["al","bob"]}}`, ctx("aws:username", "bob"), true},
		{"StringNotEquals", `{"StringNotEquals":{"aws:username":"bob"}}`, ctx("aws:username", "al"), true},
		{"StringNotEquals values NOR", `{"StringNotEquals":{"aws:username":["al","bob"]}}`, ctx("aws:username", "bob"), false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"BOB"}}`, ctx("aws:username", "bob"), true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"BOB"}}`, ctx("aws:username", "bob"), false},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "home/bob/x"), true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"v?"}}`, ctx("s3:prefix", "v1"), true},
		{"StringLike anchored", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "x/home/"), false},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"Home/*"}}`, ctx("s3:prefix", "home/x"), false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "tmp/x"), true},
		{"key name case-insensitive", `{"StringEquals":{"AWS:UserName":"bob"}}`, ctx("aws:username", "bob"), true},
		// Numeric
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":10}}`, ctx("s3:max-keys", "10.0"), true},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "11"), true},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "9"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10.5"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "9"), false},
		{"Numeric not a number", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "ten"), false},
		// Date
		{"DateLessThan iso", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2029-12-31T23:59:59Z"), true},
		{"DateLessThan epoch request", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "1893456000"), false},
		{"DateEquals epoch vs iso", `{"DateEquals":{"aws:CurrentTime":1893456000}}`, ctx("aws:CurrentTime", "2030-01-01T00:00:00Z"), true},
		{"DateEquals offset", `{"DateEquals":{"aws:CurrentTime":"2030-01-01T01:00:00+01:00"}}`, ctx("aws:CurrentTime", "2030-01-01T00:00:00Z"), true},
		{"DateGreaterThan date only", `{"DateGreaterThan":{"aws:CurrentTime":"2020-06-30"}}`, ctx("aws:CurrentTime", "2020-06-30T00:00:01Z"), true},
		{"DateGreaterThanEquals fraction", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-06-30T00:00:00.5Z"}}`, ctx("aws:CurrentTime", "2020-06-30T00:00:00.25Z"), false},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2021-01-01T00:00:00Z"), true},
		{"Date not a date", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "yesterday"), false},
		// Bool
		{"Bool string", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:SecureTransport", "true"), true},
		{"Bool json bool", `{"Bool":{"aws:SecureTransport":true}}`, ctx("aws:SecureTransport", "TRUE"), true},
		{"Bool false", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:SecureTransport", "true"), false},
		// Binary
		{"BinaryEquals", `{"BinaryEquals":{"ec2:UserData":"aGVsbG8="}}`, ctx("ec2:UserData", "aGVsbG8="), true},
		{"BinaryEquals unpadded request", `{"BinaryEquals":{"ec2:UserData":"aGVsbG8="}}`, ctx("ec2:UserData", "aGVsbG8"), true},
		{"BinaryEquals differs", `{"BinaryEquals":{"ec2:UserData":"aGVsbG8="}}`, ctx("ec2:UserData", "d29ybGQ="), false},
		// IP
		{"IpAddress cidr", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress single", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress ipv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx("aws:SourceIp", "2001:db8:1::1"), true},
		{"IpAddress v4 mapped", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx("aws:SourceIp", "::ffff:10.1.2.3"), true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, ctx("aws:SourceIp", "8.8.8.8"), true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, ctx("aws:SourceIp", "192.168.1.1"), false},
		// ARN
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/redislabs-*"}}`, ctx("aws:SourceArn", "arn:aws:iam::123456789012:role/redislabs-x"), true},
		{"ArnEquals takes wildcards", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::b*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::bucket"), true},
		{"ArnLike per component", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:t"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:9:123456789012:t"), false},
		{"ArnLike not an arn", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b"}}`, ctx("aws:SourceArn", "b"), false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}`, ctx("aws:SourceArn", "arn:aws:s3:::c"), true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::bx"), false},
		// Null
		{"Null true absent", `{"Null":{"aws:RequestTag/x":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"aws:RequestTag/x":"true"}}`, ctx("aws:RequestTag/x", "v"), false},
		{"Null false present", `{"Null":{"aws:RequestTag/x":false}}`, ctx("aws:RequestTag/x", "v"), true},
		{"Null false absent", `{"Null":{"aws:RequestTag/x":"false"}}`, nil, false},
		// Several keys and operators: AND
		{"keys AND", `{"StringEquals":{"aws:username":"bob","aws:PrincipalTag/team":"red"}}`, ctx("aws:username", "bob"), false},
		{"operators AND", `{"StringEquals":{"aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:username", "bob", "aws:SecureTransport", "true"), true},
	})
}

// Keys absent from the request: positive operators fail, negated ones hold,
// IfExists holds, per the note at the top of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// and its "...IfExists condition operators" section.
func TestConditionAbsentKeys(t *testing.T) {
	t.Parallel()
	present := ctx("aws:username", "al")
	runCondCases(t, []condCase{
		{"positive absent", `{"StringEquals":{"aws:username":"bob"}}`, nil, false},
		{"negated absent", `{"StringNotEquals":{"aws:username":"bob"}}`, nil, true},
		{"NotIpAddress absent", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"ArnNotLike absent", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b"}}`, nil, true},
		{"numeric absent", `{"NumericLessThan":{"s3:max-keys":"10"}}`, nil, false},
		{"IfExists absent", `{"StringEqualsIfExists":{"aws:username":"bob"}}`, nil, true},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"aws:username":"bob"}}`, present, false},
		{"IfExists present match", `{"StringEqualsIfExists":{"aws:username":"al"}}`, present, true},
		{"negated IfExists absent", `{"StringNotEqualsIfExists":{"aws:username":"bob"}}`, nil, true},
		{"negated IfExists present", `{"StringNotEqualsIfExists":{"aws:username":"al"}}`, present, false},
		{"Bool IfExists absent", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, nil, true},
		{"Bool IfExists false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, ctx("aws:MultiFactorAuthPresent", "false"), false},
		{"empty value list present", `{"StringEquals":{"aws:username":[]}}`, present, false},
		{"context key with no values is absent", `{"StringNotEquals":{"aws:username":"bob"}}`, map[string][]string{"aws:username": {}}, true},
	})
}

// Multivalued context keys and the set operators, from
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
func TestConditionMultivalued(t *testing.T) {
	t.Parallel()
	tags := func(v ...string) map[string][]string {
		return map[string][]string{"aws:TagKeys": v}
	}
	runCondCases(t, []condCase{
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("env"), true},
		{"ForAllValues all listed", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "team"), true},
		{"ForAllValues extra value", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "cost"), false},
		{"ForAllValues absent", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, nil, true},
		{"ForAllValues like", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, tags("team-a", "team-b"), true},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, tags("cost", "env"), true},
		{"ForAnyValue none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, tags("cost"), false},
		{"ForAnyValue absent", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, false},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, tags("env", "cost"), true},
		{"ForAnyValue negated all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, tags("env"), false},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("env", "cost"), true},
		{"ForAllValues negated hit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("env", "secret"), false},
		{"ForAnyValue IfExists absent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["env"]}}`, nil, true},
		{"no set operator any value", `{"StringEquals":{"aws:TagKeys":"env"}}`, tags("cost", "env"), true},
		{"no set operator negated", `{"StringNotEquals":{"aws:TagKeys":"env"}}`, tags("cost", "env"), false},
		{"ForAnyValue ip", `{"ForAnyValue:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string][]string{"aws:SourceIp": {"8.8.8.8", "10.0.0.1"}}, true},
	})
}
