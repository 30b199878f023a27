// Package config reads the worker's and the trigger service's settings from the environment. Temporal
// connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, temporal.toml profiles)
// are read by the SDK's envconfig; this package reads the product's own CSP_* and PARTNER_CENTER_* variables.
// Every error names the variable and the value expected; secret values are never echoed.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/notify"
)

// Env is where settings are read from: envconfig.EnvLookupOS in production, a Map in tests.
type Env = envconfig.EnvLookup

// Map is an Env backed by a map, for tests.
type Map map[string]string

// LookupEnv reads one variable.
func (m Map) LookupEnv(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

// Environ lists the variables as NAME=value.
func (m Map) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// Worker is the worker's configuration.
type Worker struct {
	// Temporal holds the client options loaded by envconfig (address, namespace, TLS, API key).
	Temporal client.Options
	Log      Log
	// StopTimeout is how long running activities get to finish on shutdown (CSP_WORKER_STOP_TIMEOUT).
	StopTimeout time.Duration
	// MetricsAddr serves health and metrics (CSP_METRICS_ADDR); empty disables it.
	MetricsAddr   string
	PartnerCenter PartnerCenter
	// Sandbox is used when PartnerCenter has no credentials.
	Sandbox Sandbox
	// SMTP sends notifications when SMTP.Addr is set; otherwise they are only logged.
	SMTP SMTP
	// Codec encrypts payloads stored in Temporal; nil stores them in plain text.
	Codec *codec.Ring
	// Limits bound each partner tenant's Partner Center calls, GraphLimits its Microsoft Graph calls: each
	// across all workers (Microsoft throttles the two APIs apart, per tenant).
	Limits      Limits
	GraphLimits Limits
	// ShareEvery is how often the worker counts the workers polling its task queue to take its share of
	// the limits (CSP_RATE_SHARE_EVERY); 0 (CSP_RATE_SHARE=off) takes the whole limits, for a worker that
	// is known to be alone or may not describe the task queue.
	ShareEvery time.Duration
	// WorkflowCacheSize bounds the workflows kept in memory between tasks (CSP_WORKFLOW_CACHE_SIZE): with
	// thousands of transfers asleep for months, memory stays flat and a woken transfer is replayed.
	WorkflowCacheSize int
}

// Limits bound one partner tenant's calls to one API, across all workers (Microsoft throttles per partner
// tenant).
type Limits struct {
	PerSecond   float64 // CSP_PC_RATE / CSP_GRAPH_RATE: sustained requests per second
	Burst       int     // CSP_PC_BURST / CSP_GRAPH_BURST
	Concurrency int     // CSP_PC_CONCURRENCY / CSP_GRAPH_CONCURRENCY: requests in flight from one worker
}

// SMTP configures e-mail notifications to customers' contacts.
type SMTP struct {
	Addr     string // CSP_SMTP_ADDR: host:port of the relay
	From     string // CSP_SMTP_FROM
	Username string // CSP_SMTP_USERNAME
	Password Secret // CSP_SMTP_PASSWORD
	// TLS is how the connection is protected (CSP_SMTP_TLS): starttls, implicit or none (only without
	// credentials). default: implicit on port 465, starttls otherwise
	TLS notify.TLSMode
	// CAFile is a PEM file of the roots the relay's certificate may chain to (CSP_SMTP_CA_FILE), for a
	// private relay. default: the system's roots
	CAFile string
}

// Log selects the log format and level.
type Log struct {
	Format string // CSP_LOG_FORMAT: console or json
	Level  string // CSP_LOG_LEVEL: debug, info, warn or error
}

// PartnerCenter holds the credentials and endpoints for Microsoft's APIs. With no ClientID the worker runs
// against the built-in sandbox.
type PartnerCenter struct {
	ClientID     string // PARTNER_CENTER_CLIENT_ID
	ClientSecret Secret // PARTNER_CENTER_CLIENT_SECRET
	RefreshToken Secret // PARTNER_CENTER_REFRESH_TOKEN: App+User token for the calls that need it
	// RefreshTokenFile keeps the newest (rotated) refresh token of each partner tenant across restarts
	// (CSP_PC_REFRESH_TOKEN_FILE, created 0600). Empty keeps rotated tokens in memory only.
	RefreshTokenFile string
	TenantIDs        []string // PARTNER_CENTER_TENANT_IDS: the partner tenants that transact, one per region
	BaseURL          string   // PARTNER_CENTER_BASE_URL
	GraphURL         string   // GRAPH_BASE_URL
	Authority        string   // IDENTITY_AUTHORITY
}

// Configured reports whether real Partner Center credentials were given.
func (p PartnerCenter) Configured() bool { return p.ClientID != "" }

// Sandbox configures the embedded Partner Center and Graph emulator.
type Sandbox struct {
	Addr string // CSP_SANDBOX_ADDR
	// PublicURL is the base URL in links and webhooks the sandbox sends (CSP_SANDBOX_PUBLIC_URL); default
	// http://<Addr>, which is wrong when listening on 0.0.0.0 in a container.
	PublicURL  string
	StateFile  string // CSP_SANDBOX_STATE: empty keeps state in memory only
	WebhookURL string // CSP_SANDBOX_WEBHOOK_URL: where signed Partner Center webhooks are delivered
}

// Secret is a value that never prints.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON hides the value from JSON configuration dumps (and zap's reflection encoder).
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// LoadWorker reads the worker configuration from the process environment.
func LoadWorker() (Worker, error) { return LoadWorkerFrom(envconfig.EnvLookupOS) }

// DefaultRateShareEvery is how often a worker counts the workers sharing the partner tenants' budgets
// (CSP_RATE_SHARE_EVERY).
const DefaultRateShareEvery = 15 * time.Second

// LoadWorkerFrom reads the worker configuration from env. All problems are reported together.
func LoadWorkerFrom(env Env) (Worker, error) {
	r := reader{env: env}
	w := Worker{
		Log: Log{
			Format: r.oneOf("CSP_LOG_FORMAT", "console", "console", "json"),
			Level:  r.oneOf("CSP_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		},
		StopTimeout: r.duration("CSP_WORKER_STOP_TIMEOUT", 30*time.Second, time.Second, 10*time.Minute),
		MetricsAddr: r.addr("CSP_METRICS_ADDR", "127.0.0.1:9090", true),
		PartnerCenter: PartnerCenter{
			ClientID:         r.str("PARTNER_CENTER_CLIENT_ID", ""),
			ClientSecret:     Secret(r.str("PARTNER_CENTER_CLIENT_SECRET", "")),
			RefreshToken:     Secret(r.str("PARTNER_CENTER_REFRESH_TOKEN", "")),
			RefreshTokenFile: r.str("CSP_PC_REFRESH_TOKEN_FILE", ""),
			TenantIDs:        r.guids("PARTNER_CENTER_TENANT_IDS"),
			BaseURL:          r.url("PARTNER_CENTER_BASE_URL", "https://api.partnercenter.microsoft.com"),
			GraphURL:         r.url("GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0"),
			Authority:        r.url("IDENTITY_AUTHORITY", "https://login.microsoftonline.com"),
		},
		Sandbox: Sandbox{
			Addr:       r.addr("CSP_SANDBOX_ADDR", "127.0.0.1:8089", false),
			PublicURL:  r.url("CSP_SANDBOX_PUBLIC_URL", ""),
			StateFile:  r.str("CSP_SANDBOX_STATE", ""),
			WebhookURL: r.url("CSP_SANDBOX_WEBHOOK_URL", ""),
		},
	}
	w.SMTP = SMTP{
		Addr:     r.addr("CSP_SMTP_ADDR", "off", true),
		From:     r.str("CSP_SMTP_FROM", ""),
		Username: r.str("CSP_SMTP_USERNAME", ""),
		Password: Secret(r.str("CSP_SMTP_PASSWORD", "")),
		CAFile:   r.str("CSP_SMTP_CA_FILE", ""),
	}
	w.SMTP.TLS = notify.TLSMode(r.oneOf("CSP_SMTP_TLS", string(notify.DefaultTLSMode(w.SMTP.Addr)),
		string(notify.TLSStartTLS), string(notify.TLSImplicit), string(notify.TLSNone)))
	w.Codec = r.codecRing()
	w.WorkflowCacheSize = r.int("CSP_WORKFLOW_CACHE_SIZE", 2000, 10, 1000000)
	w.Limits = Limits{
		PerSecond:   r.float("CSP_PC_RATE", 10, 0.01, 10000),
		Burst:       r.int("CSP_PC_BURST", 20, 1, 10000),
		Concurrency: r.int("CSP_PC_CONCURRENCY", 8, 1, 1000),
	}
	w.GraphLimits = Limits{
		PerSecond:   r.float("CSP_GRAPH_RATE", 10, 0.01, 10000),
		Burst:       r.int("CSP_GRAPH_BURST", 20, 1, 10000),
		Concurrency: r.int("CSP_GRAPH_CONCURRENCY", 8, 1, 1000),
	}
	if r.oneOf("CSP_RATE_SHARE", "on", "on", "off") == "on" {
		w.ShareEvery = r.duration("CSP_RATE_SHARE_EVERY", DefaultRateShareEvery, time.Second, 10*time.Minute)
	}
	if w.SMTP.Addr != "" && w.SMTP.From == "" {
		r.problem("CSP_SMTP_FROM", "required when CSP_SMTP_ADDR is set: the sender address")
	}
	if s := w.SMTP; s.TLS == notify.TLSNone && (s.Username != "" || s.Password != "") {
		r.problem("CSP_SMTP_TLS", "none is not allowed with CSP_SMTP_USERNAME or CSP_SMTP_PASSWORD: credentials are only sent over TLS (expected starttls or implicit)")
	}
	if s := w.SMTP; s.CAFile != "" {
		if s.TLS == notify.TLSNone {
			r.problem("CSP_SMTP_CA_FILE", "has no use with CSP_SMTP_TLS=none")
		} else if _, err := notify.LoadRootCAs(s.CAFile); err != nil {
			r.problem("CSP_SMTP_CA_FILE", err.Error()+" (expected a PEM file of the relay's root certificates)")
		}
	}
	if pc := w.PartnerCenter; pc.Configured() {
		if pc.ClientSecret == "" {
			r.problem("PARTNER_CENTER_CLIENT_SECRET", "required when PARTNER_CENTER_CLIENT_ID is set")
		}
		if len(pc.TenantIDs) == 0 {
			r.problem("PARTNER_CENTER_TENANT_IDS", "required when PARTNER_CENTER_CLIENT_ID is set: comma-separated partner tenant GUIDs")
		}
	}
	temporal, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: env})
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("Temporal settings (TEMPORAL_* or temporal.toml): %v", err))
	}
	w.Temporal = temporal
	if err := r.err(); err != nil {
		return Worker{}, err
	}
	return w, nil
}

