package partnercenter_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

const customerID = "ab3c8f45-e9be-4e5c-a52a-4e19d4e6d1c3"

var now = time.Date(2021, 10, 3, 12, 0, 0, 0, time.UTC)

type recorded struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

type reply struct {
	status int
	body   string
	header map[string]string
}

// fakePC is a scripted Partner Center: each "METHOD path" answers with its
// replies in turn, repeating the last.
type fakePC struct {
	t      *testing.T
	mu     sync.Mutex
	reqs   []recorded
	routes map[string][]reply
}

func (f *fakePC) on(method, path string, replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[method+" "+path] = replies
}

func (f *fakePC) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakePC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	key := r.Method + " " + r.URL.Path
	replies := f.routes[key]
	var rep reply
	if len(replies) == 0 {
		rep = reply{status: 404, body: `{"code":"1000","description":"Not found: ` + key + `","data":[],"source":"PartnerFD"}`}
	} else {
		rep = replies[0]
		if len(replies) > 1 {
			f.routes[key] = replies[1:]
		}
	}
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

var (
	appTokens  = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "app-token"})
	userTokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "user-token"})
)

func setup(t *testing.T, mutate ...func(*partnercenter.Config)) (*partnercenter.Client, *fakePC) {
	t.Helper()
	f := &fakePC{t: t, routes: map[string][]reply{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := partnercenter.Config{
		BaseURL:    srv.URL,
		AppTokens:  appTokens,
		UserTokens: userTokens,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Now:        func() time.Time { return now },
		Sleep:      func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := partnercenter.New(cfg)
	require.NoError(t, err)
	return c, f
}

func TestDocumentedExamples(t *testing.T) {
	base := "/v1/customers/" + customerID
	tests := []struct {
		name      string
		method    string
		path      string
		file      string
		status    int
		call      func(ctx context.Context, c *partnercenter.Client) (any, error)
		wantQuery url.Values
		wantToken string
		check     func(t *testing.T, got any)
	}{
		{
			name: "legal business profile", method: "GET", path: "/v1/profiles/legalbusiness", file: "legalbusiness.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.LegalBusinessProfile(ctx) },
			check: func(t *testing.T, got any) {
				p := got.(partnercenter.LegalBusinessProfile)
				require.Equal(t, "DE", p.Address.Country)
				require.Equal(t, "Fabrikam CSP GmbH", p.CompanyName)
				require.Equal(t, "Authorized", p.VettingStatus)
			},
		},
		{
			name: "customer", method: "GET", path: base, file: "customer.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.Customer(ctx, customerID) },
			check: func(t *testing.T, got any) {
				cu := got.(partnercenter.Customer)
				require.Equal(t, customerID, cu.ID)
				require.Equal(t, customerID, cu.CompanyProfile.TenantID)
				require.Equal(t, "contoso.onmicrosoft.com", cu.CompanyProfile.Domain)
				require.Equal(t, "DE", cu.Country())
				require.True(t, cu.IsReseller())
			},
		},
		{
			name: "relationship request uses the App+User token", method: "GET", path: "/v1/customers/relationshiprequests", file: "relationshiprequest.json",
			wantToken: "user-token",
			call:      func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.RelationshipRequestLink(ctx) },
			check: func(t *testing.T, got any) {
				require.Contains(t, got.(string), "invType=ResellerRelationship&partnerId=c5ef3f2f-1a4e-4c71-b6c1-0d7f0e4a1b2c")
			},
		},
		{
			name: "customer agreements", method: "GET", path: base + "/agreements", file: "agreements.json",
			wantQuery: url.Values{"agreementType": {"MicrosoftCustomerAgreement"}},
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.CustomerAgreements(ctx, customerID)
			},
			check: func(t *testing.T, got any) {
				as := got.([]partnercenter.Agreement)
				require.Len(t, as, 1)
				require.Equal(t, "117a77b0-9360-443b-8795-c6dedc750cf9", as[0].TemplateID)
				require.Equal(t, time.Date(2019, 7, 22, 0, 0, 0, 0, time.UTC), as[0].DateAgreed.Time)
			},
		},
		{
			name: "agreement metadata", method: "GET", path: "/v1/agreements", file: "agreement_metadata.json",
			wantQuery: url.Values{"agreementType": {"MicrosoftCustomerAgreement"}},
			call:      func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.AgreementMetadata(ctx) },
			check: func(t *testing.T, got any) {
				require.Equal(t, "117a77b0-9360-443b-8795-c6dedc750cf9", got.([]partnercenter.AgreementMetaData)[0].TemplateID)
			},
		},
		{
			name: "direct sign status", method: "GET", path: base + "/directSignedMicrosoftCustomerAgreementStatus", file: "",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.DirectSignStatus(ctx, customerID)
			},
			check: func(t *testing.T, got any) { require.True(t, got.(bool)) },
		},
		{
			name: "customer products", method: "GET", path: base + "/products", file: "products.json",
			wantQuery: url.Values{"targetView": {"OnlineServices"}},
			call:      func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.Products(ctx, customerID) },
			check: func(t *testing.T, got any) {
				ps := got.([]partnercenter.Product)
				require.Len(t, ps, 2)
				require.Equal(t, "CFQ7TTC0LFLS", ps[0].ID)
				require.Equal(t, "OnlineServices", ps[0].ProductType.ID)
			},
		},
		{
			name: "country products", method: "GET", path: "/v1/products", file: "products.json",
			wantQuery: url.Values{"targetView": {"OnlineServices"}, "country": {"DE"}},
			call:      func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.ProductsInCountry(ctx, "DE") },
			check:     func(t *testing.T, got any) { require.Len(t, got.([]partnercenter.Product), 2) },
		},
		{
			name: "customer skus", method: "GET", path: base + "/products/CFQ7TTC0LFLS/skus", file: "skus.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Skus(ctx, customerID, "CFQ7TTC0LFLS")
			},
			check: func(t *testing.T, got any) {
				s := got.([]partnercenter.Sku)[0]
				require.Equal(t, "0002", s.ID)
				require.Equal(t, 2000, s.MaximumQuantity)
				require.Equal(t, "05e9a617-0261-4cee-bb44-138d3ef5d965", s.ProvisioningID())
				require.Empty(t, s.UpgradeTargetOffers())
			},
		},
		{
			name: "country skus", method: "GET", path: "/v1/products/CFQ7TTC0LFLS/skus", file: "skus.json",
			wantQuery: url.Values{"country": {"DE"}},
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.SkusInCountry(ctx, "DE", "CFQ7TTC0LFLS")
			},
			check: func(t *testing.T, got any) { require.Len(t, got.([]partnercenter.Sku), 1) },
		},
		{
			name: "customer availabilities", method: "GET", path: base + "/products/CFQ7TTC0LFLS/skus/0002/availabilities", file: "availabilities.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Availabilities(ctx, customerID, "CFQ7TTC0LFLS", "0002")
			},
			check: func(t *testing.T, got any) {
				a := got.([]partnercenter.Availability)[0]
				require.Equal(t, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", a.CatalogItemID)
				require.True(t, a.IsPurchasable)
				require.Equal(t, "P1Y", a.Terms[0].Duration)
				require.Equal(t, "annual", a.Terms[0].BillingCycle)
			},
		},
		{
			name: "country availabilities", method: "GET", path: "/v1/products/CFQ7TTC0LFLS/skus/0002/availabilities", file: "availabilities.json",
			wantQuery: url.Values{"country": {"DE"}},
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.AvailabilitiesInCountry(ctx, "DE", "CFQ7TTC0LFLS", "0002")
			},
			check: func(t *testing.T, got any) { require.Len(t, got.([]partnercenter.Availability), 1) },
		},
		{
			name: "cart", method: "GET", path: base + "/carts/3655b1a0-b1c9-4268-9824-577fdbc4d0be", file: "cart.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Cart(ctx, customerID, "3655b1a0-b1c9-4268-9824-577fdbc4d0be")
			},
			check: func(t *testing.T, got any) {
				cart := got.(partnercenter.Cart)
				require.Equal(t, partnercenter.CartActive, cart.Status)
				require.Equal(t, 25, cart.LineItems[0].Quantity)
				require.Equal(t, time.Date(2019, 1, 23, 0, 45, 41, 606299600, time.UTC), cart.ExpirationTimestamp.Time)
			},
		},
		{
			name: "order", method: "GET", path: base + "/orders/3c6f2530-1e31-4088-8230-dd1c31a18bce", status: 200,
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Order(ctx, customerID, "3c6f2530-1e31-4088-8230-dd1c31a18bce")
			},
			check: func(t *testing.T, got any) {
				o := got.(partnercenter.Order)
				require.Equal(t, "EF2E1307-86E6-40E3-A794-872403FBD31C", o.LineItems[0].SubscriptionID)
				require.Equal(t, time.Date(2019, 1, 16, 0, 48, 44, 760000000, time.UTC), o.CreationDate.Time)
			},
		},
		{
			name: "subscription", method: "GET", path: base + "/subscriptions/a4c1340d-6911-4758-bba3-0c4c6007d161", file: "subscription.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Subscription(ctx, customerID, "a4c1340d-6911-4758-bba3-0c4c6007d161")
			},
			check: func(t *testing.T, got any) {
				s := got.(partnercenter.Subscription)
				require.Equal(t, 25, s.Quantity)
				require.Equal(t, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", s.OfferID)
				require.Equal(t, partnercenter.SubscriptionActive, s.Status)
				require.Equal(t, time.Date(2022, 9, 30, 0, 0, 0, 0, time.UTC), s.CommitmentEndDate.Time)
				require.Equal(t, time.Date(2021, 10, 8, 0, 0, 0, 0, time.UTC), s.CancellationAllowedUntilDate.Time)
				require.Equal(t, "eyJpZCI6ImE0YzEzNDBkIn0=", s.Attributes.Etag)
			},
		},
		{
			name: "subscriptions by order", method: "GET", path: base + "/subscriptions",
			wantQuery: url.Values{"order_id": {"3c6f2530-1e31-4088-8230-dd1c31a18bce"}},
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.SubscriptionsByOrder(ctx, customerID, "3c6f2530-1e31-4088-8230-dd1c31a18bce")
			},
			check: func(t *testing.T, got any) { require.Len(t, got.([]partnercenter.Subscription), 1) },
		},
		{
			name: "provisioning status", method: "GET", path: base + "/subscriptions/a4c1340d-6911-4758-bba3-0c4c6007d161/provisioningstatus", file: "provisioningstatus.json",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.ProvisioningStatus(ctx, customerID, "a4c1340d-6911-4758-bba3-0c4c6007d161")
			},
			check: func(t *testing.T, got any) {
				ps := got.(partnercenter.ProvisioningStatus)
				require.Equal(t, partnercenter.ProvisioningSuccess, ps.Status)
				require.Equal(t, "05E9A617-0261-4CEE-BB44-138D3EF5D965", ps.SkuID)
			},
		},
		{
			name: "subscribed skus use the App+User token", method: "GET", path: base + "/subscribedskus", file: "subscribedskus.json",
			wantToken: "user-token",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.SubscribedSkus(ctx, customerID)
			},
			check: func(t *testing.T, got any) {
				s := got.([]partnercenter.SubscribedSku)[0]
				require.Equal(t, "SPE_E3", s.ProductSku.SkuPartNumber)
				require.Equal(t, 20, s.ConsumedUnits)
				require.Equal(t, "Enabled", s.ServicePlans[0].CapabilityStatus)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			body := `{"isSigned":true}`
			switch {
			case tt.file != "":
				body = file(t, tt.file)
			case tt.name == "order":
				var res map[string][]json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(file(t, "checkout.json")), &res))
				body = string(res["orders"][0])
			case tt.name == "subscriptions by order":
				body = `{"totalCount":1,"items":[` + file(t, "subscription.json") + `],"attributes":{"objectType":"Collection"}}`
			}
			f.on(tt.method, tt.path, reply{status: 200, body: body})
			ctx := msrest.WithCorrelationID(context.Background(), "corr-42")
			got, err := tt.call(ctx, c)
			require.NoError(t, err)
			tt.check(t, got)

			reqs := f.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			require.Equal(t, tt.method, r.Method)
			require.Equal(t, tt.path, r.Path)
			if tt.wantQuery != nil {
				require.Equal(t, tt.wantQuery, r.Query)
			} else {
				require.Empty(t, r.Query)
			}
			wantToken := tt.wantToken
			if wantToken == "" {
				wantToken = "app-token"
			}
			require.Equal(t, "Bearer "+wantToken, r.Header.Get("Authorization"))
			require.Equal(t, "application/json", r.Header.Get("Accept"))
			require.Equal(t, "corr-42", r.Header.Get("MS-CorrelationId"))
			require.Empty(t, r.Header.Get("MS-RequestId"))
		})
	}
}

