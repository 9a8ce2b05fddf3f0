package faults

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv"
)

// Proxy is a fault-injecting reverse proxy on 127.0.0.1.
type Proxy struct {
	URL string // http://127.0.0.1:PORT

	upstream  *url.URL
	opts      Options
	srv       *http.Server
	transport *http.Transport
	ctx       context.Context
	cancel    context.CancelFunc
	served    chan struct{}

	mu       sync.Mutex
	closed   bool
	inflight sync.WaitGroup
	rule     Rule
	hook     func(seq int, r Request) bool
	answer   Answerer
	ec       consistency
	seen     map[string]int // Nth counters by service/action/entity
	timeline []Event
	gen      int       // bumped by Reset, so late finishes skip a new timeline
	secrets  sensitive // secret values seen in bodies (Secrets), never in the timeline
}

// New starts a proxy to upstream (e.g. moto's URL) on 127.0.0.1:0.
func New(upstream string, opts Options) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("faults: upstream %q is not an http URL", upstream)
	}
	if opts.Latency <= 0 {
		opts.Latency = 100 * time.Millisecond
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faults: listen: %w", err)
	}
	p := &Proxy{
		URL:      "http://" + l.Addr().String(),
		upstream: u,
		opts:     opts,
		served:   make(chan struct{}),
		seen:     map[string]int{},
		transport: &http.Transport{ // no Proxy: never the environment's HTTP proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			DisableCompression:  true,
			MaxIdleConnsPerHost: 16,
		},
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(l)
	}()
	return p, nil
}

// Start is New for a test: it fails t on error and closes the proxy when
// the test ends.
func Start(t testing.TB, upstream string, opts Options) *Proxy {
	t.Helper()
	p, err := New(upstream, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Via returns a copy of acct whose Config() and Env() go through the proxy.
func (p *Proxy) Via(acct *testenv.Account) *testenv.Account {
	a := *acct
	a.Endpoint = p.URL
	return &a
}

// Close stops the proxy: it closes the listener and every connection,
// cancels forwarding and waits until all handlers have returned.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	_ = p.srv.Close()
	<-p.served
	p.inflight.Wait()
	p.transport.CloseIdleConnections()
}

// SetRule sets the rule that decides each request's fault; nil removes it.
func (p *Proxy) SetRule(rule Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule = rule
}

// Random faults a share rate of requests with kinds (see RandomRule),
// seeded with Options.Seed. It replaces the rule.
func (p *Proxy) Random(rate float64, kinds ...Kind) {
	p.SetRule(RandomRule(p.opts.Seed, rate, p.opts.Latency, kinds...))
}

// EventualConsistency makes each IAM role, user, managed policy and
// instance profile created through the proxy answer NoSuchEntity to its
// next n uses (reads, attachments, key creation…). n = 0 turns it off. It
// applies to requests the rule lets through.
func (p *Proxy) EventualConsistency(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ec = consistency{uses: n}
}

// EventualConsistencyFor is EventualConsistency for a time instead of a
// number of uses: uses within d of the create answer NoSuchEntity.
func (p *Proxy) EventualConsistencyFor(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ec = consistency{window: d}
}

// AWSConsistency makes the proxy as eventually consistent as AWS is: each
// IAM user, role, managed policy, instance profile and login profile
// created through it is invisible for entities after its create — uses by
// name answer NoSuchEntity, and the account's authorization details and
// the user's key list leave it (and each new access key) out — and STS
// refuses each access key created through it (InvalidClientTokenId) for
// keys. Zero durations turn it off.
func (p *Proxy) AWSConsistency(entities, keys time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ec = consistency{window: entities, aws: true, keys: keys}
}

// AfterEffect sets a hook called for every forwarded request once moto has
// answered it (the request took effect) and before the response is
// written. When it returns true the connection is reset instead, so the
// client never gets the response. nil removes it.
func (p *Proxy) AfterEffect(hook func(seq int, r Request) (dropResponse bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = hook
}

// Answerer plays an operation the emulator lacks: given a Query-protocol
// request's form, it returns the XML body of a 200 answer and true, or
// false to let the request through.
type Answerer func(r Request, form url.Values) (body []byte, ok bool)

// Answer sets the Answerer consulted for requests that get no fault; nil
// removes it.
func (p *Proxy) Answer(a Answerer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answer = a
}

// Timeline returns the events so far, in order of arrival.
func (p *Proxy) Timeline() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.timeline...)
}

// Count returns the number of requests received so far.
func (p *Proxy) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.timeline)
}

// Reset makes the proxy a plain pass-through again: no rule, no hook, no
// eventual consistency, an empty timeline and counters from zero.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule, p.hook, p.answer, p.ec = nil, nil, nil, consistency{}
	p.seen = map[string]int{}
	p.timeline = nil
	p.gen++
}

// admit registers a request and returns the rule to apply to it.
func (p *Proxy) admit(c call, start time.Time) (Request, Rule, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := c.service + "\x00" + c.action + "\x00" + c.entity
	p.seen[key]++
	req := Request{Seq: len(p.timeline) + 1, Service: c.service, Action: c.action,
		Entity: c.entity, Nth: p.seen[key], Attempt: c.attempt, Fields: c.fields, Region: c.region, AccessKey: c.accessKey}
	p.timeline = append(p.timeline, Event{Request: req, Start: start})
	return req, p.rule, p.gen
}

func (p *Proxy) finish(ev Event, gen int) {
	ev.End = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen == p.gen { // not reset meanwhile
		p.timeline[ev.Seq-1] = ev
	}
}

func (p *Proxy) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.inflight.Add(1)
	return true
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func stripHop(h http.Header) {
	for _, f := range strings.Split(h.Get("Connection"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			h.Del(f)
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}
