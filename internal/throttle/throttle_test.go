package throttle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConcurrencyIsBounded(t *testing.T) {
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
	}))
	defer srv.Close()
	tr, err := New(nil, Limits{PerSecond: 1000, Burst: 1000, Concurrency: 3})
	require.NoError(t, err)
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(srv.URL)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	require.Eventually(t, func() bool { return inFlight.Load() == 3 }, 2*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	require.Equal(t, int32(3), peak.Load())
}

func TestRateIsBoundedAndWaitingHonoursCancellation(t *testing.T) {
	tr, err := New(nil, Limits{PerSecond: 0.001, Burst: 1, Concurrency: 1})
	require.NoError(t, err)
	require.NoError(t, tr.Wait(context.Background()), "the burst allows one at once")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1", nil)
	_, err = tr.RoundTrip(req)
	require.ErrorContains(t, err, "waiting for the rate limit")
}

func TestLimitsMustBePositive(t *testing.T) {
	_, err := New(nil, Limits{})
	require.Error(t, err)
}