type reader struct {
	env      Env
	problems []string
}

func (r *reader) problem(name, msg string) { r.problems = append(r.problems, name+": "+msg) }

func (r *reader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return errors.New("configuration: " + strings.Join(r.problems, "; "))
}

func (r *reader) str(name, def string) string {
	if v, ok := r.env.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.problem(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (r *reader) int(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.problem(name, fmt.Sprintf("%q is not a whole number between %d and %d", v, lo, hi))
		return def
	}
	return n
}

func (r *reader) float(name string, def, lo, hi float64) float64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi {
		r.problem(name, fmt.Sprintf("%q is not a number between %g and %g", v, lo, hi))
		return def
	}
	return f
}

func (r *reader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		r.problem(name, fmt.Sprintf("%q is not a duration between %s and %s (e.g. \"30s\")", v, lo, hi))
		return def
	}
	return d
}

// addr reads host:port; "off" disables an optional listener.
func (r *reader) addr(name, def string, optional bool) string {
	v := r.str(name, def)
	if optional && strings.EqualFold(v, "off") {
		return ""
	}
	host, port, err := net.SplitHostPort(v)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		hint := "expected host:port, e.g. 127.0.0.1:8089"
		if optional {
			hint += `, or "off"`
		}
		r.problem(name, fmt.Sprintf("%q: %s", v, hint))
		return def
	}
	_ = host
	return v
}

