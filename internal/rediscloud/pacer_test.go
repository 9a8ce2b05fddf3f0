package rediscloud

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// A Pacer lets MaxInFlight requests run at once, and a throttled answer
// (or an exhausted window) holds every client's next request.
func TestPacer(t *testing.T) {
	t.Parallel()
	p := NewPacer()
	ctx := context.Background()
	for i := 0; i < MaxInFlight; i++ {
		if err := p.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := p.acquire(short); err == nil {
		t.Fatal("a request beyond MaxInFlight was let through")
	}
	throttled := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}}
	p.release(throttled, 300*time.Millisecond)
	start := time.Now()
	if err := p.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("the next request went after %s, within the 300 ms the API asked", waited)
	}
	last := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"X-Rate-Limit-Remaining": {"0"}}}
	p.release(last, 0)
	if p.Holds() != 2 {
		t.Errorf("holds = %d, want 2 (a 429, an empty window)", p.Holds())
	}
}
