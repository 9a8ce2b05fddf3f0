// Package rediscloud is rciam's thin adapter over the official Redis Cloud
// API client (github.com/RedisLabs/rediscloud-go-api): the cloud-account
// calls register, rotate-key and destroy --deregister need, with the task
// and status waits bounded by the caller's context, and failures turned
// into one-line errors that name the task and never a secret.
//
// What go-api does is kept (its task waiter, its rate limiter); what it
// lacks is added around it: rciam's own transport (see transport) for
// throttling, gateway errors and lost answers, retries of tasks that end in
// CLOUD_ACCOUNT_INVALID_CREDS while IAM propagates a new key, adoption of
// an account a lost POST created, and WaitActive.
package rediscloud

import (
	"context"
	"fmt"
	"strings"
	"time"

	rcapi "github.com/RedisLabs/rediscloud-go-api"
	"github.com/RedisLabs/rediscloud-go-api/service/cloud_accounts"

	"github.com/rciam/rciam/internal/secret"
)

// Options tunes a Client. The zero value is what the CLI uses.
type Options struct {
	// Logf receives progress for -v: retries, throttling, task states and
	// go-api's own debug lines. Messages are one line each and carry no
	// secret; go-api's request logging is never enabled. Nil drops them.
	Logf func(format string, args ...any)
	// PollInterval is how often WaitActive reads the account (2 s if 0).
	PollInterval time.Duration
	// InvalidCredsRetries is how often a create or update whose task ends
	// in CLOUD_ACCOUNT_INVALID_CREDS is sent again (3 if 0, none if
	// negative), InvalidCredsWait the pause before each (20 s if 0). The
	// retries stop once they would run past 2 minutes (docs/behaviour.md, "Creating and updating").
	InvalidCredsRetries int
	InvalidCredsWait    time.Duration
	// Pacer, when set, is shared by every client using the same API keys
	// (a fleet run): it keeps them together within the rate limit.
	Pacer *Pacer
}

// credsBudget bounds the INVALID_CREDS retries, like Terraform's IAM waits.
const credsBudget = 2 * time.Minute

// maxLost is how many times a request that got no answer is sent again.
const maxLost = 2

// internalAccountID is the built-in "Redis Internal Resources" account
// every Redis Cloud account lists.
const internalAccountID = 1

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.InvalidCredsRetries == 0 {
		o.InvalidCredsRetries = 3
	}
	if o.InvalidCredsRetries < 0 {
		o.InvalidCredsRetries = 0
	}
	if o.InvalidCredsWait <= 0 {
		o.InvalidCredsWait = 20 * time.Second
	}
	return o
}

// Client calls the Redis Cloud API. It is safe for concurrent use.
type Client struct {
	api  *cloud_accounts.API
	tr   *transport
	red  *redactor
	o    Options
	logf func(format string, args ...any)
}

// New builds a client for cfg. It makes no request.
func New(cfg Config, o Options) (*Client, error) {
	if cfg.AccessKey.IsZero() || cfg.SecretKey.IsZero() {
		return nil, fmt.Errorf("redis cloud api keys missing: set %s and %s", EnvAccessKey, EnvSecretKey)
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultURL
	}
	base, err := checkURL(base)
	if err != nil {
		return nil, fmt.Errorf("redis cloud api url: %w", err)
	}
	c := &Client{o: o.withDefaults(), red: &redactor{}}
	c.red.add(cfg.AccessKey.Reveal(), cfg.SecretKey.Reveal())
	c.logf = func(format string, args ...any) {
		if o.Logf != nil {
			o.Logf("%s", c.red.clean("redis cloud: "+fmt.Sprintf(format, args...)))
		}
	}
	c.tr = newTransport(c.logf, c.red)
	c.tr.pacer = o.Pacer
	api, err := rcapi.NewClient(
		rcapi.BaseURL(base),
		rcapi.Auth(cfg.AccessKey.Reveal(), cfg.SecretKey.Reveal()),
		rcapi.Transporter(c.tr),
		rcapi.Logger(goapiLog{c.logf}),
		rcapi.AdditionalUserAgent("rciam"),
	)
	if err != nil {
		return nil, fmt.Errorf("redis cloud api client: %w", err)
	}
	c.api = api.CloudAccount
	return c, nil
}

