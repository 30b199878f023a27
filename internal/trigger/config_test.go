package trigger

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/mocks"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/config"
)

func TestLoadTriggerConfig(t *testing.T) {
	pki := newTestPKI(t)
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	require.NoError(t, os.WriteFile(rootFile, pki.rootPEM, 0o600))
	notPEM := filepath.Join(t.TempDir(), "root.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	const token = "s3cr3t-onboarding-token-value"
	key, err := codec.NewKey("k1")
	require.NoError(t, err)

	tests := []struct {
		name    string
		env     config.Map
		wantErr []string
		check   func(t *testing.T, c config.Trigger)
	}{
		{name: "production defaults", env: config.Map{"CSP_ONBOARDING_TOKEN": token}, check: func(t *testing.T, c config.Trigger) {
			require.Equal(t, "127.0.0.1:8090", c.Addr)
			require.False(t, c.Sandbox())
			require.Equal(t, []string{config.DefaultWebhookCertHost}, c.CertHosts)
			require.True(t, c.SystemRoots)
			require.Equal(t, 24*time.Hour, c.MaxEventAge)
			require.Equal(t, 15*time.Minute, c.ReconcileEvery)
			require.NotContains(t, strings.Join([]string{c.OnboardingToken.String()}, ""), token)
		}},
		{name: "production needs a token", env: config.Map{}, wantErr: []string{"CSP_ONBOARDING_TOKEN", "required outside sandbox mode"}},
		{name: "short token", env: config.Map{"CSP_ONBOARDING_TOKEN": "short"}, wantErr: []string{"CSP_ONBOARDING_TOKEN", "at least 16"}},
		{name: "sandbox without a token", env: config.Map{"CSP_TRIGGER_MODE": "Sandbox", "CSP_SANDBOX_URL": "http://127.0.0.1:18089/"},
			check: func(t *testing.T, c config.Trigger) {
				require.True(t, c.Sandbox())
				require.Empty(t, c.OnboardingToken)
				require.Equal(t, "http://127.0.0.1:18089", c.SandboxURL)
				require.Equal(t, []string{"127.0.0.1:18089"}, c.CertHosts)
				require.False(t, c.SystemRoots, "the sandbox's root is fetched instead")
				v, err := NewVerifier(c)
				require.NoError(t, err)
				require.Equal(t, "http://127.0.0.1:18089/sandbox/certs/root.pem", v.RootsURL)
				require.True(t, v.AllowHTTP)
			}},
		{name: "root CA from a file, hosts and intervals", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_WEBHOOK_ROOT_CA": rootFile,
			"CSP_WEBHOOK_CERT_HOSTS": "certs.example.com, 10.0.0.1:8443", "CSP_RECONCILE_EVERY": "off", "CSP_WEBHOOK_MAX_AGE": "48h"},
			check: func(t *testing.T, c config.Trigger) {
				require.Equal(t, pki.rootPEM, c.RootCAPEM)
				require.Equal(t, []string{"certs.example.com", "10.0.0.1:8443"}, c.CertHosts)
				require.Zero(t, c.ReconcileEvery)
				require.Equal(t, 48*time.Hour, c.MaxEventAge)
				v, err := NewVerifier(c)
				require.NoError(t, err)
				require.NotNil(t, v.Roots)
				require.False(t, v.AllowHTTP)
			}},
		{name: "every bad value named", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_TRIGGER_ADDR": "8090", "CSP_TRIGGER_MODE": "dev",
			"CSP_RECONCILE_EVERY": "10s", "CSP_WEBHOOK_MAX_AGE": "forever", "CSP_WEBHOOK_CERT_HOSTS": "https://x/y", "CSP_WEBHOOK_ROOT_CA": notPEM},
			wantErr: []string{"CSP_TRIGGER_ADDR", "CSP_TRIGGER_MODE", "CSP_RECONCILE_EVERY", "CSP_WEBHOOK_MAX_AGE", "CSP_WEBHOOK_CERT_HOSTS", "CSP_WEBHOOK_ROOT_CA"}},
		{name: "production named in any case", env: config.Map{"CSP_TRIGGER_MODE": "PRODUCTION"},
			wantErr: []string{"CSP_ONBOARDING_TOKEN: required outside sandbox mode", "CSP_TRIGGER_MODE=sandbox"}},
		{name: "codec keys need a codec token outside sandbox mode", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_CODEC_KEYS": key},
			wantErr: []string{"CSP_CODEC_TOKEN: required outside sandbox mode when codec keys are set"}},
		{name: "short codec token", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_CODEC_KEYS": key, "CSP_CODEC_TOKEN": "short"},
			wantErr: []string{"CSP_CODEC_TOKEN: too short"}},
		{name: "codec token and hosts", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_CODEC_KEYS": key,
			"CSP_CODEC_TOKEN": "codec-token-0123456789", "CSP_CODEC_HOSTS": "Codec.Partner.Example, trigger:8090"},
			check: func(t *testing.T, c config.Trigger) {
				require.NotNil(t, c.Codec)
				require.Equal(t, "codec-token-0123456789", c.CodecToken.Reveal())
				require.Equal(t, []string{"codec.partner.example", "trigger:8090"}, c.CodecHosts)
				require.Empty(t, c.CodecOrigins, "no browser origin unless configured")
			}},
		{name: "bad codec host", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_CODEC_HOSTS": "https://codec.partner.example/"},
			wantErr: []string{`CSP_CODEC_HOSTS: "https://codec.partner.example/" is not a host name (expected e.g. codec.example.com`}},
		{name: "sandbox codec without a token", env: config.Map{"CSP_TRIGGER_MODE": "sandbox", "CSP_CODEC_KEYS": key},
			check: func(t *testing.T, c config.Trigger) {
				require.NotNil(t, c.Codec)
				require.Empty(t, c.CodecToken)
				require.Equal(t, []string{"http://localhost:8233", "http://127.0.0.1:8233"}, c.CodecOrigins)
			}},
		{name: "missing root CA file", env: config.Map{"CSP_ONBOARDING_TOKEN": token, "CSP_WEBHOOK_ROOT_CA": filepath.Join(t.TempDir(), "nope.pem")},
			wantErr: []string{"CSP_WEBHOOK_ROOT_CA", "nope.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.LoadTriggerFrom(tt.env)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, want := range tt.wantErr {
					require.Contains(t, err.Error(), want)
				}
				require.NotContains(t, err.Error(), token, "the token is never echoed")
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

// In sandbox mode without a token the onboarding API is open; with one, only the exact token passes, and
// a token that only shares a prefix or differs in length fails the same way.
func TestOnboardingAuth(t *testing.T) {
	pki := newTestPKI(t)
	body := `{"customerTenantId":"contoso"}` // invalid on purpose: validation answers before Temporal is called
	tests := []struct {
		name       string
		configured string
		header     string
		want       int
	}{
		{name: "open in sandbox mode", configured: "", header: "", want: http.StatusBadRequest},
		{name: "missing", configured: "0123456789abcdef", header: "", want: http.StatusUnauthorized},
		{name: "wrong scheme", configured: "0123456789abcdef", header: "Basic 0123456789abcdef", want: http.StatusUnauthorized},
		{name: "prefix", configured: "0123456789abcdef", header: "Bearer 0123456789abcde", want: http.StatusUnauthorized},
		{name: "longer", configured: "0123456789abcdef", header: "Bearer 0123456789abcdef0", want: http.StatusUnauthorized},
		{name: "right", configured: "0123456789abcdef", header: "Bearer 0123456789abcdef", want: http.StatusBadRequest},
		{name: "right, scheme in lower case", configured: "0123456789abcdef", header: "bearer 0123456789abcdef", want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &mocks.Client{}
			s, err := New(Options{Client: c, Verifier: pki.verifier(t), OnboardingToken: tt.configured})
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodPost, "/v1/transfers", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
			if tt.want == http.StatusUnauthorized {
				require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
			} else {
				require.Contains(t, rec.Body.String(), `"field":"customerTenantId"`)
				require.Contains(t, rec.Body.String(), `"field":"customerDomain"`)
			}
			c.AssertExpectations(t)
		})
	}
}

func TestOnboardingRefusesOversizedAndNonJSONBodies(t *testing.T) {
	s, err := New(Options{Client: &mocks.Client{}, Verifier: newTestPKI(t).verifier(t)})
	require.NoError(t, err)
	for _, tt := range []struct {
		ctype, body string
		want        int
	}{
		{"application/json", `{"customerName":"` + strings.Repeat("x", MaxTransferBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"text/csv", "a,b", http.StatusUnsupportedMediaType},
		{"application/json", `{} {}`, http.StatusBadRequest},
		{"application/json; charset=utf-8", `{"customerTenantId":1}`, http.StatusBadRequest},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/transfers", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.ctype)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		require.Equal(t, tt.want, rec.Code, rec.Body.String())
		require.Contains(t, rec.Body.String(), `"error"`)
	}
}
