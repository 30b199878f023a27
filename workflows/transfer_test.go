package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

const (
	customerID = "6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f"
	partnerID  = "a1b2c3d4-0000-4000-8000-00000000e001"
	e3Sku      = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	oldSku     = "18181a46-0d4e-45cd-891e-60aabd171b4e"
	newSku     = "3b555118-da6a-4418-894f-7df1e2096870"
	e3Item     = "CFQ7TTC0LF8Q:0001"
	newItem    = "CFQ7TTC0LH18:0001"
)

var day = 24 * time.Hour

// harness wraps the SDK test environment with default mocks for a transfer that succeeds; each test
// overrides what it is about before calling run.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	req csptransfer.TransferRequest

	expiry    time.Time
	originals []csptransfer.OriginalSubscription
	ordered   map[string][]string // order id → catalog items, as the default checkout mock bought them
	facts     []activities.CatalogFacts
}

func newHarness(t *testing.T) *harness {
	return newHarnessOf(t, &testsuite.WorkflowTestSuite{})
}

// newHarnessOf is newHarness on a suite the test set up, e.g. with a metrics handler.
func newHarnessOf(t *testing.T, suite *testsuite.WorkflowTestSuite) *harness {
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(10 * time.Second)
	env.RegisterWorkflowWithOptions(Transfer, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
	env.RegisterActivity(&activities.Activities{})
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	h := &harness{
		t:   t,
		env: env,
		req: csptransfer.TransferRequest{
			CustomerTenantID: customerID,
			CustomerDomain:   "contoso.onmicrosoft.com",
			Country:          "DE",
			ContactEmail:     "it@contoso.example",
		},
		expiry:  start.Add(60 * day),
		ordered: map[string][]string{},
	}
	h.originals = []csptransfer.OriginalSubscription{{SubscriptionID: "orig-1", SkuID: e3Sku, SkuPartNumber: "ENTERPRISEPACK", Quantity: 25, ExpiresAt: h.expiry}}
	h.facts = []activities.CatalogFacts{{
		SourceSkuID: e3Sku, SourceSkuPartNumber: "ENTERPRISEPACK", Country: "DE",
		SameSku: &activities.CatalogOffer{CatalogItemID: e3Item, SkuID: e3Sku, Title: "Office 365 E3", Purchasable: true, MinQuantity: 1, MaxQuantity: 300},
	}}
	return h
}

// cart is a cart as CreateCart returns it: created now, valid for the seven days Partner Center keeps carts.
func (h *harness) cart(id string) activities.CreateCartResult {
	now := h.env.Now().UTC()
	return activities.CreateCartResult{CartID: id, CreatedAt: now, ExpiresAt: now.Add(7 * day)}
}

// pricedCart is cart with every line priced as Partner Center prices a one-year term billed monthly: 20 EUR
// per seat and month.
func (h *harness) pricedCart(id string, in activities.CreateCartInput) activities.CreateCartResult {
	c := h.cart(id)
	for _, l := range in.Lines {
		c.Prices = append(c.Prices, activities.PricedLine{Line: l.Line, Price: csptransfer.LinePrice{
			Currency: "EUR", UnitPrice: 20, ListPrice: 20, TermPrice: 20 * 12 * float64(l.Quantity), Quantity: l.Quantity,
			BillingCycle: "monthly", TermDuration: "P1Y", RefundWindow: "P7D", QuotedAt: c.CreatedAt, CartID: id,
		}})
	}
	return c
}

// checkout orders every line of the cart, as the default Checkout mock does.
func (h *harness) checkout(in activities.CheckoutInput) activities.CheckoutResult {
	var res activities.CheckoutResult
	for _, l := range in.Lines {
		res.Lines = append(res.Lines, activities.LineOutcome{Line: l.Line, OrderID: "order-" + in.CartID, SubscriptionID: "sub-" + l.CatalogItemID})
		h.ordered["order-"+in.CartID] = append(h.ordered["order-"+in.CartID], l.CatalogItemID)
	}
	return res
}

// defaults installs mocks for every activity not mocked by the test itself. Mocks added earlier win.
func (h *harness) defaults() {
	env := h.env
	env.OnActivity(a.SelectPartner, mock.Anything, mock.Anything).Return(activities.SelectPartnerResult{
		PartnerTenantID: partnerID, PartnerCountry: "DE", CustomerCountry: "DE", Market: "Europe"}, nil).Maybe()
	env.OnActivity(a.InvitationLink, mock.Anything, mock.Anything).Return(activities.InvitationLinkResult{
		URL: "https://admin.microsoft.com/invite?partnerId=" + partnerID}, nil).Maybe()
	env.OnActivity(a.RequestAdminAccess, mock.Anything, mock.Anything).Return(activities.RequestAdminAccessResult{
		RelationshipID: "gdap-1", Status: "created"}, nil).Maybe()
	env.OnActivity(a.LockAdminAccess, mock.Anything, mock.Anything).Return(activities.LockAdminAccessResult{
		ApprovalURL: "https://admin.microsoft.com/gdap/gdap-1", Status: "approvalPending"}, nil).Maybe()
	env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{Accepted: true}, nil).Maybe()
	env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(activities.NotifyResult{Sent: true}, nil).Maybe()
	env.OnActivity(a.EnsureAgreement, mock.Anything, mock.Anything).Return(activities.EnsureAgreementResult{Accepted: true, How: "direct-signed"}, nil).Maybe()
	env.OnActivity(a.Discover, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.DiscoverInput) (activities.DiscoverResult, error) {
		return activities.DiscoverResult{Originals: h.originals}, nil
	}).Maybe()
	env.OnActivity(a.Catalog, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CatalogInput) (activities.CatalogResult, error) {
		res := activities.CatalogResult{Facts: h.facts}
		for _, target := range in.Targets {
			res.Targets = append(res.Targets, activities.CatalogOffer{CatalogItemID: target, SkuID: newSku, Title: "Chosen offer", Purchasable: true})
		}
		return res, nil
	}).Maybe()
	env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateCartInput) (activities.CreateCartResult, error) {
		return h.pricedCart("cart-1", in), nil
	}).Maybe()
	env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		return h.checkout(in), nil
	}).Maybe()
	env.OnActivity(a.AwaitProvisioning, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AwaitProvisioningInput) (activities.AwaitProvisioningResult, error) {
		var res activities.AwaitProvisioningResult
		for _, o := range in.OrderIDs {
			for _, item := range h.ordered[o] {
				res.Subscriptions = append(res.Subscriptions, activities.ProvisionedSubscription{OrderID: o, SubscriptionID: "sub-" + item, OfferID: item, Quantity: 25})
			}
		}
		return res, nil
	}).Maybe()
	env.OnActivity(a.MoveLicenses, mock.Anything, mock.Anything).Return(activities.MoveLicensesResult{UsersMoved: 20, GroupsMoved: 1}, nil).Maybe()
	env.OnActivity(a.CheckOriginal, mock.Anything, mock.Anything).Return(activities.CheckOriginalResult{State: activities.OriginalExpired}, nil).Maybe()
	env.OnActivity(a.CancelSubscriptions, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CancelInput) (activities.CancelResult, error) {
		return activities.CancelResult{Cancelled: in.SubscriptionIDs}, nil
	}).Maybe()
}

