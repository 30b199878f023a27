package sandbox_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func graphSubs(t *testing.T, e *env, customer string) map[string]map[string]any {
	t.Helper()
	r := e.do("GET", "/graph/v1.0/directory/subscriptions", e.token(customer, scopeGraph, false), nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	out := map[string]map[string]any{}
	for _, v := range r.json(t)["value"].([]any) {
		m := v.(map[string]any)
		out[m["skuPartNumber"].(string)] = m
	}
	return out
}

func TestOriginalLifecycle(t *testing.T) {
	e := newEnv(t)
	start := graphSubs(t, e, sandbox.CustomerAutoRenew)
	e3End, err := time.Parse(time.RFC3339, start["SPE_E3"]["nextLifecycleDateTime"].(string))
	require.NoError(t, err)

	steps := []struct {
		advance   string
		part      string
		wantState string
	}{
		{advance: "19d", part: "DYN365_ENTERPRISE_SALES", wantState: "Enabled"},
		{advance: "2d", part: "SPE_E3", wantState: "Enabled"}, // renewed instead of expiring
		{advance: "70d", part: "DYN365_ENTERPRISE_SALES", wantState: "Warning"},
		{advance: "30d", part: "DYN365_ENTERPRISE_SALES", wantState: "Suspended"},
		{advance: "90d", part: "DYN365_ENTERPRISE_SALES", wantState: "Deleted"},
	}
	for _, st := range steps {
		e.advance(st.advance)
		subs := graphSubs(t, e, sandbox.CustomerAutoRenew)
		require.Equal(t, st.wantState, subs[st.part]["status"], "after %s", st.advance)
	}
	e3 := graphSubs(t, e, sandbox.CustomerAutoRenew)["SPE_E3"]
	next, err := time.Parse(time.RFC3339, e3["nextLifecycleDateTime"].(string))
	require.NoError(t, err)
	require.Equal(t, e3End.AddDate(1, 0, 0), next)

	cl := customerLedger(t, e.ledger(), sandbox.CustomerAutoRenew)
	require.Equal(t, 1, cl.OriginalsRenewed)
	// The Dynamics users were never moved: the ledger saw them lose service.
	require.Len(t, cl.LicenseShortfalls, 1)
	require.Equal(t, "DYN365_ENTERPRISE_SALES", cl.LicenseShortfalls[0].SkuPartNumber)
	require.Equal(t, 4, cl.LicenseShortfalls[0].ConsumedUnits)
	require.Equal(t, 0, cl.LicenseShortfalls[0].ServingUnits)
	require.Equal(t, 4, cl.UsersLeftWithoutLicense)
}

func TestClock(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		body       map[string]string
		wantStatus int
	}{
		{name: "Advance", body: map[string]string{"advance": "36h"}, wantStatus: 200},
		{name: "Set", body: map[string]string{"set": "2027-01-01T00:00:00Z"}, wantStatus: 200},
		{name: "Backwards", body: map[string]string{"set": "2026-01-01T00:00:00Z"}, wantStatus: 400},
		{name: "NegativeAdvance", body: map[string]string{"advance": "-1h"}, wantStatus: 400},
		{name: "Nonsense", body: map[string]string{"advance": "soon"}, wantStatus: 400},
		{name: "Empty", body: map[string]string{}, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/sandbox/clock", "", tt.body)
			require.Equal(t, tt.wantStatus, r.status, string(r.body))
		})
	}
	r := e.do("GET", "/sandbox/clock", "", nil)
	require.Equal(t, "2027-01-01T00:00:00Z", r.json(t)["now"])
}

