// Package operator owns what the caller of rciam — the operator — must be
// allowed to do: the IAM actions each command sends, the resources they
// act on, and the least-privilege policy document that allows exactly
// those (rciam render --format operator-policy, docs/permissions.md).
//
// Resource-level permissions follow the AWS Service Authorization
// Reference:
//   - IAM: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
//   - Secrets Manager: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
//   - CloudFormation: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
//   - Organizations: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
//   - STS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
//
// sts:GetCallerIdentity needs no permission and is not listed.
package operator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	r "github.com/rciam/rciam/internal/resource"
)

// Commands are the commands that call AWS in one account, in the order
// help lists them: the default of --commands.
var Commands = []string{"plan", "apply", "verify", "outputs", "register", "rotate-key", "destroy"}

// DefaultMemberRole is the role fleet mode assumes in member accounts.
const DefaultMemberRole = "OrganizationAccountAccessRole"

// Options choose the document.
type Options struct {
	// Commands to allow (default: Commands).
	Commands []string
	// AccountID scopes every ARN to one account ("" → "*").
	AccountID string
	// Region scopes the Secrets Manager and CloudFormation ARNs ("" → "*").
	Region string
	Layout desired.Layout
	// Fleet adds listing the organization and assuming MemberRole.
	Fleet bool
	// MemberRole is the role fleet mode assumes (default DefaultMemberRole).
	MemberRole string
}

// scope is where a statement's resources are.
type scope int

const (
	anything    scope = iota // "*": the action supports no resource
	policies                 // the two managed policies
	roles                    // the layout's roles
	nodeRole                 // the role the instance profile holds
	profile                  // the instance profile
	user                     // redislabs-user
	groups                   // any group (destroy takes the user out of them)
	secrets                  // the two secrets
	stacks                   // any CloudFormation stack (adoption reads)
	principals               // any IAM user or role (the caller, simulated)
	memberRoles              // the role fleet mode assumes, in any account
)

// statement is one Sid of the document and the actions in it, each with
// the commands that send it.
type statement struct {
	sid     string
	scope   scope
	fleet   bool // only with --fleet
	actions []action
}

type action struct {
	name     string
	commands []string // nil: every command
}

var (
	all      []string // nil: every command
	planners = []string{"plan", "apply"}
	repairs  = []string{"apply", "destroy"}                                     // removing what does not belong
	keyUsers = []string{"apply", "verify", "outputs", "register", "rotate-key"} // outputs: --show-secrets
	keyMover = []string{"apply", "rotate-key"}
	taggers  = []string{"apply", "register", "rotate-key"}
)