// acceptAfter signals the customer's acceptance after d.
func (h *harness) acceptAfter(d time.Duration) {
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: customerID, Source: "webhook"})
	}, d)
}

func (h *harness) run() {
	h.defaults()
	h.env.ExecuteWorkflow(csptransfer.WorkflowType, h.req)
	require.True(h.t, h.env.IsWorkflowCompleted())
}

func (h *harness) report() csptransfer.TransferReport {
	h.t.Helper()
	require.NoError(h.t, h.env.GetWorkflowError())
	var rep csptransfer.TransferReport
	require.NoError(h.t, h.env.GetWorkflowResult(&rep))
	return rep
}

func (h *harness) status() csptransfer.TransferStatus {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(csptransfer.QueryStatus)
	require.NoError(h.t, err)
	var s csptransfer.TransferStatus
	require.NoError(h.t, v.Get(&s))
	return s
}

func appErrorType(t *testing.T, err error) (string, string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	return appErr.Type(), appErr.Error()
}

func stagesOf(tl []csptransfer.TimelineEntry) []csptransfer.Stage {
	var out []csptransfer.Stage
	for _, e := range tl {
		if len(out) == 0 || out[len(out)-1] != e.Stage {
			out = append(out, e.Stage)
		}
	}
	return out
}

func TestSameOfferTransferCompletesAtTheOriginalsExpiry(t *testing.T) {
	h := newHarness(t)
	h.acceptAfter(2 * day)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, partnerID, rep.PartnerTenantID)
	require.Len(t, rep.Lines, 1)
	l := rep.Lines[0]
	require.True(t, l.SameOffer)
	require.False(t, l.ReassignmentNeeded)
	require.Equal(t, 25, l.Quantity)
	require.Equal(t, e3Item, l.TargetCatalogItemID)
	require.True(t, l.Progress.Ordered)
	require.True(t, l.Progress.Provisioned)
	require.Equal(t, activities.OriginalExpired, l.Progress.OriginalState)
	require.Equal(t, []csptransfer.Stage{csptransfer.StageValidating, csptransfer.StageCheckingRegion, csptransfer.StageInviting, csptransfer.StageAwaitingAcceptance, csptransfer.StageCheckingAgreement,
		csptransfer.StageDiscovering, csptransfer.StagePlanning, csptransfer.StageProvisioning, csptransfer.StageAwaitingExpiry, csptransfer.StageCompleted}, stagesOf(rep.Timeline))
	// The transfer slept until the original's end date: no sooner (no money lost), no busy polling.
	require.False(t, h.env.Now().Before(h.expiry))
	h.env.AssertNumberOfCalls(t, "InvitationLink", 1)
	h.env.AssertNumberOfCalls(t, "CreateCart", 1)
	h.env.AssertNumberOfCalls(t, "Checkout", 1)
	h.env.AssertNumberOfCalls(t, "MoveLicenses", 0)
	h.env.AssertNumberOfCalls(t, "CheckOriginal", 1)
}

func TestInvalidRequestFailsAtOnceNamingTheField(t *testing.T) {
	h := newHarness(t)
	h.req.CustomerTenantID = "not-a-guid"
	h.req.Subscriptions = []csptransfer.OriginalSubscription{{SkuID: e3Sku, Quantity: 0, ExpiresAt: h.expiry}}
	h.run()

	typ, msg := appErrorType(t, h.env.GetWorkflowError())
	require.Equal(t, csptransfer.ErrTypeInvalidRequest, typ)
	require.Contains(t, msg, "customerTenantId")
	require.Contains(t, msg, "subscriptions[0].quantity")
	h.env.AssertNumberOfCalls(t, "SelectPartner", 0)
	h.env.AssertNumberOfCalls(t, "InvitationLink", 0)
}

