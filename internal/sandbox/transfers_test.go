package sandbox_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

const (
	skuSPBGraph  = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
	skuE1Graph   = "18181a46-0d4e-45cd-891e-60aabd171b4e"
	productSPB   = "CFQ7TTC0LCHC"
	productE1    = "CFQ7TTC0LF8Q"
	mixTransfers = "/v1/customers/" + sandbox.CustomerPartnerMix + "/transfers"
)

// pcTimeRE is a Partner Center transfer timestamp: seven fractional digits.
var pcTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)

func transferBody() map[string]any {
	return map[string]any{
		"sourcePartnerTenantId": sandbox.OtherCSP, "customerEmailId": "admin@lucernepublishing-us.onmicrosoft.com",
		"customerName": "Lucerne Publishing Inc.", "transferType": 5,
	}
}

// transferEnv is a sandbox where PartnerUS resells to CustomerPartnerMix, with a token for PartnerUS (the
// target) and one for OtherCSP (the source).
func transferEnv(t *testing.T, mod ...func(*sandbox.Options)) (e *env, target, source string) {
	t.Helper()
	e = newEnv(t, mod...)
	e.accept(sandbox.CustomerPartnerMix, sandbox.PartnerUS, false)
	return e, e.token(sandbox.PartnerUS, scopePC, false), e.token(sandbox.OtherCSP, scopePC, false)
}

func (e *env) createTransfer(tok string) map[string]any {
	e.t.Helper()
	r := e.do("POST", mixTransfers, tok, transferBody())
	require.Equal(e.t, http.StatusCreated, r.status, string(r.body))
	return r.json(e.t)
}

func requirePCError(t *testing.T, r resp, status, code int) {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	require.EqualValues(t, code, r.json(t)["code"], string(r.body))
}

// graphSubs lists a customer's directory subscriptions by skuId.
func (e *env) graphSubs(customer string) map[string]map[string]any {
	e.t.Helper()
	r := e.do("GET", "/graph/v1.0/directory/subscriptions", e.token(customer, scopeGraph, false), nil)
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
	out := map[string]map[string]any{}
	for _, v := range r.json(e.t)["value"].([]any) {
		m := v.(map[string]any)
		out[m["skuId"].(string)] = m
	}
	return out
}

// waitEventNamed returns the next delivered event called name, skipping others.
func waitEventNamed(t *testing.T, ch chan received, name string) (received, pcwebhook.Event) {
	t.Helper()
	for {
		ev := waitEvent(t, ch)
		var got pcwebhook.Event
		require.NoError(t, json.Unmarshal(ev.body, &got))
		if got.EventName == name {
			return ev, got
		}
	}
}

