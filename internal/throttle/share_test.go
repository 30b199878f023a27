package throttle

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newTransport(t *testing.T, l Limits) *Transport {
	t.Helper()
	tr, err := New(nil, l)
	require.NoError(t, err)
	return tr
}

func TestSetShareDividesTheRateAndTheBurst(t *testing.T) {
	tr := newTransport(t, Limits{PerSecond: 10, Burst: 20, Concurrency: 4})
	rate, burst := tr.limit()
	require.Equal(t, 10.0, rate)
	require.Equal(t, 20, burst)
	tr.SetShare(3)
	rate, burst = tr.limit()
	require.InDelta(t, 10.0/3, rate, 1e-9)
	require.Equal(t, 6, burst)
	require.Equal(t, 3, tr.Share())
	tr.SetShare(40)
	_, burst = tr.limit()
	require.Equal(t, 1, burst, "at least one request")
	tr.SetShare(0)
	rate, _ = tr.limit()
	require.Equal(t, 10.0, rate, "no share below one worker")
}

// TestHoldStopsRequestsUntilReleased: a joining worker sends nothing until released.
func TestHoldStopsRequestsUntilReleased(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tr := newTransport(t, Limits{PerSecond: 1000, Burst: 10, Concurrency: 4})
	tr.Hold()
	tr.Hold() // twice is once

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	cancel()
	_, err := tr.RoundTrip(req)
	require.ErrorContains(t, err, "waiting for the other workers to cut their share", "held: only the context ends the wait")

	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	tr.Release()
	tr.Release() // twice is once
	require.NoError(t, <-done)
}

func TestShareJoinsHoldingWhileOthersRun(t *testing.T) {
	a := newTransport(t, Limits{PerSecond: 12, Burst: 12, Concurrency: 4})
	b := newTransport(t, Limits{PerSecond: 6, Burst: 6, Concurrency: 4})
	workers := 2 // already polling, before this one
	var changes []int
	s := &Share{Count: func(context.Context) (int, error) { return workers, nil }, Every: time.Minute,
		Transports: []*Transport{a, b}, OnChange: func(n int) { changes = append(changes, n) }}

	hold := s.Join(context.Background())
	require.Equal(t, time.Minute+joinMargin, hold, "the others cut their share at their next count")
	require.Equal(t, 3, a.Share(), "the others and this one")
	rate, _ := b.limit()
	require.Equal(t, 2.0, rate)
	select {
	case <-a.gate():
		t.Fatal("a joining worker holds its requests")
	default:
	}

	workers = 3 // now polling too
	s.Refresh(context.Background())
	workers = 1 // the others left (once Temporal stops listing them)
	s.Refresh(context.Background())
	rate, burst := a.limit()
	require.Equal(t, 12.0, rate)
	require.Equal(t, 12, burst)
	require.Equal(t, []int{3, 1}, changes, "told only when the share changes")
}

func TestShareAloneDoesNotHoldAndKeepsItsShareWhenCountingFails(t *testing.T) {
	tr := newTransport(t, Limits{PerSecond: 10, Burst: 10, Concurrency: 4})
	var failures []error
	fail := false
	s := &Share{Every: time.Second, Transports: []*Transport{tr}, OnError: func(err error) { failures = append(failures, err) },
		Count: func(context.Context) (int, error) {
			if fail {
				return 0, errors.New("permission denied")
			}
			return 0, nil
		}}
	require.Zero(t, s.Join(context.Background()), "nobody else polls: no hold")
	require.Equal(t, 1, tr.Share())
	s.set(2)
	fail = true
	s.Refresh(context.Background())
	require.Equal(t, 2, tr.Share(), "a failed count keeps the last share")
	require.Len(t, failures, 1)
}