func TestRegionMismatchFailsBeforeAnyInvitation(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.SelectPartner, mock.Anything, mock.Anything).Return(activities.SelectPartnerResult{},
		temporal.NewNonRetryableApplicationError("customer country JP (market Japan) is served by none of the partner tenants: DE (Europe)", activities.ErrTypeRegionMismatch, nil))
	h.run()

	typ, msg := appErrorType(t, h.env.GetWorkflowError())
	require.Equal(t, activities.ErrTypeRegionMismatch, typ)
	require.Contains(t, msg, "JP")
	h.env.AssertNumberOfCalls(t, "InvitationLink", 0)

	// Operators read one sentence, the activity's, without the SDK's wrapping; scripts get the type apart.
	var rep csptransfer.TransferReport
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(h.env.GetWorkflowError(), &appErr))
	require.NoError(t, appErr.Details(&rep))
	for _, text := range []string{rep.Reason, rep.LastError, rep.Timeline[len(rep.Timeline)-1].Note} {
		require.Equal(t, "customer country JP (market Japan) is served by none of the partner tenants: DE (Europe)", text)
	}
	require.Equal(t, activities.ErrTypeRegionMismatch, rep.LastErrorType)
}

func TestInvitationExpiresWithReasonAndReminders(t *testing.T) {
	h := newHarness(t)
	h.req.InvitationTTL = csptransfer.Duration(10 * day)
	h.req.ReminderEvery = csptransfer.Duration(3 * day)
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{}, nil)
	h.run()

	typ, msg := appErrorType(t, h.env.GetWorkflowError())
	require.Equal(t, csptransfer.ErrTypeInvitationExpired, typ)
	require.Contains(t, msg, "did not accept the reseller relationship within 10d")
	h.env.AssertNumberOfCalls(t, "Notify", 4) // the invitation, then reminders on days 3, 6, 9
	h.env.AssertNumberOfCalls(t, "CreateCart", 0)
}

func TestUnverifiedAcceptanceDoesNotAdvanceUntilPartnerCenterConfirms(t *testing.T) {
	h := newHarness(t)
	verified := false
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.CheckRelationshipInput) (activities.CheckRelationshipResult, error) {
		return activities.CheckRelationshipResult{Accepted: verified}, nil
	})
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingAcceptance, s.Stage)
		require.Contains(t, s.LastError, "Partner Center does not show the relationship yet")
		require.NotNil(t, s.Awaiting)
		verified = true // the customer really accepts now; the slow poll finds it
	}, 2*time.Hour)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	var acceptedAt time.Time
	for _, e := range rep.Timeline {
		if e.Note == "reseller relationship verified in Partner Center" {
			acceptedAt = e.At
		}
	}
	require.False(t, acceptedAt.IsZero(), "the acceptance was verified and noted")
	require.Equal(t, 72*time.Hour, acceptedAt.Sub(rep.StartedAt), "found by the check before the first reminder, not the unverified signal")
	h.env.AssertNumberOfCalls(t, "Notify", 2) // the invitation and the renewal reminder: the customer accepted before a reminder
}

// TestWaitingForAcceptanceCostsLittle: a month without an answer reads Partner Center before each
// reminder, and once more when the invitation expires (the reconciliation schedule finds lost webhooks
// sooner): 10 checks and 9 reminders in 30 days, where the 6-hourly poll made 120 checks. It counts the
// billable actions of the wait (activities, timers, search-attribute upserts; no signal arrives) and
// holds them to 40 a month.
func TestWaitingForAcceptanceCostsLittle(t *testing.T) {
	h := newHarness(t)
	h.req.InvitationTTL = csptransfer.Duration(30 * day)
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{}, nil)
	var activitiesRun, timers, upserts int
	h.env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { activitiesRun++ })
	h.env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(mock.Arguments) { upserts++ }).Return(nil)
	var before int
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, csptransfer.StageAwaitingAcceptance, h.status().Stage)
		before = activitiesRun + timers + upserts
	}, time.Minute)
	h.run()
	typ, _ := appErrorType(t, h.env.GetWorkflowError())
	require.Equal(t, csptransfer.ErrTypeInvitationExpired, typ)
	h.env.AssertNumberOfCalls(t, "CheckRelationship", 10)
	h.env.AssertNumberOfCalls(t, "Notify", 10) // the invitation, then a reminder every 3 days
	require.LessOrEqual(t, timers, 11, "one durable timer per wake")
	waiting := activitiesRun + timers + upserts - before
	t.Logf("30 days waiting for acceptance: %d actions (%d activities, %d timers, %d upserts in the whole run)", waiting, activitiesRun, timers, upserts)
	require.LessOrEqual(t, waiting, 40, "actions a month while a transfer waits for acceptance")
}

func TestSignalForAnotherCustomerIsIgnored(t *testing.T) {
	h := newHarness(t)
	checks := 0
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.CheckRelationshipInput) (activities.CheckRelationshipResult, error) {
		checks++
		return activities.CheckRelationshipResult{Accepted: true}, nil
	})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: "00000000-0000-4000-8000-000000000000"})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingAcceptance, s.Stage)
		require.Contains(t, s.LastError, "named another customer tenant")
		require.Equal(t, 0, checks)
	}, 2*time.Hour)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
}

