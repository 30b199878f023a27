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

func TestWebhookReplayIsAnsweredWithoutSignallingTwice(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.signer(t, "/good.cer", now.Add(-time.Hour), now.Add(time.Hour))
	const tenant = "a1b2c3d4-0001-4000-8000-000000000001"
	body := event(pcwebhook.EventResellerRelationshipAccepted, "https://x/v1/customers/"+tenant, now)
	c := &mocks.Client{}
	c.On("SignalWorkflow", mock.Anything, csptransfer.WorkflowID(tenant), "", csptransfer.SignalRelationshipAccepted, mock.Anything).Return(nil).Once()
	s := webhookServer(t, pki, c)

	rec, out := post(t, s, "/webhooks/partner-center", signed(t, good, body), body)
	require.Equal(t, 200, rec.Code)
	require.Equal(t, "signalled", out["status"])
	for range 3 {
		rec, out = post(t, s, "/webhooks/partner-center", signed(t, good, body), body)
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

func TestSeenEventsIsBounded(t *testing.T) {
	s := newSeenEvents(3)
	for i := range 5 {
		s.add(fmt.Sprint(i))
	}
	require.False(t, s.seen("0"))
	require.False(t, s.seen("1"))
	require.True(t, s.seen("4"))
	require.Len(t, s.set, 3)
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
