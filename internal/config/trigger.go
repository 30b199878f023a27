package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/csptransfer/csptransfer/internal/codec"
)

// Trigger modes.
const (
	// TriggerModeProduction, the default, verifies webhooks against Partner Center's certificate hosts and
	// requires an onboarding token, and a codec token when codec keys are set.
	TriggerModeProduction = "production"
	// TriggerModeSandbox trusts the built-in sandbox's certificate host and root, and lets the onboarding
	// API and the codec endpoint run without a token, for `make run`, `make demo` and tests. Only an explicit
	// CSP_TRIGGER_MODE=sandbox selects it.
	TriggerModeSandbox = "sandbox"
)

// RootCASystem selects the system's trusted roots for webhook certificate chains.
const RootCASystem = "system"

// DefaultWebhookCertHost is where Partner Center publishes its webhook signing certificate.
const DefaultWebhookCertHost = "3psostorageacct.blob.core.windows.net"

// Trigger is the trigger service's configuration (`starter serve`).
type Trigger struct {
	// Temporal holds the client options loaded by envconfig (address, namespace, TLS, API key).
	Temporal client.Options
	Log      Log
	// Addr is where the service listens (CSP_TRIGGER_ADDR).
	Addr string
	// Mode is production (the default) or sandbox (CSP_TRIGGER_MODE).
	Mode string
	// OnboardingToken is the bearer token of the onboarding API (CSP_ONBOARDING_TOKEN). Empty is allowed
	// only in sandbox mode, where the API is then open.
	OnboardingToken Secret
	// SandboxURL is the sandbox's base URL in sandbox mode (CSP_SANDBOX_URL).
	SandboxURL string
	// CertHosts are the hosts (host or host:port) webhook certificates may be downloaded from
	// (CSP_WEBHOOK_CERT_HOSTS). In sandbox mode the sandbox's host:port is added.
	CertHosts []string
	// RootCAPEM holds the trusted roots for webhook certificates, from CSP_WEBHOOK_ROOT_CA (a file or
	// inline PEM). Empty with SystemRoots means the system's roots; empty in sandbox mode means the
	// sandbox's root, fetched on first use.
	RootCAPEM []byte
	// SystemRoots is set when CSP_WEBHOOK_ROOT_CA is "system".
	SystemRoots bool
	// MaxEventAge rejects webhook events whose ResourceChangeUtcDate is older (CSP_WEBHOOK_MAX_AGE).
	MaxEventAge time.Duration
	// ReconcileEvery is the interval of the reconciliation schedule (CSP_RECONCILE_EVERY); 0 leaves the
	// schedule alone ("off").
	ReconcileEvery time.Duration
	// UIBaseURL is the Temporal UI, for links in answers (CSP_UI_URL). Optional.
	UIBaseURL string
	// Codec encrypts payloads the service writes and serves the codec endpoint; nil means no encryption.
	Codec *codec.Ring
	// CodecToken protects the codec endpoint (CSP_CODEC_TOKEN, bearer); required outside sandbox mode.
	CodecToken Secret
	// CodecOrigins may call the codec endpoint from a browser (CSP_CODEC_CORS_ORIGINS): the Temporal UI.
	CodecOrigins []string
	// CodecHosts are the names (host for any port, or host:port) the codec endpoint answers under besides
	// localhost and loopback addresses (CSP_CODEC_HOSTS), e.g. the name a reverse proxy forwards; requests
	// with any other Host header are refused, which stops DNS rebinding from a web page.
	CodecHosts []string
}

// Sandbox reports whether the service runs in sandbox mode.
func (t Trigger) Sandbox() bool { return t.Mode == TriggerModeSandbox }

// LoadTrigger reads the trigger service's configuration from the process environment.
func LoadTrigger() (Trigger, error) { return LoadTriggerFrom(envconfig.EnvLookupOS) }

