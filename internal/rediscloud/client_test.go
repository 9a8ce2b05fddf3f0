package rediscloud

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

func TestRoundTripCredentialsArriveIntact(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{StrictUpdate: true})
	c, _ := newClient(t, srv.BaseURL())
	ctx := ctxFor(t, 10*time.Second)

	b := body("prod", "AKIAAAAAAAAAAAAA1111")
	id, err := c.Create(ctx, b)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	assertHolds(t, srv, id, b)

	list, err := c.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Provider != "AWS" {
		t.Fatalf("list = %+v, %v; want only account %d (no built-in account 1)", list, err, id)
	}
	got, err := c.Get(ctx, id)
	if err != nil || *got != (Account{ID: id, Name: "prod", Provider: "AWS", Status: "active", AccessKeyID: b.AccessKeyID}) {
		t.Fatalf("get = %+v, %v", got, err)
	}

	b2 := body("prod", "AKIABBBBBBBBBBBB2222")
	if err := c.Update(ctx, id, b2); err != nil {
		t.Fatalf("update: %v", err)
	}
	assertHolds(t, srv, id, b2)
	assertPutCarriesAllFields(t, srv)

	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if n := len(srv.Accounts()); n != 0 {
		t.Fatalf("%d accounts left after delete", n)
	}
	_, err = c.Get(ctx, id)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	assertOneLine(t, err)
	if err := c.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func assertHolds(t *testing.T, srv *rcserver.Server, id int, b Body) {
	t.Helper()
	held, ok := srv.Account(id)
	if !ok {
		t.Fatalf("server has no account %d", id)
	}
	if held.Name != b.Name || held.Provider != "AWS" || held.AccessKeyID != b.AccessKeyID ||
		string(held.AccessSecretKey) != b.AccessSecretKey.Reveal() || held.ConsoleUsername != b.ConsoleUsername ||
		string(held.ConsolePassword) != b.ConsolePassword.Reveal() || held.SignInLoginURL != b.SignInLoginURL {
		t.Errorf("server holds %+v (secret ok: %v, password ok: %v), want %+v", held,
			string(held.AccessSecretKey) == b.AccessSecretKey.Reveal(), string(held.ConsolePassword) == b.ConsolePassword.Reveal(), b)
	}
}

func assertPutCarriesAllFields(t *testing.T, srv *rcserver.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		if r.Method != "PUT" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("PUT body %q: %v", r.Body, err)
		}
		for _, f := range []string{"name", "accessKeyId", "accessSecretKey", "consoleUsername", "consolePassword", "signInLoginUrl"} {
			if v, _ := m[f].(string); v == "" {
				t.Errorf("PUT lacks %s: %s", f, r.Body)
			}
		}
	}
}

func TestEmptyBodyFieldRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, _ := newClient(t, srv.BaseURL())
	b := body("prod", "AKIAAAAAAAAAAAAA1111")
	b.ConsolePassword = secretZero()
	err := c.Update(ctxFor(t, 5*time.Second), 52001, b)
	assertContains(t, assertOneLine(t, err), "consolePassword")
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestUnauthorizedIsOneLineNamingBothVariables(t *testing.T) {
	t.Parallel()
	srv := rcserver.New(rcserver.Options{APIKey: "other-key", SecretKey: "other-secret"})
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.BaseURL())
	_, err := c.List(ctxFor(t, 5*time.Second))
	msg := assertOneLine(t, err)
	assertContains(t, msg, "401", "REDISCLOUD_ACCESS_KEY", "x-api-key", "REDISCLOUD_SECRET_KEY", "x-api-secret-key",
		"API enabled? IP allow list?")
	if n := srv.Count("", "/v1/*"); n != 1 {
		t.Errorf("%d requests, want 1 (a 401 is not retried)", n)
	}
}

func TestThrottleHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, l := newClient(t, srv.BaseURL())
	srv.Throttle(1, 1)
	began := time.Now()
	list, err := c.List(ctxFor(t, 10*time.Second))
	if err != nil || len(list) != 0 {
		t.Fatalf("list = %v, %v", list, err)
	}
	if d := time.Since(began); d < time.Second {
		t.Errorf("retried after %s, before the 1 s the server asked for", d)
	}
	if n := srv.Count("GET", "/v1/cloud-accounts"); n != 2 {
		t.Errorf("%d GETs, want 2", n)
	}
	assertContains(t, l.text(), "429")
}

func TestThrottleBeyondTimeoutFailsAtOnce(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, _ := newClient(t, srv.BaseURL())
	srv.Throttle(1, 60)
	began := time.Now()
	_, err := c.List(ctxFor(t, 2*time.Second))
	assertContains(t, assertOneLine(t, err), "429", "--timeout")
	if d := time.Since(began); d > time.Second {
		t.Errorf("took %s to give up", d)
	}
}

func TestGatewayErrorsOnGetRetried(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, _ := newClient(t, srv.BaseURL())
	ctx := ctxFor(t, 10*time.Second)
	id, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
	if err != nil {
		t.Fatal(err)
	}
	srv.FailGets(2, 503)
	if _, err := c.List(ctx); err != nil {
		t.Fatalf("list after two 503s: %v", err)
	}
	srv.FailGets(2, 502)
	if _, err := c.Get(ctx, id); err != nil {
		t.Fatalf("get after two 502s: %v", err)
	}
	srv.FailGets(100, 503)
	_, err = c.List(ctx)
	assertContains(t, assertOneLine(t, err), "503")
	if n := srv.Count("GET", "/v1/cloud-accounts"); n != 3+5 {
		t.Errorf("%d list GETs, want 3 then 5 (bounded retries)", n)
	}
}

func TestTaskErrorsNameTaskAndCode(t *testing.T) {
	t.Parallel()
	hints := map[string]string{
		rcserver.CodeInvalidCreds:     "IAM propagation",
		rcserver.CodePermissionFailed: "rciam verify",
		rcserver.CodeNameExists:       "existing account",
		rcserver.CodeAccessKeyExists:  "existing account",
		rcserver.CodeGeneralError:     "support quoting task",
	}
	for code, hint := range hints {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			srv := start(t, rcserver.Options{})
			c, _ := newClient(t, srv.BaseURL())
			c.o.InvalidCredsRetries = 0
			srv.FailTasks(1, code)
			_, err := c.Create(ctxFor(t, 5*time.Second), body("prod", "AKIAAAAAAAAAAAAA1111"))
			var te *TaskError
			if !errors.As(err, &te) || te.Type != code || te.TaskID == "" || te.Status == "" || te.Description == "" {
				t.Fatalf("err = %v (%#v), want a TaskError for %s", err, te, code)
			}
			assertContains(t, assertOneLine(t, err), te.TaskID, code, te.Status, hint, `create cloud account "prod"`)
		})
	}
}

func TestInvalidCredsRetriedThenSucceeds(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, l := newClient(t, srv.BaseURL())
	srv.FailTasks(2, rcserver.CodeInvalidCreds)
	b := body("prod", "AKIAAAAAAAAAAAAA1111")
	id, err := c.Create(ctxFor(t, 5*time.Second), b)
	if err != nil {
		t.Fatal(err)
	}
	if accts := srv.Accounts(); len(accts) != 1 || accts[0].ID != id {
		t.Fatalf("accounts = %+v, want exactly %d", accts, id)
	}
	assertHolds(t, srv, id, b)
	if n := srv.Count("POST", "/v1/cloud-accounts"); n != 3 {
		t.Errorf("%d POSTs, want 3", n)
	}
	assertContains(t, l.text(), "INVALID_CREDS", "retry 2 of 3")

	srv.FailTasks(1, rcserver.CodeInvalidCreds)
	if err := c.Update(ctxFor(t, 5*time.Second), id, body("prod", "AKIABBBBBBBBBBBB2222")); err != nil {
		t.Fatalf("update: %v", err)
	}
	if n := srv.Count("PUT", "/v1/cloud-accounts/*"); n != 2 {
		t.Errorf("%d PUTs, want 2", n)
	}
}

