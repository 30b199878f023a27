package trigger

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// testPKI is a root CA and RSA signing certificates served over HTTP, like Partner Center's.
type testPKI struct {
	root    *x509.Certificate
	rootKey *ecdsa.PrivateKey
	rootPEM []byte
	srv     *httptest.Server
	certs   map[string][]byte // path → DER
	fetches atomic.Int64
	queries atomic.Int64 // fetches with a query string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	root, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &testPKI{root: root, rootKey: key, certs: map[string][]byte{},
		rootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		if r.URL.RawQuery != "" {
			p.queries.Add(1)
		}
		if r.URL.Path == "/root.pem" {
			_, _ = w.Write(p.rootPEM)
			return
		}
		der, ok := p.certs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(der)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// signer issues a signing certificate valid from notBefore to notAfter, served at path, and returns a
// Signer for it.
func (p *testPKI) signer(t *testing.T, path string, notBefore, notAfter time.Time) *pcwebhook.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "webhook signing"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root, &key.PublicKey, p.rootKey)
	require.NoError(t, err)
	p.certs[path] = der
	s, err := pcwebhook.NewSigner(key, p.srv.URL+path)
	require.NoError(t, err)
	return s
}

func (p *testPKI) host() string { u, _ := url.Parse(p.srv.URL); return u.Host }

func (p *testPKI) verifier(t *testing.T) *Verifier {
	t.Helper()
	roots, inter, err := TrustAnchors(p.rootPEM)
	require.NoError(t, err)
	return &Verifier{AllowedHosts: []string{p.host()}, AllowHTTP: true, Roots: roots, Intermediates: inter}
}

func signed(t *testing.T, s *pcwebhook.Signer, body []byte) http.Header {
	t.Helper()
	h, err := s.Sign(body)
	require.NoError(t, err)
	return h
}

