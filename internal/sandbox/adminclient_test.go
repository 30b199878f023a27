package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// TestAdminClientAgainstARealSandbox plays a customer and the sandbox's operator through AdminClient
// against a sandbox served over HTTP, and checks each answer where the sandbox keeps it.
func TestAdminClientAgainstARealSandbox(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := sandbox.AdminClient{BaseURL: e.srv.URL + "/", HTTP: e.srv.Client()}

	clock, err := a.Clock(ctx)
	require.NoError(t, err)
	require.Equal(t, testStart, clock.WallClock)
	require.Equal(t, "0s", clock.Offset)

	tenant := "0c5a3e1d-7b2f-4d6a-9e8c-1f2a3b4c5d6e"
	domain := "admin-client.onmicrosoft.com"
	expires := testStart.Add(30 * 24 * time.Hour)
	require.NoError(t, a.CreateCustomer(ctx, sandbox.CustomerInput{
		TenantID: tenant, Domain: domain, CompanyName: "Admin Client SARL", Country: "FR",
		Originals: []sandbox.OriginalInput{{SkuPartNumber: "ENTERPRISEWITHSCAL", TotalLicenses: 2, ExpiresAt: &expires}},
		Groups:    []sandbox.GroupInput{{DisplayName: "Licensing E4", Licenses: []sandbox.LicenseInput{{SkuPartNumber: "ENTERPRISEWITHSCAL"}}}},
		Users: []sandbox.UserInput{
			{UserPrincipalName: "u1@" + domain, Licenses: []sandbox.LicenseInput{{SkuPartNumber: "ENTERPRISEWITHSCAL", DisabledPlans: []string{"TEAMS1"}}}},
			{UserPrincipalName: "u2@" + domain, Groups: []string{"Licensing E4"}},
		},
	}))
	r := e.do("GET", "/sandbox/customers/"+tenant, "", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Len(t, r.json(t)["users"], 2)
	require.Len(t, r.json(t)["groups"], 1)

	t.Run("a refusal names the call, the status and the sandbox's reason", func(t *testing.T) {
		err := a.CreateCustomer(ctx, sandbox.CustomerInput{TenantID: tenant, Domain: "other.onmicrosoft.com", CompanyName: "Again", Country: "FR"})
		require.ErrorContains(t, err, "sandbox create customer: POST /sandbox/customers: 400 Bad Request")
		require.ErrorContains(t, err, "already exists")
		err = a.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerUS})
		require.ErrorContains(t, err, "sandbox accept invitation")
		require.ErrorContains(t, err, "409 Conflict")
		require.ErrorContains(t, err, "same CSP regional market")
	})

	require.NoError(t, a.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU, AcceptAgreement: true}))
	require.NoError(t, a.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}), "accepting again changes nothing")
	l, err := a.Ledger(ctx)
	require.NoError(t, err)
	cl := customerLedger(t, l, tenant)
	require.Equal(t, map[string]int{sandbox.PartnerEU: 1}, cl.Acceptances)
	require.Equal(t, "FR", cl.Country)

	t.Run("GDAP", func(t *testing.T) {
		tok := e.token(sandbox.PartnerEU, scopeGraph, false)
		r := e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", tok, map[string]any{
			"displayName": "csptransfer-admin-client", "duration": "P730D",
			"customer":      map[string]string{"tenantId": tenant},
			"accessDetails": map[string]any{"unifiedRoles": []map[string]string{{"roleDefinitionId": "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}}},
		})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		id := r.json(t)["id"].(string)
		require.ErrorContains(t, a.ApproveGDAP(ctx, id), "409", "not locked for approval yet")
		r = e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id+"/requests", tok, map[string]string{"action": "lockForApproval"})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.NoError(t, a.ApproveGDAP(ctx, id))
		r = e.do("GET", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id, tok, nil)
		require.Equal(t, "active", r.json(t)["status"])
	})

	t.Run("faults", func(t *testing.T) {
		rules := sandbox.FaultRules{Seed: 7, Rules: []sandbox.FaultRule{
			{Match: "/v1/**", Status: 429, RetryAfterSeconds: 1, Probability: 0.5},
			{Kind: sandbox.FaultPartialCheckout, LineItems: []int{1}, Count: 1},
		}}
		require.NoError(t, a.PutFaults(ctx, rules))
		got, err := a.Faults(ctx)
		require.NoError(t, err)
		require.Equal(t, rules, got)
		require.ErrorContains(t, a.PutFaults(ctx, sandbox.FaultRules{Rules: []sandbox.FaultRule{{Match: "*", Status: 200}}}), "rules[0].status")
		require.NoError(t, a.DeleteFaults(ctx))
		got, err = a.Faults(ctx)
		require.NoError(t, err)
		require.Empty(t, got.Rules)
	})

	t.Run("webhook", func(t *testing.T) {
		require.NoError(t, a.SetWebhook(ctx, "http://127.0.0.1:1/webhooks/partner-center"))
		v, err := a.Webhook(ctx)
		require.NoError(t, err)
		require.Equal(t, "http://127.0.0.1:1/webhooks/partner-center", v.URL)
		require.Equal(t, e.srv.URL+"/sandbox/certs/webhook.cer", v.CertificateURL)
		require.Equal(t, e.srv.URL+"/sandbox/certs/root.pem", v.RootCertificateURL)
		require.NotEmpty(t, v.RecentDeliveries, "the acceptance's event went somewhere, or was dropped")
		require.ErrorContains(t, a.SetWebhook(ctx, "ftp://x"), "must be an http(s) URL")
	})
}

func TestAdminClientBoundsTheErrorItQuotes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, strings.Repeat("x", 64<<10), http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	_, err := sandbox.AdminClient{BaseURL: srv.URL}.Ledger(context.Background())
	require.ErrorContains(t, err, "sandbox ledger: GET /sandbox/ledger: 502 Bad Gateway: xxx")
	require.Less(t, len(err.Error()), 2<<10)
	require.True(t, strings.HasSuffix(err.Error(), "…"))

	_, err = sandbox.AdminClient{BaseURL: "http://127.0.0.1:1"}.Clock(context.Background())
	require.ErrorContains(t, err, "sandbox clock: ")
}