func TestTransferCreateListGet(t *testing.T) {
	e, us, src := transferEnv(t)

	r := e.do("POST", mixTransfers, us, transferBody(), "MS-RequestId", "create-1")
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	tr := r.json(t)
	id := tr["id"].(string)
	require.Equal(t, "InProgress", tr["status"])
	require.EqualValues(t, 5, tr["transferType"])
	require.Equal(t, sandbox.CustomerPartnerMix, tr["customerTenantId"])
	require.Equal(t, sandbox.PartnerUS, tr["partnerTenantId"])
	require.Equal(t, sandbox.PartnerUS, tr["targetPartnerTenantId"], "targetPartnerTenantId defaults to the caller")
	require.Equal(t, "Northwind Cloud Services Inc.", tr["targetPartnerName"])
	require.Equal(t, sandbox.OtherCSP, tr["sourcePartnerTenantId"])
	require.Equal(t, "Contoso Cloud Partners LLC", tr["sourcePartnerName"], "the source partner's name when none is sent")
	require.Equal(t, "admin@lucernepublishing-us.onmicrosoft.com", tr["customerEmailId"])
	require.Equal(t, []any{}, tr["lineItems"])
	require.Nil(t, tr["completedTime"])
	require.Equal(t, "TransferEntity", tr["attributes"].(map[string]any)["objectType"])
	require.Equal(t, mixTransfers+"/"+id, tr["links"].(map[string]any)["self"].(map[string]any)["uri"])
	for _, k := range []string{"createdTime", "lastModifiedTime", "expirationTime"} {
		require.Regexp(t, pcTimeRE, tr[k], k)
	}
	created, err := time.Parse(time.RFC3339Nano, tr["createdTime"].(string))
	require.NoError(t, err)
	expires, err := time.Parse(time.RFC3339Nano, tr["expirationTime"].(string))
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, expires.Sub(created))

	t.Run("ReplaySameRequestID", func(t *testing.T) {
		r := e.do("POST", mixTransfers, us, transferBody(), "MS-RequestId", "create-1")
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.Equal(t, "true", r.header.Get("X-Sandbox-Replayed"))
		require.Equal(t, id, r.json(t)["id"])
	})
	t.Run("Duplicate900101", func(t *testing.T) {
		requirePCError(t, e.do("POST", mixTransfers, us, transferBody(), "MS-RequestId", "create-2"), http.StatusConflict, 900101)
	})

	t.Run("ListBareArrayForBothSides", func(t *testing.T) {
		for _, tok := range []string{us, src} {
			r := e.do("GET", mixTransfers, tok, nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var list []map[string]any
			require.NoError(t, json.Unmarshal(r.body, &list), "a bare JSON array")
			require.Len(t, list, 1, "the replay made no second transfer")
			require.Equal(t, id, list[0]["id"])
		}
	})
	t.Run("GetForBothSides", func(t *testing.T) {
		r := e.do("GET", mixTransfers+"/"+id, us, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.EqualValues(t, 1, r.json(t)["transferDirection"])
		r = e.do("GET", mixTransfers+"/"+id, src, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.EqualValues(t, 2, r.json(t)["transferDirection"])
	})
	t.Run("UnknownTransfer900100", func(t *testing.T) {
		requirePCError(t, e.do("GET", mixTransfers+"/9b2a4c1e-0000-4000-8000-000000000000", us, nil), http.StatusNotFound, 900100)
	})
	t.Run("OtherPartnerSeesNothing", func(t *testing.T) {
		requirePCError(t, e.do("GET", mixTransfers, e.token(sandbox.PartnerEU, scopePC, false), nil), http.StatusNotFound, 1000)
	})
	t.Run("SourcePartnerOnlyServedTransfers", func(t *testing.T) {
		requirePCError(t, e.do("GET", "/v1/profiles/legalbusiness", src, nil), http.StatusUnauthorized, 401)
		requirePCError(t, e.do("GET", "/v1/customers/"+sandbox.CustomerPartnerMix, src, nil), http.StatusUnauthorized, 401)
		r := e.do("POST", "/sandbox/customers/"+sandbox.CustomerPartnerMix+"/accept", "", map[string]string{"partnerTenantId": sandbox.OtherCSP})
		require.Equal(t, http.StatusBadRequest, r.status, "a source partner is no reseller a customer can accept")
	})
}

func TestTransferCreateRefusals(t *testing.T) {
	e, us, _ := transferEnv(t)
	with := func(k string, v any) map[string]any {
		b := transferBody()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantCode   int
	}{
		{name: "MissingCustomerEmailId", body: with("customerEmailId", nil), wantStatus: http.StatusBadRequest, wantCode: 800002},
		{name: "MissingSource", body: with("sourcePartnerTenantId", nil), wantStatus: http.StatusBadRequest, wantCode: 800002},
		{name: "UnknownSource800015", body: with("sourcePartnerTenantId", "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"), wantStatus: http.StatusNotFound, wantCode: 800015},
		{name: "SourceIsCaller", body: with("sourcePartnerTenantId", sandbox.PartnerUS), wantStatus: http.StatusBadRequest, wantCode: 800002},
		{name: "SourceIsTransactingPartner", body: with("sourcePartnerTenantId", sandbox.PartnerEU), wantStatus: http.StatusBadRequest, wantCode: 800002},
		{name: "OtherTarget", body: with("targetPartnerTenantId", sandbox.PartnerEU), wantStatus: http.StatusBadRequest, wantCode: 800002},
		{name: "TransferType4", body: with("transferType", 4), wantStatus: http.StatusBadRequest, wantCode: 800002},
		{name: "NoTransferType", body: with("transferType", nil), wantStatus: http.StatusBadRequest, wantCode: 800002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requirePCError(t, e.do("POST", mixTransfers, us, tt.body), tt.wantStatus, tt.wantCode)
		})
	}
	t.Run("NoRelationship20002", func(t *testing.T) {
		requirePCError(t, e.do("POST", "/v1/customers/"+sandbox.CustomerOtherCSP+"/transfers", us, transferBody()), http.StatusBadRequest, 20002)
	})
	t.Run("TransferType3Accepted", func(t *testing.T) {
		r := e.do("POST", mixTransfers, us, with("transferType", 3))
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.EqualValues(t, 3, r.json(t)["transferType"])
	})
}

func TestTransferCancel(t *testing.T) {
	e, us, src := transferEnv(t)
	id := e.createTransfer(us)["id"].(string)

	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"status": "Cancel"}), http.StatusBadRequest, 800002)
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, us, map[string]any{"lineItems": []any{}}), http.StatusBadRequest, 800002)

	// Microsoft's example sends the entity back with status Cancel.
	r := e.do("PATCH", mixTransfers+"/"+id, us, map[string]any{"id": id, "status": "Cancel", "lineItems": []any{}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Equal(t, "Cancelled", r.json(t)["status"])
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, us, map[string]any{"status": "Cancel"}), http.StatusBadRequest, 800002)
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"lineItems": []any{}}), http.StatusBadRequest, 800002)

	id = e.createTransfer(us)["id"].(string) // a cancelled request does not block a new one
	r = e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"lineItems": []any{}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, us, map[string]any{"status": "Cancel"}), http.StatusConflict, 900102)
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"lineItems": []any{}}), http.StatusConflict, 900102)
}

