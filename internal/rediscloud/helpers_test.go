package rediscloud

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// The API keys and every body secret contain one of these markers, so a
// leak is found by substring wherever it appears.
const (
	testAccessKey = "acct-APIKEY-5b4a39"
	testSecretKey = "user-APIKEY-c4d5e6"
)

var leakMarkers = []string{"APIKEY", "SECRET-", "PASSWORD-"}

// logs collects Logf output and checks, when the test ends, that it holds
// no secret and one line per message.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func start(t *testing.T, o rcserver.Options) *rcserver.Server {
	t.Helper()
	o.APIKey, o.SecretKey = testAccessKey, testSecretKey
	srv := rcserver.New(o)
	t.Cleanup(srv.Close)
	return srv
}

func testConfig(base string) Config {
	return Config{BaseURL: base, AccessKey: secret.New(testAccessKey), SecretKey: secret.New(testSecretKey)}
}

// newClient is a fast client for base whose -v output is checked for
// secrets at the end of the test.
func newClient(t *testing.T, base string) (*Client, *logs) {
	t.Helper()
	l := &logs{}
	c, err := New(testConfig(base), Options{Logf: l.logf, PollInterval: 10 * time.Millisecond,
		InvalidCredsRetries: 3, InvalidCredsWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.tr.backoff, c.tr.maxBackoff = 5*time.Millisecond, 20*time.Millisecond
	t.Cleanup(func() {
		for _, line := range l.lines {
			if strings.Contains(line, "\n") {
				t.Errorf("log message spans lines: %q", line)
			}
			assertNoLeak(t, "log", line)
		}
	})
	return c, l
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func body(name, keyID string) Body {
	return Body{Name: name, AccessKeyID: keyID, AccessSecretKey: secret.New("SECRET-" + keyID),
		ConsoleUsername: "redislabs-user", ConsolePassword: secret.New("PASSWORD-" + keyID),
		SignInLoginURL: "https://123456789012.signin.aws.amazon.com/console"}
}

func assertNoLeak(t *testing.T, what, s string) {
	t.Helper()
	for _, m := range leakMarkers {
		if strings.Contains(s, m) {
			t.Errorf("%s holds a secret (%s): %s", what, m, s)
		}
	}
}

// assertOneLine checks what every error must be: one line, lowercase at
// the start, no HTML, no secret.
func assertOneLine(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	if strings.Contains(strings.ToLower(msg), "<html") || strings.Contains(msg, "<center>") {
		t.Errorf("error quotes an html body: %s", msg)
	}
	if msg != "" && strings.ToLower(msg[:1]) != msg[:1] {
		t.Errorf("error starts with a capital: %s", msg)
	}
	assertNoLeak(t, "error", msg)
	return msg
}

func assertContains(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%q lacks %q", s, w)
		}
	}
}

func secretZero() secret.Value { return secret.Value{} }
