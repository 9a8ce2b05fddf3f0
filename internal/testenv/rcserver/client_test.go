package rcserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	rediscloud_api "github.com/RedisLabs/rediscloud-go-api"
	"github.com/RedisLabs/rediscloud-go-api/redis"
	"github.com/RedisLabs/rediscloud-go-api/service/cloud_accounts"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// These tests drive the server with the official client, unchanged.

const (
	testKey    = "test-account-key"
	testSecret = "test-user-key"
)

func start(t *testing.T, o rcserver.Options) *rcserver.Server {
	t.Helper()
	if o.APIKey == "" {
		o.APIKey, o.SecretKey = testKey, testSecret
	}
	srv := rcserver.New(o)
	t.Cleanup(srv.Close)
	return srv
}

// quiet drops go-api's debug messages (they include task bodies).
type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

func client(t *testing.T, srv *rcserver.Server, key, secret string) *cloud_accounts.API {
	t.Helper()
	c, err := rediscloud_api.NewClient(rediscloud_api.BaseURL(srv.BaseURL()),
		rediscloud_api.Auth(key, secret), rediscloud_api.Logger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	return c.CloudAccount
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 8*time.Second)
	t.Cleanup(cancel)
	return c
}

func newAccount(name, keyID string) cloud_accounts.CreateCloudAccount {
	return cloud_accounts.CreateCloudAccount{
		AccessKeyID: redis.String(keyID), AccessSecretKey: redis.String("secret-" + keyID),
		ConsoleUsername: redis.String("redislabs-user"), ConsolePassword: redis.String("pw-" + keyID),
		Name: redis.String(name), Provider: redis.String("AWS"),
		SignInLoginURL: redis.String("https://123456789012.signin.aws.amazon.com/console"),
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	api := client(t, srv, testKey, testSecret)

	id, err := api.Create(ctx(t), newAccount("prod", "AKIAAAAAAAAAAAAA1111"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	list, err := api.List(ctx(t))
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list) != 2 || *list[0].ID != 1 || *list[0].Name != "Redis Internal Resources" || *list[1].ID != id {
		t.Fatalf("list = %v, want the internal account and %d", list, id)
	}
	got, err := api.Get(ctx(t), id)
	if err != nil || *got.Status != rcserver.StatusActive || *got.AccessKeyID != "AKIAAAAAAAAAAAAA1111" {
		t.Fatalf("get = %v, %v", got, err)
	}

	err = api.Update(ctx(t), id, cloud_accounts.UpdateCloudAccount{
		AccessKeyID: redis.String("AKIABBBBBBBBBBBB2222"), AccessSecretKey: redis.String("new-secret"),
		ConsoleUsername: redis.String("redislabs-user"), ConsolePassword: redis.String("new-pw"),
		Name: redis.String("prod"), SignInLoginURL: redis.String("https://123456789012.signin.aws.amazon.com/console"),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	held, _ := srv.Account(id)
	if held.AccessKeyID != "AKIABBBBBBBBBBBB2222" || string(held.AccessSecretKey) != "new-secret" ||
		string(held.ConsolePassword) != "new-pw" {
		t.Fatalf("after update the server holds %+v", held)
	}

	if err := api.Delete(ctx(t), id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	var nf *cloud_accounts.NotFound
	if _, err := api.Get(ctx(t), id); !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v, want NotFound", err)
	}
	if n := len(srv.Accounts()); n != 0 {
		t.Fatalf("%d accounts left", n)
	}
	for pattern, want := range map[string]int{"/v1/cloud-accounts": 2, "/v1/cloud-accounts/*": 4, "/v1/tasks/*": 3} {
		if n := srv.Count("", pattern); n != want {
			t.Errorf("Count(%q) = %d, want %d", pattern, n, want)
		}
	}
}

func TestTaskErrorsSurface(t *testing.T) {
	t.Parallel()
	for _, code := range []string{rcserver.CodeInvalidCreds, rcserver.CodePermissionFailed, rcserver.CodeGeneralError} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			srv := start(t, rcserver.Options{})
			srv.FailTasks(1, code)
			api := client(t, srv, testKey, testSecret)
			_, err := api.Create(ctx(t), newAccount("prod", "AKIA1"))
			if err == nil || !strings.Contains(err.Error(), code) {
				t.Fatalf("create: %v, want %s", err, code)
			}
			if n := len(srv.Accounts()); n != 0 {
				t.Fatalf("a failed create left %d accounts", n)
			}
			if _, err := api.Create(ctx(t), newAccount("prod", "AKIA1")); err != nil {
				t.Fatalf("second create: %v", err)
			}
		})
	}
}

func TestWrongKeysAre401(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	_, err := client(t, srv, testKey, "wrong").List(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "<html>") {
		t.Fatalf("list with wrong keys: %v, want a 401 with an HTML body", err)
	}
}

func TestUnknownIDIs404(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	api := client(t, srv, testKey, testSecret)
	var nf *cloud_accounts.NotFound
	if _, err := api.Get(ctx(t), 999); !errors.As(err, &nf) {
		t.Errorf("get: %v", err)
	}
	if err := api.Update(ctx(t), 999, cloud_accounts.UpdateCloudAccount{}); !errors.As(err, &nf) {
		t.Errorf("update: %v", err)
	}
	if err := api.Delete(ctx(t), 999); !errors.As(err, &nf) {
		t.Errorf("delete: %v", err)
	}
}

// go-api retries a 429 after its own back-off (1 s, then 2 s…), ignoring
// the retry-after header.
func TestThrottleThenSuccess(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	srv.Throttle(1, 2)
	if _, err := client(t, srv, testKey, testSecret).List(ctx(t)); err != nil {
		t.Fatalf("list: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Fatalf("requests = %+v, want a 429 then a 200", reqs)
	}
}

// go-api does not retry a 503: the caller sees it.
func TestUnavailableGet(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	srv.FailGets(1, 503)
	api := client(t, srv, testKey, testSecret)
	if _, err := api.List(ctx(t)); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("first list: %v, want 503", err)
	}
	if _, err := api.List(ctx(t)); err != nil {
		t.Fatalf("second list: %v", err)
	}
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	api := client(t, srv, testKey, testSecret)
	if _, err := api.Create(ctx(t), newAccount("prod", "AKIA1")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, key, want string }{
		{"prod", "AKIA2", rcserver.CodeNameExists},
		{"other", "AKIA1", rcserver.CodeAccessKeyExists},
	} {
		if _, err := api.Create(ctx(t), newAccount(tc.name, tc.key)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("create %s/%s: %v, want %s", tc.name, tc.key, err, tc.want)
		}
	}
	if n := len(srv.Accounts()); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
}

func TestResetAfterCreateLeavesOneAccount(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	srv.ResetNextCreate()
	api := client(t, srv, testKey, testSecret)
	_, err := api.Create(ctx(t), newAccount("prod", "AKIA1"))
	if err == nil {
		t.Fatal("create answered despite the reset")
	}
	t.Logf("create with the reset: %v", err)
	list, err := api.List(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || *list[1].Name != "prod" || len(srv.Accounts()) != 1 || srv.Count("POST", "/v1/cloud-accounts") != 1 {
		t.Fatalf("after the reset: list %v, held %d, posts %d", list, len(srv.Accounts()), srv.Count("POST", "/v1/cloud-accounts"))
	}
	if r := srv.Requests()[0]; r.Status != 0 {
		t.Errorf("the reset POST is logged with status %d, want 0", r.Status)
	}
}

func TestUsedAccountCannotBeDeleted(t *testing.T) {
	t.Parallel()
	srv := start(t, rcserver.Options{})
	id := srv.AddAccount(rcserver.Account{Name: "prod", AccessKeyID: "AKIA1"})
	if err := srv.SetUsed(id, true); err != nil {
		t.Fatal(err)
	}
	err := client(t, srv, testKey, testSecret).Delete(ctx(t), id)
	if err == nil || !strings.Contains(err.Error(), rcserver.CodeUsed) {
		t.Fatalf("delete: %v, want %s", err, rcserver.CodeUsed)
	}
	if _, ok := srv.Account(id); !ok {
		t.Fatal("the used account was deleted")
	}
}

// Each poll the task waiter repeats costs go-api a back-off sleep (1 s,
// 2 s, 4 s… plus up to 0.1 s of jitter), so these tests use one each.
func TestSlowTasks(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]rcserver.Options{
		"one 404":         {TaskNotFoundPolls: 1},
		"one in-progress": {TaskPendingPolls: 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, o)
			began := time.Now()
			if _, err := client(t, srv, testKey, testSecret).Create(ctx(t), newAccount("prod", "AKIA1")); err != nil {
				t.Fatal(err)
			}
			if n := srv.Count("GET", "/v1/tasks/*"); n != 2 {
				t.Errorf("%d task polls, want 2", n)
			}
			t.Logf("create took %v", time.Since(began).Round(time.Millisecond))
		})
	}
}
