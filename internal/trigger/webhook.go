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
	// Optional: Now is the clock. default: time.Now
	Now func() time.Time

	mu    sync.Mutex
	certs map[string]cachedCert
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

// cert returns the certificate at u, from the cache while it is fresh and valid.
func (v *Verifier) cert(ctx context.Context, u *url.URL) (*x509.Certificate, error) {
	key := u.String()
	now := v.now()
	v.mu.Lock()
	c, ok := v.certs[key]
	v.mu.Unlock()
	if ok && now.Sub(c.fetched) < certCacheTTL && now.Before(c.cert.NotAfter) {
		return c.cert, nil
	}
	data, err := v.download(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertUnavailable, err)
	}
	cert, err := pcwebhook.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", pcwebhook.ErrInvalidSignature, err)
	}
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
	return cert, nil
}

func (v *Verifier) download(ctx context.Context, rawURL string) ([]byte, error) {
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

// seenEvents remembers recently processed events, so a replayed delivery is answered without signalling
// again. It is bounded: the oldest entries are forgotten first (a forgotten duplicate is still harmless,
// the workflow verifies every signal).
type seenEvents struct {
	mu    sync.Mutex
	max   int
	set   map[string]struct{}
	order []string
}

func newSeenEvents(max int) *seenEvents {
	return &seenEvents{max: max, set: make(map[string]struct{}, max)}
}

func eventKey(ev pcwebhook.Event) string {
	return ev.EventName + "\x00" + strings.ToLower(ev.ResourceURI) + "\x00" + ev.ResourceChangeUTCDate.UTC().Format(time.RFC3339Nano)
}

func (s *seenEvents) seen(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.set[key]
	return ok
}

func (s *seenEvents) add(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.set[key]; ok {
		return
	}
	if len(s.order) >= s.max {
		delete(s.set, s.order[0])
		s.order = slices.Delete(s.order, 0, 1)
	}
	s.set[key] = struct{}{}
	s.order = append(s.order, key)
}
