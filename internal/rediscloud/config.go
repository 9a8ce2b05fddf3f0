package rediscloud

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/rciam/rciam/internal/secret"
)

// DefaultURL is the Redis Cloud API base, /v1 included.
const DefaultURL = "https://api.redislabs.com/v1"

// The environment variables rciam reads, named as the Terraform provider
// names them. There are no flags for the keys: a flag would put them in
// process arguments.
const (
	EnvURL       = "REDISCLOUD_URL"
	EnvAccessKey = "REDISCLOUD_ACCESS_KEY" // the account key, sent as x-api-key
	EnvSecretKey = "REDISCLOUD_SECRET_KEY" // a user key, sent as x-api-secret-key
)

// ErrNoKeys: the API keys are not set.
var ErrNoKeys = errors.New("redis cloud api keys missing")

// Config is where the API is and the keys that open it.
type Config struct {
	// BaseURL is the API base with /v1 included, without a trailing slash.
	BaseURL string
	// AccessKey is the account key, SecretKey a user key.
	AccessKey, SecretKey secret.Value
}

// LoadConfig resolves the API: the base URL from flagURL (--api-url), else
// REDISCLOUD_URL, else DefaultURL; http:// is accepted for local test
// servers. The keys come only from REDISCLOUD_ACCESS_KEY and
// REDISCLOUD_SECRET_KEY; missing keys are an error naming both, so a
// command can stop before it changes anything. getenv nil means os.Getenv.
func LoadConfig(flagURL string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw, source := strings.TrimSpace(flagURL), "--api-url"
	if raw == "" {
		raw, source = strings.TrimSpace(getenv(EnvURL)), "redis cloud api url from "+EnvURL
	}
	if raw == "" {
		raw, source = DefaultURL, "the default API URL"
	}
	base, err := checkURL(raw)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", source, err)
	}
	access, sec := strings.TrimSpace(getenv(EnvAccessKey)), strings.TrimSpace(getenv(EnvSecretKey))
	var missing []string
	if access == "" {
		missing = append(missing, EnvAccessKey)
	}
	if sec == "" {
		missing = append(missing, EnvSecretKey)
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("%w (%s not set): set %s to the account key and %s to a user key "+
			"(Redis Cloud console, Access Management, API Keys)", ErrNoKeys, strings.Join(missing, " and "), EnvAccessKey, EnvSecretKey)
	}
	return Config{BaseURL: base, AccessKey: secret.New(access), SecretKey: secret.New(sec)}, nil
}

// checkURL accepts an absolute http(s) URL without credentials and returns
// it without a trailing slash. It never echoes a URL that holds a password.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a URL: give the API base such as " + DefaultURL)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q carries credentials: put the keys in %s and %s instead", u.Redacted(), EnvAccessKey, EnvSecretKey)
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL: give the API base such as %s", raw, DefaultURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q has a query or fragment: give the API base such as %s", raw, DefaultURL)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
