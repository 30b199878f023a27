package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// p2pFixture is the seeded partner-mix customer with the US partner's relationship accepted, its originals
// discovered and the catalog item of its Business Premium (sold by sandbox.OtherCSP).
type p2pFixture struct {
	*fixture
	admin    sandbox.AdminClient
	customer string
	spb      csptransfer.OriginalSubscription
	spbItem  string
}

func newP2PFixture(t *testing.T, customer string) *p2pFixture {
	f := newFixture(t, sandbox.PartnerUS)
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerUS})
	p := &p2pFixture{fixture: f, admin: sandbox.AdminClient{BaseURL: f.url}, customer: customer}

	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	for _, o := range disc.Originals {
		if o.SkuPartNumber == "SPB" {
			p.spb = o
		}
	}
	require.Equal(t, sandbox.OtherCSP, p.spb.OwnerTenantID, "discovery names the partner selling the original")
	require.NotEmpty(t, p.spb.CommerceSubscriptionID, "and its Partner Center subscription id")

	v, err = f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: customer,
		Country: "US", Skus: []activities.SourceSku{{SkuID: p.spb.SkuID, SkuPartNumber: "SPB"}}})
	require.NoError(t, err)
	var cat activities.CatalogResult
	require.NoError(t, v.Get(&cat))
	require.NotNil(t, cat.Facts[0].SameSku)
	p.spbItem = cat.Facts[0].SameSku.CatalogItemID
	return p
}

func (p *p2pFixture) request(requestID string) (activities.RequestPartnerTransferResult, error) {
	var res activities.RequestPartnerTransferResult
	v, err := p.env.ExecuteActivity(p.acts.RequestPartnerTransfer, activities.RequestPartnerTransferInput{
		PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: p.customer, SourcePartnerTenantID: sandbox.OtherCSP,
		SourcePartnerName: "Contoso Cloud Partners LLC", CustomerEmail: "it@lucernepublishing-us.example", RequestID: requestID,
	})
	if err != nil {
		return res, err
	}
	return res, v.Get(&res)
}

func (p *p2pFixture) check(transferID string, ids ...string) activities.CheckPartnerTransferResult {
	p.t.Helper()
	if ids == nil {
		ids = []string{p.spb.CommerceSubscriptionID}
	}
	v, err := p.env.ExecuteActivity(p.acts.CheckPartnerTransfer, activities.CheckPartnerTransferInput{
		PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: p.customer, TransferID: transferID,
		Lines: []activities.TransferLineRef{{Line: 1, CatalogItemID: p.spbItem, Quantity: p.spb.Quantity, ExpiresAt: p.spb.ExpiresAt, SubscriptionIDs: ids}},
	})
	require.NoError(p.t, err)
	var res activities.CheckPartnerTransferResult
	require.NoError(p.t, v.Get(&res))
	return res
}

func (p *p2pFixture) cancel(transferID string) activities.CancelPartnerTransferResult {
	p.t.Helper()
	v, err := p.env.ExecuteActivity(p.acts.CancelPartnerTransfer, activities.CancelPartnerTransferInput{
		PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: p.customer, TransferID: transferID, RequestID: "2c1b0a99-1111-4222-8333-944455556666"})
	require.NoError(p.t, err)
	var res activities.CancelPartnerTransferResult
	require.NoError(p.t, v.Get(&res))
	return res
}

// TestPartnerTransferIsRequestedOnceAndVerified: a lost answer, a retry and a later call with another
// MS-RequestId all end with the one request; once the source accepts, the line is verified under this
// partner with its term kept, and nothing was bought.
func TestPartnerTransferIsRequestedOnceAndVerified(t *testing.T) {
	p := newP2PFixture(t, sandbox.CustomerPartnerMix)
	require.NoError(t, p.admin.PutFaults(context.Background(), sandbox.FaultRules{Rules: []sandbox.FaultRule{{
		Kind: sandbox.FaultLostAnswer, Match: "POST /v1/customers/" + sandbox.CustomerPartnerMix + "/transfers", Count: 1}}}))

	// The first answer is lost; the client retries under the same MS-RequestId and gets the request made.
	first, err := p.request("4e3d2c1b-1111-4222-8333-944455556666")
	require.NoError(t, err)
	require.Equal(t, "InProgress", first.Status)
	retried, err := p.request("4e3d2c1b-1111-4222-8333-944455556666") // the activity's own retry
	require.NoError(t, err)
	require.True(t, retried.Adopted, "found before creating again")
	require.Equal(t, first.TransferID, retried.TransferID)
	require.NotNil(t, first.ExpiresAt)
	require.WithinDuration(t, first.CreatedAt.Add(30*24*time.Hour), *first.ExpiresAt, time.Minute)
	again, err := p.request("5f4e3d2c-1111-4222-8333-944455556666") // another run's id: still the same request
	require.NoError(t, err)
	require.Equal(t, first.TransferID, again.TransferID)
	views, err := p.admin.Transfers(context.Background(), p.customer)
	require.NoError(t, err)
	require.Len(t, views, 1)

	pending := p.check(first.TransferID)
	require.Equal(t, csptransfer.PartnerTransferPending, pending.Outcome)
	require.Empty(t, pending.Lines)

	require.NoError(t, p.admin.AcceptTransfer(context.Background(), p.customer, first.TransferID))
	done := p.check(first.TransferID)
	require.Equal(t, csptransfer.PartnerTransferComplete, done.Outcome)
	require.Len(t, done.Lines, 1)
	l := done.Lines[0]
	require.Equal(t, activities.TransferLineTransferred, l.State, l.Reason)
	require.Equal(t, p.spb.CommerceSubscriptionID, l.SubscriptionID, "the subscription continues under this partner")
	require.NotNil(t, l.TermEndsAt)
	require.Equal(t, p.spb.ExpiresAt.UTC().Format("2006-01-02"), l.TermEndsAt.UTC().Format("2006-01-02"), "term end kept")
	require.Empty(t, l.Reason)

	// Matched by offer when the line only knows Graph's directory id.
	byOffer := p.check(first.TransferID, p.spb.SubscriptionID)
	require.Equal(t, activities.TransferLineTransferred, byOffer.Lines[0].State, byOffer.Lines[0].Reason)

	// Cancelling a completed request is not an error: it stays complete.
	require.Equal(t, csptransfer.PartnerTransferComplete, p.cancel(first.TransferID).Outcome)

	c := p.ledger(p.customer)
	require.Equal(t, 1, c.Transfers)
	require.Equal(t, 1, c.LinesTransferred)
	require.Zero(t, c.Orders)
	require.Zero(t, c.BoughtWhileTransferred)
}