func TestEarlyAndDuplicateSignalsAreNotLostAndInviteOnce(t *testing.T) {
	h := newHarness(t)
	// Sent with the start (signal-with-start) and again twice: one verification suffices, one invitation.
	h.acceptAfter(0)
	h.acceptAfter(0)
	h.acceptAfter(time.Minute)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	h.env.AssertNumberOfCalls(t, "InvitationLink", 1)
	require.Less(t, rep.Timeline[4].At.Sub(rep.StartedAt), time.Hour, "acceptance acted on at once")
}

func TestDiscontinuedOfferNeedsApprovalAndMovesUsers(t *testing.T) {
	h := newHarness(t)
	h.originals = []csptransfer.OriginalSubscription{{SubscriptionID: "orig-e1", SkuID: oldSku, SkuPartNumber: "STANDARDPACK", Quantity: 25, ExpiresAt: h.expiry}}
	h.facts = []activities.CatalogFacts{{
		SourceSkuID: oldSku, SourceSkuPartNumber: "STANDARDPACK", SourceServicePlans: []string{"EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "YAMMER_ENTERPRISE"},
		SameSku:    &activities.CatalogOffer{CatalogItemID: "CFQ7TTC0LF8R:0001", SkuID: oldSku, Purchasable: false},
		Successors: []activities.CatalogOffer{{CatalogItemID: newItem, SkuID: newSku, Title: "Microsoft 365 Business Basic", Purchasable: true, ServicePlans: []string{"EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD"}}},
	}}
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingApproval, s.Stage)
		require.Equal(t, 1, s.PlanVersion)
		require.True(t, s.Lines[0].ReassignmentNeeded)
		require.False(t, s.Lines[0].SameOffer)
		require.NotEmpty(t, s.Lines[0].Notes, "data-loss risk stated")

		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "stale", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { require.ErrorContains(t, err, "planVersion 7 is stale") },
			OnAccept:   func() { t.Error("stale approval accepted") },
			OnComplete: func(any, error) {},
		}, csptransfer.ApprovePlan{PlanVersion: 7})
		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "ok", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("approval rejected: %v", err) },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}, csptransfer.ApprovePlan{PlanVersion: 1})
	}, 3*day)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	l := rep.Lines[0]
	require.Equal(t, newItem, l.TargetCatalogItemID)
	require.True(t, l.Progress.Moved)
	require.Equal(t, 20, l.Progress.UsersMoved)
	require.Contains(t, stagesOf(rep.Timeline), csptransfer.StageReassigningLicenses)
	h.env.AssertCalled(t, "MoveLicenses", mock.Anything, mock.MatchedBy(func(in activities.MoveLicensesInput) bool {
		return in.CustomerTenantID == customerID && in.FromSkuID == oldSku && in.ToSkuID == newSku && in.RequestID != ""
	}))
}

func TestApprovalOutsideItsStageIsRejected(t *testing.T) {
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "early", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { require.ErrorContains(t, err, "is in stage AwaitingAcceptance, not AwaitingApproval") },
			OnAccept:   func() { t.Error("accepted") },
			OnComplete: func(any, error) {},
		}, csptransfer.ApprovePlan{PlanVersion: 0})
	}, time.Hour)
	h.acceptAfter(2 * time.Hour)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
}

func TestUnresolvedLineWaitsForOfferMappingThenReplans(t *testing.T) {
	h := newHarness(t)
	h.req.Approval = csptransfer.ApprovalNever
	h.facts = []activities.CatalogFacts{{SourceSkuID: e3Sku, SourceSkuPartNumber: "ENTERPRISEPACK", Country: "DE"}}
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingApproval, s.Stage)
		require.True(t, s.Lines[0].Unresolved)
		require.Contains(t, s.Awaiting.What, "set-offer-mapping")
		h.env.UpdateWorkflow(csptransfer.UpdateSetOfferMapping, "map", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("mapping rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				require.Equal(t, 2, v.(csptransfer.SetOfferMappingResult).PlanVersion)
			},
		}, csptransfer.SetOfferMapping{SourceSku: "ENTERPRISEPACK", TargetCatalogItemID: newItem})
	}, day)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, newItem, rep.Lines[0].TargetCatalogItemID)
	require.Equal(t, 2, rep.PlanVersion)
}

func TestPartialCheckoutRetriesOnlyTheFailedLine(t *testing.T) {
	h := newHarness(t)
	h.originals = append(h.originals, csptransfer.OriginalSubscription{SkuID: newSku, SkuPartNumber: "O365_BUSINESS_ESSENTIALS", Quantity: 5, ExpiresAt: h.expiry})
	h.facts = append(h.facts, activities.CatalogFacts{SourceSkuID: newSku, SourceSkuPartNumber: "O365_BUSINESS_ESSENTIALS",
		SameSku: &activities.CatalogOffer{CatalogItemID: newItem, SkuID: newSku, Purchasable: true}})
	var carts []activities.CheckoutInput
	h.env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateCartInput) (activities.CreateCartResult, error) {
		return activities.CreateCartResult{CartID: "cart-" + in.RequestID[:8]}, nil
	})
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		carts = append(carts, in)
		var res activities.CheckoutResult
		for _, l := range in.Lines {
			if len(carts) == 1 && l.CatalogItemID == newItem {
				res.Lines = append(res.Lines, activities.LineOutcome{Line: l.Line, ErrorCode: "800003", ErrorDescription: "Unexpected error", Retryable: true})
				continue
			}
			res.Lines = append(res.Lines, activities.LineOutcome{Line: l.Line, OrderID: "order-" + in.CartID, SubscriptionID: "sub-" + l.CatalogItemID})
			h.ordered["order-"+in.CartID] = append(h.ordered["order-"+in.CartID], l.CatalogItemID)
		}
		return res, nil
	})
	h.acceptAfter(time.Hour)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Len(t, carts, 2)
	require.Len(t, carts[0].Lines, 2)
	require.Len(t, carts[1].Lines, 1, "only the failed line is bought again")
	require.Equal(t, newItem, carts[1].Lines[0].CatalogItemID)
	require.NotEqual(t, carts[0].CartID, carts[1].CartID)
	require.NotEqual(t, carts[0].RequestID, carts[1].RequestID)
	for _, l := range rep.Lines {
		require.True(t, l.Progress.Provisioned)
	}
}

