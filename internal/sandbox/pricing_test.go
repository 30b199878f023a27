package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/mscorpus"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// TestPriceIsPerBillingPeriod: Partner Center's pricing.price is per unit and billing period, extendedPrice
// is quantity × the whole term (Microsoft's create-cart example: monthly P1Y at 30.4, extendedPrice 364.8 for
// one seat; its new-commerce checkout example: P1M at 36.48, extendedPrice 36.48). A SKU priced at 30.40 USD a
// month reproduces both examples, and an annual cycle quotes the year.
func TestPriceIsPerBillingPeriod(t *testing.T) {
	e := newEnv(t)
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	_, err := a.AddCatalogItem(t.Context(), sandbox.CatalogItemInput{ProductID: "CFQ7TTC0PRCE", SkuID: "0001", Title: "Contoso Priced Suite",
		GraphSkuID: "2c1b0a9f-8e7d-4c6b-9a5f-4e3d2c1b0a9f", SkuPartNumber: "CONTOSO_PRICED", Countries: []string{"US"}, PriceUSD: 30.4})
	require.NoError(t, err)
	e.accept(sandbox.CustomerAutoRenew, sandbox.PartnerUS, false)
	tok := e.token(sandbox.PartnerUS, scopePC, false)
	item := e.catalogItem(tok, sandbox.CustomerAutoRenew, "CFQ7TTC0PRCE", "0001")

	tests := []struct {
		name            string
		term, cycle     string
		quantity        int
		price, extended float64
	}{
		{name: "MonthlyOneYearAsMicrosoftsCartExample", term: "P1Y", cycle: "monthly", quantity: 1, price: 30.4, extended: 364.8},
		{name: "OneMonthAsMicrosoftsCheckoutExample", term: "P1M", cycle: "monthly", quantity: 1, price: 36.48, extended: 36.48},
		{name: "AnnualOneYear", term: "P1Y", cycle: "annual", quantity: 1, price: 364.8, extended: 364.8},
		{name: "AnnualOneYearThreeSeats", term: "P1Y", cycle: "annual", quantity: 3, price: 364.8, extended: 1094.4},
		{name: "AnnualThreeYears", term: "P3Y", cycle: "annual", quantity: 2, price: 364.8, extended: 2188.8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.createCart(tok, sandbox.CustomerAutoRenew, map[string]any{"catalogItemId": item, "quantity": tt.quantity,
				"billingCycle": tt.cycle, "termDuration": tt.term})
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			cart := r.json(t)
			want := map[string]any{"listPrice": tt.price, "discountedPrice": tt.price, "proratedPrice": tt.price, "price": tt.price, "extendedPrice": tt.extended}
			l := cart["lineItems"].([]any)[0].(map[string]any)
			require.Equal(t, want, l["pricing"])
			require.Equal(t, "USD", l["currencyCode"])

			r = e.do("POST", "/v1/customers/"+sandbox.CustomerAutoRenew+"/carts/"+cart["id"].(string)+"/checkout", tok, nil)
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			o := r.json(t)["orders"].([]any)[0].(map[string]any)
			require.Equal(t, tt.cycle, o["billingCycle"])
			require.Equal(t, "USD", o["currencyCode"])
			require.Equal(t, tt.extended, o["totalPrice"])
			require.Equal(t, want, o["lineItems"].([]any)[0].(map[string]any)["pricing"])
			got := e.do("GET", "/v1/customers/"+sandbox.CustomerAutoRenew+"/orders/"+o["id"].(string), tok, nil).json(t)
			require.Equal(t, want, got["lineItems"].([]any)[0].(map[string]any)["pricing"], "GET order prices the line as the checkout did")
		})
	}
}

