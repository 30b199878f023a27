package workerapp

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// heartbeatEvery is how often a running activity reports that its worker is alive. With the workflow's
// heartbeat timeout it bounds how long an activity stays stuck on a worker that crashed: Temporal retries
// it elsewhere after the heartbeat timeout instead of after the full start-to-close timeout.
const heartbeatEvery = 5 * time.Second

// liveness heartbeats for every activity that does not record progress of its own.
type liveness struct {
	interceptor.WorkerInterceptorBase
	// self lists activities that heartbeat their own progress details, which a bare heartbeat would erase.
	self map[string]bool
}

func (l *liveness) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &livenessInbound{self: l.self}
	i.Next = next
	return i
}

type livenessInbound struct {
	interceptor.ActivityInboundInterceptorBase
	self map[string]bool
}

func (i *livenessInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	if i.self[activity.GetInfo(ctx).ActivityType.Name] {
		return i.Next.ExecuteActivity(ctx, in)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return i.Next.ExecuteActivity(ctx, in)
}
