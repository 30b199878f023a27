package workflows

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// TestAwaitingSaysWhatAndTheNextAct: what the transfer waits for and the next thing it does are told apart,
// and Until (CspNextActionAt) is that next act, not a deadline far away.
func TestAwaitingSaysWhatAndTheNextAct(t *testing.T) {
	h := newHarness(t)
	start := h.env.Now().UTC()
	var inviting, expiring csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() { inviting = h.status() }, time.Hour)
	h.acceptAfter(2 * day)
	h.env.RegisterDelayedCallback(func() { expiring = h.status() }, 10*day)
	h.run()
	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)

	require.Equal(t, csptransfer.StageAwaitingAcceptance, inviting.Stage)
	require.Contains(t, inviting.Awaiting.What, "the customer to accept the reseller relationship (invitation valid until "+start.Add(30*day).Format("2006-01-02"))
	require.Equal(t, "remind the customer", inviting.Awaiting.Next)
	require.WithinDuration(t, start.Add(3*day), *inviting.Awaiting.Until, time.Minute, "the next reminder, not the invitation's end")

	require.Equal(t, csptransfer.StageAwaitingExpiry, expiring.Stage)
	require.Equal(t, "the originals to end: ENTERPRISEPACK on "+h.expiry.Format("2006-01-02"), expiring.Awaiting.What)
	require.Equal(t, "the renewal reminder for ENTERPRISEPACK", expiring.Awaiting.Next)
	require.WithinDuration(t, h.expiry.Add(-14*day), *expiring.Awaiting.Until, time.Minute)
}

// TestAgreementIsRecheckedSoonThenLessOften: a customer who signs the agreement in the admin center is
// noticed within minutes at first; the checks then space out to 12 hours.
func TestAgreementIsRecheckedSoonThenLessOften(t *testing.T) {
	h := newHarness(t)
	h.acceptAfter(time.Hour)
	var checks []time.Time
	signedAt := time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC)
	h.env.OnActivity(a.EnsureAgreement, mock.Anything, mock.Anything).Return(func(context.Context, activities.EnsureAgreementInput) (activities.EnsureAgreementResult, error) {
		now := h.env.Now().UTC()
		checks = append(checks, now)
		return activities.EnsureAgreementResult{Accepted: !now.Before(signedAt)}, nil
	})
	var waiting csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() { waiting = h.status() }, 90*time.Minute)
	h.run()

	require.Equal(t, csptransfer.StageCompleted, h.report().Outcome)
	require.Equal(t, csptransfer.StageCheckingAgreement, waiting.Stage)
	require.Equal(t, "check Partner Center for the customer's acceptance again", waiting.Awaiting.Next)
	require.GreaterOrEqual(t, len(checks), 3)
	require.Equal(t, 15*time.Minute, checks[1].Sub(checks[0]), "first re-check after 15 minutes")
	require.Equal(t, 30*time.Minute, checks[2].Sub(checks[1]))
	for i := 2; i < len(checks); i++ {
		require.LessOrEqual(t, checks[i].Sub(checks[i-1]), 12*time.Hour)
	}
	require.Less(t, len(checks), 16, "about 8 checks to reach 12 hours, then two a day")
	require.Contains(t, timelineText(h.report().Timeline), "the customer accepted the Microsoft Customer Agreement")
}

// TestDetailsShowTheWholePlanAndItsNotes: the UI's current details end every table row, and list the
// notes that matter (risks first), two per line at most.
func TestDetailsShowTheWholePlanAndItsNotes(t *testing.T) {
	until := time.Date(2027, 1, 17, 0, 0, 0, 0, time.UTC)
	tr := &transfer{}
	tr.state.Status = csptransfer.TransferStatus{
		Stage: csptransfer.StageAwaitingExpiry, PlanVersion: 2,
		Awaiting: &csptransfer.AwaitedThing{What: "the originals to end: E4 on 2027-01-31", Until: &until, Next: "the renewal reminder for E4"},
		Lines: []csptransfer.Line{
			{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "E4", TargetCatalogItemID: "P:1", Quantity: 4, Notes: []string{"data-loss risk: the target lacks TEAMS1", "second", "third"}}},
			{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "SPB", TargetCatalogItemID: "P:2", Quantity: 10, Method: csptransfer.MethodTransfer}, Progress: csptransfer.LineProgress{Transferred: true}},
		},
	}
	d := tr.details()
	require.Contains(t, d, "**Next:** the renewal reminder for E4 at 2027-01-17T00:00:00Z")
	require.Contains(t, d, "| E4 | buy | P:1 | 4 |")
	require.Contains(t, d, "| SPB | transferred | P:2 | 10 |")
	require.Contains(t, d, "- E4: data-loss risk: the target lacks TEAMS1\n- E4: second\n")
	require.NotContains(t, d, "third")
	require.Contains(t, d, "|\n\n**Notes**", "a blank line ends the table before anything follows")
	// The UI sizes the details frame a little short: blank paragraphs at the end take the cut, not the
	// last row or note.
	require.True(t, strings.HasSuffix(d, "\u00a0\n\n\u00a0\n"), "details end with two blank paragraphs: %q", d[max(0, len(d)-40):])
}

