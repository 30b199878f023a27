// Package notify sends messages to a customer's contact: invitations and reminders. The log notifier is the
// default (operators forward what it records); SMTP is used when configured.
package notify

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Message is one e-mail to a contact. To is personal data: it is never logged.
type Message struct {
	// Kind is invitation, invitation-reminder, agreement-reminder or renewal-reminder.
	Kind string
	To   string
	// Reference identifies the transfer (its workflow ID); with Kind it makes the message id, so a message
	// sent twice by a retried activity is recognisable as the same message.
	Reference string
	Subject   string
	Body      string
}

// ID is the stable message id of m.
func (m Message) ID() string {
	sum := sha256.Sum256([]byte(m.Reference + "\x00" + m.Kind + "\x00" + m.Subject))
	return hex.EncodeToString(sum[:12])
}

// Notifier delivers messages.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// Log records messages in the log instead of sending them, without the recipient or the body.
type Log struct{ Logger *zap.Logger }

var _ Notifier = Log{}

// Notify logs the message's kind, reference and subject.
func (l Log) Notify(_ context.Context, m Message) error {
	l.Logger.Info("notification (log only: configure CSP_SMTP_ADDR to send e-mail)",
		zap.String("kind", m.Kind), zap.String("reference", m.Reference), zap.String("subject", m.Subject),
		zap.String("messageId", m.ID()), zap.Bool("hasRecipient", m.To != ""))
	return nil
}

// SMTP sends messages through an SMTP relay. Credentials are only ever sent over TLS, and a TLS failure
// never falls back to plain text.
type SMTP struct {
	// Addr is host:port of the relay.
	Addr string
	From string
	// Optional: Username and Password for PLAIN authentication. When either is set, the connection must be
	// TLS (implicit, or STARTTLS offered by the relay), else nothing is sent.
	Username string
	Password string
	// Optional: TLS is how the connection is protected. default: DefaultTLSMode(Addr)
	TLS TLSMode
	// Optional: CAFile is a PEM file of the roots the relay's certificate may chain to, for a private relay.
	// default: the system's roots
	CAFile string
	// Optional: Timeout bounds one delivery. default: 30s
	Timeout time.Duration
}

var _ Notifier = SMTP{}

// TLSMode is how the connection to the relay is protected.
type TLSMode string

// TLS modes.
const (
	// TLSStartTLS upgrades the connection with STARTTLS whenever the relay offers it, and requires it when
	// credentials are set.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit TLSMode = "implicit"
	// TLSNone never uses TLS; it is refused with credentials.
	TLSNone TLSMode = "none"
)

// DefaultTLSMode is the mode for a relay at addr when none is set: implicit TLS on port 465, STARTTLS
// otherwise.
func DefaultTLSMode(addr string) TLSMode {
	if _, port, err := net.SplitHostPort(addr); err == nil && port == "465" {
		return TLSImplicit
	}
	return TLSStartTLS
}

// Errors of SMTP delivery that no retry can fix. Every other error (the relay unreachable, a timeout, a
// temporary 4xx reply) is transient: a later attempt may succeed.
var (
	// ErrInvalidRecipient: the recipient is not an e-mail address, or the relay refused the mailbox for
	// good (a 5xx reply to RCPT such as 550 5.1.1).
	ErrInvalidRecipient = errors.New("recipient is not a deliverable e-mail address")
	// ErrRejected: the relay refused delivery for good, or the settings forbid what it offers: a 5xx reply
	// other than to RCPT, authentication refused, its certificate not trusted or the TLS handshake refused,
	// credentials set for a relay without STARTTLS, or credentials with TLS mode none. Fix the settings or
	// the relay.
	ErrRejected = errors.New("refused permanently")
)

