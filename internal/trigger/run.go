package trigger

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/logging"
	"github.com/csptransfer/csptransfer/internal/temporalconn"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// NewVerifier builds the webhook verifier the configuration asks for.
func NewVerifier(cfg config.Trigger) (*Verifier, error) {
	v := &Verifier{AllowedHosts: cfg.CertHosts, AllowHTTP: cfg.Sandbox()}
	switch {
	case len(cfg.RootCAPEM) > 0:
		roots, inter, err := TrustAnchors(cfg.RootCAPEM)
		if err != nil {
			return nil, fmt.Errorf("CSP_WEBHOOK_ROOT_CA: %w", err)
		}
		v.Roots, v.Intermediates = roots, inter
	case cfg.SystemRoots:
		roots, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("system trust roots: %w", err)
		}
		v.Roots = roots
	case cfg.Sandbox():
		v.RootsURL = cfg.SandboxURL + "/sandbox/certs/root.pem"
	default:
		return nil, errors.New("CSP_WEBHOOK_ROOT_CA: no trusted root configured")
	}
	return v, nil
}

// Main is the trigger service program with its dependencies, so tests can run the real thing.
type Main struct {
	Config config.Trigger
	Log    *zap.Logger
	// Ready, if set, receives the listening address once the service answers requests.
	Ready chan<- string
}

// Run connects to Temporal, keeps the reconciliation schedule in place and serves until ctx ends; then it
// lets requests in flight finish for up to ten seconds.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	if err := checkTokens(cfg); err != nil {
		return err
	}
	verifier, err := NewVerifier(cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (CSP_TRIGGER_ADDR): %w", cfg.Addr, err)
	}
	defer l.Close()

	opts := cfg.Temporal
	opts.Logger = logging.SDKLogger(m.Log.Named("temporal"))
	opts.DataConverter = codec.DataConverter(cfg.Codec)
	opts.FailureConverter = codec.FailureConverter(cfg.Codec)
	c, err := temporalconn.Dial(ctx, opts, m.Log, temporalconn.Backoff{})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	defer c.Close()

	if cfg.ReconcileEvery > 0 {
		created, err := EnsureSchedule(ctx, c, cfg.ReconcileEvery)
		if err != nil {
			return err
		}
		m.Log.Info("reconciliation schedule in place", zap.Bool("created", created), zap.Duration("every", cfg.ReconcileEvery))
	}
	if cfg.OnboardingToken == "" {
		m.Log.Warn("onboarding API runs without a token (sandbox mode): keep this service on a trusted network")
	}
	if cfg.Codec != nil && cfg.CodecToken == "" {
		m.Log.Warn("codec endpoint runs without a token (sandbox mode): any local program can decrypt payloads through it")
	}
	srv, err := New(Options{
		Client:          c,
		Transfers:       transfers.Service{Client: c, Namespace: namespaceOf(opts), UIBaseURL: cfg.UIBaseURL},
		Verifier:        verifier,
		OnboardingToken: cfg.OnboardingToken.Reveal(),
		MaxEventAge:     cfg.MaxEventAge,
		Log:             m.Log,
		Codec:           codecEndpoint(cfg),
	})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	m.Log.Info("trigger service listening", zap.String("addr", l.Addr().String()), zap.String("mode", cfg.Mode),
		zap.Strings("certHosts", cfg.CertHosts))
	if m.Ready != nil {
		m.Ready <- l.Addr().String()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	m.Log.Info("trigger service stopped")
	return nil
}

// checkTokens refuses to run an open onboarding API or codec endpoint outside sandbox mode. LoadTrigger
// reports the same problems; this also covers a configuration built in code.
func checkTokens(cfg config.Trigger) error {
	if cfg.Sandbox() {
		return nil
	}
	var problems []error
	if cfg.OnboardingToken == "" {
		problems = append(problems, errors.New("CSP_ONBOARDING_TOKEN: required outside sandbox mode (or set CSP_TRIGGER_MODE=sandbox for local use)"))
	}
	if cfg.Codec != nil && cfg.CodecToken == "" {
		problems = append(problems, errors.New("CSP_CODEC_TOKEN: required outside sandbox mode when codec keys are set"))
	}
	return errors.Join(problems...)
}

// codecEndpoint is the codec server when keys are configured.
func codecEndpoint(cfg config.Trigger) http.Handler {
	if cfg.Codec == nil {
		return nil
	}
	return CodecHandler(cfg.Codec, cfg.CodecToken.Reveal(), cfg.CodecOrigins, cfg.CodecHosts...)
}

func namespaceOf(o client.Options) string {
	if o.Namespace == "" {
		return client.DefaultNamespace
	}
	return o.Namespace
}