func customerJSON(id, domain string) string {
	return `{"id":"` + id + `","companyProfile":{"tenantId":"` + id + `","domain":"` + domain + `","companyName":"x"},"billingProfile":{"defaultAddress":{"country":"DE"}},"relationshipToPartner":"reseller"}`
}

func TestCustomersByDomainFiltersAndFollowsPages(t *testing.T) {
	c, f := setup(t)
	page1 := `{"totalCount":3,"items":[` + customerJSON("c1", "contoso.com") + `,` + customerJSON("c2", "contoso.com.au") + `],
	  "links":{"next":{"uri":"/customers?size=100&seekOperation=Next","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"tok-page-2"}]}},
	  "attributes":{"objectType":"Collection"}}`
	page2 := `{"totalCount":3,"items":[` + customerJSON("c3", "CONTOSO.com") + `],"attributes":{"objectType":"Collection"}}`
	f.on("GET", "/v1/customers", reply{status: 200, body: page1}, reply{status: 200, body: page2})

	got, err := c.CustomersByDomain(context.Background(), "contoso.com")
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "c1", got[0].ID)
	require.Equal(t, "c3", got[1].ID)

	reqs := f.requests()
	require.Len(t, reqs, 2)
	require.Equal(t, "100", reqs[0].Query.Get("size"))
	var filter map[string]string
	require.NoError(t, json.Unmarshal([]byte(reqs[0].Query.Get("filter")), &filter))
	require.Equal(t, map[string]string{"Field": "Domain", "Value": "contoso.com", "Operator": "starts_with"}, filter)
	require.Empty(t, reqs[0].Header.Get("MS-ContinuationToken"))
	require.Equal(t, "Next", reqs[1].Query.Get("seekOperation"))
	require.Equal(t, "tok-page-2", reqs[1].Header.Get("MS-ContinuationToken"))
}

