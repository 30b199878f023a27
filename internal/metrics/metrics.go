// Package metrics exposes the worker's Prometheus metrics: the Temporal SDK's own (workflow and activity
// task rates and latencies, sticky cache, pollers), the transfer metrics the workflow records through its
// replay-safe metrics handler (stages entered, acceptance waits, purchases, license moves), Partner Center
// and Graph calls and throttles by endpoint, and activity errors by type.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// Metrics owns the registry and the instruments.
type Metrics struct {
	registry *prometheus.Registry
	provider *sdkmetric.MeterProvider
	sdk      client.MetricsHandler

	calls     metric.Int64Counter
	callTime  metric.Float64Histogram
	throttles metric.Int64Counter
	actErrors metric.Int64Counter
}

// New builds the registry with Go runtime and process collectors, the OpenTelemetry bridge for the SDK,
// and the product's instruments. Meter errors are logged, never panicked on (the contrib default).
func New(log *zap.Logger) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	meter := mp.Meter("csptransfer")
	m := &Metrics{registry: reg, provider: mp}
	m.sdk = sdkotel.NewMetricsHandler(sdkotel.MetricsHandlerOptions{
		Meter:                meter,
		UseMonotonicCounters: true,
		OnError:              func(err error) { log.Warn("metric not recorded", zap.Error(err)) },
	})
	var errs []error
	m.calls, err = meter.Int64Counter("csp_api_calls", metric.WithDescription("Partner Center and Graph HTTP attempts by endpoint and status"))
	errs = append(errs, err)
	m.callTime, err = meter.Float64Histogram("csp_api_call_duration", metric.WithUnit("s"), metric.WithDescription("Partner Center and Graph HTTP attempt latency"))
	errs = append(errs, err)
	m.throttles, err = meter.Int64Counter("csp_api_throttled", metric.WithDescription("429 answers from Partner Center and Graph by endpoint"))
	errs = append(errs, err)
	m.actErrors, err = meter.Int64Counter("csp_activity_errors", metric.WithDescription("Failed activity attempts by activity and error type"))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("instruments: %w", err)
	}
	return m, nil
}

// SDKHandler is the metrics handler for client.Options.MetricsHandler; workflows reach it through
// workflow.GetMetricsHandler, which records nothing during replay.
func (m *Metrics) SDKHandler() client.MetricsHandler { return m.sdk }

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveCall records one Partner Center or Graph attempt; pass it as the clients' Observe.
func (m *Metrics) ObserveCall(c msrest.Call) {
	attrs := metric.WithAttributes(
		attribute.String("service", string(c.Service)), attribute.String("method", c.Method),
		attribute.String("endpoint", c.Path), attribute.String("status", strconv.Itoa(c.Status)))
	ctx := context.Background()
	m.calls.Add(ctx, 1, attrs)
	m.callTime.Record(ctx, c.Duration.Seconds(), metric.WithAttributes(
		attribute.String("service", string(c.Service)), attribute.String("endpoint", c.Path)))
	if c.Status == http.StatusTooManyRequests {
		m.throttles.Add(ctx, 1, metric.WithAttributes(attribute.String("service", string(c.Service)), attribute.String("endpoint", c.Path)))
	}
}

// Shutdown flushes the provider.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

// Interceptor counts failed activity attempts by activity type and application error type.
func (m *Metrics) Interceptor() interceptor.WorkerInterceptor { return &workerInterceptor{m: m} }

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	m *Metrics
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &activityInbound{m: w.m}
	i.Next = next
	return i
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	m *Metrics
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	if err != nil {
		typ := "Retryable"
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() != "" {
			typ = appErr.Type()
		}
		name := activity.GetInfo(ctx).ActivityType.Name
		a.m.actErrors.Add(ctx, 1, metric.WithAttributes(attribute.String("activity", name), attribute.String("type", typ)))
	}
	return res, err
}
