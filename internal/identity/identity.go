// Package identity acquires access tokens from the Microsoft identity platform
// (Entra ID) for Partner Center and Microsoft Graph.
//
// Two flows are supported: app-only client credentials, and App+User from a
// stored refresh token (the Secure Application Model Partner Center requires
// for App+User-only endpoints such as the reseller relationship link). Token
// sources are cached per (tenant, scopes, flow), reuse a token until shortly
// before it expires, and are safe for concurrent use.
package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// Scopes used by csptransfer.
const (
	// ScopePartnerCenterApp is the app-only Partner Center scope.
	ScopePartnerCenterApp = "https://api.partnercenter.microsoft.com/.default"
	// ScopePartnerCenterUser is the delegated (App+User) Partner Center scope.
	ScopePartnerCenterUser = "https://api.partnercenter.microsoft.com/user_impersonation"
	// ScopeGraph is the app-only Microsoft Graph scope.
	ScopeGraph = "https://graph.microsoft.com/.default"
)

// DefaultAuthority is the Microsoft identity platform of the global cloud.
const DefaultAuthority = "https://login.microsoftonline.com"

// earlyExpiry is how long before a token's expiry a new one is fetched, so a
// token never expires between being handed out and reaching the API.
const earlyExpiry = 5 * time.Minute

const redacted = "[redacted]"

// ErrNoRefreshToken is returned by App+User token sources when no refresh
// token is configured.
var ErrNoRefreshToken = errors.New("no refresh token configured for App+User access")

// ErrAppUserAccessLost matches (errors.Is) a *TokenError for a refresh token
// Entra refused (invalid_grant: expired, revoked, or the user's consent
// withdrawn). Nothing retries it away: an operator signs in again with the
// partner's Secure Application Model consent and sets a new
// PARTNER_CENTER_REFRESH_TOKEN (or the token store).
var ErrAppUserAccessLost = errors.New("App+User access lost: the refresh token was refused; consent again (Secure Application Model) and set a new PARTNER_CENTER_REFRESH_TOKEN")

// Config holds the application's credentials. Its String, GoString,
// LogValue and MarshalJSON methods redact the secret and the refresh token,
// so a Config may be logged.
type Config struct {
	// Optional: Authority is the identity platform's base URL.
	// default: https://login.microsoftonline.com
	Authority string
	// ClientID is the application (client) ID.
	ClientID string
	// ClientSecret is the application's client secret.
	ClientSecret string
	// Optional: RefreshToken is a stored App+User refresh token. Without it
	// App+User token sources fail with ErrNoRefreshToken.
	RefreshToken string
	// Optional: Tokens keeps the newest refresh token of each tenant across
	// restarts; a stored token wins over RefreshToken.
	// default: rotated tokens are kept in memory only
	Tokens TokenStore
	// Optional: OnStoreError is told when a rotated token could not be saved
	// (the token in use is unaffected; a restart would fall back to an older
	// one). Its error never contains a token.
	OnStoreError func(tenantID string, err error)
	// Optional: HTTPClient talks to the token endpoint.
	// default: msrest.NewHTTPClient with a 30s overall timeout
	HTTPClient *http.Client
}

// String implements fmt.Stringer without revealing secrets.
func (c Config) String() string {
	return fmt.Sprintf("identity.Config{Authority:%q ClientID:%q ClientSecret:%s RefreshToken:%s}",
		c.Authority, c.ClientID, mask(c.ClientSecret), mask(c.RefreshToken))
}

// GoString implements fmt.GoStringer (the %#v verb) without revealing secrets.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without revealing secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("authority", c.Authority),
		slog.String("clientId", c.ClientID),
		slog.String("clientSecret", mask(c.ClientSecret)),
		slog.String("refreshToken", mask(c.RefreshToken)),
	)
}

// MarshalJSON implements json.Marshaler without revealing secrets.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"authority":    c.Authority,
		"clientId":     c.ClientID,
		"clientSecret": mask(c.ClientSecret),
		"refreshToken": mask(c.RefreshToken),
	})
}