// catalog is every statement the document can hold. Each action is listed
// with exactly the commands that send it; every command reads the
// account first (the reads listed for all). TestOperatorPolicyEnoughAndMinimal
// records the requests on the emulator and judges the documents.
var catalog = []statement{
	{sid: "ReadAccountIAM", scope: anything, actions: []action{
		{"iam:GetAccountAuthorizationDetails", all},
		{"iam:GetAccountPasswordPolicy", all},
	}},
	{sid: "FindTemplateStacks", scope: anything, actions: []action{
		{"cloudformation:ListStacks", all},
	}},
	{sid: "ReadTemplateStacks", scope: stacks, actions: []action{
		{"cloudformation:ListStackResources", all},
	}},
	{sid: "ReadOrganizationGuardrails", scope: anything, actions: []action{
		{"organizations:DescribeOrganization", []string{"verify"}},
		{"organizations:ListRoots", []string{"verify"}},
		{"organizations:ListParents", []string{"verify"}},
		{"organizations:ListPoliciesForTarget", []string{"verify"}},
		{"organizations:DescribePolicy", []string{"verify"}},
	}},
	{sid: "CheckOwnPermissions", scope: principals, actions: []action{
		{"iam:SimulatePrincipalPolicy", planners},
	}},
	{sid: "RedisCloudPolicies", scope: policies, actions: []action{
		{"iam:GetPolicy", all},
		{"iam:CreatePolicy", []string{"apply"}},
		{"iam:TagPolicy", []string{"apply"}},
		{"iam:CreatePolicyVersion", []string{"apply"}},
		{"iam:SetDefaultPolicyVersion", []string{"apply"}},
		{"iam:DeletePolicyVersion", repairs},
		{"iam:DeletePolicy", []string{"destroy"}},
	}},
	{sid: "RedisCloudRoles", scope: roles, actions: []action{
		{"iam:CreateRole", []string{"apply"}},
		{"iam:TagRole", []string{"apply"}},
		{"iam:UpdateAssumeRolePolicy", []string{"apply"}},
		{"iam:AttachRolePolicy", []string{"apply"}},
		{"iam:DetachRolePolicy", repairs},
		{"iam:DeleteRolePolicy", repairs},
		{"iam:DeleteRolePermissionsBoundary", []string{"apply"}},
		{"iam:DeleteRole", []string{"destroy"}},
	}},
	{sid: "PassNodeRoleToInstanceProfile", scope: nodeRole, actions: []action{
		{"iam:PassRole", []string{"apply"}},
	}},
	{sid: "RedisCloudInstanceProfile", scope: profile, actions: []action{
		{"iam:GetInstanceProfile", all},
		{"iam:CreateInstanceProfile", []string{"apply"}},
		{"iam:TagInstanceProfile", []string{"apply"}},
		{"iam:AddRoleToInstanceProfile", []string{"apply"}},
		{"iam:RemoveRoleFromInstanceProfile", repairs},
		{"iam:DeleteInstanceProfile", []string{"destroy"}},
	}},
	{sid: "RedisCloudUser", scope: user, actions: []action{
		{"iam:ListAccessKeys", all},
		{"iam:GetLoginProfile", all},
		{"iam:SimulatePrincipalPolicy", []string{"verify"}},
		{"iam:GetAccessKeyLastUsed", all}, // keys whose secret rciam does not hold
		{"iam:CreateUser", []string{"apply"}},
		{"iam:TagUser", []string{"apply"}},
		{"iam:AttachUserPolicy", []string{"apply"}},
		{"iam:DetachUserPolicy", repairs},
		{"iam:DeleteUserPolicy", repairs},
		{"iam:DeleteUserPermissionsBoundary", []string{"apply"}},
		{"iam:CreateAccessKey", keyMover},
		{"iam:UpdateAccessKey", []string{"rotate-key"}},
		{"iam:DeleteAccessKey", []string{"apply", "rotate-key", "destroy"}},
		{"iam:CreateLoginProfile", []string{"apply"}},
		{"iam:UpdateLoginProfile", []string{"apply"}},
		{"iam:DeleteLoginProfile", []string{"destroy"}},
		{"iam:ListMFADevices", []string{"destroy"}},
		{"iam:DeactivateMFADevice", []string{"destroy"}},
		{"iam:ListSigningCertificates", []string{"destroy"}},
		{"iam:DeleteSigningCertificate", []string{"destroy"}},
		{"iam:ListSSHPublicKeys", []string{"destroy"}},
		{"iam:DeleteSSHPublicKey", []string{"destroy"}},
		{"iam:DeleteUser", []string{"destroy"}},
	}},
	{sid: "LeaveGroups", scope: groups, actions: []action{
		{"iam:RemoveUserFromGroup", []string{"destroy"}},
	}},
	{sid: "RedisCloudSecrets", scope: secrets, actions: []action{
		{"secretsmanager:DescribeSecret", all},
		{"secretsmanager:GetSecretValue", keyUsers},
		{"secretsmanager:CreateSecret", []string{"apply"}},
		{"secretsmanager:RestoreSecret", []string{"apply"}},
		{"secretsmanager:ListSecretVersionIds", keyMover}, // a key whose secret another run may be storing
		{"secretsmanager:PutSecretValue", keyMover},
		{"secretsmanager:UpdateSecretVersionStage", []string{"rotate-key"}},
		{"secretsmanager:TagResource", taggers},
		{"secretsmanager:UntagResource", []string{"apply", "rotate-key", "destroy"}},
		{"secretsmanager:DeleteSecret", []string{"destroy"}},
	}},
	{sid: "ListOrganizationAccounts", scope: anything, fleet: true, actions: []action{
		{"organizations:DescribeOrganization", nil},
		{"organizations:ListRoots", nil},
		{"organizations:ListAccounts", nil},
		{"organizations:ListAccountsForParent", nil},
		{"organizations:ListOrganizationalUnitsForParent", nil},
		{"organizations:DescribeOrganizationalUnit", nil},
		{"organizations:DescribeAccount", nil},
	}},
	{sid: "AssumeMemberRole", scope: memberRoles, fleet: true, actions: []action{
		{"sts:AssumeRole", nil},
	}},
}

