// Package golden compares what users read — rendered code, plans, reports,
// error lines — with files under a package's testdata directory, and
// rewrites those files when the tests run with -update:
//
//	go test ./internal/view/ -update
//
// A rewritten file is reviewed in the diff like code; tests never edit one.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// Check compares got with testdata/<name>, or writes it there with -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the code prints now (if the change is meant, run the test with -update and review the diff):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
