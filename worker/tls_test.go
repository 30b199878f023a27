package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/workerapp"
)

type pki struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPath string
	dir    string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &pki{ca: ca, caKey: key, dir: t.TempDir()}
	p.caPath = p.write(t, "ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return path
}

// issue makes a certificate signed by the CA and returns its PEM paths and the tls pair.
func (p *pki) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (string, string, tls.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: []string{name}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPath := p.write(t, name+".pem", "CERTIFICATE", der)
	keyPath := p.write(t, name+"-key.pem", "EC PRIVATE KEY", keyDER)
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	return certPath, keyPath, pair
}

// mtlsProxy terminates mutual TLS in front of the dev server (which the Temporal CLI starts without TLS)
// and forwards the gRPC stream, counting the connections that presented a valid client certificate.
func mtlsProxy(t *testing.T, p *pki, serverPair tls.Certificate, upstream string, auth tls.ClientAuthType) (string, *atomic.Int32) {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverPair}, ClientCAs: roots, ClientAuth: auth,
		NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	var verified atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				verified.Add(1)
				up, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}(c)
		}
	}()
	return l.Addr().String(), &verified
}

// TestWorkerConnectsWithMutualTLS configures the worker only through the TEMPORAL_TLS_* variables that
// envconfig reads (as for a self-hosted cluster or Temporal Cloud with mTLS) and runs a workflow through
// a proxy that demands a client certificate. Without the certificate the connection is refused.
func TestWorkerConnectsWithMutualTLS(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	p := newPKI(t)
	_, _, serverPair := p.issue(t, "temporal.test", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey, _ := p.issue(t, "csptransfer-worker", x509.ExtKeyUsageClientAuth)
	addr, verified := mtlsProxy(t, p, serverPair, srv.FrontendHostPort(), tls.RequireAndVerifyClientCert)

	env := config.Map{
		"TEMPORAL_ADDRESS":                 addr,
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    clientCert,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     clientKey,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath,
		"TEMPORAL_TLS_SERVER_NAME":         "temporal.test",
		"CSP_METRICS_ADDR":                 "off",
		"CSP_SANDBOX_ADDR":                 "127.0.0.1:0",
	}
	cfg, err := config.LoadWorkerFrom(env)
	require.NoError(t, err)
	require.NotNil(t, cfg.Temporal.ConnectionOptions.TLS, "envconfig turned TLS on")

	ctx, cancel := context.WithCancel(context.Background())
	m := &workerapp.Main{Config: cfg, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), Ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-m.Ready:
	case err := <-done:
		t.Fatalf("worker stopped: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("worker not polling through mTLS within a minute")
	}
	require.Positive(t, verified.Load())

	c := srv.Client()
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "tls-check", TaskQueue: csptransfer.TaskQueue},
		csptransfer.WorkflowType, csptransfer.TransferRequest{CustomerTenantID: "not-a-guid"})
	require.NoError(t, err)
	err = run.Get(context.Background(), nil)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "the worker behind mTLS ran the workflow: %v", err)
	require.Equal(t, csptransfer.ErrTypeInvalidRequest, appErr.Type())

	// The same address without a client certificate is refused.
	noCert, err := config.LoadWorkerFrom(config.Map{"TEMPORAL_ADDRESS": addr, "TEMPORAL_TLS": "true",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath, "TEMPORAL_TLS_SERVER_NAME": "temporal.test"})
	require.NoError(t, err)
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	_, err = client.DialContext(dctx, noCert.Temporal)
	require.Error(t, err)
}

// TestWorkerConnectsWithAnAPIKey configures the worker as for Temporal Cloud with an API key: envconfig
// turns TLS on and sends the key as credentials. The endpoint here is TLS in front of the dev server
// (which does not check keys), so this proves the TLS and credential wiring, not key validation.
func TestWorkerConnectsWithAnAPIKey(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	p := newPKI(t)
	_, _, serverPair := p.issue(t, "cloud.test", x509.ExtKeyUsageServerAuth)
	addr, connections := mtlsProxy(t, p, serverPair, srv.FrontendHostPort(), tls.NoClientCert)
	cfg, err := config.LoadWorkerFrom(config.Map{
		"TEMPORAL_ADDRESS": addr, "TEMPORAL_API_KEY": "test-api-key",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": p.caPath, "TEMPORAL_TLS_SERVER_NAME": "cloud.test",
		"CSP_METRICS_ADDR": "off", "CSP_SANDBOX_ADDR": "127.0.0.1:0",
	})
	require.NoError(t, err)
	require.NotNil(t, cfg.Temporal.Credentials)
	m := &workerapp.Main{Config: cfg, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))}
	stop, err := m.Start(context.Background(), time.Minute)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stop()) })
	require.Positive(t, connections.Load(), "the worker came in over TLS")
}
