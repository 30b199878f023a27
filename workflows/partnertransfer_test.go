package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

const (
	sourcePartner = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
	transferID    = "7d3b2a10-5c4e-4f6a-8b9c-0d1e2f3a4b5c"
	spbSku        = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
	spbItem       = "CFQ7TTC0LCHC:0002"
)

// p2p is a harness for a customer whose Business Premium original is sold by another CSP partner and whose
// E3 original was bought direct. fake answers the transfer request the way the test's source partner acts.
type p2p struct {
	*harness
	created   time.Time
	expires   time.Time
	answer    func(now time.Time, in activities.CheckPartnerTransferInput) activities.CheckPartnerTransferResult
	cancelled bool
	mails     []activities.NotifyInput
}

func newP2P(t *testing.T) *p2p {
	h := newHarness(t)
	h.req.SourcePartner = &csptransfer.SourcePartner{TenantID: sourcePartner, Name: "Contoso Cloud", Email: "ops@contoso-cloud.example"}
	h.originals = append(h.originals, csptransfer.OriginalSubscription{
		SubscriptionID: "spb-orig", SkuID: spbSku, SkuPartNumber: "SPB", Quantity: 10, ExpiresAt: h.expiry.Add(120 * day), OwnerTenantID: sourcePartner,
	})
	h.facts = append(h.facts, activities.CatalogFacts{
		SourceSkuID: spbSku, SourceSkuPartNumber: "SPB", Country: "DE",
		SameSku: &activities.CatalogOffer{CatalogItemID: spbItem, SkuID: spbSku, Title: "Microsoft 365 Business Premium", Purchasable: true, MinQuantity: 1, MaxQuantity: 300},
	})
	p := &p2p{harness: h}
	p.answer = func(time.Time, activities.CheckPartnerTransferInput) activities.CheckPartnerTransferResult {
		return activities.CheckPartnerTransferResult{Status: "InProgress", Outcome: csptransfer.PartnerTransferPending}
	}
	return p
}

// transferredAll answers, from at on, that the source transferred every line.
func (p *p2p) transferredAll(at time.Time) {
	p.answer = func(now time.Time, in activities.CheckPartnerTransferInput) activities.CheckPartnerTransferResult {
		if now.Before(at) {
			return activities.CheckPartnerTransferResult{Status: "InProgress", Outcome: csptransfer.PartnerTransferPending}
		}
		res := activities.CheckPartnerTransferResult{Status: "Complete", Outcome: csptransfer.PartnerTransferComplete}
		for _, l := range in.Lines {
			end := l.ExpiresAt
			res.Lines = append(res.Lines, activities.TransferLineOutcome{Line: l.Line, State: activities.TransferLineTransferred, SubscriptionID: "moved-" + l.CatalogItemID, TermEndsAt: &end})
		}
		return res
	}
}

func (p *p2p) run() {
	p.env.OnActivity(a.Notify, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.NotifyInput) (activities.NotifyResult, error) {
		p.mails = append(p.mails, in)
		return activities.NotifyResult{Sent: true}, nil
	}).Maybe()
	p.env.OnActivity(a.RequestPartnerTransfer, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RequestPartnerTransferInput) (activities.RequestPartnerTransferResult, error) {
		require.Equal(p.t, sourcePartner, in.SourcePartnerTenantID)
		require.Equal(p.t, "Contoso Cloud", in.SourcePartnerName)
		require.Equal(p.t, p.req.ContactEmail, in.CustomerEmail)
		require.NotEmpty(p.t, in.RequestID)
		p.created = p.env.Now().UTC()
		p.expires = p.created.Add(30 * day)
		exp := p.expires
		return activities.RequestPartnerTransferResult{TransferID: transferID, Status: "InProgress", CreatedAt: p.created, ExpiresAt: &exp}, nil
	}).Maybe()
	p.env.OnActivity(a.CheckPartnerTransfer, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckPartnerTransferInput) (activities.CheckPartnerTransferResult, error) {
		require.Equal(p.t, transferID, in.TransferID)
		now := p.env.Now().UTC()
		if !p.expires.IsZero() && !now.Before(p.expires) {
			return activities.CheckPartnerTransferResult{Status: "Expired", Outcome: csptransfer.PartnerTransferExpired}, nil
		}
		return p.answer(now, in), nil
	}).Maybe()
	p.env.OnActivity(a.CancelPartnerTransfer, mock.Anything, mock.Anything).Return(func(context.Context, activities.CancelPartnerTransferInput) (activities.CancelPartnerTransferResult, error) {
		p.cancelled = true
		return activities.CancelPartnerTransferResult{Status: "Cancelled", Outcome: csptransfer.PartnerTransferCancelled}, nil
	}).Maybe()
	p.harness.run()
}