func TestTransferAcceptAllMovesTheSubscription(t *testing.T) {
	hook, events := receiver(t)
	e, us, src := transferEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	before := e.graphSubs(sandbox.CustomerPartnerMix)
	spb := before[skuSPBGraph]
	require.Equal(t, sandbox.OtherCSP, spb["ownerTenantId"])
	require.Equal(t, testStart.Add(200*24*time.Hour).Format(time.RFC3339), spb["nextLifecycleDateTime"])
	require.Nil(t, before[skuE1Graph]["ownerTenantId"], "the E1 original was bought direct")

	id := e.createTransfer(us)["id"].(string)
	r := e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"lineItems": []any{}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	tr := r.json(t)
	require.Equal(t, "Complete", tr["status"])
	require.Regexp(t, pcTimeRE, tr["completedTime"])
	lines := tr["lineItems"].([]any)
	require.Len(t, lines, 1, "every eligible subscription of the source: only the SPB one (E1 is direct)")
	ln := lines[0].(map[string]any)
	require.EqualValues(t, 0, ln["id"])
	require.Equal(t, spb["commerceSubscriptionId"], ln["subscriptionId"])
	require.EqualValues(t, 10, ln["quantity"])
	require.Equal(t, "annual", ln["billingCycle"])
	require.Equal(t, "P1Y", ln["termDuration"])
	require.Equal(t, "Microsoft 365 Business Premium", ln["friendlyName"])
	require.True(t, strings.HasPrefix(ln["offerId"].(string), productSPB+":0002:DZH3"), ln["offerId"])
	require.Equal(t, "Complete", ln["status"])
	require.Nil(t, ln["transferError"])

	t.Run("PartnerCenterSubscriptionOfTheTarget", func(t *testing.T) {
		r := e.do("GET", "/v1/customers/"+sandbox.CustomerPartnerMix+"/subscriptions", us, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		items := r.json(t)["items"].([]any)
		require.Len(t, items, 1)
		sub := items[0].(map[string]any)
		require.Equal(t, ln["subscriptionId"], sub["id"], "the subscription keeps its id")
		require.Equal(t, ln["offerId"], sub["offerId"])
		require.EqualValues(t, 10, sub["quantity"])
		require.Equal(t, spb["nextLifecycleDateTime"], sub["commitmentEndDate"], "the term continues")
		require.Equal(t, "active", sub["status"])
		require.Equal(t, "annual", sub["billingCycle"])
		require.Equal(t, "P1Y", sub["termDuration"])
		r = e.do("GET", "/v1/customers/"+sandbox.CustomerPartnerMix+"/orders", us, nil)
		require.Empty(t, r.json(t)["items"], "nothing is bought")
		requirePCError(t, e.do("PATCH", "/v1/customers/"+sandbox.CustomerPartnerMix+"/subscriptions/"+sub["id"].(string), us,
			map[string]any{"status": "deleted"}), http.StatusBadRequest, 800002)
	})
	t.Run("GraphOwner", func(t *testing.T) {
		after := e.graphSubs(sandbox.CustomerPartnerMix)
		require.Len(t, after, 2)
		got := after[skuSPBGraph]
		require.Equal(t, spb["id"], got["id"])
		require.Equal(t, spb["commerceSubscriptionId"], got["commerceSubscriptionId"])
		require.Equal(t, sandbox.PartnerUS, got["ownerTenantId"])
		require.Equal(t, sandbox.PartnerUS, got["ownerId"])
		require.Equal(t, "Partner", got["ownerType"])
		require.Equal(t, spb["nextLifecycleDateTime"], got["nextLifecycleDateTime"])
		require.Equal(t, "Enabled", got["status"])
		require.EqualValues(t, 10, got["totalLicenses"])
		require.Equal(t, before[skuE1Graph], after[skuE1Graph])
		r := e.do("GET", "/graph/v1.0/subscribedSkus", e.token(sandbox.CustomerPartnerMix, scopeGraph, false), nil)
		for _, v := range r.json(t)["value"].([]any) {
			if sk := v.(map[string]any); sk["skuId"] == skuSPBGraph {
				require.EqualValues(t, 8, sk["consumedUnits"], "users keep their licenses")
				require.EqualValues(t, 10, sk["prepaidUnits"].(map[string]any)["enabled"])
			}
		}
	})
	t.Run("CompleteTransferEvent", func(t *testing.T) {
		ev, got := waitEventNamed(t, events, "complete-transfer")
		require.Equal(t, e.srv.URL+mixTransfers+"/"+id, got.ResourceURI)
		require.Equal(t, "Transfer", got.ResourceName)
		require.False(t, got.ResourceChangeUTCDate.IsZero())
		r := e.do("GET", strings.TrimPrefix(got.AuditURI, e.srv.URL), us, nil)
		require.Equal(t, http.StatusOK, r.status, "the audit record is the target's: %s", r.body)
		cert, err := pcwebhook.ParseCertificate(e.do("GET", "/sandbox/certs/webhook.cer", "", nil).body)
		require.NoError(t, err)
		roots := x509.NewCertPool()
		require.True(t, roots.AppendCertsFromPEM(e.do("GET", "/sandbox/certs/root.pem", "", nil).body))
		require.NoError(t, pcwebhook.Verify(ev.body, ev.header, cert, roots, nil, time.Now()), "signed like the other events")
	})
	t.Run("Ledger", func(t *testing.T) {
		cl := customerLedger(t, e.ledger(), sandbox.CustomerPartnerMix)
		require.Equal(t, 1, cl.Transfers)
		require.Equal(t, 1, cl.LinesTransferred)
		require.Zero(t, cl.BoughtWhileTransferred)
		require.Zero(t, cl.Orders)
		require.Empty(t, cl.Purchases, "a transferred subscription is not a purchase")
		require.Empty(t, cl.LicenseShortfalls)
		require.Equal(t, []sandbox.OverlapLedger{{SkuID: skuSPBGraph, SkuPartNumber: "SPB", Method: "transfer", Seats: 10}}, cl.Overlap)

		// The direct E1 original is bought again: 45 days of overlap, no duplicate.
		item := e.catalogItem(us, sandbox.CustomerPartnerMix, productE1, "0001")
		ct := e.createCart(us, sandbox.CustomerPartnerMix, line(0, item, 5))
		require.Equal(t, http.StatusCreated, ct.status, string(ct.body))
		co := e.do("POST", "/v1/customers/"+sandbox.CustomerPartnerMix+"/carts/"+ct.json(t)["id"].(string)+"/checkout", us, nil)
		require.Equal(t, http.StatusCreated, co.status, string(co.body))
		l := e.ledger()
		cl = customerLedger(t, l, sandbox.CustomerPartnerMix)
		require.True(t, l.OK, l.Violations)
		require.Zero(t, cl.DuplicatePurchases)
		require.Equal(t, []sandbox.OverlapLedger{
			{SkuID: skuSPBGraph, SkuPartNumber: "SPB", Method: "transfer", Seats: 10},
			{SkuID: skuE1Graph, SkuPartNumber: "STANDARDPACK", Method: "buy", Seats: 5, Days: 45},
		}, cl.Overlap)
		require.Len(t, cl.Purchases, 1)
		require.Equal(t, 5, cl.Purchases[0].SeatsNeeded)
		require.Equal(t, 5, cl.Purchases[0].SeatsBought)

		// Buying the transferred SKU as well is paying twice.
		item = e.catalogItem(us, sandbox.CustomerPartnerMix, productSPB, "0002")
		ct = e.createCart(us, sandbox.CustomerPartnerMix, line(0, item, 10))
		co = e.do("POST", "/v1/customers/"+sandbox.CustomerPartnerMix+"/carts/"+ct.json(t)["id"].(string)+"/checkout", us, nil)
		require.Equal(t, http.StatusCreated, co.status, string(co.body))
		l = e.ledger()
		cl = customerLedger(t, l, sandbox.CustomerPartnerMix)
		require.False(t, l.OK)
		require.Equal(t, 1, cl.BoughtWhileTransferred)
		require.Equal(t, 1, cl.DuplicatePurchases, "the transferred original needs no seats bought")
		require.Contains(t, strings.Join(l.Violations, "\n"), "transferred to the same partner")
	})
}

// partnerCustomer is a US customer whose originals OtherCSP owns: Business Premium, Office 365 E3 (its
// transfer fails with 900103), Business Basic, and a retired Office 365 E4 (not transferable).
func partnerCustomer(t *testing.T, a sandbox.AdminClient) string {
	t.Helper()
	tenant := "5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"
	domain := "litware-us.onmicrosoft.com"
	own := func(part string, n int) sandbox.OriginalInput {
		return sandbox.OriginalInput{SkuPartNumber: part, TotalLicenses: n, ExpiresIn: "120d", OwnerTenantID: sandbox.OtherCSP}
	}
	blocked := own("ENTERPRISEPACK", 4)
	blocked.TransferBlocked = "900103"
	require.NoError(t, a.CreateCustomer(context.Background(), sandbox.CustomerInput{
		TenantID: tenant, Domain: domain, CompanyName: "Litware Inc.", Country: "US", AgreementSigned: true,
		Originals: []sandbox.OriginalInput{own("SPB", 5), blocked, own("O365_BUSINESS_ESSENTIALS", 3), own("ENTERPRISEWITHSCAL", 2)},
		Users:     []sandbox.UserInput{{UserPrincipalName: "u1@" + domain, Licenses: []sandbox.LicenseInput{{SkuPartNumber: "SPB"}}}},
	}))
	require.NoError(t, a.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerUS}))
	return tenant
}

