package notify

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
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

// fakeSMTP speaks just enough SMTP to accept one message and hand it to the test.
func fakeSMTP(t *testing.T) (string, <-chan string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	got := make(chan string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		w := func(s string) { _, _ = conn.Write([]byte(s + "\r\n")) }
		w("220 fake")
		var data strings.Builder
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if inData {
				if line == ".\r\n" {
					inData = false
					w("250 ok")
					got <- data.String()
					continue
				}
				data.WriteString(line)
				continue
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				w("250 fake")
			case cmd == "DATA":
				inData = true
				w("354 go")
			case cmd == "QUIT":
				w("221 bye")
				return
			default:
				w("250 ok")
			}
		}
	}()
	return l.Addr().String(), got
}

func TestSMTPDelivers(t *testing.T) {
	addr, got := fakeSMTP(t)
	s := SMTP{Addr: addr, From: "transfers@partner.example"}
	m := Message{Kind: "invitation", To: "it-admin@contoso.example", Reference: "csp-transfer-x", Subject: "Please accept", Body: "Open the link"}
	require.NoError(t, s.Notify(context.Background(), m))
	body := <-got
	require.Contains(t, body, "To: it-admin@contoso.example")
	require.Contains(t, body, "Message-ID: <"+m.ID()+"@csptransfer>")
	require.Contains(t, body, "Open the link")
}

func TestSMTPRejectsABadRecipientWithoutEchoingIt(t *testing.T) {
	err := SMTP{Addr: "127.0.0.1:1", From: "a@b.example"}.Notify(context.Background(), Message{To: "not an address"})
	require.ErrorIs(t, err, ErrInvalidRecipient)
	require.NotContains(t, err.Error(), "not an address")
}
