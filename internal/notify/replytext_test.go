package notify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/notify/smtptest"
)

// TestRepliesNeverReachTheError: whatever the relay answers, well-formed or garbled, its text (which may
// quote the recipient) is not part of the error; the reply codes are.
func TestRepliesNeverReachTheError(t *testing.T) {
	tests := []struct {
		name    string
		replies map[string]string
		want    string
		is      error
	}{
		{"permanent", map[string]string{"RCPT": "550 5.1.1 <it-admin@contoso.example>: no such user"}, "(reply 550 5.1.1)", ErrInvalidRecipient},
		{"temporary", map[string]string{"RCPT": "452 4.2.2 <it-admin@contoso.example> is over quota"}, "temporary failure (reply 452 4.2.2)", nil},
		{"garbled", map[string]string{"RCPT": "5x0 <it-admin@contoso.example> unknown"}, "a malformed reply from the relay", nil},
		{"garbled data reply", map[string]string{"DATA": "55 it-admin@contoso.example"}, "smtp data: temporary failure (a malformed reply", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			relay := smtptest.StartWith(t, smtptest.Options{Replies: tt.replies})
			s := SMTP{Addr: relay.Addr, From: "transfers@partner.example", CAFile: relay.CAFile}
			err := s.Notify(context.Background(), invitation)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.NotContains(t, strings.ToLower(err.Error()), "contoso")
			if tt.is != nil {
				require.True(t, errors.Is(err, tt.is))
			}
		})
	}
}
