// Package throttle keeps a worker within Partner Center's limits, which apply per partner tenant: each
// partner tenant's calls pass through one rate limiter and one concurrency limit, so a bulk import of
// thousands of customers queues here instead of answering with a storm of 429s.
package throttle

import (
	"context"
	"fmt"
	"net/http"

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
// request. Waiting honours the request's context, so a cancelled activity stops waiting.
type Transport struct {
	base    http.RoundTripper
	limiter *rate.Limiter
	slots   chan struct{}
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
	return &Transport{base: base, limiter: rate.NewLimiter(rate.Limit(l.PerSecond), l.Burst), slots: make(chan struct{}, l.Concurrency)}, nil
}

// RoundTrip waits for capacity, then sends the request.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
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
