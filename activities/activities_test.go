package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// fixture wires the real Activities to the real clients and a sandbox, as the worker does.
type fixture struct {
	t     *testing.T
	url   string
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
	calls *callLog
}

// callLog records the Partner Center and Graph paths the clients called, and through which partner
// tenant's clients.
type callLog struct {
	mu        sync.Mutex
	paths     []string
	byPartner map[string]int
}

func (l *callLog) observer(partner string) func(msrest.Call) {
	return func(c msrest.Call) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.paths = append(l.paths, c.Path)
		if l.byPartner == nil {
			l.byPartner = map[string]int{}
		}
		l.byPartner[partner]++
	}
}

func (l *callLog) through(partner string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byPartner[partner]
}

func (l *callLog) count(path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.paths {
		if p == path {
			n++
		}
	}
	return n
}

func newFixture(t *testing.T, partners ...string) *fixture {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Options{PublicURL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	srv.Config.Handler = sb.Handler()

	hc := &http.Client{Timeout: 5 * time.Second}
	ids, err := identity.New(identity.Config{Authority: srv.URL + "/login", ClientID: sandbox.ClientID,
		ClientSecret: sandbox.ClientSecret, RefreshToken: sandbox.RefreshToken, HTTPClient: hc})
	require.NoError(t, err)
	acts := &activities.Activities{}
	calls := &callLog{}
	for _, p := range partners {
		pc, err := partnercenter.New(partnercenter.Config{BaseURL: srv.URL, HTTPClient: hc, Observe: calls.observer(p),
			AppTokens: ids.AppOnly(p, identity.ScopePartnerCenterApp), UserTokens: ids.AppUser(p, identity.ScopePartnerCenterUser)})
		require.NoError(t, err)
		gr, err := graph.New(graph.Config{BaseURL: srv.URL + "/graph/v1.0", HTTPClient: hc, Tokens: ids.GraphTokens, PartnerTenantID: p, Observe: calls.observer(p)})
		require.NoError(t, err)
		acts.Partners = append(acts.Partners, activities.Partner{TenantID: p, PartnerCenter: pc, Graph: gr})
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &fixture{t: t, url: srv.URL, acts: acts, env: env, calls: calls}
}

func (f *fixture) admin(path string, body any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(f.url+path, "application/json", bytes.NewReader(b))
	require.NoError(f.t, err)
	resp.Body.Close()
	require.Less(f.t, resp.StatusCode, 300, path)
}

func errType(t *testing.T, err error) string {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	return appErr.Type()
}

// sameSkuLines reads the catalog for one original SKU and returns a cart line buying the same offer.
func (f *fixture) sameSkuLines(customer, country, partNumber string, quantity int) []activities.CartLine {
	f.t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer,
		Country: country, Skus: []activities.SourceSku{{SkuPartNumber: partNumber}}})
	require.NoError(f.t, err)
	var cat activities.CatalogResult
	require.NoError(f.t, v.Get(&cat))
	require.NotNil(f.t, cat.Facts[0].SameSku)
	require.True(f.t, cat.Facts[0].SameSku.Purchasable)
	return []activities.CartLine{{CatalogItemID: cat.Facts[0].SameSku.CatalogItemID, Quantity: quantity}}
}

func (f *fixture) createCart(customer string, lines []activities.CartLine, requestID string) string {
	f.t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.CreateCart, activities.CreateCartInput{PartnerTenantID: sandbox.PartnerEU,
		CustomerTenantID: customer, Lines: lines, RequestID: requestID})
	require.NoError(f.t, err)
	var cart activities.CreateCartResult
	require.NoError(f.t, v.Get(&cart))
	return cart.CartID
}

func (f *fixture) checkout(customer, cartID string, lines []activities.CartLine, requestID string) (activities.CheckoutResult, error) {
	var out activities.CheckoutResult
	v, err := f.env.ExecuteActivity(f.acts.Checkout, activities.CheckoutInput{PartnerTenantID: sandbox.PartnerEU,
		CustomerTenantID: customer, CartID: cartID, Lines: lines, RequestID: requestID})
	if err != nil {
		return out, err
	}
	return out, v.Get(&out)
}

