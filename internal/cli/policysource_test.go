package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
)

// placeholderUserDoc is docs-v1's user policy with PassRole limited to the
// account through the ACCOUNT-ID-WITHOUT-HYPHENS placeholder.
func placeholderUserDoc(t *testing.T) []byte {
	doc := testenv.BundledDoc(t, "RedislabsIAMUserRestrictedPolicy.json")
	out := bytes.Replace(doc, []byte(`"arn:aws:iam::*:role/redislabs-cluster-node-role"`),
		[]byte(`"arn:aws:iam::ACCOUNT-ID-WITHOUT-HYPHENS:role/redislabs-cluster-node-role"`), 1)
	if bytes.Equal(out, doc) {
		t.Fatal("docs-v1 user policy no longer names the node role")
	}
	return out
}

// withoutStatement drops the statement called sid from a document (the
// May 2025 change removed S3Object from the instance policy).
func withoutStatement(t *testing.T, doc []byte, sid string) []byte {
	var p map[string]any
	if err := json.Unmarshal(doc, &p); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, s := range p["Statement"].([]any) {
		if s.(map[string]any)["Sid"] != sid {
			kept = append(kept, s)
		}
	}
	p["Statement"] = kept
	out, _ := json.MarshalIndent(p, "", "  ")
	return out
}

func writeFile(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Local files holding the placeholder: it is replaced by the account id
// before validation, the account holds the substituted documents, and the
// plan shows the SHA-256 of the files as read.
func TestPolicyFilesWithPlaceholder(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	inst := testenv.BundledDoc(t, "RedisLabsInstanceRolePolicy.json")
	user := placeholderUserDoc(t)
	files := []string{"--instance-policy-file", writeFile(t, "i.json", inst), "--user-policy-file", writeFile(t, "u.json", user)}

	rciam(t, acct, runOpts{}, append([]string{"apply", "--yes"}, files...)...).mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{InstanceDoc: inst, UserDoc: bytes.ReplaceAll(user, []byte("ACCOUNT-ID-WITHOUT-HYPHENS"), []byte(acct.ID))})
	plan := rciam(t, acct, runOpts{}, append([]string{"plan", "--detailed-exitcode"}, files...)...).mustCode(t, 0)
	for _, w := range []string{"policies files", "sha256 " + sha(user), "sha256 " + sha(inst)} {
		if !strings.Contains(plan.stdout, w) {
			t.Errorf("plan lacks %q:\n%s", w, plan.stdout)
		}
	}
}

// policyServer serves a pair of documents on 127.0.0.1 while up.
func policyServer(t *testing.T, instance, user []byte) (*httptest.Server, *atomic.Bool) {
	up := &atomic.Bool{}
	up.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !up.Load():
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case r.URL.Path == "/p/RedisLabsInstanceRolePolicy.json":
			w.Write(instance)
		case r.URL.Path == "/p/RedislabsIAMUserRestrictedPolicy.json":
			w.Write(user)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, up
}