func TestTransferAcceptSomeAndBlockedLine(t *testing.T) {
	hook, events := receiver(t)
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	ctx := context.Background()
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	tenant := partnerCustomer(t, a)
	us := e.token(sandbox.PartnerUS, scopePC, false)
	subs := e.graphSubs(tenant)
	commerce := func(part string) string {
		for _, s := range subs {
			if s["skuPartNumber"] == part {
				return s["commerceSubscriptionId"].(string)
			}
		}
		t.Fatalf("no %s original", part)
		return ""
	}
	spb, e3, basic := commerce("SPB"), commerce("ENTERPRISEPACK"), commerce("O365_BUSINESS_ESSENTIALS")

	r := e.do("POST", "/v1/customers/"+tenant+"/transfers", us, transferBody())
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	id := r.json(t)["id"].(string)

	views, err := a.Transfers(ctx, tenant)
	require.NoError(t, err)
	require.Len(t, views, 1)
	require.Equal(t, "InProgress", views[0].Status)
	require.ElementsMatch(t, []string{spb, e3, basic}, views[0].EligibleSubscriptionIDs, "the retired E4 is not eligible")

	err = a.AcceptTransfer(ctx, tenant, id, "no-such-subscription")
	require.ErrorContains(t, err, "400 Bad Request")
	require.ErrorContains(t, err, "is not a subscription of partner")

	require.NoError(t, a.AcceptTransfer(ctx, tenant, id, spb, e3))
	views, err = a.Transfers(ctx, tenant)
	require.NoError(t, err)
	v := views[0]
	require.Equal(t, "Complete", v.Status)
	require.NotNil(t, v.CompletedTime)
	require.Empty(t, v.EligibleSubscriptionIDs)
	require.Len(t, v.LineItems, 2, "only the subscriptions named")
	require.Equal(t, sandbox.TransferLineView{ID: 0, SubscriptionID: spb, SkuID: skuSPBGraph, SkuPartNumber: "SPB", Quantity: 5, Status: "Complete"}, v.LineItems[0])
	require.Equal(t, "Failed", v.LineItems[1].Status)
	require.Equal(t, 900103, v.LineItems[1].ErrorCode)

	r = e.do("GET", "/v1/customers/"+tenant+"/transfers/"+id, us, nil)
	failed := r.json(t)["lineItems"].([]any)[1].(map[string]any)
	require.Equal(t, e3, failed["subscriptionId"])
	require.Equal(t, "Failed", failed["status"])
	terr := failed["transferError"].(map[string]any)
	require.EqualValues(t, 900103, terr["code"])
	require.NotEmpty(t, terr["description"])

	after := e.graphSubs(tenant)
	require.Equal(t, sandbox.PartnerUS, after[skuSPBGraph]["ownerTenantId"])
	require.Equal(t, sandbox.OtherCSP, after[skuO365E3Graph]["ownerTenantId"], "the failed line stays with the source")
	require.Equal(t, sandbox.OtherCSP, after["3b555118-da6a-4418-894f-7df1e2096870"]["ownerTenantId"], "a subscription not named stays")
	r = e.do("GET", "/v1/customers/"+tenant+"/subscriptions", us, nil)
	require.Len(t, r.json(t)["items"], 1)

	_, got := waitEventNamed(t, events, "complete-transfer")
	require.Equal(t, e.srv.URL+"/v1/customers/"+tenant+"/transfers/"+id, got.ResourceURI)
	_, got = waitEventNamed(t, events, "fail-transfer")
	require.Equal(t, e.srv.URL+"/v1/customers/"+tenant+"/transfers/"+id, got.ResourceURI)

	cl := customerLedger(t, e.ledger(), tenant)
	require.Equal(t, 1, cl.LinesTransferred)
	require.Equal(t, 1, cl.Transfers)

	// The rest can be asked for again; the source transfers it.
	r = e.do("POST", "/v1/customers/"+tenant+"/transfers", us, transferBody())
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	second := r.json(t)["id"].(string)
	views, err = a.Transfers(ctx, tenant)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{e3, basic}, views[1].EligibleSubscriptionIDs)
	require.NoError(t, a.AcceptTransfer(ctx, tenant, second, basic))
	require.Equal(t, 2, customerLedger(t, e.ledger(), tenant).LinesTransferred)
}