// bought lists the catalog items put in carts.
func (p *p2p) bought() []string {
	var items []string
	for _, o := range p.ordered {
		items = append(items, o...)
	}
	return items
}

func lineOf(t *testing.T, lines []csptransfer.Line, sku string) csptransfer.Line {
	t.Helper()
	for _, l := range lines {
		if l.SourceSkuID == sku {
			return l
		}
	}
	t.Fatalf("no line for %s", sku)
	return csptransfer.Line{}
}

func TestPartnerTransferCompletesWithoutBuyingTheTransferredLine(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.transferredAll(time.Date(2026, 1, 9, 0, 0, 0, 0, time.UTC)) // the source accepts two days later
	var during csptransfer.TransferStatus
	p.env.RegisterDelayedCallback(func() { during = p.status() }, 2*day)
	p.run()

	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	spb := lineOf(t, rep.Lines, spbSku)
	require.Equal(t, csptransfer.MethodTransfer, spb.Method)
	require.True(t, spb.Progress.Transferred)
	require.False(t, spb.Progress.Ordered)
	require.Equal(t, "moved-"+spbItem, spb.Progress.SubscriptionID)
	require.Equal(t, spb.OriginalExpiresAt, *spb.Progress.TermEndsAt)
	e3 := lineOf(t, rep.Lines, e3Sku)
	require.Equal(t, csptransfer.MethodBuy, e3.Method)
	require.Contains(t, e3.MethodReason, "bought outside CSP")
	require.True(t, e3.Progress.Provisioned)
	require.Equal(t, activities.OriginalExpired, e3.Progress.OriginalState)

	// Nothing bought for the transferred line; one request.
	require.Equal(t, []string{e3Item}, p.bought())
	p.env.AssertNumberOfCalls(t, "RequestPartnerTransfer", 1)
	p.env.AssertNumberOfCalls(t, "CheckOriginal", 1)
	require.NotNil(t, rep.PartnerTransfer)
	require.Equal(t, csptransfer.PartnerTransferComplete, rep.PartnerTransfer.Outcome)
	require.Contains(t, stagesOf(rep.Timeline), csptransfer.StageAwaitingPartnerTransfer)

	// While it waited the status said what for and until when.
	require.Equal(t, csptransfer.StageAwaitingPartnerTransfer, during.Stage)
	require.Contains(t, during.Awaiting.What, "Contoso Cloud ("+sourcePartner+") to accept partner-to-partner transfer request "+transferID)
	require.Contains(t, during.Awaiting.What, "before it expires on")
	require.NotNil(t, during.PartnerTransfer.ExpiresAt)
	require.Equal(t, csptransfer.PartnerTransferPending, during.PartnerTransfer.Outcome)
	// Checks grow: the request was read a handful of times in two days, not every few minutes.
	require.Less(t, rep.PartnerTransfer.Checks, 16)
}

