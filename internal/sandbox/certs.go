package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// keyMaterial is the parsed form of the keys kept in state.
type keyMaterial struct {
	caCert   *x509.Certificate
	signCert *x509.Certificate
	signKey  *rsa.PrivateKey
}

// ensureKeys loads the token key, the sandbox CA and the webhook signing certificate from
// state, creating them once. They live in state so that tokens and the trust anchor a
// receiver pinned survive restarts.
func (s *Sandbox) ensureKeys() error {
	if len(s.st.TokenKey) == 0 {
		s.st.TokenKey = make([]byte, 32)
		if _, err := rand.Read(s.st.TokenKey); err != nil {
			return fmt.Errorf("generate token key: %w", err)
		}
	}
	if s.st.CACertPEM == "" || s.st.SignCertPEM == "" {
		if err := s.generateCerts(); err != nil {
			return err
		}
	}
	km, err := parseKeys(s.st)
	if err != nil {
		return err
	}
	s.keys = km
	signer, err := pcwebhook.NewSigner(km.signKey, s.publicURL+"/sandbox/certs/webhook.cer")
	if err != nil {
		return err
	}
	s.signer = signer
	return nil
}

func (s *Sandbox) generateCerts() error {
	now := s.now().UTC()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate ca key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "csptransfer Sandbox Root CA", Organization: []string{"csptransfer sandbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create ca certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("parse ca certificate: %w", err)
	}
	signKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano() + 1),
		Subject:      pkix.Name{CommonName: "Partner Center webhook signing (sandbox)", Organization: []string{"csptransfer sandbox"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &signKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create signing certificate: %w", err)
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return fmt.Errorf("encode ca key: %w", err)
	}
	signKeyDER, err := x509.MarshalPKCS8PrivateKey(signKey)
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	s.st.CAKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: caKeyDER}))
	s.st.CACertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	s.st.SignKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: signKeyDER}))
	s.st.SignCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}))
	_ = ca
	return nil
}

func parseKeys(st *state) (*keyMaterial, error) {
	ca, err := pcwebhook.ParseCertificate([]byte(st.CACertPEM))
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	leaf, err := pcwebhook.ParseCertificate([]byte(st.SignCertPEM))
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	block, _ := pem.Decode([]byte(st.SignKeyPEM))
	if block == nil {
		return nil, errors.New("signing key: no pem block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("signing key: not rsa")
	}
	return &keyMaterial{caCert: ca, signCert: leaf, signKey: rk}, nil
}
