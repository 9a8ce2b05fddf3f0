// Package rcserver is a Redis Cloud API (v1) test server for the endpoints
// rciam uses: cloud accounts (list, get, create, update, delete) and the
// tasks that create, update and delete answer with. It answers the way the
// real API does, so the official client (github.com/RedisLabs/rediscloud-go-api)
// works against it unchanged, and it lets tests steer what the real API
// would do only now and then: task errors, slow tasks, accounts stuck
// pending, throttling, gateway errors and a connection dropped after a
// create.
//
// Progress is counted in polls, never in wall-clock time, so a test decides
// exactly how many answers a task or an account stays pending for. The
// server listens on loopback only and never logs; the credentials it
// receives are kept for inspection as [Secret] values that never print.
//
// The wire shapes follow the public API reference
// (https://redis.io/docs/latest/operate/rc/api/api-reference/) and the
// official client's models and fixtures.
package rcserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Options configures a Server. The zero value of every field but the two
// keys is a sensible default: tasks finish on their first poll and accounts
// are active on their first read.
type Options struct {
	// APIKey and SecretKey are what x-api-key and x-api-secret-key must
	// carry; anything else is answered 401.
	APIKey    string
	SecretKey string

	// Addr is the listen address; it must be a loopback address. Empty
	// means 127.0.0.1 on a free port.
	Addr string

	// OwnerAccountID is the "accountId" of the cloud-account list (1001 if 0).
	OwnerAccountID int

	// TaskNotFoundPolls is how many GET /tasks/{id} a new task answers 404
	// before it is known (the real task service learns of tasks late).
	TaskNotFoundPolls int
	// TaskPendingPolls is how many further polls answer "received", then
	// "processing-in-progress", before the task ends.
	TaskPendingPolls int

	// StatusPendingGets is how many GET /cloud-accounts/{id} answer
	// "pending" (after a create) or "change-pending" (after an update)
	// before the account reaches FinalStatus.
	StatusPendingGets int
	// FinalStatus is where created and updated accounts end ("active" if
	// empty); e.g. "active-error" or "error".
	FinalStatus string

	// MaskAccessKeyID masks accessKeyId in answers: the first and last four
	// characters stay, the rest become '*'.
	MaskAccessKeyID bool
	// StrictUpdate makes PUT also require name and signInLoginUrl, on top
	// of the two key and two console fields it always requires.
	StrictUpdate bool

	// RateLimit is the number of requests allowed per RateWindow (400 if
	// 0), reported in X-Rate-Limit-Remaining; beyond it requests get 429
	// until the window ends. RateWindow is a minute if 0 (tests of many
	// clients shorten it).
	RateLimit  int
	RateWindow time.Duration
	// Latency is added to every answer (a distant API).
	Latency time.Duration
	// RandomThrottle is the probability (0..1) that a request is answered
	// 429, drawn from a generator seeded with Seed, so a run is repeatable.
	RandomThrottle float64
	Seed           uint64
	// RetryAfterSeconds goes in x-rate-limit-retry-after-seconds on random
	// 429s (1 if 0).
	RetryAfterSeconds int
}

// Server is a running test server. All its methods are safe for concurrent
// use.
type Server struct {
	// URL is the server's root, e.g. http://127.0.0.1:41234; the API base
	// the client needs is BaseURL().
	URL string

	opts Options
	ts   *httptest.Server
	mux  *http.ServeMux

	mu sync.Mutex
	st *state
}

