package notify

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/csptransfer/csptransfer/internal/notify/smtptest"
)

func TestLogNeverRecordsTheRecipient(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	m := Message{Kind: "invitation", To: "it-admin@contoso.example", Reference: "csp-transfer-x", Subject: "Please accept", Body: "secret link"}
	require.NoError(t, Log{Logger: zap.New(core)}.Notify(context.Background(), m))
	require.Equal(t, 1, logs.Len())
	for k, v := range logs.All()[0].ContextMap() {
		if s, ok := v.(string); ok {
			require.NotContains(t, s, "contoso.example", k)
			require.NotContains(t, s, "secret link", k)
		}
	}
}

func TestMessageIDIsStable(t *testing.T) {
	m := Message{Kind: "invitation", Reference: "csp-transfer-x", Subject: "s"}
	require.Equal(t, m.ID(), m.ID())
	m2 := m
	m2.Kind = "invitation-reminder"
	require.NotEqual(t, m.ID(), m2.ID())
}

var invitation = Message{Kind: "invitation", To: "it-admin@contoso.example", Reference: "csp-transfer-x", Subject: "Please accept", Body: "Open the link"}

// requireDelivered checks that relay accepted invitation, and that credentials, if any, came over TLS only.
func requireDelivered(t *testing.T, relay *smtptest.Server) smtptest.Message {
	t.Helper()
	msgs := relay.Messages()
	require.Len(t, msgs, 1)
	got := msgs[0]
	require.Equal(t, []string{"it-admin@contoso.example"}, got.To)
	require.Equal(t, "transfers@partner.example", got.From)
	require.Contains(t, got.Data, "To: it-admin@contoso.example")
	require.Contains(t, got.Data, "Message-ID: <"+invitation.ID()+"@csptransfer>")
	require.Contains(t, got.Data, "Open the link")
	for _, a := range relay.Auths() {
		require.True(t, a.TLS, "credentials were sent in plain text")
	}
	return got
}

func TestSMTPDelivers(t *testing.T) {
	tests := []struct {
		name     string
		relay    smtptest.Options
		tls      TLSMode
		user     string
		wantTLS  bool
		wantUser string
	}{
		{name: "STARTTLS with credentials", relay: smtptest.Options{Username: "relay-user", Password: "relay-pass"},
			user: "relay-user", wantTLS: true, wantUser: "relay-user"},
		{name: "STARTTLS without credentials", wantTLS: true},
		{name: "implicit TLS with credentials", relay: smtptest.Options{Mode: smtptest.Implicit, Username: "relay-user", Password: "relay-pass"},
			tls: TLSImplicit, user: "relay-user", wantTLS: true, wantUser: "relay-user"},
		{name: "plain relay without credentials", relay: smtptest.Options{Mode: smtptest.Plain}},
		{name: "TLS mode none", relay: smtptest.Options{}, tls: TLSNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			relay := smtptest.StartWith(t, tt.relay)
			s := SMTP{Addr: relay.Addr, From: "transfers@partner.example", TLS: tt.tls, CAFile: relay.CAFile}
			if tt.user != "" {
				s.Username, s.Password = tt.user, "relay-pass"
			}
			require.NoError(t, s.Notify(context.Background(), invitation))
			got := requireDelivered(t, relay)
			require.Equal(t, tt.wantTLS, got.TLS)
			require.Equal(t, tt.wantUser, got.User)
			if tt.wantUser != "" {
				require.Len(t, relay.Auths(), 1)
			}
		})
	}
}

func TestDefaultTLSMode(t *testing.T) {
	require.Equal(t, TLSImplicit, DefaultTLSMode("smtp.example:465"))
	require.Equal(t, TLSStartTLS, DefaultTLSMode("smtp.example:587"))
	require.Equal(t, TLSStartTLS, DefaultTLSMode("smtp.example:25"))
}