func TestVerifier(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	expired := pki.signer(t, "/expired.cer", now.Add(-2*time.Hour), now.Add(-time.Hour))
	other := newTestPKI(t)
	foreign := other.signer(t, "/foreign.cer", now.Add(-time.Hour), now.Add(time.Hour))
	body := []byte(`{"EventName":"test-created"}`)

	tests := []struct {
		name    string
		body    []byte
		headers func() http.Header
		verify  func(*Verifier)
		want    error
	}{
		{name: "valid", body: body, headers: func() http.Header { return signed(t, good, body) }},
		{name: "signature in x-ms-signature", body: body, headers: func() http.Header {
			h := signed(t, good, body)
			_, sig, _ := strings.Cut(h.Get("Authorization"), " ")
			h.Del("Authorization")
			h.Set("X-Ms-Signature", sig)
			return h
		}},
		{name: "tampered body", body: []byte(`{"EventName":"test-created "}`), headers: func() http.Header { return signed(t, good, body) },
			want: pcwebhook.ErrInvalidSignature},
		{name: "unsigned", body: body, headers: func() http.Header { return http.Header{} }, want: ErrUnsigned},
		{name: "no certificate url", body: body, headers: func() http.Header {
			h := signed(t, good, body)
			h.Del(pcwebhook.HeaderCertificateURL)
			return h
		}, want: ErrUnsigned},
		{name: "wrong algorithm", body: body, headers: func() http.Header {
			h := signed(t, good, body)
			h.Set(pcwebhook.HeaderSignatureAlgorithm, "hmac-sha256")
			return h
		}, want: pcwebhook.ErrInvalidSignature},
		{name: "certificate host not allowed", body: body, headers: func() http.Header {
			h := signed(t, good, body)
			h.Set(pcwebhook.HeaderCertificateURL, "http://evil.example:"+strings.Split(pki.host(), ":")[1]+"/good.cer")
			return h
		}, want: ErrCertHostNotAllowed},
		{name: "same host, other port", body: body, headers: func() http.Header {
			h := signed(t, good, body)
			h.Set(pcwebhook.HeaderCertificateURL, "http://127.0.0.1:1/good.cer")
			return h
		}, want: ErrCertHostNotAllowed},
		{name: "http without sandbox mode", body: body, headers: func() http.Header { return signed(t, good, body) },
			verify: func(v *Verifier) { v.AllowHTTP = false }, want: ErrCertHostNotAllowed},
		{name: "expired certificate", body: body, headers: func() http.Header { return signed(t, expired, body) },
			want: pcwebhook.ErrInvalidSignature},
		{name: "unknown root", body: body, headers: func() http.Header {
			h := signed(t, foreign, body)
			// Served from the allowed host, but issued by another CA.
			pki.certs["/foreign.cer"] = other.certs["/foreign.cer"]
			h.Set(pcwebhook.HeaderCertificateURL, pki.srv.URL+"/foreign.cer")
			return h
		}, want: pcwebhook.ErrInvalidSignature},
		{name: "certificate missing", body: body, headers: func() http.Header {
			h := signed(t, good, body)
			h.Set(pcwebhook.HeaderCertificateURL, pki.srv.URL+"/missing.cer")
			return h
		}, want: ErrCertUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pki.verifier(t)
			if tt.verify != nil {
				tt.verify(v)
			}
			err := v.Verify(context.Background(), tt.body, tt.headers())
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestVerifierCachesCertificatesAndFetchesTheRootOnce(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	v := &Verifier{AllowedHosts: []string{pki.host()}, AllowHTTP: true, RootsURL: pki.srv.URL + "/root.pem"}
	for i := range certCacheSize + 4 {
		s := pki.signer(t, fmt.Sprintf("/c%d.cer", i), now.Add(-time.Hour), now.Add(time.Hour))
		body := []byte(fmt.Sprintf(`{"n":%d}`, i))
		require.NoError(t, v.Verify(context.Background(), body, signed(t, s, body)))
		require.NoError(t, v.Verify(context.Background(), body, signed(t, s, body)), "second time from the cache")
	}
	require.Equal(t, int64(1+certCacheSize+4), pki.fetches.Load(), "one root download, one per certificate")
	require.Len(t, v.certs, certCacheSize, "the cache is bounded")
}

// Certificate URLs that differ only in their query or fragment name one certificate: it is downloaded
// once, without the query, however many callbacks (simultaneous ones too) name it.
func TestVerifierIgnoresTheCertificateURLQuery(t *testing.T) {
	const callbacks = 32
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	v := pki.verifier(t)
	body := []byte(`{"EventName":"test-created"}`)
	start := make(chan struct{})
	errs := make([]error, callbacks)
	var wg sync.WaitGroup
	for i := range callbacks {
		h := signed(t, good, body)
		h.Set(pcwebhook.HeaderCertificateURL, fmt.Sprintf("%s/good.cer?forged=%d#f%d", pki.srv.URL, i, i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = v.Verify(context.Background(), body, h)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	h := signed(t, good, body)
	require.NoError(t, v.Verify(context.Background(), body, h), "the URL without a query is the same certificate")
	require.Equal(t, int64(1), pki.fetches.Load())
	require.Zero(t, pki.queries.Load(), "downloaded without the query")
	require.Len(t, v.certs, 1)
}

// Callbacks naming ever new certificates on an allowed host cost at most the download budget a minute;
// the others are refused (503, retryable) without a download.
func TestVerifierBoundsCertificateDownloads(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	for i := range 4 {
		pki.certs[fmt.Sprintf("/c%d.cer", i)] = pki.certs["/good.cer"]
	}
	clock := now
	v := pki.verifier(t)
	v.FetchesPerMinute = 2
	v.Now = func() time.Time { return clock }
	body := []byte(`{"EventName":"test-created"}`)
	verify := func(path string) error {
		h := signed(t, good, body)
		h.Set(pcwebhook.HeaderCertificateURL, pki.srv.URL+path)
		return v.Verify(context.Background(), body, h)
	}
	require.NoError(t, verify("/c0.cer"))
	require.NoError(t, verify("/c1.cer"))
	err := verify("/c2.cer")
	require.ErrorIs(t, err, ErrCertUnavailable)
	require.ErrorContains(t, err, "download budget of 2 certificates a minute used up")
	require.Equal(t, int64(2), pki.fetches.Load(), "refused without a download")
	require.NoError(t, verify("/c0.cer"), "cached certificates need no budget")

	clock = clock.Add(time.Minute)
	require.NoError(t, verify("/c2.cer"), "the budget is renewed every minute")
	require.Equal(t, int64(3), pki.fetches.Load())

	// At the HTTP edge the refusal asks Partner Center to retry.
	v.FetchesPerMinute = 1
	c := &mocks.Client{}
	srv, err := New(Options{Client: c, Verifier: v, Now: v.Now})
	require.NoError(t, err)
	evBody := event("invoice-ready", "https://x/v1/invoices/1", clock)
	h := signed(t, good, evBody)
	h.Set(pcwebhook.HeaderCertificateURL, pki.srv.URL+"/c3.cer")
	rec, _ := post(t, srv, "/webhooks/partner-center", h, evBody)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, int64(3), pki.fetches.Load())
	c.AssertExpectations(t)
}

func TestTrustAnchorsRejectsNonPEM(t *testing.T) {
	_, _, err := TrustAnchors([]byte("not a certificate"))
	require.Error(t, err)
}

// webhookServer is a Server over a mock Temporal client, for the HTTP edge.
func webhookServer(t *testing.T, pki *testPKI, c *mocks.Client) *Server {
	t.Helper()
	s, err := New(Options{Client: c, Verifier: pki.verifier(t), OnboardingToken: "a-long-enough-test-token"})
	require.NoError(t, err)
	return s
}

func post(t *testing.T, h http.Handler, path string, header http.Header, body []byte) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	return rec, out
}

func event(name, uri string, at time.Time) []byte {
	b, _ := json.Marshal(pcwebhook.Event{EventName: name, ResourceURI: uri, ResourceName: "customer", ResourceChangeUTCDate: at})
	return b
}

func TestWebhookEndpoint(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	const tenant = "a1b2c3d4-0001-4000-8000-000000000001"
	accepted := event(pcwebhook.EventResellerRelationshipAccepted, "https://api.partnercenter.microsoft.com/v1/customers/"+tenant, now)

	tests := []struct {
		name       string
		body       []byte
		header     func(body []byte) http.Header
		signal     error // the mock's answer; nil with wantSignal false means no signal expected
		wantSignal bool
		wantStatus int
		wantField  string
	}{
		{name: "accepted signals the transfer", body: accepted, wantSignal: true, wantStatus: 200, wantField: "signalled"},
		{name: "no transfer for the customer", body: accepted, wantSignal: true, signal: serviceerror.NewNotFound("workflow not found"), wantStatus: 200, wantField: "no-transfer"},
		{name: "Temporal down asks for a retry", body: accepted, wantSignal: true, signal: serviceerror.NewUnavailable("down"), wantStatus: 503, wantField: "error"},
		{name: "unsigned", body: accepted, header: func([]byte) http.Header { return http.Header{} }, wantStatus: 401},
		{name: "forged", body: accepted, header: func([]byte) http.Header { return signed(t, good, []byte(`{}`)) }, wantStatus: 401},
		{name: "disallowed certificate host", body: accepted, header: func(b []byte) http.Header {
			h := signed(t, good, b)
			h.Set(pcwebhook.HeaderCertificateURL, "https://certs.evil.example/good.cer")
			return h
		}, wantStatus: 403},
		{name: "stale event", body: event(pcwebhook.EventResellerRelationshipAccepted, "https://x/v1/customers/"+tenant, now.Add(-25*time.Hour)), wantStatus: 400},
		{name: "no date", body: []byte(`{"EventName":"reseller-relationship-accepted-by-customer","ResourceUri":"https://x/v1/customers/` + tenant + `"}`), wantStatus: 400},
		{name: "not an event", body: []byte(`[1,2]`), wantStatus: 400},
		{name: "customer id not a GUID", body: event(pcwebhook.EventResellerRelationshipAccepted, "https://x/v1/customers/contoso", now), wantStatus: 400},
		{name: "oversized", body: append(append([]byte(`{"EventName":"test-created","pad":"`), bytes.Repeat([]byte("x"), MaxWebhookBody)...), []byte(`"}`)...), wantStatus: 413},
		{name: "wrong content type", body: accepted, header: func(b []byte) http.Header {
			h := signed(t, good, b)
			h.Set("Content-Type", "text/plain")
			return h
		}, wantStatus: 415},
		{name: "unknown event", body: event("invoice-ready", "https://x/v1/invoices/1", now), wantStatus: 200, wantField: "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &mocks.Client{}
			if tt.wantSignal {
				c.On("SignalWorkflow", mock.Anything, csptransfer.WorkflowID(tenant), "", csptransfer.SignalRelationshipAccepted,
					csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "webhook"}).Return(tt.signal).Once()
			}
			s := webhookServer(t, pki, c)
			h := signed(t, good, tt.body)
			if tt.header != nil {
				h = tt.header(tt.body)
			}
			rec, out := post(t, s, "/webhooks/partner-center", h, tt.body)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			if tt.wantField != "" {
				require.Equal(t, tt.wantField, out["status"])
			} else {
				require.NotEmpty(t, out["error"])
			}
			c.AssertExpectations(t) // a refused webhook signals nothing
		})
	}
}

const testTenant = "a1b2c3d4-0001-4000-8000-000000000001"

// acceptance is a webhook server over c and a signed reseller-relationship-accepted delivery for
// testTenant.
func acceptance(t *testing.T, c *mocks.Client) (*Server, http.Header, []byte) {
	t.Helper()
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	body := event(pcwebhook.EventResellerRelationshipAccepted, "https://x/v1/customers/"+testTenant, now)
	return webhookServer(t, pki, c), signed(t, good, body), body
}

// onAccepted is the expectation of the signal an acceptance sends.
func onAccepted(c *mocks.Client) *mock.Call {
	return c.On("SignalWorkflow", mock.Anything, csptransfer.WorkflowID(testTenant), "", csptransfer.SignalRelationshipAccepted, mock.Anything)
}

func TestWebhookReplayIsAnsweredWithoutSignallingTwice(t *testing.T) {
	c := &mocks.Client{}
	onAccepted(c).Return(nil).Once()
	s, h, body := acceptance(t, c)

	rec, out := post(t, s, "/webhooks/partner-center", h, body)
	require.Equal(t, 200, rec.Code)
	require.Equal(t, "signalled", out["status"])
	for range 3 {
		rec, out = post(t, s, "/webhooks/partner-center", h, body)
		require.Equal(t, 200, rec.Code)
		require.Equal(t, "duplicate", out["status"])
	}
	c.AssertExpectations(t)
}

func TestWebhookEndpointRefusesOtherMethods(t *testing.T) {
	s := webhookServer(t, newTestPKI(t), &mocks.Client{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/webhooks/partner-center", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
	require.Contains(t, rec.Body.String(), `"error"`)
}

func TestSeenEvents(t *testing.T) {
	s := newSeenEvents(3)
	require.Equal(t, eventNew, s.claim("a"))
	require.Equal(t, eventInFlight, s.claim("a"), "claimed until settled")
	s.settle("a", false)
	require.Equal(t, eventNew, s.claim("a"), "a failed event is forgotten, so its redelivery is processed")
	s.settle("a", true)
	require.Equal(t, eventDone, s.claim("a"))

	for i := range 5 {
		k := fmt.Sprint(i)
		require.Equal(t, eventNew, s.claim(k))
		s.settle(k, true)
	}
	require.Equal(t, eventNew, s.claim("0"), "the oldest are forgotten first")
	require.Equal(t, eventDone, s.claim("4"))
	require.Len(t, s.state, 3)
	require.Len(t, s.order, 3)
}

// Simultaneous copies of one delivery signal once: the copy that came first is processed, the others
// are asked to retry while it is in flight, and answered duplicate afterwards.
func TestWebhookCopiesArrivingTogetherSignalOnce(t *testing.T) {
	const copies = 16
	c := &mocks.Client{}
	s, header, body := acceptance(t, c)
	header.Set("Content-Type", "application/json")
	var signals atomic.Int32
	answered := make(chan struct{}, copies)
	onAccepted(c).
		Run(func(mock.Arguments) {
			signals.Add(1)
			// Hold the signal until every other copy was answered, so that they all arrive while it is in
			// flight. Without the bound, copies that also signal would wait for each other forever.
			timeout := time.After(5 * time.Second)
			for range copies - 1 {
				select {
				case <-answered:
				case <-timeout:
					return
				}
			}
		}).Return(nil)

	start := make(chan struct{})
	statuses := make([]string, copies)
	codes := make([]int, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := httptest.NewRequest(http.MethodPost, "/webhooks/partner-center", bytes.NewReader(body))
			req.Header = header.Clone()
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			var out webhookAnswer
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			codes[i], statuses[i] = rec.Code, out.Status
			answered <- struct{}{}
		}()
	}
	close(start)
	wg.Wait()

	require.Equal(t, int32(1), signals.Load(), "statuses %v", statuses)
	counts := map[string]int{}
	for i, st := range statuses {
		counts[st]++
		if st == "in-progress" {
			require.Equal(t, http.StatusServiceUnavailable, codes[i])
		} else {
			require.Equal(t, http.StatusOK, codes[i])
		}
	}
	require.Equal(t, map[string]int{"signalled": 1, "in-progress": copies - 1}, counts)

	rec, out := post(t, s, "/webhooks/partner-center", header, body)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "duplicate", out["status"], "the copies' retries are answered without a signal")
	require.Equal(t, int32(1), signals.Load())
}

// A delivery answered with an error is not remembered: Partner Center's redelivery signals.
func TestWebhookRedeliveryAfterAFailureIsProcessed(t *testing.T) {
	c := &mocks.Client{}
	onAccepted(c).Return(serviceerror.NewUnavailable("down")).Once()
	onAccepted(c).Return(nil).Once()
	s, h, body := acceptance(t, c)

	rec, out := post(t, s, "/webhooks/partner-center", h, body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "error", out["status"])
	rec, out = post(t, s, "/webhooks/partner-center", h, body)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "signalled", out["status"])
	rec, out = post(t, s, "/webhooks/partner-center", h, body)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "duplicate", out["status"])
	c.AssertExpectations(t)
}