func TestTransferReject(t *testing.T) {
	hook, events := receiver(t)
	e, us, src := transferEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}

	id := e.createTransfer(us)["id"].(string)
	r := e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"status": "Reject"})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Equal(t, "Reject", r.json(t)["status"])
	_, got := waitEventNamed(t, events, "fail-transfer")
	require.Equal(t, e.srv.URL+mixTransfers+"/"+id, got.ResourceURI)
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"lineItems": []any{}}), http.StatusBadRequest, 800002)
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, us, map[string]any{"status": "Cancel"}), http.StatusBadRequest, 800002)

	id = e.createTransfer(us)["id"].(string)
	require.NoError(t, a.RejectTransfer(context.Background(), sandbox.CustomerPartnerMix, id))
	require.ErrorContains(t, a.RejectTransfer(context.Background(), sandbox.CustomerPartnerMix, id), "can no longer be updated")
	require.Equal(t, sandbox.OtherCSP, e.graphSubs(sandbox.CustomerPartnerMix)[skuSPBGraph]["ownerTenantId"])
	cl := customerLedger(t, e.ledger(), sandbox.CustomerPartnerMix)
	require.Equal(t, 2, cl.Transfers)
	require.Zero(t, cl.LinesTransferred)
}

func TestTransferExpires(t *testing.T) {
	e, us, src := transferEnv(t)
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	tr := e.createTransfer(us)
	id := tr["id"].(string)

	e.advance("29d")
	r := e.do("GET", mixTransfers+"/"+id, us, nil)
	require.Equal(t, "InProgress", r.json(t)["status"])
	e.advance("2d")
	r = e.do("GET", mixTransfers+"/"+id, us, nil)
	got := r.json(t)
	require.Equal(t, "Expired", got["status"], "expired by the clock")
	require.Equal(t, tr["expirationTime"], got["lastModifiedTime"])
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, us, map[string]any{"status": "Cancel"}), http.StatusBadRequest, 800002)
	requirePCError(t, e.do("PATCH", mixTransfers+"/"+id, src, map[string]any{"lineItems": []any{}}), http.StatusBadRequest, 800002)

	id = e.createTransfer(us)["id"].(string) // an expired request does not block a new one
	require.NoError(t, a.ExpireTransfer(context.Background(), sandbox.CustomerPartnerMix, id))
	r = e.do("GET", mixTransfers+"/"+id, us, nil)
	require.Equal(t, "Expired", r.json(t)["status"])
	require.ErrorContains(t, a.ExpireTransfer(context.Background(), sandbox.CustomerPartnerMix, id), "400 Bad Request")
	require.ErrorContains(t, a.AcceptTransfer(context.Background(), sandbox.CustomerPartnerMix, "no-such-transfer"), "404 Not Found")
}