func TestPagingStopsOnARepeatingLink(t *testing.T) {
	c, f := setup(t)
	page := `{"totalCount":9,"items":[],"links":{"next":{"uri":"/v1/customers?seekOperation=Next","headers":[{"key":"MS-ContinuationToken","value":"same"}]}}}`
	f.on("GET", "/v1/customers", reply{status: 200, body: page})
	_, err := c.CustomersByDomain(context.Background(), "contoso.com")
	require.ErrorContains(t, err, "next link repeats itself")
	reqs := f.requests()
	require.Len(t, reqs, 2)
	// All pages of one list belong to one logical operation.
	require.Equal(t, reqs[0].Header.Get("MS-CorrelationId"), reqs[1].Header.Get("MS-CorrelationId"))
}

func TestPagingIsBounded(t *testing.T) {
	c, f := setup(t, func(cfg *partnercenter.Config) { cfg.MaxPages = 2 })
	f.on("GET", "/v1/customers",
		reply{status: 200, body: `{"items":[],"links":{"next":{"uri":"/customers?p=2"}}}`},
		reply{status: 200, body: `{"items":[],"links":{"next":{"uri":"/customers?p=3"}}}`})
	_, err := c.CustomersByDomain(context.Background(), "contoso.com")
	require.ErrorContains(t, err, "more than 2 pages")
}

