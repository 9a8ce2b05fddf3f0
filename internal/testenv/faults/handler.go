package faults

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// ServeHTTP buffers the request, decides its fault, and answers, forwards
// or breaks the connection accordingly.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.enter() {
		reset(w)
		return
	}
	defer p.inflight.Done()
	start := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		reset(w)
		return
	}
	c := parseCall(r, body)
	p.mu.Lock()
	p.secrets.fromRequest(c, body)
	p.mu.Unlock()
	req, rule, gen := p.admit(c, start)
	ev := Event{Request: req, Start: start}
	defer func() { p.finish(ev, gen) }()

	var f Fault
	if rule != nil {
		f = rule(req)
	}
	msg := f.Message
	if f.Kind == None || f.Kind == Latency {
		p.mu.Lock()
		k, m := p.ec.check(c, time.Now())
		p.mu.Unlock()
		if k != None {
			f.Kind, msg = k, m
		}
	}
	if f.Kind == Latency && f.Delay <= 0 {
		f.Delay = p.opts.Latency
	}
	ev.Fault = f
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			ev.Err = "client went away during the delay"
			return
		case <-p.ctx.Done():
			t.Stop()
			reset(w)
			return
		}
	}

	switch f.Kind {
	case Throttle, InternalError, Unavailable, NoSuchEntity, InvalidClientTokenID, AccessDenied:
		ev.Status = errorFor(f.Kind, c, msg).write(w, c, requestID(req.Seq))
		return
	case HTMLNotImplemented:
		ev.Status = writeHTML500(w)
		return
	case ResetBeforeForward:
		reset(w)
		return
	}

	p.mu.Lock()
	answer := p.answer
	p.mu.Unlock()
	if answer != nil && !c.json {
		if form, err := url.ParseQuery(string(body)); err == nil {
			if out, ok := answer(req, form); ok {
				w.Header().Set("Content-Type", "text/xml")
				w.Header().Set("Content-Length", fmt.Sprint(len(out)))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(out)
				ev.Status = http.StatusOK
				return
			}
		}
	}
	resp, rbody, err := p.forward(r, body)
	if err != nil {
		ev.Err = err.Error()
		if p.ctx.Err() != nil {
			reset(w)
			return
		}
		http.Error(w, "faults: upstream: "+err.Error(), http.StatusBadGateway)
		ev.Status = http.StatusBadGateway
		return
	}
	ev.Upstream = resp.StatusCode
	if resp.StatusCode == http.StatusOK {
		p.mu.Lock()
		p.ec.noteCreate(c, rbody, time.Now())
		rbody = p.ec.filter(c, rbody, time.Now())
		p.secrets.fromResponse(c, rbody)
		p.mu.Unlock()
	}
	drop := f.Kind == DropAfterForward
	p.mu.Lock()
	hook := p.hook
	p.mu.Unlock()
	if hook != nil && hook(req.Seq, req) {
		drop, ev.Dropped = true, true
	}
	if drop {
		reset(w)
		return
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	stripHop(h)
	h.Set("Content-Length", fmt.Sprint(len(rbody)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(rbody)
	ev.Status = resp.StatusCode
}

// forward sends the buffered request to moto unchanged (method, path,
// query, Host and headers, byte-identical body) and reads the whole answer.
// It does not follow the client's context: a request that reached the
// proxy completes upstream even if the client dies, as on AWS.
func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	target := *p.upstream
	target.Path, target.RawPath = r.URL.Path, r.URL.RawPath
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(p.ctx, r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out.Header = r.Header.Clone()
	stripHop(out.Header)
	out.Host = r.Host
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	rbody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	return resp, rbody, nil
}

// reset closes the client connection with an RST (SO_LINGER 0), so the
// client sees "connection reset by peer" and no response.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
