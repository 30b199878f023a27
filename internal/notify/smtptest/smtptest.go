// Package smtptest runs an SMTP relay with TLS on 127.0.0.1 for tests. It speaks EHLO, HELO, STARTTLS,
// AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT, enough for net/smtp, and presents a certificate
// signed by an authority made for the test, which the client trusts through Server.CAFile.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mode is how the relay offers TLS.
type Mode int

const (
	// StartTLS offers STARTTLS on a plain connection, as on port 587. It is the default.
	StartTLS Mode = iota
	// Implicit speaks TLS from the first byte, as on port 465.
	Implicit
	// Plain offers no TLS, yet still offers AUTH, as a careless relay would.
	Plain
)

// Options configure a relay. The zero value offers STARTTLS and accepts mail without authentication.
type Options struct {
	Mode Mode
	// Username and Password, when set, are the only credentials AUTH PLAIN accepts, and MAIL is refused
	// until they were given.
	Username, Password string
	// Replies replaces the handling of a command, by verb, with a fixed reply: {"RCPT": "550 5.1.1 no such user"}.
	Replies map[string]string
}

// Message is one message the relay accepted.
type Message struct {
	From string
	To   []string
	// Data is what followed DATA, headers and body, with the dot-stuffing undone.
	Data string
	// TLS reports whether the message came over TLS.
	TLS bool
	// User is who authenticated the session, "" for nobody.
	User string
}

// Auth is one AUTH command the relay received.
type Auth struct {
	User string
	// TLS reports whether the credentials came over TLS.
	TLS bool
	// OK reports whether they were accepted.
	OK bool
}

// Server is a running relay; it stops when the test ends.
type Server struct {
	// Addr is the relay's 127.0.0.1:port.
	Addr string
	// CAFile is a PEM file holding the authority that signed the relay's certificate.
	CAFile string

	opts Options
	tls  *tls.Config
	l    net.Listener
	wg   sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	messages []Message
	auths    []Auth
}

// Start runs a relay that offers STARTTLS and needs no authentication.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

// StartWith runs a relay configured by o.
func StartWith(tb testing.TB, o Options) *Server {
	tb.Helper()
	cert, caPEM := newCertificate(tb)
	s := &Server{
		CAFile: filepath.Join(tb.TempDir(), "smtptest-ca.pem"),
		opts:   o,
		tls:    &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		conns:  map[net.Conn]struct{}{},
	}
	if err := os.WriteFile(s.CAFile, caPEM, 0o600); err != nil {
		tb.Fatalf("smtptest: write CA file: %v", err)
	}
	var err error
	if o.Mode == Implicit {
		s.l, err = tls.Listen("tcp", "127.0.0.1:0", s.tls)
	} else {
		s.l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s.Addr = s.l.Addr().String()
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.close)
	return s
}

// Messages returns the messages accepted so far. A message is recorded before its DATA is acknowledged,
// so it is here once the client's send returned.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Auths returns the AUTH commands received so far.
func (s *Server) Auths() []Auth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.auths)
}

func (s *Server) close() {
	_ = s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				_ = conn.Close()
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			}()
			// A client that stalls must not hold the test up forever.
			_ = conn.SetDeadline(time.Now().Add(time.Minute))
			sess := &session{srv: s, conn: conn, r: bufio.NewReader(conn), tls: s.opts.Mode == Implicit}
			sess.run()
		}()
	}
}

// session is one client connection.
type session struct {
	srv  *Server
	conn net.Conn
	r    *bufio.Reader
	tls  bool
	user string
	from string
	to   []string
}

func (c *session) reply(lines ...string) {
	_, _ = c.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

func (c *session) run() {
	c.reply("220 smtptest ESMTP")
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		verb = strings.ToUpper(verb)
		if r, ok := c.srv.opts.Replies[verb]; ok {
			c.reply(r)
			continue
		}
		switch verb {
		case "EHLO":
			c.from, c.to = "", nil
			lines := []string{"250-smtptest"}
			if c.srv.opts.Mode == StartTLS && !c.tls {
				lines = append(lines, "250-STARTTLS")
			}
			c.reply(append(lines, "250 AUTH PLAIN")...)
		case "HELO":
			c.reply("250 smtptest")
		case "STARTTLS":
			if c.srv.opts.Mode != StartTLS || c.tls {
				c.reply("502 5.5.1 STARTTLS not offered")
				continue
			}
			c.reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(c.conn, c.srv.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			// RFC 3207: everything learnt before TLS is forgotten.
			c.conn, c.r, c.tls, c.user, c.from, c.to = tc, bufio.NewReader(tc), true, "", "", nil
		case "AUTH":
			c.auth(arg)
		case "MAIL":
			if c.srv.opts.Username != "" && c.user == "" {
				c.reply("530 5.7.0 authentication required")
				continue
			}
			c.from, c.to = address(arg), nil
			c.reply("250 2.1.0 sender ok")
		case "RCPT":
			if c.from == "" {
				c.reply("503 5.5.1 MAIL first")
				continue
			}
			c.to = append(c.to, address(arg))
			c.reply("250 2.1.5 recipient ok")
		case "DATA":
			if len(c.to) == 0 {
				c.reply("503 5.5.1 RCPT first")
				continue
			}
			c.reply("354 end data with <CR><LF>.<CR><LF>")
			data, ok := c.data()
			if !ok {
				return
			}
			c.srv.mu.Lock()
			c.srv.messages = append(c.srv.messages, Message{From: c.from, To: c.to, Data: data, TLS: c.tls, User: c.user})
			c.srv.mu.Unlock()
			c.from, c.to = "", nil
			c.reply("250 2.0.0 queued")
		case "RSET":
			c.from, c.to = "", nil
			c.reply("250 2.0.0 ok")
		case "NOOP":
			c.reply("250 2.0.0 ok")
		case "QUIT":
			c.reply("221 2.0.0 bye")
			return
		default:
			c.reply("502 5.5.2 command not implemented")
		}
	}
}

// auth handles AUTH PLAIN, with the credentials on the command line or after a 334 prompt.
func (c *session) auth(arg string) {
	mech, initial, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		c.reply("504 5.5.4 only PLAIN")
		return
	}
	if initial == "" {
		c.reply("334 ")
		line, err := c.r.ReadString('\n')
		if err != nil {
			return
		}
		initial = strings.TrimRight(line, "\r\n")
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		c.reply("501 5.5.2 malformed PLAIN response")
		return
	}
	user, pass := parts[1], parts[2]
	o := c.srv.opts
	ok := o.Username == "" || (user == o.Username && pass == o.Password)
	c.srv.mu.Lock()
	c.srv.auths = append(c.srv.auths, Auth{User: user, TLS: c.tls, OK: ok})
	c.srv.mu.Unlock()
	if !ok {
		c.reply("535 5.7.8 authentication credentials invalid")
		return
	}
	c.user = user
	c.reply("235 2.7.0 authenticated")
}

// data reads the message up to the lone dot.
func (c *session) data() (string, bool) {
	var b strings.Builder
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return "", false
		}
		if line == ".\r\n" {
			return b.String(), true
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
}

// address takes the mailbox out of "FROM:<a@b.example>" or "TO:<a@b.example> PARAM".
func address(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// newCertificate makes a certificate authority and a certificate for 127.0.0.1 and localhost signed by
// it, and returns the certificate and the authority in PEM.
func newCertificate(tb testing.TB) (tls.Certificate, []byte) {
	tb.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("smtptest: CA key: %v", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("smtptest: CA certificate: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatalf("smtptest: CA certificate: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("smtptest: relay key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "smtptest relay"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatalf("smtptest: relay certificate: %v", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}
