package workflows

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/metrics"
)

// The harness prices 25 seats of a one-year term at 20 EUR per seat and month: 6,000 EUR for the term,
// 6,000 / 365 a day (2026-01-05 + P1Y is 365 days).

// refundableFor makes AwaitProvisioning report a refund window of 7 days from the purchase, as new
// commerce does.
func (h *harness) refundableFor(window time.Duration) {
	h.env.OnActivity(a.AwaitProvisioning, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AwaitProvisioningInput) (activities.AwaitProvisioningResult, error) {
		var res activities.AwaitProvisioningResult
		for _, o := range in.OrderIDs {
			for _, item := range h.ordered[o] {
				res.Subscriptions = append(res.Subscriptions, activities.ProvisionedSubscription{OrderID: o, SubscriptionID: "sub-" + item, OfferID: item,
					Quantity: 25, CancellationAllowedUntilDate: h.env.Now().UTC().Add(window)})
			}
		}
		return res, nil
	})
}

// TestPlanShowsPriceOverlapAndRefundDeadlineBeforeApproval: the plan an operator approves carries Partner
// Center's price per line, the overlap days and their cost, the refund deadline, totals and the advice; the
// quote cart is the one checked out.
func TestPlanShowsPriceOverlapAndRefundDeadlineBeforeApproval(t *testing.T) {
	h := newHarness(t)
	h.req.Approval = csptransfer.ApprovalAlways
	h.req.OriginalPrices = map[string]csptransfer.Price{"enterprisepack": {Amount: 30, Currency: "EUR", Period: "P1M"}}
	h.refundableFor(7 * day)
	h.acceptAfter(time.Hour)
	var asked csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() {
		asked = h.status()
		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "approve", &testUpdate{}, csptransfer.ApprovePlan{PlanVersion: asked.PlanVersion})
	}, day)
	var checkedOut []string
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		checkedOut = append(checkedOut, in.CartID)
		return h.checkout(in), nil
	})
	h.run()

	require.Equal(t, csptransfer.StageAwaitingApproval, asked.Stage)
	l := asked.Lines[0]
	require.NotNil(t, l.Price)
	require.Equal(t, csptransfer.LinePrice{Currency: "EUR", UnitPrice: 20, ListPrice: 20, TermPrice: 6000, Quantity: 25, BillingCycle: "monthly",
		TermDuration: "P1Y", RefundWindow: "P7D", QuotedAt: l.Price.QuotedAt, CartID: "cart-1"}, *l.Price)
	planned := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC) // acceptance after an hour; immediately buys at once
	require.Equal(t, planned, l.Overlap.From)
	require.Equal(t, 59, l.Overlap.Days, "60 days less the hour before acceptance, in whole days")
	require.Equal(t, &csptransfer.Money{Amount: 969.86, Currency: "EUR"}, l.Overlap.NewCost, "6000 × 59 / 365")
	// 30 EUR a seat and month, 25 seats; the month from 5 January has 31 days: 750 × 59 / 31.
	require.Equal(t, &csptransfer.Money{Amount: 1427.42, Currency: "EUR"}, l.Overlap.OriginalCost)
	require.Equal(t, planned.Add(7*day), *l.RefundBy)
	m := asked.Money
	require.NotNil(t, m)
	require.Equal(t, []csptransfer.MoneyTotal{{Currency: "EUR", Term: 6000, OverlapDays: 59, OverlapNew: 969.86, OverlapOriginal: 1427.42}}, m.Totals)
	require.Equal(t, "cart-1", m.QuoteCartID)
	require.Equal(t, csptransfer.Duration(3*day), m.SafeLeadTime)
	require.Equal(t, "buying now costs 59 days of overlap ≈ 969.86 EUR; provisioning beforeExpiry with leadTime 3d costs 3 days ≈ 49.32 EUR", m.Advice[0])
	require.Contains(t, m.Advice[1], "the shortest safe lead time is 3d: 1d for provisioning and 2d for re-buys and an operator")

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	h.env.AssertNumberOfCalls(t, "CreateCart", 1)
	require.Equal(t, []string{"cart-1"}, checkedOut, "the quote cart is the one checked out")
	p := rep.Lines[0].Progress
	bought := planned.Add(day - time.Hour)
	require.Equal(t, bought, *p.OrderedAt)
	require.Equal(t, 59, p.Overlap.Days, "bought a day after acceptance: 59 days before the original ends")
	require.Equal(t, bought.Add(7*day), *p.RefundableUntil)
	require.Equal(t, []csptransfer.MoneyTotal{{Currency: "EUR", Term: 6000, Spent: 6000, OverlapDays: 59, OverlapNew: 969.86, OverlapOriginal: 1427.42}}, rep.Money.Totals)
}