// ledger returns the sandbox ledger's entry for a customer.
func (f *fixture) ledger(customer string) sandbox.CustomerLedger {
	f.t.Helper()
	var ledger sandbox.Ledger
	resp, err := http.Get(f.url + "/sandbox/ledger")
	require.NoError(f.t, err)
	defer resp.Body.Close()
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&ledger))
	for _, c := range ledger.Customers {
		if c.TenantID == customer {
			return c
		}
	}
	f.t.Fatalf("customer %s is not in the ledger", customer)
	return sandbox.CustomerLedger{}
}

func TestSelectPartnerPicksTheTenantInTheCustomersMarket(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU, sandbox.PartnerJP)
	tests := []struct {
		name, country, want, wantErr string
	}{
		{name: "France", country: "FR", want: sandbox.PartnerEU},
		{name: "Japan", country: "jp", want: sandbox.PartnerJP},
		{name: "BrazilHasNoPartner", country: "BR", wantErr: activities.ErrTypeRegionMismatch},
		{name: "UnknownCountry", country: "XX", wantErr: activities.ErrTypeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := f.env.ExecuteActivity(f.acts.SelectPartner, activities.SelectPartnerInput{CustomerTenantID: sandbox.CustomerJapan, Country: tt.country})
			if tt.wantErr != "" {
				require.Equal(t, tt.wantErr, errType(t, err))
				return
			}
			require.NoError(t, err)
			var res activities.SelectPartnerResult
			require.NoError(t, v.Get(&res))
			require.Equal(t, tt.want, res.PartnerTenantID)
		})
	}
}

func TestSelectPartnerNamesBothSidesOnMismatch(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	_, err := f.env.ExecuteActivity(f.acts.SelectPartner, activities.SelectPartnerInput{CustomerTenantID: sandbox.CustomerJapan, Country: "JP"})
	require.ErrorContains(t, err, "JP")
	require.ErrorContains(t, err, "Japan")
	require.ErrorContains(t, err, sandbox.PartnerEU+" (DE, Europe)")
}

func TestSelectPartnerWithoutCountryNeedsAKnownCustomer(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	_, err := f.env.ExecuteActivity(f.acts.SelectPartner, activities.SelectPartnerInput{CustomerTenantID: sandbox.CustomerDiscontinued})
	require.Equal(t, activities.ErrTypeCountryUnknown, errType(t, err))

	f.admin("/sandbox/customers/"+sandbox.CustomerDiscontinued+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	v, err := f.env.ExecuteActivity(f.acts.SelectPartner, activities.SelectPartnerInput{CustomerTenantID: sandbox.CustomerDiscontinued})
	require.NoError(t, err)
	var res activities.SelectPartnerResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, "FR", res.CustomerCountry)
}

// TestCheckoutAfterALostAnswerFindsTheOrder: the cart was checked out, but the answer never reached the
// workflow (a crash, a timeout). The retried activity must find the order, not buy again.
func TestCheckoutAfterALostAnswerFindsTheOrder(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	customer := sandbox.CustomerDiscontinued
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})

	lines := f.sameSkuLines(customer, "FR", "STANDARDPACK", 8)
	cart := f.createCart(customer, lines, "6a1d0b5e-1111-4222-8333-944455556666")

	first, err := f.checkout(customer, cart, lines, "7b2e1c6f-1111-4222-8333-944455556666")
	require.NoError(t, err)
	require.NotEmpty(t, first.Lines[0].OrderID)
	second, err := f.checkout(customer, cart, lines, "7b2e1c6f-1111-4222-8333-944455556666") // the retry
	require.NoError(t, err)
	require.Equal(t, first.Lines[0].OrderID, second.Lines[0].OrderID)

	c := f.ledger(customer)
	require.Equal(t, 1, c.Orders)
	require.Zero(t, c.DuplicatePurchases)
}

