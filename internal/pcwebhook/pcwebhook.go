// Package pcwebhook holds the Partner Center webhook event payload, the names of the
// events csptransfer cares about, the callback headers, and both sides of the callback
// signature: Partner Center signs the exact body bytes with RSA-SHA256 and points at the
// signing certificate through a header; receivers check the chain and the signature.
package pcwebhook

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Event names Partner Center delivers that matter to a subscription transfer.
const (
	EventResellerRelationshipAccepted      = "reseller-relationship-accepted-by-customer"
	EventGranularAdminRelationshipApproved = "granular-admin-relationship-approved"
	EventGranularAdminRelationshipActive   = "granular-admin-relationship-activated"
	EventSubscriptionUpdated               = "subscription-updated"
	EventTestCreated                       = "test-created"
)

// Resource names carried in Event.ResourceName.
const (
	ResourceCustomer                  = "customer"
	ResourceGranularAdminRelationship = "GranularAdminRelationship"
	ResourceSubscription              = "subscription"
	ResourceTest                      = "test"
)

// Callback header names and values used by Partner Center webhook deliveries.
const (
	HeaderAuthorization      = "Authorization"
	HeaderCertificateURL     = "X-MS-Certificate-Url"
	HeaderSignatureAlgorithm = "X-MS-Signature-Algorithm"
	// AlgorithmRSASHA256 is the only signature algorithm Partner Center uses.
	AlgorithmRSASHA256 = "rsa-sha256"
	// SignatureScheme prefixes the base64 signature in the Authorization header.
	SignatureScheme = "Signature"
)

// Event is the JSON body of a Partner Center webhook callback. It is a pointer to the
// changed resource, not the resource itself: receivers fetch ResourceURI afterwards.
type Event struct {
	EventName             string    `json:"EventName"`
	ResourceURI           string    `json:"ResourceUri"`
	ResourceName          string    `json:"ResourceName"`
	AuditURI              string    `json:"AuditUri"`
	ResourceChangeUTCDate time.Time `json:"ResourceChangeUtcDate"`
}

// UnmarshalJSON implements json.Unmarshaler. A missing, null or empty
// ResourceChangeUtcDate decodes as the zero time rather than failing the
// event; Microsoft's examples also send "AuditUri": null and omit
// ResourceUri for some events, which decode as "".
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	aux := struct {
		*plain
		ResourceChangeUTCDate json.RawMessage `json:"ResourceChangeUtcDate"`
	}{plain: (*plain)(e)}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	e.ResourceChangeUTCDate = time.Time{}
	raw := bytes.TrimSpace(aux.ResourceChangeUTCDate)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`)) {
		return nil
	}
	return json.Unmarshal(raw, &e.ResourceChangeUTCDate)
}

// IsResource reports whether the event's ResourceName is name. Microsoft's
// documentation names the same resource in different cases (the property
// table of reseller-relationship-accepted-by-customer says "customer", its
// example "Customer"), so the comparison ignores case.
func (e Event) IsResource(name string) bool { return strings.EqualFold(e.ResourceName, name) }

// ErrInvalidSignature reports a callback whose headers or signature do not check out.
var ErrInvalidSignature = errors.New("invalid webhook signature")

// Signer signs webhook bodies the way Partner Center does.
type Signer struct {
	key     *rsa.PrivateKey
	certURL string
}

// NewSigner returns a Signer that signs with key and advertises certURL as the location of
// the certificate holding the matching public key.
func NewSigner(key *rsa.PrivateKey, certURL string) (*Signer, error) {
	if key == nil {
		return nil, errors.New("new signer: nil key")
	}
	if certURL == "" {
		return nil, errors.New("new signer: empty certificate url")
	}
	return &Signer{key: key, certURL: certURL}, nil
}

// Sign returns the three callback headers for body: the signature over the exact bytes,
// the certificate URL and the algorithm.
func (s *Signer) Sign(body []byte) (http.Header, error) {
	digest := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return nil, fmt.Errorf("sign webhook body: %w", err)
	}
	h := make(http.Header, 3)
	h.Set(HeaderAuthorization, SignatureScheme+" "+base64.StdEncoding.EncodeToString(sig))
	h.Set(HeaderCertificateURL, s.certURL)
	h.Set(HeaderSignatureAlgorithm, AlgorithmRSASHA256)
	return h, nil
}

// ParseCertificate reads a certificate in DER or PEM form, as served at the
// X-MS-Certificate-Url location.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("parse certificate: unexpected pem block %q", block.Type)
		}
		data = block.Bytes
	}
	cert, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// Signature extracts the raw signature from the callback headers and checks the algorithm.
func Signature(h http.Header) ([]byte, error) {
	if alg := h.Get(HeaderSignatureAlgorithm); !strings.EqualFold(alg, AlgorithmRSASHA256) {
		return nil, fmt.Errorf("%w: unsupported algorithm %q", ErrInvalidSignature, alg)
	}
	scheme, encoded, ok := strings.Cut(strings.TrimSpace(h.Get(HeaderAuthorization)), " ")
	if !ok || !strings.EqualFold(scheme, SignatureScheme) {
		return nil, fmt.Errorf("%w: authorization header is not a signature", ErrInvalidSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64", ErrInvalidSignature)
	}
	return sig, nil
}

// Verify checks a callback: cert must chain to roots at time now (intermediates may be nil)
// and its RSA key must have produced the signature in h over body. It does not fetch the
// certificate; callers download it from HeaderCertificateURL after pinning the host.
func Verify(body []byte, h http.Header, cert *x509.Certificate, roots, intermediates *x509.CertPool, now time.Time) error {
	sig, err := Signature(h)
	if err != nil {
		return err
	}
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrInvalidSignature)
	}
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return fmt.Errorf("%w: certificate chain: %w", ErrInvalidSignature, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: certificate key is not rsa", ErrInvalidSignature)
	}
	digest := sha256.Sum256(body)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	return nil
}