func TestCustomerNotFound(t *testing.T) {
	c, _ := setup(t)
	_, err := c.Customer(context.Background(), customerID)
	require.True(t, msrest.IsNotFound(err))
	require.Equal(t, "1000", msrest.Code(err))
	require.False(t, msrest.IsRetryable(err))
}

func TestCreateCart(t *testing.T) {
	c, f := setup(t)
	f.on("POST", "/v1/customers/"+customerID+"/carts", reply{status: 201, body: file(t, "cart.json")})
	cart, err := c.CreateCart(context.Background(), customerID, []partnercenter.CartLineItem{
		{ID: 7, CatalogItemID: "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", Quantity: 25, BillingCycle: "monthly", TermDuration: "P1Y", FriendlyName: "M365 E3"},
		{CatalogItemID: "CFQ7TTC0LF8Q:0001:CFQ7TTC0J1FV", Quantity: 3, BillingCycle: "annual", TermDuration: "P1Y"},
	}, "7d3f3c0e-0000-4000-8000-000000000001")
	require.NoError(t, err)
	require.Equal(t, "3655b1a0-b1c9-4268-9824-577fdbc4d0be", cart.ID)

	r := f.requests()[0]
	require.Equal(t, "7d3f3c0e-0000-4000-8000-000000000001", r.Header.Get("MS-RequestId"))
	require.NotEmpty(t, r.Header.Get("MS-CorrelationId"))
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.JSONEq(t, `{"lineItems":[
	  {"id":0,"catalogItemId":"CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ","friendlyName":"M365 E3","quantity":25,"billingCycle":"monthly","termDuration":"P1Y"},
	  {"id":1,"catalogItemId":"CFQ7TTC0LF8Q:0001:CFQ7TTC0J1FV","quantity":3,"billingCycle":"annual","termDuration":"P1Y"}]}`, string(r.Body))
}

