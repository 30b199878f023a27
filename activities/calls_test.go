package activities_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// Every call spends the partner tenant's throttle budget, so the calls a transfer makes are its
// throughput. These tests count them, through the clients' observers, against the sandbox.

// testClock is the worker's clock, moved by hand alongside the sandbox's.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// newEnv is another activity environment for the fixture's Activities: the SDK's is not safe for
// concurrent use, the Activities are.
func (f *fixture) newEnv() *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(f.acts)
	return env
}

// withClock gives the fixture's Activities a clock the test moves.
func (f *fixture) withClock() *testClock {
	c := &testClock{}
	f.acts.Now = c.now
	return c
}

func (f *fixture) put(path string, body any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPut, f.url+path, bytes.NewReader(b))
	require.NoError(f.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	resp.Body.Close()
	require.Less(f.t, resp.StatusCode, 300, path)
}

const (
	pathLink             = "/v1/customers/relationshiprequests"
	pathCart             = "/v1/customers/{id}/carts/{id}"
	pathCheckout         = "/v1/customers/{id}/carts/{id}/checkout"
	pathCustomerAvails   = "/v1/customers/{id}/products/{id}/skus/{id}/availabilities"
	pathCountryAvails    = "/v1/products/{id}/skus/{id}/availabilities"
	pathProvisioning     = "/v1/customers/{id}/subscriptions/{id}/provisioningstatus"
	pathSubscribedSkus   = "/subscribedSkus"
	pathDirectory        = "/directory/subscriptions"
	pathGroup            = "/groups/{id}"
	pathLegalBusiness    = "/v1/profiles/legalbusiness"
	standardCustomer     = sandbox.CustomerDiscontinued // what the load test creates: a retired E4 (moved to E3) and E1
	standardCountry      = "FR"
	standardE4PartNumber = "ENTERPRISEWITHSCAL"
)

// TestInvitationLinkIsReadOncePerPartner: the link is the partner's, not the customer's; a bulk onboarding
// reads it once an hour, however many transfers start.
func TestInvitationLinkIsReadOncePerPartner(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	clock := f.withClock()
	var first string
	for i := 0; i < 5; i++ {
		v, err := f.env.ExecuteActivity(f.acts.InvitationLink, activities.InvitationLinkInput{PartnerTenantID: sandbox.PartnerEU})
		require.NoError(t, err)
		var link activities.InvitationLinkResult
		require.NoError(t, v.Get(&link))
		require.NotEmpty(t, link.URL)
		if first == "" {
			first = link.URL
		}
		require.Equal(t, first, link.URL)
	}
	require.Equal(t, 1, f.calls.count(pathLink), "one read for five transfers")

	clock.advance(61 * time.Minute)
	_, err := f.env.ExecuteActivity(f.acts.InvitationLink, activities.InvitationLinkInput{PartnerTenantID: sandbox.PartnerEU})
	require.NoError(t, err)
	require.Equal(t, 2, f.calls.count(pathLink), "read again after an hour")
}

// TestSelectPartnerReadsTheProfileOnceForConcurrentTransfers: transfers starting together share one read
// of the partner's legal business profile.
func TestSelectPartnerReadsTheProfileOnceForConcurrentTransfers(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.newEnv().ExecuteActivity(f.acts.SelectPartner, activities.SelectPartnerInput{CustomerTenantID: standardCustomer, Country: standardCountry})
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Equal(t, 1, f.calls.count(pathLegalBusiness))
}

// TestCatalogAfterDiscoverReadsNoSubscribedSkus: Discover's directory read names the SKUs and their
// service plans; Catalog, right after, uses them instead of reading subscribedSkus, and plans the same.
func TestCatalogAfterDiscoverReadsNoSubscribedSkus(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	in := activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer, Country: standardCountry,
		Skus: []activities.SourceSku{{SkuPartNumber: standardE4PartNumber}, {SkuPartNumber: "STANDARDPACK"}}}
	catalog := func() activities.CatalogResult {
		t.Helper()
		v, err := f.env.ExecuteActivity(f.acts.Catalog, in)
		require.NoError(t, err)
		var res activities.CatalogResult
		require.NoError(t, v.Get(&res))
		for i := range res.Facts {
			sort.Strings(res.Facts[i].SourceServicePlans)
		}
		return res
	}
	alone := catalog()
	require.Equal(t, 1, f.calls.count(pathSubscribedSkus), "without Discover, Catalog reads the tenant's SKUs")
	require.NotEmpty(t, alone.Facts[0].SourceServicePlans)

	_, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer})
	require.NoError(t, err)
	afterDiscover := catalog()
	require.Equal(t, 1, f.calls.count(pathSubscribedSkus), "after Discover it does not")
	require.Equal(t, 1, f.calls.count(pathDirectory))
	require.Equal(t, alone, afterDiscover, "the same facts either way")
}

