package rediscloud

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// transport is rciam's http.RoundTripper under go-api (its Transporter
// option; docs/behaviour.md, "Errors, rate limits and transport"). go-api's own credential tripper sets the key
// headers before the request reaches it. It
//   - retries 429 after x-rate-limit-retry-after-seconds, within the
//     request's context (the CLI's --timeout);
//   - retries GETs answered 502 or 503 or left without an answer, with a
//     bounded back-off; other methods are not retried here (a POST may have
//     taken effect: Client.Create decides);
//   - turns every other error status but a JSON 404 into one-line errors
//     that never carry an HTML body (go-api would quote the body);
//   - refuses redirects, which would carry the keys elsewhere;
//   - records, in the request's trace, the task a POST/PUT/DELETE started
//     and the last state of GET /tasks/{id}, so errors can name them.
type transport struct {
	base       http.RoundTripper
	logf       func(format string, args ...any)
	red        *redactor
	retries    int           // retries of a GET after 502/503/no answer
	backoff    time.Duration // first back-off; doubles up to maxBackoff
	maxBackoff time.Duration
	throttles  int           // 429 answers tolerated per request
	maxWait    time.Duration // cap on one retry-after
	pacer      *Pacer        // shared with other clients of the same keys; nil: none
}

func newTransport(logf func(string, ...any), red *redactor) *transport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	base.ResponseHeaderTimeout = time.Minute
	return &transport{base: base, logf: logf, red: red,
		retries: 4, backoff: 500 * time.Millisecond, maxBackoff: 5 * time.Second,
		throttles: 30, maxWait: time.Minute}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	retries, throttles := 0, 0
	for attempt := 0; ; attempt++ {
		r, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		if t.pacer != nil {
			if err := t.pacer.acquire(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := t.base.RoundTrip(r)
		var throttled time.Duration // the wait a 429 asks for
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			throttled = t.retryAfter(resp)
		}
		if t.pacer != nil {
			t.pacer.release(resp, throttled)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			if req.Method == http.MethodGet && retries < t.retries && transient(err) {
				retries++
				if err := t.pause(ctx, t.backoffFor(retries), "no answer to GET %s (%v): retry %d of %d", req.URL.Path, err, retries, t.retries); err != nil {
					return nil, err
				}
				continue
			}
			return nil, &noResponseError{Method: req.Method, Path: req.URL.Path, Retries: retries, Err: err}
		}
		code := resp.StatusCode
		switch {
		case code == http.StatusTooManyRequests && throttles < t.throttles:
			wait := throttled
			discard(resp)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				return nil, &httpError{Method: req.Method, Path: req.URL.Path, Status: code,
					Description: fmt.Sprintf("the API asks to wait %s, beyond --timeout", wait)}
			}
			throttles++
			if err := t.pause(ctx, wait, "throttled by the api (429) on %s %s: retry in %s", req.Method, req.URL.Path, wait); err != nil {
				return nil, err
			}
			continue
		case (code == http.StatusBadGateway || code == http.StatusServiceUnavailable) && req.Method == http.MethodGet && retries < t.retries:
			discard(resp)
			retries++
			if err := t.pause(ctx, t.backoffFor(retries), "GET %s answered %d: retry %d of %d", req.URL.Path, code, retries, t.retries); err != nil {
				return nil, err
			}
			continue
		case code >= 300 && code < 400:
			loc := resp.Header.Get("Location")
			discard(resp)
			return nil, &httpError{Method: req.Method, Path: req.URL.Path, Status: code,
				Description: fmt.Sprintf("redirected to %q, not followed (it would carry the api keys): use that base URL if you trust it", loc)}
		case code == http.StatusNotFound && isItem(req.URL.Path) && isJSON(resp):
			// go-api needs these: a task not known yet, an account not found.
			t.observe(req, resp)
			return resp, nil
		case code >= 400:
			return nil, t.classify(req, resp, retries)
		}
		t.observe(req, resp)
		return resp, nil
	}
}

// rewind returns the request for an attempt: the original first, then
// clones with a fresh body.
func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 0 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("%s %s: cannot resend the request body", req.Method, req.URL.Path)
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// transient reports whether a request that got no answer may be sent
// again: not for a refused connection, an unknown host or a bad
// certificate, which will not heal within a back-off.
func transient(err error) bool {
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return !errors.Is(err, syscall.ECONNREFUSED) && !errors.As(err, &dns) &&
		!errors.As(err, &unknownCA) && !errors.As(err, &hostname) && !errors.As(err, &invalid)
}