func TestTransferStateSurvivesRestartAndReset(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e, us, src := transferEnv(t, func(o *sandbox.Options) { o.StateFile = file })
	done := e.createTransfer(us)["id"].(string)
	require.Equal(t, http.StatusOK, e.do("PATCH", mixTransfers+"/"+done, src, map[string]any{"lineItems": []any{}}).status)
	pending := e.createTransfer(us)["id"].(string)

	e.restart()

	r := e.do("GET", mixTransfers, us, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var list []map[string]any
	require.NoError(t, json.Unmarshal(r.body, &list))
	require.Len(t, list, 2)
	require.Equal(t, done, list[0]["id"])
	require.Equal(t, "Complete", list[0]["status"])
	require.Len(t, list[0]["lineItems"], 1)
	require.Equal(t, pending, list[1]["id"])
	require.Equal(t, "InProgress", list[1]["status"])
	r = e.do("GET", "/v1/customers/"+sandbox.CustomerPartnerMix+"/subscriptions", us, nil)
	require.Len(t, r.json(t)["items"], 1, "the transferred subscription survives")
	require.Equal(t, sandbox.PartnerUS, e.graphSubs(sandbox.CustomerPartnerMix)[skuSPBGraph]["ownerTenantId"])
	e.advance("31d")
	r = e.do("GET", mixTransfers+"/"+pending, src, nil)
	require.Equal(t, "Expired", r.json(t)["status"], "the restored request still expires")

	require.Equal(t, http.StatusOK, e.do("POST", "/sandbox/reset", "", nil).status)
	views, err := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}.Transfers(context.Background(), sandbox.CustomerPartnerMix)
	require.NoError(t, err)
	require.Empty(t, views)
	require.Equal(t, sandbox.OtherCSP, e.graphSubs(sandbox.CustomerPartnerMix)[skuSPBGraph]["ownerTenantId"], "reset restores the seeded owner")
}