// TestCheckoutMakesOneOrderPerBillingCycle: an order has one billingCycle, so a cart mixing monthly and
// annual lines becomes two orders, each line priced per its own billing period, in the customer's currency,
// in the checkout answer and in GET orders.
func TestCheckoutMakesOneOrderPerBillingCycle(t *testing.T) {
	e := newEnv(t)
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
	tok := e.token(sandbox.PartnerEU, scopePC, false)
	e3 := e.catalogItem(tok, sandbox.CustomerDiscontinued, productO365E3, "0001")
	e1 := e.catalogItem(tok, sandbox.CustomerDiscontinued, "CFQ7TTC0LF8Q", "0001")
	annual := line(1, e1, 8)
	annual["billingCycle"] = "annual"
	r := e.createCart(tok, sandbox.CustomerDiscontinued, line(0, e3, 12), annual)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = e.do("POST", "/v1/customers/"+sandbox.CustomerDiscontinued+"/carts/"+r.json(t)["id"].(string)+"/checkout", tok, nil)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	res := r.json(t)
	require.Empty(t, res["orderErrors"])
	orders := res["orders"].([]any)
	require.Len(t, orders, 2)

	price := func(p, ext float64) map[string]any {
		return map[string]any{"listPrice": p, "discountedPrice": p, "proratedPrice": p, "price": p, "extendedPrice": ext}
	}
	want := []struct {
		cycle, offer string
		pricing      map[string]any
	}{
		{cycle: "monthly", offer: e3, pricing: price(21.62, 3113.28)}, // 23 USD × 0.94 a month, × 12 months × 12 seats
		{cycle: "annual", offer: e1, pricing: price(112.8, 902.4)},    // 10 USD × 0.94 × 12 a year, × 8 seats
	}
	listed := map[string]map[string]any{}
	for _, v := range e.do("GET", "/v1/customers/"+sandbox.CustomerDiscontinued+"/orders", tok, nil).json(t)["items"].([]any) {
		listed[v.(map[string]any)["id"].(string)] = v.(map[string]any)
	}
	for i, w := range want {
		for _, o := range []map[string]any{orders[i].(map[string]any), listed[orders[i].(map[string]any)["id"].(string)]} {
			require.NotNil(t, o, "order %d is listed", i)
			require.Equal(t, w.cycle, o["billingCycle"])
			require.Equal(t, "EUR", o["currencyCode"])
			require.Equal(t, "€", o["currencySymbol"])
			lines := o["lineItems"].([]any)
			require.Len(t, lines, 1)
			l := lines[0].(map[string]any)
			require.EqualValues(t, 0, l["lineItemNumber"], "line numbers count within each order")
			require.Equal(t, w.offer, l["offerId"])
			require.Equal(t, w.pricing, l["pricing"])
			require.Equal(t, w.pricing["extendedPrice"], o["totalPrice"])
		}
	}
	l := e.ledger()
	require.True(t, l.OK, l.Violations)
	require.Equal(t, 2, customerLedger(t, l, sandbox.CustomerDiscontinued).Orders)
}

// TestOrderAndSubscriptionMatchMicrosoftsNewCommerceExamples compares the sandbox's new-commerce order (checkout
// answer and GET) and subscription with Microsoft's new-commerce examples that are published as invalid JSON
// (repaired by mscorpus.Repaired, punctuation only): the checkout order with line pricing and currencyCode,
// and the 2023 subscription with commitmentEndDateTime and refundableQuantity.
func TestOrderAndSubscriptionMatchMicrosoftsNewCommerceExamples(t *testing.T) {
	e := newEnv(t)
	e.accept(sandbox.CustomerAutoRenew, sandbox.PartnerUS, false)
	tok := e.token(sandbox.PartnerUS, scopePC, false)
	base := "/v1/customers/" + sandbox.CustomerAutoRenew
	r := e.createCart(tok, sandbox.CustomerAutoRenew, line(0, e.catalogItem(tok, sandbox.CustomerAutoRenew, productM365E3, "0002"), 25))
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = e.do("POST", base+"/carts/"+r.json(t)["id"].(string)+"/checkout", tok, nil)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	order := r.json(t)["orders"].([]any)[0].(map[string]any)
	checkoutOrder, err := json.Marshal(order)
	require.NoError(t, err)
	orderID := order["id"].(string)
	subID := order["lineItems"].([]any)[0].(map[string]any)["subscriptionId"].(string)

	compare := func(name string, served []byte, skip ...string) {
		t.Helper()
		ex, _, err := mscorpus.Repaired(mscorpus.PartnerCenter, name)
		require.NoError(t, err)
		diffs, err := mscorpus.CompareCoverage(ex.Body, served, mscorpus.CoverageOptions{Skip: skip})
		require.NoError(t, err)
		require.Empty(t, diffs, "%s:\n%s", name, served)
		if len(skip) > 0 {
			all, err := mscorpus.CompareCoverage(ex.Body, served, mscorpus.CoverageOptions{})
			require.NoError(t, err)
			require.Len(t, all, len(skip), "every skipped path is still needed: %v", all)
		}
	}
	// links.patchOperation: PATCH on an order (billing-cycle change, cancellation) is not emulated, so the
	// sandbox links no such operation.
	compare("checkout-cart-nce.response", checkoutOrder, "links.patchOperation")
	r = e.do("GET", base+"/orders/"+orderID, tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	compare("checkout-cart-nce.response", r.body, "links.patchOperation")

	r = e.do("GET", base+"/subscriptions/"+subID, tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	compare("get-subscription-nce.response", r.body)
	sub := r.json(t)
	created, err := time.Parse(time.RFC3339, sub["creationDate"].(string))
	require.NoError(t, err)
	require.Equal(t, created.Add(7*24*time.Hour).Format(time.RFC3339), sub["cancellationAllowedUntilDate"])
}
