package policysource

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Which source a request selects: flags first, then RCIAM_POLICY_SOURCE
// (a URL or a bundled version), then the official URL.
func TestSelectPrecedence(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testInstance, testUser)
	dir := t.TempDir()
	inst, user := filepath.Join(dir, "i.json"), filepath.Join(dir, "u.json")
	for p, b := range map[string]string{inst: testInstance, user: testUser} {
		if err := os.WriteFile(p, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, env  string
		req        Request
		wantSource string
		wantErr    string
	}{
		{"version flag beats env", srv.URL + "/base/", Request{Version: "docs-v1"}, "docs-v1", ""},
		{"files", "", Request{InstanceFile: inst, UserFile: user}, "files", ""},
		{"one file alone", "", Request{UserFile: user}, "", "go together"},
		{"url flag", "docs-v1", Request{URL: srv.URL + "/base"}, srv.URL + "/base/", ""},
		{"env names a version", "docs-v1", Request{}, "docs-v1", ""},
		{"env names a URL", srv.URL + "/base/", Request{}, srv.URL + "/base/", ""},
		{"env names nothing known", "docs-v9", Request{}, "", "RCIAM_POLICY_SOURCE: unknown policy version \"docs-v9\""},
		{"unknown version", "", Request{Version: "../docs-v1"}, "", "unknown policy version"},
		{"url without scheme", "", Request{URL: "example.com/policies"}, "", "http:// or https://"},
		{"ftp url", "", Request{URL: "ftp://127.0.0.1/"}, "", "http:// or https://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := resolver(t)
			res.Getenv = func(k string) string {
				if k == EnvSource {
					return tc.env
				}
				return ""
			}
			sel, err := res.Select(context.Background(), tc.req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("err = %v, want one line with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || sel.Source != tc.wantSource || sel.Note != "" {
				t.Errorf("source %q note %q err %v, want %q", sel.Source, sel.Note, err, tc.wantSource)
			}
		})
	}
}

// With no flag and no RCIAM_POLICY_SOURCE, rciam fetches the official
// published location (here refused by the loopback-only transport, so the
// fallback shows which URL was tried).
func TestDefaultSourceIsTheOfficialURL(t *testing.T) {
	t.Parallel()
	res := resolver(t)
	sel, err := res.Select(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if sel.Source != DefaultVersion || !strings.Contains(sel.Note, DefaultURL) || !strings.Contains(sel.Note, "bundled docs-v1") {
		t.Errorf("source %s, note %q", sel.Source, sel.Note)
	}
}

// The default transport honours HTTP_PROXY and NO_PROXY. Go reads them
// once per process, so the fetches run in a child process of this test
// binary with the variables set. The proxy is a loopback test server; the
// names it is asked for (.invalid) are never resolved: the transport only
// dials 127.0.0.1.
func TestFetchHonoursProxyEnvironment(t *testing.T) {
	if os.Getenv("RCIAM_TEST_PROXY_CHILD") == "1" {
		proxyChild(t)
		return
	}
	t.Parallel()
	var mu sync.Mutex
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.URL.String())
		mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, InstanceFile):
			w.Write([]byte(testInstance))
		case strings.HasSuffix(r.URL.Path, UserFile):
			w.Write([]byte(testUser))
		default:
			http.NotFound(w, r)
		}
	}))
	defer proxy.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFetchHonoursProxyEnvironment$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "RCIAM_TEST_PROXY_CHILD=1", "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL,
		"NO_PROXY=direct.invalid", "no_proxy=direct.invalid")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(proxied) != 2 || !strings.HasPrefix(proxied[0], "http://policies.invalid/base/") {
		t.Errorf("proxy saw %v, want the two documents of http://policies.invalid/base/", proxied)
	}
}

func proxyChild(t *testing.T) {
	res := resolver(t)
	res.Fetcher.Client = loopbackOnly(defaultClient().Transport.(*http.Transport).Proxy)
	sel, err := res.Select(context.Background(), Request{URL: "http://policies.invalid/base/"})
	if err != nil || sel.Source != "http://policies.invalid/base/" || string(sel.User.Raw) != testUser {
		t.Fatalf("through the proxy: %v, source %s, note %q", err, sel.Source, sel.Note)
	}
	direct, _ := res.Select(context.Background(), Request{URL: "http://direct.invalid/base/"})
	if direct.Source != DefaultVersion || !strings.Contains(direct.Note, "test refuses to dial direct.invalid:80") {
		t.Errorf("NO_PROXY host: source %s, note %q (want a direct dial)", direct.Source, direct.Note)
	}
}

// The cache keeps earlier fetches of a URL as known versions, newest
// last, each once.
func TestCacheKeepsEarlierFetches(t *testing.T) {
	t.Parallel()
	c := &Cache{Dir: t.TempDir()}
	url := "https://example.invalid/p/"
	at := func(h int) time.Time { return time.Date(2025, 1, 1, h, 0, 0, 0, time.UTC) }
	v1 := Selection{Instance: Document{Raw: []byte(testInstance)}, User: Document{Raw: []byte(testUser)}}
	v2 := v1
	v2.User.Raw = []byte(strings.Replace(testUser, "PassRole", "GetRole", 1))
	for i, s := range []Selection{v1, v2, v1} {
		if err := c.Store(url, s, at(i)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, k := range c.Known() {
		names = append(names, k.Name)
	}
	want := url + " as fetched 2025-01-01 01:00 UTC|" + url + " as fetched 2025-01-01 02:00 UTC"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("known = %s, want %s", got, want)
	}
	latest, when, ok := c.Latest(url)
	if !ok || !when.Equal(at(2)) || string(latest.User.Raw) != testUser {
		t.Errorf("latest = %v %s %s", ok, when, latest.User.Raw)
	}
	entries, _ := os.ReadDir(c.dirFor(url))
	if len(entries) != 4 {
		t.Errorf("cache dir holds %d files, want index + 3 documents", len(entries))
	}
}
