// Package temporalconn connects to the Temporal service. Dial waits with backoff while it is unreachable so a
// worker started before its server comes up says so and recovers instead of crashing or hanging silently;
// DialOnce is for command-line programs, which name the unreachable address at once instead.
package temporalconn

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// Backoff bounds the wait between connection attempts.
type Backoff struct {
	// Optional: first wait.
	// default: 1s
	Initial time.Duration
	// Optional: longest wait.
	// default: 30s
	Max time.Duration
}

// Dial connects with opts, retrying until it succeeds or ctx ends. Each failed attempt is logged once
// with the address and the next wait.
func Dial(ctx context.Context, opts client.Options, log *zap.Logger, b Backoff) (client.Client, error) {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	addr := opts.HostPort
	if addr == "" {
		addr = client.DefaultHostPort
	}
	wait := b.Initial
	for attempt := 1; ; attempt++ {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			if attempt > 1 {
				log.Info("connected to Temporal", zap.String("address", addr), zap.Int("attempts", attempt))
			}
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s: %w", addr, ctx.Err())
		}
		log.Warn("Temporal is not reachable; retrying",
			zap.String("address", addr), zap.String("namespace", namespace(opts)),
			zap.Duration("retryIn", wait), zap.Int("attempt", attempt), zap.Error(err))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to Temporal at %s: %w", addr, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, b.Max)
	}
}

func namespace(opts client.Options) string {
	if opts.Namespace == "" {
		return client.DefaultNamespace
	}
	return opts.Namespace
}
