// Package desired computes, without any I/O, the set of entities a layout
// requires in one account: names, documents, trust policies, tags and
// attachments exactly as docs/entities.md lists them. Plan compares it with the live
// account; render prints it as infrastructure code.
package desired

import (
	"fmt"

	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/policysource"
	r "github.com/rciam/rciam/internal/resource"
)

// Layout names a set of entities: "cloud" (Redis Cloud, the default) or "rv"
// (Redis Enterprise VPC: no console role).
type Layout string

const (
	LayoutCloud Layout = "cloud"
	LayoutRV    Layout = "rv"
)

// ParseLayout validates a --layout value.
func ParseLayout(s string) (Layout, error) {
	switch Layout(s) {
	case LayoutCloud, LayoutRV:
		return Layout(s), nil
	}
	return "", fmt.Errorf("invalid --layout %q: use cloud or rv", s)
}

// Trust policies of docs/entities.md, exactly.
const (
	NodeTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	ConsoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + r.RedisCloudAccountID + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
)

// Policy is a customer managed policy.
type Policy struct {
	Name        string
	Description string
	Document    []byte // placeholder replaced; validated
	Parsed      *iampolicy.Policy
	SHA256      string // of the document as obtained (before replacement)
	Tags        map[string]string
}

// Role is an IAM role with its trust policy and attached managed policies.
type Role struct {
	Name        string
	Description string
	Trust       []byte
	Parsed      *iampolicy.Policy
	Tags        map[string]string
	Policies    []string // names of attached managed policies
}

// Profile is an instance profile holding one role.
type Profile struct {
	Name string
	Role string
	Tags map[string]string
}

// User is the programmatic and console user.
type User struct {
	Name     string
	Tags     map[string]string
	Policies []string
}

// Secret is a Secrets Manager secret rciam writes.
type Secret struct {
	Name        string
	Description string
	Tags        map[string]string
}

// Set is everything one layout requires in one account.
type Set struct {
	Layout    Layout
	AccountID string
	Partition string
	Region    string
	Source    policysource.Selection

	Policies []Policy
	Roles    []Role
	Profiles []Profile
	User     User
	Secrets  []Secret // key secret first, then password secret
}

// Options are the inputs Build needs besides the documents.
type Options struct {
	Layout    Layout
	AccountID string
	Partition string // "aws" when empty
	Region    string
}

func managed() map[string]string { return map[string]string{r.TagManagedBy: r.ManagedByValue} }
func identity() map[string]string {
	return map[string]string{r.TagUsedBy: r.UsedByValue, r.TagManagedBy: r.ManagedByValue}
}

// Build computes the desired set, validating every document with the policy
// engine first: an invalid document is an error before anything is written.
func Build(sel policysource.Selection, o Options) (*Set, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	instDoc, userDoc := sel.WithAccountID(o.AccountID)
	inst, err := iampolicy.Validate(instDoc, iampolicy.ManagedPolicy)
	if err != nil {
		return nil, fmt.Errorf("instance policy %s: %w", sel.Instance.File, err)
	}
	user, err := iampolicy.Validate(userDoc, iampolicy.ManagedPolicy)
	if err != nil {
		return nil, fmt.Errorf("user policy %s: %w", sel.User.File, err)
	}
	nodeTrust, err := iampolicy.Validate([]byte(NodeTrust), iampolicy.TrustPolicy)
	if err != nil {
		return nil, fmt.Errorf("node role trust policy: %w", err)
	}
	s := &Set{
		Layout: o.Layout, AccountID: o.AccountID, Partition: o.Partition, Region: o.Region, Source: sel,
		Policies: []Policy{
			{Name: r.InstancePolicyName, Description: "Instance role policy used by Redislabs for its cluster members",
				Document: instDoc, Parsed: inst, SHA256: sel.Instance.SHA256(), Tags: managed()},
			{Name: r.UserPolicyName, Description: "Policy used by RedisLabs users",
				Document: userDoc, Parsed: user, SHA256: sel.User.SHA256(), Tags: managed()},
		},
		Roles: []Role{{Name: r.NodeRoleName, Description: "Role used by EC2 instances managed by RedisLabs",
			Trust: []byte(NodeTrust), Parsed: nodeTrust, Tags: identity(), Policies: []string{r.InstancePolicyName}}},
		Profiles: []Profile{{Name: r.ProfileName, Role: r.NodeRoleName, Tags: identity()}},
		User:     User{Name: r.UserName, Tags: identity(), Policies: []string{r.UserPolicyName}},
		Secrets: []Secret{
			{Name: r.KeySecretName, Description: "Redis Labs User Secret Access Key", Tags: managed()},
			{Name: r.PasswordSecretName, Description: "Redis Labs User Password", Tags: managed()},
		},
	}
	if o.Layout == LayoutCloud {
		consoleTrust, err := iampolicy.Validate([]byte(ConsoleTrust), iampolicy.TrustPolicy)
		if err != nil {
			return nil, fmt.Errorf("console role trust policy: %w", err)
		}
		s.Roles = append(s.Roles, Role{Name: r.ConsoleRoleName,
			Description: "Console access for Redis Cloud (account " + r.RedisCloudAccountID + "), MFA required",
			Trust:       []byte(ConsoleTrust), Parsed: consoleTrust, Tags: identity(), Policies: []string{r.UserPolicyName}})
	}
	return s, nil
}

// PolicyARN is the ARN of one of the set's managed policies.
func (s *Set) PolicyARN(name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:policy/%s", s.Partition, s.AccountID, name)
}

// Policy returns the desired managed policy called name.
func (s *Set) Policy(name string) *Policy {
	for i := range s.Policies {
		if s.Policies[i].Name == name {
			return &s.Policies[i]
		}
	}
	return nil
}

// HasRole reports whether the layout includes the role called name.
func (s *Set) HasRole(name string) bool {
	for _, role := range s.Roles {
		if role.Name == name {
			return true
		}
	}
	return false
}

// SignInURL is the console sign-in URL of the account.
func (s *Set) SignInURL() string {
	return "https://" + s.AccountID + ".signin.aws.amazon.com/console"
}