func TestPartnerTransferPartialBuysTheLinesTheSourceDidNotTransfer(t *testing.T) {
	p := newP2P(t)
	// Both originals are sold by the source partner.
	p.originals[0].OwnerTenantID = sourcePartner
	p.acceptAfter(day)
	p.answer = func(now time.Time, in activities.CheckPartnerTransferInput) activities.CheckPartnerTransferResult {
		res := activities.CheckPartnerTransferResult{Status: "Complete", Outcome: csptransfer.PartnerTransferComplete,
			Items: []csptransfer.PartnerTransferItem{{SubscriptionID: "orig-1", Status: "Failed", ErrorCode: "900103", Error: "source subscription not in sync state"}}}
		for _, l := range in.Lines {
			if l.CatalogItemID == spbItem {
				res.Lines = append(res.Lines, activities.TransferLineOutcome{Line: l.Line, State: activities.TransferLineTransferred, SubscriptionID: "moved-spb"})
			} else {
				res.Lines = append(res.Lines, activities.TransferLineOutcome{Line: l.Line, State: activities.TransferLineFailed, Reason: "Microsoft reported 900103 source subscription not in sync state"})
			}
		}
		return res
	}
	p.run()

	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.True(t, lineOf(t, rep.Lines, spbSku).Progress.Transferred)
	e3 := lineOf(t, rep.Lines, e3Sku)
	require.Equal(t, csptransfer.MethodBuy, e3.Method)
	require.Contains(t, e3.MethodReason, "did not transfer it: Microsoft reported 900103")
	require.True(t, e3.Progress.Provisioned)
	require.Equal(t, []string{e3Item}, p.bought(), "only the line the transfer failed is bought")
	require.Equal(t, 2, rep.PlanVersion, "the fallback is a new plan version")
}

func TestPartnerTransferExpiredFallsBackAndCompletes(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.run() // the source never answers: the request expires after 30 days

	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	spb := lineOf(t, rep.Lines, spbSku)
	require.Equal(t, csptransfer.MethodBuy, spb.Method)
	require.Contains(t, spb.MethodReason, "expired before the source partner accepted it")
	require.True(t, spb.Progress.Provisioned)
	require.Equal(t, csptransfer.PartnerTransferExpired, rep.PartnerTransfer.Outcome)
	require.ElementsMatch(t, []string{e3Item, spbItem}, p.bought())
	// Bought after the expiry, never before: the request was given its full time.
	require.False(t, p.expires.IsZero())
	// Growing checks: about 8 to reach the 12-hour interval, then two a day for 30 days, plus the expiry.
	require.Less(t, rep.PartnerTransfer.Checks, 75)
	// The source partner was told, then reminded every 3 days; the customer reminded too.
	var toSource, toCustomer int
	for _, in := range p.mails {
		switch in.Kind {
		case "partner-transfer-source":
			toSource++
			require.Equal(t, "ops@contoso-cloud.example", in.To)
		case "partner-transfer-customer":
			toCustomer++
		}
	}
	require.GreaterOrEqual(t, toSource, 9)
	require.GreaterOrEqual(t, toCustomer, 8)
}

func TestPartnerTransferRequestWithoutExpiryIsCancelledAfterTheDeadline(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.env.OnActivity(a.RequestPartnerTransfer, mock.Anything, mock.Anything).Return(activities.RequestPartnerTransferResult{
		TransferID: transferID, Status: "InProgress", CreatedAt: time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)}, nil)
	p.run()

	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.True(t, p.cancelled, "a request with no expirationTime is withdrawn at the deadline, not left open")
	require.Contains(t, lineOf(t, rep.Lines, spbSku).MethodReason, "did not act on it in 31 days")
}

