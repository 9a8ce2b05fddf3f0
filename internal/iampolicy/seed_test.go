package iampolicy

import (
	"reflect"
	"testing"
)

func compileFile(t testing.TB, name, path string) *Compiled {
	t.Helper()
	p, err := Validate(readFile(t, path), ManagedPolicy)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c, err := Compile(name, p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The requests of the benchmark mix, as a test of the docs-v1 user policy.
func TestSeedUserPolicy(t *testing.T) {
	t.Parallel()
	in := &Input{Identity: []*Compiled{compileFile(t, "user", seedUserFile)}}
	for _, m := range seedUserMix {
		t.Run(m.req.Action+" "+m.req.Resource, func(t *testing.T) {
			t.Parallel()
			if got := Evaluate(in, m.req).Decision; got != m.want {
				t.Fatalf("%s, want %s", got, m.want)
			}
		})
	}
}

// The published user policy forces tags on instances, volumes and key pairs
// (docs/behaviour.md, "What Redis Cloud's requests carry"): without aws:RequestTag/RedisLabsIdentifier,
// RunInstances on an instance is an explicit deny; with it, allowed.
func TestReferenceUserPolicy(t *testing.T) {
	t.Parallel()
	in := &Input{Identity: []*Compiled{compileFile(t, "RedislabsIAMUserRestrictedPolicy", refUserFile)}}
	instance := "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
	tag := ctx("aws:RequestTag/RedisLabsIdentifier", "Redislabs-VPC")
	resourceTag := ctx("ec2:ResourceTag/RedisLabsIdentifier", "Redislabs-VPC")
	deny := []Match{{"RedislabsIAMUserRestrictedPolicy", "ForceUnderlyingResourcesToHaveIdentifierTags", "Deny", 6}}
	tests := []struct {
		name     string
		req      Request
		want     Decision
		matchSid []string
	}{
		{"run without tag", Request{Action: "ec2:RunInstances", Resource: instance}, ExplicitDeny, nil},
		{"run with tag", Request{Action: "ec2:RunInstances", Resource: instance, Context: tag}, Allowed, []string{"CreateEc2ResourcesWithoutTag"}},
		{"run on a subnet without tag", Request{Action: "ec2:RunInstances", Resource: "arn:aws:ec2:us-east-1:123456789012:subnet/s-1"}, Allowed, []string{"CreateEc2ResourcesWithoutTag"}},
		{"key pair without tag", Request{Action: "ec2:CreateKeyPair", Resource: "arn:aws:ec2:eu-west-1:123456789012:keypair/k"}, ExplicitDeny, nil},
		{"terminate with resource tag", Request{Action: "ec2:TerminateInstances", Resource: instance, Context: resourceTag}, Allowed, []string{"DeleteEc2Resources"}},
		{"terminate without resource tag", Request{Action: "ec2:TerminateInstances", Resource: instance}, ImplicitDeny, nil},
		{"kms grant for aws resource", Request{Action: "kms:CreateGrant", Resource: "*", Context: ctx("kms:GrantIsForAWSResource", "true")}, Allowed, []string{"AllowAttachDetachOfEncryptedVolumes"}},
		{"kms grant otherwise", Request{Action: "kms:CreateGrant", Resource: "*"}, ImplicitDeny, nil},
		{"own user", Request{Action: "iam:GetUser", Resource: "arn:aws:iam::123456789012:user/redislabs-user", Context: ctx("aws:username", "redislabs-user")}, Allowed, []string{"IamUserOperations"}},
		{"service-linked role", Request{Action: "iam:CreateServiceLinkedRole", Resource: "arn:aws:iam::123456789012:role/aws-service-role/transitgateway.amazonaws.com/AWSServiceRoleForVPCTransitGateway",
			Context: ctx("iam:AWSServiceName", "transitgateway.amazonaws.com")}, Allowed, []string{"CreateAndChangeServiceLinkedRoleForTransitGateway"}},
		{"support no longer granted", Request{Action: "support:DescribeCases", Resource: "*"}, ImplicitDeny, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(in, tt.req)
			if got.Decision != tt.want {
				t.Fatalf("%s, want %s (%+v)", got.Decision, tt.want, got.Matched)
			}
			switch tt.want {
			case ExplicitDeny:
				if !reflect.DeepEqual(got.Matched, deny) {
					t.Fatalf("matched %+v, want %+v", got.Matched, deny)
				}
			case Allowed:
				var sids []string
				for _, m := range got.Matched {
					sids = append(sids, m.Sid)
				}
				if !reflect.DeepEqual(sids, tt.matchSid) {
					t.Fatalf("matched %v, want %v", sids, tt.matchSid)
				}
			case ImplicitDeny:
			}
		})
	}
}

// The instance role's policies: tag-conditioned security group actions.
func TestInstancePolicies(t *testing.T) {
	t.Parallel()
	seed := &Input{Identity: []*Compiled{compileFile(t, "seed", seedInstanceFile)}}
	ref := &Input{Identity: []*Compiled{compileFile(t, "ref", refInstanceFile)}}
	tagged := ctx("ec2:ResourceTag/RedisLabsIdentifier", "Redislabs-VPC")
	tests := []struct {
		in       *Input
		req      Request
		want     Decision
		describe string
	}{
		{seed, Request{Action: "ec2:DeleteSecurityGroup", Resource: "*", Context: tagged}, Allowed, "seed tagged"},
		{seed, Request{Action: "ec2:DeleteSecurityGroup", Resource: "*"}, ImplicitDeny, "seed untagged"},
		{seed, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, Allowed, "seed s3"},
		{ref, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, ImplicitDeny, "reference dropped s3"},
		{ref, Request{Action: "ec2:CreateVolume", Resource: "*", Context: tagged}, Allowed, "reference tagged volume"},
		{ref, Request{Action: "ec2:CreateTags", Resource: "*"}, Allowed, "reference tags"},
	}
	for _, tt := range tests {
		t.Run(tt.describe, func(t *testing.T) {
			t.Parallel()
			if got := Evaluate(tt.in, tt.req).Decision; got != tt.want {
				t.Fatalf("%s, want %s", got, tt.want)
			}
		})
	}
}