// New starts a server on loopback and panics if it cannot listen, as
// httptest.NewServer does. Call Close when done.
func New(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Start starts a server on opts.Addr (loopback only). Both keys are
// required, so that a client sending none is never let in.
func Start(opts Options) (*Server, error) {
	if opts.APIKey == "" || opts.SecretKey == "" {
		return nil, errors.New("start redis cloud test server: APIKey and SecretKey are required")
	}
	opts = opts.withDefaults()
	ln, err := listen(opts.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts}
	s.st = newState(opts)
	s.routes()
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.Listener.Close()
	s.ts.Listener = ln
	s.ts.Start()
	s.URL = s.ts.URL
	return s, nil
}

// BaseURL is the API base the client is given: URL + "/v1".
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Close stops the server and closes its connections.
func (s *Server) Close() { s.ts.Close() }

// Reset forgets every account (but the built-in one), task, pending fault
// and logged request, as if the server had just started.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState(s.opts)
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.OwnerAccountID == 0 {
		o.OwnerAccountID = 1001
	}
	if o.FinalStatus == "" {
		o.FinalStatus = StatusActive
	}
	if o.RateLimit == 0 {
		o.RateLimit = 400
	}
	if o.RateWindow == 0 {
		o.RateWindow = time.Minute
	}
	if o.RetryAfterSeconds == 0 {
		o.RetryAfterSeconds = 1
	}
	return o
}

func listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen on %q: not a loopback address: use 127.0.0.1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", addr, err)
	}
	return ln, nil
}

// maxBody bounds what is read of a request body.
const maxBody = 1 << 20

// ServeHTTP runs the gateway's checks (rate limit, keys, injected faults)
// and then the API, and logs the request with its secrets redacted.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.st.inFlight++
	s.st.peak = max(s.st.peak, s.st.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.st.inFlight--
		s.mu.Unlock()
	}()
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read request body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recorder{ResponseWriter: w}
	// Logged on arrival, its status filled in when answered: a handler that
	// resets the connection may return after the client has moved on.
	done := s.record(r, body)
	defer func() { done(rec.status) }()
	if s.gate(rec, r) {
		s.mux.ServeHTTP(rec, r)
	}
}

// gate answers the request itself when the gateway would: over the rate
// limit, wrong keys, or an injected fault. It reports whether the API may
// answer.
func (s *Server) gate(w http.ResponseWriter, r *http.Request) bool {
	authorized := r.Header.Get("x-api-key") == s.opts.APIKey &&
		r.Header.Get("x-api-secret-key") == s.opts.SecretKey
	s.mu.Lock()
	remaining, wait := s.st.window.take(time.Now(), s.opts.RateLimit, s.opts.RateWindow)
	var f fault
	if authorized && wait == 0 {
		f = s.st.faults.next(r.Method, s.st.rng, s.opts)
	}
	s.mu.Unlock()

	w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	switch {
	case wait > 0:
		throttle(w, wait)
	case !authorized:
		writeHTML(w, http.StatusUnauthorized, "401 Authorization Required")
	case f.status == http.StatusTooManyRequests:
		throttle(w, f.retryAfter)
	case f.status != 0:
		writeHTML(w, f.status, fmt.Sprintf("%d %s", f.status, http.StatusText(f.status)))
	default:
		return true
	}
	return false
}

func throttle(w http.ResponseWriter, seconds int) {
	w.Header().Set("x-rate-limit-retry-after-seconds", strconv.Itoa(seconds))
	writeHTML(w, http.StatusTooManyRequests, "429 Too Many Requests")
}

// writeHTML answers as the nginx gateway in front of the API does: an HTML
// page, not JSON.
func writeHTML(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n"+
		"<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", title, title)
}

// recorder keeps the status code for the request log. Unwrap lets
// http.ResponseController reach the connection to hijack it.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// resetConnection drops the client's connection without an answer: a TCP
// RST, as when a load balancer dies mid-request.
func resetConnection(w http.ResponseWriter) error {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fmt.Errorf("hijack connection: %w", err)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	return conn.Close()
}

// rateWindow is the API's fixed request window (a minute).
type rateWindow struct {
	start time.Time
	count int
}

// take counts one request and returns what X-Rate-Limit-Remaining says and,
// when over the limit, the seconds until the window reopens.
func (rw *rateWindow) take(now time.Time, limit int, window time.Duration) (remaining, wait int) {
	if rw.start.IsZero() || now.Sub(rw.start) >= window {
		rw.start, rw.count = now, 0
	}
	rw.count++
	if rw.count <= limit {
		return limit - rw.count, 0
	}
	left := rw.start.Add(window).Sub(now)
	return 0, max(1, int((left+time.Second-1)/time.Second))
}

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