func TestRejectedPurchaseWaitsForAnOperator(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(activities.CheckoutResult{},
		temporal.NewNonRetryableApplicationError("offer no longer available (2091)", activities.ErrTypeOfferUnavailable, nil)).Once()
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageProvisioning, s.Stage)
		require.Contains(t, s.LastError, "needs an operator")
		require.Contains(t, s.Awaiting.What, "cannot be bought")
		h.env.UpdateWorkflow(csptransfer.UpdateSetOfferMapping, "map", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("mapping rejected: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, csptransfer.SetOfferMapping{SourceSku: e3Sku, TargetCatalogItemID: newItem})
	}, 2*day)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingApproval, s.Stage, "a changed offer is approved under the auto policy")
		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "approve", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("approval rejected: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, csptransfer.ApprovePlan{PlanVersion: s.PlanVersion})
	}, 3*day)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, newItem, rep.Lines[0].TargetCatalogItemID)
}

func TestRenewedOriginalIsReportedAndAwaitedAgain(t *testing.T) {
	h := newHarness(t)
	renewedTo := h.expiry.Add(30 * day)
	h.env.OnActivity(a.CheckOriginal, mock.Anything, mock.Anything).Return(activities.CheckOriginalResult{State: activities.OriginalRenewed, NextLifecycleAt: &renewedTo}, nil).Once()
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingExpiry, s.Stage)
		require.Equal(t, activities.OriginalRenewed, s.Lines[0].Progress.OriginalState)
		require.Contains(t, s.LastError, "was renewed until")
		require.True(t, s.Awaiting.Until.Equal(renewedTo.Add(-renewalReminderLead)), "next: the reminder before the new end date")
	}, 61*day)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.False(t, h.env.Now().Before(renewedTo))
	h.env.AssertNumberOfCalls(t, "CheckOriginal", 2)
	h.env.AssertNumberOfCalls(t, "Notify", 3) // the invitation, then a renewal reminder before each end date
}

func TestSkipExpiryWaitNeedsTheAcknowledgement(t *testing.T) {
	h := newHarness(t)
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(csptransfer.UpdateSkipExpiryWait, "no-ack", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { require.ErrorContains(t, err, csptransfer.NoRefundAcknowledgement) },
			OnAccept: func() { t.Error("skip without acknowledgement accepted") }, OnComplete: func(any, error) {},
		}, csptransfer.SkipExpiryWait{Acknowledgement: "yes"})
		h.env.UpdateWorkflow(csptransfer.UpdateSkipExpiryWait, "ack", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("rejected: %v", err) }, OnAccept: func() {},
			OnComplete: func(v any, err error) { require.Equal(t, 1, v.(csptransfer.SkipExpiryWaitResult).Skipped) },
		}, csptransfer.SkipExpiryWait{Acknowledgement: csptransfer.NoRefundAcknowledgement, Reason: "customer cancelled it themselves"})
	}, 5*day)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.True(t, h.env.Now().Before(h.expiry))
	h.env.AssertNumberOfCalls(t, "CheckOriginal", 0)
}

func TestAbortBeforePurchaseEndsCleanly(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{}, nil)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(csptransfer.SignalAbort, csptransfer.Abort{Reason: "customer changed their mind"})
	}, 2*day)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageAborted, rep.Outcome)
	require.Equal(t, "customer changed their mind", rep.Reason)
	h.env.AssertNumberOfCalls(t, "CreateCart", 0)
	h.env.AssertNumberOfCalls(t, "CancelSubscriptions", 0)
}

func TestAbortAfterPurchaseKeepsOrCancelsRefundable(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		t.Run(map[bool]string{false: "Keeps", true: "CancelsRefundable"}[cancel], func(t *testing.T) {
			h := newHarness(t)
			h.acceptAfter(time.Hour)
			h.env.RegisterDelayedCallback(func() {
				require.Equal(t, csptransfer.StageAwaitingExpiry, h.status().Stage)
				h.env.SignalWorkflow(csptransfer.SignalAbort, csptransfer.Abort{Reason: "stop", CancelRefundable: cancel})
			}, 3*day)
			h.run()
			rep := h.report()
			require.Equal(t, csptransfer.StageAborted, rep.Outcome)
			if cancel {
				h.env.AssertNumberOfCalls(t, "CancelSubscriptions", 1)
				require.Contains(t, rep.Reason, "cancelled for a refund")
			} else {
				h.env.AssertNumberOfCalls(t, "CancelSubscriptions", 0)
				require.Contains(t, rep.Reason, "1 new subscription(s) kept")
			}
		})
	}
}

