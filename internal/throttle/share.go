package throttle

import (
	"context"
	"time"
)

// Share keeps the workers that call the same partner tenants, together, within each tenant's limits: every
// worker sends at 1/N of them, N being the workers Temporal sees polling the transfer task queue. Temporal
// is the one place that knows which workers run, so nothing else coordinates them.
//
// When a worker joins, the others still send at their old share until they next count; the joining worker
// therefore holds its requests for one refresh interval (and a margin) before sending at its share, so the
// total never exceeds the limits. When a worker leaves, Temporal still lists it for a while: the others
// keep their smaller share until it drops out, which errs on the safe side.
type Share struct {
	// Count returns how many workers poll the task queue, this one included.
	Count func(ctx context.Context) (int, error)
	// Every is how often the workers are counted.
	Every time.Duration
	// Transports are this worker's limiters, one per partner tenant and API.
	Transports []*Transport
	// OnError is told when counting fails; the share stays as it was.
	OnError func(error)
	// OnChange is told when the share changes.
	OnChange func(workers int)
}

// joinMargin is added to one refresh interval before a joining worker sends: the others' counts and their
// last requests at the old share must both be behind it.
const joinMargin = 5 * time.Second

// Join counts the workers already polling (before this one does: it counts itself) and, when there are
// any, holds this worker's requests; it returns when they may go, which Run then lets happen. Call it
// before the worker polls.
func (s *Share) Join(ctx context.Context) (holdFor time.Duration) {
	n, err := s.Count(ctx)
	if err != nil {
		s.failed(err)
		return 0
	}
	others := n // this worker is not polling yet
	s.set(others + 1)
	if others == 0 {
		return 0
	}
	for _, t := range s.Transports {
		t.Hold()
	}
	return JoinHold(s.Every)
}

// JoinHold is how long a worker that joins others holds its requests, when they count every interval.
func JoinHold(every time.Duration) time.Duration {
	return every + joinMargin
}

// Run refreshes the share every interval until ctx ends, first releasing a hold Join asked for after
// holdFor.
func (s *Share) Run(ctx context.Context, holdFor time.Duration) {
	if holdFor > 0 {
		timer := time.NewTimer(holdFor)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		s.Refresh(ctx)
		for _, t := range s.Transports {
			t.Release()
		}
	}
	tick := time.NewTicker(s.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.Refresh(ctx)
		}
	}
}

// Refresh counts the workers once and sets the share.
func (s *Share) Refresh(ctx context.Context) {
	n, err := s.Count(ctx)
	if err != nil {
		s.failed(err)
		return
	}
	s.set(n)
}

func (s *Share) set(n int) {
	n = max(1, n)
	changed := false
	for _, t := range s.Transports {
		if t.Share() != n {
			changed = true
		}
		t.SetShare(n)
	}
	if changed && s.OnChange != nil {
		s.OnChange(n)
	}
}

func (s *Share) failed(err error) {
	if s.OnError != nil {
		s.OnError(err)
	}
}
