package rediscloud_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

func Example() {
	srv := rcserver.New(rcserver.Options{APIKey: "account-key", SecretKey: "user-key", StatusPendingGets: 2})
	defer srv.Close()
	env := map[string]string{rediscloud.EnvAccessKey: "account-key", rediscloud.EnvSecretKey: "user-key"}
	cfg, _ := rediscloud.LoadConfig(srv.BaseURL(), func(k string) string { return env[k] })
	c, _ := rediscloud.New(cfg, rediscloud.Options{PollInterval: 10 * time.Millisecond})
	ctx := context.Background()

	srv.FailTasks(1, rcserver.CodeInvalidCreds) // IAM has not propagated the key yet
	c2, _ := rediscloud.New(cfg, rediscloud.Options{InvalidCredsRetries: -1})
	_, err := c2.Create(ctx, body("prod"))
	fmt.Println(err)

	id, _ := c.Create(ctx, body("prod"))
	a, _ := c.WaitActive(ctx, id)
	fmt.Println(a.ID, a.Name, a.Status)

	_ = srv.SetUsed(id, true)
	err = c.Delete(ctx, id)
	fmt.Println(errors.Is(err, rediscloud.ErrInUse))
	// Output:
	// create cloud account "prod": redis cloud task 00000001-0000-4000-8000-000000000001 failed: CLOUD_ACCOUNT_INVALID_CREDS (400 BAD_REQUEST): Cloud account credentials are invalid; likely IAM propagation: a new access key takes a while to work everywhere (run register again in a minute); otherwise the key pair is wrong: check it with `rciam verify`
	// 52001 prod active
	// true
}

func body(name string) rediscloud.Body {
	return rediscloud.Body{Name: name, AccessKeyID: "AKIAIOSFODNN7EXAMPLE", AccessSecretKey: secret.New("wJalrXUtnFEMI/K7MDENG"),
		ConsoleUsername: "redislabs-user", ConsolePassword: secret.New("pw"), SignInLoginURL: "https://123456789012.signin.aws.amazon.com/console"}
}