func TestPartnerMixSeed(t *testing.T) {
	e := newEnv(t)
	subs := e.graphSubs(sandbox.CustomerPartnerMix)
	require.Len(t, subs, 2)
	require.Equal(t, sandbox.OtherCSP, subs[skuSPBGraph]["ownerTenantId"])
	// The ids README.md documents.
	require.Equal(t, "b7922b09-7015-590f-9548-203e777cae74", subs[skuSPBGraph]["commerceSubscriptionId"])
	require.Equal(t, "4f182a6b-f5b1-5431-ab89-ebb292605128", subs[skuSPBGraph]["id"])
	require.Equal(t, "6a71f4fb-95fc-54b9-bb86-f7b082480c11", subs[skuE1Graph]["commerceSubscriptionId"])
	require.EqualValues(t, 10, subs[skuSPBGraph]["totalLicenses"])
	require.Equal(t, testStart.Add(200*24*time.Hour).Format(time.RFC3339), subs[skuSPBGraph]["nextLifecycleDateTime"])
	require.Nil(t, subs[skuE1Graph]["ownerTenantId"])
	require.EqualValues(t, 5, subs[skuE1Graph]["totalLicenses"])
	require.Equal(t, testStart.Add(45*24*time.Hour).Format(time.RFC3339), subs[skuE1Graph]["nextLifecycleDateTime"])
	r := e.do("GET", "/sandbox/customers", "", nil)
	m := r.json(t)
	require.Len(t, m["sourcePartners"], 1)
	for _, p := range m["partners"].([]any) {
		require.NotEqual(t, sandbox.OtherCSP, p.(map[string]any)["tenantId"], "a source partner is not a transacting partner")
	}
	for _, p := range e.ledger().Partners {
		require.NotEqual(t, sandbox.OtherCSP, p.TenantID)
	}
}

// TestReadmeDocumentsTransfers: every transfer endpoint and choice the sandbox makes is in README.md.
func TestReadmeDocumentsTransfers(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, want := range []string{
		"`POST /v1/customers/{id}/transfers`", "`GET /v1/customers/{id}/transfers`", "`GET /v1/customers/{id}/transfers/{transferId}`",
		"`PATCH …/transfers/{transferId}` `{\"status\":\"Cancel\"}`", "`PATCH …/transfers/{transferId}` `{\"status\":\"Reject\"}`",
		"/sandbox/customers/$C/transfers", "/transfers/<transfer id>/accept", "/transfers/<transfer id>/reject", "/transfers/<transfer id>/expire",
		"**bare JSON array**", "creation + **30 days**", "`Cancelled`", "`Reject`", "same id", "`complete-transfer`", "`fail-transfer`",
		"409 900101", "409 900102", "404 900100", "404 800015", "900103", "seven fractional digits", "`transferDirection`",
		"`linesTransferred`", "`boughtWhileTransferred`", "`overlap[]`", "transferBlocked", "3f2e1d0c-9b8a-4765-8432-10fedcba9876",
		sandbox.CustomerPartnerMix, "X-Sandbox-Replayed",
	} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not mention %s", want)
		}
	}
}
