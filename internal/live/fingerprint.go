package live

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Fingerprint is a digest of everything in the snapshot that a plan
// depends on: entities, documents, attachments, tags, keys (and when they
// were last used), the login profile, the secrets' versions and tags, the
// password policy and the stacks that own entities. Two reads of an
// account nothing changed in between give the same fingerprint; what a
// read only observes (the caller, the clock, notes) is left out.
func (s *State) Fingerprint() string {
	b, _ := json.Marshal(s.fingerprinted()) // maps, slices, strings, numbers and bools only
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fingerprinted is the part of the snapshot Fingerprint covers, with
// documents by digest and lists sorted.
func (s *State) fingerprinted() any {
	type key struct {
		ID, Created, LastUsed string
		Active                bool
	}
	type secret struct {
		ARN, Version string
		Deleted      bool
		Tags         map[string]string
	}
	out := struct {
		Account, Partition, Region string
		Policies, Roles, Users     map[string]any
		Groups, Profiles           map[string]any
		Keys                       []key
		Login                      *LoginProfile
		Secrets                    map[string]secret
		PasswordPolicy             *PasswordPolicy
		StackOwned                 map[string]string
	}{Account: s.AccountID, Partition: s.Partition, Region: s.Region, Policies: map[string]any{}, Roles: map[string]any{},
		Users: map[string]any{}, Groups: map[string]any{}, Profiles: map[string]any{}, Login: s.LoginProfile,
		Secrets: map[string]secret{}, PasswordPolicy: s.PasswordPolicy, StackOwned: s.StackOwned}
	for k, p := range s.Policies {
		versions := make([]string, 0, len(p.Versions))
		for _, v := range p.Versions {
			versions = append(versions, v.ID+" "+digest(v.Document))
		}
		slices.Sort(versions)
		out.Policies[k] = []any{p.ARN, p.Path, p.Description, p.DefaultVersionID, digest(p.Document), versions, p.AttachmentCount, p.Tags, p.TagsKnown}
	}
	for k, r := range s.Roles {
		out.Roles[k] = []any{r.ARN, r.Path, digest(r.Trust), sorted(r.AttachedPolicies), digests(r.InlinePolicies), r.Boundary, r.Tags}
	}
	for k, u := range s.Users {
		out.Users[k] = []any{u.ARN, u.Path, sorted(u.AttachedPolicies), digests(u.InlinePolicies), sorted(u.Groups), u.Boundary, u.Tags}
	}
	for k, g := range s.Groups {
		out.Groups[k] = []any{g.ARN, sorted(g.AttachedPolicies), digests(g.InlinePolicies)}
	}
	for k, p := range s.Profiles {
		out.Profiles[k] = []any{p.ARN, sorted(p.Roles), p.Tags}
	}
	for _, k := range s.Keys {
		fk := key{ID: k.ID, Active: k.Active, Created: k.Created.UTC().Format(time.RFC3339)}
		if k.LastUsed != nil {
			fk.LastUsed = k.LastUsed.UTC().Format(time.RFC3339)
		}
		out.Keys = append(out.Keys, fk)
	}
	slices.SortFunc(out.Keys, func(a, b key) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	for name, sec := range s.Secrets {
		out.Secrets[name] = secret{ARN: sec.ARN, Version: sec.CurrentVersionID, Deleted: sec.Deleted != nil, Tags: sec.Tags}
	}
	return out
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func digests(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = digest(v)
	}
	return out
}

func sorted(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}