func TestCreateCartRejectsBadInputWithoutSending(t *testing.T) {
	tests := []struct {
		name  string
		cust  string
		lines []partnercenter.CartLineItem
	}{
		{name: "no customer", cust: "", lines: []partnercenter.CartLineItem{{CatalogItemID: "a", Quantity: 1}}},
		{name: "no lines", cust: customerID},
		{name: "no catalog item", cust: customerID, lines: []partnercenter.CartLineItem{{Quantity: 1}}},
		{name: "zero quantity", cust: customerID, lines: []partnercenter.CartLineItem{{CatalogItemID: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			_, err := c.CreateCart(context.Background(), tt.cust, tt.lines, "req")
			require.Error(t, err)
			require.Empty(t, f.requests())
		})
	}
}

func TestMissingRequiredFields(t *testing.T) {
	base := "/v1/customers/" + customerID
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		call    func(c *partnercenter.Client) error
		wantMsg string
	}{
		{
			name: "cart without id", method: "POST", path: base + "/carts", body: `{"status":"Active","lineItems":[]}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.CreateCart(context.Background(), customerID, []partnercenter.CartLineItem{{CatalogItemID: "a", Quantity: 1}}, "r")
				return err
			},
			wantMsg: "decode cart: missing id",
		},
		{
			name: "profile without country", method: "GET", path: "/v1/profiles/legalbusiness", body: `{"companyName":"x","address":{}}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.LegalBusinessProfile(context.Background())
				return err
			},
			wantMsg: "missing address.country",
		},
		{
			name: "subscription without id", method: "GET", path: base + "/subscriptions/s1", body: `{"quantity":3}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.Subscription(context.Background(), customerID, "s1")
				return err
			},
			wantMsg: "decode subscription: missing id",
		},
		{
			name: "checkout without orders", method: "POST", path: base + "/carts/k1/checkout", body: `{}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.CheckoutCart(context.Background(), customerID, "k1", "r")
				return err
			},
			wantMsg: "missing orders and orderErrors",
		},
		{
			name: "availability without catalog item", method: "GET", path: base + "/products/p/skus/s/availabilities", body: `{"items":[{"id":"a"}]}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.Availabilities(context.Background(), customerID, "p", "s")
				return err
			},
			wantMsg: "missing catalogItemId",
		},
		{
			name: "relationship link missing", method: "GET", path: "/v1/customers/relationshiprequests", body: `{"attributes":{}}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.RelationshipRequestLink(context.Background())
				return err
			},
			wantMsg: "missing url",
		},
		{
			name: "direct sign without isSigned", method: "GET", path: base + "/directSignedMicrosoftCustomerAgreementStatus", body: `{}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.DirectSignStatus(context.Background(), customerID)
				return err
			},
			wantMsg: "missing isSigned",
		},
		{
			name: "malformed json", method: "GET", path: base, body: `{"id":`,
			call: func(c *partnercenter.Client) error {
				_, err := c.Customer(context.Background(), customerID)
				return err
			},
			wantMsg: "decode customer:",
		},
		{
			name: "bad date", method: "GET", path: base + "/carts/k1", body: `{"id":"k1","creationTimestamp":"yesterday"}`,
			call: func(c *partnercenter.Client) error {
				_, err := c.Cart(context.Background(), customerID, "k1")
				return err
			},
			wantMsg: `time "yesterday"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			f.on(tt.method, tt.path, reply{status: 201, body: tt.body}, reply{status: 200, body: tt.body})
			if tt.method == "GET" {
				f.on(tt.method, tt.path, reply{status: 200, body: tt.body})
			}
			err := tt.call(c)
			require.ErrorContains(t, err, tt.wantMsg)
			require.False(t, msrest.IsRetryable(err))
		})
	}
}

