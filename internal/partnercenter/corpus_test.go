package partnercenter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/mscorpus"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

// The tests in this file serve Microsoft's published example bodies
// (internal/mscorpus) at the paths the client calls and run the real client
// methods on them: the client must read what Microsoft documents, not only
// what our own fixtures and the sandbox send.

// pcExample returns a Partner Center example of the corpus.
func pcExample(t *testing.T, name string) mscorpus.Example {
	t.Helper()
	return mscorpus.Get(mscorpus.PartnerCenter, name)
}

// replyWith answers with the example body, its documented status (or
// fallback when the document states none) and its documented headers.
func replyWith(ex mscorpus.Example, fallback int) reply {
	status := ex.Status
	if status == 0 {
		status = fallback
	}
	return reply{status: status, body: string(ex.Body), header: ex.Headers}
}

func utc(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v.UTC()
}

func TestCorpusResponses(t *testing.T) {
	const (
		cust     = "eebd1b55-5360-4438-a11d-5c06918c3014"
		agrCust  = "14876998-c0dc-46e6-9d0c-65a57a6c32ec"
		catCust  = "65543400-f8b0-4783-8530-6d35ab8c6801"
		ordCust  = "b0d70a69-4c42-4b27-b17b-91a835d8686a"
		subsCust = "4d3cf487-70f4-4e1e-9ff1-b2bfce8d9f04"
		licCust  = "0c39d6d5-c70d-4c55-bc02-f620844f3fd1"
	)
	tests := []struct {
		example   string
		method    string
		path      string
		wantToken string
		call      func(ctx context.Context, c *partnercenter.Client) (any, error)
		check     func(t *testing.T, got any)
	}{
		{
			example: "get-legal-business-profile.response", method: "GET", path: "/v1/profiles/legalbusiness",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.LegalBusinessProfile(ctx) },
			check: func(t *testing.T, got any) {
				p := got.(partnercenter.LegalBusinessProfile)
				require.Equal(t, "Lucerne Publishing", p.CompanyName)
				require.Equal(t, "US", p.Address.Country)
				require.Equal(t, "NY", p.Address.State)
				require.Equal(t, "authorized", p.VettingStatus)
				require.Equal(t, "none", p.VettingSubStatus)
				require.Equal(t, "gena@lucernepublishing.com", p.PrimaryContact.Email)
			},
		},
		{
			example: "get-customer.response", method: "GET", path: "/v1/customers/" + cust,
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.Customer(ctx, cust) },
			check: func(t *testing.T, got any) {
				cu := got.(partnercenter.Customer)
				require.Equal(t, cust, cu.ID)
				require.Equal(t, "99e6a635-48e7-424d-9059-c9db944e3c54", cu.CommerceID)
				require.Equal(t, cust, cu.CompanyProfile.TenantID)
				require.Equal(t, "abcdefgh1234.ccsctp.net", cu.CompanyProfile.Domain)
				require.Equal(t, "US", cu.Country())
				require.Equal(t, "US", cu.CompanyProfile.Address.Country)
				require.True(t, cu.IsReseller())
				require.Equal(t, "Customer", cu.Attributes.ObjectType)
			},
		},
		{
			example: "list-customers.response", method: "GET", path: "/v1/customers",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.CustomersByDomain(ctx, "domain")
			},
			check: func(t *testing.T, got any) {
				cs := got.([]partnercenter.Customer)
				require.Len(t, cs, 2)
				require.Equal(t, "b44bb1fb-c595-45b0-9e09-d657365580bf", cs[0].ID)
				require.Equal(t, "45c44870-ef77-4fdd-b6fe-3dacb075cff2", cs[1].ID)
				require.True(t, cs[0].IsReseller())
			},
		},
		{
			example: "list-customers-filtered.response", method: "GET", path: "/v1/customers",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.CustomersByDomain(ctx, "contosocorpco.onmicrosoft.com")
			},
			check: func(t *testing.T, got any) {
				cs := got.([]partnercenter.Customer)
				require.Len(t, cs, 1, "exact domain match, case-insensitive, among the starts_with results")
				require.Equal(t, "7b26b357-9ca3-48b8-a58e-4febe2662a5d", cs[0].ID)
				require.Equal(t, "ContosoCorpCo.onmicrosoft.com", cs[0].CompanyProfile.Domain)
			},
		},
		{
			example: "get-relationship-request.response", method: "GET", path: "/v1/customers/relationshiprequests", wantToken: "user-token",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.RelationshipRequestLink(ctx) },
			check: func(t *testing.T, got any) {
				require.Equal(t, "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=3b33e682-00c3-41ee-9dd2-a548adf56438&msppId=0&DAP=false#/BillingAccounts/partner-invitation", got)
			},
		},
		{
			example: "list-agreement-metadata.response", method: "GET", path: "/v1/agreements",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.AgreementMetadata(ctx) },
			check: func(t *testing.T, got any) {
				ms := got.([]partnercenter.AgreementMetaData)
				require.Len(t, ms, 1)
				require.Equal(t, "998b88de-aa99-4388-a42c-1b3517d49490", ms[0].TemplateID)
				require.Equal(t, "MicrosoftCloudAgreement", ms[0].AgreementType)
				require.Equal(t, "https://learn.microsoft.com/partner-center/agreements", ms[0].AgreementLink)
				require.Equal(t, 0, ms[0].VersionRank)
			},
		},
		{
			example: "get-direct-sign-status.response", method: "GET", path: "/v1/customers/" + agrCust + "/directSignedMicrosoftCustomerAgreementStatus",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.DirectSignStatus(ctx, agrCust)
			},
			check: func(t *testing.T, got any) { require.True(t, got.(bool)) },
		},
		{
			// Microsoft's page lists SKU-shaped items under "Response example"
			// for products; the Product fields present decode.
			example: "list-products-by-customer-azure.response", method: "GET", path: "/v1/customers/" + catCust + "/products",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.Products(ctx, catCust) },
			check: func(t *testing.T, got any) {
				ps := got.([]partnercenter.Product)
				require.Len(t, ps, 2)
				require.Equal(t, "MS-AZR-0145P", ps[0].ID)
				require.Equal(t, "Microsoft Azure", ps[0].Title)
				require.Equal(t, "0001", ps[1].ID)
			},
		},
		{
			// Doc error: the "list SKUs" example is a single Product, not a
			// collection. The client reads it as an empty page rather than
			// failing; TestCorpusCatalogResources decodes it as a Product.
			example: "list-skus-by-customer-azure.response", method: "GET", path: "/v1/customers/" + catCust + "/products/DZH318Z0BPS6/skus",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Skus(ctx, catCust, "DZH318Z0BPS6")
			},
			check: func(t *testing.T, got any) { require.Empty(t, got.([]partnercenter.Sku)) },
		},
		{
			// Doc error: the "list availabilities" example is a single SKU.
			example: "list-availabilities-by-customer-azure.response", method: "GET", path: "/v1/customers/" + catCust + "/products/DZH318Z0BPS6/skus/0001/availabilities",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Availabilities(ctx, catCust, "DZH318Z0BPS6", "0001")
			},
			check: func(t *testing.T, got any) { require.Empty(t, got.([]partnercenter.Availability)) },
		},
		{
			example: "create-cart-nce.response", method: "GET", path: "/v1/customers/932c4101-dc08-461b-b4c1-75d80e905775/carts/2517c51b-58cd-4abe-87ed-3ab812401ab4",
			// No published example for GET cart; the create-cart answer is the
			// same Cart resource.
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Cart(ctx, "932c4101-dc08-461b-b4c1-75d80e905775", "2517c51b-58cd-4abe-87ed-3ab812401ab4")
			},
			check: func(t *testing.T, got any) {
				cart := got.(partnercenter.Cart)
				require.Equal(t, "2517c51b-58cd-4abe-87ed-3ab812401ab4", cart.ID)
				require.Equal(t, partnercenter.CartActive, cart.Status)
				require.Equal(t, utc("2023-07-18T21:16:17.2480482Z"), cart.ExpirationTimestamp.Time)
			},
		},
		{
			example: "get-order.response", method: "GET", path: "/v1/customers/" + ordCust + "/orders/YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Order(ctx, ordCust, "YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1")
			},
			check: func(t *testing.T, got any) {
				o := got.(partnercenter.Order)
				require.Equal(t, "YxH1q4KScfvfkJQjgRI8QY1DznnUWZTH1", o.ID)
				require.Equal(t, ordCust, o.ReferenceCustomerID)
				require.Equal(t, "one_time", o.BillingCycle)
				require.Equal(t, "USD", o.CurrencyCode)
				require.Equal(t, "completed", o.Status)
				require.Equal(t, utc("2018-03-13T22:49:54.3396949Z"), o.CreationDate.Time)
				require.Len(t, o.LineItems, 1)
				require.Equal(t, "DZH318Z0BQ4Z:002L:DZH318Z0CMNP", o.LineItems[0].OfferID)
				require.Equal(t, 1, o.LineItems[0].Quantity)
			},
		},
		{
			example: "list-subscriptions-by-order.response", method: "GET", path: "/v1/customers/" + subsCust + "/subscriptions",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.SubscriptionsByOrder(ctx, subsCust, "{id-for-order}")
			},
			check: func(t *testing.T, got any) {
				ss := got.([]partnercenter.Subscription)
				require.Len(t, ss, 1)
				require.Equal(t, "83ef9d05-4169-4ef9-9657-0e86b1eab1de", ss[0].ID)
				require.Equal(t, 1, ss[0].Quantity)
				require.Equal(t, partnercenter.SubscriptionActive, ss[0].Status)
				// Published as "2015-11-25T06: 41: 12Z".
				require.Equal(t, utc("2015-11-25T06:41:12Z"), ss[0].CreationDate.Time)
				require.Equal(t, "{id-for-order}", ss[0].OrderID)
			},
		},
		{
			example: "list-subscriptions.response", method: "GET", path: "/v1/customers/" + subsCust + "/subscriptions",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.Subscriptions(ctx, subsCust) },
			check: func(t *testing.T, got any) {
				ss := got.([]partnercenter.Subscription)
				require.Len(t, ss, 1)
				require.Equal(t, "6183db3d-6318-4e52-877e-25806e4971be", ss[0].OrderID)
				require.Equal(t, utc("2016-12-12T08:00:00Z"), ss[0].CommitmentEndDate.Time)
				_, ok := ss[0].RefundableUntil()
				require.False(t, ok)
			},
		},
		{
			example: "list-subscriptions-software.response", method: "GET", path: "/v1/customers/954ca09a-1132-4088-bb58-30438dea2756/subscriptions",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Subscriptions(ctx, "954ca09a-1132-4088-bb58-30438dea2756")
			},
			check: func(t *testing.T, got any) {
				s := got.([]partnercenter.Subscription)[0]
				require.Equal(t, "DG7GMGF0FKZV:0003:DG7GMGF0DQLM", s.OfferID)
				require.Equal(t, "triennial", s.BillingCycle)
				require.Equal(t, "P3Y", s.TermDuration)
				require.Equal(t, utc("2021-11-14T23:59:00Z"), s.CancellationAllowedUntilDate.Time)
				until, ok := s.RefundableUntil()
				require.True(t, ok)
				require.Equal(t, utc("2021-11-14T23:59:00Z"), until)
			},
		},
		{
			example: "get-subscription-azure.response", method: "GET", path: "/v1/customers/" + subsCust + "/subscriptions/A356AC8C-E310-44F4-BF85-C7F29044AF99",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Subscription(ctx, subsCust, "A356AC8C-E310-44F4-BF85-C7F29044AF99")
			},
			check: func(t *testing.T, got any) {
				s := got.(partnercenter.Subscription)
				require.Equal(t, "MS-AZR-0145P", s.OfferID)
				require.Equal(t, "Usage-based", s.UnitType)
				require.Equal(t, utc("9999-12-10T00:00:00Z"), s.CommitmentEndDate.Time)
				require.Equal(t, "B23FDEDD-D6BD-415A-8B71-3624C81C9644", s.OrderID)
				require.NotEmpty(t, s.Attributes.Etag)
			},
		},
		{
			example: "get-subscription-addon.response", method: "GET", path: "/v1/customers/" + subsCust + "/subscriptions/968BA1CF-C146-4ADF-A300-308DCF718EEE",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Subscription(ctx, subsCust, "968BA1CF-C146-4ADF-A300-308DCF718EEE")
			},
			check: func(t *testing.T, got any) {
				s := got.(partnercenter.Subscription)
				require.Equal(t, 2, s.Quantity)
				require.Equal(t, "Licenses", s.UnitType)
				require.True(t, s.AutoRenewEnabled)
				require.Equal(t, utc("2017-01-25T23:01:08.693Z"), s.CreationDate.Time)
			},
		},
		{
			example: "get-subscription-nce-2021.response", method: "GET", path: "/v1/customers/d8202a51-69f9-4228-b900-d0e081af17d7/subscriptions/a4c1340d-6911-4758-bba3-0c4c6007d161",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.Subscription(ctx, "d8202a51-69f9-4228-b900-d0e081af17d7", "a4c1340d-6911-4758-bba3-0c4c6007d161")
			},
			check: func(t *testing.T, got any) {
				s := got.(partnercenter.Subscription)
				require.Equal(t, "CFQ7TTC0LH18:0001:CFQ7TTC0K971", s.OfferID)
				require.Equal(t, partnercenter.SubscriptionExpired, s.Status)
				require.Equal(t, "monthly", s.BillingCycle)
				require.Equal(t, "P1Y", s.TermDuration)
				require.Equal(t, "34b37d7340cc", s.OrderID)
				require.Equal(t, utc("2022-01-13T00:00:00Z"), s.CommitmentEndDate.Time)
				// Microsoft's NCE example has no cancellationAllowedUntilDate:
				// the window is in refundOptions.
				require.True(t, s.CancellationAllowedUntilDate.IsZero())
				require.Equal(t, []partnercenter.RefundOption{{Type: partnercenter.RefundFull, ExpiresAt: partnercenter.Time{Time: utc("2021-01-15T00:00:00Z")}}}, s.RefundOptions)
				until, ok := s.RefundableUntil()
				require.True(t, ok)
				require.Equal(t, utc("2021-01-15T00:00:00Z"), until)
			},
		},
		{
			example: "get-provisioning-status.response", method: "GET", path: "/v1/customers/" + licCust + "/subscriptions/FE8B3F09-E4D4-4D1C-A5F6-1B5A2C1D6D7E/provisioningstatus",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) {
				return c.ProvisioningStatus(ctx, licCust, "FE8B3F09-E4D4-4D1C-A5F6-1B5A2C1D6D7E")
			},
			check: func(t *testing.T, got any) {
				ps := got.(partnercenter.ProvisioningStatus)
				require.Equal(t, "6FD2C87F-B296-42F0-B197-1E91E994B900", ps.SkuID)
				require.Equal(t, partnercenter.ProvisioningSuccess, ps.Status)
				require.Equal(t, 5, ps.Quantity)
				require.Equal(t, utc("2018-05-10T00:00:00Z"), ps.EndDate.Time)
			},
		},
		{
			example: "list-subscribed-skus.response", method: "GET", path: "/v1/customers/" + licCust + "/subscribedskus", wantToken: "user-token",
			call: func(ctx context.Context, c *partnercenter.Client) (any, error) { return c.SubscribedSkus(ctx, licCust) },
			check: func(t *testing.T, got any) {
				s := got.([]partnercenter.SubscribedSku)[0]
				require.Equal(t, "efccb6f7-5641-4e0e-bd10-b4976e1bf68e", s.ProductSku.ID)
				require.Equal(t, "EMS", s.ProductSku.SkuPartNumber)
				require.Equal(t, "group1", s.ProductSku.LicenseGroupID)
				require.Equal(t, 4, s.AvailableUnits)
				require.Equal(t, 5, s.ActiveUnits)
				require.Equal(t, 1, s.ConsumedUnits)
				require.Equal(t, 5, s.TotalUnits)
				require.Equal(t, "Enabled", s.CapabilityStatus)
				require.Equal(t, "RMS_S_PREMIUM", s.ServicePlans[0].ServiceName)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			ex := pcExample(t, tt.example)
			c, f := setup(t)
			f.on(tt.method, tt.path, replyWith(ex, http.StatusOK))
			got, err := tt.call(context.Background(), c)
			require.NoError(t, err)
			tt.check(t, got)
			reqs := f.requests()
			require.NotEmpty(t, reqs)
			want := "Bearer app-token"
			if tt.wantToken != "" {
				want = "Bearer " + tt.wantToken
			}
			require.Equal(t, want, reqs[0].Header.Get("Authorization"))
		})
	}
}