func TestBeforeExpiryModeBuysAtExpiryMinusLeadTime(t *testing.T) {
	h := newHarness(t)
	h.req.Provisioning = csptransfer.Provisioning{Mode: csptransfer.ProvisionBeforeExpiry, LeadTime: csptransfer.Duration(10 * day)}
	var boughtAt time.Time
	h.env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.CreateCartInput) (activities.CreateCartResult, error) {
		boughtAt = h.env.Now()
		return activities.CreateCartResult{CartID: "cart-1"}, nil
	})
	h.acceptAfter(time.Hour)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
	require.Equal(t, h.expiry.Add(-10*day), boughtAt.UTC())
}

func TestAgreementMissingWaitsForAttestation(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.EnsureAgreement, mock.Anything, mock.MatchedBy(func(in activities.EnsureAgreementInput) bool { return in.Attestation == nil })).
		Return(activities.EnsureAgreementResult{How: "missing"}, nil)
	h.env.OnActivity(a.EnsureAgreement, mock.Anything, mock.MatchedBy(func(in activities.EnsureAgreementInput) bool { return in.Attestation != nil })).
		Return(activities.EnsureAgreementResult{Accepted: true, How: "attested"}, nil)
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, csptransfer.StageCheckingAgreement, h.status().Stage)
		h.env.SignalWorkflow(csptransfer.SignalAgreementAccepted, csptransfer.AgreementAccepted{CustomerTenantID: customerID,
			Attestation: &csptransfer.Attestation{FirstName: "A", LastName: "B", Email: "a@contoso.example", DateAgreed: h.env.Now()}})
	}, day)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
}

func TestCancellationEndsAsAbortedWithoutBuying(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{}, nil)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, day)
	h.run()
	require.True(t, temporal.IsCanceledError(h.env.GetWorkflowError()))
	h.env.AssertNumberOfCalls(t, "CreateCart", 0)
}

func TestSearchAttributesFollowTheStage(t *testing.T) {
	h := newHarness(t)
	current := map[string]any{}
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		for _, k := range []temporal.SearchAttributeKeyKeyword{csptransfer.SearchAttributeStage, csptransfer.SearchAttributeCustomerTenantID, csptransfer.SearchAttributeCustomerDomain, csptransfer.SearchAttributePartnerTenantID} {
			if v, ok := sa.GetKeyword(k); ok {
				current[k.GetName()] = v
			}
		}
		if v, ok := sa.GetTime(csptransfer.SearchAttributeNextActionAt); ok {
			current[csptransfer.SearchAttributeNextActionAt.GetName()] = v
		}
	}).Return(nil)
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, string(csptransfer.StageAwaitingExpiry), current["CspStage"])
		require.Equal(t, customerID, current["CspCustomerTenantId"])
		require.Equal(t, "contoso.onmicrosoft.com", current["CspCustomerDomain"])
		require.Equal(t, partnerID, current["CspPartnerTenantId"])
		require.True(t, current["CspNextActionAt"].(time.Time).Equal(h.expiry.Add(-renewalReminderLead)))
	}, 10*day)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
	require.Equal(t, string(csptransfer.StageCompleted), current["CspStage"])
	// Clearing CspNextActionAt at the end is checked against a real server in the integration test: the
	// test environment's mock never sees unset values.
}

func TestContinueAsNewCarriesState(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{}, nil)
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, day)
	h.run()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can))
	var next runInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Continued)
	require.True(t, next.Continued.Invited)
	require.Equal(t, csptransfer.StageAwaitingAcceptance, next.Continued.Status.Stage)
	h.env.AssertNumberOfCalls(t, "InvitationLink", 1)
}

// TestCheckoutRetriedAfterALostAnswerUsesTheSameCart: the worker crashes (or the answer is lost) after
// Partner Center took the order. The retried checkout uses the same cart and request id, so the activity
// finds the order instead of buying again; no second cart is created.
func TestCheckoutRetriedAfterALostAnswerUsesTheSameCart(t *testing.T) {
	h := newHarness(t)
	var calls []activities.CheckoutInput
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		calls = append(calls, in)
		if len(calls) == 1 {
			return activities.CheckoutResult{}, errors.New("connection reset after the order was placed")
		}
		var res activities.CheckoutResult
		for _, l := range in.Lines {
			res.Lines = append(res.Lines, activities.LineOutcome{Line: l.Line, OrderID: "order-" + in.CartID})
			h.ordered["order-"+in.CartID] = append(h.ordered["order-"+in.CartID], l.CatalogItemID)
		}
		return res, nil
	})
	h.acceptAfter(time.Hour)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
	require.Len(t, calls, 2)
	require.Equal(t, calls[0].CartID, calls[1].CartID)
	require.Equal(t, calls[0].RequestID, calls[1].RequestID)
	h.env.AssertNumberOfCalls(t, "CreateCart", 1)
}

// TestFailedLineIsRetriedBeforeTheOriginalEnds: with the original ending soon, a retryable rejection is
// retried within a quarter of the time left, not after the usual quarter of an hour.
func TestFailedLineIsRetriedBeforeTheOriginalEnds(t *testing.T) {
	h := newHarness(t)
	h.expiry = h.env.Now().Add(40 * time.Minute)
	h.originals[0].ExpiresAt = h.expiry
	var attempts []time.Time
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		attempts = append(attempts, h.env.Now())
		var res activities.CheckoutResult
		for _, l := range in.Lines {
			if len(attempts) == 1 {
				res.Lines = append(res.Lines, activities.LineOutcome{Line: l.Line, ErrorCode: "800003", Retryable: true})
				continue
			}
			res.Lines = append(res.Lines, activities.LineOutcome{Line: l.Line, OrderID: "order-" + in.CartID})
			h.ordered["order-"+in.CartID] = append(h.ordered["order-"+in.CartID], l.CatalogItemID)
		}
		return res, nil
	})
	h.acceptAfter(time.Minute)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
	require.Len(t, attempts, 2)
	gap := attempts[1].Sub(attempts[0])
	require.Less(t, gap, purchaseRetryDelay, "retried sooner than usual")
	require.GreaterOrEqual(t, gap, time.Minute)
	require.True(t, attempts[1].Before(h.expiry), "bought again before the original ended")
}

