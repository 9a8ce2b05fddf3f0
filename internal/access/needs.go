// Package access decides, offline with the policy engine, whether each of
// rciam's principals is really allowed every request Redis Cloud makes: it
// derives the requests from the selected policy documents (wildcard actions
// checked on representative names, resources and condition keys filled in
// as the statements require), gathers every policy that applies to the
// principal in the live account (attached, inline, group, boundary), and
// names the policies that deny or limit a needed request. verify reports
// them; plan removes them when asked (--remove-unexpected).
package access

import (
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/iampolicy"
)

// Need is one request Redis Cloud makes as a principal.
type Need struct {
	Action   string
	Resource string
	Context  map[string][]string
}

// request is the need as the engine decides it.
func (n Need) request() iampolicy.Request {
	return iampolicy.Request{Action: n.Action, Resource: n.Resource, Context: n.Context}
}

// knownActions are real action names used to check wildcard patterns on
// representative names (a Deny naming a real action must be caught).
var knownActions = []string{
	"ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
	"ec2:DescribeRouteTables", "ec2:DescribeAvailabilityZones", "ec2:DescribeRegions", "ec2:DescribeImages",
	"ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:AssociateVpcCidrBlock",
	"ec2:CreateVpcPeeringConnection", "ec2:AcceptVpcPeeringConnection", "ec2:DeleteVpcPeeringConnection",
	"ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute",
	"ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DeleteInternetGateway", "ec2:CreateTransitGateway",
	"ec2:CreateVpnGateway", "ec2:CreateVpnConnection",
	"ec2:CreateRoute", "ec2:DeleteRoute", "ec2:CreateRouteTable", "ec2:AssociateRouteTable", "ec2:ReplaceRoute",
	"ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:ReleaseAddress",
	"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
	"ec2:CreateNetworkAcl", "ec2:CreateNetworkAclEntry", "ec2:CreateDhcpOptions", "ec2:AssociateDhcpOptions",
	"cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
	"support:DescribeCases", "support:CreateCase",
}

// maxRepresentatives bounds how many known names check one pattern.
const maxRepresentatives = 4

// Needs derives the requests the Allow statements of doc grant, for a
// principal in account whose user name (for ${aws:username}) is user.
func Needs(doc *iampolicy.Policy, partition, account, region, user string) []Need {
	var out []Need
	seen := map[string]bool{}
	for _, st := range doc.Statements {
		if st.Effect != iampolicy.Allow || len(st.Action) == 0 {
			continue
		}
		ctx := contextFor(st, user)
		resources := st.Resource
		if len(resources) == 0 {
			resources = []string{"*"}
		}
		for _, pattern := range st.Action {
			for _, action := range representatives(pattern) {
				for _, res := range resources {
					n := Need{Action: action, Resource: resourceFor(res, action, partition, account, region, user), Context: ctx}
					k := n.Action + " " + n.Resource
					if !seen[k] {
						seen[k] = true
						out = append(out, n)
					}
				}
			}
		}
	}
	return out
}

// representatives returns concrete action names matching pattern: the
// pattern itself when it has no wildcard, else known names that match (or a
// synthetic name when none is known).
func representatives(pattern string) []string {
	if !strings.ContainsAny(pattern, "*?") {
		return []string{pattern}
	}
	var out []string
	for _, a := range knownActions {
		if wildMatch(strings.ToLower(pattern), strings.ToLower(a)) {
			out = append(out, a)
			if len(out) == maxRepresentatives {
				break
			}
		}
	}
	if len(out) == 0 {
		out = append(out, strings.NewReplacer("*", "Rciam", "?", "R").Replace(pattern))
	}
	return out
}

// contextFor fills the condition keys an Allow statement tests with values
// that satisfy it, plus the keys Redis Cloud's requests carry
// (docs/behaviour.md, "What Redis Cloud's requests carry"): the RedisLabsIdentifier request tag and KMS grants for
// AWS resources.
func contextFor(st iampolicy.Statement, user string) map[string][]string {
	ctx := map[string][]string{
		"aws:RequestTag/RedisLabsIdentifier": {"Redislabs-VPC"},
		"kms:GrantIsForAWSResource":          {"true"},
		"aws:username":                       {user},
		"aws:MultiFactorAuthPresent":         {"true"},
	}
	for _, c := range st.Conditions {
		if len(c.Values) == 0 || c.Operator.Negated() {
			continue
		}
		if c.Operator.Family() == iampolicy.FamilyNull {
			if c.Values[0] == "true" {
				delete(ctx, c.Key)
			}
			continue
		}
		ctx[c.Key] = []string{strings.NewReplacer("*", "x", "?", "x").Replace(c.Values[0])}
	}
	return ctx
}

// resourceFor turns a statement's resource pattern into a concrete ARN the
// pattern matches; "*" becomes a representative ARN of the action's service.
func resourceFor(pattern, action, partition, account, region, user string) string {
	if pattern == "*" {
		service := action[:strings.IndexByte(action, ':')]
		switch service {
		case "ec2":
			return "arn:" + partition + ":ec2:" + region + ":" + account + ":instance/i-0123456789abcdef0"
		case "iam":
			return "arn:" + partition + ":iam::" + account + ":role/redislabs-cluster-node-role"
		case "kms":
			return "arn:" + partition + ":kms:" + region + ":" + account + ":key/00000000-0000-0000-0000-000000000000"
		}
		return "*"
	}
	parts := strings.SplitN(strings.ReplaceAll(pattern, "${aws:username}", user), ":", 6)
	if len(parts) == 6 && (parts[4] == "*" || parts[4] == "") && parts[2] != "s3" {
		parts[4] = account
	}
	if len(parts) == 6 && parts[3] == "*" {
		parts[3] = region
	}
	return strings.NewReplacer("*", "x", "?", "x").Replace(strings.Join(parts, ":"))
}

// wildMatch matches s against a pattern with * and ?.
func wildMatch(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if wildMatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return s == ""
}

func sortedActions(ns []Need) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range ns {
		if !seen[n.Action] {
			seen[n.Action] = true
			out = append(out, n.Action)
		}
	}
	sort.Strings(out)
	return out
}