// TestCorpusCatalogResources decodes the catalog resources Microsoft
// publishes as single objects (including the list pages whose examples are
// a single resource) into the client's types.
func TestCorpusCatalogResources(t *testing.T) {
	var p partnercenter.Product
	require.NoError(t, json.Unmarshal(pcExample(t, "get-product-nce.response").Body, &p))
	require.Equal(t, "CFQ7TTC0LH18", p.ID)
	require.Equal(t, "Microsoft 365 Business Basic", p.Title)
	require.Equal(t, "OnlineServicesNCE", p.ProductType.ID)

	p = partnercenter.Product{}
	require.NoError(t, json.Unmarshal(pcExample(t, "get-product-azure-reservations.response").Body, &p))
	require.NotEmpty(t, p.ID)
	require.NotEmpty(t, p.ProductType.ID)

	p = partnercenter.Product{}
	require.NoError(t, json.Unmarshal(pcExample(t, "list-skus-by-customer-azure.response").Body, &p))
	require.Equal(t, "DZH318Z0BPS6", p.ID)
	require.Equal(t, "Azure", p.ProductType.ID)

	var s partnercenter.Sku
	require.NoError(t, json.Unmarshal(pcExample(t, "get-sku-azure-reservations.response").Body, &s))
	require.Equal(t, "00G1", s.ID)
	require.Equal(t, "DZH318Z0BQ3V", s.ProductID)
	require.Equal(t, 999999999, s.MaximumQuantity)
	require.Empty(t, s.ProvisioningID())
	require.Empty(t, s.UpgradeTargetOffers())

	s = partnercenter.Sku{}
	require.NoError(t, json.Unmarshal(pcExample(t, "list-availabilities-by-customer-azure.response").Body, &s))
	require.Equal(t, "0001", s.ID)
	require.Equal(t, "DZH318Z0BPS6", s.ProductID)
	require.Equal(t, []string{"one_time"}, s.SupportedBillingCycles)
	require.Equal(t, []string{"MicrosoftCustomerAgreement"}, s.PurchasePrerequisites)
}