// TestBeforeExpiryCutsTheOverlapAndBuysWithAFreshCart: with provisioning beforeExpiry the plan shows the
// overlap of the lead time; the quote cart has expired by then, so a new cart is made and priced.
func TestBeforeExpiryCutsTheOverlapAndBuysWithAFreshCart(t *testing.T) {
	h := newHarness(t)
	h.req.Provisioning = csptransfer.Provisioning{Mode: csptransfer.ProvisionBeforeExpiry, LeadTime: csptransfer.Duration(7 * day)}
	carts := 0
	h.env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateCartInput) (activities.CreateCartResult, error) {
		carts++
		return h.pricedCart(fmt.Sprintf("cart-%d", carts), in), nil
	})
	h.acceptAfter(time.Hour)
	var planned csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() { planned = h.status() }, day)
	h.run()

	l := planned.Lines[0]
	require.Equal(t, h.expiry.Add(-7*day), l.Overlap.From)
	require.Equal(t, 7, l.Overlap.Days)
	require.Equal(t, 115.07, l.Overlap.NewCost.Amount, "6000 × 7 / 365")
	require.Equal(t, "leadTime 7d costs 7 days of overlap ≈ 115.07 EUR; leadTime 3d, the shortest safe one, costs 3 days ≈ 49.32 EUR", planned.Money.Advice[0])

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, 2, carts, "the quote, then a fresh cart 53 days later")
	p := rep.Lines[0].Progress
	require.Equal(t, "cart-2", p.Price.CartID)
	require.Equal(t, 7, p.Overlap.Days)
	require.Equal(t, 6000.0, rep.Money.Totals[0].Spent)
}

// TestUnpricedPlanSaysWhyAndStillBuys: Partner Center refuses the quote (no access to pricing); the plan
// says so and the purchase goes ahead.
func TestUnpricedPlanSaysWhyAndStillBuys(t *testing.T) {
	h := newHarness(t)
	carts := 0
	h.env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateCartInput) (activities.CreateCartResult, error) {
		carts++
		if carts == 1 {
			return activities.CreateCartResult{}, temporal.NewNonRetryableApplicationError("create cart: 800043 no access to pricing", activities.ErrTypeUnauthorized, nil)
		}
		return h.pricedCart("cart-2", in), nil
	})
	h.req.Approval = csptransfer.ApprovalAlways
	h.acceptAfter(time.Hour)
	var asked csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() {
		asked = h.status()
		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "approve", &testUpdate{}, csptransfer.ApprovePlan{PlanVersion: asked.PlanVersion})
	}, day)
	h.run()

	require.Nil(t, asked.Lines[0].Price)
	require.Equal(t, 59, asked.Lines[0].Overlap.Days, "the days are known without a price")
	require.Nil(t, asked.Lines[0].Overlap.NewCost)
	require.Equal(t, 1, asked.Money.Unpriced)
	require.Equal(t, "Partner Center did not price the plan: create cart: 800043 no access to pricing", asked.Money.Why)
	require.Contains(t, asked.Money.Advice[0], "buying now costs 59 days of overlap cost unknown (not priced)")
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, 2, carts)
	require.Equal(t, "cart-2", rep.Lines[0].Progress.Price.CartID, "priced when bought")
	require.Equal(t, 0, rep.Money.Unpriced)
}

