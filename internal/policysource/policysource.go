// Package policysource selects the two policy documents rciam provisions:
// a bundled version, local files, or a URL (with cache and fallback). It
// returns the documents exactly as bundled, read or fetched, with their
// SHA-256, and replaces the account-id placeholder on request.
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
)

// File names of the two documents, as published by Redis.
const (
	InstanceFile = "RedisLabsInstanceRolePolicy.json"
	UserFile     = "RedislabsIAMUserRestrictedPolicy.json"
)

// DefaultVersion is the bundled version used when nothing else is chosen,
// and the fallback when a fetch fails with nothing cached.
const DefaultVersion = "docs-v1"

// Placeholder is replaced by the target account id (seed 001).
const Placeholder = "ACCOUNT-ID-WITHOUT-HYPHENS"

//go:embed bundled
var bundled embed.FS

// Document is one policy document as obtained.
type Document struct {
	File string // InstanceFile or UserFile
	Raw  []byte // bytes as bundled, read or fetched
}

// SHA256 is the lowercase hex SHA-256 of Raw (what sha256sum prints).
func (d Document) SHA256() string {
	sum := sha256.Sum256(d.Raw)
	return hex.EncodeToString(sum[:])
}

// Selection is the pair of documents to provision and where they came from.
type Selection struct {
	// Source says where the documents came from: a bundled version name,
	// a URL, or "files".
	Source   string
	Instance Document
	User     Document
	// Note explains a fallback (fetch failed, cache or bundled used); empty
	// otherwise.
	Note string
}

// WithAccountID returns the documents with Placeholder replaced by id.
func (s Selection) WithAccountID(id string) (instance, user []byte) {
	r := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(Placeholder), []byte(id)) }
	return r(s.Instance.Raw), r(s.User.Raw)
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
	if err1 != nil || err2 != nil {
		return Selection{}, fmt.Errorf("unknown policy version %q: choose one of %v (rciam policy list)", version, Versions())
	}
	return Selection{Source: version, Instance: Document{InstanceFile, inst}, User: Document{UserFile, user}}, nil
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