// TestAgreementSignalAfterA13605PurchaseBuysAgain: Partner Center refused the purchase because the customer
// agreement is missing; the operator's agreement-accepted (with the partner's attestation) is acted on at
// once and the line is bought.
func TestAgreementSignalAfterA13605PurchaseBuysAgain(t *testing.T) {
	h := newHarness(t)
	h.acceptAfter(time.Hour)
	carts, checkouts := 0, 0
	h.env.OnActivity(a.CreateCart, mock.Anything, mock.Anything).Return(func(context.Context, activities.CreateCartInput) (activities.CreateCartResult, error) {
		carts++
		return h.cart(fmt.Sprintf("cart-%d", carts)), nil
	})
	h.env.OnActivity(a.Checkout, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CheckoutInput) (activities.CheckoutResult, error) {
		checkouts++
		if checkouts == 1 {
			// The quote cart is checked out, and Partner Center refuses the order.
			return activities.CheckoutResult{}, temporal.NewNonRetryableApplicationError("13605 agreement missing", activities.ErrTypeAgreementMissing, nil)
		}
		return h.checkout(in), nil
	})
	var attested []bool
	h.env.OnActivity(a.EnsureAgreement, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EnsureAgreementInput) (activities.EnsureAgreementResult, error) {
		attested = append(attested, in.Attestation != nil)
		return activities.EnsureAgreementResult{Accepted: true}, nil
	})
	var blocked csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() {
		blocked = h.status()
		h.env.SignalWorkflow(csptransfer.SignalAgreementAccepted, csptransfer.AgreementAccepted{CustomerTenantID: customerID, Source: "operator",
			Attestation: &csptransfer.Attestation{FirstName: "Jana", LastName: "Novak", Email: "jana@contoso.example"}})
	}, 2*day)
	h.run()

	require.Contains(t, blocked.Lines[0].Progress.Error, "send agreement-accepted (starter agreement")
	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.True(t, rep.Lines[0].Progress.Ordered)
	require.Equal(t, 2, carts, "the quote cart, checked out and refused; then a new cart")
	require.Equal(t, []bool{false, true}, attested, "checked at the stage, then attested after the refusal")
	require.Contains(t, timelineText(rep.Timeline), "the lines it held are bought again")
}

// TestMappingWinsOverARequestOverrideInAnotherCase: the operator's mapping replaces the request's override
// of the same SKU spelled differently, and the plan's note keeps the SKU's spelling.
func TestMappingWinsOverARequestOverrideInAnotherCase(t *testing.T) {
	h := newHarness(t)
	h.req.OfferOverrides = map[string]string{"ENTERPRISEPACK": newItem}
	h.acceptAfter(time.Hour)
	var res csptransfer.SetOfferMappingResult
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(csptransfer.UpdateSetOfferMapping, "map", &testUpdate{onComplete: func(v any, err error) {
			require.NoError(t, err)
		}}, csptransfer.SetOfferMapping{SourceSku: "enterprisepack", TargetCatalogItemID: e3Item})
	}, 2*day)
	h.env.RegisterDelayedCallback(func() {
		st := h.status()
		res.PlanVersion = st.PlanVersion
		h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, "approve", &testUpdate{}, csptransfer.ApprovePlan{PlanVersion: st.PlanVersion})
	}, 3*day)
	h.run()

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, 2, res.PlanVersion, "one re-plan, no loop")
	require.Equal(t, e3Item, rep.Lines[0].TargetCatalogItemID)
	require.Contains(t, rep.Lines[0].Notes[0], `operator override "ENTERPRISEPACK" chooses`)
}
