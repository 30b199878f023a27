package activities

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
)

// TestLostAppUserAccessIsNamedAndRetried: a refused refresh token reaches the UI under its own name and
// keeps retrying, so the transfer goes on once an operator has set a new token.
func TestLostAppUserAccessIsNamedAndRetried(t *testing.T) {
	err := classify("customer agreements", fmt.Errorf("token: %w", identity.ErrAppUserAccessLost))
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, ErrTypeAppUserAccessLost, appErr.Type())
	require.False(t, appErr.NonRetryable())
	require.Contains(t, appErr.Error(), "PARTNER_CENTER_REFRESH_TOKEN")
}

// TestRetryAfterIsCapped: a Retry-After of a day parks nothing for a day; the cap is said in the message.
func TestRetryAfterIsCapped(t *testing.T) {
	err := classify("carts", &msrest.Error{StatusCode: http.StatusTooManyRequests, Retryable: true, RetryAfter: 24 * time.Hour})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, ErrTypeThrottled, appErr.Type())
	require.Equal(t, maxRetryAfter, appErr.NextRetryDelay())
	require.Contains(t, appErr.Error(), "capped at 10m")

	err = classify("carts", &msrest.Error{StatusCode: http.StatusServiceUnavailable, Retryable: true, RetryAfter: 30 * time.Second})
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, 30*time.Second, appErr.NextRetryDelay())
	require.NotContains(t, appErr.Error(), "capped")
}
