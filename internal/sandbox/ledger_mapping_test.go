package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

const (
	productM365E3  = "CFQ7TTC0LFK5"
	skuM365E3Graph = "05e9a617-0261-4cee-bb44-138d3ef5d965"
)

// buy checks out one line of quantity seats of product:sku for customer and returns the subscription id.
func (e *env) buy(tok, customer, product, sku string, quantity int) string {
	e.t.Helper()
	r := e.createCart(tok, customer, line(0, e.catalogItem(tok, customer, product, sku), quantity))
	require.Equal(e.t, http.StatusCreated, r.status, string(r.body))
	r = e.do("POST", "/v1/customers/"+customer+"/carts/"+r.json(e.t)["id"].(string)+"/checkout", tok, nil)
	require.Equal(e.t, http.StatusCreated, r.status, string(r.body))
	return r.json(e.t)["orders"].([]any)[0].(map[string]any)["lineItems"].([]any)[0].(map[string]any)["subscriptionId"].(string)
}

func skuLedger(t *testing.T, cl sandbox.CustomerLedger, skuID string) sandbox.SkuLedger {
	t.Helper()
	for _, sl := range cl.Purchases {
		if sl.SkuID == skuID {
			return sl
		}
	}
	t.Fatalf("no purchases of %s in the ledger of %s", skuID, cl.TenantID)
	return sandbox.SkuLedger{}
}

// TestLedgerCountsAnOperatorsOfferMapping: Fabrikam's Office 365 E4 ×12 has Office 365 E3 as its catalog
// successor; an operator chose Microsoft 365 E3 instead (set-offer-mapping). The sandbox cannot see that
// choice: it attributes the Microsoft 365 E3 line, which no original needs, to the E4 original nothing
// covers with as many seats, so the line replaces the E4 and is no duplicate. Paying twice for the E4 still is.
func TestLedgerCountsAnOperatorsOfferMapping(t *testing.T) {
	type purchase struct {
		product, sku string
		quantity     int
	}
	mapped := purchase{productM365E3, "0002", 12}
	successor := purchase{productO365E3, "0001", 12}
	tests := []struct {
		name    string
		buys    []purchase
		wantDup int
	}{
		{name: "MappedOfferOnce", buys: []purchase{mapped}, wantDup: 0},
		{name: "MappedOfferTwice", buys: []purchase{mapped, mapped}, wantDup: 1},
		{name: "MappedOfferThenSuccessor", buys: []purchase{mapped, successor}, wantDup: 1},
		{name: "SuccessorThenMappedOffer", buys: []purchase{successor, mapped}, wantDup: 1},
		{name: "MappedOfferWithOtherSeats", buys: []purchase{{productM365E3, "0002", 10}}, wantDup: 1},
		{name: "E1AndMappedOffer", buys: []purchase{{"CFQ7TTC0LF8Q", "0001", 8}, mapped}, wantDup: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
			tok := e.token(sandbox.PartnerEU, scopePC, false)
			for _, b := range tt.buys {
				e.buy(tok, sandbox.CustomerDiscontinued, b.product, b.sku, b.quantity)
			}
			l := e.ledger()
			cl := customerLedger(t, l, sandbox.CustomerDiscontinued)
			if got, want := cl.DuplicatePurchases, tt.wantDup; got != want {
				t.Fatalf("DuplicatePurchases=%d, want %d; violations %v", got, want, l.Violations)
			}
			require.Equal(t, tt.wantDup == 0, l.OK, "violations: %v", l.Violations)
		})
	}

	t.Run("TheMappedLineTakesOverTheOriginal", func(t *testing.T) {
		e := newEnv(t)
		e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
		tok := e.token(sandbox.PartnerEU, scopePC, false)
		e.buy(tok, sandbox.CustomerDiscontinued, productM365E3, "0002", 12)
		cl := customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued)
		sl := skuLedger(t, cl, skuM365E3Graph)
		require.Equal(t, sandbox.SkuLedger{SkuID: skuM365E3Graph, SkuPartNumber: "SPE_E3", SeatsNeeded: 12, SeatsMapped: 12,
			SeatsBought: 12, SeatsPurchased: 12, Lines: 1}, sl)
		require.Len(t, cl.Overlap, 1)
		require.Equal(t, 30, cl.Overlap[0].Days, "the E4 it replaces ends in 30 days")

		dup := e.buy(tok, sandbox.CustomerDiscontinued, productM365E3, "0002", 12)
		cl = customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued)
		require.Equal(t, 1, cl.DuplicatePurchases)
		require.Equal(t, 12, skuLedger(t, cl, skuM365E3Graph).ExcessSeats)

		r := e.do("PATCH", "/v1/customers/"+sandbox.CustomerDiscontinued+"/subscriptions/"+dup, tok, map[string]any{"status": "deleted"})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		cl = customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued)
		require.Zero(t, skuLedger(t, cl, skuM365E3Graph).ExcessSeats, "the refund clears the surplus")
		require.Equal(t, 1, cl.DuplicatePurchases, "but not the count")
	})

	t.Run("RetiredWithoutSuccessor", func(t *testing.T) {
		e := newEnv(t)
		a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
		_, err := a.RetireSku(t.Context(), "ENTERPRISEWITHSCAL", "")
		require.NoError(t, err)
		e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
		tok := e.token(sandbox.PartnerEU, scopePC, false)
		e.buy(tok, sandbox.CustomerDiscontinued, productM365E3, "0002", 12)
		require.Zero(t, customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued).DuplicatePurchases)
		e.buy(tok, sandbox.CustomerDiscontinued, productM365E3, "0002", 12)
		require.Equal(t, 1, customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued).DuplicatePurchases)
	})

	t.Run("PooledOriginals", func(t *testing.T) {
		// Two originals of one SKU ending on the same day are bought as one line (the workflow pools them).
		e := newEnv(t)
		tenant := "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
		ends := testStart.Add(40 * 24 * time.Hour)
		a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
		require.NoError(t, a.CreateCustomer(t.Context(), sandbox.CustomerInput{
			TenantID: tenant, Domain: "pooled.onmicrosoft.com", CompanyName: "Pooled AG", Country: "DE", AgreementSigned: true,
			Originals: []sandbox.OriginalInput{
				{SkuPartNumber: "ENTERPRISEWITHSCAL", TotalLicenses: 4, ExpiresAt: &ends},
				{SkuPartNumber: "ENTERPRISEWITHSCAL", TotalLicenses: 6, ExpiresAt: &ends},
			},
		}))
		e.accept(tenant, sandbox.PartnerEU, false)
		tok := e.token(sandbox.PartnerEU, scopePC, false)
		e.buy(tok, tenant, productM365E3, "0002", 10)
		cl := customerLedger(t, e.ledger(), tenant)
		require.Zero(t, cl.DuplicatePurchases)
		require.Equal(t, 10, skuLedger(t, cl, skuM365E3Graph).SeatsMapped)
		e.buy(tok, tenant, productO365E3, "0001", 10)
		require.Equal(t, 1, customerLedger(t, e.ledger(), tenant).DuplicatePurchases, "the successor bought as well pays twice")
	})
}