// TestCatalogReadsEachAvailabilityOnceForConcurrentTransfers: transfers planning at the same time share
// the country catalog's availability reads.
func TestCatalogReadsEachAvailabilityOnceForConcurrentTransfers(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	in := activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer, Country: standardCountry,
		Skus: []activities.SourceSku{{SkuPartNumber: standardE4PartNumber}, {SkuPartNumber: "STANDARDPACK"}}}
	run := func() {
		_, err := f.newEnv().ExecuteActivity(f.acts.Catalog, in)
		require.NoError(t, err)
	}
	run()
	once := f.calls.count(pathCountryAvails)
	require.Positive(t, once)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	require.Equal(t, once, f.calls.count(pathCountryAvails), "nine plannings, one read per item")
}

// TestCreateCartUsesTheCatalogsAvailabilities: a cart made right after Catalog read the country's catalog
// takes its purchasable availabilities, priced the same; once they are older than a quarter of an hour
// the customer's own are read again.
func TestCreateCartUsesTheCatalogsAvailabilities(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	clock := f.withClock()
	f.admin("/sandbox/customers/"+standardCustomer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	lines := f.sameSkuLines(standardCustomer, standardCountry, "STANDARDPACK", 8)
	create := func(requestID string) activities.CreateCartResult {
		t.Helper()
		v, err := f.env.ExecuteActivity(f.acts.CreateCart, activities.CreateCartInput{PartnerTenantID: sandbox.PartnerEU,
			CustomerTenantID: standardCustomer, Lines: lines, RequestID: requestID})
		require.NoError(t, err)
		var cart activities.CreateCartResult
		require.NoError(t, v.Get(&cart))
		return cart
	}
	cached := create("6a1d0b5e-3333-4222-8333-944455556666")
	require.Zero(t, f.calls.count(pathCustomerAvails), "the catalog read moments ago answers")
	require.Len(t, cached.Prices, 1)

	clock.advance(16 * time.Minute)
	fresh := create("6a1d0b5e-4444-4222-8333-944455556666")
	require.Equal(t, 1, f.calls.count(pathCustomerAvails), "too old: the customer's availabilities are read")
	require.Len(t, fresh.Prices, 1)
	cached.Prices[0].Price.QuotedAt, fresh.Prices[0].Price.QuotedAt = time.Time{}, time.Time{}
	cached.Prices[0].Price.CartID, fresh.Prices[0].Price.CartID = "", ""
	require.Equal(t, fresh.Prices, cached.Prices, "the same availability and term either way")
}

// TestCreateCartWithoutTheCountrysCatalogReadsTheCustomers: a worker that never read the catalog for the
// customer (another worker planned) reads the customer's availabilities, one per line.
func TestCreateCartWithoutTheCountrysCatalogReadsTheCustomers(t *testing.T) {
	planner := newFixture(t, sandbox.PartnerEU)
	lines := planner.sameSkuLines(standardCustomer, standardCountry, "STANDARDPACK", 8)

	f := newFixture(t, sandbox.PartnerEU)
	f.admin("/sandbox/customers/"+standardCustomer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	f.createCart(standardCustomer, lines, "6a1d0b5e-5555-4222-8333-944455556666")
	require.Equal(t, 1, f.calls.count(pathCustomerAvails))
}

// TestCheckoutFirstAttemptDoesNotReadTheCart: a first checkout goes straight to Partner Center; the
// answer alone maps every line to its order.
func TestCheckoutFirstAttemptDoesNotReadTheCart(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	f.admin("/sandbox/customers/"+standardCustomer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	lines := f.sameSkuLines(standardCustomer, standardCountry, "STANDARDPACK", 8)
	cart := f.createCart(standardCustomer, lines, "6a1d0b5e-6666-4222-8333-944455556666")

	out, err := f.checkout(standardCustomer, cart, lines, "7b2e1c6f-6666-4222-8333-944455556666")
	require.NoError(t, err)
	require.Len(t, out.Lines, 1)
	require.NotEmpty(t, out.Lines[0].OrderID)
	require.NotEmpty(t, out.Lines[0].SubscriptionID)
	require.Empty(t, out.Lines[0].ErrorCode)
	require.Zero(t, f.calls.count(pathCart), "no cart read before a first checkout")
	require.Equal(t, 1, f.calls.count(pathCheckout))

	// An earlier activity ordered the cart already: Partner Center refuses with 800065 and the orders
	// are found, not bought again.
	again, err := f.checkout(standardCustomer, cart, lines, "7b2e1c6f-6666-4222-8333-944455556666")
	require.NoError(t, err)
	require.Equal(t, out.Lines[0].OrderID, again.Lines[0].OrderID)
	require.Equal(t, 1, f.ledger(standardCustomer).Orders)
	require.Zero(t, f.ledger(standardCustomer).DuplicatePurchases)
}

// TestCheckoutPartialFailureMapsEachLine: when some order groups fail, each line still gets its own
// outcome.
func TestCheckoutPartialFailureMapsEachLine(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	f.admin("/sandbox/customers/"+standardCustomer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	a := f.sameSkuLines(standardCustomer, standardCountry, "STANDARDPACK", 8)
	v, err := f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer,
		Country: standardCountry, Skus: []activities.SourceSku{{SkuPartNumber: standardE4PartNumber}}})
	require.NoError(t, err)
	var cat activities.CatalogResult
	require.NoError(t, v.Get(&cat))
	lines := []activities.CartLine{{Line: 0, CatalogItemID: a[0].CatalogItemID, Quantity: 8},
		{Line: 1, CatalogItemID: cat.Facts[0].Successors[0].CatalogItemID, Quantity: 12}}
	cart := f.createCart(standardCustomer, lines, "6a1d0b5e-7777-4222-8333-944455556666")
	f.put("/sandbox/faults", sandbox.FaultRules{Rules: []sandbox.FaultRule{{Kind: sandbox.FaultPartialCheckout, LineItems: []int{1}, Count: 1}}})

	out, err := f.checkout(standardCustomer, cart, lines, "7b2e1c6f-7777-4222-8333-944455556666")
	require.NoError(t, err)
	require.Len(t, out.Lines, 2)
	var ordered, failed int
	for i, o := range out.Lines {
		require.Equal(t, i, o.Line)
		switch {
		case o.ErrorCode != "":
			failed++
			require.Empty(t, o.OrderID)
			require.True(t, o.Retryable, "800005 may succeed when bought again")
		default:
			ordered++
			require.NotEmpty(t, o.OrderID)
		}
	}
	require.Equal(t, 1, ordered)
	require.Equal(t, 1, failed)
	require.NotEmpty(t, out.Lines[1].ErrorCode, "the line whose order group failed")
}

// TestAwaitProvisioningReadsNoStatusOfActiveSubscriptions: a subscription Partner Center lists as active
// needs no provisioning-status read; a pending one is read, and waited for.
func TestAwaitProvisioningReadsNoStatusOfActiveSubscriptions(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	f.admin("/sandbox/customers/"+standardCustomer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	v, err := f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer,
		Country: standardCountry, Skus: []activities.SourceSku{{SkuPartNumber: standardE4PartNumber}}})
	require.NoError(t, err)
	var cat activities.CatalogResult
	require.NoError(t, v.Get(&cat))
	succ := cat.Facts[0].Successors[0]
	buy := func(n string) string {
		lines := []activities.CartLine{{CatalogItemID: succ.CatalogItemID, Quantity: 12}}
		cart := f.createCart(standardCustomer, lines, "6a1d0b5e-888"+n+"-4222-8333-944455556666")
		out, err := f.checkout(standardCustomer, cart, lines, "7b2e1c6f-888"+n+"-4222-8333-944455556666")
		require.NoError(t, err)
		return out.Lines[0].OrderID
	}
	await := func(order string) (activities.AwaitProvisioningResult, error) {
		var res activities.AwaitProvisioningResult
		v, err := f.env.ExecuteActivity(f.acts.AwaitProvisioning, activities.AwaitProvisioningInput{PartnerTenantID: sandbox.PartnerEU,
			CustomerTenantID: standardCustomer, OrderIDs: []string{order}})
		if err != nil {
			return res, err
		}
		return res, v.Get(&res)
	}

	res, err := await(buy("1"))
	require.NoError(t, err)
	require.Len(t, res.Subscriptions, 1)
	require.Equal(t, succ.SkuID, res.Subscriptions[0].SkuID, "the skuId comes from the catalog")
	require.False(t, res.Subscriptions[0].CancellationAllowedUntilDate.IsZero())
	require.Zero(t, f.calls.count(pathProvisioning), "an active subscription is provisioned")

	f.put("/sandbox/settings", map[string]string{"provisioningDelay": "1h"})
	pending := buy("2")
	_, err = await(pending)
	require.Equal(t, activities.ErrTypeNotYet, errType(t, err))
	require.Equal(t, 1, f.calls.count(pathProvisioning), "a pending one is read")
	f.admin("/sandbox/clock", map[string]string{"advance": "2h"})
	res, err = await(pending)
	require.NoError(t, err)
	require.Equal(t, succ.SkuID, res.Subscriptions[0].SkuID)
	require.Equal(t, 1, f.calls.count(pathProvisioning), "active now: not read again")
}

// TestMoveLicensesReadsNoGroup: the data-loss check and the move need the group's disabled plans; its
// members' license assignment states carry them, so the group is not read (and never twice).
func TestMoveLicensesReadsNoGroup(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	f.admin("/sandbox/customers/"+standardCustomer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	var e4 csptransfer.OriginalSubscription
	for _, o := range disc.Originals {
		if o.SkuPartNumber == standardE4PartNumber {
			e4 = o
		}
	}
	v, err = f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer,
		Country: standardCountry, Skus: []activities.SourceSku{{SkuID: e4.SkuID}}})
	require.NoError(t, err)
	var cat activities.CatalogResult
	require.NoError(t, v.Get(&cat))
	succ := cat.Facts[0].Successors[0]
	lines := []activities.CartLine{{CatalogItemID: succ.CatalogItemID, Quantity: e4.Quantity}}
	cart := f.createCart(standardCustomer, lines, "6a1d0b5e-9999-4222-8333-944455556666")
	_, err = f.checkout(standardCustomer, cart, lines, "7b2e1c6f-9999-4222-8333-944455556666")
	require.NoError(t, err)

	v, err = f.env.ExecuteActivity(f.acts.MoveLicenses, activities.MoveLicensesInput{PartnerTenantID: sandbox.PartnerEU,
		CustomerTenantID: standardCustomer, FromSkuID: e4.SkuID, ToSkuID: succ.SkuID})
	require.NoError(t, err)
	var moved activities.MoveLicensesResult
	require.NoError(t, v.Get(&moved))
	require.Equal(t, 1, moved.GroupsMoved)
	require.Equal(t, 5, moved.MembersMoved)
	require.Zero(t, f.calls.count(pathGroup), "the members' assignment states name the group's disabled plans")
	require.Equal(t, 1, f.calls.count(pathSubscribedSkus), "the new SKU's plans: one read")
	require.Empty(t, f.ledger(standardCustomer).UsersWithoutLicense)
}

