package rediscloud

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigPrecedence(t *testing.T) {
	t.Parallel()
	keys := map[string]string{EnvAccessKey: "acct-APIKEY-1", EnvSecretKey: " user-APIKEY-2\n"}
	withURL := map[string]string{EnvURL: "http://127.0.0.1:8080/v1/", EnvAccessKey: "acct-APIKEY-1", EnvSecretKey: "user-APIKEY-2"}
	for _, tc := range []struct {
		name, flag string
		env        map[string]string
		want       string
	}{
		{"default", "", keys, DefaultURL},
		{"env", "", withURL, "http://127.0.0.1:8080/v1"},
		{"flag beats env", "https://api.example.test/v1", withURL, "https://api.example.test/v1"},
	} {
		cfg, err := LoadConfig(tc.flag, env(tc.env))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.BaseURL != tc.want || cfg.AccessKey.Reveal() != "acct-APIKEY-1" || cfg.SecretKey.Reveal() != "user-APIKEY-2" {
			t.Errorf("%s: got %s %q %q", tc.name, cfg.BaseURL, cfg.AccessKey.Reveal(), cfg.SecretKey.Reveal())
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, flag string
		env        map[string]string
		wants      []string
	}{
		{"no keys", "", nil, []string{EnvAccessKey + " and " + EnvSecretKey + " not set", EnvAccessKey, EnvSecretKey}},
		{"no secret key", "", map[string]string{EnvAccessKey: "acct-APIKEY-1"}, []string{"(" + EnvSecretKey + " not set)", EnvAccessKey}},
		{"bad scheme", "ftp://api.example.test/v1", nil, []string{"--api-url", "not an http(s) URL"}},
		{"bad env url", "", map[string]string{EnvURL: "api.redislabs.com/v1"}, []string{EnvURL, "not an http(s) URL"}},
		{"credentials in url", "https://user:APIKEY-pw@api.example.test/v1", nil, []string{"carries credentials", EnvAccessKey}},
	} {
		_, err := LoadConfig(tc.flag, env(tc.env))
		msg := assertOneLine(t, err)
		assertContains(t, msg, tc.wants...)
		if strings.Contains(msg, "APIKEY") {
			t.Errorf("%s: secret in %s", tc.name, msg)
		}
	}
}

func TestNewRefusesMissingKeys(t *testing.T) {
	t.Parallel()
	_, err := New(Config{BaseURL: DefaultURL}, Options{})
	assertContains(t, assertOneLine(t, err), EnvAccessKey, EnvSecretKey)
}
