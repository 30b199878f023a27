package trigger

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// Errors of webhook verification. The handler maps each to its HTTP status.
var (
	// ErrUnsigned: the callback carries no signature or certificate URL (401).
	ErrUnsigned = errors.New("webhook is not signed")
	// ErrCertHostNotAllowed: the certificate URL points at a host that is not allow-listed (403).
	ErrCertHostNotAllowed = errors.New("certificate host is not allowed")
	// ErrCertUnavailable: the certificate or the trust anchor could not be downloaded right now (503, so
	// Partner Center retries).
	ErrCertUnavailable = errors.New("signing certificate unavailable")
)

const (
	// maxCertSize bounds a downloaded certificate; real ones are a few KiB.
	maxCertSize = 64 << 10
	// certCacheSize bounds the certificate cache; Partner Center uses one or two at a time.
	certCacheSize = 16
	// certCacheTTL makes a rotated certificate be fetched again within a day.
	certCacheTTL = 24 * time.Hour
	// certFetchesPerMinute is the default download budget. Partner Center's one or two certificates are
	// fetched about once a day, so only forged callbacks naming ever new certificate URLs on an allowed
	// host reach it; without it they could make the service download without end.
	certFetchesPerMinute = 30
)

// Verifier checks Partner Center webhook callbacks: the certificate URL's host is allow-listed, the
// certificate chains to a trusted root and is valid now, and its RSA key signed the exact body.
type Verifier struct {
	// HTTP downloads certificates. Optional; default: a client with a 10 s timeout that follows no
	// redirects (a redirect could leave the allow-listed host).
	HTTP *http.Client
	// AllowedHosts are the hosts (host, or host:port to pin the port too) certificates may come from.
	AllowedHosts []string
	// AllowHTTP accepts http:// certificate URLs, for the local sandbox only.
	AllowHTTP bool
	// Roots and Intermediates are the trust anchors. When Roots is nil, RootsURL is fetched once instead.
	Roots, Intermediates *x509.CertPool
	// RootsURL serves the PEM root (the sandbox's /sandbox/certs/root.pem). It is fetched on first use,
	// so the service may start before the sandbox does, and kept once it was read.
	RootsURL string
	// Optional: FetchesPerMinute bounds certificate and root downloads; beyond it a callback that needs one
	// is answered ErrCertUnavailable (503, Partner Center retries) without downloading. default: 30
	FetchesPerMinute int
	// Optional: Now is the clock. default: time.Now
	Now func() time.Time

	mu    sync.Mutex
	certs map[string]cachedCert
	// window is when the current minute of the download budget began; fetched counts its downloads.
	window  time.Time
	fetched int
	// flight makes simultaneous callbacks naming one uncached certificate download it once.
	flight singleflight.Group
}

type cachedCert struct {
	cert    *x509.Certificate
	fetched time.Time
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) client() *http.Client {
	if v.HTTP != nil {
		return v.HTTP
	}
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Verify checks the callback headers h against body. It returns nil, ErrUnsigned,
// ErrCertHostNotAllowed, ErrCertUnavailable or an error wrapping pcwebhook.ErrInvalidSignature.
func (v *Verifier) Verify(ctx context.Context, body []byte, h http.Header) error {
	h = h.Clone()
	// Partner Center puts the signature in x-ms-signature instead when the registration asks for it.
	if h.Get(pcwebhook.HeaderAuthorization) == "" && h.Get("X-Ms-Signature") != "" {
		h.Set(pcwebhook.HeaderAuthorization, pcwebhook.SignatureScheme+" "+strings.TrimSpace(h.Get("X-Ms-Signature")))
	}
	certURL := strings.TrimSpace(h.Get(pcwebhook.HeaderCertificateURL))
	if h.Get(pcwebhook.HeaderAuthorization) == "" || certURL == "" {
		return ErrUnsigned
	}
	// The signature's form is checked before anything is downloaded.
	if _, err := pcwebhook.Signature(h); err != nil {
		return err
	}
	u, err := v.allowed(certURL)
	if err != nil {
		return err
	}
	roots, err := v.roots(ctx)
	if err != nil {
		return err
	}
	cert, err := v.cert(ctx, u)
	if err != nil {
		return err
	}
	return pcwebhook.Verify(body, h, cert, roots, v.Intermediates, v.now())
}

// allowed parses the certificate URL and checks its scheme and host.
func (v *Verifier) allowed(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: certificate url is not an absolute URL", ErrCertHostNotAllowed)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && v.AllowHTTP:
	default:
		return nil, fmt.Errorf("%w: certificate url scheme %q", ErrCertHostNotAllowed, u.Scheme)
	}
	host := strings.ToLower(u.Hostname())
	hostPort := strings.ToLower(u.Host)
	for _, a := range v.AllowedHosts {
		a = strings.ToLower(a)
		if _, _, err := net.SplitHostPort(a); err == nil {
			if a == hostPort {
				return u, nil
			}
			continue
		}
		// A bare host allows only the scheme's default port.
		if a == host && u.Port() == "" {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrCertHostNotAllowed, u.Host)
}

func (v *Verifier) roots(ctx context.Context) (*x509.CertPool, error) {
	v.mu.Lock()
	roots := v.Roots
	v.mu.Unlock()
	if roots != nil {
		return roots, nil
	}
	if v.RootsURL == "" {
		return nil, fmt.Errorf("%w: no trusted root configured", ErrCertUnavailable)
	}
	data, err := v.download(ctx, v.RootsURL)
	if err != nil {
		return nil, fmt.Errorf("%w: trusted root: %w", ErrCertUnavailable, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrCertUnavailable, v.RootsURL)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.Roots == nil {
		v.Roots = pool
	}
	return v.Roots, nil
}

// cert returns the certificate at u, from the cache while it is fresh and valid. The query and fragment
// are dropped, both from the cache key and from the download: they name no other certificate, and keying
// by them would let every forged callback with a new query cost a download.
func (v *Verifier) cert(ctx context.Context, u *url.URL) (*x509.Certificate, error) {
	key := (&url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host), Path: u.Path, RawPath: u.RawPath}).String()
	if cert, ok := v.cached(key); ok {
		return cert, nil
	}
	cert, err, _ := v.flight.Do(key, func() (any, error) {
		// A download that finished between the lookup above and this flight is used.
		if cert, ok := v.cached(key); ok {
			return cert, nil
		}
		// The download is shared, so it must not end with the callback that happened to start it.
		data, err := v.download(context.WithoutCancel(ctx), key)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCertUnavailable, err)
		}
		cert, err := pcwebhook.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", pcwebhook.ErrInvalidSignature, err)
		}
		v.store(key, cert)
		return cert, nil
	})
	if err != nil {
		return nil, err
	}
	return cert.(*x509.Certificate), nil
}