func TestLicenseMoveForDiscontinuedOffer(t *testing.T) {
	e := newEnv(t)
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
	pc := e.token(sandbox.PartnerEU, scopePC, false)
	g := e.token(sandbox.CustomerDiscontinued, scopeGraph, false)
	filter := "/graph/v1.0/users?$filter=assignedLicenses/any(x:x/skuId%20eq%20" + skuO365E4Graph + ")&$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates&$top=5"

	// Users of the retired SKU: 4 direct, 5 through the group; paged 5 at a time.
	r := e.do("GET", filter, g, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	page := r.json(t)
	require.Len(t, page["value"], 5)
	next := page["@odata.nextLink"].(string)
	r = e.do("GET", next[len(e.srv.URL):], g, nil)
	require.Len(t, r.json(t)["value"], 4)
	require.Nil(t, r.json(t)["@odata.nextLink"])

	directUser := page["value"].([]any)[3].(map[string]any) // user04 has TEAMS1 disabled
	require.Equal(t, []any{"57ff2da0-773e-42df-b2af-ffb7a2317929"}, directUser["assignedLicenses"].([]any)[0].(map[string]any)["disabledPlans"])
	groupUser := page["value"].([]any)[4].(map[string]any)
	groupID := groupUser["licenseAssignmentStates"].([]any)[0].(map[string]any)["assignedByGroup"].(string)
	require.NotEmpty(t, groupID)

	swap := func(id string) map[string]any {
		return map[string]any{"addLicenses": []map[string]any{{"skuId": skuO365E3Graph, "disabledPlans": []string{"57ff2da0-773e-42df-b2af-ffb7a2317929"}}}, "removeLicenses": []string{skuO365E4Graph}}
	}
	t.Run("NoSeatsYetCountViolation", func(t *testing.T) {
		r := e.do("POST", "/graph/v1.0/users/"+directUser["id"].(string)+"/assignLicense", g, swap(""))
		require.Equal(t, http.StatusBadRequest, r.status)
		code := r.json(t)["error"].(map[string]any)["code"]
		require.Contains(t, []any{"CountViolation", "Request_BadRequest"}, code)
	})

	// Buy the successor with the same seat count.
	item := e.catalogItem(pc, sandbox.CustomerDiscontinued, productO365E3, "0001")
	r = e.createCart(pc, sandbox.CustomerDiscontinued, line(0, item, 12))
	r = e.do("POST", "/v1/customers/"+sandbox.CustomerDiscontinued+"/carts/"+r.json(t)["id"].(string)+"/checkout", pc, nil)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))

	t.Run("GroupInheritedCannotBeRemovedDirectly", func(t *testing.T) {
		r := e.do("POST", "/graph/v1.0/users/"+groupUser["id"].(string)+"/assignLicense", g, swap(""))
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Contains(t, r.json(t)["error"].(map[string]any)["message"], "inherited from a group")
	})
	t.Run("BadDisabledPlan", func(t *testing.T) {
		body := map[string]any{"addLicenses": []map[string]any{{"skuId": skuO365E3Graph, "disabledPlans": []string{"00000000-0000-0000-0000-000000000000"}}}, "removeLicenses": []string{}}
		r := e.do("POST", "/graph/v1.0/users/"+directUser["id"].(string)+"/assignLicense", g, body)
		require.Equal(t, http.StatusBadRequest, r.status)
	})
	t.Run("MissingArrays", func(t *testing.T) {
		r := e.do("POST", "/graph/v1.0/users/"+directUser["id"].(string)+"/assignLicense", g, map[string]any{"addLicenses": []any{}})
		require.Equal(t, http.StatusBadRequest, r.status)
	})

	// Move every direct user, then the group.
	r = e.do("GET", "/graph/v1.0/users?$filter=assignedLicenses/any(u:u/skuId%20eq%20"+skuO365E4Graph+")", g, nil)
	for _, v := range r.json(t)["value"].([]any) {
		u := v.(map[string]any)
		direct := false
		for _, st := range u["licenseAssignmentStates"].([]any) {
			if st.(map[string]any)["assignedByGroup"] == nil {
				direct = true
			}
		}
		if !direct {
			continue
		}
		r := e.do("POST", "/graph/v1.0/users/"+u["id"].(string)+"/assignLicense", g, swap(""))
		require.Equal(t, http.StatusOK, r.status, string(r.body))
	}
	r = e.do("POST", "/graph/v1.0/groups/"+groupID+"/assignLicense", g, map[string]any{
		"addLicenses": []map[string]any{{"skuId": skuO365E3Graph, "disabledPlans": []string{}}}, "removeLicenses": []string{skuO365E4Graph}})
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))

	r = e.do("GET", "/graph/v1.0/users/"+directUser["id"].(string)+"?$select=assignedLicenses", g, nil)
	lic := r.json(t)["assignedLicenses"].([]any)
	require.Len(t, lic, 1)
	require.Equal(t, skuO365E3Graph, lic[0].(map[string]any)["skuId"])
	require.Equal(t, []any{"57ff2da0-773e-42df-b2af-ffb7a2317929"}, lic[0].(map[string]any)["disabledPlans"])
	r = e.do("GET", filter, g, nil)
	require.Empty(t, r.json(t)["value"])

	// The retired subscription expires and nobody notices: every user was moved in time.
	e.advance("200d")
	cl := customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued)
	for _, sf := range cl.LicenseShortfalls {
		require.NotEqual(t, skuO365E4Graph, sf.SkuID)
	}
	require.Equal(t, 12, cl.Purchases[0].SeatsNeeded, "E4 seats are needed on the successor E3")
	require.Zero(t, cl.DuplicatePurchases)
}