// Errors no retry can fix are told apart from transient ones, and never carry the recipient or the
// credentials.
func TestSMTPRefusals(t *testing.T) {
	creds := smtptest.Options{Username: "relay-user", Password: "relay-pass"}
	other := smtptest.Start(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refusedAddr := closed.Addr().String()
	require.NoError(t, closed.Close())

	tests := []struct {
		name     string
		relay    *smtptest.Options // nil: nothing listens
		smtp     func(s *SMTP)
		want     error // nil: a transient error
		wantText string
	}{
		{name: "credentials and a relay without STARTTLS", relay: &smtptest.Options{Mode: smtptest.Plain, Username: "relay-user", Password: "relay-pass"},
			want: ErrRejected, wantText: "does not offer STARTTLS"},
		{name: "credentials with TLS mode none", relay: &creds, smtp: func(s *SMTP) { s.TLS = TLSNone }, want: ErrRejected},
		{name: "untrusted certificate", relay: &creds, smtp: func(s *SMTP) { s.CAFile = other.CAFile }, want: ErrRejected, wantText: "certificate"},
		{name: "untrusted certificate without credentials", relay: &smtptest.Options{}, smtp: func(s *SMTP) {
			s.Username, s.Password, s.CAFile = "", "", ""
		}, want: ErrRejected},
		{name: "implicit TLS against a plain port", relay: &smtptest.Options{Mode: smtptest.Plain}, smtp: func(s *SMTP) {
			s.Username, s.Password, s.TLS = "", "", TLSImplicit
		}, want: ErrRejected},
		{name: "wrong password", relay: &creds, smtp: func(s *SMTP) { s.Password = "not-the-password" }, want: ErrRejected, wantText: "535 5.7.8"},
		{name: "no such mailbox", relay: &smtptest.Options{Replies: map[string]string{"RCPT": "550 5.1.1 <it-admin@contoso.example>: no such user"}},
			smtp: func(s *SMTP) { s.Username, s.Password = "", "" }, want: ErrInvalidRecipient, wantText: "550 5.1.1"},
		{name: "relaying denied", relay: &smtptest.Options{Replies: map[string]string{"RCPT": "554 5.7.1 <it-admin@contoso.example>: relay access denied"}},
			smtp: func(s *SMTP) { s.Username, s.Password = "", "" }, want: ErrRejected},
		{name: "recipient deferred", relay: &smtptest.Options{Replies: map[string]string{"RCPT": "451 4.3.0 <it-admin@contoso.example>: try later"}},
			smtp: func(s *SMTP) { s.Username, s.Password = "", "" }, wantText: "temporary failure (reply 451 4.3.0)"},
		{name: "message refused", relay: &smtptest.Options{Replies: map[string]string{"DATA": "554 5.6.0 no"}},
			smtp: func(s *SMTP) { s.Username, s.Password = "", "" }, want: ErrRejected},
		{name: "relay unreachable", smtp: func(s *SMTP) { s.Addr = refusedAddr }, wantText: "smtp dial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := SMTP{From: "transfers@partner.example", Username: "relay-user", Password: "relay-pass"}
			var relay *smtptest.Server
			if tt.relay != nil {
				relay = smtptest.StartWith(t, *tt.relay)
				s.Addr, s.CAFile = relay.Addr, relay.CAFile
			}
			if tt.smtp != nil {
				tt.smtp(&s)
			}
			err := s.Notify(context.Background(), invitation)
			require.Error(t, err)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			} else {
				require.NotErrorIs(t, err, ErrRejected)
				require.NotErrorIs(t, err, ErrInvalidRecipient)
			}
			require.ErrorContains(t, err, tt.wantText)
			for _, secret := range []string{"contoso.example", "relay-pass", "not-the-password"} {
				require.NotContains(t, err.Error(), secret)
			}
			if relay != nil {
				require.Empty(t, relay.Messages())
				for _, a := range relay.Auths() {
					require.True(t, a.TLS, "credentials were sent in plain text")
				}
			}
		})
	}
}

func TestSMTPRejectsABadRecipientWithoutEchoingIt(t *testing.T) {
	err := SMTP{Addr: "127.0.0.1:1", From: "a@b.example"}.Notify(context.Background(), Message{To: "not an address"})
	require.ErrorIs(t, err, ErrInvalidRecipient)
	require.NotContains(t, err.Error(), "not an address")
}