func TestCheckout(t *testing.T) {
	path := "/v1/customers/" + customerID + "/carts/k1/checkout"
	tests := []struct {
		name      string
		replies   []reply
		wantCalls int
		wantErr   string
		wantCode  string
		retryable bool
		check     func(t *testing.T, res partnercenter.CheckoutResult)
	}{
		{
			name: "partial success", replies: []reply{{status: 201, body: ""}}, wantCalls: 1,
			check: func(t *testing.T, res partnercenter.CheckoutResult) {
				require.Len(t, res.Orders, 1)
				require.Equal(t, "3c6f2530-1e31-4088-8230-dd1c31a18bce", res.Orders[0].ID)
				require.Equal(t, "EF2E1307-86E6-40E3-A794-872403FBD31C", res.Orders[0].LineItems[0].SubscriptionID)
				require.Equal(t, []partnercenter.OrderError{{OrderGroupID: "1", Code: "800070", Description: "Offer is not available in the specified country."}}, res.OrderErrors)
			},
		},
		{
			name:      "already submitted",
			replies:   []reply{{status: 400, body: `{"code":800065,"description":"Cannot check out an already submitted cart k1","data":[],"source":"PartnerFD"}`}},
			wantCalls: 1, wantCode: "800065",
		},
		{
			name:      "agreement missing",
			replies:   []reply{{status: 400, body: `{"code":"13605","description":"Customer agreement is missing","data":[],"source":"PartnerFD"}`}},
			wantCalls: 1, wantCode: "13605",
		},
		{
			name: "being processed is retried under the same request id",
			replies: []reply{
				{status: 409, body: `{"code":800064,"description":"Cart k1 is being processed by another request","source":"PartnerFD"}`},
				{status: 201, body: ""},
			},
			wantCalls: 2,
			check:     func(t *testing.T, res partnercenter.CheckoutResult) { require.Len(t, res.Orders, 1) },
		},
		{
			name:      "throttled beyond the in-call wait",
			replies:   []reply{{status: 429, header: map[string]string{"Retry-After": "57"}, body: `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 57 seconds."}`}},
			wantCalls: 1, wantCode: msrest.CodeThrottled, retryable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			for i := range tt.replies {
				if tt.replies[i].body == "" {
					tt.replies[i].body = file(t, "checkout.json")
				}
			}
			f.on("POST", path, tt.replies...)
			res, err := c.CheckoutCart(context.Background(), customerID, "k1", "req-checkout-1")
			reqs := f.requests()
			require.Len(t, reqs, tt.wantCalls)
			for _, r := range reqs {
				require.Equal(t, "req-checkout-1", r.Header.Get("MS-RequestId"))
				require.Empty(t, r.Body)
			}
			if tt.wantCode != "" {
				require.Equal(t, tt.wantCode, msrest.Code(err), "%v", err)
				require.Equal(t, tt.retryable, msrest.IsRetryable(err))
				if tt.retryable {
					wait, ok := msrest.RetryAfter(err)
					require.True(t, ok)
					require.Equal(t, 57*time.Second, wait)
				}
				return
			}
			require.NoError(t, err)
			tt.check(t, res)
		})
	}
}

