package identity_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/mscorpus"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

// The tests in this file answer the provider's token requests with the
// identity platform's published example bodies (internal/mscorpus).

func identityExample(t *testing.T, name string) mscorpus.Example {
	t.Helper()
	return mscorpus.Get(mscorpus.Identity, name)
}

// answerWith makes the fake token endpoint answer every request with ex.
func answerWith(ex mscorpus.Example) func(w http.ResponseWriter, _ map[string]string) bool {
	return func(w http.ResponseWriter, _ map[string]string) bool {
		w.WriteHeader(ex.Status)
		_, _ = w.Write(ex.Body)
		return true
	}
}

func formKeys(form map[string]string) []string {
	var keys []string
	for k := range form {
		if k != "tenant" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func TestCorpusClientCredentialsToken(t *testing.T) {
	ex := identityExample(t, "client-credentials-token.response")
	p, e := setup(t, identity.Config{})
	e.fail = answerWith(ex)
	before := time.Now()
	tok, err := p.AppOnly("contoso.onmicrosoft.com", identity.ScopeGraph).Token()
	require.NoError(t, err)
	require.Equal(t, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP...", tok.AccessToken)
	require.Equal(t, "Bearer", tok.TokenType)
	require.WithinDuration(t, before.Add(3599*time.Second), tok.Expiry, 5*time.Second, "expires_in is seconds")

	// The request carries the parameters the page documents for "Access
	// token request with a shared secret", in the form body.
	require.Equal(t, []string{"client_id", "client_secret", "grant_type", "scope"}, formKeys(e.forms[0]))
	require.Equal(t, "client_credentials", e.forms[0]["grant_type"])
	require.Equal(t, "https://graph.microsoft.com/.default", e.forms[0]["scope"])
	require.Equal(t, "contoso.onmicrosoft.com", e.forms[0]["tenant"])
}

func TestCorpusTokenErrors(t *testing.T) {
	tests := []struct {
		example string
		appUser bool
		wantMsg string
	}{
		{
			example: "client-credentials-token.error",
			wantMsg: "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://foo.microsoft.com/.default is not valid.",
		},
		{
			example: "refresh-token.error", appUser: true,
			wantMsg: "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://foo.microsoft.com/mail.read is not valid.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			ex := identityExample(t, tt.example)
			p, e := setup(t, identity.Config{RefreshToken: refreshToken})
			e.fail = answerWith(ex)
			src := p.AppOnly("t1", identity.ScopePartnerCenterApp)
			if tt.appUser {
				src = p.AppUser("t1", identity.ScopePartnerCenterUser)
			}
			_, err := src.Token()
			var te *identity.TokenError
			require.True(t, errors.As(err, &te), "%T %v", err, err)
			require.Equal(t, "invalid_scope", te.Code)
			require.Equal(t, "AADSTS70011", te.AADSTS)
			require.Equal(t, http.StatusBadRequest, te.StatusCode)
			require.Equal(t, tt.wantMsg, te.Description, "first line only: no trace or correlation id")
			require.False(t, te.Retryable)
			require.False(t, msrest.IsRetryable(err))
			if tt.appUser {
				// The refresh request uses the parameter names of "Refresh
				// the access token".
				require.Equal(t, []string{"client_id", "client_secret", "grant_type", "refresh_token", "scope"}, formKeys(e.forms[0]))
				require.Equal(t, "refresh_token", e.forms[0]["grant_type"])
			}
		})
	}
}

// TestCorpusTokenErrorThroughPartnerCenter checks the error reaches a
// Partner Center caller typed: the code survives msrest's wrapping and the
// call is not retried.
func TestCorpusTokenErrorThroughPartnerCenter(t *testing.T) {
	ex := identityExample(t, "client-credentials-token.error")
	p, e := setup(t, identity.Config{})
	e.fail = answerWith(ex)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("no API request may be sent without a token: %s %s", r.Method, r.URL)
	})
	srv := newServer(t, api)
	pc, err := partnercenter.New(partnercenter.Config{BaseURL: srv, AppTokens: p.AppOnly("t1", identity.ScopePartnerCenterApp)})
	require.NoError(t, err)
	_, err = pc.LegalBusinessProfile(context.Background())
	var te *identity.TokenError
	require.True(t, errors.As(err, &te), "%T %v", err, err)
	require.Equal(t, "invalid_scope", te.Code)
	require.Equal(t, "AADSTS70011", te.AADSTS)
	require.False(t, msrest.IsRetryable(err))
	require.Equal(t, 1, e.count("t1/client_credentials"))
}

// TestCorpusCoverage fails when a valid identity example is added to the
// corpus without a test here that uses it.
func TestCorpusCoverage(t *testing.T) {
	src, err := os.ReadFile("corpus_test.go")
	require.NoError(t, err)
	var missing []string
	for _, ex := range mscorpus.ByService(mscorpus.Identity) {
		if !strings.Contains(string(src), strconv.Quote(ex.Name)) {
			missing = append(missing, ex.Name)
		}
	}
	require.Empty(t, missing)
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
