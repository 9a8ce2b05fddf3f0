// Package policysource selects the two policy documents rciam provisions:
// a bundled version, local files, or a URL (with a per-URL cache and a
// fallback to the bundled docs-v1). It returns the documents exactly as
// bundled, read or fetched, with their SHA-256, and replaces the account-id
// placeholder on request. It also lists the other versions rciam knows
// (bundled, and earlier fetches in the cache) so that a plan can say which
// one a live document matches.
package policysource

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// File names of the two documents, as published by Redis.
const (
	InstanceFile = "RedisLabsInstanceRolePolicy.json"
	UserFile     = "RedislabsIAMUserRestrictedPolicy.json"
)

// DefaultVersion is the bundled version rciam falls back to when a fetch
// fails with nothing cached (docs/policy-sources.md).
const DefaultVersion = "docs-v1"

// DefaultURL is the official published location of the two documents, the
// source used when no policy flag and no EnvSource is given.
const DefaultURL = "https://raw.githubusercontent.com/Redislabs-Solution-Architects/cloudformation-aws-Redislabs-Cloud-Account-IAM-Resources/master/"

// EnvSource names the environment variable that replaces DefaultURL: a
// base URL, or a bundled version name (air-gapped machines, tests). Flags
// still win over it.
const EnvSource = "RCIAM_POLICY_SOURCE"

// Placeholder is replaced by the target account id (both of Redis's documentation pages ask for it).
const Placeholder = "ACCOUNT-ID-WITHOUT-HYPHENS"

//go:embed bundled
var bundled embed.FS

// Document is one policy document as obtained.
type Document struct {
	File string // InstanceFile or UserFile, a local path, or the URL fetched
	Raw  []byte // bytes as bundled, read or fetched
}

// SHA256 is the lowercase hex SHA-256 of Raw (what sha256sum prints).
func (d Document) SHA256() string {
	sum := sha256.Sum256(d.Raw)
	return hex.EncodeToString(sum[:])
}

// Known is a version of the two documents rciam knows besides the selected
// one: a bundled version, or an earlier fetch kept in the cache.
type Known struct {
	// Name says what it is: "docs-v1", or "<URL> as fetched <date>".
	Name     string
	Instance Document
	User     Document
}

// Selection is the pair of documents to provision and where they came from.
type Selection struct {
	// Source says where the documents came from: a bundled version name,
	// a URL (with " (cached …)" when the cache stood in for it), or
	// "files".
	Source   string
	Instance Document
	User     Document
	// Note explains a fallback (fetch failed, cache or bundled used) in one
	// line; empty otherwise.
	Note string
	// Known are the other versions rciam knows, for naming what a live
	// document matches. Filled by the CLI; may be empty.
	Known []Known
}

// WithAccountID returns the documents with Placeholder replaced by id.
func (s Selection) WithAccountID(id string) (instance, user []byte) {
	return ReplacePlaceholder(s.Instance.Raw, id), ReplacePlaceholder(s.User.Raw, id)
}

// ReplacePlaceholder returns doc with every Placeholder replaced by id.
func ReplacePlaceholder(doc []byte, id string) []byte {
	return bytes.ReplaceAll(doc, []byte(Placeholder), []byte(id))
}

// HasPlaceholder reports whether either document still holds Placeholder.
func (s Selection) HasPlaceholder() bool {
	return bytes.Contains(s.Instance.Raw, []byte(Placeholder)) || bytes.Contains(s.User.Raw, []byte(Placeholder))
}

// Versions lists the bundled version names, sorted.
func Versions() []string {
	entries, _ := bundled.ReadDir("bundled")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Bundled returns a bundled version.
func Bundled(version string) (Selection, error) {
	inst, err1 := bundled.ReadFile(path.Join("bundled", version, InstanceFile))
	user, err2 := bundled.ReadFile(path.Join("bundled", version, UserFile))
	if version == "" || strings.ContainsAny(version, "/\\.") || err1 != nil || err2 != nil {
		return Selection{}, fmt.Errorf("unknown policy version %q: choose one of %s (rciam policy list)", version, strings.Join(Versions(), ", "))
	}
	return Selection{Source: version, Instance: Document{InstanceFile, inst}, User: Document{UserFile, user}}, nil
}

// About is a bundled version's one-line description.
func About(version string) string {
	b, err := bundled.ReadFile(path.Join("bundled", version, "ABOUT"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// BundledKnown returns every bundled version as a Known.
func BundledKnown() []Known {
	var out []Known
	for _, v := range Versions() {
		if s, err := Bundled(v); err == nil {
			out = append(out, Known{Name: v, Instance: s.Instance, User: s.User})
		}
	}
	return out
}

// Files reads the two documents from local files.
func Files(instancePath, userPath string) (Selection, error) {
	if instancePath == "" || userPath == "" {
		return Selection{}, fmt.Errorf("--instance-policy-file and --user-policy-file go together: give both")
	}
	inst, err := os.ReadFile(instancePath)
	if err != nil {
		return Selection{}, fmt.Errorf("read --instance-policy-file: %w", err)
	}
	user, err := os.ReadFile(userPath)
	if err != nil {
		return Selection{}, fmt.Errorf("read --user-policy-file: %w", err)
	}
	return Selection{Source: "files", Instance: Document{instancePath, inst}, User: Document{userPath, user}}, nil
}
