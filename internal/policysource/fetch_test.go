package policysource

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testInstance = `{"Version":"2012-10-17","Statement":[{"Sid":"EC2","Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*"}]}`
	testUser     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::ACCOUNT-ID-WITHOUT-HYPHENS:role/redislabs-cluster-node-role"}]}`
)

// loopbackOnly is a transport that can reach 127.0.0.1 and nothing else,
// so no test can send traffic off the machine (or even ask DNS), whatever
// the code under test does. proxy is the transport's proxy function.
func loopbackOnly(proxy func(*http.Request) (*url.URL, error)) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
			return nil, fmt.Errorf("test refuses to dial %s", addr)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// server serves the two documents under /base/ while up is true.
type server struct {
	*httptest.Server
	up   atomic.Bool
	hits atomic.Int32
}

func newServer(t *testing.T, instance, user string) *server {
	s := &server{}
	s.up.Store(true)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if !s.up.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		switch r.URL.Path {
		case "/base/" + InstanceFile:
			fmt.Fprint(w, instance)
		case "/base/" + UserFile:
			fmt.Fprint(w, user)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func resolver(t *testing.T) *Resolver {
	return &Resolver{
		Fetcher: &Fetcher{Client: loopbackOnly(nil)},
		Cache:   &Cache{Dir: filepath.Join(t.TempDir(), "rciam")},
		Getenv:  func(string) string { return "" },
		Now:     func() time.Time { return time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC) },
	}
}

func TestFetchCachesAndFallsBack(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testInstance, testUser)
	res := resolver(t)
	ctx := context.Background()
	base := srv.URL + "/base" // no trailing slash: normalized

	sel, err := res.Select(ctx, Request{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	if sel.Source != srv.URL+"/base/" || string(sel.Instance.Raw) != testInstance || string(sel.User.Raw) != testUser || sel.Note != "" {
		t.Fatalf("fetched selection = %+v", sel)
	}
	if sel.User.File != srv.URL+"/base/"+UserFile {
		t.Errorf("user document file = %s, want its URL", sel.User.File)
	}
	expectModes(t, res.Cache.Dir)

	// The source fails: the cached copy stands in, byte for byte.
	srv.up.Store(false)
	cached, err := res.Select(ctx, Request{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	if string(cached.User.Raw) != testUser || cached.User.SHA256() != sel.User.SHA256() {
		t.Errorf("cached user document differs: %s", cached.User.Raw)
	}
	if !strings.Contains(cached.Note, "cache") || !strings.Contains(cached.Note, "502") || strings.Contains(cached.Note, "\n") {
		t.Errorf("note = %q, want one line naming the cache and the failure", cached.Note)
	}
	if !strings.Contains(cached.Source, "cached 2025-05-01") {
		t.Errorf("source = %q", cached.Source)
	}

	// Another URL, never fetched: bundled docs-v1.
	other := newServer(t, testInstance, testUser)
	other.up.Store(false)
	fb, err := res.Select(ctx, Request{URL: other.URL + "/base/"})
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := Bundled(DefaultVersion)
	if fb.Source != DefaultVersion || fb.Instance.SHA256() != v1.Instance.SHA256() || !strings.Contains(fb.Note, "bundled docs-v1") {
		t.Errorf("fallback = %s, note %q", fb.Source, fb.Note)
	}
	// Known: the bundled versions and the cached fetch.
	var names []string
	for _, k := range fb.Known {
		names = append(names, k.Name)
	}
	if got := strings.Join(names, "|"); got != "docs-v1|"+srv.URL+"/base/ as fetched 2025-05-01 12:00 UTC" {
		t.Errorf("known = %s", got)
	}
}

// expectModes checks every directory under dir is 0700 and every file 0600.
func expectModes(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if info.IsDir() {
			want = 0o700
		} else {
			n++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %o, want %o", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("cache holds %d files (%v), want index and two documents", n, err)
	}
}

func TestFetchFailures(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	half := newServer(t, testInstance, "")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	cases := []struct{ name, url, reason string }{
		{"one document missing", half.URL + "/other/", "404"},
		{"no answer within the budget", slow.URL + "/base/", "no answer within 200ms"},
		{"connection refused", closed.URL + "/base/", "connection refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := resolver(t)
			res.Fetcher.Budget = 200 * time.Millisecond
			start := time.Now()
			sel, err := res.Select(context.Background(), Request{URL: tc.url})
			if err != nil {
				t.Fatal(err)
			}
			if sel.Source != DefaultVersion || !strings.Contains(sel.Note, tc.reason) || !strings.Contains(sel.Note, "bundled docs-v1") {
				t.Errorf("source %s, note %q; want bundled docs-v1 and %q", sel.Source, sel.Note, tc.reason)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// An invalid document is fetched (validation rejects it later, naming the
// URL) but never cached: a broken upload must not become the fallback.
func TestInvalidDocumentIsNotCached(t *testing.T) {
	t.Parallel()
	srv := newServer(t, "<html>captive portal</html>", testUser)
	res := resolver(t)
	sel, err := res.Select(context.Background(), Request{URL: srv.URL + "/base/"})
	if err != nil || string(sel.Instance.Raw) != "<html>captive portal</html>" {
		t.Fatalf("select: %v %q", err, sel.Instance.Raw)
	}
	if _, _, ok := res.Cache.Latest(srv.URL + "/base/"); ok {
		t.Error("an invalid document was cached")
	}
}

// A cached document whose bytes no longer match its SHA-256 is ignored.
func TestCorruptCacheIsIgnored(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testInstance, testUser)
	res := resolver(t)
	url := srv.URL + "/base/"
	if _, err := res.Select(context.Background(), Request{URL: url}); err != nil {
		t.Fatal(err)
	}
	sel, _, _ := res.Cache.Latest(url)
	if err := os.WriteFile(filepath.Join(res.Cache.dirFor(url), sel.User.SHA256()+".json"), []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.up.Store(false)
	got, err := res.Select(context.Background(), Request{URL: url})
	if err != nil || got.Source != DefaultVersion {
		t.Errorf("corrupt cache used: %v %s", err, got.Source)
	}
}