func TestInvalidCredsGivesUpNamingPropagation(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, _ := newClient(t, srv.BaseURL())
	srv.FailTasks(10, rcserver.CodeInvalidCreds)
	_, err := c.Create(ctxFor(t, 5*time.Second), body("prod", "AKIAAAAAAAAAAAAA1111"))
	assertContains(t, assertOneLine(t, err), "after 3 retries", "IAM propagation", rcserver.CodeInvalidCreds)
	if n := srv.Count("POST", "/v1/cloud-accounts"); n != 4 {
		t.Errorf("%d POSTs, want 4", n)
	}
	if n := len(srv.Accounts()); n != 0 {
		t.Errorf("%d accounts", n)
	}
}

func TestLostCreateAnswerAdoptsTheAccount(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, l := newClient(t, srv.BaseURL())
	srv.ResetNextCreate()
	id, err := c.Create(ctxFor(t, 5*time.Second), body("prod", "AKIAAAAAAAAAAAAA1111"))
	if err != nil {
		t.Fatal(err)
	}
	if accts := srv.Accounts(); len(accts) != 1 || accts[0].ID != id {
		t.Fatalf("accounts = %+v, want exactly %d", accts, id)
	}
	if n := srv.Count("POST", "/v1/cloud-accounts"); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
	assertContains(t, l.text(), "adopting cloud account")
}

func TestWaitActive(t *testing.T) {
	t.Parallel()
	t.Run("pending then active", func(t *testing.T) {
		t.Parallel()
		srv := start(t, rcserver.Options{StatusPendingGets: 3})
		c, l := newClient(t, srv.BaseURL())
		ctx := ctxFor(t, 5*time.Second)
		id, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.WaitActive(ctx, id)
		if err != nil || a.Status != "active" {
			t.Fatalf("wait = %+v, %v", a, err)
		}
		assertContains(t, l.text(), "is pending")
		if err := c.Update(ctx, id, body("prod", "AKIABBBBBBBBBBBB2222")); err != nil {
			t.Fatal(err)
		}
		if a, err := c.WaitActive(ctx, id); err != nil || a.Status != "active" {
			t.Fatalf("wait after update = %+v, %v", a, err)
		}
		assertContains(t, l.text(), "is change-pending")
	})
	for _, final := range []string{rcserver.StatusActiveError, rcserver.StatusError, rcserver.StatusDeleted} {
		t.Run(final+" at once", func(t *testing.T) {
			t.Parallel()
			srv := start(t, rcserver.Options{StatusPendingGets: 1, FinalStatus: final})
			c, _ := newClient(t, srv.BaseURL())
			c.o.PollInterval = time.Millisecond
			ctx := ctxFor(t, 5*time.Second)
			id, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.WaitActive(ctx, id)
			var we *WaitError
			if errors.As(err, &we) || a == nil || a.Status != final {
				t.Fatalf("wait = %+v, %v; want the %s status at once", a, err, final)
			}
			assertContains(t, assertOneLine(t, err), "is "+final)
		})
	}
	for name, set := range map[string]func(*rcserver.Server, int) error{
		"pending": func(s *rcserver.Server, id int) error { return s.StickPending(id) },
		"quantum": func(s *rcserver.Server, id int) error { return s.SetStatus(id, "quantum") },
	} {
		t.Run("stuck "+name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, rcserver.Options{})
			c, _ := newClient(t, srv.BaseURL())
			id, err := c.Create(ctxFor(t, 5*time.Second), body("prod", "AKIAAAAAAAAAAAAA1111"))
			if err != nil {
				t.Fatal(err)
			}
			if err := set(srv, id); err != nil {
				t.Fatal(err)
			}
			_, err = c.WaitActive(ctxFor(t, 100*time.Millisecond), id)
			var we *WaitError
			if !errors.As(err, &we) || we.AccountID != id || we.LastStatus != name || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v (%#v), want a WaitError for %d last seen %s", err, we, id, name)
			}
			assertContains(t, assertOneLine(t, err), "52001", "last status: "+name)
		})
	}
}