func TestPurchaseWithoutAgreementIsNonRetryable(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	customer := sandbox.CustomerSameOffer // MCA not accepted in the seed
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})

	v, err := f.env.ExecuteActivity(f.acts.EnsureAgreement, activities.EnsureAgreementInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer})
	require.NoError(t, err)
	var ag activities.EnsureAgreementResult
	require.NoError(t, v.Get(&ag))
	require.False(t, ag.Accepted)

	lines := f.sameSkuLines(customer, "DE", "ENTERPRISEPACK", 20)
	cart := f.createCart(customer, lines, "8c3f2d7a-1111-4222-8333-944455556666")
	_, err = f.checkout(customer, cart, lines, "9d4a3e8b-1111-4222-8333-944455556666")
	require.Equal(t, activities.ErrTypeAgreementMissing, errType(t, err))

	// With the partner's attestation the agreement is recorded.
	v, err = f.env.ExecuteActivity(f.acts.EnsureAgreement, activities.EnsureAgreementInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer,
		Attestation: &csptransfer.Attestation{FirstName: "Ada", LastName: "Admin", Email: "ada@alpineskihouse.example", DateAgreed: time.Now().UTC()}})
	require.NoError(t, err)
	require.NoError(t, v.Get(&ag))
	require.True(t, ag.Accepted)
	require.Equal(t, "attested", ag.How)
}

func TestDiscoverMoveAndCheckOriginals(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	clock := f.withClock()
	customer := sandbox.CustomerDiscontinued
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})

	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	require.Len(t, disc.Originals, 2)
	var e4 csptransfer.OriginalSubscription
	for _, o := range disc.Originals {
		if o.SkuPartNumber == "ENTERPRISEWITHSCAL" {
			e4 = o
		}
	}
	require.Equal(t, 12, e4.Quantity)

	v, err = f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer,
		Country: "FR", Skus: []activities.SourceSku{{SkuID: e4.SkuID, SkuPartNumber: e4.SkuPartNumber}}})
	require.NoError(t, err)
	var cat activities.CatalogResult
	require.NoError(t, v.Get(&cat))
	facts := cat.Facts[0]
	require.NotEmpty(t, facts.SourceServicePlans)
	require.NotNil(t, facts.SameSku)
	require.False(t, facts.SameSku.Purchasable, "Office 365 E4 is retired")
	require.Len(t, facts.Successors, 1)
	succ := facts.Successors[0]
	require.True(t, succ.Purchasable)

	// Moving users before the new seats exist is refused by Graph and nobody loses a license.
	_, err = f.env.ExecuteActivity(f.acts.MoveLicenses, activities.MoveLicensesInput{CustomerTenantID: customer, FromSkuID: e4.SkuID, ToSkuID: succ.SkuID})
	require.Error(t, err)

	lines := []activities.CartLine{{CatalogItemID: succ.CatalogItemID, Quantity: e4.Quantity}}
	cart := f.createCart(customer, lines, "a1b2c3d4-1111-4222-8333-944455556666")
	out, err := f.checkout(customer, cart, lines, "b1b2c3d4-1111-4222-8333-944455556666")
	require.NoError(t, err)
	v, err = f.env.ExecuteActivity(f.acts.AwaitProvisioning, activities.AwaitProvisioningInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer, OrderIDs: []string{out.Lines[0].OrderID}})
	require.NoError(t, err)
	var prov activities.AwaitProvisioningResult
	require.NoError(t, v.Get(&prov))
	require.Equal(t, succ.SkuID, prov.Subscriptions[0].SkuID)

	v, err = f.env.ExecuteActivity(f.acts.MoveLicenses, activities.MoveLicensesInput{CustomerTenantID: customer, FromSkuID: e4.SkuID, ToSkuID: succ.SkuID})
	require.NoError(t, err)
	var moved activities.MoveLicensesResult
	require.NoError(t, v.Get(&moved))
	require.Equal(t, 4, moved.UsersMoved, "four users hold E4 directly")
	require.Equal(t, 5, moved.MembersMoved, "five more through the licensing group")
	require.Equal(t, 1, moved.GroupsMoved)
	require.Zero(t, moved.Remaining)

	// A second run finds nothing left to move: safe to retry.
	v, err = f.env.ExecuteActivity(f.acts.MoveLicenses, activities.MoveLicensesInput{CustomerTenantID: customer, FromSkuID: e4.SkuID, ToSkuID: succ.SkuID})
	require.NoError(t, err)
	require.NoError(t, v.Get(&moved))
	require.Zero(t, moved.UsersMoved)

	// Before its end date the original is active; after the sandbox clock passes it, expired.
	v, err = f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{CustomerTenantID: customer, SubscriptionIDs: []string{e4.SubscriptionID}, SkuID: e4.SkuID, ExpiresAt: e4.ExpiresAt})
	require.NoError(t, err)
	var orig activities.CheckOriginalResult
	require.NoError(t, v.Get(&orig))
	require.Equal(t, activities.OriginalActive, orig.State)

	f.admin("/sandbox/clock", map[string]string{"advance": "31d"})
	clock.advance(31 * 24 * time.Hour) // the worker's clock too: a check 31 days later reads afresh
	v, err = f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{CustomerTenantID: customer, SubscriptionIDs: []string{e4.SubscriptionID}, SkuID: e4.SkuID, ExpiresAt: e4.ExpiresAt})
	require.NoError(t, err)
	require.NoError(t, v.Get(&orig))
	require.Equal(t, activities.OriginalExpired, orig.State)
}