func TestCancelTransferUpdateFallsBack(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	var stale, noReason, okErr error
	var res csptransfer.CancelTransferResult
	p.env.RegisterDelayedCallback(func() {
		p.env.UpdateWorkflow(csptransfer.UpdateCancelTransfer, "stale", &testUpdate{onReject: func(err error) { stale = err }},
			csptransfer.CancelTransfer{TransferID: "00000000-0000-4000-8000-000000000000", Reason: "customer asked"})
		p.env.UpdateWorkflow(csptransfer.UpdateCancelTransfer, "noreason", &testUpdate{onReject: func(err error) { noReason = err }},
			csptransfer.CancelTransfer{})
		p.env.UpdateWorkflow(csptransfer.UpdateCancelTransfer, "ok", &testUpdate{
			onReject:   func(err error) { okErr = err },
			onComplete: func(v any, err error) { okErr = err; res = v.(csptransfer.CancelTransferResult) },
		}, csptransfer.CancelTransfer{TransferID: transferID, Reason: "the source partner is unreachable"})
	}, 3*day)
	p.run()

	require.ErrorContains(t, stale, "is not the pending request "+transferID)
	require.ErrorContains(t, noReason, "reason is required")
	require.NoError(t, okErr)
	require.Equal(t, csptransfer.CancelTransferResult{TransferID: transferID, Status: "Cancelled", LinesToBuy: 1}, res)
	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.True(t, p.cancelled)
	spb := lineOf(t, rep.Lines, spbSku)
	require.Contains(t, spb.MethodReason, "was cancelled (an operator cancelled it: the source partner is unreachable)")
	require.ElementsMatch(t, []string{e3Item, spbItem}, p.bought())
}

func TestDuplicateTransferWebhooksActOnce(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.transferredAll(time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC))
	signal := func() {
		p.env.SignalWorkflow(csptransfer.SignalPartnerTransferUpdated, csptransfer.PartnerTransferUpdated{CustomerTenantID: customerID, TransferID: transferID, Event: "complete-transfer", Source: "webhook"})
	}
	// The same event delivered twice at once, and once more later.
	p.env.RegisterDelayedCallback(func() { signal(); signal() }, 3*day)
	p.env.RegisterDelayedCallback(signal, 3*day+time.Hour)
	p.run()

	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.True(t, lineOf(t, rep.Lines, spbSku).Progress.Transferred)
	require.Equal(t, []string{e3Item}, p.bought())
	transferred := 0
	for _, e := range rep.Timeline {
		if strings.Contains(e.Note, "line(s) transferred to this partner") {
			transferred++
		}
	}
	require.Equal(t, 1, transferred)
}

func TestAlwaysPolicyApprovesBeforeTheRequestAndAgainBeforeAFallbackPurchase(t *testing.T) {
	p := newP2P(t)
	p.req.Approval = csptransfer.ApprovalAlways
	p.acceptAfter(day)
	requestedBeforeApproval := false
	approve := func(version int) func() {
		return func() {
			if version == 1 {
				requestedBeforeApproval = !p.created.IsZero()
			}
			p.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, fmt.Sprintf("approve-v%d", version), &testUpdate{}, csptransfer.ApprovePlan{PlanVersion: version})
		}
	}
	p.env.RegisterDelayedCallback(approve(1), 2*day)
	// The request expires 30 days after it was made (day 2); the fallback plan v2 waits for approval.
	var waiting csptransfer.TransferStatus
	p.env.RegisterDelayedCallback(func() { waiting = p.status() }, 34*day)
	p.env.RegisterDelayedCallback(approve(2), 35*day)
	p.run()

	require.False(t, requestedBeforeApproval)
	require.Equal(t, csptransfer.StageAwaitingApproval, waiting.Stage)
	require.Equal(t, 2, waiting.PlanVersion)
	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.ElementsMatch(t, []string{e3Item, spbItem}, p.bought())
}

func TestRefusedTransferRequestFallsBack(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.env.OnActivity(a.RequestPartnerTransfer, mock.Anything, mock.Anything).Return(activities.RequestPartnerTransferResult{},
		temporal.NewNonRetryableApplicationError("create the partner transfer request: 404 800015 partner id not found", activities.ErrTypeNotFound, nil))
	p.run()

	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Nil(t, rep.PartnerTransfer)
	require.Contains(t, lineOf(t, rep.Lines, spbSku).MethodReason, "Partner Center refused the partner-to-partner transfer request (create the partner transfer request: 404 800015 partner id not found)")
	require.ElementsMatch(t, []string{e3Item, spbItem}, p.bought())
}