func TestCorpusAttestAgreement(t *testing.T) {
	const cust = "14876998-c0dc-46e6-9d0c-65a57a6c32ec"
	req := pcExample(t, "create-agreement.request")
	c, f := setup(t)
	f.on("POST", "/v1/customers/"+cust+"/agreements", replyWith(pcExample(t, "create-agreement.response"), http.StatusCreated))

	var a partnercenter.Agreement
	require.NoError(t, json.Unmarshal(req.Body, &a))
	got, err := c.AttestAgreement(context.Background(), cust, a, "94e4e214-6b06-4fb7-96d1-94d559f9b47f")
	require.NoError(t, err)
	require.Equal(t, "3d6f2c09-eb40-48ca-a4b3-d24c9c007531", got.UserID)
	require.Equal(t, "117a77b0-9360-443b-8795-c6dedc750cf9", got.TemplateID)
	require.Equal(t, utc("2018-06-14T00:00:00Z"), got.DateAgreed.Time)
	require.Equal(t, partnercenter.AgreementTypeMCA, got.Type)
	require.Equal(t, "someone@example.com", got.PrimaryContact.Email)

	sent := f.requests()[0].Body
	diffs, err := mscorpus.CompareShape(req.Body, sent, mscorpus.ShapeOptions{})
	require.NoError(t, err)
	require.Empty(t, diffs, "sent %s", sent)
	requireKeys(t, sent, "primaryContact", "templateId", "dateAgreed", "type")
}

