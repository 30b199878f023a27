// Package devstack runs the whole product on this machine for the integration tests of its command-line
// programs: a Temporal dev server with the custom search attributes registered, and the real worker program
// (internal/workerapp, as `make run` runs it) with its embedded Partner Center sandbox.
package devstack

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/workerapp"
)

// Stack is a running dev server and worker; both stop when the test ends.
type Stack struct {
	// Address is the Temporal frontend's host:port.
	Address string
	// SandboxURL is the embedded sandbox's base URL.
	SandboxURL string
}

// Start runs a dev server and the worker program on it until tb ends. The worker logs warnings and errors
// to tb; its metrics server is off.
func Start(tb testing.TB) *Stack {
	tb.Helper()
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(tb, devserver.Options{SearchAttributes: sas})
	cfg, err := config.LoadWorkerFrom(config.Map{
		"TEMPORAL_ADDRESS": srv.FrontendHostPort(), "CSP_SANDBOX_ADDR": "127.0.0.1:0", "CSP_METRICS_ADDR": "off",
	})
	require.NoError(tb, err)
	m := &workerapp.Main{Config: cfg, Log: zaptest.NewLogger(tb, zaptest.Level(zap.WarnLevel))}
	stop, err := m.Start(context.Background(), time.Minute)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, stop()) })
	return &Stack{Address: srv.FrontendHostPort(), SandboxURL: m.SandboxURL}
}