func TestResourceIDs(t *testing.T) {
	tests := []struct {
		uri, parent, want string
		ok                bool
	}{
		{"https://api.partnercenter.microsoft.com/v1/customers/A1B2C3D4-0001-4000-8000-000000000001", "customers", "A1B2C3D4-0001-4000-8000-000000000001", true},
		{"http://127.0.0.1:8089/granularAdminRelationships/abc-1/", "granularAdminRelationships", "abc-1", true},
		{"https://x/v1/customers", "customers", "", false},
		{"https://x/v1/invoices/1", "customers", "", false},
		{"::", "customers", "", false},
	}
	for _, tt := range tests {
		got, ok := lastSegmentAfter(tt.uri, tt.parent)
		require.Equal(t, tt.ok, ok, tt.uri)
		require.Equal(t, tt.want, got, tt.uri)
	}
	require.True(t, isRelationshipID("5e5594d3-6f82-458b-b567-77db4811f0cd-00000000-0000-0000-0000-000000001234"))
	require.False(t, isRelationshipID("x/../y"))
}

// A GDAP event names no customer: the transfer is found through its status. When no status can be read,
// Partner Center is asked to deliver again rather than the event being dropped.
func TestGDAPWebhookAsksForARetryWhenTransfersCannotBeRead(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	const relID = "5e5594d3-6f82-458b-b567-77db4811f0cd"
	body := event(pcwebhook.EventGranularAdminRelationshipApproved, "https://x/granularAdminRelationships/"+relID, now)
	id := csptransfer.WorkflowID("a1b2c3d4-0001-4000-8000-000000000001")

	c := &mocks.Client{}
	c.On("ListWorkflow", mock.Anything, mock.MatchedBy(func(r *workflowservice.ListWorkflowExecutionsRequest) bool {
		return r.GetQuery() == csptransfer.AwaitingAcceptanceQuery()
	})).Return(&workflowservice.ListWorkflowExecutionsResponse{Executions: []*workflowpb.WorkflowExecutionInfo{
		{Execution: &commonpb.WorkflowExecution{WorkflowId: id}},
	}}, nil)
	c.On("QueryWorkflow", mock.Anything, id, "", csptransfer.QueryStatus).Return(nil, serviceerror.NewUnavailable("no worker")).Once()
	s := webhookServer(t, pki, c)
	rec, out := post(t, s, "/webhooks/partner-center", signed(t, good, body), body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	require.Equal(t, "error", out["status"])
	c.AssertExpectations(t)

	// Nothing awaits acceptance: nothing to do.
	c = &mocks.Client{}
	c.On("ListWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.ListWorkflowExecutionsResponse{}, nil).Once()
	s = webhookServer(t, pki, c)
	rec, out = post(t, s, "/webhooks/partner-center", signed(t, good, body), body)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "no-transfer", out["status"])
	c.AssertExpectations(t)
}

func TestReadinessFollowsTemporal(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{{nil, http.StatusOK}, {serviceerror.NewUnavailable("down"), http.StatusServiceUnavailable}} {
		c := &mocks.Client{}
		c.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, tt.err).Once()
		s := webhookServer(t, newTestPKI(t), c)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, tt.want, rec.Code)
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		require.Equal(t, http.StatusOK, rec.Code, "the process is up either way")
		c.AssertExpectations(t)
	}
}

