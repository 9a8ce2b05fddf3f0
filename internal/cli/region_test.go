package cli

import (
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
)

// Another --region than the one the secrets are in (docs/entities.md,
// "Wrong region"): redislabs-user records it, so every command names it —
// plan, apply and destroy refuse before anything is written (apply would
// build a second pair of secrets), verify fails its region check and the
// missing secrets say where they are, outputs refuses.
func TestWrongRegionNamesTheRegion(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	const other = "eu-north-1"
	fix := "pass --region " + testenv.Region
	for _, args := range [][]string{{"plan"}, {"apply", "--yes"}, {"outputs"}, {"destroy", "--yes"}} {
		res := rciam(t, acct, runOpts{}, append(args, "--region", other)...).mustCode(t, 1)
		res.oneLine(t, "rciam set this account up in region "+testenv.Region, "this run uses "+other, fix)
		if w := writes(res.calls); len(w) > 0 {
			t.Errorf("%s in the wrong region wrote %v", args[0], w)
		}
	}
	res := rciam(t, acct, runOpts{}, "verify", "--output", "json", "--region", other).mustCode(t, 1)
	for _, want := range []string{`"id": "region"`, fix, "does not exist in " + other} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("verify in the wrong region lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "run 'rciam apply' to repair") {
		t.Errorf("verify in the wrong region advises apply:\n%s", res.stdout)
	}
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})
}