func mask(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// Provider hands out cached token sources. It is safe for concurrent use.
type Provider struct {
	cfg       Config
	authority *url.URL
	ctx       context.Context // carries the HTTP client for the oauth2 package

	mu      sync.Mutex
	sources map[string]oauth2.TokenSource
	// rotated holds, per tenant, the newest refresh token Entra returned:
	// it may rotate the token on every use, and a rotated token is only
	// good for the tenant that issued it.
	rotated map[string]string
}

// New validates cfg and returns a Provider.
func New(cfg Config) (*Provider, error) {
	if cfg.Authority == "" {
		cfg.Authority = DefaultAuthority
	}
	authority, err := msrest.ParseBaseURL(cfg.Authority)
	if err != nil {
		return nil, fmt.Errorf("identity authority: %w", err)
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("identity: client id is required")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("identity: client secret is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = msrest.NewHTTPClient()
		cfg.HTTPClient.Timeout = 30 * time.Second
	}
	rotated := map[string]string{}
	if cfg.Tokens != nil {
		stored, err := cfg.Tokens.Load()
		if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		for tenant, rt := range stored {
			if rt != "" {
				rotated[strings.ToLower(tenant)] = rt
			}
		}
	}
	return &Provider{
		cfg:       cfg,
		authority: authority,
		ctx:       context.WithValue(context.Background(), oauth2.HTTPClient, cfg.HTTPClient),
		sources:   map[string]oauth2.TokenSource{},
		rotated:   rotated,
	}, nil
}

// HasRefreshToken reports whether App+User tokens can be obtained.
func (p *Provider) HasRefreshToken() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.RefreshToken != "" || len(p.rotated) > 0
}

// RefreshToken returns the newest refresh token for a tenant (Entra rotates
// them), so the caller can persist it. Treat the value as a secret.
func (p *Provider) RefreshToken(tenantID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rt, ok := p.rotated[strings.ToLower(tenantID)]; ok {
		return rt
	}
	return p.cfg.RefreshToken
}

// AppOnly returns a cached client-credentials token source for tenantID and
// scopes (for example ScopePartnerCenterApp or ScopeGraph).
func (p *Provider) AppOnly(tenantID string, scopes ...string) oauth2.TokenSource {
	return p.source("app", tenantID, scopes, func(tokenURL string, scopes []string) oauth2.TokenSource {
		cc := &clientcredentials.Config{
			ClientID:     p.cfg.ClientID,
			ClientSecret: p.cfg.ClientSecret,
			TokenURL:     tokenURL,
			Scopes:       scopes,
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		return cc.TokenSource(p.ctx)
	})
}

// AppUser returns a cached App+User token source for tenantID and scopes
// (for example ScopePartnerCenterUser), redeeming the stored refresh token.
// Without a refresh token it returns nil, so callers can fall back to an
// app-only source.
func (p *Provider) AppUser(tenantID string, scopes ...string) oauth2.TokenSource {
	if !p.HasRefreshToken() {
		return nil
	}
	return p.source("user", tenantID, scopes, func(tokenURL string, scopes []string) oauth2.TokenSource {
		return &refreshSource{p: p, tenantID: tenantID, tokenURL: tokenURL, scopes: scopes}
	})
}

// GraphTokens returns the app-only Microsoft Graph token source for a
// tenant; its signature fits graph.Config.Tokens.
func (p *Provider) GraphTokens(tenantID string) oauth2.TokenSource {
	return p.AppOnly(tenantID, ScopeGraph)
}

func (p *Provider) source(kind, tenantID string, scopes []string, build func(tokenURL string, scopes []string) oauth2.TokenSource) oauth2.TokenSource {
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	key := kind + "\x00" + tenantID + "\x00" + strings.Join(scopes, " ")

	p.mu.Lock()
	defer p.mu.Unlock()
	if src, ok := p.sources[key]; ok {
		return src
	}
	if err := validTenant(tenantID); err != nil {
		// Not cached: a stream of bad tenant IDs must not grow the map.
		return failing{err: err}
	}
	u := *p.authority
	u.Path = p.authority.Path + "/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token"
	inner := &typedErrors{src: build(u.String(), scopes), tenant: tenantID, secrets: p.secrets, appUser: kind == "user"}
	src := oauth2.ReuseTokenSourceWithExpiry(nil, inner, earlyExpiry)
	p.sources[key] = src
	return src
}

// secrets lists the values that must never appear in an error.
func (p *Provider) secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []string{p.cfg.ClientSecret, p.cfg.RefreshToken}
	for _, rt := range p.rotated {
		out = append(out, rt)
	}
	return out
}

func validTenant(tenantID string) error {
	if strings.TrimSpace(tenantID) == "" {
		return errors.New("token: tenant id is required")
	}
	if strings.ContainsAny(tenantID, "/?#\\ ") {
		return fmt.Errorf("token: tenant id %q is not a GUID or domain", tenantID)
	}
	return nil
}

// refreshSource redeems the provider's refresh token. It uses the
// client-credentials machinery with grant_type overridden because, unlike
// oauth2.Config's refresher, that sends the scope parameter, which the v2.0
// endpoint needs to know which resource the access token is for.
type refreshSource struct {
	p        *Provider
	tenantID string
	tokenURL string
	scopes   []string
}

// Token implements oauth2.TokenSource.
func (s *refreshSource) Token() (*oauth2.Token, error) {
	rt := s.p.RefreshToken(s.tenantID)
	if rt == "" {
		return nil, ErrNoRefreshToken
	}
	cc := &clientcredentials.Config{
		ClientID:     s.p.cfg.ClientID,
		ClientSecret: s.p.cfg.ClientSecret,
		TokenURL:     s.tokenURL,
		Scopes:       s.scopes,
		AuthStyle:    oauth2.AuthStyleInParams,
		EndpointParams: url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {rt},
		},
	}
	tok, err := cc.Token(s.p.ctx)
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		s.p.mu.Lock()
		s.p.rotated[strings.ToLower(s.tenantID)] = tok.RefreshToken
		s.p.mu.Unlock()
		if store := s.p.cfg.Tokens; store != nil {
			if err := store.Save(s.tenantID, tok.RefreshToken); err != nil && s.p.cfg.OnStoreError != nil {
				s.p.cfg.OnStoreError(s.tenantID, err)
			}
		}
	}
	// The refresh token stays with the provider; handing it out with every
	// access token would only spread a long-lived secret.
	tok.RefreshToken = ""
	return tok, nil
}