func (t *transport) backoffFor(retry int) time.Duration {
	d := t.backoff << (retry - 1)
	if d > t.maxBackoff || d <= 0 {
		d = t.maxBackoff
	}
	return d/2 + rand.N(d/2+1) // jitter over the upper half
}

// retryAfter reads x-rate-limit-retry-after-seconds (or Retry-After);
// 1 s when absent, capped at maxWait.
func (t *transport) retryAfter(resp *http.Response) time.Duration {
	for _, h := range []string{"X-Rate-Limit-Retry-After-Seconds", "Retry-After"} {
		if s, err := strconv.ParseFloat(strings.TrimSpace(resp.Header.Get(h)), 64); err == nil && s >= 0 {
			return min(time.Duration(s*float64(time.Second)), t.maxWait)
		}
	}
	return time.Second
}

// pause logs why and sleeps d, or returns the context's error.
func (t *transport) pause(ctx context.Context, d time.Duration, format string, args ...any) error {
	t.logf(format, args...)
	return sleep(ctx, d)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func isJSON(resp *http.Response) bool {
	return strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "json")
}

// isItem reports whether path names one task or one cloud account (a 404
// there is an answer go-api understands, not a wrong base URL).
func isItem(path string) bool {
	i := strings.LastIndexByte(strings.TrimRight(path, "/"), '/')
	return i > 0 && (strings.HasSuffix(path[:i], "/tasks") || strings.HasSuffix(path[:i], "/cloud-accounts"))
}

// apiErrorBody is the API's error object, in 4xx bodies and failed tasks.
type apiErrorBody struct {
	Type        string `json:"type"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// classify reads an error answer into an httpError. The body is used only
// when it is a JSON error object: gateway pages are HTML and never shown.
func (t *transport) classify(req *http.Request, resp *http.Response, retries int) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	e := &httpError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Retries: retries}
	var ae apiErrorBody
	if json.Unmarshal(body, &ae) == nil {
		e.Type, e.Description = ae.Type, t.red.clean(truncate(ae.Description, 300))
	}
	return e
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// httpError is an error answer from the API or its gateway.
type httpError struct {
	Method, Path string
	Status       int
	Type         string // the API's error code, when the body said
	Description  string // from a JSON body only
	Retries      int    // times the request was sent again before this answer
}

func (e *httpError) Error() string {
	head := fmt.Sprintf("%s %s answered %d %s", e.Method, e.Path, e.Status, strings.ToLower(http.StatusText(e.Status)))
	if e.Status == http.StatusUnauthorized {
		return "redis cloud api refused the api keys (" + head + "): check " + EnvAccessKey +
			" (account key, sent as x-api-key) and " + EnvSecretKey + " (user key, sent as x-api-secret-key); API enabled? IP allow list?"
	}
	msg := "redis cloud api: " + head
	if e.Type != "" {
		msg += ": " + e.Type
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Retries > 0 {
		msg += fmt.Sprintf(" (after %d retries)", e.Retries)
	}
	switch e.Status {
	case http.StatusForbidden:
		msg += "; the user key's role may not do this: use a key whose role may manage cloud accounts"
	case http.StatusConflict:
		msg += "; the cloud account is in a state that does not allow this (still in use, or changing): try again later"
	case http.StatusPreconditionFailed:
		msg += "; this operation is not enabled for the Redis Cloud account"
	case http.StatusNotFound:
		msg += "; is the base URL right? it includes /v1, e.g. " + DefaultURL
	case http.StatusTooManyRequests:
		msg += "; the api keeps throttling: try again later"
	}
	return oneLine(msg)
}

// Is makes a refused delete of a used account match ErrInUse.
func (e *httpError) Is(target error) bool {
	return target == ErrInUse && e.Status == http.StatusConflict && e.Method == http.MethodDelete
}

// noResponseError is a request that got no HTTP answer: a reset or closed
// connection, a refused connection, a timeout. Unless it never reached
// the server (see lost), a POST may still have taken effect.
type noResponseError struct {
	Method, Path string
	Retries      int
	Err          error
}

func (e *noResponseError) Error() string {
	msg := fmt.Sprintf("no answer from redis cloud api to %s %s: %v", e.Method, e.Path, e.Err)
	if e.Retries > 0 {
		msg += fmt.Sprintf(" (after %d retries)", e.Retries)
	}
	if !transient(e.Err) {
		msg += "; check the API URL (--api-url, " + EnvURL + ") and the network"
	}
	return oneLine(msg)
}

func (e *noResponseError) Unwrap() error { return e.Err }

// lost reports whether err is a request that may have reached the API
// without its answer reaching us; a refused connection or an unknown host
// never reached it.
func lost(err error) bool {
	var nr *noResponseError
	return errors.As(err, &nr) && transient(nr.Err)
}
