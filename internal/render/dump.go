package render

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/rciam/rciam/internal/desired"
	r "github.com/rciam/rciam/internal/resource"
)

// Dump is the machine-readable form of a desired set (`--format json`):
// every entity by name, with its documents as JSON objects, tags and
// attachments. Field names are part of the contract for scripts.
type Dump struct {
	// Schema is the version of this document (1); a change that breaks a
	// reader bumps it.
	Schema           int           `json:"schema"`
	Layout           string        `json:"layout"`
	AccountID        string        `json:"accountId,omitempty"`
	PolicySource     string        `json:"policySource"`
	Policies         []DumpPolicy  `json:"policies"`
	Roles            []DumpRole    `json:"roles"`
	InstanceProfiles []DumpProfile `json:"instanceProfiles"`
	Users            []DumpUser    `json:"users"`
	Secrets          []DumpSecret  `json:"secrets"`
}

// DumpPolicy is a customer managed policy.
type DumpPolicy struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	SHA256      string            `json:"sha256"` // of the document as bundled, read or fetched
	Document    json.RawMessage   `json:"document"`
	Tags        map[string]string `json:"tags"`
}

// DumpRole is a role with its trust policy and attached managed policies.
type DumpRole struct {
	Name             string            `json:"name"`
	Description      string            `json:"description"`
	TrustPolicy      json.RawMessage   `json:"trustPolicy"`
	AttachedPolicies []string          `json:"attachedPolicies"`
	Tags             map[string]string `json:"tags"`
}

// DumpProfile is an instance profile and the role it holds.
type DumpProfile struct {
	Name string            `json:"name"`
	Role string            `json:"role"`
	Tags map[string]string `json:"tags"`
}

// DumpUser is the user, its attached policies, and its credentials:
// exactly one active access key and a console login profile.
type DumpUser struct {
	Name             string            `json:"name"`
	AttachedPolicies []string          `json:"attachedPolicies"`
	Tags             map[string]string `json:"tags"`
	AccessKeys       int               `json:"accessKeys"`
	LoginProfile     DumpLoginProfile  `json:"loginProfile"`
}

// DumpLoginProfile is the console login's settings.
type DumpLoginProfile struct {
	PasswordResetRequired bool `json:"passwordResetRequired"`
}

// DumpSecret is a Secrets Manager secret and what it holds.
type DumpSecret struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Holds       string            `json:"holds"`
	Tags        map[string]string `json:"tags"`
}

// NewDump builds the dump of s.
func NewDump(s *desired.Set) (*Dump, error) {
	d := &Dump{Schema: 1, Layout: string(s.Layout), AccountID: s.AccountID, PolicySource: s.Source.Source,
		Policies: []DumpPolicy{}, Roles: []DumpRole{}, InstanceProfiles: []DumpProfile{}, Secrets: []DumpSecret{}}
	for _, p := range s.Policies {
		doc, err := document(p.Document)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.Name, err)
		}
		d.Policies = append(d.Policies, DumpPolicy{Name: p.Name, Description: p.Description, SHA256: p.SHA256, Document: doc, Tags: p.Tags})
	}
	for _, role := range s.Roles {
		trust, err := document(role.Trust)
		if err != nil {
			return nil, fmt.Errorf("role %s trust policy: %w", role.Name, err)
		}
		d.Roles = append(d.Roles, DumpRole{Name: role.Name, Description: role.Description, TrustPolicy: trust,
			AttachedPolicies: role.Policies, Tags: role.Tags})
	}
	for _, p := range s.Profiles {
		d.InstanceProfiles = append(d.InstanceProfiles, DumpProfile{Name: p.Name, Role: p.Role, Tags: p.Tags})
	}
	d.Users = []DumpUser{{Name: s.User.Name, AttachedPolicies: s.User.Policies, Tags: s.User.Tags, AccessKeys: 1}}
	for _, sec := range s.Secrets {
		holds := "the access key's secret"
		if sec.Name == r.PasswordSecretName {
			holds = `{"password":"<the console password>"}`
		}
		d.Secrets = append(d.Secrets, DumpSecret{Name: sec.Name, Description: sec.Description, Holds: holds, Tags: sec.Tags})
	}
	return d, nil
}

func writeJSON(w io.Writer, s *desired.Set) error {
	d, err := NewDump(s)
	if err != nil {
		return err
	}
	return encodeIndented(w, d)
}