// TestQuoteCartThatCannotBeCheckedOutIsReplaced: the quote cart is gone at checkout; nothing was bought,
// so a new cart buys the line instead of waiting for an operator.
func TestQuoteCartThatCannotBeCheckedOutIsReplaced(t *testing.T) {
	h := newHarness(t)
	carts := 0
	h.env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateCartInput) (activities.CreateCartResult, error) {
		carts++
		return h.pricedCart(fmt.Sprintf("cart-%d", carts), in), nil
	})
	var checkedOut []string
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		checkedOut = append(checkedOut, in.CartID)
		if in.CartID == "cart-1" {
			return activities.CheckoutResult{}, temporal.NewNonRetryableApplicationError("cart: 404 cart not found", activities.ErrTypeNotFound, nil)
		}
		return h.checkout(in), nil
	})
	h.acceptAfter(time.Hour)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, []string{"cart-1", "cart-2"}, checkedOut)
	require.Contains(t, timelineText(rep.Timeline), "the quote cart could not be checked out")
	require.Empty(t, rep.Lines[0].Progress.Error)
}

// TestAbortWithRefundStatesTheAmountExpectedBack: cancelling inside the refund window expects the first
// month's charge back, less the days used.
func TestAbortWithRefundStatesTheAmountExpectedBack(t *testing.T) {
	h := newHarness(t)
	h.refundableFor(7 * day)
	h.acceptAfter(time.Hour)
	var before csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() {
		before = h.status()
		h.env.SignalWorkflow(csptransfer.SignalAbort, csptransfer.Abort{Reason: "stop", CancelRefundable: true})
	}, 2*day+time.Hour)
	h.run()
	rep := h.report()
	require.Equal(t, csptransfer.StageAborted, rep.Outcome)
	// 25 seats × 20 EUR for the month from 5 January (31 days), 2 days used: 500 × 29 / 31.
	// The status holds what a client needs to say, at any moment, what a cancellation would return.
	bp := before.Lines[0].Progress
	require.Equal(t, 467.74, csptransfer.ExpectedRefund(*bp.Price, *bp.OrderedAt, *bp.RefundableUntil, bp.OrderedAt.Add(2*day)).Amount)
	require.Equal(t, &csptransfer.Money{Amount: 467.74, Currency: "EUR"}, rep.Lines[0].Progress.Refund)
	require.Contains(t, rep.Reason, "expected back: ≈ 467.74 EUR")
	require.Equal(t, 467.74, rep.Money.Totals[0].Refunded)
}

// TestRenewedOriginalLengthensTheOverlap: a renewal the customer did not stop is overlap too.
func TestRenewedOriginalLengthensTheOverlap(t *testing.T) {
	h := newHarness(t)
	renewedTo := h.expiry.Add(30 * day)
	h.env.OnActivity(a.CheckOriginal, mock.Anything, mock.Anything).Return(activities.CheckOriginalResult{State: activities.OriginalRenewed, NextLifecycleAt: &renewedTo}, nil).Once()
	h.acceptAfter(time.Hour)
	h.run()
	p := h.report().Lines[0].Progress
	require.Equal(t, renewedTo, p.Overlap.To)
	require.Equal(t, 89, p.Overlap.Days)
}

