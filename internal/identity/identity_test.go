package identity_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/identity"
)

const (
	clientID     = "sandbox-app"
	clientSecret = "sandbox-secret-Zq8"
	refreshToken = "sandbox-refresh-token-Xy1"
)

// entra is a fake Microsoft identity platform token endpoint.
type entra struct {
	mu        sync.Mutex
	calls     map[string]int // by tenant+grant
	forms     []map[string]string
	expiresIn int
	fail      func(w http.ResponseWriter, form map[string]string) bool
	rotate    bool
}

func (e *entra) handler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tenant := strings.Split(strings.TrimPrefix(r.URL.Path, "/login/"), "/")[0]
		form := map[string]string{"tenant": tenant}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		e.mu.Lock()
		e.calls[tenant+"/"+form["grant_type"]]++
		n := e.calls[tenant+"/"+form["grant_type"]]
		e.forms = append(e.forms, form)
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if e.fail != nil && e.fail(w, form) {
			return
		}
		if form["client_id"] != clientID || form["client_secret"] != clientSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc\r\nCorrelation ID: def","error_codes":[7000215]}`)
			return
		}
		resp := map[string]any{
			"token_type":   "Bearer",
			"expires_in":   e.expiresIn,
			"access_token": fmt.Sprintf("at-%s-%s-%d", tenant, form["grant_type"], n),
		}
		if form["grant_type"] == "refresh_token" && e.rotate {
			resp["refresh_token"] = fmt.Sprintf("rt-%d", n+1)
		}
		_ = json.NewEncoder(w).Encode(resp)
	})
}

func setup(t *testing.T, cfg identity.Config) (*identity.Provider, *entra) {
	t.Helper()
	e := &entra{calls: map[string]int{}, expiresIn: 3599}
	srv := httptest.NewServer(e.handler(t))
	t.Cleanup(srv.Close)
	cfg.Authority = srv.URL + "/login"
	if cfg.ClientID == "" {
		cfg.ClientID = clientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = clientSecret
	}
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	p, err := identity.New(cfg)
	require.NoError(t, err)
	return p, e
}

func (e *entra) count(key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[key]
}

func TestAppOnlyTokenIsCachedPerTenantAndScope(t *testing.T) {
	p, e := setup(t, identity.Config{})
	src := p.AppOnly("tenant-a", identity.ScopePartnerCenterApp)
	for range 3 {
		tok, err := src.Token()
		require.NoError(t, err)
		require.Equal(t, "at-tenant-a-client_credentials-1", tok.AccessToken)
		require.Equal(t, "Bearer", tok.TokenType)
	}
	require.Equal(t, 1, e.count("tenant-a/client_credentials"))
	require.Equal(t, map[string]string{
		"tenant": "tenant-a", "grant_type": "client_credentials", "client_id": clientID,
		"client_secret": clientSecret, "scope": identity.ScopePartnerCenterApp,
	}, e.forms[0])

	// The same key returns the same cached source; other tenants and scopes
	// get their own.
	_, err := p.AppOnly("tenant-a", identity.ScopePartnerCenterApp).Token()
	require.NoError(t, err)
	require.Equal(t, 1, e.count("tenant-a/client_credentials"))
	_, err = p.GraphTokens("tenant-a").Token()
	require.NoError(t, err)
	_, err = p.AppOnly("tenant-b", identity.ScopeGraph).Token()
	require.NoError(t, err)
	require.Equal(t, 2, e.count("tenant-a/client_credentials"))
	require.Equal(t, 1, e.count("tenant-b/client_credentials"))
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	p, e := setup(t, identity.Config{})
	// A token that expires within the early-expiry margin is never reused.
	e.expiresIn = 60
	src := p.AppOnly("tenant-a", identity.ScopeGraph)
	t1, err := src.Token()
	require.NoError(t, err)
	t2, err := src.Token()
	require.NoError(t, err)
	require.NotEqual(t, t1.AccessToken, t2.AccessToken)
	require.Equal(t, 2, e.count("tenant-a/client_credentials"))
}

