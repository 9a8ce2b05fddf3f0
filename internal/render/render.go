// Package render prints a desired set (internal/desired) as infrastructure
// code — a CloudFormation template, a Terraform configuration — or as a JSON
// dump, without any I/O beyond the writer: no AWS call, region or
// credentials.
//
// What must stay true of every format (docs/render.md): it deploys with
// no parameters given; each entity is one resource block found by name (no
// count or for_each); names, tags, trust policies and attachments are the
// desired set's; policy documents appear literally — never through
// CloudFormation's Fn::Sub, and in Terraform with "${" escaped as "$${" —
// so that what is deployed is what rciam would create, and a later
// `rciam plan` on that account proposes nothing (the stack or Terraform owns
// the entities; CloudFormation cannot tag managed policies or instance
// profiles, so those tags are the exception).
package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	r "github.com/rciam/rciam/internal/resource"
)

// Format is an output format of render.
type Format string

// The formats of `rciam render --format`.
const (
	CloudFormation Format = "cloudformation"
	Terraform      Format = "terraform"
	JSON           Format = "json"
	Mermaid        Format = "mermaid"
	Dot            Format = "dot"
)

// FormatList names the formats for messages and help.
const FormatList = "cloudformation, terraform, json, mermaid, dot, operator-policy, operator-policy-cloudformation or operator-policy-terraform"

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case CloudFormation, Terraform, JSON, Mermaid, Dot, OperatorPolicy, OperatorPolicyCloudFormation, OperatorPolicyTerraform:
		return Format(s), nil
	}
	return "", fmt.Errorf("invalid --format %q: use %s", s, FormatList)
}

// Options shape the rendered code.
type Options struct {
	Format Format
	// WithRegistration adds the Redis Cloud cloud account fed from the
	// user's key and password (Terraform only: CloudFormation has no Redis
	// Cloud resource type).
	WithRegistration bool
}

// passwordLength is the console password's length where the rendered code
// generates it, as the official template does (rciam itself uses at least
// this, more when the account password policy asks).
const passwordLength = 30

// Render writes s in o.Format to w.
func Render(w io.Writer, s *desired.Set, o Options) error {
	if o.WithRegistration && o.Format != Terraform {
		return fmt.Errorf("--with-registration works with --format terraform only (CloudFormation has no Redis Cloud resource): drop it, and run 'rciam register' once the entities exist")
	}
	switch o.Format {
	case CloudFormation:
		return writeCloudFormation(w, s)
	case Terraform:
		return writeTerraform(w, s, o.WithRegistration)
	case JSON:
		return writeJSON(w, s)
	case Mermaid:
		return writeMermaid(w, s)
	case Dot:
		return writeDot(w, s)
	}
	return fmt.Errorf("invalid format %q: use cloudformation, terraform, json, mermaid or dot", o.Format)
}

// ids are the names one entity gets in the rendered code.
type ids struct {
	cfn string // CloudFormation logical id
	tf  string // Terraform resource name
}

// known gives the layout's entities the logical ids of the official
// template (the two templates compare resource by resource, and a stack
// keeps its logical ids when it moves from one to the other) and short
// Terraform names.
var known = map[string]ids{
	"policy/" + r.InstancePolicyName:    {"RedisLabsInstanceRolePolicy", "instance_role_policy"},
	"policy/" + r.UserPolicyName:        {"RedislabsIAMUserRestrictedPolicy", "user_restricted_policy"},
	"role/" + r.NodeRoleName:            {"RedisLabsClusterNodeRole", "cluster_node_role"},
	"instance-profile/" + r.ProfileName: {"RedisLabsClusterNodeRoleInstanceProfile", "cluster_node"},
	"role/" + r.ConsoleRoleName:         {"RedisLabsCrossAccountRole", "cross_account_role"},
	"user/" + r.UserName:                {"RedisLabsUser", "redislabs_user"},
	"access-key/" + r.UserName:          {"RedisLabsUserAccessKey", "redislabs_user"},
	"login-profile/" + r.UserName:       {"RedisLabsUserLoginProfile", "redislabs_user"},
	"secret/" + r.KeySecretName:         {"RedisLabsUserSecretAccessKey", "secret_access_key"},
	"secret/" + r.PasswordSecretName:    {"RedisLabsUserPassword", "password"},
}

// idsOf returns the names of the entity of kind k called name; entities
// outside the table get names derived from theirs.
func idsOf(k r.Kind, name string) ids {
	if id, ok := known[r.Addr(k, name).String()]; ok {
		return id
	}
	var cfn, tf strings.Builder
	upper := true
	for _, c := range string(k) + "-" + name {
		isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !isAlnum {
			upper = true
			if tf.Len() > 0 && !strings.HasSuffix(tf.String(), "_") {
				tf.WriteByte('_')
			}
			continue
		}
		if upper && c >= 'a' && c <= 'z' {
			cfn.WriteRune(c - 'a' + 'A')
		} else {
			cfn.WriteRune(c)
		}
		upper = false
		tf.WriteString(strings.ToLower(string(c)))
	}
	return ids{cfn: cfn.String(), tf: strings.TrimSuffix(tf.String(), "_")}
}

// secrets returns the key secret and the password secret of s.
func secrets(s *desired.Set) (key, password desired.Secret) {
	for _, sec := range s.Secrets {
		switch sec.Name {
		case r.KeySecretName:
			key = sec
		case r.PasswordSecretName:
			password = sec
		}
	}
	return key, password
}

// provenance says where the documents came from, for a header.
func provenance(s *desired.Set) string {
	var b strings.Builder
	fmt.Fprintf(&b, "layout %s, policies %s", s.Layout, s.Source.Source)
	for _, p := range s.Policies {
		fmt.Fprintf(&b, ", %s sha256 %s", p.Name, p.SHA256)
	}
	return b.String()
}
