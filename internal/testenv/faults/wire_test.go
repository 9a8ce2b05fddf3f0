package faults_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// These tests need no moto: a recording fake stands upstream.

const iamAuth = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
const smAuth = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"

type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	hosts  []string
	auth   []string
}

func fakeUpstream(t *testing.T) (*httptest.Server, *recorder) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, b)
		rec.hosts = append(rec.hosts, r.Host)
		rec.auth = append(rec.auth, r.Header.Get("Authorization"))
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<ok/>")
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func post(t *testing.T, c *http.Client, url, auth, target, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestWireShapesAndUnchangedForwarding(t *testing.T) {
	up, rec := fakeUpstream(t)
	p := faults.Start(t, up.URL, faults.Options{})
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Fatalf("proxy URL %s is not on 127.0.0.1", p.URL)
	}
	c := &http.Client{}
	defer c.CloseIdleConnections()

	form := "Action=CreateUser&UserName=alice&Version=2010-05-08&Tags.member.1.Key=k"
	resp, _ := post(t, c, p.URL+"/", iamAuth, "", form)
	if resp.StatusCode != 200 || len(rec.bodies) != 1 || !bytes.Equal(rec.bodies[0], []byte(form)) {
		t.Fatalf("forwarded %d, bodies %q", resp.StatusCode, rec.bodies)
	}
	if want := strings.TrimPrefix(p.URL, "http://"); rec.hosts[0] != want || rec.auth[0] != iamAuth {
		t.Errorf("forwarded Host %q (want %q), Authorization %q", rec.hosts[0], want, rec.auth[0])
	}

	p.SetRule(func(faults.Request) faults.Fault { return faults.Fault{Kind: faults.Throttle} })
	resp, body := post(t, c, p.URL+"/", iamAuth, "", "Action=GetUser&UserName=alice")
	for _, want := range []string{`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`,
		"<Type>Sender</Type>", "<Code>Throttling</Code>", "<Message>Rate exceeded</Message>", "<RequestId>"} {
		if !strings.Contains(body, want) {
			t.Errorf("query throttle body lacks %s:\n%s", want, body)
		}
	}
	if resp.StatusCode != 400 {
		t.Errorf("query throttle status %d", resp.StatusCode)
	}
	resp, body = post(t, c, p.URL+"/", smAuth, "secretsmanager.GetSecretValue", `{"SecretId":"s"}`)
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-ErrorType") != "ThrottlingException" ||
		body != `{"__type":"ThrottlingException","message":"Rate exceeded"}` {
		t.Errorf("json throttle: %d %q %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
	p.SetRule(func(faults.Request) faults.Fault { return faults.Fault{Kind: faults.HTMLNotImplemented} })
	resp, body = post(t, c, p.URL+"/", iamAuth, "", "Action=SimulatePrincipalPolicy")
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html") {
		t.Errorf("html 500: %d %s", resp.StatusCode, body)
	}
	if len(rec.bodies) != 1 {
		t.Errorf("faulted requests reached upstream: %d forwarded", len(rec.bodies))
	}
	tl := p.Timeline()
	if len(tl) != 4 || tl[0].Action != "CreateUser" || tl[0].Entity != "alice" || tl[2].Service != "secretsmanager" ||
		tl[2].Action != "GetSecretValue" || tl[2].Entity != "s" || tl[1].Fault.Kind != faults.Throttle {
		t.Errorf("timeline %+v", tl)
	}
	p.Reset()
	if p.Count() != 0 || len(p.Timeline()) != 0 {
		t.Error("Reset kept events")
	}
}

func TestRandomRuleIsAPureFunctionOfSeedAndRequest(t *testing.T) {
	kinds := []faults.Kind{faults.Throttle, faults.Unavailable, faults.ResetBeforeForward}
	a, b, other := faults.RandomRule(42, 0.3, 0, kinds...), faults.RandomRule(42, 0.3, 0, kinds...), faults.RandomRule(43, 0.3, 0, kinds...)
	faulted, differ := 0, 0
	seen := map[faults.Kind]bool{}
	for i := 1; i <= 10000; i++ {
		r := faults.Request{Seq: i, Service: "iam", Action: "GetRole", Entity: "r", Nth: i}
		fa := a(r)
		if fb := b(r); fa != fb {
			t.Fatalf("same seed, request %d: %v vs %v", i, fa, fb)
		}
		if fa.Kind != faults.None {
			faulted++
			seen[fa.Kind] = true
		}
		if other(r) != fa {
			differ++
		}
		r.Seq += 7 // arrival order does not matter
		if a(r) != fa {
			t.Fatalf("fault depends on Seq")
		}
	}
	if faulted < 2700 || faulted > 3300 || len(seen) != len(kinds) || differ == 0 {
		t.Errorf("faulted %d of 10000 at rate 0.3, kinds %v, %d differ for another seed", faulted, seen, differ)
	}
}

func TestCloseStopsCleanly(t *testing.T) {
	up, _ := fakeUpstream(t)
	before := runtime.NumGoroutine()
	p, err := faults.New(up.URL, faults.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	post(t, c, p.URL+"/", iamAuth, "", "Action=ListUsers")
	p.SetRule(func(faults.Request) faults.Fault { return faults.Fault{Kind: faults.Latency, Delay: time.Minute} })
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", p.URL+"/", strings.NewReader("Action=ListRoles"))
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for p.Count() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	p.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a request in flight", d)
	}
	if err := <-done; err == nil {
		t.Error("request in flight at Close succeeded")
	}
	p.Close() // idempotent
	tr.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
