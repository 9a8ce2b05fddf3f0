package rcserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// These tests check the wire details go-api does not look at.

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) field(t *testing.T, path ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func call(t *testing.T, srv *rcserver.Server, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.BaseURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("x-api-secret-key", testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

const fullBody = `{"name":"prod","provider":"AWS","accessKeyId":"AKIAEXAMPLEKEY0WXYZ","accessSecretKey":"s3cr3t-value",` +
	`"consoleUsername":"redislabs-user","consolePassword":"pa55-value","signInLoginUrl":"https://1.signin.aws.amazon.com/console"}`

func TestTaskProgressesByPolls(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{TaskNotFoundPolls: 2, TaskPendingPolls: 2})
	post := call(t, srv, "POST", "/cloud-accounts", fullBody)
	if post.status != 202 || post.field(t, "status") != rcserver.TaskReceived ||
		post.field(t, "commandType") != "cloudAccountCreateRequest" || post.field(t, "_links", "task", "href") == nil {
		t.Fatalf("POST answered %d %s", post.status, post.body)
	}
	path := "/tasks/" + post.field(t, "taskId").(string)
	var got []string
	for range 5 {
		a := call(t, srv, "GET", path, "")
		if a.status == 404 {
			got = append(got, "404")
			continue
		}
		got = append(got, a.field(t, "status").(string))
	}
	want := []string{"404", "404", rcserver.TaskReceived, rcserver.TaskInProgress, rcserver.TaskCompleted}
	if !slices.Equal(got, want) {
		t.Fatalf("task statuses %v, want %v", got, want)
	}
	id := call(t, srv, "GET", path, "").field(t, "response", "resourceId")
	if id != float64(srv.Accounts()[0].ID) {
		t.Fatalf("resourceId %v", id)
	}
}

func TestTaskErrorShape(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	call(t, srv, "POST", "/cloud-accounts", fullBody)
	a := call(t, srv, "POST", "/cloud-accounts", fullBody)
	task := call(t, srv, "GET", "/tasks/"+a.field(t, "taskId").(string), "")
	if task.field(t, "status") != rcserver.TaskError ||
		task.field(t, "response", "error", "type") != rcserver.CodeNameExists ||
		task.field(t, "response", "error", "status") != "400 BAD_REQUEST" ||
		task.field(t, "response", "error", "description") == nil ||
		task.field(t, "response", "additionalInfo") != "cloud-account-name-exists" {
		t.Fatalf("task = %s", task.body)
	}
}

func TestGatewayAnswers(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{RateLimit: 3})
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.BaseURL()+"/cloud-accounts", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(string(body), "<html>") || resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("without keys: %d %q", resp.StatusCode, body)
	}
	var remaining []string
	for range 3 {
		a := call(t, srv, "GET", "/cloud-accounts", "")
		remaining = append(remaining, a.header.Get("X-Rate-Limit-Remaining"))
		if a.status == 429 && a.header.Get("x-rate-limit-retry-after-seconds") == "" {
			t.Fatal("429 without x-rate-limit-retry-after-seconds")
		}
	}
	if want := []string{"1", "0", "0"}; !slices.Equal(remaining, want) {
		t.Fatalf("X-Rate-Limit-Remaining %v, want %v", remaining, want)
	}
	if r := srv.Requests(); r[3].Status != 429 {
		t.Fatalf("the request over the limit got %d", r[3].Status)
	}
}

func TestInjectedThrottleHeader(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	srv.Throttle(1, 7)
	if a := call(t, srv, "GET", "/cloud-accounts", ""); a.status != 429 || a.header.Get("x-rate-limit-retry-after-seconds") != "7" {
		t.Fatalf("got %d %v", a.status, a.header)
	}
}

func TestRandomThrottleIsRepeatable(t *testing.T) {
	t.Parallel()
	run := func() string {
		srv := start(t, rcserver.Options{RandomThrottle: 0.3, Seed: 42})
		var b strings.Builder
		for range 40 {
			fmt.Fprint(&b, call(t, srv, "GET", "/cloud-accounts", "").status/100)
		}
		return b.String()
	}
	first, second := run(), run()
	if first != second || !strings.Contains(first, "4") || !strings.Contains(first, "2") {
		t.Fatalf("runs %s and %s, want the same mix of 2xx and 4xx", first, second)
	}
}

func TestRequiredFields(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	id := srv.AddAccount(rcserver.Account{Name: "prod", AccessKeyID: "AKIA1"})
	var full map[string]string
	_ = json.Unmarshal([]byte(fullBody), &full)
	without := func(k string) string {
		m := map[string]string{}
		for f, v := range full {
			if f != k {
				m[f] = v
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for f := range full {
		if a := call(t, srv, "POST", "/cloud-accounts", without(f)); a.status != 400 {
			t.Errorf("POST without %s: %d", f, a.status)
		}
		want := 202
		if f != "name" && f != "signInLoginUrl" && f != "provider" {
			want = 400
		}
		if a := call(t, srv, "PUT", fmt.Sprintf("/cloud-accounts/%d", id), without(f)); a.status != want {
			t.Errorf("PUT without %s: %d, want %d", f, a.status, want)
		}
	}
	gcp := strings.Replace(fullBody, `"AWS"`, `"GCP"`, 1)
	if a := call(t, srv, "POST", "/cloud-accounts", gcp); a.status != 400 {
		t.Errorf("POST for GCP: %d", a.status)
	}
	strict := start(t, rcserver.Options{StrictUpdate: true})
	id = strict.AddAccount(rcserver.Account{Name: "prod", AccessKeyID: "AKIA1"})
	if a := call(t, strict, "PUT", fmt.Sprintf("/cloud-accounts/%d", id), without("name")); a.status != 400 {
		t.Errorf("strict PUT without name: %d", a.status)
	}
	if a := call(t, srv, "DELETE", "/cloud-accounts/1", ""); a.status != 400 {
		t.Errorf("DELETE of the internal account: %d", a.status)
	}
}
