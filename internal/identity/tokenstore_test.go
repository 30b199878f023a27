package identity_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/identity"
)

// TestRotatedRefreshTokenSurvivesARestart: Entra rotates the refresh token; the newest one is saved
// (0600) and a provider started afterwards redeems it, not the configured one months older.
func TestRotatedRefreshTokenSurvivesARestart(t *testing.T) {
	e := &entra{calls: map[string]int{}, expiresIn: 3599, rotate: true}
	srv := httptest.NewServer(e.handler(t))
	t.Cleanup(srv.Close)
	store := &identity.FileTokenStore{Path: filepath.Join(t.TempDir(), "secrets", "refresh-tokens.json")}
	newProvider := func() *identity.Provider {
		p, err := identity.New(identity.Config{Authority: srv.URL + "/login", ClientID: clientID, ClientSecret: clientSecret,
			RefreshToken: refreshToken, Tokens: store, HTTPClient: &http.Client{Timeout: 5 * time.Second},
			OnStoreError: func(_ string, err error) { t.Errorf("store: %v", err) }})
		require.NoError(t, err)
		return p
	}

	_, err := newProvider().AppUser("partner", identity.ScopePartnerCenterUser).Token()
	require.NoError(t, err)
	fi, err := os.Stat(store.Path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	dir, err := os.Stat(filepath.Dir(store.Path))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dir.Mode().Perm())

	_, err = newProvider().AppUser("partner", identity.ScopePartnerCenterUser).Token()
	require.NoError(t, err)
	require.Equal(t, "rt-2", e.forms[1]["refresh_token"], "the restarted provider redeems the rotated token")

	require.NoError(t, os.Chmod(store.Path, 0o644))
	_, err = identity.New(identity.Config{ClientID: clientID, ClientSecret: clientSecret, Tokens: store})
	require.ErrorContains(t, err, "readable by others")
}

// TestRefusedRefreshTokenIsNamedAccessLost: Entra answers invalid_grant; the error says App+User access
// was lost and what to do, and shows no token.
func TestRefusedRefreshTokenIsNamedAccessLost(t *testing.T) {
	p, e := setup(t, identity.Config{RefreshToken: refreshToken})
	e.fail = func(w http.ResponseWriter, form map[string]string) bool {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity.","error_codes":[700082]}`))
		return true
	}
	_, err := p.AppUser("partner", identity.ScopePartnerCenterUser).Token()
	require.True(t, errors.Is(err, identity.ErrAppUserAccessLost), "%v", err)
	require.Contains(t, err.Error(), "PARTNER_CENTER_REFRESH_TOKEN")
	require.False(t, strings.Contains(err.Error(), refreshToken))

	// An app-only token refused the same way is a different problem.
	_, err = p.AppOnly("partner", identity.ScopePartnerCenterApp).Token()
	require.False(t, errors.Is(err, identity.ErrAppUserAccessLost))
}
