package workerapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer/internal/metrics"
)

// ops serves /metrics, /healthz (the process runs) and /readyz (the worker polls and Temporal answers).
type ops struct {
	url     string
	server  *http.Server
	polling atomic.Bool
	client  atomic.Pointer[client.Client]
}

func startOps(addr string, m *metrics.Metrics, log *zap.Logger) (*ops, error) {
	o := &ops{}
	if addr == "" {
		return o, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen on %s (CSP_METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", o.ready)
	o.url = "http://" + l.Addr().String()
	o.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := o.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", zap.Error(err))
		}
	}()
	log.Info("serving metrics and health", zap.String("url", "http://"+l.Addr().String()+"/metrics"))
	return o, nil
}

func (o *ops) ready(w http.ResponseWriter, r *http.Request) {
	c := o.client.Load()
	if c == nil || !o.polling.Load() {
		http.Error(w, "not polling yet\n", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := (*c).CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		http.Error(w, "Temporal not reachable\n", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (o *ops) close(ctx context.Context) error {
	if o.server == nil {
		return nil
	}
	return o.server.Shutdown(ctx)
}
