package sandbox_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func (e *env) calls(query string) sandbox.CallsView {
	e.t.Helper()
	r := e.do("GET", "/sandbox/calls"+query, "", nil)
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
	var v sandbox.CallsView
	require.NoError(e.t, json.Unmarshal(r.body, &v))
	return v
}

func tenantCalls(t *testing.T, v sandbox.CallsView, tenant string) sandbox.TenantCalls {
	t.Helper()
	for _, tc := range v.Tenants {
		if tc.TenantID == tenant {
			return tc
		}
	}
	t.Fatalf("tenant %q not in %+v", tenant, v.Tenants)
	return sandbox.TenantCalls{}
}

func endpointCalls(tc sandbox.TenantCalls, endpoint string) sandbox.EndpointCalls {
	for _, e := range tc.Endpoints {
		if e.Endpoint == endpoint {
			return e
		}
	}
	return sandbox.EndpointCalls{}
}

// TestCallCounters: every Partner Center, Graph and token request counts for the partner tenant it acts for,
// per endpoint (route template) and per wall-clock second; injected 429s count as throttled; DELETE resets.
func TestCallCounters(t *testing.T) {
	e := newEnv(t)
	eu := e.token(sandbox.PartnerEU, scopePC, false)
	us := e.token(sandbox.PartnerUS, scopePC, false)
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, true)
	graph := e.token(sandbox.CustomerDiscontinued, scopeGraph, false)
	require.Equal(t, http.StatusNoContent, e.do("DELETE", "/sandbox/calls", "", nil).status)

	for range 3 {
		require.Equal(t, http.StatusOK, e.do("GET", "/v1/profiles/legalbusiness", eu, nil).status)
	}
	require.Equal(t, http.StatusOK, e.do("GET", "/v1/customers/"+sandbox.CustomerDiscontinued+"/subscriptions", eu, nil).status)
	require.Equal(t, http.StatusOK, e.do("GET", "/v1/profiles/legalbusiness", us, nil).status)
	// A Graph call into the customer's directory counts for the partner the customer accepted.
	require.Equal(t, http.StatusOK, e.do("GET", "/graph/v1.0/subscribedSkus", graph, nil).status)
	// No token: unattributed. A path the sandbox does not serve: its catch-all.
	require.Equal(t, http.StatusUnauthorized, e.do("GET", "/v1/profiles/legalbusiness", "", nil).status)
	require.Equal(t, http.StatusNotFound, e.do("DELETE", "/v1/nothing", eu, nil).status)
	// Admin requests are not counted.
	e.do("GET", "/sandbox/clock", "", nil)

	v := e.calls("")
	require.EqualValues(t, 7, v.PartnerCenter)
	require.EqualValues(t, 1, v.Graph)
	require.Len(t, v.Tenants, 3)
	require.Equal(t, "", v.Tenants[2].TenantID, "unattributed comes last")
	require.Equal(t, sandbox.CallerUnattributed, v.Tenants[2].Kind)

	ten := tenantCalls(t, v, sandbox.PartnerEU)
	require.Equal(t, sandbox.CallerPartner, ten.Kind)
	require.NotEmpty(t, ten.Name)
	require.EqualValues(t, 5, ten.PartnerCenter)
	require.EqualValues(t, 1, ten.Graph)
	require.EqualValues(t, 3, endpointCalls(ten, "GET /v1/profiles/legalbusiness").Calls)
	require.EqualValues(t, 1, endpointCalls(ten, "GET /v1/customers/{customerId}/subscriptions").Calls)
	require.EqualValues(t, 1, endpointCalls(ten, "GET /graph/v1.0/subscribedSkus").Calls)
	require.Equal(t, sandbox.APIGraph, endpointCalls(ten, "GET /graph/v1.0/subscribedSkus").API)
	require.EqualValues(t, 1, endpointCalls(ten, "DELETE /v1/ (not served)").Calls)
	// The wall clock stands still in this test: every call fell into one second.
	require.EqualValues(t, 6, ten.Calls)
	require.EqualValues(t, 6, ten.MaxPerSecond)
	require.Equal(t, testStart, ten.MaxPerSecondAt)
	require.Equal(t, []sandbox.SecondCalls{{At: testStart, Calls: 6, PartnerCenter: 5, Graph: 1}}, ten.PerSecond)
	require.EqualValues(t, 5, ten.MaxPartnerCenterPerSecond)
	require.EqualValues(t, 1, ten.MaxGraphPerSecond)
	require.EqualValues(t, 1, tenantCalls(t, v, sandbox.PartnerUS).Calls)

	// The next seconds: a rate of 2 per second, then a 429 from an injected fault.
	e.clock.Add(time.Second)
	e.do("GET", "/v1/profiles/legalbusiness", eu, nil)
	e.do("GET", "/v1/profiles/legalbusiness", eu, nil)
	e.clock.Add(time.Second)
	require.Equal(t, http.StatusOK, e.do("PUT", "/sandbox/faults", "", sandbox.FaultRules{Rules: []sandbox.FaultRule{
		{Match: "GET /v1/profiles/legalbusiness", Status: 429, RetryAfterSeconds: 1}}}).status)
	require.Equal(t, http.StatusTooManyRequests, e.do("GET", "/v1/profiles/legalbusiness", eu, nil).status)
	ten = tenantCalls(t, e.calls(""), sandbox.PartnerEU)
	require.EqualValues(t, 9, ten.Calls)
	require.EqualValues(t, 6, ten.MaxPerSecond)
	require.EqualValues(t, 1, ten.Throttled)
	require.EqualValues(t, 1, endpointCalls(ten, "GET /v1/profiles/legalbusiness").Throttled)
	require.Equal(t, []sandbox.SecondCalls{{At: testStart, Calls: 6, PartnerCenter: 5, Graph: 1},
		{At: testStart.Add(time.Second), Calls: 2, PartnerCenter: 2}, {At: testStart.Add(2 * time.Second), Calls: 1, PartnerCenter: 1}}, ten.PerSecond)
	// ?seconds= narrows the per-second list to the last seconds.
	ten = tenantCalls(t, e.calls("?seconds=2"), sandbox.PartnerEU)
	require.Len(t, ten.PerSecond, 2)
	require.Equal(t, http.StatusBadRequest, e.do("GET", "/sandbox/calls?seconds=0", "", nil).status)

	// Token requests count apart, for the tenant they are for.
	e.token(sandbox.PartnerUS, scopePC, false)
	tus := tenantCalls(t, e.calls(""), sandbox.PartnerUS)
	require.EqualValues(t, 1, tus.Identity)
	require.EqualValues(t, 1, tus.Calls)
	require.EqualValues(t, 1, endpointCalls(tus, "POST /login/{tenant}/oauth2/v2.0/token").Calls)

	// The admin client reads and resets them too.
	ac := sandbox.AdminClient{BaseURL: e.srv.URL}
	got, err := ac.Calls(t.Context(), 5)
	require.NoError(t, err)
	require.NotEmpty(t, got.Tenants)
	require.NoError(t, ac.ResetCalls(t.Context()))
	v = e.calls("")
	require.Empty(t, v.Tenants)
	require.Equal(t, testStart.Add(2*time.Second), v.Since)
}