// Partner-to-partner transfer events (names UNCONFIRMED) wake the customer's transfer with
// partner-transfer-updated; they are verified, mapped and answered like every other event.
func TestPartnerTransferWebhooks(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	const transferID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	uri := "https://api.partnercenter.microsoft.com/v1/customers/" + testTenant + "/transfers/" + transferID
	completed := event(EventCompleteTransfer, uri, now)
	payload := func(event, transfer string) csptransfer.PartnerTransferUpdated {
		return csptransfer.PartnerTransferUpdated{CustomerTenantID: testTenant, TransferID: transfer, Event: event, Source: "webhook"}
	}

	tests := []struct {
		name       string
		body       []byte
		header     func(body []byte) http.Header
		want       *csptransfer.PartnerTransferUpdated // the signal expected, if any
		signal     error                               // the mock's answer to it
		wantStatus int
		wantField  string
	}{
		{name: "complete-transfer signals the transfer", body: completed, want: ptrTo(payload(EventCompleteTransfer, transferID)), wantStatus: 200, wantField: "signalled"},
		{name: "fail-transfer signals the transfer", body: event(EventFailTransfer, uri, now), want: ptrTo(payload(EventFailTransfer, transferID)), wantStatus: 200, wantField: "signalled"},
		{name: "customer id in upper case", body: event(EventCompleteTransfer, strings.ToUpper(uri), now),
			want: ptrTo(payload(EventCompleteTransfer, strings.ToUpper(transferID))), wantStatus: 200, wantField: "signalled"},
		{name: "a URI naming only the customer wakes it too", body: event(EventFailTransfer, "https://x/v1/customers/"+testTenant, now),
			want: ptrTo(payload(EventFailTransfer, "")), wantStatus: 200, wantField: "signalled"},
		{name: "no open transfer for the customer", body: completed, want: ptrTo(payload(EventCompleteTransfer, transferID)),
			signal: serviceerror.NewNotFound("workflow not found"), wantStatus: 200, wantField: "no-transfer"},
		{name: "Temporal down asks for a retry", body: completed, want: ptrTo(payload(EventCompleteTransfer, transferID)),
			signal: serviceerror.NewUnavailable("down"), wantStatus: 503, wantField: "error"},
		{name: "customer id not a GUID", body: event(EventCompleteTransfer, "https://x/v1/customers/contoso/transfers/"+transferID, now), wantStatus: 400, wantField: "rejected"},
		{name: "transfer id with a quote", body: event(EventCompleteTransfer, "https://x/v1/customers/"+testTenant+"/transfers/a'b", now), wantStatus: 400, wantField: "rejected"},
		{name: "transfers without an id", body: event(EventCompleteTransfer, "https://x/v1/customers/"+testTenant+"/transfers", now), wantStatus: 400, wantField: "rejected"},
		{name: "another resource", body: event(EventFailTransfer, "https://x/v1/invoices/1", now), wantStatus: 400, wantField: "rejected"},
		// Event names are matched exactly, as for every other event.
		{name: "name in another letter case", body: event("Complete-Transfer", uri, now), wantStatus: 200, wantField: "ignored"},
		{name: "unsigned", body: completed, header: func([]byte) http.Header { return http.Header{} }, wantStatus: 401},
		{name: "forged", body: completed, header: func([]byte) http.Header {
			return signed(t, good, event(EventCompleteTransfer, uri, now.Add(time.Second)))
		}, wantStatus: 401},
		{name: "stale", body: event(EventCompleteTransfer, uri, now.Add(-25*time.Hour)), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &mocks.Client{}
			if tt.want != nil {
				c.On("SignalWorkflow", mock.Anything, csptransfer.WorkflowID(testTenant), "", csptransfer.SignalPartnerTransferUpdated, *tt.want).
					Return(tt.signal).Once()
			}
			s := webhookServer(t, pki, c)
			h := signed(t, good, tt.body)
			if tt.header != nil {
				h = tt.header(tt.body)
			}
			rec, out := post(t, s, "/webhooks/partner-center", h, tt.body)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			if tt.wantField != "" {
				require.Equal(t, tt.wantField, out["status"], rec.Body.String())
			} else {
				require.NotEmpty(t, out["error"])
			}
			if tt.wantField == "signalled" {
				require.Equal(t, []any{csptransfer.WorkflowID(testTenant)}, out["signalled"])
			}
			c.AssertExpectations(t) // a refused webhook signals nothing
		})
	}
}

