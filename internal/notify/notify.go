// Package notify sends messages to a customer's contact: invitations and reminders. The log notifier is the
// default (operators forward what it records); SMTP is used when configured.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
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

// SMTP sends messages through an SMTP relay.
type SMTP struct {
	// Addr is host:port of the relay.
	Addr string
	From string
	// Optional: Username and Password for PLAIN authentication (only over TLS or to localhost).
	Username string
	Password string
	// Optional: Timeout bounds one delivery. default: 30s
	Timeout time.Duration
}

var _ Notifier = SMTP{}

// ErrInvalidRecipient is returned for a recipient that is not an e-mail address; retrying will not help.
var ErrInvalidRecipient = errors.New("recipient is not an e-mail address")

// Notify sends m. The recipient is never part of an error.
func (s SMTP) Notify(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return ErrInvalidRecipient
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", s.Addr, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp hello: %w", err)
	}
	defer func() { _ = c.Close() }()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(nil); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return errors.New("smtp authentication failed")
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp sender: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return errors.New("smtp recipient refused")
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
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
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return c.Quit()
}

func mimeHeader(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
