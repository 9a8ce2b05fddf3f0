// Package resource names the entities rciam manages: their addresses as
// users and scripts see them ("role/redislabs-role"), the fixed names and
// tags of docs/entities.md, and the kinds apply and destroy order by.
package resource

import "strings"

// Kind is the type of an entity; its string is the address prefix.
type Kind string

const (
	KindPolicy          Kind = "policy"
	KindRole            Kind = "role"
	KindInstanceProfile Kind = "instance-profile"
	KindUser            Kind = "user"
	KindAccessKey       Kind = "access-key"
	KindLoginProfile    Kind = "login-profile"
	KindSecret          Kind = "secret"
)

// Address identifies one entity: Kind plus name. Access keys are named
// "<user>/<key id>" and login profiles by their user.
type Address struct {
	Kind Kind
	Name string
}

func (a Address) String() string { return string(a.Kind) + "/" + a.Name }

// Addr builds an Address.
func Addr(k Kind, name string) Address { return Address{Kind: k, Name: name} }

// AccessKey is the address of one access key of user.
func AccessKey(user, id string) Address { return Address{Kind: KindAccessKey, Name: user + "/" + id} }

// Entity names (docs/entities.md).
const (
	InstancePolicyName = "RedisLabsInstanceRolePolicy"
	UserPolicyName     = "RedislabsIAMUserRestrictedPolicy"
	NodeRoleName       = "redislabs-cluster-node-role"
	ProfileName        = "redislabs-cluster-node-role"
	UserName           = "redislabs-user"
	ConsoleRoleName    = "redislabs-role"
	KeySecretName      = "/redislabsuser/secret_access_key"
	PasswordSecretName = "/redislabsuser/password"

	// RedisCloudAccountID is Redis Cloud's own AWS account, the only
	// principal redislabs-role trusts.
	RedisCloudAccountID = "168085023892"
)

// Tags rciam sets on the entities it manages (its own bookkeeping tags are
// internal/bookkeeping's).
const (
	TagUsedBy      = "UsedBy"
	UsedByValue    = "RedisLabs"
	TagManagedBy   = "ManagedBy"
	ManagedByValue = "rciam"
)

// SameName reports whether two IAM names denote the same entity: IAM names
// are unique case-insensitively.
func SameName(a, b string) bool { return strings.EqualFold(a, b) }