func TestCheckOriginalReportsARenewal(t *testing.T) {
	f := newFixture(t, sandbox.PartnerUS)
	customer := sandbox.CustomerAutoRenew
	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	var e3 csptransfer.OriginalSubscription
	for _, o := range disc.Originals {
		if o.SkuPartNumber == "SPE_E3" {
			e3 = o
		}
	}
	f.admin("/sandbox/clock", map[string]string{"advance": "21d"})
	v, err = f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{CustomerTenantID: customer, SubscriptionIDs: []string{e3.SubscriptionID}, SkuID: e3.SkuID, ExpiresAt: e3.ExpiresAt})
	require.NoError(t, err)
	var orig activities.CheckOriginalResult
	require.NoError(t, v.Get(&orig))
	require.Equal(t, activities.OriginalRenewed, orig.State)
	require.NotNil(t, orig.NextLifecycleAt)
	require.True(t, orig.NextLifecycleAt.After(e3.ExpiresAt.Add(300*24*time.Hour)))
}

func TestCancelRefundsOnlyNewSubscriptionsInTheirWindow(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	customer := sandbox.CustomerDiscontinued
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	lines := f.sameSkuLines(customer, "FR", "STANDARDPACK", 8)
	cart := f.createCart(customer, lines, "c1b2c3d4-1111-4222-8333-944455556666")
	out, err := f.checkout(customer, cart, lines, "d1b2c3d4-1111-4222-8333-944455556666")
	require.NoError(t, err)
	sub := out.Lines[0].SubscriptionID
	require.NotEmpty(t, sub)

	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	original := disc.Originals[0].SubscriptionID

	// The new subscription is refunded; an original is not this partner's to cancel and is never touched.
	_, err = f.env.ExecuteActivity(f.acts.CancelSubscriptions, activities.CancelInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer, SubscriptionIDs: []string{original}})
	require.Equal(t, activities.ErrTypeNotFound, errType(t, err))
	v, err = f.env.ExecuteActivity(f.acts.CancelSubscriptions, activities.CancelInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer, SubscriptionIDs: []string{sub}})
	require.NoError(t, err)
	var res activities.CancelResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, []string{sub}, res.Cancelled)

	c := f.ledger(customer)
	require.Equal(t, 1, c.CSPCancellations)
	require.Zero(t, c.OriginalsCancelled)
}

// TestCatalogIsReadOncePerCountry: a bulk onboarding does not walk the catalog once per transfer.
func TestCatalogIsReadOncePerCountry(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	in := activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: sandbox.CustomerDiscontinued,
		Country: "FR", Skus: []activities.SourceSku{{SkuPartNumber: "STANDARDPACK"}}}
	for i := 0; i < 3; i++ {
		_, err := f.env.ExecuteActivity(f.acts.Catalog, in)
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.calls.count("/v1/products"), "one products listing for three transfers")
	in.Country = "DE"
	_, err := f.env.ExecuteActivity(f.acts.Catalog, in)
	require.NoError(t, err)
	require.Equal(t, 2, f.calls.count("/v1/products"), "another country is read on its own")
}