func TestRequestRetriedAfterALostAnswerIsMadeOnce(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.transferredAll(time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC))
	attempts := 0
	p.env.OnActivity(a.RequestPartnerTransfer, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RequestPartnerTransferInput) (activities.RequestPartnerTransferResult, error) {
		attempts++
		if attempts == 1 {
			return activities.RequestPartnerTransferResult{}, errors.New("connection reset after the request was sent")
		}
		// The retry finds the request the first attempt made.
		return activities.RequestPartnerTransferResult{TransferID: transferID, Status: "InProgress", CreatedAt: time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC), Adopted: true}, nil
	})
	p.run()

	rep := p.report()
	require.Equal(t, 2, attempts)
	require.Equal(t, transferID, rep.PartnerTransfer.ID)
	require.True(t, lineOf(t, rep.Lines, spbSku).Progress.Transferred)
	require.Contains(t, timelineText(rep.Timeline), "found pending and used")
}

func TestAbortWhileTheRequestIsPendingCancelsIt(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.env.RegisterDelayedCallback(func() {
		p.env.SignalWorkflow(csptransfer.SignalAbort, csptransfer.Abort{Reason: "customer stays with its partner"})
	}, 5*day)
	p.run()

	rep := p.report()
	require.Equal(t, csptransfer.StageAborted, rep.Outcome)
	require.True(t, p.cancelled)
	require.Contains(t, rep.Reason, "partner transfer request "+transferID+" cancelled")
}

func TestMappingALinePendingTransferIsRefused(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	var refused error
	p.env.RegisterDelayedCallback(func() {
		p.env.UpdateWorkflow(csptransfer.UpdateSetOfferMapping, "map", &testUpdate{onReject: func(err error) { refused = err }},
			csptransfer.SetOfferMapping{SourceSku: "SPB", TargetCatalogItemID: e3Item})
	}, 3*day)
	p.transferredAll(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	p.run()
	require.ErrorContains(t, refused, "SPB moves by the partner-to-partner transfer request; cancel it with cancel-transfer first")
	require.Equal(t, csptransfer.StageCompleted, p.report().Outcome)
}

func timelineText(tl []csptransfer.TimelineEntry) string {
	s := ""
	for _, e := range tl {
		s += e.Note + "\n"
	}
	return s
}

// testUpdate collects an update's outcome; onComplete receives the result decoded when it came encoded.
type testUpdate struct {
	onReject   func(error)
	onComplete func(any, error)
}

func (u *testUpdate) Accept() {}

func (u *testUpdate) Reject(err error) {
	if u.onReject != nil {
		u.onReject(err)
	}
}

func (u *testUpdate) Complete(v any, err error) {
	if u.onComplete == nil {
		return
	}
	if p, ok := v.(*commonpb.Payloads); ok {
		var res csptransfer.CancelTransferResult
		if derr := converter.GetDefaultDataConverter().FromPayloads(p, &res); derr == nil {
			v = res
		}
	}
	u.onComplete(v, err)
}

func TestUnreadableRequestKeepsWaitingThenFallsBackAfterItsExpiry(t *testing.T) {
	p := newP2P(t)
	p.acceptAfter(day)
	p.env.OnActivity(a.CheckPartnerTransfer, mock.Anything, mock.Anything).Return(activities.CheckPartnerTransferResult{},
		temporal.NewNonRetryableApplicationError("read the partner transfer request: 404 900100 transfer not found", activities.ErrTypeNotFound, nil))
	var during csptransfer.TransferStatus
	p.env.RegisterDelayedCallback(func() { during = p.status() }, 10*day)
	p.run()

	require.Equal(t, csptransfer.StageAwaitingPartnerTransfer, during.Stage, "a request that cannot be read is not a reason to buy")
	require.Contains(t, during.LastError, "Partner Center did not show the request: read the partner transfer request: 404 900100")
	rep := p.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	spb := lineOf(t, rep.Lines, spbSku)
	require.Contains(t, spb.MethodReason, "could not be read after it expired")
	require.ElementsMatch(t, []string{e3Item, spbItem}, p.bought())
}
