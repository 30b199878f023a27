// Package workerapp is the csptransfer worker program: it connects to Temporal, serves metrics and health,
// starts the embedded Partner Center sandbox when no credentials are configured, builds the clients once,
// registers the workflows and activities, and polls the csp-transfer task queue until stopped. The worker
// main and the integration tests of every package run this same code.
//
// Besides the settings internal/config reads, the worker reads one of its own:
//
//	CSP_PPROF_ADDR  host:port on which to serve Go's net/http/pprof (/debug/pprof/: CPU and heap profiles,
//	                goroutines, traces) on a listener of its own; default empty: off. It exposes the
//	                process's internals, so bind it to a private address, e.g. 127.0.0.1:6060, and
//	                profile with `go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=30`.
//	                Main.PprofAddr, when set, takes its place.
package workerapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/logging"
	"github.com/csptransfer/csptransfer/internal/metrics"
	"github.com/csptransfer/csptransfer/internal/temporalconn"
	"github.com/csptransfer/csptransfer/internal/throttle"
	"github.com/csptransfer/csptransfer/workflows"
)

// Main is the worker program with its dependencies, so tests can run the real thing without flags or
// environment.
type Main struct {
	Config config.Worker
	Log    *zap.Logger
	// Ready, if set, is closed once the worker polls its task queue.
	Ready chan struct{}
	// SandboxURL is where the embedded sandbox listens, once Run has started it ("" with real credentials).
	SandboxURL string
	// MetricsURL is where /metrics, /healthz and /readyz are served, once Run has started ("" when off).
	MetricsURL string
	// PprofAddr serves net/http/pprof on a listener of its own; empty reads CSP_PPROF_ADDR, and empty there
	// too is off (see the package documentation).
	PprofAddr string
	// PprofURL is where /debug/pprof/ is served, once Run has started ("" when off).
	PprofURL string
	// Demo runs one sandbox transfer end to end once the worker polls, writes its story to Out, and ends Run.
	Demo bool
	// DemoScenario is the demo's story (demo.Scenarios); empty is the default one.
	DemoScenario string
	Out          io.Writer

	limiters atomic.Pointer[[]*throttle.Transport]
}

// Run connects to Temporal, registers the workflow and activities, and polls until ctx ends; then it stops
// the worker, letting running activities finish within the configured stop timeout.
func (m *Main) Run(ctx context.Context) error {
	if m.Demo && m.Config.PartnerCenter.Configured() {
		return errors.New("-demo runs against the built-in sandbox only: unset PARTNER_CENTER_CLIENT_ID")
	}
	met, err := metrics.New(m.Log)
	if err != nil {
		return err
	}
	o, err := startOps(m.Config.MetricsAddr, met, m.Log)
	if err != nil {
		return err
	}
	m.MetricsURL = o.url
	prof, err := startPprof(m.pprofAddr(), m.Log)
	if err != nil {
		_ = o.close(context.Background())
		return err
	}
	m.PprofURL = prof.url
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = prof.close(ctx)
	}()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = o.close(ctx)
		_ = met.Shutdown(ctx)
	}()
	be, err := startBackend(m.Config, m.Log)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := be.close(ctx); err != nil {
			m.Log.Warn("sandbox did not stop cleanly", zap.Error(err))
		}
	}()
	acts, limiters, err := be.activities(m.Config, m.Log, observeCalls(m.Log, met.ObserveCall))
	if err != nil {
		return err
	}
	m.limiters.Store(&limiters)
	m.SandboxURL = be.sandboxURL

	opts := m.Config.Temporal
	opts.Logger = logging.SDKLogger(m.Log)
	opts.DataConverter = codec.DataConverter(m.Config.Codec)
	opts.FailureConverter = codec.FailureConverter(m.Config.Codec)
	opts.MetricsHandler = met.SDKHandler()
	if opts.Identity == "" {
		// Workers are counted by identity to share the partner tenants' limits: two in one process (tests,
		// tools) must not look like one.
		opts.Identity = workerIdentity()
	}
	if m.Config.Codec == nil {
		m.Log.Warn("payloads are stored in Temporal unencrypted: set CSP_CODEC_KEYS or CSP_CODEC_KEYS_FILE")
	}
	c, err := temporalconn.Dial(ctx, opts, m.Log, temporalconn.Backoff{})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	defer c.Close()
	o.client.Store(&c)

	// The cache is process-wide in the SDK and must be sized before the first worker starts.
	worker.SetStickyWorkflowCacheSize(m.Config.WorkflowCacheSize)
	w := worker.New(c, csptransfer.TaskQueue, worker.Options{
		WorkerStopTimeout: m.Config.StopTimeout,
		// A bug in workflow code fails the workflow task and is retried after a fix is deployed; it never
		// fails a months-long transfer on its own.
		WorkflowPanicPolicy: worker.BlockWorkflow,
		Interceptors: []interceptor.WorkerInterceptor{
			met.Interceptor(),
			activities.NewLivenessInterceptor(),
		},
	})
	register(w, acts)

	share := m.share(c, limiters)
	var holdFor time.Duration
	if share != nil {
		holdFor = share.Join(ctx)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if share != nil {
		go share.Run(ctx, holdFor)
	}
	m.Log.Info("worker polling", zap.String("taskQueue", csptransfer.TaskQueue),
		zap.String("namespace", namespaceOf(opts)), zap.Bool("sandbox", !m.Config.PartnerCenter.Configured()))
	o.polling.Store(true)
	if m.Ready != nil {
		close(m.Ready)
	}
	if m.Demo {
		_, err := demo.Run(ctx, demo.Options{Client: c, SandboxURL: be.sandboxURL, Out: m.Out,
			WebhookDriven: m.Config.Sandbox.WebhookURL != "", Scenario: m.DemoScenario})
		w.Stop()
		return err
	}
	<-ctx.Done()
	m.Log.Info("stopping worker", zap.Duration("stopTimeout", m.Config.StopTimeout))
	w.Stop()
	return nil
}

// register adds the workflow and activities to a worker.
func register(r worker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.Transfer, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
	r.RegisterActivity(acts)
	r.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: csptransfer.ReconcileWorkflowType})
	r.RegisterActivity(&activities.Reconciler{Partners: acts.Partners})
}

func namespaceOf(o client.Options) string {
	if o.Namespace == "" {
		return client.DefaultNamespace
	}
	return o.Namespace
}

// Start runs the worker in the background and returns once it polls its task queue (or failed to start).
// stop ends it and returns Run's error. Tests and tools use it to run the real worker in-process.
func (m *Main) Start(ctx context.Context, within time.Duration) (stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	m.Ready = ready
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stop = func() error {
		cancel()
		return <-done
	}
	select {
	case <-ready:
		return stop, nil
	case err := <-done:
		cancel()
		if err == nil {
			err = errors.New("the worker stopped before polling")
		}
		return nil, err
	case <-time.After(within):
		_ = stop()
		return nil, fmt.Errorf("the worker was not polling within %s", within)
	}
}