// TestContinueAsNewWaitsForAPendingReplan: continue-as-new is suggested while an operator's
// set-offer-mapping waits for the re-plan. The transfer plans first (the update gets the new version), then
// continues as new; before, both waited for each other and the transfer hung.
func TestContinueAsNewWaitsForAPendingReplan(t *testing.T) {
	h := newHarness(t)
	h.req.Approval = csptransfer.ApprovalAlways
	h.acceptAfter(time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, csptransfer.StageAwaitingApproval, h.status().Stage)
		h.env.UpdateWorkflow(csptransfer.UpdateSetOfferMapping, "map", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("mapping rejected: %v", err) },
			OnAccept:   func() { h.env.SetContinueAsNewSuggested(true) },
			OnComplete: func(_ any, err error) { require.NoError(t, err) },
		}, csptransfer.SetOfferMapping{SourceSku: "ENTERPRISEPACK", TargetCatalogItemID: newItem})
	}, day)
	h.run()

	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "got %v", h.env.GetWorkflowError())
	var next runInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, 2, next.Continued.Status.PlanVersion)
	require.Equal(t, newItem, next.Continued.Status.Lines[0].TargetCatalogItemID)
}

// TestSecondAbortAsksForRefundsEvenWhenDrained: two aborts are still buffered when the run drains its
// signals before continue-as-new; the second asks for refunds, and that counts as it does when the
// signals arrive while the run goes on.
func TestSecondAbortAsksForRefundsEvenWhenDrained(t *testing.T) {
	drain := func(ctx workflow.Context) (csptransfer.Abort, error) {
		tr := &transfer{log: workflow.GetLogger(ctx)}
		if err := workflow.Sleep(ctx, time.Hour); err != nil {
			return csptransfer.Abort{}, err
		}
		tr.drainSignals(ctx)
		if tr.abort == nil {
			return csptransfer.Abort{}, errors.New("no abort drained")
		}
		return *tr.abort, nil
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(drain, workflow.RegisterOptions{Name: "drain"})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflowSkippingWorkflowTask(csptransfer.SignalAbort, csptransfer.Abort{Reason: "customer withdrew"})
		env.SignalWorkflowSkippingWorkflowTask(csptransfer.SignalAbort, csptransfer.Abort{Reason: "changed their mind", CancelRefundable: true})
	}, time.Minute)
	env.ExecuteWorkflow("drain")
	require.NoError(t, env.GetWorkflowError())
	var got csptransfer.Abort
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, csptransfer.Abort{Reason: "customer withdrew", CancelRefundable: true}, got)
}

// TestStartWithAStateIsRefused: a start from the Temporal UI cannot smuggle in a transfer state; only the
// workflow's own continue-as-new carries one.
func TestStartWithAStateIsRefused(t *testing.T) {
	h := newHarness(t)
	h.defaults()
	forged := &TransferState{Invited: true, Accepted: true, Status: csptransfer.TransferStatus{Stage: csptransfer.StageAwaitingExpiry}}
	h.env.ExecuteWorkflow(csptransfer.WorkflowType, runInput{TransferRequest: h.req, Continued: forged})
	require.True(t, h.env.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(h.env.GetWorkflowError(), &appErr))
	require.Equal(t, csptransfer.ErrTypeInvalidRequest, appErr.Type())
	require.Contains(t, appErr.Error(), "continued")
	h.env.AssertNumberOfCalls(t, "SelectPartner", 0)
}

// TestUnchangedSearchAttributesAreNotWritten: every upsert is a billable action; notes in the same stage
// and waits for the same moment write nothing.
func TestUnchangedSearchAttributesAreNotWritten(t *testing.T) {
	h := newHarness(t)
	var upserts []map[string]any
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		values := map[string]any{}
		for k, v := range sa.GetUntypedValues() {
			values[k.GetName()] = v
		}
		upserts = append(upserts, values)
	}).Return(nil)
	h.acceptAfter(time.Hour)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)

	stages := 0
	for _, u := range upserts {
		if _, ok := u["CspStage"]; ok {
			stages++
		}
	}
	// Validating and CheckingRegion (with the identity) in the first workflow task, then Inviting (with the
	// partner tenant), AwaitingAcceptance (with the next reminder), CheckingAgreement, Discovering, Planning,
	// Provisioning, AwaitingExpiry (with the renewal reminder), Completed: one write per workflow task that
	// changed something, and one more when the next act moves to the original's end date.
	require.Equal(t, 9, stages, "%v", upserts)
	require.Len(t, upserts, 10, "%v", upserts)
	require.Equal(t, "CheckingRegion", upserts[0]["CspStage"], "the first task's stages in one write: the last one")
	require.Equal(t, "Completed", upserts[len(upserts)-1]["CspStage"], "the last stage is written before the run ends")
}

