package sandbox_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func TestToken(t *testing.T) {
	e := newEnv(t)
	base := func() url.Values {
		return url.Values{"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}, "scope": {scopePC}, "grant_type": {"client_credentials"}}
	}
	tests := []struct {
		name       string
		tenant     string
		mod        func(url.Values)
		wantStatus int
		wantError  string
		wantDesc   string
	}{
		{name: "OK", tenant: sandbox.PartnerEU, mod: func(url.Values) {}, wantStatus: 200},
		{name: "CustomerDomain", tenant: "fabrikam-fr.onmicrosoft.com", mod: func(v url.Values) { v.Set("scope", scopeGraph) }, wantStatus: 200},
		{name: "WrongSecret", tenant: sandbox.PartnerEU, mod: func(v url.Values) { v.Set("client_secret", "nope") }, wantStatus: 401, wantError: "invalid_client", wantDesc: "AADSTS7000215"},
		{name: "UnknownClient", tenant: sandbox.PartnerEU, mod: func(v url.Values) { v.Set("client_id", "other") }, wantStatus: 400, wantError: "unauthorized_client", wantDesc: "AADSTS700016"},
		{name: "UnknownTenant", tenant: "00000000-0000-0000-0000-000000000000", mod: func(url.Values) {}, wantStatus: 400, wantError: "invalid_request", wantDesc: "AADSTS90002"},
		{name: "DelegatedScopeWithClientCredentials", tenant: sandbox.PartnerEU, mod: func(v url.Values) { v.Set("scope", scopePCUser) }, wantStatus: 400, wantError: "invalid_scope"},
		{name: "BadRefreshToken", tenant: sandbox.PartnerEU, mod: func(v url.Values) {
			v.Set("grant_type", "refresh_token")
			v.Set("refresh_token", "stolen")
		}, wantStatus: 400, wantError: "invalid_grant"},
		{name: "UnknownScope", tenant: sandbox.PartnerEU, mod: func(v url.Values) { v.Set("scope", "https://management.azure.com/.default") }, wantStatus: 400, wantError: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := base()
			tt.mod(form)
			r := e.tokenResp(tt.tenant, form)
			require.Equal(t, tt.wantStatus, r.status, string(r.body))
			m := r.json(t)
			if tt.wantStatus == 200 {
				require.Equal(t, "Bearer", m["token_type"])
				require.EqualValues(t, 3599, m["expires_in"])
				require.NotEmpty(t, m["access_token"])
				return
			}
			require.Equal(t, tt.wantError, m["error"])
			require.Contains(t, m["error_description"], tt.wantDesc)
			require.NotContains(t, string(r.body), "nope")
		})
	}
}

func TestRefreshTokenGrantRotates(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}, "scope": {scopePCUser},
		"grant_type": {"refresh_token"}, "refresh_token": {sandbox.RefreshToken}}
	r := e.tokenResp(sandbox.PartnerEU, form)
	require.Equal(t, 200, r.status, string(r.body))
	rt := r.json(t)["refresh_token"].(string)
	require.NotEmpty(t, rt)
	form.Set("refresh_token", rt)
	r = e.tokenResp(sandbox.PartnerEU, form)
	require.Equal(t, 200, r.status, string(r.body))
	// A refresh token is not a bearer token.
	r = e.do("GET", "/v1/profiles/legalbusiness", rt, nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
}

func TestBearerRules(t *testing.T) {
	e := newEnv(t)
	app := e.token(sandbox.PartnerEU, scopePC, false)
	user := e.token(sandbox.PartnerEU, scopePCUser, true)
	graph := e.token(sandbox.PartnerEU, scopeGraph, false)
	customerGraph := e.token(sandbox.CustomerDiscontinued, scopeGraph, false)
	tests := []struct {
		name       string
		path       string
		token      string
		wantStatus int
		wantCode   int
	}{
		{name: "NoToken", path: "/v1/profiles/legalbusiness", wantStatus: 401, wantCode: 401},
		{name: "Garbage", path: "/v1/profiles/legalbusiness", token: "abc", wantStatus: 401, wantCode: 401},
		{name: "GraphTokenOnPartnerCenter", path: "/v1/profiles/legalbusiness", token: graph, wantStatus: 401, wantCode: 401},
		{name: "AppOnlyOnRelationshipRequest", path: "/v1/customers/relationshiprequests", token: app, wantStatus: 401, wantCode: 401},
		{name: "AppUserOnRelationshipRequest", path: "/v1/customers/relationshiprequests", token: user, wantStatus: 200},
		{name: "PartnerTokenOnCustomerDirectory", path: "/graph/v1.0/subscribedSkus", token: graph, wantStatus: 403},
		{name: "CustomerTokenOnCustomerDirectory", path: "/graph/v1.0/subscribedSkus", token: customerGraph, wantStatus: 200},
		{name: "CustomerTokenOnPartnerCenter", path: "/v1/profiles/legalbusiness", token: e.token(sandbox.CustomerDiscontinued, scopePC, false), wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", tt.path, tt.token, nil)
			require.Equal(t, tt.wantStatus, r.status, string(r.body))
			if tt.wantCode != 0 {
				m := r.json(t)
				require.EqualValues(t, tt.wantCode, m["code"])
				require.Equal(t, "PartnerFD", m["source"])
			}
		})
	}

	t.Run("ExpiredOnWallClock", func(t *testing.T) {
		e.clock.Add(3600e9)
		r := e.do("GET", "/v1/profiles/legalbusiness", app, nil)
		require.Equal(t, http.StatusUnauthorized, r.status)
		require.Contains(t, r.json(t)["description"], "expired")
	})
}

func TestSandboxClockDoesNotExpireTokens(t *testing.T) {
	e := newEnv(t)
	tok := e.token(sandbox.PartnerEU, scopePC, false)
	e.advance("365d")
	r := e.do("GET", "/v1/profiles/legalbusiness", tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
}
