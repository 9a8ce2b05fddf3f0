package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool returns the path of an outside program a test judges rciam's
// output with (cfn-lint, terraform, bash, …). When it is not on PATH the test
// is skipped — except under CI=true, where that is a failure.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH (CI=true: the test cannot be skipped)", name)
		}
		t.Skipf("%s not on PATH", name)
	}
	return path
}
