package partnercenter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// TestAgainstSandbox runs the client unchanged against the sandbox emulator:
// same paths, JSON and headers as Microsoft, only the base URLs and the
// documented sandbox credentials differ.
func TestAgainstSandbox(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Options{PublicURL: srv.URL, HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	srv.Config.Handler = sb.Handler()

	ids, err := identity.New(identity.Config{
		Authority: srv.URL + "/login", ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret,
		RefreshToken: sandbox.RefreshToken, HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	require.NoError(t, err)
	pc, err := partnercenter.New(partnercenter.Config{
		BaseURL:    srv.URL,
		AppTokens:  ids.AppOnly(sandbox.PartnerEU, identity.ScopePartnerCenterApp),
		UserTokens: ids.AppUser(sandbox.PartnerEU, identity.ScopePartnerCenterUser),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	require.NoError(t, err)
	ctx := context.Background()
	customer := sandbox.CustomerDiscontinued

	profile, err := pc.LegalBusinessProfile(ctx)
	require.NoError(t, err)
	require.Equal(t, "DE", profile.Address.Country)

	link, err := pc.RelationshipRequestLink(ctx)
	require.NoError(t, err)
	require.Contains(t, link, "partnerId="+sandbox.PartnerEU)

	_, err = pc.Customer(ctx, customer)
	require.True(t, msrest.IsNotFound(err), "before acceptance: %v", err)

	require.NoError(t, sandbox.AdminClient{BaseURL: srv.URL}.Accept(ctx, customer, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))

	cu, err := pc.Customer(ctx, customer)
	require.NoError(t, err)
	require.True(t, cu.IsReseller())
	require.Equal(t, "FR", cu.Country())
	found, err := pc.CustomersByDomain(ctx, cu.CompanyProfile.Domain)
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, customer, strings.ToLower(found[0].ID))

	signed, err := pc.DirectSignStatus(ctx, customer)
	require.NoError(t, err)
	require.True(t, signed)
	_, err = pc.CustomerAgreements(ctx, customer)
	require.NoError(t, err)
	templates, err := pc.AgreementMetadata(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, templates)

	// Office 365 E3's Graph skuId maps to a purchasable catalog SKU.
	sku, err := pc.FindSku(ctx, customer, "6fd2c87f-b296-42f0-b197-1e91e994b900")
	require.NoError(t, err)
	avail, err := pc.Availabilities(ctx, customer, sku.ProductID, sku.ID)
	require.NoError(t, err)
	require.NotEmpty(t, avail)
	require.True(t, avail[0].IsPurchasable)
	term := avail[0].Terms[0]

	cart, err := pc.CreateCart(ctx, customer, []partnercenter.CartLineItem{{
		CatalogItemID: avail[0].CatalogItemID, Quantity: 12, BillingCycle: term.BillingCycle, TermDuration: term.Duration,
	}}, "7d3f3c0e-0000-4000-8000-0000000000a1")
	require.NoError(t, err)
	res, err := pc.CheckoutCart(ctx, customer, cart.ID, "7d3f3c0e-0000-4000-8000-0000000000a2")
	require.NoError(t, err)
	require.Len(t, res.Orders, 1)

	// A retry under the same MS-RequestId gets the original answer; a new
	// checkout of the ordered cart is refused.
	again, err := pc.CheckoutCart(ctx, customer, cart.ID, "7d3f3c0e-0000-4000-8000-0000000000a2")
	require.NoError(t, err)
	require.Equal(t, res.Orders[0].ID, again.Orders[0].ID)
	_, err = pc.CheckoutCart(ctx, customer, cart.ID, "7d3f3c0e-0000-4000-8000-0000000000a3")
	require.Equal(t, "800065", msrest.Code(err), "%v", err)
	ordered, err := pc.Cart(ctx, customer, cart.ID)
	require.NoError(t, err)
	require.Equal(t, partnercenter.CartOrdered, ordered.Status)

	order, err := pc.Order(ctx, customer, res.Orders[0].ID)
	require.NoError(t, err)
	subs, err := pc.SubscriptionsByOrder(ctx, customer, order.ID)
	require.NoError(t, err)
	require.Len(t, subs, 1)
	require.Equal(t, 12, subs[0].Quantity)
	_, err = pc.ProvisioningStatus(ctx, customer, subs[0].ID)
	require.NoError(t, err)
	all, err := pc.Subscriptions(ctx, customer)
	require.NoError(t, err)
	require.NotEmpty(t, all)
	_, err = pc.Orders(ctx, customer)
	require.NoError(t, err)

	cancelled, err := pc.CancelSubscription(ctx, customer, subs[0].ID, "7d3f3c0e-0000-4000-8000-0000000000a4")
	require.NoError(t, err)
	require.Equal(t, partnercenter.SubscriptionDeleted, cancelled.Status)

	skus, err := pc.SubscribedSkus(ctx, customer)
	require.NoError(t, err)
	require.NotEmpty(t, skus)

	// App+User-only endpoints refuse an app-only token.
	appOnly, err := partnercenter.New(partnercenter.Config{BaseURL: srv.URL, AppTokens: ids.AppOnly(sandbox.PartnerEU, identity.ScopePartnerCenterApp)})
	require.NoError(t, err)
	_, err = appOnly.RelationshipRequestLink(ctx)
	require.Equal(t, http.StatusUnauthorized, msrest.StatusCode(err), "%v", err)
}