func TestCorpusCreateCart(t *testing.T) {
	// The request example of the Azure cart is not valid JSON (it carries
	// /* comments */); the new-commerce one is, in PascalCase, which Partner
	// Center reads like camelCase.
	doc := pcExample(t, "create-cart-nce.request")
	var docReq struct {
		LineItems []partnercenter.CartLineItem
	}
	require.NoError(t, json.Unmarshal(doc.Body, &docReq))
	require.Len(t, docReq.LineItems, 1)
	require.Equal(t, "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS", docReq.LineItems[0].CatalogItemID)

	tests := []struct {
		example string
		cust    string
		check   func(t *testing.T, cart partnercenter.Cart)
	}{
		{
			example: "create-cart.response", cust: "d6bf25b7-e0a8-4f2d-a31b-97b55cfc774d",
			check: func(t *testing.T, cart partnercenter.Cart) {
				require.Equal(t, "3655b1a0-b1c9-4268-9824-577fdbc4d0be", cart.ID)
				require.Equal(t, utc("2019-01-16T00:45:41.6062996Z"), cart.CreationTimestamp.Time)
				require.Equal(t, utc("2019-01-16T01:00:54.4188497Z"), cart.ExpirationTimestamp.Time)
				require.Equal(t, "1824b7fc-2fac-4478-b177-66823c40ab75", cart.LastModifiedUser)
				require.Equal(t, partnercenter.CartActive, cart.Status)
				require.Len(t, cart.LineItems, 6)
				require.Equal(t, "MS-AZR-0145P", cart.LineItems[0].CatalogItemID)
				require.Equal(t, "OMS-0", cart.LineItems[0].OrderGroup)
				require.Equal(t, "USD", cart.LineItems[0].CurrencyCode)
				require.Equal(t, 10, cart.LineItems[5].Quantity)
				require.Equal(t, "none", cart.LineItems[5].BillingCycle)
			},
		},
		{
			example: "create-cart-nce.response", cust: "932c4101-dc08-461b-b4c1-75d80e905775",
			check: func(t *testing.T, cart partnercenter.Cart) {
				require.Equal(t, "2517c51b-58cd-4abe-87ed-3ab812401ab4", cart.ID)
				require.Equal(t, utc("2023-07-11T21:16:11.55149Z"), cart.CreationTimestamp.Time)
				line := cart.LineItems[0]
				require.Equal(t, "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5", line.CatalogItemID)
				require.Equal(t, "P1Y", line.TermDuration)
				require.Equal(t, "0", line.OrderGroup)
				require.Equal(t, &partnercenter.Pricing{ListPrice: 30.4, DiscountedPrice: 30.4, ProratedPrice: 30.4, Price: 30.4, ExtendedPrice: 364.8}, line.Pricing)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			c, f := setup(t)
			f.on("POST", "/v1/customers/"+tt.cust+"/carts", replyWith(pcExample(t, tt.example), http.StatusCreated))
			cart, err := c.CreateCart(context.Background(), tt.cust, docReq.LineItems, "4fa6dad6-a89f-4875-8247-8294a10ae1cf")
			require.NoError(t, err)
			tt.check(t, cart)

			sent := f.requests()[0].Body
			diffs, err := mscorpus.CompareShape(doc.Body, sent, mscorpus.ShapeOptions{
				IgnoreCase: true,
				// The line index is documented in the CartLineItem resource and
				// in the Azure cart request example (invalid JSON, so not
				// comparable here).
				Allow: []string{"lineItems[].id"},
			})
			require.NoError(t, err)
			require.Empty(t, diffs, "sent %s", sent)
			var body struct {
				LineItems []map[string]any `json:"lineItems"`
			}
			require.NoError(t, json.Unmarshal(sent, &body))
			for _, k := range []string{"catalogItemId", "quantity", "termDuration", "billingCycle"} {
				require.Contains(t, body.LineItems[0], k)
			}
			require.NotContains(t, body.LineItems[0], "pricing", "prices are Partner Center's to set")
		})
	}
}

