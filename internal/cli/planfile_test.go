package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rciam/rciam/internal/testenv"
)

// plan --out saves a plan (no secret in it); apply FILE applies exactly
// it, and refuses — changing nothing — when the account changed since, or
// when flags the plan fixes are given beside it.
func TestSavedPlan(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	dir := t.TempDir()
	first := filepath.Join(dir, "first.plan")
	rciam(t, acct, runOpts{}, "plan", "--out", first, "--layout", "rv").mustCode(t, 0)
	rciam(t, acct, runOpts{}, "apply", first, "--yes").mustCode(t, 0)
	st := testenv.CheckSpec(t, moto, acct, testenv.Spec{Layout: "rv"}) // the saved plan's layout, no flag needed

	// Drift, a plan of its repair, then more drift: the saved plan is stale.
	c := iam.NewFromConfig(acct.Config())
	ctx := context.Background()
	arn := aws.String("arn:aws:iam::" + acct.ID + ":policy/RedislabsIAMUserRestrictedPolicy")
	if _, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("redislabs-user"), PolicyArn: arn}); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(dir, "second.plan")
	rciam(t, acct, runOpts{}, "plan", "--out", second, "--layout", "rv").mustCode(t, 0)
	if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("redislabs-user"), TagKeys: []string{"UsedBy"}}); err != nil {
		t.Fatal(err)
	}
	stale := rciam(t, acct, runOpts{}, "apply", second, "--yes").mustCode(t, 1)
	stale.oneLine(t, "the saved plan no longer applies: the account changed since the plan was made", "nothing was changed")
	if w := writes(stale.calls); len(w) > 0 {
		t.Errorf("a stale plan wrote %v", w)
	}
	rciam(t, acct, runOpts{}, "apply", second, "--yes", "--layout", "cloud").mustCode(t, 1).oneLine(t, "drop --layout")
	rciam(t, acct, runOpts{}, "apply", filepath.Join(dir, "none.plan"), "--yes").mustCode(t, 1).oneLine(t, "read saved plan", "no such file")

	// A fresh plan of the repair applies.
	third := filepath.Join(dir, "third.plan")
	rciam(t, acct, runOpts{}, "plan", "--out", third, "--layout", "rv").mustCode(t, 0)
	rciam(t, acct, runOpts{}, "apply", third, "--yes").mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{Layout: "rv"})

	for _, p := range []string{first, second, third} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), st.KeySecret) || strings.Contains(string(b), st.Password) {
			t.Errorf("%s holds a secret", p)
		}
	}
}
