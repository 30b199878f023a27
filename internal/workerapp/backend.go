package workerapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/logging"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/notify"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/throttle"
)

// backend is what the activities talk to: Microsoft's APIs, or the embedded sandbox when no Partner
// Center credentials are configured.
type backend struct {
	pc         config.PartnerCenter
	sandbox    *sandbox.Sandbox
	sandboxURL string
	server     *http.Server
	// approvalURLBase is where customers approve GDAP requests: the sandbox's admin center, or empty for
	// Microsoft's.
	approvalURLBase string
}

// startBackend serves the sandbox when needed and returns the endpoints and credentials to use.
func startBackend(cfg config.Worker, log *zap.Logger) (*backend, error) {
	b := &backend{pc: cfg.PartnerCenter}
	if cfg.PartnerCenter.Configured() {
		return b, nil
	}
	l, err := net.Listen("tcp", cfg.Sandbox.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listen on %s (CSP_SANDBOX_ADDR): %w", cfg.Sandbox.Addr, err)
	}
	b.sandboxURL = "http://" + l.Addr().String()
	public := b.sandboxURL
	if cfg.Sandbox.PublicURL != "" {
		public = cfg.Sandbox.PublicURL
	}
	sb, err := sandbox.New(sandbox.Options{
		Addr:       l.Addr().String(),
		PublicURL:  public,
		StateFile:  cfg.Sandbox.StateFile,
		WebhookURL: cfg.Sandbox.WebhookURL,
		Logger:     logging.Slog(log.Named("sandbox")),
	})
	if err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	b.sandbox = sb
	b.approvalURLBase = sb.GDAPApprovalURLBase()
	b.server = &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := b.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox stopped", zap.Error(err))
		}
	}()
	b.pc = config.PartnerCenter{
		ClientID:     sandbox.ClientID,
		ClientSecret: config.Secret(sandbox.ClientSecret),
		RefreshToken: config.Secret(sandbox.RefreshToken),
		TenantIDs:    []string{sandbox.PartnerEU, sandbox.PartnerUS, sandbox.PartnerJP},
		BaseURL:      b.sandboxURL,
		GraphURL:     b.sandboxURL + "/graph/v1.0",
		Authority:    b.sandboxURL + "/login",
	}
	log.Info("serving the Partner Center and Graph sandbox", zap.String("url", b.sandboxURL),
		zap.String("stateFile", cfg.Sandbox.StateFile))
	return b, nil
}

// close stops the sandbox, saving its state.
func (b *backend) close(ctx context.Context) error {
	if b.server == nil {
		return nil
	}
	err := b.server.Shutdown(ctx)
	return errors.Join(err, b.sandbox.Close())
}

// activities builds the clients once and the Activities that hold them, and returns the rate limiters they
// send through (one per partner tenant and API), whose share of the limits the worker keeps.
func (b *backend) activities(cfg config.Worker, log *zap.Logger, observe func(msrest.Call)) (*activities.Activities, []*throttle.Transport, error) {
	idc := identity.Config{
		Authority:    b.pc.Authority,
		ClientID:     b.pc.ClientID,
		ClientSecret: b.pc.ClientSecret.Reveal(),
		RefreshToken: b.pc.RefreshToken.Reveal(),
	}
	switch {
	case b.pc.RefreshTokenFile != "":
		idc.Tokens = &identity.FileTokenStore{Path: b.pc.RefreshTokenFile}
		idc.OnStoreError = func(tenant string, err error) {
			log.Error("rotated refresh token not saved; a restart would redeem an older one", zap.String("partnerTenantId", tenant), zap.Error(err))
		}
	case b.pc.RefreshToken != "" && b.pc.Configured():
		log.Warn("rotated refresh tokens are kept in memory only: set CSP_PC_REFRESH_TOKEN_FILE so a restart redeems the newest one")
	}
	ids, err := identity.New(idc)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: %w", err)
	}
	acts := &activities.Activities{Notifier: notifier(cfg, log)}
	var limiters []*throttle.Transport
	limited := func(l config.Limits) (*http.Client, error) {
		hc := msrest.NewHTTPClient()
		t, err := throttle.New(hc.Transport, throttle.Limits(l))
		if err != nil {
			return nil, err
		}
		hc.Transport = t
		limiters = append(limiters, t)
		return hc, nil
	}
	for _, tenant := range b.pc.TenantIDs {
		// One limiter per partner tenant and API: Microsoft throttles Partner Center and Graph apart, per
		// partner tenant, so that is where this worker queues instead of causing 429s.
		hc, err := limited(cfg.Limits)
		if err != nil {
			return nil, nil, err
		}
		ghc, err := limited(cfg.GraphLimits)
		if err != nil {
			return nil, nil, err
		}
		pc, err := partnercenter.New(partnercenter.Config{
			BaseURL:    b.pc.BaseURL,
			AppTokens:  ids.AppOnly(tenant, identity.ScopePartnerCenterApp),
			UserTokens: ids.AppUser(tenant, identity.ScopePartnerCenterUser),
			HTTPClient: hc,
			Observe:    observe,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("partner tenant %s: %w", tenant, err)
		}
		gr, err := graph.New(graph.Config{BaseURL: b.pc.GraphURL, Tokens: ids.GraphTokens, PartnerTenantID: tenant, HTTPClient: ghc, Observe: observe,
			ApprovalURLBase: b.approvalURLBase})
		if err != nil {
			return nil, nil, fmt.Errorf("partner tenant %s: %w", tenant, err)
		}
		acts.Partners = append(acts.Partners, activities.Partner{TenantID: tenant, PartnerCenter: pc, Graph: gr})
	}
	return acts, limiters, nil
}

func notifier(cfg config.Worker, log *zap.Logger) notify.Notifier {
	if cfg.SMTP.Addr == "" {
		return notify.Log{Logger: log.Named("notify")}
	}
	return notify.SMTP{Addr: cfg.SMTP.Addr, From: cfg.SMTP.From, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password.Reveal(),
		TLS: cfg.SMTP.TLS, CAFile: cfg.SMTP.CAFile}
}
