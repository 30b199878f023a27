package sandbox_test

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that answers with the given statuses in turn (then 200).
func receiver(t *testing.T, statuses ...int) (*httptest.Server, chan received) {
	t.Helper()
	ch := make(chan received, 16)
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		mu.Lock()
		if n < len(statuses) {
			status = statuses[n]
		}
		n++
		mu.Unlock()
		if status == http.StatusOK {
			ch <- received{header: r.Header.Clone(), body: body}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func waitEvent(t *testing.T, ch chan received) received {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook delivered")
		return received{}
	}
}

func TestInvitationAcceptanceAndSignedWebhook(t *testing.T) {
	hook, events := receiver(t, http.StatusInternalServerError) // first attempt fails, the retry lands
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	user := e.token(sandbox.PartnerEU, scopePCUser, true)
	app := e.token(sandbox.PartnerEU, scopePC, false)

	r := e.do("GET", "/v1/customers/relationshiprequests", user, nil)
	require.Equal(t, http.StatusOK, r.status)
	link := r.json(t)["url"].(string)
	require.Equal(t, e.srv.URL+"/sandbox/admin-center/partner-invitation?partnerId="+sandbox.PartnerEU+"&invType=ResellerRelationship", link)

	r = e.do("GET", "/v1/customers/"+sandbox.CustomerSameOffer, app, nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.EqualValues(t, 1000, r.json(t)["code"])

	// The customer opens the link and accepts through the simulated admin center.
	page := e.do("GET", strings.TrimPrefix(link, e.srv.URL), "", nil)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, string(page.body), "Northwind Cloud Services GmbH")
	res, err := e.srv.Client().PostForm(e.srv.URL+"/sandbox/admin-center/partner-invitation", url.Values{
		"partnerId": {sandbox.PartnerEU}, "customerTenantId": {sandbox.CustomerSameOffer},
	})
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.Contains(t, string(body), "accepted the reseller relationship")

	r = e.do("GET", "/v1/customers/"+sandbox.CustomerSameOffer, app, nil)
	require.Equal(t, http.StatusOK, r.status)
	c := r.json(t)
	require.Equal(t, "reseller", c["relationshipToPartner"])
	require.Equal(t, "DE", c["billingProfile"].(map[string]any)["defaultAddress"].(map[string]any)["country"])
	require.Equal(t, "alpineskihouse-de.onmicrosoft.com", c["companyProfile"].(map[string]any)["domain"])

	ev := waitEvent(t, events)
	var got pcwebhook.Event
	require.NoError(t, json.Unmarshal(ev.body, &got))
	require.Equal(t, pcwebhook.EventResellerRelationshipAccepted, got.EventName)
	require.Equal(t, e.srv.URL+"/v1/customers/"+sandbox.CustomerSameOffer, got.ResourceURI)
	require.Equal(t, "Customer", got.ResourceName)
	require.True(t, got.IsResource(pcwebhook.ResourceCustomer))

	// Verify like a receiver: fetch the certificate and the root, check chain and signature.
	certURL := ev.header.Get(pcwebhook.HeaderCertificateURL)
	require.Equal(t, e.srv.URL+"/sandbox/certs/webhook.cer", certURL)
	cr := e.do("GET", strings.TrimPrefix(certURL, e.srv.URL), "", nil)
	cert, err := pcwebhook.ParseCertificate(cr.body)
	require.NoError(t, err)
	rootPEM := e.do("GET", "/sandbox/certs/root.pem", "", nil)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(rootPEM.body))
	require.NoError(t, pcwebhook.Verify(ev.body, ev.header, cert, roots, nil, time.Now()))
	require.Error(t, pcwebhook.Verify(append(ev.body, ' '), ev.header, cert, roots, nil, time.Now()))

	// Audit record behind AuditUri.
	r = e.do("GET", strings.TrimPrefix(got.AuditURI, e.srv.URL), app, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Equal(t, "accept_reseller_relationship", r.json(t)["operationType"])

	// Accepting again changes nothing and sends nothing.
	e.accept(sandbox.CustomerSameOffer, sandbox.PartnerEU, false)
	require.Eventually(t, func() bool {
		return customerLedger(t, e.ledger(), sandbox.CustomerSameOffer).WebhooksSent == 1
	}, 5*time.Second, 5*time.Millisecond)
	l := e.ledger()
	cl := customerLedger(t, l, sandbox.CustomerSameOffer)
	require.Equal(t, map[string]int{sandbox.PartnerEU: 1}, cl.Acceptances)
	for _, p := range l.Partners {
		if p.TenantID == sandbox.PartnerEU {
			require.Equal(t, 1, p.InvitationLinksFetched)
		}
	}
	require.True(t, l.OK, l.Violations)
}

func TestAcceptanceNeedsSameMarket(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		customer   string
		partner    string
		wantStatus int
	}{
		{name: "JapanCustomerEUPartner", customer: sandbox.CustomerJapan, partner: sandbox.PartnerEU, wantStatus: http.StatusConflict},
		{name: "BrazilCustomerUSPartner", customer: sandbox.CustomerNoMarket, partner: sandbox.PartnerUS, wantStatus: http.StatusConflict},
		{name: "JapanCustomerJPPartner", customer: sandbox.CustomerJapan, partner: sandbox.PartnerJP, wantStatus: http.StatusOK},
		{name: "FranceCustomerEUPartner", customer: sandbox.CustomerDiscontinued, partner: sandbox.PartnerEU, wantStatus: http.StatusOK},
		{name: "UnknownPartner", customer: sandbox.CustomerDiscontinued, partner: sandbox.OtherCSP, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/sandbox/customers/"+tt.customer+"/accept", "", map[string]string{"partnerTenantId": tt.partner})
			require.Equal(t, tt.wantStatus, r.status, string(r.body))
		})
	}
}

