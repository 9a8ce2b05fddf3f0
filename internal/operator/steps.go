package operator

import (
	"fmt"
	"strings"

	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
	r "github.com/rciam/rciam/internal/resource"
)

// Need is one permission a planned step needs: an IAM action on a
// resource ARN.
type Need struct {
	Action, Resource string
	// Step is the plan step's ID ("CreateRole role/redislabs-role").
	Step string
}

func (n Need) String() string { return n.Action + " on " + n.Resource }

// StepNeeds lists what the caller must be allowed to do for each step of
// p in the account l describes: the actions each step sends (tags given on
// create need the tagging action too; adding a role to an instance profile
// needs iam:PassRole on the role) on the ARNs they act on. A secret that
// does not exist yet has no ARN: its suffix is written "-??????".
func StepNeeds(p *plan.Plan, l *live.State) []Need {
	part := l.Partition
	if part == "" {
		part = "aws"
	}
	iamARN := func(kind, name string) string {
		return fmt.Sprintf("arn:%s:iam::%s:%s/%s", part, l.AccountID, kind, name)
	}
	policyARN := func(name string) string {
		if strings.HasPrefix(name, "arn:") {
			return name
		}
		return iamARN("policy", name)
	}
	secretARN := func(name string) string {
		if s := l.Secrets[name]; s != nil && s.ARN != "" {
			return s.ARN
		}
		return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-??????", part, l.Region, l.AccountID, name)
	}
	var out []Need
	for _, s := range p.Steps {
		add := func(res string, actions ...string) {
			for _, a := range actions {
				out = append(out, Need{Action: a, Resource: res, Step: s.ID})
			}
		}
		tagged := func(create, tag string) []string {
			if len(s.Tags) > 0 {
				return []string{create, tag}
			}
			return []string{create}
		}
		switch s.Op {
		case plan.OpCreatePolicy:
			add(policyARN(s.Name), tagged("iam:CreatePolicy", "iam:TagPolicy")...)
		case plan.OpUpdatePolicy:
			if s.DeleteVersion != "" {
				add(policyARN(s.Name), "iam:DeletePolicyVersion")
			}
			add(policyARN(s.Name), "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
		case plan.OpTagPolicy:
			add(policyARN(s.Name), "iam:TagPolicy")
		case plan.OpDeletePolicyVersion:
			add(policyARN(s.Name), "iam:DeletePolicyVersion")
		case plan.OpDeletePolicy:
			add(policyARN(s.Name), "iam:DeletePolicy")
		case plan.OpCreateRole:
			add(iamARN("role", s.Name), tagged("iam:CreateRole", "iam:TagRole")...)
		case plan.OpUpdateTrust, plan.OpTagRole, plan.OpAttachRolePolicy, plan.OpDetachRolePolicy,
			plan.OpDeleteRoleInline, plan.OpDeleteRole, plan.OpDeleteRoleBoundary:
			add(iamARN("role", s.Name), "iam:"+string(s.Op))
		case plan.OpCreateProfile:
			add(iamARN("instance-profile", s.Name), tagged("iam:CreateInstanceProfile", "iam:TagInstanceProfile")...)
		case plan.OpTagProfile, plan.OpRemoveRoleFromProfile, plan.OpDeleteProfile:
			add(iamARN("instance-profile", s.Name), "iam:"+string(s.Op))
		case plan.OpAddRoleToProfile:
			add(iamARN("instance-profile", s.Name), "iam:AddRoleToInstanceProfile")
			add(iamARN("role", s.Target), "iam:PassRole")
		case plan.OpCreateUser:
			add(iamARN("user", s.Name), tagged("iam:CreateUser", "iam:TagUser")...)
		case plan.OpCreateLoginProfile, plan.OpUpdateLoginProfile:
			add(iamARN("user", userOf(s)), "iam:"+string(s.Op))
			// Setting the console password is fenced in the password
			// secret: marked before, read and unmarked after
			// (internal/bookkeeping).
			add(secretARN(r.PasswordSecretName), "secretsmanager:TagResource", "secretsmanager:GetSecretValue", "secretsmanager:UntagResource")
		case plan.OpTagUser, plan.OpAttachUserPolicy, plan.OpDetachUserPolicy, plan.OpDeleteUserInline,
			plan.OpCreateAccessKey, plan.OpDeleteAccessKey,
			plan.OpDeleteLoginProfile, plan.OpDeleteUser, plan.OpDeactivateMFA, plan.OpDeleteSSHKey,
			plan.OpDeleteSigningCert, plan.OpDeleteUserBoundary:
			add(iamARN("user", userOf(s)), "iam:"+string(s.Op))
		case plan.OpRemoveUserFromGroup:
			add(iamARN("group", s.Target), "iam:RemoveUserFromGroup")
		case plan.OpStoreKeySecret, plan.OpWritePassword:
			res := secretARN(s.Name)
			switch {
			case !s.Exists:
				add(res, tagged("secretsmanager:CreateSecret", "secretsmanager:TagResource")...)
			case s.Restore:
				add(res, "secretsmanager:RestoreSecret", "secretsmanager:PutSecretValue")
			default:
				add(res, "secretsmanager:PutSecretValue")
			}
			if s.Exists && (s.Op == plan.OpStoreKeySecret || s.Mark) {
				add(res, "secretsmanager:TagResource")
			}
		case plan.OpRestoreSecret:
			add(secretARN(s.Name), "secretsmanager:RestoreSecret")
		case plan.OpTagSecret:
			add(secretARN(s.Name), "secretsmanager:TagResource")
		case plan.OpDeleteSecret:
			add(secretARN(s.Name), "secretsmanager:DeleteSecret")
		}
	}
	return out
}

// userOf is the user a user step acts on (its Name).
func userOf(s plan.Step) string {
	if s.Name != "" {
		return s.Name
	}
	return r.UserName
}