// TestOverlapDaysRunToTheOriginalsEnd: a bought line's overlap is the whole days (rounded down) from the
// purchase to the end of the original's paid term (its nextLifecycleDateTime), not capped by the new
// subscription's own term: new subscriptions renew automatically, so a P1Y line bought 500 days before its
// original ends overlaps for 500 days, and a P1M line for the 45 days its original has left.
func TestOverlapDaysRunToTheOriginalsEnd(t *testing.T) {
	e := newEnv(t)
	tenant := "6c2d3e4f-5061-4b7c-8d9e-0f1a2b3c4d5e"
	farEnd := testStart.Add(500*24*time.Hour + 12*time.Hour) // 500.5 days: 500 whole days
	nearEnd := testStart.Add(45 * 24 * time.Hour)
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	require.NoError(t, a.CreateCustomer(t.Context(), sandbox.CustomerInput{
		TenantID: tenant, Domain: "longterm.onmicrosoft.com", CompanyName: "Longterm AG", Country: "DE", AgreementSigned: true,
		Originals: []sandbox.OriginalInput{
			{SkuPartNumber: "ENTERPRISEPACK", TotalLicenses: 5, ExpiresAt: &farEnd, Term: "P3Y"},
			{SkuPartNumber: "STANDARDPACK", TotalLicenses: 3, ExpiresAt: &nearEnd},
		},
	}))
	e.accept(tenant, sandbox.PartnerEU, false)
	tok := e.token(sandbox.PartnerEU, scopePC, false)

	e.buy(tok, tenant, productO365E3, "0001", 5) // P1Y: ends after 365 days, renews
	oneMonth := line(0, e.catalogItem(tok, tenant, "CFQ7TTC0LF8Q", "0001"), 3)
	oneMonth["termDuration"] = "P1M"
	r := e.createCart(tok, tenant, oneMonth)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = e.do("POST", "/v1/customers/"+tenant+"/carts/"+r.json(t)["id"].(string)+"/checkout", tok, nil)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))

	l := e.ledger()
	require.True(t, l.OK, l.Violations)
	cl := customerLedger(t, l, tenant)
	require.Equal(t, []sandbox.OverlapLedger{
		{SkuID: skuO365E3Graph, SkuPartNumber: "ENTERPRISEPACK", Method: "buy", Seats: 5, Days: 500},
		{SkuID: "18181a46-0d4e-45cd-891e-60aabd171b4e", SkuPartNumber: "STANDARDPACK", Method: "buy", Seats: 3, Days: 45},
	}, cl.Overlap)

	// Days count from the purchase, not from now: a year later they are the same.
	e.advance("400d")
	require.Equal(t, cl.Overlap, customerLedger(t, e.ledger(), tenant).Overlap)
}
