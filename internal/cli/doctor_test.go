package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// doctor on a working setup: every check ok, in text and JSON; an endpoint
// that does not answer fails the caller check and exits 1.
func TestDoctor(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	srv := redisServer(t, rcserver.Options{})
	res := rciam(t, acct, withRedis(srv), "doctor", "--output", "json").mustCode(t, 0)
	var out struct {
		Schema int  `json:"schema"`
		OK     bool `json:"ok"`
		Checks []struct{ ID, Status, Message string }
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("doctor json: %v\n%s", err, res.stdout)
	}
	got := map[string]string{}
	for _, c := range out.Checks {
		got[c.ID] = c.Status + ": " + c.Message
	}
	for id, want := range map[string]string{
		"region":        "ok: " + testenv.Region + " (from --region)",
		"endpoint":      "ok: " + acct.Endpoint + " (from --endpoint-url)",
		"credentials":   "ok: from ",
		"caller":        "ok: arn:aws:iam::" + acct.ID + ":user/",
		"account":       "ok: " + acct.ID + " (partition aws)",
		"clock":         "ok: within ",
		"policy-source": "ok: docs-v1 (sha256 ",
		"redis-cloud":   "ok: the API answers: 0 cloud accounts",
	} {
		if !strings.HasPrefix(got[id], want) {
			t.Errorf("%s: %q, want %q…", id, got[id], want)
		}
	}
	if out.Schema != 1 || !out.OK {
		t.Errorf("schema %d ok %v", out.Schema, out.OK)
	}
	closed := &testenv.Account{ID: "000000000000", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "x", Endpoint: "http://127.0.0.1:1"}
	bad := rciam(t, closed, runOpts{}, "doctor").mustCode(t, 1)
	if !strings.Contains(bad.stdout, "fail  caller") || !strings.Contains(bad.stdout, "cannot reach") {
		t.Errorf("doctor on a closed endpoint:\n%s", bad.stdout)
	}
}