// TestContinuedRunVerifiesAPendingAcceptanceAtOnce: an acceptance arrives in the workflow task that
// continues as new. The next run verifies it at once, without e-mailing the customer a reminder and
// without waiting for the 6-hourly poll. Before, the next run reminded the customer and verified only at
// its first poll.
func TestContinuedRunVerifiesAPendingAcceptanceAtOnce(t *testing.T) {
	h := newHarness(t)
	// While the first poll is in flight, the acceptance and an agreement signal arrive and the history grows
	// past the point where continue-as-new is suggested.
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(func(context.Context, activities.CheckRelationshipInput) (activities.CheckRelationshipResult, error) {
		h.env.SignalWorkflow(csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: customerID})
		h.env.SignalWorkflow(csptransfer.SignalAgreementAccepted, csptransfer.AgreementAccepted{CustomerTenantID: customerID, Source: "operator"})
		h.env.SetContinueAsNewSuggested(true)
		return activities.CheckRelationshipResult{}, nil
	}).Once()
	h.run()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "got %v", h.env.GetWorkflowError())
	var next runInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.True(t, next.Continued.PendingVerification)
	require.Len(t, next.Continued.PendingAgreements, 1)

	// The continued run, on a fresh environment: Partner Center now shows the relationship.
	h2 := newHarness(t)
	h2.env.SetContinuedExecutionRunID("previous-run")
	h2.env.SetStartTime(h.env.Now())
	var checkedAt time.Time
	h2.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(func(context.Context, activities.CheckRelationshipInput) (activities.CheckRelationshipResult, error) {
		if checkedAt.IsZero() {
			checkedAt = h2.env.Now()
		}
		return activities.CheckRelationshipResult{Accepted: true}, nil
	})
	h2.defaults()
	h2.env.ExecuteWorkflow(csptransfer.WorkflowType, next)
	require.True(t, h2.env.IsWorkflowCompleted())
	require.NoError(t, h2.env.GetWorkflowError())
	require.Less(t, checkedAt.Sub(h.env.Now()), time.Minute, "verified at the start of the run, not at the next poll")
	h2.env.AssertNotCalled(t, "Notify", mock.Anything, mock.MatchedBy(func(in activities.NotifyInput) bool { return in.Kind == "invitation-reminder" }))
}

// TestOriginalPastItsEndIsBoughtAtOnceAndNotWaitedFor: discovery finds the original in its grace period.
// Even with provisioning beforeExpiry, the line is bought at once, the plan says why, no renewal reminder
// is sent and the transfer completes without waiting for the end of the grace period.
func TestOriginalPastItsEndIsBoughtAtOnceAndNotWaitedFor(t *testing.T) {
	h := newHarness(t)
	h.req.Provisioning = csptransfer.Provisioning{Mode: csptransfer.ProvisionBeforeExpiry}
	found := h.env.Now().Add(time.Hour).UTC()
	h.originals = []csptransfer.OriginalSubscription{{SubscriptionID: "orig-1", SkuID: e3Sku, SkuPartNumber: "ENTERPRISEPACK",
		Quantity: 25, ExpiresAt: found, PastEnd: true}}
	h.acceptAfter(time.Hour)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Less(t, rep.CompletedAt.Sub(rep.StartedAt), 2*day, "nothing waits for the end of the grace period")
	require.Contains(t, strings.Join(rep.Lines[0].Notes, " "), "already past its end date")
	h.env.AssertNotCalled(t, "Notify", mock.Anything, mock.MatchedBy(func(in activities.NotifyInput) bool { return in.Kind == "renewal-reminder" }))
}

// TestInvitationRetriesOnlyTheStepThatFailed: the GDAP request succeeds, locking it fails once, the e-mail
// cannot be sent at all. The relationship is requested once, the lock is retried alone, and the transfer
// goes on to wait for the customer, saying the contact was not reached.
func TestInvitationRetriesOnlyTheStepThatFailed(t *testing.T) {
	h := newHarness(t)
	h.req.RequestAdminAccess = true
	h.env.OnActivity(a.LockAdminAccess, mock.Anything, mock.Anything).Return(activities.LockAdminAccessResult{}, errors.New("connection reset")).Once()
	h.env.OnActivity(a.Notify, mock.Anything, mock.MatchedBy(func(in activities.NotifyInput) bool { return in.Kind == "invitation" })).
		Return(activities.NotifyResult{}, errors.New("relay unavailable"))
	h.env.OnActivity(a.CheckRelationship, mock.Anything, mock.Anything).Return(activities.CheckRelationshipResult{}, nil)
	h.env.RegisterDelayedCallback(func() {
		s := h.status()
		require.Equal(t, csptransfer.StageAwaitingAcceptance, s.Stage)
		require.Equal(t, "gdap-1", s.AdminRelationshipID)
		require.NotEmpty(t, s.AdminApprovalURL)
		require.Contains(t, s.LastError, "the contact was not reached")
		h.env.CancelWorkflow()
	}, day)
	h.run()
	h.env.AssertNumberOfCalls(t, "RequestAdminAccess", 1)
	h.env.AssertNumberOfCalls(t, "LockAdminAccess", 2)
	h.env.AssertCalled(t, "RequestAdminAccess", mock.Anything, mock.MatchedBy(func(in activities.RequestAdminAccessInput) bool {
		return len(in.DisplayName) <= 50 && strings.HasPrefix(in.DisplayName, "csp-"+customerID) && in.RequestID != ""
	}))
}