// TestCheckOriginalReadsTheDirectoryOncePerWakeUp: the originals ending on one date are checked one after
// the other; one directory read answers for all, and a check a day later reads again.
func TestCheckOriginalReadsTheDirectoryOncePerWakeUp(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	clock := f.withClock()
	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: standardCustomer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	require.Len(t, disc.Originals, 2)
	check := func() []string {
		var states []string
		for _, o := range disc.Originals {
			v, err := f.env.ExecuteActivity(f.acts.CheckOriginal, activities.CheckOriginalInput{PartnerTenantID: sandbox.PartnerEU,
				CustomerTenantID: standardCustomer, SubscriptionIDs: []string{o.SubscriptionID}, SkuID: o.SkuID, ExpiresAt: o.ExpiresAt})
			require.NoError(t, err)
			var res activities.CheckOriginalResult
			require.NoError(t, v.Get(&res))
			states = append(states, res.State)
		}
		return states
	}
	require.Equal(t, []string{activities.OriginalActive, activities.OriginalActive}, check())
	require.Equal(t, 2, f.calls.count(pathDirectory), "Discover's read, then one for both originals")

	f.admin("/sandbox/clock", map[string]string{"advance": "31d"})
	clock.advance(24 * time.Hour)
	require.Equal(t, []string{activities.OriginalExpired, activities.OriginalExpired}, check())
	require.Equal(t, 3, f.calls.count(pathDirectory))
}