// TestCorpusCancelSubscription runs the cancellation against Microsoft's
// new-commerce subscription (window only in refundOptions) and each
// documented PATCH answer.
func TestCorpusCancelSubscription(t *testing.T) {
	const (
		cust  = "d8202a51-69f9-4228-b900-d0e081af17d7"
		subID = "a4c1340d-6911-4758-bba3-0c4c6007d161"
		path  = "/v1/customers/" + cust + "/subscriptions/" + subID
	)
	get := pcExample(t, "get-subscription-nce-2021.response")
	inWindow := utc("2021-01-14T20:00:00Z")

	answers := []struct {
		example    string
		wantID     string
		wantStatus string
	}{
		{"cancel-subscription.response", "6e7aa601-629e-461b-8933-0898c3cc3c7c", partnercenter.SubscriptionDeleted},
		{"update-autorenew.response", "6e7aa601-629e-461b-8933-0898c3cc3c7c", partnercenter.SubscriptionActive},
		// Legacy answers in PascalCase.
		{"change-quantity.response", "83ef9d05-4169-4ef9-9657-0e86b1eab1de", partnercenter.SubscriptionActive},
		{"suspend-subscription.response", "83ef9d05-4169-4ef9-9657-0e86b1eab1de", partnercenter.SubscriptionSuspended},
	}
	for _, a := range answers {
		t.Run(a.example, func(t *testing.T) {
			c, f := setup(t, func(cfg *partnercenter.Config) { cfg.Now = func() time.Time { return inWindow } })
			f.on("GET", path, replyWith(get, http.StatusOK))
			f.on("PATCH", path, replyWith(pcExample(t, a.example), http.StatusOK))
			got, err := c.CancelSubscription(context.Background(), cust, subID, "ca7c39f7-1a80-43bc-90d8-ee7d1cad3831")
			require.NoError(t, err)
			require.Equal(t, a.wantID, got.ID)
			require.Equal(t, a.wantStatus, got.Status)

			var patch *recorded
			for _, r := range f.requests() {
				if r.Method == "PATCH" {
					patch = &r
				}
			}
			require.NotNil(t, patch)
			var sent, read map[string]any
			require.NoError(t, json.Unmarshal(patch.Body, &sent))
			require.NoError(t, json.Unmarshal(get.Body, &read))
			require.Equal(t, "deleted", sent["status"])
			require.Equal(t, sortedKeys(read), sortedKeys(sent), "the whole resource goes back, as Microsoft's PATCH examples show")
			diffs, err := mscorpus.CompareShape(get.Body, patch.Body, mscorpus.ShapeOptions{})
			require.NoError(t, err)
			require.Empty(t, diffs)
			for _, doc := range []string{"suspend-subscription.request", "change-quantity.request"} {
				diffs, err := mscorpus.CompareShape(pcExample(t, doc).Body, patch.Body, mscorpus.ShapeOptions{IgnoreCase: true, IgnoreExtra: true})
				require.NoError(t, err)
				require.Empty(t, diffs, "against %s", doc)
			}
		})
	}

	t.Run("refund window over", func(t *testing.T) {
		c, f := setup(t, func(cfg *partnercenter.Config) { cfg.Now = func() time.Time { return utc("2021-01-15T00:00:00Z") } })
		f.on("GET", path, replyWith(get, http.StatusOK))
		_, err := c.CancelSubscription(context.Background(), cust, subID, "req")
		require.ErrorIs(t, err, partnercenter.ErrCancelRefused)
		require.Contains(t, err.Error(), "closed at 2021-01-15T00:00:00Z")
		require.Len(t, f.requests(), 1, "no PATCH outside the window")
	})

	t.Run("change-quantity-nce-decrease.error", func(t *testing.T) {
		ex := pcExample(t, "change-quantity-nce-decrease.error")
		c, f := setup(t, func(cfg *partnercenter.Config) { cfg.Now = func() time.Time { return inWindow } })
		f.on("GET", path, replyWith(get, http.StatusOK))
		// The page gives no status for this body; Partner Center answers
		// business errors with 400.
		f.on("PATCH", path, replyWith(ex, http.StatusBadRequest))
		_, err := c.CancelSubscription(context.Background(), cust, subID, "req")
		e, ok := msrest.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, "800090", e.Code)
		require.Equal(t, "Subscription quantity cannot be decreased.", e.Description)
		require.False(t, e.Retryable)
	})
}

