package msrest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// TestRetryAfterForms covers the Retry-After values Microsoft documents:
// whole seconds (Partner Center "57") and fractional seconds (Graph's
// throttling sample "2.128"); nonsense is ignored and absurd waits are capped
// at a day instead of overflowing.
func TestRetryAfterForms(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"57", 57 * time.Second},
		{"2.128", 2128 * time.Millisecond},
		{"0.0001", time.Millisecond},
		{"-1.5", 0},
		{"1e3", 0},
		{"NaN", 0},
		{"Inf", 0},
		{"99999999999", 24 * time.Hour},
		{"99999999999.5", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			srv, _ := scripted(t, step{status: 429, header: map[string]string{"Retry-After": tt.header}, body: `{"error":{"code":"TooManyRequests","message":"Please retry again later."}}`})
			c, _ := newClient(t, msrest.Graph, srv.URL, func(cfg *msrest.Config) { cfg.MaxAttempts = 1 })
			_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
			e, ok := msrest.AsError(err)
			require.True(t, ok)
			require.Equal(t, "TooManyRequests", e.Code)
			require.Equal(t, tt.want, e.RetryAfter)
		})
	}
}

// TestNumericAndStringCodes: Partner Center's examples send "code" as a
// number (800090) and our fixtures as a string; both read the same.
func TestNumericAndStringCodes(t *testing.T) {
	for _, body := range []string{
		`{"code": 800090, "description": "Subscription quantity cannot be decreased.", "data": [], "source": "PartnerFD"}`,
		`{"code": "800090", "description": "Subscription quantity cannot be decreased.", "data": [], "source": "PartnerFD"}`,
	} {
		srv, _ := scripted(t, step{status: 400, body: body})
		c, _ := newClient(t, msrest.PartnerCenter, srv.URL)
		_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
		require.Equal(t, "800090", msrest.Code(err), body)
		e, _ := msrest.AsError(err)
		require.Equal(t, "Subscription quantity cannot be decreased.", e.Description)
		require.False(t, e.Retryable)
	}
}
