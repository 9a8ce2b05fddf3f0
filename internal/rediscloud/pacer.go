package rediscloud

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pacer keeps the requests of many clients that share one pair of API keys
// (a fleet run's accounts) within the API's rate limit: at most
// MaxInFlight requests at once, and when the API throttles one of them
// (429) or says no request is left in the window (X-Rate-Limit-Remaining:
// 0), every client holds its next request until the wait is over, instead
// of each spending its own retries on a window that is closed for all.
type Pacer struct {
	slots chan struct{}
	mu    sync.Mutex
	until time.Time
	// Holds counts the times a throttle held every client (tests, -v).
	holds int
}

// MaxInFlight is how many requests a Pacer lets run at once.
const MaxInFlight = 4

// NewPacer returns a Pacer for one set of API keys.
func NewPacer() *Pacer { return &Pacer{slots: make(chan struct{}, MaxInFlight)} }

// acquire waits for a slot and for any hold to end.
func (p *Pacer) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		p.mu.Lock()
		wait := time.Until(p.until)
		p.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			<-p.slots
			return err
		}
	}
}

// release frees the slot and reads the answer's rate-limit headers: a
// throttle (429, with its wait) or an exhausted window holds everyone.
func (p *Pacer) release(resp *http.Response, retryAfter time.Duration) {
	<-p.slots
	if resp == nil {
		return
	}
	var hold time.Duration
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		hold = retryAfter
	case remainingZero(resp):
		hold = time.Second
	}
	if hold <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := time.Now().Add(hold); until.After(p.until) {
		p.until = until
		p.holds++
	}
}

// Holds returns how many times a throttle held every client.
func (p *Pacer) Holds() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.holds
}

func remainingZero(resp *http.Response) bool {
	v := strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Remaining"))
	n, err := strconv.Atoi(v)
	return v != "" && err == nil && n <= 0
}
