package trigger

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/config"
)

// Outside sandbox mode the service does not start with an open onboarding API or codec endpoint, even
// from a configuration built in code; it stops before listening or dialing Temporal.
func TestRunRefusesOpenEndpointsOutsideSandbox(t *testing.T) {
	key, err := codec.NewKey("k1")
	require.NoError(t, err)
	ring, err := codec.ParseRing(key)
	require.NoError(t, err)
	tests := []struct {
		name string
		cfg  config.Trigger
		want []string
	}{
		{name: "no mode is production", cfg: config.Trigger{Addr: "127.0.0.1:0"}, want: []string{"CSP_ONBOARDING_TOKEN: required"}},
		{name: "production without tokens", cfg: config.Trigger{Mode: config.TriggerModeProduction, Addr: "127.0.0.1:0", Codec: ring},
			want: []string{"CSP_ONBOARDING_TOKEN: required", "CSP_CODEC_TOKEN: required"}},
		{name: "codec keys without a codec token", cfg: config.Trigger{Mode: config.TriggerModeProduction, Addr: "127.0.0.1:0",
			OnboardingToken: "0123456789abcdef", Codec: ring}, want: []string{"CSP_CODEC_TOKEN: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Main{Config: tt.cfg, Log: zaptest.NewLogger(t)}).Run(context.Background())
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorContains(t, err, want)
			}
		})
	}
	t.Run("sandbox may run open", func(t *testing.T) {
		require.NoError(t, checkTokens(config.Trigger{Mode: config.TriggerModeSandbox, Codec: ring}))
	})
	t.Run("production with both tokens", func(t *testing.T) {
		require.NoError(t, checkTokens(config.Trigger{Mode: config.TriggerModeProduction, OnboardingToken: "0123456789abcdef",
			Codec: ring, CodecToken: "codec-token-0123456789"}))
	})
}

// The codec endpoint the service builds from its configuration: outside sandbox mode it needs the token;
// in every mode it answers only under loopback names and CSP_CODEC_HOSTS.
func TestCodecEndpointFromConfig(t *testing.T) {
	key, err := codec.NewKey("k1")
	require.NoError(t, err)
	const codecToken = "codec-token-0123456789"
	production, err := config.LoadTriggerFrom(config.Map{
		"CSP_ONBOARDING_TOKEN": "s3cr3t-onboarding-token-value", "CSP_CODEC_KEYS": key,
		"CSP_CODEC_TOKEN": codecToken, "CSP_CODEC_HOSTS": "codec.partner.example",
	})
	require.NoError(t, err)
	sandbox, err := config.LoadTriggerFrom(config.Map{"CSP_TRIGGER_MODE": "sandbox", "CSP_CODEC_KEYS": key})
	require.NoError(t, err)
	none, err := config.LoadTriggerFrom(config.Map{"CSP_ONBOARDING_TOKEN": "s3cr3t-onboarding-token-value"})
	require.NoError(t, err)
	require.Nil(t, codecEndpoint(none), "no keys, no codec endpoint")

	tests := []struct {
		name, host, token string
		cfg               config.Trigger
		want              int
	}{
		{name: "production, token, loopback", cfg: production, host: "127.0.0.1:8090", token: codecToken, want: http.StatusOK},
		{name: "production, token, configured host", cfg: production, host: "codec.partner.example", token: codecToken, want: http.StatusOK},
		{name: "production, no token", cfg: production, host: "localhost:8090", want: http.StatusUnauthorized},
		{name: "production, wrong token", cfg: production, host: "localhost:8090", token: "wrong-token-0123456789", want: http.StatusUnauthorized},
		{name: "production, token, foreign host", cfg: production, host: "rebind.example:8090", token: codecToken, want: http.StatusMisdirectedRequest},
		{name: "sandbox, no token, loopback", cfg: sandbox, host: "localhost:8090", want: http.StatusOK},
		{name: "sandbox, no token, foreign host", cfg: sandbox, host: "rebind.example:8090", want: http.StatusMisdirectedRequest},
		{name: "sandbox, configured host of production", cfg: sandbox, host: "codec.partner.example", want: http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/codec/decode", bytes.NewReader([]byte(`{"payloads":[]}`)))
			req.Host = tt.host
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			codecEndpoint(tt.cfg).ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
		})
	}
}
