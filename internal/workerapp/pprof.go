package workerapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"
)

// PprofAddrEnv names the variable that turns the profiling endpoint on (see the package documentation).
const PprofAddrEnv = "CSP_PPROF_ADDR"

// profiler serves net/http/pprof on a listener of its own, apart from metrics and health, so that it can be
// bound to a private address (or not at all) whatever CSP_METRICS_ADDR is.
type profiler struct {
	url    string
	server *http.Server
}

// pprofAddr is m.PprofAddr, or CSP_PPROF_ADDR when that is empty; "" means off.
func (m *Main) pprofAddr() string {
	if m.PprofAddr != "" {
		return m.PprofAddr
	}
	return strings.TrimSpace(os.Getenv(PprofAddrEnv))
}

func startPprof(addr string, log *zap.Logger) (*profiler, error) {
	p := &profiler{}
	if addr == "" {
		return p, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof listen on %s (%s): %w", addr, PprofAddrEnv, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	p.url = "http://" + l.Addr().String() + "/debug/pprof/"
	// No write timeout: a CPU profile or trace runs for ?seconds= (30 s by default).
	p.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := p.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server stopped", zap.Error(err))
		}
	}()
	log.Warn("serving pprof: it shows the process's internals, keep it on a private address", zap.String("url", p.url))
	return p, nil
}

func (p *profiler) close(ctx context.Context) error {
	if p.server == nil {
		return nil
	}
	return p.server.Shutdown(ctx)
}
