package iampolicy

import (
	"os"
	"strings"
	"testing"
)

// Relative paths to the documents tests read in place: the bundled
// docs-v1 documents (the ones Redis's documentation page shows) and the
// latest published ones (testdata/README.md).
const (
	seedUserFile     = "../policysource/bundled/docs-v1/RedislabsIAMUserRestrictedPolicy.json"
	seedInstanceFile = "../policysource/bundled/docs-v1/RedisLabsInstanceRolePolicy.json"
	refUserFile      = "../../testdata/published/RedislabsIAMUserRestrictedPolicy.json"
	refInstanceFile  = "../../testdata/published/RedisLabsInstanceRolePolicy.json"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

// checkErr fails unless err matches want: "" means no error, otherwise err
// must contain want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want it to contain %q", err, want)
	}
}

// stmt wraps statement JSON into a 2012-10-17 policy document.
func stmt(s string) string { return `{"Version":"2012-10-17","Statement":` + s + `}` }