// TestCorpusErrors serves every documented Partner Center error body and
// checks the client reports Microsoft's code through msrest.
func TestCorpusErrors(t *testing.T) {
	const cust = "eebd1b55-5360-4438-a11d-5c06918c3014"
	var n int
	for _, ex := range mscorpus.ByService(mscorpus.PartnerCenter) {
		if ex.Kind != mscorpus.KindError {
			continue
		}
		n++
		t.Run(ex.Name, func(t *testing.T) {
			var body struct {
				Code        json.RawMessage `json:"code"`
				Description string          `json:"description"`
				Message     string          `json:"message"`
			}
			require.NoError(t, json.Unmarshal(ex.Body, &body))
			want := msrest.CodeThrottled
			if len(body.Code) > 0 {
				want = rawCodeString(t, body.Code)
			}
			c, f := setup(t)
			f.on("GET", "/v1/customers/"+cust, replyWith(ex, http.StatusBadRequest))
			_, err := c.Customer(context.Background(), cust)
			e, ok := msrest.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, want, msrest.Code(err))
			require.NotEmpty(t, e.Description)
			switch ex.Status {
			case http.StatusTooManyRequests:
				require.True(t, e.Retryable)
				require.Equal(t, 57*time.Second, e.RetryAfter)
				require.Contains(t, e.Description, "Rate limit is exceeded")
			case http.StatusNotFound:
				require.True(t, msrest.IsNotFound(err))
			default:
				require.False(t, e.Retryable)
			}
		})
	}
	require.GreaterOrEqual(t, n, 4)
}

func rawCodeString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	require.NoError(t, json.Unmarshal(raw, &n))
	_, err := strconv.ParseInt(n.String(), 10, 64)
	require.NoError(t, err, "Partner Center codes are integers")
	return n.String()
}

// TestCorpusCoverage fails when a valid Partner Center example is added to
// the corpus without a test here that feeds it to the client: every request
// and response example must be named in this file (error examples are all
// run by TestCorpusErrors).
func TestCorpusCoverage(t *testing.T) {
	src, err := os.ReadFile("corpus_test.go")
	require.NoError(t, err)
	var missing []string
	for _, ex := range mscorpus.ByService(mscorpus.PartnerCenter) {
		if ex.Kind != mscorpus.KindError && !strings.Contains(string(src), strconv.Quote(ex.Name)) {
			missing = append(missing, ex.Name)
		}
	}
	require.Empty(t, missing, "examples no test feeds to the client")
}

func requireKeys(t *testing.T, body []byte, keys ...string) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	for _, k := range keys {
		require.Contains(t, m, k, fmt.Sprintf("body %s", body))
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