func TestListCustomersPagingAndFilter(t *testing.T) {
	e := newEnv(t)
	for _, c := range []string{sandbox.CustomerSameOffer, sandbox.CustomerDiscontinued} {
		e.accept(c, sandbox.PartnerEU, false)
	}
	tok := e.token(sandbox.PartnerEU, scopePC, false)
	r := e.do("GET", "/v1/customers?size=1", tok, nil)
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	require.Len(t, m["items"], 1)
	next := m["links"].(map[string]any)["next"].(map[string]any)
	hdr := next["headers"].([]any)[0].(map[string]any)
	require.Equal(t, "MS-ContinuationToken", hdr["key"])
	r = e.do("GET", next["uri"].(string), tok, nil, "MS-ContinuationToken", hdr["value"].(string))
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	m = r.json(t)
	require.Len(t, m["items"], 1)
	require.NotContains(t, m["links"], "next")

	filter := url.QueryEscape(`{"Field":"Domain","Value":"fabrikam","Operator":"starts_with"}`)
	r = e.do("GET", "/v1/customers?size=10&filter="+filter, tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	items := r.json(t)["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, sandbox.CustomerDiscontinued, items[0].(map[string]any)["id"])
}

func TestGDAPFlow(t *testing.T) {
	hook, events := receiver(t)
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	tok := e.token(sandbox.PartnerEU, scopeGraph, false)
	body := map[string]any{
		"displayName": "csptransfer-fabrikam", "duration": "P730D",
		"customer":      map[string]string{"tenantId": sandbox.CustomerDiscontinued, "displayName": "Fabrikam"},
		"accessDetails": map[string]any{"unifiedRoles": []map[string]string{{"roleDefinitionId": "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}}},
	}
	r := e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", tok, body)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	rel := r.json(t)
	id := rel["id"].(string)
	require.Equal(t, "created", rel["status"])

	r = e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", tok, body)
	require.Equal(t, http.StatusConflict, r.status, "display names are unique per partner")

	r = e.do("POST", "/sandbox/gdap/"+id+"/approve", "", nil)
	require.Equal(t, http.StatusConflict, r.status, "not locked for approval yet")

	r = e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id+"/requests", tok, map[string]string{"action": "lockForApproval"})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = e.do("GET", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id, tok, nil)
	require.Equal(t, "approvalPending", r.json(t)["status"])

	page := e.do("GET", "/sandbox/admin-center/partner-invitation?partnerId="+sandbox.PartnerEU, "", nil)
	require.Contains(t, string(page.body), "/sandbox/admin-center/gdap/"+id+"/approve")

	r = e.do("POST", "/sandbox/gdap/"+id+"/approve", "", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r = e.do("GET", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id, tok, nil)
	m := r.json(t)
	require.Equal(t, "active", m["status"])
	require.NotNil(t, m["endDateTime"])

	ev := waitEvent(t, events)
	var got pcwebhook.Event
	require.NoError(t, json.Unmarshal(ev.body, &got))
	require.Equal(t, pcwebhook.EventGranularAdminRelationshipApproved, got.EventName)
	require.Equal(t, "GranularAdminRelationship", got.ResourceName)
	require.Equal(t, e.srv.URL+"/granularAdminRelationships/"+id, got.ResourceURI)

	// With GDAP required, only customers with an active relationship answer Graph calls.
	r = e.do("PUT", "/sandbox/settings", "", map[string]any{"requireGdapForGraph": true})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r = e.do("GET", "/graph/v1.0/subscribedSkus", e.token(sandbox.CustomerDiscontinued, scopeGraph, false), nil)
	require.Equal(t, http.StatusOK, r.status)
	r = e.do("GET", "/graph/v1.0/subscribedSkus", e.token(sandbox.CustomerSameOffer, scopeGraph, false), nil)
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, "Authorization_RequestDenied", r.json(t)["error"].(map[string]any)["code"])
}

func TestPartnerWebhookRegistration(t *testing.T) {
	global, globalEvents := receiver(t)
	own, ownEvents := receiver(t)
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = global.URL })
	tok := e.token(sandbox.PartnerUS, scopePC, false)

	r := e.do("GET", "/webhooks/v1/registration", tok, nil)
	require.Equal(t, http.StatusNotFound, r.status)
	r = e.do("POST", "/webhooks/v1/registration", tok, map[string]any{"WebhookUrl": own.URL, "WebhookEvents": []string{"nope"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	r = e.do("POST", "/webhooks/v1/registration", tok, map[string]any{"WebhookUrl": own.URL, "WebhookEvents": []string{pcwebhook.EventResellerRelationshipAccepted}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.NotEmpty(t, r.json(t)["SubscriberId"])

	e.accept(sandbox.CustomerOtherCSP, sandbox.PartnerUS, false)
	ev := waitEvent(t, ownEvents)
	require.Contains(t, string(ev.body), sandbox.CustomerOtherCSP)

	// Other partners still use the sandbox-wide URL.
	e.accept(sandbox.CustomerSameOffer, sandbox.PartnerEU, false)
	ev = waitEvent(t, globalEvents)
	require.Contains(t, string(ev.body), sandbox.CustomerSameOffer)

	r = e.do("DELETE", "/webhooks/v1/registration", tok, nil)
	require.Equal(t, http.StatusNoContent, r.status)
}

func TestAdminCenterFormErrors(t *testing.T) {
	e := newEnv(t)
	post := func(form url.Values) (int, string) {
		res, err := e.srv.Client().PostForm(e.srv.URL+"/sandbox/admin-center/partner-invitation", form)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{name: "UnknownPartner", form: url.Values{"partnerId": {"x"}}, wantStatus: 404, wantText: "no known partner"},
		{name: "NoCustomer", form: url.Values{"partnerId": {sandbox.PartnerEU}}, wantStatus: 400, wantText: "Choose a customer"},
		{name: "OtherMarket", form: url.Values{"partnerId": {sandbox.PartnerEU}, "customerTenant": {"adatum-jp.onmicrosoft.com"}}, wantStatus: 409, wantText: "different CSP regional markets"},
		{name: "ByDomain", form: url.Values{"partnerId": {sandbox.PartnerEU}, "customerTenant": {"fabrikam-fr.onmicrosoft.com"}}, wantStatus: 200, wantText: "accepted the reseller relationship"},
		{name: "Again", form: url.Values{"partnerId": {sandbox.PartnerEU}, "customerTenant": {"fabrikam-fr.onmicrosoft.com"}}, wantStatus: 200, wantText: "already has"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(tt.form)
			require.Equal(t, tt.wantStatus, status, body)
			require.Contains(t, body, tt.wantText)
		})
	}
	r := e.do("GET", "/sandbox/admin-center/partner-invitation?partnerId=nobody", "", nil)
	require.Equal(t, http.StatusNotFound, r.status)
}

// TestGraphCreatesAreNotReplayed: Graph does not replay a POST by MS-RequestId the way Partner Center does,
// so a create retried with the same id is refused for the taken name, and the list filtered by that name
// finds the relationship.
func TestGraphCreatesAreNotReplayed(t *testing.T) {
	e := newEnv(t)
	tok := e.token(sandbox.PartnerEU, scopeGraph, false)
	body := map[string]any{
		"displayName": "csp-o'brien", "duration": "P730D",
		"customer":      map[string]string{"tenantId": sandbox.CustomerDiscontinued},
		"accessDetails": map[string]any{"unifiedRoles": []map[string]string{{"roleDefinitionId": "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}}},
	}
	const rid = "0f0e0d0c-1111-4222-8333-944455556666"
	r := e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", tok, body, "MS-RequestId", rid)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	id := r.json(t)["id"].(string)
	r = e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", tok, body, "MS-RequestId", rid)
	require.Equal(t, http.StatusConflict, r.status, "no replay under /graph: %s", r.body)

	r = e.do("GET", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$filter="+url.QueryEscape("displayName eq 'csp-o''brien'"), tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	list := r.json(t)["value"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, id, list[0].(map[string]any)["id"])
	r = e.do("GET", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$filter="+url.QueryEscape("displayName eq 'someone else'"), tok, nil)
	require.Empty(t, r.json(t)["value"])
}
