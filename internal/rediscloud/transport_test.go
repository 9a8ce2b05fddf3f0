package rediscloud

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// fake serves handler on loopback; the API base is its URL + /v1.
func fake(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

const gatewayPage = "<html>\r\n<head><title>%d</title></head>\r\n<body><center><h1>%d</h1></center></body>\r\n</html>\r\n"

func TestErrorStatusesAreOneLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status   int
		json     bool
		wants    []string
		unwanted string
	}{
		{403, false, []string{"403 forbidden", "role"}, "<"},
		{403, true, []string{"403 forbidden", "Insufficient permissions"}, ""},
		{409, true, []string{"409 conflict", "Resource is busy"}, ""},
		{412, false, []string{"412 precondition failed", "not enabled"}, "<"},
		{412, true, []string{"412 precondition failed", "Feature flag disabled"}, ""},
		{500, false, []string{"500 internal server error"}, "<"},
	} {
		t.Run(fmt.Sprintf("%d json=%v", tc.status, tc.json), func(t *testing.T) {
			t.Parallel()
			descriptions := map[int]string{403: "Insufficient permissions", 409: "Resource is busy", 412: "Feature flag disabled"}
			var hits atomic.Int32
			base := fake(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tc.json {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					fmt.Fprintf(w, `{"type":"SOME_CODE","status":"%d X","description":"%s\nsecond line"}`, tc.status, descriptions[tc.status])
					return
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, gatewayPage, tc.status, tc.status)
			})
			c, _ := newClient(t, base)
			_, err := c.List(ctxFor(t, 5*time.Second))
			msg := assertOneLine(t, err)
			assertContains(t, msg, tc.wants...)
			if tc.unwanted != "" && strings.Contains(msg, tc.unwanted) {
				t.Errorf("%q holds %q", msg, tc.unwanted)
			}
			if hits.Load() != 1 {
				t.Errorf("%d requests, want 1", hits.Load())
			}
		})
	}
}

func TestConnectionResetOnGetRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	base := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"accountId":1,"cloudAccounts":[{"id":1,"name":"Redis Internal Resources","provider":"AWS","status":"active"},`+
			`{"id":7,"name":"prod","provider":"AWS","status":"active","accessKeyId":"AKIAAAAAAAAAAAAA1111"},`+
			`{"id":8,"name":"gcp","provider":"GCP","status":"active"}]}`)
	})
	c, l := newClient(t, base)
	list, err := c.List(ctxFor(t, 5*time.Second))
	if err != nil || len(list) != 1 || list[0].ID != 7 {
		t.Fatalf("list = %+v, %v; want only the AWS account 7", list, err)
	}
	if hits.Load() != 3 {
		t.Errorf("%d requests, want 3", hits.Load())
	}
	assertContains(t, l.text(), "no answer to GET /v1/cloud-accounts")
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	base := fake(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusMovedPermanently)
	})
	c, _ := newClient(t, base)
	_, err := c.List(ctxFor(t, 5*time.Second))
	assertContains(t, assertOneLine(t, err), "301", "not followed")
	if hits.Load() != 1 {
		t.Errorf("%d requests", hits.Load())
	}
}

// TestNoSecretInErrorsOrLogs runs the failures a user can meet, with -v
// output on, against an API that even echoes what it was sent: neither
// the API keys nor a body's secret key or password may reach an error or
// a log line (docs/behaviour.md, "Errors, rate limits and transport").
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	echo := fake(t, func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"type": "BAD_REQUEST", "status": "400 BAD_REQUEST",
			"description": fmt.Sprintf("rejected key %s / %s, body %v", r.Header.Get("x-api-key"), r.Header.Get("x-api-secret-key"), in)})
	})
	srv := start(t, rcserver.Options{StatusPendingGets: 1})
	bad := rcserver.New(rcserver.Options{APIKey: "other", SecretKey: "other"})
	t.Cleanup(bad.Close)

	var all []string
	keep := func(err error) {
		if err != nil {
			all = append(all, err.Error())
		}
	}
	b := body("prod", "AKIAAAAAAAAAAAAA1111")

	ce, le := newClient(t, echo)
	_, err := ce.Create(ctxFor(t, 5*time.Second), b)
	keep(err)
	keep(ce.Update(ctxFor(t, 5*time.Second), 5, b))
	_, err = ce.List(ctxFor(t, 5*time.Second))
	keep(err)

	cb, lb := newClient(t, bad.BaseURL())
	_, err = cb.Create(ctxFor(t, 5*time.Second), b)
	keep(err)

	c, l := newClient(t, srv.BaseURL())
	ctx := ctxFor(t, 5*time.Second)
	srv.FailTasks(1, rcserver.CodeInvalidCreds)
	id, err := c.Create(ctx, b)
	keep(err)
	_, err = c.WaitActive(ctx, id)
	keep(err)
	for _, code := range []string{rcserver.CodeInvalidCreds, rcserver.CodePermissionFailed, rcserver.CodeGeneralError} {
		srv.FailTasks(10, code)
		keep(c.Update(ctx, id, body("prod", "AKIABBBBBBBBBBBB2222")))
	}
	srv.FailTasks(0, "")
	srv.ResetNextCreate()
	_, err = c.Create(ctx, body("dev", "AKIACCCCCCCCCCCC3333"))
	keep(err)
	_, err = c.Create(ctx, body("prod", "AKIADDDDDDDDDDDD4444"))
	keep(err)
	_ = srv.SetUsed(id, true)
	keep(c.Delete(ctx, id))
	srv.FailGets(100, 503)
	_, err = c.Get(ctx, id)
	keep(err)

	if len(all) < 8 {
		t.Fatalf("only %d errors collected: %q", len(all), all)
	}
	if !strings.Contains(le.text()+strings.Join(all, "\n"), "[redacted]") {
		t.Error("the echoing API's answer was not seen")
	}
	for _, text := range append(all, le.text(), lb.text(), l.text()) {
		assertNoLeak(t, "output", text)
	}
}

func TestLostPutSentAgain(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	var puts atomic.Int32
	proxy := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && puts.Add(1) == 1 {
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
			return
		}
		forward(w, r, srv.URL)
	})
	c, _ := newClient(t, proxy)
	ctx := ctxFor(t, 5*time.Second)
	id, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
	if err != nil {
		t.Fatal(err)
	}
	b := body("prod", "AKIABBBBBBBBBBBB2222")
	if err := c.Update(ctx, id, b); err != nil {
		t.Fatal(err)
	}
	assertHolds(t, srv, id, b)
	if n := srv.Count("PUT", "/v1/cloud-accounts/*"); n != 1 {
		t.Errorf("the server saw %d PUTs, want 1 (the first was dropped by the proxy)", n)
	}
}

// forward passes a request on to the test server, headers and body included.
func forward(w http.ResponseWriter, r *http.Request, target string) {
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), r.Body)
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	var buf [4096]byte
	for {
		n, rerr := resp.Body.Read(buf[:])
		w.Write(buf[:n])
		if rerr != nil {
			return
		}
	}
}

// Values shorter than 8 characters are never scrubbed: a test key "a"
// would turn "list cloud accounts" into "list cloud [redacted]ccounts".
func TestRedactorKeepsOrdinaryText(t *testing.T) {
	t.Parallel()
	r := &redactor{}
	r.add("a", "short7!", "s3cr3t-long-value")
	got := r.clean("list cloud accounts: no answer; key s3cr3t-long-value")
	if got != "list cloud accounts: no answer; key [redacted]" {
		t.Errorf("clean = %q", got)
	}
}
