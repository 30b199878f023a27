package workerapp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// TestThrottledCallsAreLoggedOnce: each 429 is logged once with its endpoint template and Retry-After;
// other calls are not logged; every call still reaches the metrics.
func TestThrottledCallsAreLoggedOnce(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	var seen int
	observe := observeCalls(zap.New(core), func(msrest.Call) { seen++ })
	observe(msrest.Call{Service: msrest.PartnerCenter, Method: "GET", Path: "/v1/customers/{id}", Status: 200})
	observe(msrest.Call{Service: msrest.PartnerCenter, Method: "POST", Path: "/v1/customers/{id}/carts", Status: 429, RetryAfter: 2 * time.Second})

	require.Equal(t, 2, seen)
	entries := logs.All()
	require.Len(t, entries, 1)
	fields := entries[0].ContextMap()
	require.Equal(t, "/v1/customers/{id}/carts", fields["endpoint"])
	require.Equal(t, 2*time.Second, fields["retryAfter"])
	require.Equal(t, zap.WarnLevel, entries[0].Level)
}
