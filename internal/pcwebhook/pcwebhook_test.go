package pcwebhook_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

type chain struct {
	roots *x509.CertPool
	leaf  *x509.Certificate
	key   *rsa.PrivateKey
}

func newChain(t testing.TB, now time.Time) chain {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test root", Organization: []string{"Microsoft Corporation"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "webhook signer", Organization: []string{"Microsoft Corporation"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	require.NoError(t, err)
	leaf, err := pcwebhook.ParseCertificate(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return chain{roots: roots, leaf: leaf, key: leafKey}
}

func TestSignVerify(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c := newChain(t, now)
	other := newChain(t, now)
	signer, err := pcwebhook.NewSigner(c.key, "http://127.0.0.1:8089/sandbox/certs/webhook.cer")
	require.NoError(t, err)
	body, err := json.Marshal(pcwebhook.Event{
		EventName:             pcwebhook.EventResellerRelationshipAccepted,
		ResourceURI:           "http://127.0.0.1:8089/v1/customers/0d8c1a86-4f0e-4b5e-9d7a-52a3c1f0a001",
		ResourceName:          pcwebhook.ResourceCustomer,
		AuditURI:              "http://127.0.0.1:8089/v1/auditrecords/1",
		ResourceChangeUTCDate: now,
	})
	require.NoError(t, err)
	h, err := signer.Sign(body)
	require.NoError(t, err)
	require.Equal(t, "rsa-sha256", h.Get(pcwebhook.HeaderSignatureAlgorithm))
	require.Equal(t, "http://127.0.0.1:8089/sandbox/certs/webhook.cer", h.Get(pcwebhook.HeaderCertificateURL))

	tests := []struct {
		name    string
		body    []byte
		header  func() http.Header
		roots   *x509.CertPool
		now     time.Time
		wantErr bool
	}{
		{name: "OK", body: body, header: h.Clone, roots: c.roots, now: now},
		{name: "TamperedBody", body: append([]byte(" "), body...), header: h.Clone, roots: c.roots, now: now, wantErr: true},
		{name: "OtherRoot", body: body, header: h.Clone, roots: other.roots, now: now, wantErr: true},
		{name: "Expired", body: body, header: h.Clone, roots: c.roots, now: now.Add(2 * time.Hour), wantErr: true},
		{name: "WrongAlgorithm", body: body, header: func() http.Header {
			x := h.Clone()
			x.Set(pcwebhook.HeaderSignatureAlgorithm, "hmac-sha1")
			return x
		}, roots: c.roots, now: now, wantErr: true},
		{name: "BearerInsteadOfSignature", body: body, header: func() http.Header {
			x := h.Clone()
			x.Set(pcwebhook.HeaderAuthorization, "Bearer abc")
			return x
		}, roots: c.roots, now: now, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pcwebhook.Verify(tt.body, tt.header(), c.leaf, tt.roots, nil, tt.now)
			if tt.wantErr {
				require.ErrorIs(t, err, pcwebhook.ErrInvalidSignature)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestEventJSONNames(t *testing.T) {
	b, err := json.Marshal(pcwebhook.Event{EventName: "x"})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"EventName", "ResourceUri", "ResourceName", "AuditUri", "ResourceChangeUtcDate"} {
		require.Contains(t, m, k)
	}
}