func TestTaskWaitTimesOutNamingTask(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{TaskPendingPolls: 1000})
	c, _ := newClient(t, srv.BaseURL())
	_, err := c.Create(ctxFor(t, 300*time.Millisecond), body("prod", "AKIAAAAAAAAAAAAA1111"))
	var we *WaitError
	if !errors.As(err, &we) || we.TaskID == "" || we.LastStatus != rcserver.TaskReceived || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v (%#v), want a WaitError naming the task", err, we)
	}
	assertContains(t, assertOneLine(t, err), we.TaskID, "last status: received")
}

func TestTaskNotFoundAtFirstIsTolerated(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{TaskNotFoundPolls: 1})
	c, _ := newClient(t, srv.BaseURL())
	if _, err := c.Create(ctxFor(t, 5*time.Second), body("prod", "AKIAAAAAAAAAAAAA1111")); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("GET", "/v1/tasks/*"); n != 2 {
		t.Errorf("%d task polls, want 2", n)
	}
}

func TestDeleteUsedAccountIsInUse(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, _ := newClient(t, srv.BaseURL())
	ctx := ctxFor(t, 5*time.Second)
	id, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetUsed(id, true); err != nil {
		t.Fatal(err)
	}
	err = c.Delete(ctx, id)
	var te *TaskError
	if !errors.Is(err, ErrInUse) || !errors.As(err, &te) {
		t.Fatalf("err = %v, want ErrInUse and a TaskError", err)
	}
	assertContains(t, assertOneLine(t, err), "delete cloud account 52001", te.TaskID, rcserver.CodeUsed, "subscriptions still use")
	if len(srv.Accounts()) != 1 {
		t.Error("the used account is gone")
	}
}

func TestFindMatchOnMaskedList(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{MaskAccessKeyID: true})
	c, _ := newClient(t, srv.BaseURL())
	ctx := ctxFor(t, 5*time.Second)
	id, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, body("dev", "AKIABBBBBBBBBBBB2222")); err != nil {
		t.Fatal(err)
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(list[0].AccessKeyID, "AAAAAAAA") {
		t.Fatalf("the server did not mask: %+v", list)
	}
	a, err := FindMatch(list, "AKIAAAAAAAAAAAAA1111", "other-name")
	if err != nil || a == nil || a.ID != id {
		t.Fatalf("FindMatch = %+v, %v; want %d", a, err, id)
	}
}

func TestInterruptIsNotATimeout(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{TaskPendingPolls: 1000})
	c, _ := newClient(t, srv.BaseURL())
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Create(ctx, body("prod", "AKIAAAAAAAAAAAAA1111"))
	var we *WaitError
	if !errors.Is(err, context.Canceled) || errors.As(err, &we) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertContains(t, assertOneLine(t, err), "interrupted")
}

func TestTaskNeverFoundNamesTask(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, DefaultURL) // no request is made
	tr := &trace{taskID: "t-1", status: "received", notFound: 6}
	err := c.wrap("create cloud account \"prod\"", c.convert(t.Context(), tr, errors.New("failed to retrieve Task t-1: 404 - {}")))
	assertContains(t, assertOneLine(t, err), "task t-1", "6 polls answered 404")
}

func TestThrottledPostResent(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	c, _ := newClient(t, srv.BaseURL())
	srv.Throttle(2, 0)
	b := body("prod", "AKIAAAAAAAAAAAAA1111")
	id, err := c.Create(ctxFor(t, 5*time.Second), b)
	if err != nil {
		t.Fatal(err)
	}
	assertHolds(t, srv, id, b)
	if n := srv.Count("POST", "/v1/cloud-accounts"); n != 3 {
		t.Errorf("%d POSTs, want 3 (two throttled)", n)
	}
}