// A repeated delivery of a transfer event signals once; the other event about the same transfer is another
// event and signals too.
func TestPartnerTransferWebhookDuplicateSignalsOnce(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	uri := "https://api.partnercenter.microsoft.com/v1/customers/" + testTenant + "/transfers/1234"
	c := &mocks.Client{}
	for _, name := range []string{EventCompleteTransfer, EventFailTransfer} {
		c.On("SignalWorkflow", mock.Anything, csptransfer.WorkflowID(testTenant), "", csptransfer.SignalPartnerTransferUpdated,
			csptransfer.PartnerTransferUpdated{CustomerTenantID: testTenant, TransferID: "1234", Event: name, Source: "webhook"}).Return(nil).Once()
	}
	s := webhookServer(t, pki, c)

	body := event(EventCompleteTransfer, uri, now)
	rec, out := post(t, s, "/webhooks/partner-center", signed(t, good, body), body)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "signalled", out["status"])
	for range 2 {
		// Partner Center's redelivery carries a fresh signature over the same body: still the same event.
		rec, out = post(t, s, "/webhooks/partner-center", signed(t, good, body), body)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "duplicate", out["status"])
	}
	failed := event(EventFailTransfer, uri, now)
	rec, out = post(t, s, "/webhooks/partner-center", signed(t, good, failed), failed)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "signalled", out["status"])
	c.AssertExpectations(t)
}