// TestGraphCallsGoThroughTheTransfersPartnerTenant: with one partner tenant per region, moving licenses and
// checking originals use the transfer's partner tenant (its GDAP access and its call budget), not the
// first one configured.
func TestGraphCallsGoThroughTheTransfersPartnerTenant(t *testing.T) {
	f := newFixture(t, sandbox.PartnerUS, sandbox.PartnerEU)
	customer := sandbox.CustomerDiscontinued
	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	o := disc.Originals[0]
	before := f.calls.through(sandbox.PartnerUS)

	_, err = f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{PartnerTenantID: sandbox.PartnerEU,
		CustomerTenantID: customer, SubscriptionIDs: []string{o.SubscriptionID}, SkuID: o.SkuID, ExpiresAt: o.ExpiresAt})
	require.NoError(t, err)
	_, err = f.env.ExecuteActivity(f.acts.MoveLicenses, activities.MoveLicensesInput{PartnerTenantID: sandbox.PartnerEU,
		CustomerTenantID: customer, FromSkuID: o.SkuID, ToSkuID: o.SkuID})
	require.Error(t, err, "nothing to move to: the new seats were never bought")
	require.Equal(t, before, f.calls.through(sandbox.PartnerUS), "no call went through the US partner tenant")
	require.Greater(t, f.calls.through(sandbox.PartnerEU), 0)

	_, err = f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{PartnerTenantID: "00000000-0000-4000-8000-0000000000ff",
		CustomerTenantID: customer, SkuID: o.SkuID, ExpiresAt: o.ExpiresAt})
	require.Equal(t, activities.ErrTypeInvalidInput, errType(t, err), "an unknown partner tenant is refused")
}

// TestDiscoverTakesAnOriginalPastItsEndAsExpired: an original in its grace period (Graph Warning) is past
// its end. Discovery says so and dates it now, the same rule CheckOriginal applies, instead of taking
// Graph's nextLifecycleDateTime (the end of the grace period) as a date to wait for.
func TestDiscoverTakesAnOriginalPastItsEndAsExpired(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	customer := sandbox.CustomerDiscontinued
	f.admin("/sandbox/clock", map[string]string{"advance": "31d"})
	before := time.Now().Add(-time.Second)
	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	require.NotEmpty(t, disc.Originals)
	for _, o := range disc.Originals {
		require.True(t, o.PastEnd, o.SkuPartNumber)
		require.False(t, o.ExpiresAt.Before(before.Truncate(time.Second)), "dated when found, not at the end of the grace period")
		require.False(t, o.ExpiresAt.After(time.Now()))

		v, err := f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{PartnerTenantID: sandbox.PartnerEU,
			CustomerTenantID: customer, SubscriptionIDs: []string{o.SubscriptionID}, SkuID: o.SkuID, ExpiresAt: o.ExpiresAt})
		require.NoError(t, err)
		var orig activities.CheckOriginalResult
		require.NoError(t, v.Get(&orig))
		require.Equal(t, activities.OriginalExpired, orig.State, "one rule for discovery and the expiry check")
	}
}

// TestAdminAccessIsRequestedOnceWhenTheAnswerIsLost: Graph creates the GDAP relationship but the answer
// is lost (a gateway timeout). Graph replays nothing by MS-RequestId: the client's retry of the POST is
// refused with 409 for the taken name, and the activity finds the relationship by its name instead of
// failing or creating a second one. A later retry of the whole activity (a crash) finds it too, and
// locking it is safe to repeat.
func TestAdminAccessIsRequestedOnceWhenTheAnswerIsLost(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	admin := sandbox.AdminClient{BaseURL: f.url}
	require.NoError(t, admin.PutFaults(context.Background(), sandbox.FaultRules{Rules: []sandbox.FaultRule{{
		Kind: sandbox.FaultLostAnswer, Match: "POST /graph/v1.0/tenantRelationships/delegatedAdminRelationships", Count: 1}}}))
	in := activities.RequestAdminAccessInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: sandbox.CustomerDiscontinued,
		DisplayName: "csp-" + sandbox.CustomerDiscontinued + "-0a1b2c3d", RequestID: "5f0c3d8e-1111-4222-8333-944455556666"}

	v, err := f.env.ExecuteActivity(f.acts.RequestAdminAccess, in)
	require.NoError(t, err)
	var rel activities.RequestAdminAccessResult
	require.NoError(t, v.Get(&rel))
	require.True(t, rel.Existing, "found after the 409, not created again")
	require.NotEmpty(t, rel.RelationshipID)

	v, err = f.env.ExecuteActivity(f.acts.RequestAdminAccess, in)
	require.NoError(t, err)
	var again activities.RequestAdminAccessResult
	require.NoError(t, v.Get(&again))
	require.Equal(t, rel.RelationshipID, again.RelationshipID)

	for range 2 {
		v, err = f.env.ExecuteActivity(f.acts.LockAdminAccess, activities.LockAdminAccessInput{PartnerTenantID: sandbox.PartnerEU,
			RelationshipID: rel.RelationshipID, RequestID: in.RequestID})
		require.NoError(t, err)
		var lock activities.LockAdminAccessResult
		require.NoError(t, v.Get(&lock))
		require.Equal(t, "approvalPending", lock.Status)
		require.Contains(t, lock.ApprovalURL, rel.RelationshipID)
	}
	require.Equal(t, 1, f.ledger(sandbox.CustomerDiscontinued).GDAPRelationships, "one relationship for the customer")
}

