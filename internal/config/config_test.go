package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/notify"
	"github.com/csptransfer/csptransfer/internal/notify/smtptest"
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
	require.ErrorContains(t, err, `CSP_CODEC_KEYS: entry 1: key must be 32 bytes`)
	_, err = LoadWorkerFrom(Map{"CSP_CODEC_KEYS": key, "CSP_CODEC_KEYS_FILE": file})
	require.ErrorContains(t, err, "not both")

	w, err = LoadWorkerFrom(Map{})
	require.NoError(t, err)
	require.Nil(t, w.Codec)
}

// A key given without its id, in the variable, in the file, or pasted as the file's name, is never echoed.
func TestCodecKeyErrorsNeverShowKeys(t *testing.T) {
	k, err := codec.NewKey("2026-11")
	require.NoError(t, err)
	key := strings.TrimPrefix(k, "2026-11=")
	dir := t.TempDir()
	keyOnly := filepath.Join(dir, "key-only")
	require.NoError(t, os.WriteFile(keyOnly, []byte(key+"\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	tests := []struct {
		give Map
		want string
	}{
		{Map{"CSP_CODEC_KEYS": key}, "CSP_CODEC_KEYS: entry 1: no id=key pair (is the id missing?) (expected id=base64 of 32 random bytes"},
		{Map{"CSP_CODEC_KEYS": k + "," + key}, "CSP_CODEC_KEYS: entry 2: no id=key pair"},
		{Map{"CSP_CODEC_KEYS_FILE": keyOnly}, "CSP_CODEC_KEYS_FILE: entry 1: no id=key pair"},
		{Map{"CSP_CODEC_KEYS_FILE": key}, "CSP_CODEC_KEYS_FILE: cannot read the file it names: no such file or directory"},
		{Map{"CSP_CODEC_KEYS_FILE": empty}, "CSP_CODEC_KEYS_FILE: no keys"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := LoadWorkerFrom(tt.give)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), key)
			require.NotContains(t, err.Error(), strings.TrimRight(key, "="))
			_, err = LoadCodec(tt.give)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), strings.TrimRight(key, "="))
		})
	}
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

func TestSMTPSettings(t *testing.T) {
	smtp := func(extra Map) Map {
		m := Map{"CSP_SMTP_ADDR": "mail.example:587", "CSP_SMTP_FROM": "transfers@partner.example"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	w, err := LoadWorkerFrom(smtp(nil))
	require.NoError(t, err)
	require.Equal(t, notify.TLSStartTLS, w.SMTP.TLS)
	w, err = LoadWorkerFrom(smtp(Map{"CSP_SMTP_ADDR": "mail.example:465"}))
	require.NoError(t, err)
	require.Equal(t, notify.TLSImplicit, w.SMTP.TLS, "port 465 is SMTPS")
	w, err = LoadWorkerFrom(smtp(Map{"CSP_SMTP_ADDR": "mail.example:2465", "CSP_SMTP_TLS": "Implicit"}))
	require.NoError(t, err)
	require.Equal(t, notify.TLSImplicit, w.SMTP.TLS)
	w, err = LoadWorkerFrom(smtp(Map{"CSP_SMTP_ADDR": "relay.internal:25", "CSP_SMTP_TLS": "none"}))
	require.NoError(t, err)
	require.Equal(t, notify.TLSNone, w.SMTP.TLS, "allowed without credentials")

	ca := smtptest.Start(t).CAFile
	w, err = LoadWorkerFrom(smtp(Map{"CSP_SMTP_CA_FILE": ca}))
	require.NoError(t, err)
	require.Equal(t, ca, w.SMTP.CAFile)

	notPEM := filepath.Join(t.TempDir(), "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	tests := []struct {
		give Map
		want string
	}{
		{Map{"CSP_SMTP_TLS": "ssl"}, `CSP_SMTP_TLS: "ssl" is not one of starttls, implicit, none`},
		{Map{"CSP_SMTP_TLS": "none", "CSP_SMTP_USERNAME": "relay-user", "CSP_SMTP_PASSWORD": "relay-pass"},
			"CSP_SMTP_TLS: none is not allowed with CSP_SMTP_USERNAME or CSP_SMTP_PASSWORD"},
		{Map{"CSP_SMTP_TLS": "none", "CSP_SMTP_PASSWORD": "relay-pass"}, "CSP_SMTP_TLS: none is not allowed"},
		{Map{"CSP_SMTP_CA_FILE": filepath.Join(t.TempDir(), "missing.pem")}, "CSP_SMTP_CA_FILE: open "},
		{Map{"CSP_SMTP_CA_FILE": notPEM}, "CSP_SMTP_CA_FILE: " + notPEM + " holds no PEM certificate (expected a PEM file"},
		{Map{"CSP_SMTP_CA_FILE": ca, "CSP_SMTP_TLS": "none"}, "CSP_SMTP_CA_FILE: has no use with CSP_SMTP_TLS=none"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := LoadWorkerFrom(smtp(tt.give))
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "relay-pass")
		})
	}
}
