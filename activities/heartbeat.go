package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// HeartbeatEvery is how often a running activity tells Temporal that its worker is alive.
const HeartbeatEvery = 5 * time.Second

// HeartbeatTimeout is the heartbeat timeout workflows give every activity: four missed heartbeats. It
// bounds how long an activity stays stuck on a worker that crashed: Temporal retries it elsewhere after
// this, not after its whole start-to-close timeout.
const HeartbeatTimeout = 4 * HeartbeatEvery

// NewLivenessInterceptor makes every activity heartbeat each HeartbeatEvery while it runs. An activity that
// records its progress does so with recordProgress: the liveness heartbeats then carry that progress, so a
// retried attempt resumes from it.
func NewLivenessInterceptor() interceptor.WorkerInterceptor { return &liveness{} }

type liveness struct {
	interceptor.WorkerInterceptorBase
}

func (l *liveness) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &livenessInbound{}
	i.Next = next
	return i
}

type livenessInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

type progressKey struct{}

// progress holds the details an activity last recorded.
type progress struct {
	mu      sync.Mutex
	details any
}

func (p *progress) heartbeat(ctx context.Context) {
	activity.RecordHeartbeat(ctx, p.latest()...)
}

// latest is what a heartbeat sends: the progress last recorded, or nothing.
func (p *progress) latest() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.details == nil {
		return nil
	}
	return []any{p.details}
}

func (i *livenessInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	p := &progress{}
	ctx = context.WithValue(ctx, progressKey{}, p)
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.heartbeat(ctx)
			}
		}
	}()
	return i.Next.ExecuteActivity(ctx, in)
}

// recordProgress heartbeats details and keeps them for the liveness heartbeats that follow, which would
// otherwise erase them. Without the interceptor (activity unit tests) it heartbeats only.
func recordProgress(ctx context.Context, details any) {
	p, ok := ctx.Value(progressKey{}).(*progress)
	if !ok {
		activity.RecordHeartbeat(ctx, details)
		return
	}
	p.mu.Lock()
	p.details = details
	p.mu.Unlock()
	p.heartbeat(ctx)
}