func TestTimingAdvice(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	priced := func(exp time.Time, reassign bool) csptransfer.Line {
		return csptransfer.Line{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "E3", Quantity: 10, OriginalExpiresAt: exp, ReassignmentNeeded: reassign,
			Price: &csptransfer.LinePrice{Currency: "EUR", UnitPrice: 36.5, TermPrice: 4380, Quantity: 10, BillingCycle: "monthly", TermDuration: "P1Y"}}}
	}
	// From 2026-03-01, P1Y is 365 days: 4380 / 365 = 12 EUR a day.
	for _, tc := range []struct {
		name   string
		lines  []csptransfer.Line
		prov   csptransfer.Provisioning
		safe   time.Duration
		advice []string
	}{
		{"nothing to buy", nil, csptransfer.Provisioning{}, 0, nil},
		{"immediately months ahead", []csptransfer.Line{priced(now.Add(334*day), false)}, csptransfer.Provisioning{Mode: csptransfer.ProvisionImmediately}, 3 * day,
			[]string{"buying now costs 334 days (≈ 11 months) of overlap ≈ 4,008.00 EUR; provisioning beforeExpiry with leadTime 3d costs 3 days ≈ 36.00 EUR",
				"the shortest safe lead time is 3d: 1d for provisioning and 2d for re-buys and an operator"}},
		{"a SKU change needs a week", []csptransfer.Line{priced(now.Add(100*day), true)}, csptransfer.Provisioning{Mode: csptransfer.ProvisionBeforeExpiry, LeadTime: csptransfer.Duration(2 * day)}, 7 * day,
			[]string{"leadTime 2d leaves less than the 7d a purchase may need before its original ends; it costs 2 days of overlap ≈ 24.00 EUR, leadTime 7d costs 7 days ≈ 84.00 EUR",
				"the shortest safe lead time is 7d: 1d for provisioning and 2d for re-buys and an operator, and 4d to move users to the new SKU and back up data after a data-loss warning"}},
		{"safe lead time", []csptransfer.Line{priced(now.Add(100*day), false)}, csptransfer.Provisioning{Mode: csptransfer.ProvisionBeforeExpiry, LeadTime: csptransfer.Duration(3 * day)}, 3 * day,
			[]string{"as planned the overlap is 3 days ≈ 36.00 EUR: the least that leaves time for what the lines need",
				"the shortest safe lead time is 3d: 1d for provisioning and 2d for re-buys and an operator"}},
		{"original ends too soon", []csptransfer.Line{priced(now.Add(36*time.Hour), false)}, csptransfer.Provisioning{}, 3 * day,
			[]string{"as planned the overlap is 1 day ≈ 12.00 EUR: the least that leaves time for what the lines need",
				"the shortest safe lead time is 3d: 1d for provisioning and 2d for re-buys and an operator",
				"E3 ends on 2026-03-02, in less than the 3d a purchase may need: it is bought at once"}},
		{"transfer and ordered lines cost no advice", []csptransfer.Line{
			{PlanLine: csptransfer.PlanLine{Method: csptransfer.MethodTransfer, OriginalExpiresAt: now.Add(100 * day)}},
			{PlanLine: priced(now.Add(100*day), false).PlanLine, Progress: csptransfer.LineProgress{Ordered: true}},
		}, csptransfer.Provisioning{}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			safe, advice := timingAdvice(tc.lines, tc.prov, now)
			require.Equal(t, tc.safe, safe)
			require.Equal(t, tc.advice, advice)
		})
	}
}

func TestOriginalPriceOf(t *testing.T) {
	exp := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	line := csptransfer.PlanLine{SourceSkuID: e3Sku, SourceSkuPartNumber: "ENTERPRISEPACK", OriginalExpiresAt: exp}
	own := &csptransfer.Price{Amount: 31, Currency: "EUR", Period: "P1M"}
	byMap := map[string]csptransfer.Price{"EnterprisePack": {Amount: 29, Currency: "EUR", Period: "P1M"}}
	require.Equal(t, own, originalPriceOf(line, []csptransfer.OriginalSubscription{{SkuID: e3Sku, ExpiresAt: exp, OriginalPrice: own}}, byMap), "the original's own price wins")
	require.Equal(t, &csptransfer.Price{Amount: 29, Currency: "EUR", Period: "P1M"}, originalPriceOf(line, []csptransfer.OriginalSubscription{{SkuID: e3Sku, ExpiresAt: exp.Add(day), OriginalPrice: own}}, byMap), "another end date is another line")
	require.Nil(t, originalPriceOf(line, nil, nil))
}

