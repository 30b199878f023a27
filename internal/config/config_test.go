package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/codec"
)

func TestLoadWorkerDefaults(t *testing.T) {
	w, err := LoadWorkerFrom(Map{})
	require.NoError(t, err)
	require.Equal(t, "console", w.Log.Format)
	require.Equal(t, "info", w.Log.Level)
	require.Equal(t, 30*time.Second, w.StopTimeout)
	require.Equal(t, "127.0.0.1:9090", w.MetricsAddr)
	require.False(t, w.PartnerCenter.Configured())
	require.Equal(t, "127.0.0.1:8089", w.Sandbox.Addr)
	require.Equal(t, "https://api.partnercenter.microsoft.com", w.PartnerCenter.BaseURL)
	require.Empty(t, w.Temporal.HostPort, "empty means the SDK default localhost:7233")
}

func TestLoadWorkerReadsTemporalSettings(t *testing.T) {
	w, err := LoadWorkerFrom(Map{"TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_NAMESPACE": "transfers"})
	require.NoError(t, err)
	require.Equal(t, "temporal:7233", w.Temporal.HostPort)
	require.Equal(t, "transfers", w.Temporal.Namespace)
}

func TestLoadWorkerNamesEveryBadVariable(t *testing.T) {
	_, err := LoadWorkerFrom(Map{
		"CSP_LOG_FORMAT":            "xml",
		"CSP_WORKER_STOP_TIMEOUT":   "forever",
		"CSP_SANDBOX_ADDR":          "8089",
		"PARTNER_CENTER_CLIENT_ID":  "app",
		"PARTNER_CENTER_BASE_URL":   "ftp://x",
		"PARTNER_CENTER_TENANT_IDS": "not-a-guid",
	})
	require.Error(t, err)
	for _, want := range []string{
		`CSP_LOG_FORMAT: "xml" is not one of console, json`,
		`CSP_WORKER_STOP_TIMEOUT: "forever" is not a duration`,
		`CSP_SANDBOX_ADDR: "8089": expected host:port`,
		`PARTNER_CENTER_BASE_URL: "ftp://x" is not an absolute http(s) URL`,
		`PARTNER_CENTER_TENANT_IDS: "not-a-guid" is not a GUID`,
		`PARTNER_CENTER_CLIENT_SECRET: required when PARTNER_CENTER_CLIENT_ID is set`,
	} {
		require.Contains(t, err.Error(), want)
	}
}

func TestLoadWorkerWithCredentials(t *testing.T) {
	w, err := LoadWorkerFrom(Map{
		"PARTNER_CENTER_CLIENT_ID":     "app",
		"PARTNER_CENTER_CLIENT_SECRET": "s3cret-value",
		"PARTNER_CENTER_TENANT_IDS":    "11111111-2222-3333-4444-555555555555, AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
		"CSP_METRICS_ADDR":             "off",
	})
	require.NoError(t, err)
	require.True(t, w.PartnerCenter.Configured())
	require.Equal(t, []string{"11111111-2222-3333-4444-555555555555", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}, w.PartnerCenter.TenantIDs)
	require.Empty(t, w.MetricsAddr)
	require.Equal(t, "s3cret-value", w.PartnerCenter.ClientSecret.Reveal())
}

func TestSecretNeverPrints(t *testing.T) {
	w := Worker{PartnerCenter: PartnerCenter{ClientSecret: "s3cret-value", RefreshToken: "rt-value"}}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, w)
		require.NotContains(t, out, "s3cret-value", format)
		require.NotContains(t, out, "rt-value", format)
	}
}

func TestCodecKeysFromVariableOrFile(t *testing.T) {
	key, err := codec.NewKey("2026-11")
	require.NoError(t, err)
	w, err := LoadWorkerFrom(Map{"CSP_CODEC_KEYS": key})
	require.NoError(t, err)
	require.Equal(t, "2026-11", w.Codec.Newest().ID)

	file := filepath.Join(t.TempDir(), "codec.keys")
	require.NoError(t, os.WriteFile(file, []byte(key+"\n"), 0o600))
	w, err = LoadWorkerFrom(Map{"CSP_CODEC_KEYS_FILE": file})
	require.NoError(t, err)
	require.Equal(t, "2026-11", w.Codec.Newest().ID)

	_, err = LoadWorkerFrom(Map{"CSP_CODEC_KEYS": "k1=c2hvcnQ="})
	require.ErrorContains(t, err, `CSP_CODEC_KEYS: key "k1": must be 32 bytes`)
	_, err = LoadWorkerFrom(Map{"CSP_CODEC_KEYS": key, "CSP_CODEC_KEYS_FILE": file})
	require.ErrorContains(t, err, "not both")

	w, err = LoadWorkerFrom(Map{})
	require.NoError(t, err)
	require.Nil(t, w.Codec)
}

func TestPartnerCenterLimits(t *testing.T) {
	w, err := LoadWorkerFrom(Map{})
	require.NoError(t, err)
	require.Equal(t, Limits{PerSecond: 10, Burst: 20, Concurrency: 8}, w.Limits)
	w, err = LoadWorkerFrom(Map{"CSP_PC_RATE": "2.5", "CSP_PC_BURST": "5", "CSP_PC_CONCURRENCY": "2"})
	require.NoError(t, err)
	require.Equal(t, Limits{PerSecond: 2.5, Burst: 5, Concurrency: 2}, w.Limits)
	_, err = LoadWorkerFrom(Map{"CSP_PC_RATE": "fast", "CSP_PC_CONCURRENCY": "0"})
	require.ErrorContains(t, err, `CSP_PC_RATE: "fast" is not a number between 0.01 and 10000`)
	require.ErrorContains(t, err, `CSP_PC_CONCURRENCY: "0" is not a whole number between 1 and 1000`)
}

func TestSecretsStayOutOfDumps(t *testing.T) {
	w, err := LoadWorkerFrom(Map{
		"PARTNER_CENTER_CLIENT_ID": "app", "PARTNER_CENTER_CLIENT_SECRET": "s3cret-value",
		"PARTNER_CENTER_REFRESH_TOKEN": "rt-value", "PARTNER_CENTER_TENANT_IDS": "11111111-2222-3333-4444-555555555555",
		"CSP_SMTP_ADDR": "mail.example:587", "CSP_SMTP_FROM": "a@b.example", "CSP_SMTP_PASSWORD": "smtp-pass",
	})
	require.NoError(t, err)
	//lint:ignore SA1026 the point is that marshalling the whole configuration works and redacts its secrets
	b, err := json.Marshal(w)
	require.NoError(t, err)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "pc", w.PartnerCenter, "secret", w.PartnerCenter.ClientSecret, "smtp", w.SMTP.Password)
	for _, dump := range []string{string(b), logged.String()} {
		for _, secret := range []string{"s3cret-value", "rt-value", "smtp-pass"} {
			require.NotContains(t, dump, secret)
		}
	}
	require.Contains(t, string(b), "[redacted]")
}

func TestAPIKeyTurnsOnTLSAndCredentials(t *testing.T) {
	w, err := LoadWorkerFrom(Map{"TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233", "TEMPORAL_NAMESPACE": "ns.acct", "TEMPORAL_API_KEY": "key-value"})
	require.NoError(t, err)
	require.NotNil(t, w.Temporal.Credentials, "the API key is sent as credentials")
	require.NotNil(t, w.Temporal.ConnectionOptions.TLS, "an API key implies TLS")
	require.NotContains(t, fmt.Sprintf("%+v", w.PartnerCenter), "key-value")
}