// LoadRootCAs reads the PEM certificates in file as a pool of roots.
func LoadRootCAs(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// Notify sends m. The recipient, the credentials and the relay's reply texts (which may quote the
// recipient) are never part of an error; reply codes are.
func (s SMTP) Notify(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return ErrInvalidRecipient
	}
	mode := s.TLS
	if mode == "" {
		mode = DefaultTLSMode(s.Addr)
	}
	credentials := s.Username != "" || s.Password != ""
	switch {
	case mode != TLSStartTLS && mode != TLSImplicit && mode != TLSNone:
		return fmt.Errorf("smtp: %w: TLS mode %q is not one of starttls, implicit, none", ErrRejected, mode)
	case mode == TLSNone && credentials:
		return fmt.Errorf("smtp: %w: TLS mode none with credentials would send them in plain text", ErrRejected)
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", s.Addr, err)
	}
	conf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		if conf.RootCAs, err = LoadRootCAs(s.CAFile); err != nil {
			return fmt.Errorf("smtp root certificates: %w", err)
		}
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn net.Conn
	if mode == TLSImplicit {
		conn, err = (&tls.Dialer{Config: conf}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return stepError("dial", err, ErrRejected)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return stepError("greeting", err, ErrRejected)
	}
	defer func() { _ = c.Close() }()
	// Said explicitly so a failed EHLO is reported as such, not as a missing STARTTLS.
	if err := c.Hello("localhost"); err != nil {
		return stepError("hello", err, ErrRejected)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && mode == TLSStartTLS {
		if err := c.StartTLS(conf); err != nil {
			return stepError("starttls", err, ErrRejected)
		}
	}
	if credentials {
		// net/smtp's PlainAuth would also send them in plain text to localhost.
		if _, ok := c.TLSConnectionState(); !ok {
			return fmt.Errorf("smtp: %w: the relay does not offer STARTTLS, and credentials are never sent in plain text", ErrRejected)
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return stepError("authentication", err, ErrRejected)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return stepError("sender", err, ErrRejected)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return stepError("recipient", err, recipientRefusal(err))
	}
	w, err := c.Data()
	if err != nil {
		return stepError("data", err, ErrRejected)
	}
	msg := strings.Join([]string{
		"From: " + s.From,
		"To: " + to.Address,
		"Subject: " + mimeHeader(m.Subject),
		"Message-ID: <" + m.ID() + "@csptransfer>",
		"Date: " + time.Now().UTC().Format(time.RFC1123Z),
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"", m.Body, "",
	}, "\r\n")
	if _, err := w.Write([]byte(msg)); err != nil {
		return stepError("write", err, ErrRejected)
	}
	if err := w.Close(); err != nil {
		return stepError("send", err, ErrRejected)
	}
	// The relay has accepted the message: a failed QUIT must not make a retry send it twice.
	_ = c.Quit()
	return nil
}

// stepError reports err from one step of the conversation: permanent wraps a 5xx reply, ErrRejected a
// TLS failure no retry fixes (an untrusted certificate, a refused handshake, a relay that does not speak
// TLS); anything else is transient. Of a reply only the codes are kept: its text may quote the recipient,
// and a malformed reply is kept out altogether.
func stepError(step string, err error, permanent error) error {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		if reply.Code >= 500 {
			return fmt.Errorf("smtp %s: %w (reply %s)", step, permanent, replyCodes(reply))
		}
		return fmt.Errorf("smtp %s: temporary failure (reply %s)", step, replyCodes(reply))
	}
	var garbled textproto.ProtocolError
	if errors.As(err, &garbled) {
		// net/textproto quotes the whole malformed line, which may quote the recipient.
		return fmt.Errorf("smtp %s: temporary failure (a malformed reply from the relay)", step)
	}
	var (
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		record tls.RecordHeaderError
	)
	if errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record) {
		return fmt.Errorf("smtp %s: %w: %w", step, ErrRejected, err)
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

// recipientRefusal is what a permanent refusal of the recipient means: the mailbox does not exist
// (enhanced status 5.1.x, or a bare 550, 551 or 553), or a refusal of the relay's own, such as relaying
// denied (5.7.x).
func recipientRefusal(err error) error {
	var reply *textproto.Error
	if !errors.As(err, &reply) {
		return ErrRejected
	}
	if enhanced := enhancedStatus(reply); enhanced != "" {
		if strings.HasPrefix(enhanced, "5.1.") {
			return ErrInvalidRecipient
		}
		return ErrRejected
	}
	switch reply.Code {
	case 550, 551, 553:
		return ErrInvalidRecipient
	}
	return ErrRejected
}

// replyCodes is "550 5.1.1": the reply code and the enhanced status code (RFC 3463) when there is one.
func replyCodes(reply *textproto.Error) string {
	if enhanced := enhancedStatus(reply); enhanced != "" {
		return fmt.Sprintf("%d %s", reply.Code, enhanced)
	}
	return strconv.Itoa(reply.Code)
}

func enhancedStatus(reply *textproto.Error) string {
	first, _, _ := strings.Cut(reply.Msg, " ")
	parts := strings.Split(first, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return ""
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(p) > 3 {
			return ""
		}
	}
	return first
}

func mimeHeader(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