func TestCancelledPartnerTransferStaysCancelled(t *testing.T) {
	p := newP2PFixture(t, sandbox.CustomerPartnerMix)
	req, err := p.request("6a5f4e3d-1111-4222-8333-944455556666")
	require.NoError(t, err)
	require.Equal(t, csptransfer.PartnerTransferCancelled, p.cancel(req.TransferID).Outcome)
	require.Equal(t, csptransfer.PartnerTransferCancelled, p.cancel(req.TransferID).Outcome, "a retried cancel sees the cancel it made")
	require.Equal(t, csptransfer.PartnerTransferCancelled, p.check(req.TransferID).Outcome)
	// A new request can be made once the old one is cancelled.
	next, err := p.request("7b6a5f4e-1111-4222-8333-944455556666")
	require.NoError(t, err)
	require.NotEqual(t, req.TransferID, next.TransferID)
	require.False(t, next.Adopted)
}

func TestPartnerTransferLineFailureAndExpiry(t *testing.T) {
	customer := "a1b2c3d4-00aa-4000-8000-0000000000aa"
	f := newFixture(t, sandbox.PartnerUS)
	end := time.Now().Add(100 * 24 * time.Hour).UTC().Truncate(time.Second)
	require.NoError(t, sandbox.AdminClient{BaseURL: f.url}.CreateCustomer(context.Background(), sandbox.CustomerInput{
		TenantID: customer, Domain: "blocked-p2p.onmicrosoft.com", CompanyName: "Blocked Inc.", Country: "US", AgreementSigned: true,
		Originals: []sandbox.OriginalInput{{SkuPartNumber: "SPB", TotalLicenses: 3, ExpiresAt: &end, OwnerTenantID: sandbox.OtherCSP, TransferBlocked: "900103"}},
	}))
	f.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerUS})
	p := newP2PFixtureFrom(t, f, customer)

	req, err := p.request("8c7b6a5f-1111-4222-8333-944455556666")
	require.NoError(t, err)
	require.NoError(t, p.admin.AcceptTransfer(context.Background(), customer, req.TransferID))
	res := p.check(req.TransferID)
	require.Equal(t, csptransfer.PartnerTransferComplete, res.Outcome)
	require.Equal(t, activities.TransferLineFailed, res.Lines[0].State)
	require.Contains(t, res.Lines[0].Reason, "900103")
	require.Equal(t, "900103", res.Items[0].ErrorCode)

	// A request nobody acts on ends Expired.
	next, err := p.request("9d8c7b6a-1111-4222-8333-944455556666")
	require.NoError(t, err)
	require.NoError(t, p.admin.ExpireTransfer(context.Background(), customer, next.TransferID))
	require.Equal(t, csptransfer.PartnerTransferExpired, p.check(next.TransferID).Outcome)
}

// newP2PFixtureFrom is newP2PFixture on an existing fixture whose customer already accepted.
func newP2PFixtureFrom(t *testing.T, f *fixture, customer string) *p2pFixture {
	p := &p2pFixture{fixture: f, admin: sandbox.AdminClient{BaseURL: f.url}, customer: customer}
	v, err := f.env.ExecuteActivity(f.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	p.spb = disc.Originals[0]
	v, err = f.env.ExecuteActivity(f.acts.Catalog, activities.CatalogInput{PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: customer,
		Country: "US", Skus: []activities.SourceSku{{SkuID: p.spb.SkuID}}})
	require.NoError(t, err)
	var cat activities.CatalogResult
	require.NoError(t, v.Get(&cat))
	p.spbItem = cat.Facts[0].SameSku.CatalogItemID
	return p
}