func (v *Verifier) cached(key string) (*x509.Certificate, bool) {
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.certs[key]
	if ok && now.Sub(c.fetched) < certCacheTTL && now.Before(c.cert.NotAfter) {
		return c.cert, true
	}
	return nil, false
}

func (v *Verifier) store(key string, cert *x509.Certificate) {
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.certs == nil {
		v.certs = make(map[string]cachedCert)
	}
	if _, exists := v.certs[key]; !exists && len(v.certs) >= certCacheSize {
		// Evict the oldest entry; the cache only saves downloads.
		oldest := ""
		for k, e := range v.certs {
			if oldest == "" || e.fetched.Before(v.certs[oldest].fetched) {
				oldest = k
			}
		}
		delete(v.certs, oldest)
	}
	v.certs[key] = cachedCert{cert: cert, fetched: now}
}

// spend takes one download from the budget of the current minute, and reports whether there was one.
func (v *Verifier) spend() (limit int, ok bool) {
	limit = v.FetchesPerMinute
	if limit <= 0 {
		limit = certFetchesPerMinute
	}
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if d := now.Sub(v.window); d >= time.Minute || d < 0 {
		v.window, v.fetched = now, 0
	}
	if v.fetched >= limit {
		return limit, false
	}
	v.fetched++
	return limit, true
}

func (v *Verifier) download(ctx context.Context, rawURL string) ([]byte, error) {
	if limit, ok := v.spend(); !ok {
		return nil, fmt.Errorf("download budget of %d certificates a minute used up, retry later", limit)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: status %d", rawURL, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCertSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rawURL, err)
	}
	if len(data) > maxCertSize {
		return nil, fmt.Errorf("get %s: larger than %d bytes", rawURL, maxCertSize)
	}
	return data, nil
}

// TrustAnchors splits PEM certificates into self-signed roots and intermediates, so one configured file
// can carry a root and the intermediates Partner Center's certificate needs.
func TrustAnchors(pemData []byte) (roots, intermediates *x509.CertPool, err error) {
	roots, intermediates = x509.NewCertPool(), x509.NewCertPool()
	n := 0
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("trust anchors: %w", err)
		}
		n++
		if cert.CheckSignatureFrom(cert) == nil {
			roots.AddCert(cert)
		} else {
			intermediates.AddCert(cert)
		}
	}
	if n == 0 {
		return nil, nil, errors.New("trust anchors: no PEM certificate")
	}
	return roots, intermediates, nil
}

// seenEvents remembers the events recently processed or being processed, so a replayed delivery is
// answered without signalling again. Looking a key up and recording it are one step (claim), so of
// simultaneous copies of one delivery exactly one is processed. It is bounded: the oldest entries are
// forgotten first (a forgotten duplicate is still harmless, the workflow verifies every signal).
type seenEvents struct {
	mu    sync.Mutex
	max   int
	state map[string]eventState
	order []string
}

// eventState is what is known of an event.
type eventState int

const (
	// eventNew: not seen; the caller claimed it and must settle it.
	eventNew eventState = iota
	// eventInFlight: a copy is being processed right now.
	eventInFlight
	// eventDone: processed.
	eventDone
)

func newSeenEvents(max int) *seenEvents {
	return &seenEvents{max: max, state: make(map[string]eventState, max)}
}

func eventKey(ev pcwebhook.Event) string {
	return ev.EventName + "\x00" + strings.ToLower(ev.ResourceURI) + "\x00" + ev.ResourceChangeUTCDate.UTC().Format(time.RFC3339Nano)
}

// claim reports what is known of key and, when it is new, records it as in flight.
func (s *seenEvents) claim(key string) eventState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.state[key]; ok {
		return st
	}
	s.record(key, eventInFlight)
	return eventNew
}

// settle ends the processing of a claimed key: a processed event is remembered, any other is forgotten so
// Partner Center's redelivery is processed.
func (s *seenEvents) settle(key string, processed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if processed {
		s.record(key, eventDone)
		return
	}
	if _, ok := s.state[key]; ok {
		delete(s.state, key)
		s.order = slices.DeleteFunc(s.order, func(k string) bool { return k == key })
	}
}

// record sets key's state, making room first when key is new. The caller holds mu.
func (s *seenEvents) record(key string, st eventState) {
	if _, ok := s.state[key]; !ok {
		if len(s.order) >= s.max {
			delete(s.state, s.order[0])
			s.order = slices.Delete(s.order, 0, 1)
		}
		s.order = append(s.order, key)
	}
	s.state[key] = st
}
