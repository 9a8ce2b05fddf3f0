package iampolicy

import (
	"testing"
	"time"
)

// seedUserMix is a fixed mix of requests against the docs-v1 user policy:
// allowed by literal and wildcard actions, by tag conditions and policy
// variables, and implicitly denied ones (unknown service, missing tag,
// wrong user, resource outside the pattern).
var seedUserMix = []struct {
	req  Request
	want Decision
}{
	{Request{Action: "ec2:DescribeInstances", Resource: "*"}, Allowed},
	{Request{Action: "ec2:CreateVpcPeeringConnection", Resource: "*"}, Allowed},
	{Request{Action: "ec2:RunInstances", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-1"}, Allowed},
	{Request{Action: "ec2:TerminateInstances", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
		Context: map[string][]string{"ec2:ResourceTag/RedisLabsIdentifier": {"Redislabs-VPC"}}}, Allowed},
	{Request{Action: "ec2:TerminateInstances", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-1"}, ImplicitDeny},
	{Request{Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/redislabs-user",
		Context: map[string][]string{"aws:username": {"redislabs-user"}}}, Allowed},
	{Request{Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/someone-else",
		Context: map[string][]string{"aws:username": {"redislabs-user"}}}, ImplicitDeny},
	{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/redislabs-cluster-node-role"}, Allowed},
	{Request{Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/admin"}, ImplicitDeny},
	{Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"}, ImplicitDeny},
	{Request{Action: "cloudwatch:GetMetricData", Resource: "*"}, Allowed},
	{Request{Action: "ec2:DeleteVolume", Resource: "*",
		Context: map[string][]string{"EC2:RESOURCETAG/REDISLABSIDENTIFIER": {"other"}}}, ImplicitDeny},
}

// BenchmarkEvaluateSeedUserMix is the engine's throughput benchmark
// (docs/policy-engine.md): the docs-v1 user policy compiled once, one
// decision per iteration over a fixed mix of allowed and denied requests.
func BenchmarkEvaluateSeedUserMix(b *testing.B) {
	p, err := Parse(readFile(b, seedUserFile))
	if err != nil {
		b.Fatal(err)
	}
	c, err := Compile("RedislabsIAMUserRestrictedPolicy", p)
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{Identity: []*Compiled{c}}
	for _, m := range seedUserMix {
		if got := Evaluate(in, m.req).Decision; got != m.want {
			b.Fatalf("%s on %s: %s, want %s", m.req.Action, m.req.Resource, got, m.want)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		Evaluate(in, seedUserMix[i%len(seedUserMix)].req)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}