// --policy-source: fetched, cached per URL, the cache used when the source
// fails, bundled docs-v1 when nothing is cached — each fallback said in one
// stderr line — and a live document named after the known version it
// matches, with the actions the update changes.
func TestPolicySourceURLCacheAndFallback(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	inst := withoutStatement(t, testenv.BundledDoc(t, "RedisLabsInstanceRolePolicy.json"), "S3Object")
	user := placeholderUserDoc(t)
	srv, up := policyServer(t, inst, user)
	url := srv.URL + "/p/"

	first := rciam(t, acct, runOpts{}, "apply", "--yes", "--policy-source", url).mustCode(t, 0)
	if strings.Contains(first.stderr, "warning") {
		t.Errorf("a working source warned:\n%s", first.stderr)
	}
	testenv.CheckSpec(t, moto, acct, testenv.Spec{InstanceDoc: inst, UserDoc: bytes.ReplaceAll(user, []byte("ACCOUNT-ID-WITHOUT-HYPHENS"), []byte(acct.ID))})
	plan := rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode", "--policy-source", url).mustCode(t, 0)
	for _, w := range []string{"policies " + url, "sha256 " + sha(inst), "sha256 " + sha(user)} {
		if !strings.Contains(plan.stdout, w) {
			t.Errorf("plan lacks %q:\n%s", w, plan.stdout)
		}
	}

	up.Store(false)
	cached := rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode", "--policy-source", url).mustCode(t, 0)
	cached.oneLine(t, "cache", url, "503")
	if !strings.Contains(cached.stdout, "policies "+url+" (cached ") || !strings.Contains(cached.stdout, "sha256 "+sha(user)) {
		t.Errorf("plan from the cache:\n%s", cached.stdout)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	fb := rciam(t, acct, runOpts{}, "plan", "--policy-source", closed.URL+"/p/").mustCode(t, 0)
	fb.oneLine(t, "bundled docs-v1", closed.URL)
	for _, w := range []string{"policies docs-v1", "live document matches " + url + " as fetched",
		"actions becoming allowed: s3:DeleteObject, s3:GetBucketLocation, s3:GetObject, s3:GetObjectAcl, s3:ListBucket and 2 more"} {
		if !strings.Contains(fb.stdout, w) {
			t.Errorf("fallback plan lacks %q:\n%s", w, fb.stdout)
		}
	}
}

// An invalid or oversized document from any source stops the command
// before anything is written: exit 1, one line naming the document.
func TestInvalidDocumentFromEachSource(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	inst := testenv.BundledDoc(t, "RedisLabsInstanceRolePolicy.json")
	var stmts []string
	for i := 0; i < 100; i++ {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"arn:aws:ec2:*:ACCOUNT-ID-WITHOUT-HYPHENS:instance/*"}`, i))
	}
	big := []byte(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
	noResource := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeRegions"}]}`)
	bigSrv, _ := policyServer(t, inst, big)
	badSrv, _ := policyServer(t, noResource, inst)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"oversized file", []string{"--instance-policy-file", writeFile(t, "i.json", inst), "--user-policy-file", writeFile(t, "big.json", big)}, []string{"big.json", "6,144"}},
		{"file is not JSON", []string{"--instance-policy-file", writeFile(t, "bad.json", []byte("{")), "--user-policy-file", writeFile(t, "u.json", inst)}, []string{"bad.json"}},
		{"oversized at a URL", []string{"--policy-source", bigSrv.URL + "/p"}, []string{bigSrv.URL + "/p/RedislabsIAMUserRestrictedPolicy.json", "6,144"}},
		{"invalid at a URL", []string{"--policy-source", badSrv.URL + "/p/"}, []string{badSrv.URL + "/p/RedisLabsInstanceRolePolicy.json", "Resource"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := rciam(t, acct, runOpts{}, append([]string{"apply", "--yes"}, tc.args...)...).mustCode(t, 1)
			res.oneLine(t, tc.want...)
			if w := writes(res.calls); len(w) > 0 {
				t.Errorf("invalid document, yet writes: %v", w)
			}
		})
	}
}

// RCIAM_POLICY_SOURCE replaces the default source (a URL here); flags
// still win. Not parallel: it changes the process environment.
func TestPolicySourceEnvironment(t *testing.T) {
	acct := testenv.NeedMoto(t, moto)
	inst := testenv.BundledDoc(t, "RedisLabsInstanceRolePolicy.json")
	user := placeholderUserDoc(t)
	srv, _ := policyServer(t, inst, user)
	t.Setenv("RCIAM_POLICY_SOURCE", srv.URL+"/p/")

	env := rciam(t, acct, runOpts{}, "plan").mustCode(t, 0)
	if !strings.Contains(env.stdout, "policies "+srv.URL+"/p/") || !strings.Contains(env.stdout, "sha256 "+sha(user)) {
		t.Errorf("plan did not use RCIAM_POLICY_SOURCE:\n%s", env.stdout)
	}
	flag := rciam(t, acct, runOpts{}, "plan", "--policy-version", "docs-v1").mustCode(t, 0)
	if !strings.Contains(flag.stdout, "policies docs-v1") {
		t.Errorf("--policy-version did not win over RCIAM_POLICY_SOURCE:\n%s", flag.stdout)
	}
	both := rciam(t, acct, runOpts{}, "plan", "--policy-version", "docs-v1", "--policy-source", srv.URL).mustCode(t, 1)
	both.oneLine(t, "exclude each other")
	if len(both.calls) > 0 {
		t.Errorf("conflicting flags, yet %d AWS calls", len(both.calls))
	}
}
