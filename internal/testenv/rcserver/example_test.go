package rcserver_test

import (
	"context"
	"fmt"

	rediscloud_api "github.com/RedisLabs/rediscloud-go-api"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

func Example() {
	srv := rcserver.New(rcserver.Options{APIKey: "account-key", SecretKey: "user-key"})
	defer srv.Close()
	srv.FailTasks(1, rcserver.CodeInvalidCreds) // as if IAM had not propagated the key yet

	c, _ := rediscloud_api.NewClient(rediscloud_api.BaseURL(srv.BaseURL()),
		rediscloud_api.Auth("account-key", "user-key"), rediscloud_api.Logger(quiet{}))
	ctx := context.Background()
	body := newAccount("prod", "AKIAEXAMPLE")
	_, err := c.CloudAccount.Create(ctx, body)
	fmt.Println(err)
	id, _ := c.CloudAccount.Create(ctx, body)
	held, _ := srv.Account(id)
	fmt.Println(held.Name, held.Status, held.AccessSecretKey, string(held.AccessSecretKey))
	fmt.Println(srv.Count("POST", "/v1/cloud-accounts"), srv.Count("GET", "/v1/tasks/*"))
	// Output:
	// 400 BAD_REQUEST - CLOUD_ACCOUNT_INVALID_CREDS: Cloud account credentials are invalid
	// prod active REDACTED secret-AKIAEXAMPLE
	// 2 2
}