// LoadTriggerFrom reads the trigger service's configuration from env. All problems are reported together;
// the token's value is never echoed.
func LoadTriggerFrom(env Env) (Trigger, error) {
	r := reader{env: env}
	t := Trigger{
		Log: Log{
			Format: r.oneOf("CSP_LOG_FORMAT", "console", "console", "json"),
			Level:  r.oneOf("CSP_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		},
		Addr:            r.addr("CSP_TRIGGER_ADDR", "127.0.0.1:8090", false),
		Mode:            r.oneOf("CSP_TRIGGER_MODE", TriggerModeProduction, TriggerModeProduction, TriggerModeSandbox),
		OnboardingToken: Secret(r.str("CSP_ONBOARDING_TOKEN", "")),
		MaxEventAge:     r.duration("CSP_WEBHOOK_MAX_AGE", 24*time.Hour, time.Minute, 30*24*time.Hour),
		UIBaseURL:       r.url("CSP_UI_URL", ""),
	}
	if every := r.str("CSP_RECONCILE_EVERY", "15m"); !strings.EqualFold(every, "off") {
		t.ReconcileEvery = r.duration("CSP_RECONCILE_EVERY", 15*time.Minute, time.Minute, 24*time.Hour)
	}
	if tok := t.OnboardingToken.Reveal(); tok != "" && len(tok) < 16 && !t.Sandbox() {
		r.problem("CSP_ONBOARDING_TOKEN", "too short: expected at least 16 characters of a random secret")
	}
	if t.OnboardingToken == "" && !t.Sandbox() {
		r.problem("CSP_ONBOARDING_TOKEN", "required outside sandbox mode (CSP_TRIGGER_MODE is production unless set): a random secret of at least 16 characters, e.g. from `openssl rand -hex 32` (or set CSP_TRIGGER_MODE=sandbox for local use)")
	}
	t.Codec = r.codecRing()
	t.CodecToken = Secret(r.str("CSP_CODEC_TOKEN", ""))
	if t.Codec != nil && t.CodecToken == "" && !t.Sandbox() {
		r.problem("CSP_CODEC_TOKEN", "required outside sandbox mode when codec keys are set: the codec endpoint decrypts customer data (a random secret of at least 16 characters)")
	}
	if tok := t.CodecToken.Reveal(); tok != "" && len(tok) < 16 && !t.Sandbox() {
		r.problem("CSP_CODEC_TOKEN", "too short: expected at least 16 characters of a random secret")
	}
	t.CodecHosts = r.hosts("CSP_CODEC_HOSTS", "codec.example.com")
	defOrigins := ""
	if t.Sandbox() {
		defOrigins = "http://localhost:8233,http://127.0.0.1:8233"
	}
	for _, o := range strings.Split(r.str("CSP_CODEC_CORS_ORIGINS", defOrigins), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			r.problem("CSP_CODEC_CORS_ORIGINS", fmt.Sprintf("%q is not an origin (expected e.g. https://temporal-ui.example.com)", o))
			continue
		}
		t.CodecOrigins = append(t.CodecOrigins, o)
	}
	t.CertHosts = r.hosts("CSP_WEBHOOK_CERT_HOSTS", DefaultWebhookCertHost)
	if t.Sandbox() {
		t.SandboxURL = r.url("CSP_SANDBOX_URL", "http://127.0.0.1:8089")
		if u, err := url.Parse(t.SandboxURL); err == nil && u.Host != "" {
			t.CertHosts = append(t.CertHosts, strings.ToLower(u.Host))
		}
	} else if len(t.CertHosts) == 0 {
		t.CertHosts = []string{DefaultWebhookCertHost}
	}
	switch root := r.str("CSP_WEBHOOK_ROOT_CA", ""); {
	case strings.EqualFold(root, RootCASystem):
		t.SystemRoots = true
	case root == "" && !t.Sandbox():
		t.SystemRoots = true
	case root == "":
	case strings.Contains(root, "-----BEGIN CERTIFICATE-----"):
		t.RootCAPEM = []byte(root)
	default:
		data, err := os.ReadFile(root)
		if err != nil {
			r.problem("CSP_WEBHOOK_ROOT_CA", fmt.Sprintf("%q: expected a PEM file, inline PEM or \"system\": %v", root, err))
			break
		}
		if !strings.Contains(string(data), "-----BEGIN CERTIFICATE-----") {
			r.problem("CSP_WEBHOOK_ROOT_CA", fmt.Sprintf("%q holds no PEM certificate", root))
			break
		}
		t.RootCAPEM = data
	}
	temporal, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: env})
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("Temporal settings (TEMPORAL_* or temporal.toml): %v", err))
	}
	t.Temporal = temporal
	if err := r.err(); err != nil {
		return Trigger{}, err
	}
	return t, nil
}

// hosts reads a comma-separated list of host or host:port names; example is a valid one, for the error.
func (r *reader) hosts(name, example string) []string {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		h := strings.ToLower(strings.TrimSpace(part))
		host := h
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
		if host == "" || strings.ContainsAny(h, "/@?#* ") {
			r.problem(name, fmt.Sprintf("%q is not a host name (expected e.g. %s or 127.0.0.1:8089, comma separated)", part, example))
			continue
		}
		out = append(out, h)
	}
	return out
}