// ParseCommands reads a --commands list ("plan,apply"); "" is every command.
func ParseCommands(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return slices.Clone(Commands), nil
	}
	var out []string
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if !slices.Contains(Commands, c) {
			return nil, fmt.Errorf("invalid --commands entry %q: use a comma-separated list of %s", c, strings.Join(Commands, ", "))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Statement is one statement of the rendered document.
type Statement struct {
	Sid      string
	Effect   string
	Action   []string
	Resource []string
}

// Document is an IAM policy document.
type Document struct {
	Version   string
	Statement []Statement
}

// Policy builds the document for o.
func Policy(o Options) Document {
	if len(o.Commands) == 0 {
		o.Commands = Commands
	}
	if o.Layout == "" {
		o.Layout = desired.LayoutCloud
	}
	if o.MemberRole == "" {
		o.MemberRole = DefaultMemberRole
	}
	doc := Document{Version: "2012-10-17"}
	for _, s := range catalog {
		if s.fleet && !o.Fleet {
			continue
		}
		var acts []string
		for _, a := range s.actions {
			if a.commands == nil || slices.ContainsFunc(a.commands, func(c string) bool { return slices.Contains(o.Commands, c) }) {
				acts = append(acts, a.name)
			}
		}
		if len(acts) == 0 {
			continue
		}
		sort.Strings(acts)
		doc.Statement = append(doc.Statement, Statement{Sid: s.sid, Effect: "Allow", Action: acts, Resource: o.resources(s.scope)})
	}
	return doc
}

// JSON is the document as rendered: indented, one action per line.
func (d Document) JSON() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // plain strings: cannot fail
	return b.Bytes()
}

// resources are the ARNs of a scope, in the aws partition: the only one
// rciam runs in (Redis Cloud exists only there).
func (o Options) resources(s scope) []string {
	acct := o.AccountID
	if acct == "" {
		acct = "*"
	}
	region := o.Region
	if region == "" {
		region = "*"
	}
	iamARN := func(res string) string { return fmt.Sprintf("arn:aws:iam::%s:%s", acct, res) }
	switch s {
	case policies:
		return []string{iamARN("policy/" + r.InstancePolicyName), iamARN("policy/" + r.UserPolicyName)}
	case roles:
		out := []string{iamARN("role/" + r.NodeRoleName)}
		if o.Layout == desired.LayoutCloud {
			out = append(out, iamARN("role/"+r.ConsoleRoleName))
		}
		return out
	case nodeRole:
		return []string{iamARN("role/" + r.NodeRoleName)}
	case profile:
		return []string{iamARN("instance-profile/" + r.ProfileName)}
	case user:
		return []string{iamARN("user/" + r.UserName)}
	case groups:
		return []string{iamARN("group/*")}
	case secrets:
		// Secrets Manager appends a hyphen and six random characters to
		// the name in the ARN.
		return []string{
			fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-??????", region, acct, r.KeySecretName),
			fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-??????", region, acct, r.PasswordSecretName),
		}
	case stacks:
		return []string{fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/*/*", region, acct)}
	case principals:
		return []string{iamARN("user/*"), iamARN("role/*")}
	case memberRoles:
		// Fleet mode reaches other accounts: never scoped to AccountID.
		return []string{fmt.Sprintf("arn:aws:iam::*:role/%s", o.MemberRole)}
	}
	return []string{"*"}
}