// TestDetailsShowTheMoney: the UI's current details carry the money table, totals and advice.
func TestDetailsShowTheMoney(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	refund := now.Add(5 * day)
	tr := &transfer{}
	tr.state.Status = csptransfer.TransferStatus{
		Stage: csptransfer.StageAwaitingExpiry, PlanVersion: 1, UpdatedAt: now,
		Lines: []csptransfer.Line{
			{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "E3", TargetCatalogItemID: "P:1", Quantity: 10, OriginalExpiresAt: now.Add(30 * day)},
				Progress: csptransfer.LineProgress{Ordered: true, RefundableUntil: &refund,
					Price:   &csptransfer.LinePrice{Currency: "EUR", UnitPrice: 36.5, TermPrice: 4380, BillingCycle: "monthly", TermDuration: "P1Y"},
					Overlap: &csptransfer.Overlap{Days: 30, NewCost: &csptransfer.Money{Amount: 360, Currency: "EUR"}}}},
			{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "SPB", TargetCatalogItemID: "P:2", Quantity: 5, Method: csptransfer.MethodTransfer, Overlap: &csptransfer.Overlap{}}},
		},
		Money: &csptransfer.MoneyView{Totals: []csptransfer.MoneyTotal{{Currency: "EUR", Term: 4380, Spent: 4380, OverlapDays: 30, OverlapNew: 360, OriginalUnknown: 1, Refundable: 300}},
			Advice: []string{"the shortest safe lead time is 3d"}},
	}
	d := tr.details()
	require.Contains(t, d, "| E3 | 36.50 EUR per seat monthly | 4,380.00 EUR for P1Y | 30 days | 360.00 EUR / unknown | 2026-03-06 00:00 UTC |")
	require.Contains(t, d, "| SPB | transfer: nothing bought | the original's | 0 days | — | — |")
	require.Contains(t, d, "- **EUR:** 4,380.00 for the new terms (4,380.00 bought so far); overlap 30 days: 360.00 on the new side (original price unknown for 1 line(s)); refundable now ≈ 300.00")
	require.Contains(t, d, "- the shortest safe lead time is 3d\n")
	require.True(t, strings.HasSuffix(d, "\u00a0\n\n\u00a0\n"))
}

// TestPurchasesAreCountedInPrometheus: the overlap days and the amounts bought reach the worker's metrics,
// by currency.
func TestPurchasesAreCountedInPrometheus(t *testing.T) {
	m, err := metrics.New(zap.NewNop())
	require.NoError(t, err)
	suite := &testsuite.WorkflowTestSuite{}
	suite.SetMetricsHandler(m.SDKHandler())
	h := newHarnessOf(t, suite)
	h.acceptAfter(time.Hour)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	require.Regexp(t, `(?m)^csp_transfer_overlap_days_total 59$`, body, "bought an hour after the start, 59 whole days before the original ends")
	require.Regexp(t, `(?m)^csp_transfer_committed_cents_total\{[^}]*currency="EUR"[^}]*\} 600000$`, body, "6,000 EUR for the term")
	require.Regexp(t, `(?m)^csp_transfer_overlap_cost_cents_total\{[^}]*currency="EUR"[^}]*\} 96986$`, body, "6000 × 59 / 365 = 969.86 EUR")
}

// TestApprovingARemadePlanIsStaleEvenWhilePricing: a plan remade since it was shown is still being priced
// (Planning); approving the old version is answered "stale", not "wrong stage".
func TestApprovingARemadePlanIsStaleEvenWhilePricing(t *testing.T) {
	tr := &transfer{}
	tr.state.Status = csptransfer.TransferStatus{Stage: csptransfer.StagePlanning, PlanVersion: 2}
	require.ErrorContains(t, tr.validateApprovePlan(nil, csptransfer.ApprovePlan{PlanVersion: 1}), "planVersion 1 is stale: the current plan is version 2")
	require.ErrorContains(t, tr.validateApprovePlan(nil, csptransfer.ApprovePlan{PlanVersion: 2}), "in stage Planning, not AwaitingApproval")
}