func TestTransferResource(t *testing.T) {
	for _, tt := range []struct {
		uri, tenant, transfer string
		ok                    bool
	}{
		{"https://api.partnercenter.microsoft.com/v1/customers/" + testTenant + "/transfers/7c9e6679-7425-40de-944b-e07fc1f90ae7", testTenant, "7c9e6679-7425-40de-944b-e07fc1f90ae7", true},
		{"http://127.0.0.1:8089/v1/Customers/" + testTenant + "/Transfers/1234/", testTenant, "1234", true},
		{"https://x/v1/customers/" + testTenant, testTenant, "", true},
		{"https://x/v1/customers/" + testTenant + "/transfers", "", "", false},
		{"https://x/v1/customers/" + testTenant + "/subscriptions/1234", "", "", false},
		{"https://x/v1/customers/nope/transfers/1234", "", "", false},
		{"https://x/v1/customers/" + testTenant + "/transfers/%20", "", "", false},
		{"::", "", "", false},
	} {
		tenant, transfer, ok := transferResource(tt.uri)
		require.Equal(t, tt.ok, ok, tt.uri)
		require.Equal(t, tt.tenant, tenant, tt.uri)
		require.Equal(t, tt.transfer, transfer, tt.uri)
	}
}

func ptrTo[T any](v T) *T { return &v }
