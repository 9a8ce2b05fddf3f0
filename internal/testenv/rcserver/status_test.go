package rcserver_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

func statuses(t *testing.T, srv *rcserver.Server, id, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, call(t, srv, "GET", fmt.Sprintf("/cloud-accounts/%d", id), "").field(t, "status").(string))
	}
	return out
}

func TestStatusWalk(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{StatusPendingGets: 2})
	call(t, srv, "POST", "/cloud-accounts", fullBody)
	id := srv.Accounts()[0].ID
	if got, want := statuses(t, srv, id, 3), []string{"pending", "pending", "active"}; !slices.Equal(got, want) {
		t.Fatalf("after create %v, want %v", got, want)
	}
	srv.SetFinalStatus(rcserver.StatusActiveError)
	call(t, srv, "PUT", fmt.Sprintf("/cloud-accounts/%d", id), fullBody)
	if got, want := statuses(t, srv, id, 4), []string{"change-pending", "change-pending", "active-error", "active-error"}; !slices.Equal(got, want) {
		t.Fatalf("after update %v, want %v", got, want)
	}
}

func TestStickPending(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	id := srv.AddAccount(rcserver.Account{Name: "prod"})
	if err := srv.StickPending(id); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, srv, id, 5); !slices.Equal(got, slices.Repeat([]string{"pending"}, 5)) {
		t.Fatalf("stuck account went %v", got)
	}
	if err := srv.SetStatus(id, rcserver.StatusActive); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, srv, id, 1); got[0] != "active" {
		t.Fatalf("after SetStatus: %v", got)
	}
	if err := srv.StickPending(999); err == nil {
		t.Fatal("StickPending of an unknown account succeeded")
	}
}

func TestMaskedAccessKeyID(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{MaskAccessKeyID: true})
	id := srv.AddAccount(rcserver.Account{Name: "prod", AccessKeyID: "AKIAEXAMPLEKEY0WXYZ"})
	a := call(t, srv, "GET", fmt.Sprintf("/cloud-accounts/%d", id), "")
	if got := a.field(t, "accessKeyId"); got != "AKIA***********WXYZ" {
		t.Fatalf("accessKeyId %v", got)
	}
}

// The API never returns the secret key or the password, and the server's
// own inspection never prints them.
func TestSecretsStayHidden(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	call(t, srv, "POST", "/cloud-accounts", fullBody)
	id := srv.Accounts()[0].ID
	var seen strings.Builder
	seen.WriteString(call(t, srv, "GET", fmt.Sprintf("/cloud-accounts/%d", id), "").body)
	seen.WriteString(call(t, srv, "GET", "/cloud-accounts", "").body)
	accounts, requests := srv.Accounts(), srv.Requests()
	fmt.Fprintf(&seen, "%v %+v %#v %s %q %x", accounts, accounts, accounts, accounts[0].AccessSecretKey,
		accounts[0].ConsolePassword, accounts[0].AccessSecretKey)
	fmt.Fprintf(&seen, "%v %#v", requests, requests)
	js, _ := json.Marshal(accounts)
	seen.Write(js)
	for _, secret := range []string{"s3cr3t-value", "pa55-value"} {
		if strings.Contains(seen.String(), secret) {
			t.Fatalf("%s leaked: %s", secret, seen.String())
		}
	}
	if string(accounts[0].AccessSecretKey) != "s3cr3t-value" || string(accounts[0].ConsolePassword) != "pa55-value" {
		t.Fatal("the held credentials differ from those sent")
	}
	if !strings.Contains(requests[0].Body, `"accessSecretKey":"REDACTED"`) || !strings.Contains(requests[0].Body, "AKIAEXAMPLEKEY0WXYZ") {
		t.Fatalf("logged body %s", requests[0].Body)
	}
}

func TestResetForgetsEverything(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	srv.AddAccount(rcserver.Account{Name: "prod"})
	srv.FailTasks(1, rcserver.CodeGeneralError)
	call(t, srv, "GET", "/cloud-accounts", "")
	srv.Reset()
	if len(srv.Accounts()) != 0 || len(srv.Requests()) != 0 {
		t.Fatal("Reset kept state")
	}
	if a := call(t, srv, "POST", "/cloud-accounts", fullBody); a.status != 202 {
		t.Fatal(a.body)
	}
	if len(srv.Accounts()) != 1 {
		t.Fatal("Reset kept the armed task failure")
	}
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	if _, err := rcserver.Start(rcserver.Options{APIKey: "k", SecretKey: "s", Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("listening on 0.0.0.0 was allowed")
	}
}

func TestKeysRequired(t *testing.T) {
	t.Parallel()
	if _, err := rcserver.Start(rcserver.Options{APIKey: "k"}); err == nil {
		t.Fatal("a server without a secret key started")
	}
}