func TestConcurrentTokenRequests(t *testing.T) {
	p, e := setup(t, identity.Config{RefreshToken: refreshToken})
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 64 {
		wg.Go(func() {
			tenant := fmt.Sprintf("tenant-%d", (i/2)%4)
			var src oauth2.TokenSource
			if i%2 == 0 {
				src = p.AppOnly(tenant, identity.ScopePartnerCenterApp)
			} else {
				src = p.AppUser(tenant, identity.ScopePartnerCenterUser)
			}
			if _, err := src.Token(); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	for i := range 4 {
		require.Equal(t, 1, e.count(fmt.Sprintf("tenant-%d/client_credentials", i)))
		require.Equal(t, 1, e.count(fmt.Sprintf("tenant-%d/refresh_token", i)))
	}
}

func TestAppUserRedeemsAndRotatesRefreshToken(t *testing.T) {
	p, e := setup(t, identity.Config{RefreshToken: refreshToken})
	e.rotate = true
	tok, err := p.AppUser("partner", identity.ScopePartnerCenterUser).Token()
	require.NoError(t, err)
	require.Equal(t, "at-partner-refresh_token-1", tok.AccessToken)
	require.Empty(t, tok.RefreshToken, "refresh tokens stay inside the provider")
	require.Equal(t, map[string]string{
		"tenant": "partner", "grant_type": "refresh_token", "client_id": clientID, "client_secret": clientSecret,
		"refresh_token": refreshToken, "scope": identity.ScopePartnerCenterUser,
	}, e.forms[0])
	require.Equal(t, "rt-2", p.RefreshToken("partner"))

	// Another scope of the same tenant redeems the rotated token; another
	// tenant still starts from the configured one.
	_, err = p.AppUser("partner", "https://graph.microsoft.com/.default").Token()
	require.NoError(t, err)
	require.Equal(t, "rt-2", e.forms[1]["refresh_token"])
	_, err = p.AppUser("other", identity.ScopePartnerCenterUser).Token()
	require.NoError(t, err)
	require.Equal(t, refreshToken, e.forms[2]["refresh_token"])
	require.Equal(t, refreshToken, p.RefreshToken("unused"))
}

func TestAppUserWithoutRefreshToken(t *testing.T) {
	p, _ := setup(t, identity.Config{})
	require.False(t, p.HasRefreshToken())
	require.Nil(t, p.AppUser("partner", identity.ScopePartnerCenterUser))
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name          string
		secret        string
		fail          func(w http.ResponseWriter, form map[string]string) bool
		tenant        string
		wantCode      string
		wantAADSTS    string
		wantStatus    int
		wantRetryable bool
		wantMsg       string
	}{
		{
			name: "invalid client secret", secret: "wrong-secret-Q1", tenant: "t1",
			wantCode: "invalid_client", wantAADSTS: "AADSTS7000215", wantStatus: 401,
			wantMsg: "token for tenant t1: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided.",
		},
		{
			name: "description echoing the secret is redacted", tenant: "t1",
			fail: func(w http.ResponseWriter, form map[string]string) bool {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = fmt.Fprintf(w, `{"error":"invalid_request","error_description":"AADSTS900144: bad value %s"}`, form["client_secret"])
				return true
			},
			wantCode: "invalid_request", wantAADSTS: "AADSTS900144", wantStatus: 400,
			wantMsg: "bad value [redacted]",
		},
		{
			name: "server error is retryable", tenant: "t1",
			fail: func(w http.ResponseWriter, _ map[string]string) bool {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = fmt.Fprint(w, `{"error":"temporarily_unavailable","error_description":"AADSTS50196: try later"}`)
				return true
			},
			wantCode: "temporarily_unavailable", wantAADSTS: "AADSTS50196", wantStatus: 503, wantRetryable: true,
		},
		{
			name: "non-json error", tenant: "t1",
			fail: func(w http.ResponseWriter, _ map[string]string) bool {
				w.WriteHeader(http.StatusBadGateway)
				_, _ = fmt.Fprint(w, `<html>bad gateway</html>`)
				return true
			},
			wantCode: "unexpected_response", wantStatus: 502, wantRetryable: true,
		},
		{
			name: "bad tenant", tenant: "a/b", wantMsg: "not a GUID or domain",
		},
		{
			name: "empty tenant", tenant: "", wantMsg: "tenant id is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, e := setup(t, identity.Config{ClientSecret: tt.secret})
			e.fail = tt.fail
			_, err := p.AppOnly(tt.tenant, identity.ScopeGraph).Token()
			require.Error(t, err)
			require.NotContains(t, err.Error(), clientSecret)
			require.NotContains(t, err.Error(), "wrong-secret-Q1")
			if tt.wantMsg != "" {
				require.Contains(t, err.Error(), tt.wantMsg)
			}
			if tt.wantCode == "" {
				return
			}
			var te *identity.TokenError
			require.True(t, errors.As(err, &te), "%T %v", err, err)
			require.Equal(t, tt.wantCode, te.Code)
			require.Equal(t, tt.wantAADSTS, te.AADSTS)
			require.Equal(t, tt.wantStatus, te.StatusCode)
			require.Equal(t, tt.wantRetryable, te.Retryable)
			require.NotContains(t, te.Description, "Trace ID")
		})
	}
}

func TestTransportErrorIsTypedAndRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	p, err := identity.New(identity.Config{Authority: url, ClientID: clientID, ClientSecret: clientSecret, HTTPClient: &http.Client{Timeout: time.Second}})
	require.NoError(t, err)
	_, err = p.AppOnly("t1", identity.ScopeGraph).Token()
	var te *identity.TokenError
	require.True(t, errors.As(err, &te), "%T %v", err, err)
	require.Equal(t, "transport", te.Code)
	require.True(t, te.Retryable)
	require.True(t, te.Temporary())
	require.NotContains(t, err.Error(), clientSecret)
}

func TestConfigNeverRevealsSecrets(t *testing.T) {
	cfg := identity.Config{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refreshToken}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "identity", cfg)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	outputs := []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		//lint:ignore S1025 every formatting verb is tried on purpose: each must redact the secret
		fmt.Sprintf("%s", cfg), fmt.Sprintf("%v", &cfg), string(js), logs.String(),
	}
	for _, out := range outputs {
		require.NotContains(t, out, clientSecret)
		require.NotContains(t, out, refreshToken)
		require.Contains(t, out, clientID)
		require.Contains(t, out, "[redacted]")
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  identity.Config
		want string
	}{
		{name: "no client id", cfg: identity.Config{ClientSecret: "s"}, want: "client id is required"},
		{name: "no secret", cfg: identity.Config{ClientID: "c"}, want: "client secret is required"},
		{name: "bad authority", cfg: identity.Config{ClientID: "c", ClientSecret: "s", Authority: "login"}, want: "authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := identity.New(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
	p, err := identity.New(identity.Config{ClientID: "c", ClientSecret: "s"})
	require.NoError(t, err)
	require.NotNil(t, p)
}
