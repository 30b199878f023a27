package activities

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer/internal/identity"
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