// TestMoveLicensesStopsBeforeSwitchingOffPlansInUse: moving Office 365 E4 holders to Office 365 E1 (which
// lacks Exchange and SharePoint Plan 2, the Office apps and Skype) would switch off plans they use, so
// nobody is moved and the risk names the plans and counts the holders, by directory id only.
func TestMoveLicensesStopsBeforeSwitchingOffPlansInUse(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	customer := sandbox.CustomerDiscontinued
	const e4, e1 = "1392051d-0cb9-4b7a-88d5-621fee5e8711", "18181a46-0d4e-45cd-891e-60aabd171b4e"
	_, err := f.env.ExecuteActivity(f.acts.MoveLicenses, activities.MoveLicensesInput{CustomerTenantID: customer, FromSkuID: e4, ToSkuID: e1})
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	require.Equal(t, activities.ErrTypeDataLossRisk, appErr.Type())
	require.True(t, appErr.NonRetryable())
	var risk activities.DataLossRisk
	require.NoError(t, appErr.Details(&risk))
	require.NotEmpty(t, risk.Plans)
	require.NotContains(t, risk.Plans, "TEAMS1", "E1 has Teams")
	require.Equal(t, 4, risk.Users, "the four direct holders")
	require.Equal(t, 1, risk.Groups, "the licensing group")
	require.Len(t, risk.HolderIDs, 5)
	require.NotContains(t, appErr.Error(), "@", "no user principal names in the message")
	require.Contains(t, appErr.Error(), "would switch off service plans they use")
	require.Empty(t, f.ledger(customer).UsersWithoutLicense, "nobody was moved")
}

// TestCreateCartQuotesEachLine: the cart is the quote: each line comes back with Partner Center's price in
// the customer's currency and the term's refund window.
func TestCreateCartQuotesEachLine(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	customer := sandbox.CustomerDiscontinued
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	lines := f.sameSkuLines(customer, "FR", "STANDARDPACK", 8)
	lines[0].Line = 3
	v, err := f.env.ExecuteActivity(f.acts.CreateCart, activities.CreateCartInput{PartnerTenantID: sandbox.PartnerEU,
		CustomerTenantID: customer, Lines: lines, RequestID: "6a1d0b5e-2222-4222-8333-944455556666"})
	require.NoError(t, err)
	var cart activities.CreateCartResult
	require.NoError(t, v.Get(&cart))
	require.Len(t, cart.Prices, 1)
	p := cart.Prices[0]
	require.Equal(t, 3, p.Line, "prices come back by plan line")
	require.Equal(t, "EUR", p.Price.Currency, "a French customer is billed in euros")
	require.Equal(t, 8, p.Price.Quantity)
	require.Equal(t, "P1Y", p.Price.TermDuration)
	require.Equal(t, "monthly", p.Price.BillingCycle)
	require.Equal(t, "P7D", p.Price.RefundWindow)
	require.Positive(t, p.Price.UnitPrice)
	require.InDelta(t, p.Price.UnitPrice*8*12, p.Price.TermPrice, 0.01, "extendedPrice: every seat for the whole term")
	require.Equal(t, cart.CartID, p.Price.CartID)
	require.False(t, cart.CreatedAt.IsZero())
	require.True(t, cart.ExpiresAt.After(cart.CreatedAt))
	require.Zero(t, f.ledger(customer).Orders, "a cart never checked out buys nothing")
}
