// Package throttle keeps a worker within Partner Center's limits, which apply per partner tenant: each
// partner tenant's calls pass through one rate limiter and one concurrency limit, so a bulk import of
// thousands of customers queues here instead of answering with a storm of 429s.
package throttle

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/time/rate"
)

// Limits bound one partner tenant's calls.
type Limits struct {
	// PerSecond is the sustained request rate; Burst allows short bursts above it.
	PerSecond float64
	Burst     int
	// Concurrency bounds requests in flight.
	Concurrency int
}

// Transport is an http.RoundTripper that waits for a rate token and a concurrency slot before each
// request. Waiting honours the request's context, so a cancelled activity stops waiting. The limits are a
// whole partner tenant's; SetShare gives this process its share of them when several workers call the
// same tenant.
type Transport struct {
	base    http.RoundTripper
	limits  Limits
	limiter *rate.Limiter
	slots   chan struct{}

	mu    sync.Mutex
	share int
	// open is closed while requests may start; a worker joining others holds its requests (Hold) until
	// they have cut their own share.
	open chan struct{}
}

var _ http.RoundTripper = (*Transport)(nil)

// New wraps base (http.DefaultTransport's clone when nil) with the limits.
func New(base http.RoundTripper, l Limits) (*Transport, error) {
	if l.PerSecond <= 0 || l.Burst <= 0 || l.Concurrency <= 0 {
		return nil, fmt.Errorf("throttle: rate, burst and concurrency must be positive, got %v/s, burst %d, concurrency %d", l.PerSecond, l.Burst, l.Concurrency)
	}
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	open := make(chan struct{})
	close(open)
	return &Transport{base: base, limits: l, limiter: rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst),
		slots: make(chan struct{}, l.Concurrency), share: 1, open: open}, nil
}

// SetShare gives this process 1/n of the limits: the rate and the burst (at least one request). n below 1
// counts as 1.
func (t *Transport) SetShare(n int) {
	n = max(1, n)
	t.mu.Lock()
	defer t.mu.Unlock()
	if n == t.share {
		return
	}
	t.share = n
	t.limiter.SetLimit(rate.Limit(t.limits.PerSecond / float64(n)))
	t.limiter.SetBurst(max(1, t.limits.Burst/n))
}

// Share is the number of processes the limits are divided among.
func (t *Transport) Share() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.share
}

// limit is the rate this process may send at now, and its burst.
func (t *Transport) limit() (perSecond float64, burst int) {
	return float64(t.limiter.Limit()), t.limiter.Burst()
}

// Hold stops new requests from starting until Release.
func (t *Transport) Hold() {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.open:
		t.open = make(chan struct{})
	default:
	}
}

// Release lets requests start again after Hold.
func (t *Transport) Release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.open:
	default:
		close(t.open)
	}
}

func (t *Transport) gate() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}

// RoundTrip waits for capacity, then sends the request.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	select {
	case <-t.gate():
	case <-ctx.Done():
		return nil, fmt.Errorf("throttle: waiting for the other workers to cut their share: %w", ctx.Err())
	}
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("throttle: waiting for a concurrency slot: %w", ctx.Err())
	}
	defer func() { <-t.slots }()
	if err := t.limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("throttle: waiting for the rate limit: %w", err)
	}
	return t.base.RoundTrip(r)
}

// Wait is exposed for tests and callers that batch work: it blocks until one request may start.
func (t *Transport) Wait(ctx context.Context) error { return t.limiter.Wait(ctx) }
