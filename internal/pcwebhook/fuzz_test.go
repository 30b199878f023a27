package pcwebhook_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// FuzzVerify feeds hostile bodies and headers to the verifier: it must never panic and must accept
// nothing but the body the certificate's key signed.
func FuzzVerify(f *testing.F) {
	now := time.Now()
	c := newChain(f, now)
	signer, err := pcwebhook.NewSigner(c.key, "https://example.invalid/cert.cer")
	if err != nil {
		f.Fatal(err)
	}
	good := []byte(`{"EventName":"reseller-relationship-accepted-by-customer","ResourceUri":"https://api.partnercenter.microsoft.com/v1/customers/6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f","ResourceName":"customer"}`)
	h, err := signer.Sign(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, h.Get(pcwebhook.HeaderAuthorization), h.Get(pcwebhook.HeaderSignatureAlgorithm))
	f.Add([]byte("{}"), "Signature !!!", "rsa-sha256")
	f.Add([]byte(""), "", "")
	f.Add([]byte(`{"EventName":1}`), "Signature "+string(make([]byte, 600)), "RSA-SHA256")
	f.Fuzz(func(t *testing.T, body []byte, auth, alg string) {
		hdr := http.Header{}
		hdr.Set(pcwebhook.HeaderAuthorization, auth)
		hdr.Set(pcwebhook.HeaderSignatureAlgorithm, alg)
		err := pcwebhook.Verify(body, hdr, c.leaf, c.roots, nil, now)
		if err == nil {
			require.Equal(t, string(good), string(body), "only the signed body verifies")
		}
	})
}

// FuzzParseCertificate: arbitrary bytes at the certificate URL never panic the parser.
func FuzzParseCertificate(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x82, 0x01})
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = pcwebhook.ParseCertificate(data)
	})
}

// FuzzEvent: the event payload decodes or fails cleanly.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"EventName":"granular-admin-relationship-approved","ResourceUri":"x","ResourceName":"GranularAdminRelationship","AuditUri":"y","ResourceChangeUtcDate":"2026-11-21T10:00:00Z"}`))
	f.Add([]byte(`{"ResourceChangeUtcDate":"not a date"}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev pcwebhook.Event
		_ = json.Unmarshal(data, &ev)
	})
}