// TestJournalSurvivesCrash: a change is in the state file (snapshot + journal) once its request is answered,
// even when the sandbox is never closed; a journal line cut short by a crash is ignored.
func TestJournalSurvivesCrash(t *testing.T) {
	e := newEnv(t)
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, true)
	r := e.do("POST", "/sandbox/customers", "", sandbox.CustomerInput{TenantID: "0d1e2f3a-0000-4000-8000-00000000abcd",
		Domain: "crash-test.onmicrosoft.com", CompanyName: "Crash SA", Country: "FR", AgreementSigned: true})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	_, err := os.Stat(e.opts.StateFile + ".journal")
	require.NoError(t, err, "the changes went to the journal, not a rewrite of the whole file")

	// "Crash": copy the files as they are now, without Close, and start another sandbox on the copy.
	dir := t.TempDir()
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(to, data, 0o600))
	}
	file := filepath.Join(dir, "state.json")
	copyFile(e.opts.StateFile, file)
	copyFile(e.opts.StateFile+".journal", file+".journal")
	f, err := os.OpenFile(file+".journal", os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(`{"gen":1,"head":{"sett`) // torn last line
	require.NoError(t, err)
	require.NoError(t, f.Close())

	e2 := newEnv(t, func(o *sandbox.Options) { o.StateFile = file })
	r = e2.do("GET", "/sandbox/customers/0d1e2f3a-0000-4000-8000-00000000abcd", "", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r = e2.do("GET", "/sandbox/customers/"+sandbox.CustomerDiscontinued, "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.json(t)["relationships"], sandbox.PartnerEU)
	// New wrote a fresh snapshot: the journal is empty again.
	_, err = os.Stat(file + ".journal")
	require.ErrorIs(t, err, os.ErrNotExist)
}
