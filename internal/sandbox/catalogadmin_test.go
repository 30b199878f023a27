package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

const (
	productTest  = "CFQ7TTC0TEST"
	skuTestGraph = "7d3c1b2a-5e4f-4a6b-9c8d-0e1f2a3b4c5d"
)

func testItem() sandbox.CatalogItemInput {
	return sandbox.CatalogItemInput{
		ProductID: productTest, SkuID: "0001", Title: "Contoso Test Suite", GraphSkuID: skuTestGraph,
		SkuPartNumber: "CONTOSO_TEST", MaxQuantity: 50, Countries: []string{"fr", "DE"}, PriceUSD: 20,
	}
}

// TestCatalogAdmin adds a SKU and retires SKUs through AdminClient, and checks that Partner Center's catalog,
// carts and the state file follow.
func TestCatalogAdmin(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
	eu := e.token(sandbox.PartnerEU, scopePC, false)
	fr := "/v1/customers/" + sandbox.CustomerDiscontinued

	v, err := a.AddCatalogItem(ctx, testItem())
	require.NoError(t, err)
	require.Equal(t, sandbox.CatalogItemView{ProductID: productTest, SkuID: "0001", Title: "Contoso Test Suite",
		SkuTitle: "Contoso Test Suite", GraphSkuID: skuTestGraph, SkuPartNumber: "CONTOSO_TEST", MinQuantity: 1, MaxQuantity: 50,
		PriceUSD: 20, Countries: []string{"FR", "DE"}, NotSoldIn: []string{}, UpgradeTargetOffers: []string{}, AddedByAdmin: true}, v)

	t.Run("PartnerCenterServesIt", func(t *testing.T) {
		r := e.do("GET", fr+"/products/"+productTest+"/skus/0001", eu, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		dyn := r.json(t)["dynamicAttributes"].(map[string]any)
		require.Equal(t, skuTestGraph, dyn["provisioningId"])
		require.Equal(t, "CONTOSO_TEST", dyn["skuPartNumber"])
		require.Equal(t, true, dyn["isAvailableForPurchase"])
		r = e.do("GET", "/v1/products/"+productTest+"/skus/0001/availabilities?country=US", eu, nil)
		require.Equal(t, http.StatusNotFound, r.status, "not sold in the US")
		require.EqualValues(t, 800070, r.json(t)["code"])

		r = e.createCart(eu, sandbox.CustomerDiscontinued, line(0, e.catalogItem(eu, sandbox.CustomerDiscontinued, productTest, "0001"), 10))
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		pricing := r.json(t)["lineItems"].([]any)[0].(map[string]any)["pricing"].(map[string]any)
		require.InDelta(t, 18.80, pricing["listPrice"], 1e-9, "20 USD in EUR")
		require.InDelta(t, 2256.00, pricing["extendedPrice"], 1e-9, "10 seats for 12 months")
		r = e.createCart(eu, sandbox.CustomerDiscontinued, line(0, e.catalogItem(eu, sandbox.CustomerDiscontinued, productTest, "0001"), 51))
		require.Equal(t, http.StatusBadRequest, r.status)
		require.EqualValues(t, 2002, r.json(t)["code"])
	})

	t.Run("Refusals", func(t *testing.T) {
		tests := []struct {
			name      string
			mod       func(*sandbox.CatalogItemInput)
			wantField string
			wantCode  int
		}{
			{"ErrSkuTaken", func(*sandbox.CatalogItemInput) {}, "skuId", http.StatusConflict},
			{"ErrPartNumberTaken", func(in *sandbox.CatalogItemInput) {
				in.SkuID = "0002"
				in.GraphSkuID = "1d3c1b2a-5e4f-4a6b-9c8d-0e1f2a3b4c5d"
			}, "skuPartNumber", http.StatusConflict},
			{"ErrGraphSkuTaken", func(in *sandbox.CatalogItemInput) { in.SkuID = "0002"; in.SkuPartNumber = "OTHER" }, "graphSkuId", http.StatusConflict},
			{"ErrGraphSkuNotAGUID", func(in *sandbox.CatalogItemInput) { in.SkuID = "0002"; in.GraphSkuID = "x" }, "graphSkuId", http.StatusBadRequest},
			{"ErrPriceRequired", func(in *sandbox.CatalogItemInput) { in.SkuID = "0002"; in.PriceUSD = 0 }, "priceUsd", http.StatusBadRequest},
			{"ErrUnknownCountry", func(in *sandbox.CatalogItemInput) { in.SkuID = "0002"; in.Countries = []string{"XX"} }, "countries[0]", http.StatusBadRequest},
			{"ErrProductIDWithColon", func(in *sandbox.CatalogItemInput) { in.ProductID = "A:B" }, "productId", http.StatusBadRequest},
			{"ErrSuccessorWithoutRetired", func(in *sandbox.CatalogItemInput) { in.SkuID = "0002"; in.Successor = "ENTERPRISEPACK" }, "successor", http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := testItem()
				tt.mod(&in)
				r := e.do("POST", "/sandbox/catalog/items", "", in)
				require.Equal(t, tt.wantCode, r.status, string(r.body))
				require.Equal(t, tt.wantField, r.json(t)["error"].(map[string]any)["field"])
			})
		}
		_, err := a.RetireSku(ctx, "NOPE", "")
		require.ErrorContains(t, err, "404 Not Found")
		_, err = a.RetireSku(ctx, "CONTOSO_TEST", "CONTOSO_TEST")
		require.ErrorContains(t, err, "cannot succeed itself")
		_, err = a.RetireSku(ctx, "CONTOSO_TEST", "ENTERPRISEWITHSCAL")
		require.ErrorContains(t, err, "retired itself")
		_, err = a.RetireSku(ctx, "CONTOSO_TEST", "CFQ7TTC0NONE:0001")
		require.ErrorContains(t, err, "no SKU")
	})

	t.Run("RetiredWithoutSuccessor", func(t *testing.T) {
		v, err := a.RetireSku(ctx, "CONTOSO_TEST", "")
		require.NoError(t, err)
		require.True(t, v.Retired)
		require.Empty(t, v.UpgradeTargetOffers)
		checkRetired(t, e, eu, fr, productTest, "0001", []any{})
	})

	t.Run("RetiredWithSuccessor", func(t *testing.T) {
		v, err := a.RetireSku(ctx, "STANDARDPACK", "CFQ7TTC0LFLX:0001")
		require.NoError(t, err)
		require.Equal(t, []string{"CFQ7TTC0LFLX:0001"}, v.UpgradeTargetOffers)
		checkRetired(t, e, eu, fr, "CFQ7TTC0LF8Q", "0001", []any{"CFQ7TTC0LFLX:0001"})
		// Retiring the built-in retired E4 again takes its successor away.
		v, err = a.RetireSku(ctx, "ENTERPRISEWITHSCAL", "")
		require.NoError(t, err)
		require.Empty(t, v.UpgradeTargetOffers)
		checkRetired(t, e, eu, fr, productO365E4, "0001", []any{})
	})

	t.Run("OriginalsMayNameIt", func(t *testing.T) {
		require.NoError(t, a.CreateCustomer(ctx, sandbox.CustomerInput{
			TenantID: "6c2d3e4f-5061-4b7c-8d9e-0f1a2b3c4d5e", Domain: "contoso-test.onmicrosoft.com", CompanyName: "Test SAS", Country: "FR",
			Originals: []sandbox.OriginalInput{{SkuPartNumber: "CONTOSO_TEST", TotalLicenses: 3, ExpiresIn: "30d"}},
			Users:     []sandbox.UserInput{{UserPrincipalName: "u@contoso-test.onmicrosoft.com", Licenses: []sandbox.LicenseInput{{SkuPartNumber: "CONTOSO_TEST"}}}},
		}))
	})

	t.Run("KeptAcrossARestartUntilAReset", func(t *testing.T) {
		e.restart()
		items, err := a.Catalog(ctx)
		require.NoError(t, err)
		byPart := map[string]sandbox.CatalogItemView{}
		for _, it := range items {
			byPart[it.SkuPartNumber] = it
		}
		require.True(t, byPart["CONTOSO_TEST"].AddedByAdmin)
		require.True(t, byPart["CONTOSO_TEST"].Retired)
		require.True(t, byPart["STANDARDPACK"].Retired)
		require.Empty(t, byPart["ENTERPRISEWITHSCAL"].UpgradeTargetOffers)
		checkRetired(t, e, eu, fr, productTest, "0001", []any{})

		r := e.do("POST", "/sandbox/reset", "", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		items, err = a.Catalog(ctx)
		require.NoError(t, err)
		require.Len(t, items, 8, "the built-in catalog")
		for _, it := range items {
			require.False(t, it.AddedByAdmin)
			require.Equal(t, it.SkuPartNumber == "ENTERPRISEWITHSCAL", it.Retired, it.SkuPartNumber)
		}
	})
}

// checkRetired: Partner Center shows the SKU as not purchasable with upgrade targets want, and a cart line
// of it is refused with 2091.
func checkRetired(t *testing.T, e *env, tok, customerPath, product, sku string, want []any) {
	t.Helper()
	r := e.do("GET", customerPath+"/products/"+product+"/skus/"+sku, tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	dyn := r.json(t)["dynamicAttributes"].(map[string]any)
	require.Equal(t, false, dyn["isAvailableForPurchase"])
	require.Equal(t, want, dyn["upgradeTargetOffers"])
	r = e.do("GET", customerPath+"/products/"+product+"/skus/"+sku+"/availabilities", tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	avail := r.json(t)["items"].([]any)[0].(map[string]any)
	require.Equal(t, false, avail["isPurchasable"])
	r = e.createCart(tok, sandbox.CustomerDiscontinued, line(0, avail["catalogItemId"].(string), 5))
	require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
	require.EqualValues(t, 2091, r.json(t)["code"])
}