func TestLedgerCatchesLastLicenseRemoved(t *testing.T) {
	e := newEnv(t)
	g := e.token(sandbox.CustomerOtherCSP, scopeGraph, false)
	r := e.do("GET", "/graph/v1.0/users?$top=1", g, nil)
	u := r.json(t)["value"].([]any)[0].(map[string]any)
	r = e.do("POST", "/graph/v1.0/users/"+u["userPrincipalName"].(string)+"/assignLicense", g, map[string]any{"addLicenses": []any{}, "removeLicenses": []string{"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	l := e.ledger()
	require.False(t, l.OK)
	cl := customerLedger(t, l, sandbox.CustomerOtherCSP)
	require.Len(t, cl.UsersWithoutLicense, 1)
	require.Equal(t, u["id"], cl.UsersWithoutLicense[0].UserID)
}

func TestStateFileRoundTrip(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state", "sandbox.json")
	e := newEnv(t, func(o *sandbox.Options) { o.StateFile = file })
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
	tok := e.token(sandbox.PartnerEU, scopePC, false)
	r := e.createCart(tok, sandbox.CustomerDiscontinued, line(0, e.catalogItem(tok, sandbox.CustomerDiscontinued, productO365E3, "0001"), 12))
	cartID := r.json(t)["id"].(string)
	r = e.do("POST", "/sandbox/customers", "", map[string]any{
		"domain": "litware-de.onmicrosoft.com", "companyName": "Litware GmbH", "country": "DE",
		"originals": []map[string]any{{"skuPartNumber": "STANDARDPACK", "totalLicenses": 3, "expiresIn": "10d"}},
		"users":     []map[string]any{{"userPrincipalName": "a@litware-de.onmicrosoft.com", "licenses": []map[string]any{{"skuPartNumber": "STANDARDPACK"}}}},
	})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	litware := r.json(t)["tenantId"].(string)
	e.advance("2d")
	root := e.do("GET", "/sandbox/certs/root.pem", "", nil).body

	e.restart()

	r = e.do("GET", "/v1/customers/"+sandbox.CustomerDiscontinued+"/carts/"+cartID, tok, nil)
	require.Equal(t, http.StatusOK, r.status, "the old token and the cart survive: %s", r.body)
	require.Equal(t, "Active", r.json(t)["status"])
	r = e.do("GET", "/sandbox/customers/"+litware, "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, root, e.do("GET", "/sandbox/certs/root.pem", "", nil).body)
	r = e.do("GET", "/sandbox/clock", "", nil)
	require.Equal(t, "48h0m0s", r.json(t)["offset"])
	r = e.do("GET", "/sandbox/customers", "", nil)
	require.Len(t, r.json(t)["customers"], 8, "seeding does not run again over existing state")

	r = e.do("POST", "/sandbox/reset", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	r = e.do("GET", "/sandbox/customers", "", nil)
	require.Len(t, r.json(t)["customers"], 7)
	r = e.do("GET", "/v1/profiles/legalbusiness", tok, nil)
	require.Equal(t, http.StatusOK, r.status, "tokens stay valid across a reset")
}

func TestCreateCustomerValidation(t *testing.T) {
	e := newEnv(t)
	valid := func() map[string]any {
		return map[string]any{
			"domain": "litware-fr.onmicrosoft.com", "companyName": "Litware", "country": "FR",
			"originals": []map[string]any{{"skuPartNumber": "STANDARDPACK", "totalLicenses": 2, "expiresIn": "10d"}},
			"users": []map[string]any{
				{"userPrincipalName": "a@litware-fr.onmicrosoft.com", "licenses": []map[string]any{{"skuPartNumber": "STANDARDPACK"}}},
			},
		}
	}
	tests := []struct {
		name      string
		mod       func(map[string]any)
		wantField string
	}{
		{name: "OK", mod: func(map[string]any) {}},
		{name: "NoDomain", mod: func(m map[string]any) { delete(m, "domain") }, wantField: "domain"},
		{name: "SeededDomain", mod: func(m map[string]any) { m["domain"] = "fabrikam-fr.onmicrosoft.com" }, wantField: "domain"},
		{name: "BadCountry", mod: func(m map[string]any) { m["country"] = "France" }, wantField: "country"},
		{name: "BadTenant", mod: func(m map[string]any) { m["tenantId"] = "x" }, wantField: "tenantId"},
		{name: "ZeroLicenses", mod: func(m map[string]any) {
			m["originals"] = []map[string]any{{"skuPartNumber": "STANDARDPACK", "totalLicenses": 0, "expiresIn": "10d"}}
		}, wantField: "originals[0].totalLicenses"},
		{name: "UnknownSku", mod: func(m map[string]any) {
			m["originals"] = []map[string]any{{"skuPartNumber": "NOPE", "totalLicenses": 1, "expiresIn": "10d"}}
		}, wantField: "originals[0].skuId"},
		{name: "NoExpiry", mod: func(m map[string]any) {
			m["originals"] = []map[string]any{{"skuPartNumber": "STANDARDPACK", "totalLicenses": 1}}
		}, wantField: "originals[0].expiresAt"},
		{name: "MoreUsersThanSeats", mod: func(m map[string]any) {
			m["originals"] = []map[string]any{{"skuPartNumber": "STANDARDPACK", "totalLicenses": 0o1, "expiresIn": "10d"}}
			m["users"] = []map[string]any{
				{"userPrincipalName": "a@litware-fr.onmicrosoft.com", "licenses": []map[string]any{{"skuPartNumber": "STANDARDPACK"}}},
				{"userPrincipalName": "b@litware-fr.onmicrosoft.com", "licenses": []map[string]any{{"skuPartNumber": "STANDARDPACK"}}},
			}
		}, wantField: "users"},
		{name: "LicenseWithoutOriginal", mod: func(m map[string]any) {
			m["users"] = []map[string]any{{"userPrincipalName": "a@litware-fr.onmicrosoft.com", "licenses": []map[string]any{{"skuPartNumber": "SPB"}}}}
		}, wantField: "users[0].licenses[0].skuId"},
		{name: "UnknownGroup", mod: func(m map[string]any) {
			m["users"] = []map[string]any{{"userPrincipalName": "a@litware-fr.onmicrosoft.com", "groups": []string{"nope"}}}
		}, wantField: "users[0].groups[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := valid()
			tt.mod(body)
			if tt.wantField == "" {
				body["domain"] = "ok-" + tt.name + ".onmicrosoft.com"
			}
			r := e.do("POST", "/sandbox/customers", "", body)
			if tt.wantField == "" {
				require.Equal(t, http.StatusCreated, r.status, string(r.body))
				return
			}
			require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
			require.Equal(t, tt.wantField, r.json(t)["error"].(map[string]any)["field"])
		})
	}
	t.Run("NotJSON", func(t *testing.T) {
		r := e.do("POST", "/sandbox/customers", "", "{")
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Contains(t, r.json(t)["error"].(map[string]any)["message"], "not valid JSON")
	})
}

func TestSeedIsIdempotentAndLedgerMethod(t *testing.T) {
	e := newEnv(t)
	e.accept(sandbox.CustomerSameOffer, sandbox.PartnerEU, false)
	require.NoError(t, e.sb.Seed())
	r := e.do("GET", "/sandbox/customers/"+sandbox.CustomerSameOffer, "", nil)
	require.Contains(t, r.json(t)["relationships"], sandbox.PartnerEU, "seeding again keeps existing data")
	l := e.sb.Ledger()
	require.True(t, l.OK)
	require.Len(t, l.Customers, 7)
	require.Equal(t, 1, customerLedger(t, l, sandbox.CustomerSameOffer).Acceptances[sandbox.PartnerEU])
}

func TestClockMoveIsBounded(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/sandbox/clock", "", map[string]string{"set": "2100-01-01T00:00:00Z"})
	require.Equal(t, http.StatusBadRequest, r.status)
	r = e.do("GET", "/v1/customers?size=1&seekOperation=next", e.token(sandbox.PartnerEU, scopePC, false), nil, "MS-ContinuationToken", "eyJvIjotNSwicyI6MX0")
	require.Equal(t, http.StatusBadRequest, r.status, "a negative offset in a forged continuation token is refused")
}