func TestCancelSubscription(t *testing.T) {
	subPath := "/v1/customers/" + customerID + "/subscriptions/a4c1340d-6911-4758-bba3-0c4c6007d161"
	withField := func(field string, value any) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(file(t, "subscription.json")), &m))
		if value == nil {
			delete(m, field)
		} else {
			m[field] = value
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	withoutFields := func(fields ...string) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(file(t, "subscription.json")), &m))
		for _, f := range fields {
			delete(m, f)
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	tests := []struct {
		name       string
		sub        string
		at         time.Time
		patchReply reply
		wantPatch  bool
		wantRefuse string
		wantCode   string
		wantStatus string
	}{
		{
			name: "inside the window", sub: file(t, "subscription.json"), at: now,
			patchReply: reply{status: 200, body: withField("status", "deleted")}, wantPatch: true, wantStatus: "deleted",
		},
		{
			name: "window closed", sub: file(t, "subscription.json"), at: time.Date(2021, 10, 8, 0, 0, 0, 0, time.UTC),
			wantRefuse: "cancellation window closed at 2021-10-08T00:00:00Z",
		},
		{
			name: "not bought by this partner", sub: withField("orderId", nil), at: now,
			wantRefuse: "not bought through an order of this partner",
		},
		{
			// New commerce states the window in refundOptions as well (and
			// Microsoft's NCE example only there): no window means neither.
			name: "no window", sub: withoutFields("cancellationAllowedUntilDate", "refundOptions"), at: now,
			wantRefuse: "no cancellation window",
		},
		{
			name: "window only in refundOptions", sub: withoutFields("cancellationAllowedUntilDate"), at: now,
			patchReply: reply{status: 200, body: withField("status", "deleted")}, wantPatch: true, wantStatus: "deleted",
		},
		{
			name: "refundOptions window closed", sub: withoutFields("cancellationAllowedUntilDate"), at: time.Date(2021, 10, 8, 0, 0, 0, 0, time.UTC),
			wantRefuse: "cancellation window closed at 2021-10-08T00:00:00Z",
		},
		{
			name: "already deleted", sub: withField("status", "deleted"), at: now, wantStatus: "deleted",
		},
		{
			name: "partner center refuses", sub: file(t, "subscription.json"), at: now, wantPatch: true,
			patchReply: reply{status: 400, body: `{"code":"800090","description":"Quantity cannot be decreased","source":"PartnerFD"}`},
			wantCode:   "800090",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t, func(cfg *partnercenter.Config) { cfg.Now = func() time.Time { return tt.at } })
			f.on("GET", subPath, reply{status: 200, body: tt.sub})
			f.on("PATCH", subPath, tt.patchReply)
			got, err := c.CancelSubscription(context.Background(), customerID, "a4c1340d-6911-4758-bba3-0c4c6007d161", "req-cancel-1")

			var patches []recorded
			for _, r := range f.requests() {
				if r.Method == "PATCH" {
					patches = append(patches, r)
				}
			}
			switch {
			case tt.wantRefuse != "":
				require.ErrorIs(t, err, partnercenter.ErrCancelRefused)
				var re *partnercenter.CancelRefusedError
				require.True(t, errors.As(err, &re))
				require.Contains(t, err.Error(), tt.wantRefuse)
				require.False(t, msrest.IsRetryable(err))
			case tt.wantCode != "":
				require.Equal(t, tt.wantCode, msrest.Code(err))
			default:
				require.NoError(t, err)
				require.Equal(t, tt.wantStatus, got.Status)
			}
			if !tt.wantPatch {
				require.Empty(t, patches)
				return
			}
			require.Len(t, patches, 1)
			require.Equal(t, "req-cancel-1", patches[0].Header.Get("MS-RequestId"))
			var sent map[string]any
			require.NoError(t, json.Unmarshal(patches[0].Body, &sent))
			require.Equal(t, "deleted", sent["status"])
			// Fields this package does not model are sent back unchanged.
			require.Equal(t, "license", sent["billingType"])
			require.Equal(t, float64(25), sent["quantity"])
		})
	}
}

func TestAttestAgreement(t *testing.T) {
	c, f := setup(t)
	path := "/v1/customers/" + customerID + "/agreements"
	a := partnercenter.Agreement{
		PrimaryContact: partnercenter.Contact{FirstName: "Jane", LastName: "Doe", Email: "jane@contoso.example", PhoneNumber: "1234567890"},
		DateAgreed:     partnercenter.Time{Time: time.Date(2021, 10, 1, 0, 0, 0, 0, time.UTC)},
		TemplateID:     "117a77b0-9360-443b-8795-c6dedc750cf9",
	}
	var list struct{ Items []json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(file(t, "agreements.json")), &list))
	f.on("POST", path, reply{status: 201, body: string(list.Items[0])})

	got, err := c.AttestAgreement(context.Background(), customerID, a, "req-attest")
	require.NoError(t, err)
	require.Equal(t, "MicrosoftCustomerAgreement", got.Type)

	r := f.requests()[0]
	require.Equal(t, "req-attest", r.Header.Get("MS-RequestId"))
	var sent map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &sent))
	require.Equal(t, "MicrosoftCustomerAgreement", sent["type"])
	require.Equal(t, "2021-10-01T00:00:00Z", sent["dateAgreed"])
	require.Equal(t, "117a77b0-9360-443b-8795-c6dedc750cf9", sent["templateId"])
	require.Equal(t, "jane@contoso.example", sent["primaryContact"].(map[string]any)["email"])

	_, err = c.AttestAgreement(context.Background(), customerID, partnercenter.Agreement{}, "req")
	require.ErrorContains(t, err, "attestation needs")
	require.Len(t, f.requests(), 1)
}