type failing struct{ err error }

// Token implements oauth2.TokenSource.
func (f failing) Token() (*oauth2.Token, error) { return nil, f.err }

// TokenError is a failure to obtain a token. It names Entra's error code
// (for example invalid_client) and AADSTS code (for example AADSTS7000215,
// invalid client secret) and never contains the secret or a token.
type TokenError struct {
	// TenantID is the tenant the token was requested for.
	TenantID string
	// StatusCode is the token endpoint's HTTP status, 0 when none.
	StatusCode int
	// Code is the OAuth error code (invalid_client, invalid_grant, ...), or
	// "transport" when the endpoint could not be reached.
	Code string
	// AADSTS is the Entra error number from the description, if any.
	AADSTS string
	// Description is the first line of Entra's error description.
	Description string
	// Retryable reports whether asking again may succeed (network errors,
	// throttling and server errors; not bad credentials).
	Retryable bool

	cause error
	// appUser says the token was an App+User one, redeemed from a refresh token.
	appUser bool
}

// Error implements error.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token for tenant %s: ", e.TenantID)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.StatusCode)
	}
	b.WriteString(e.Code)
	if e.AADSTS != "" && !strings.HasPrefix(e.Description, e.AADSTS) {
		fmt.Fprintf(&b, " (%s)", e.AADSTS)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %v", e.cause)
	}
	if e.Is(ErrAppUserAccessLost) {
		fmt.Fprintf(&b, " (%v)", ErrAppUserAccessLost)
	}
	return b.String()
}

// Unwrap returns the network error behind a transport failure.
func (e *TokenError) Unwrap() error { return e.cause }

// Is reports ErrAppUserAccessLost for a refused refresh token.
func (e *TokenError) Is(target error) bool {
	return target == ErrAppUserAccessLost && e.appUser && e.Code == "invalid_grant"
}

// Temporary reports Retryable; msrest.IsRetryable consults it, so callers
// classify token failures and API failures the same way.
func (e *TokenError) Temporary() bool { return e.Retryable }

var aadsts = regexp.MustCompile(`AADSTS\d+`)

// typedErrors converts the oauth2 package's errors into *TokenError.
type typedErrors struct {
	src     oauth2.TokenSource
	tenant  string
	secrets func() []string
	appUser bool
}

// Token implements oauth2.TokenSource.
func (t *typedErrors) Token() (*oauth2.Token, error) {
	tok, err := t.src.Token()
	if err == nil {
		return tok, nil
	}
	if errors.Is(err, ErrNoRefreshToken) {
		return nil, err
	}
	te := &TokenError{TenantID: t.tenant, appUser: t.appUser}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		te.Code = re.ErrorCode
		if te.Code == "" {
			te.Code = "unexpected_response"
		}
		desc, _, _ := strings.Cut(re.ErrorDescription, "\n")
		te.Description = t.redact(strings.TrimSpace(desc))
		te.AADSTS = aadsts.FindString(re.ErrorDescription)
		te.Retryable = te.StatusCode == http.StatusTooManyRequests || te.StatusCode >= 500
	default:
		te.Code = "transport"
		te.Retryable = true
		te.cause = errors.New(t.redact(err.Error()))
	}
	return nil, te
}

func (t *typedErrors) redact(s string) string {
	for _, secret := range t.secrets() {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	return s
}
