package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/view"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// policy list and show are offline: no credentials, region or endpoint.
func TestPolicyListAndShow(t *testing.T) {
	t.Parallel()
	inst := testenv.BundledDoc(t, "RedisLabsInstanceRolePolicy.json")
	user := testenv.BundledDoc(t, "RedislabsIAMUserRestrictedPolicy.json")

	list := rciam(t, nil, runOpts{}, "policy", "list").mustCode(t, 0)
	for _, w := range []string{"docs-v1 (fallback)", "RedisLabsInstanceRolePolicy.json", sha(inst), sha(user)} {
		if !strings.Contains(list.stdout, w) {
			t.Errorf("policy list lacks %q:\n%s", w, list.stdout)
		}
	}
	var lj struct {
		Versions []view.PolicyVersion `json:"versions"`
	}
	out := rciam(t, nil, runOpts{}, "policy", "list", "--output", "json").mustCode(t, 0)
	if err := json.Unmarshal([]byte(out.stdout), &lj); err != nil || len(lj.Versions) != 1 || lj.Versions[0].Name != "docs-v1" ||
		lj.Versions[0].Documents[1].SHA256 != sha(user) || lj.Versions[0].Documents[0].Document != "" {
		t.Errorf("policy list json: %v\n%s", err, out.stdout)
	}

	show := rciam(t, nil, runOpts{}, "policy", "show", "docs-v1").mustCode(t, 0)
	for _, w := range []string{"sha256 " + sha(inst), "sha256 " + sha(user), string(inst), string(user)} {
		if !strings.Contains(show.stdout, w) {
			t.Errorf("policy show lacks %.80q", w)
		}
	}
	var sj view.PolicyVersion
	out = rciam(t, nil, runOpts{}, "policy", "show", "docs-v1", "--output", "json").mustCode(t, 0)
	if err := json.Unmarshal([]byte(out.stdout), &sj); err != nil || len(sj.Documents) != 2 ||
		sj.Documents[0].Document != string(inst) || sj.Documents[0].SHA256 != sha(inst) || sj.Documents[1].Policy != "RedislabsIAMUserRestrictedPolicy" {
		t.Errorf("policy show json: %v\n%s", err, out.stdout)
	}
	raw := rciam(t, nil, runOpts{}, "policy", "show", "docs-v1", "--document", "user").mustCode(t, 0)
	if sha([]byte(raw.stdout)) != sha(user) {
		t.Error("--document user is not the document byte for byte")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"policy", "show", "docs-v9"}, `unknown policy version "docs-v9": choose one of docs-v1`},
		{[]string{"policy", "show"}, "one version name"},
		{[]string{"policy", "show", "docs-v1", "--document", "both"}, "instance or user"},
	} {
		res := rciam(t, nil, runOpts{}, tc.args...).mustCode(t, 1)
		res.oneLine(t, tc.want)
	}
}