func TestFindSku(t *testing.T) {
	base := "/v1/customers/" + customerID
	successor := `{"items":[{"id":"0001","productId":"CFQ7TTC0LF8Q","title":"Office 365 E3 (old)",
	  "dynamicAttributes":{"provisioningId":"6fd2c87f-b296-42f0-b197-1e91e994b900","upgradeTargetOffers":["CFQ7TTC0LFLS:0002"]}}]}`
	tests := []struct {
		name      string
		graphSku  string
		wantID    string
		wantErrIs error
	}{
		{name: "second product, case-insensitive", graphSku: "6FD2C87F-B296-42F0-B197-1E91E994B900", wantID: "0001"},
		{name: "first product", graphSku: "05e9a617-0261-4cee-bb44-138d3ef5d965", wantID: "0002"},
		{name: "unknown", graphSku: "00000000-0000-0000-0000-000000000000", wantErrIs: partnercenter.ErrNotInCatalog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			f.on("GET", base+"/products", reply{status: 200, body: file(t, "products.json")})
			f.on("GET", base+"/products/CFQ7TTC0LFLS/skus", reply{status: 200, body: file(t, "skus.json")})
			f.on("GET", base+"/products/CFQ7TTC0LF8Q/skus", reply{status: 200, body: successor})
			sku, err := c.FindSku(context.Background(), customerID, tt.graphSku)
			if tt.wantErrIs != nil {
				require.ErrorIs(t, err, tt.wantErrIs)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantID, sku.ID)
			if sku.ID == "0001" {
				require.Equal(t, []string{"CFQ7TTC0LFLS:0002"}, sku.UpgradeTargetOffers())
			}
		})
	}
}

func TestAppUserFallsBackToAppOnly(t *testing.T) {
	c, f := setup(t, func(cfg *partnercenter.Config) { cfg.UserTokens = nil })
	f.on("GET", "/v1/customers/relationshiprequests", reply{status: 401, body: `{"code":"600008","description":"The requested operation requires App+User authentication","data":[],"source":"PartnerFD"}`})
	_, err := c.RelationshipRequestLink(context.Background())
	require.Equal(t, 401, msrest.StatusCode(err))
	require.Equal(t, "600008", msrest.Code(err))
	require.False(t, msrest.IsRetryable(err))
	require.Equal(t, "Bearer app-token", f.requests()[0].Header.Get("Authorization"))
}

func TestNewValidates(t *testing.T) {
	_, err := partnercenter.New(partnercenter.Config{})
	require.ErrorContains(t, err, "app token source is required")
	_, err = partnercenter.New(partnercenter.Config{AppTokens: appTokens, BaseURL: "api.partnercenter.microsoft.com"})
	require.ErrorContains(t, err, "base url")
	c, err := partnercenter.New(partnercenter.Config{AppTokens: appTokens})
	require.NoError(t, err)
	require.NotNil(t, c)
}

func TestEmptyIDsAreRefused(t *testing.T) {
	c, f := setup(t)
	ctx := context.Background()
	_, err := c.Customer(ctx, " ")
	require.ErrorContains(t, err, "customer id is required")
	_, err = c.Cart(ctx, customerID, "")
	require.ErrorContains(t, err, "cart id is required")
	_, err = c.CancelSubscription(ctx, customerID, "", "r")
	require.ErrorContains(t, err, "subscription id is required")
	_, err = c.FindSku(ctx, customerID, "")
	require.Error(t, err)
	require.Empty(t, f.requests())
}
