package workerapp

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// TestPprofIsOptIn: off unless an address is given; when on, it serves /debug/pprof/ on its own listener.
func TestPprofIsOptIn(t *testing.T) {
	t.Setenv(PprofAddrEnv, "")
	off, err := startPprof((&Main{}).pprofAddr(), zap.NewNop())
	require.NoError(t, err)
	require.Empty(t, off.url)
	require.NoError(t, off.close(context.Background()))

	t.Setenv(PprofAddrEnv, "127.0.0.1:0")
	m := &Main{}
	require.Equal(t, "127.0.0.1:0", m.pprofAddr())
	m.PprofAddr = "127.0.0.1:0"
	p, err := startPprof(m.pprofAddr(), zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.close(context.Background()) })
	for _, path := range []string{"", "goroutine?debug=1", "heap?debug=1", "cmdline"} {
		resp, err := http.Get(p.url + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	}

	_, err = startPprof("256.0.0.1:1", zap.NewNop())
	require.ErrorContains(t, err, PprofAddrEnv)
}