// LoadCodec reads the payload encryption keys (CSP_CODEC_KEYS or CSP_CODEC_KEYS_FILE) on their own, for
// programs with no other settings of this package, such as the CLI. A nil ring means no encryption.
func LoadCodec(env Env) (*codec.Ring, error) {
	r := reader{env: env}
	ring := r.codecRing()
	return ring, r.err()
}

// codecRing reads the payload encryption keys from CSP_CODEC_KEYS ("id=base64key,..." newest last) or
// from the file named by CSP_CODEC_KEYS_FILE (the same text). The keys never appear in an error, nor does
// the file name: a key pasted into CSP_CODEC_KEYS_FILE by mistake would be one.
func (r *reader) codecRing() *codec.Ring {
	spec, name := r.str("CSP_CODEC_KEYS", ""), "CSP_CODEC_KEYS"
	if file := r.str("CSP_CODEC_KEYS_FILE", ""); file != "" {
		if spec != "" {
			r.problem("CSP_CODEC_KEYS_FILE", "set either CSP_CODEC_KEYS or CSP_CODEC_KEYS_FILE, not both")
			return nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			r.problem("CSP_CODEC_KEYS_FILE", fmt.Sprintf("cannot read the file it names: %v", errors.Unwrap(err)))
			return nil
		}
		// An empty file is an error, not "no encryption": the operator asked for keys.
		spec, name = strings.TrimSpace(string(b)), "CSP_CODEC_KEYS_FILE"
	} else if spec == "" {
		return nil
	}
	ring, err := codec.ParseRing(spec)
	if err != nil {
		r.problem(name, err.Error())
		return nil
	}
	return ring
}

func (r *reader) url(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.problem(name, fmt.Sprintf("%q is not an absolute http(s) URL", v))
		return def
	}
	return strings.TrimRight(v, "/")
}

func (r *reader) guids(name string) []string {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		if !isGUID(part) {
			r.problem(name, fmt.Sprintf("%q is not a GUID (expected a comma-separated list of tenant ids)", part))
			continue
		}
		out = append(out, part)
	}
	return out
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