// goapiLog sends go-api's debug lines to Logf.
type goapiLog struct{ logf func(string, ...any) }

func (l goapiLog) Printf(format string, v ...any) { l.logf(format, v...) }
func (l goapiLog) Println(v ...any)               { l.logf("%s", fmt.Sprintln(v...)) }

// Account is a cloud account as the API shows it (never its secret or
// password). AccessKeyID may be masked by the API.
type Account struct {
	ID                                  int
	Name, Provider, Status, AccessKeyID string
}

// Body is what create and update send. The provider is always AWS. Every
// field is required: an update carries all of them (docs/behaviour.md, "Every update carries every credential").
type Body struct {
	Name, AccessKeyID string
	AccessSecretKey   secret.Value
	ConsoleUsername   string
	ConsolePassword   secret.Value
	SignInLoginURL    string
}

// check names the empty fields, by their API names.
func (b Body) check() error {
	var missing []string
	for _, f := range []struct {
		name  string
		empty bool
	}{
		{"name", b.Name == ""}, {"accessKeyId", b.AccessKeyID == ""}, {"accessSecretKey", b.AccessSecretKey.IsZero()},
		{"consoleUsername", b.ConsoleUsername == ""}, {"consolePassword", b.ConsolePassword.IsZero()},
		{"signInLoginUrl", b.SignInLoginURL == ""},
	} {
		if f.empty {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s empty: rciam sends all six credential fields", strings.Join(missing, ", "))
	}
	return nil
}

func (b Body) create() cloud_accounts.CreateCloudAccount {
	return cloud_accounts.CreateCloudAccount{
		Name: ptr(b.Name), Provider: ptr("AWS"), AccessKeyID: ptr(b.AccessKeyID), AccessSecretKey: ptr(b.AccessSecretKey.Reveal()),
		ConsoleUsername: ptr(b.ConsoleUsername), ConsolePassword: ptr(b.ConsolePassword.Reveal()), SignInLoginURL: ptr(b.SignInLoginURL),
	}
}

func (b Body) update() cloud_accounts.UpdateCloudAccount {
	return cloud_accounts.UpdateCloudAccount{
		Name: ptr(b.Name), AccessKeyID: ptr(b.AccessKeyID), AccessSecretKey: ptr(b.AccessSecretKey.Reveal()),
		ConsoleUsername: ptr(b.ConsoleUsername), ConsolePassword: ptr(b.ConsolePassword.Reveal()), SignInLoginURL: ptr(b.SignInLoginURL),
	}
}

func ptr(s string) *string { return &s }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func fromAPI(a *cloud_accounts.CloudAccount) Account {
	return Account{ID: deref(a.ID), Name: deref(a.Name), Provider: deref(a.Provider), Status: deref(a.Status), AccessKeyID: deref(a.AccessKeyID)}
}

// List returns the AWS cloud accounts, without the built-in account 1.
func (c *Client) List(ctx context.Context) ([]Account, error) {
	list, err := c.list(ctx)
	return list, c.wrap("list cloud accounts", err)
}

func (c *Client) list(ctx context.Context) ([]Account, error) {
	tctx, tr := withTrace(ctx)
	raw, err := c.api.List(tctx)
	if err != nil {
		return nil, c.convert(ctx, tr, err)
	}
	var out []Account
	for _, r := range raw {
		if r == nil {
			continue
		}
		if a := fromAPI(r); a.ID != internalAccountID && strings.EqualFold(a.Provider, "AWS") {
			out = append(out, a)
		}
	}
	return out, nil
}

// Get reads one cloud account; an unknown id is an error matching
// ErrNotFound.
func (c *Client) Get(ctx context.Context, id int) (*Account, error) {
	a, err := c.get(ctx, id)
	return a, c.wrap(fmt.Sprintf("get cloud account %d", id), err)
}

func (c *Client) get(ctx context.Context, id int) (*Account, error) {
	tctx, tr := withTrace(ctx)
	raw, err := c.api.Get(tctx, id)
	if err != nil {
		return nil, c.convert(ctx, tr, err)
	}
	a := fromAPI(raw)
	return &a, nil
}
