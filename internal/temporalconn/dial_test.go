package temporalconn

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestDialKeepsRetryingAndSaysWhy(t *testing.T) {
	// A port that refuses connections: listen, note the address, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	core, logs := observer.New(zap.WarnLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	_, err = Dial(ctx, client.Options{HostPort: addr}, zap.New(core), Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond})
	require.Error(t, err)
	require.Contains(t, err.Error(), "connect to Temporal at "+addr)
	require.GreaterOrEqual(t, logs.FilterMessage("Temporal is not reachable; retrying").Len(), 2)
	first := logs.All()[0].ContextMap()
	require.Equal(t, addr, first["address"])
	require.Equal(t, "default", first["namespace"])
}
