package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// planFor starts a transfer of a new demo customer whose originals end in 40 days, has the customer accept,
// and returns the plan awaiting approval.
func planFor(t *testing.T, c client.Client, sb sandbox.AdminClient, prefix string, prov csptransfer.Provisioning) (string, string, client.WorkflowRun, csptransfer.TransferStatus) {
	t.Helper()
	expires := time.Now().Add(40 * 24 * time.Hour).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, prefix, expires, true)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", ContactEmail: "it@" + domain, RequestAdminAccess: true,
		Provisioning:   prov,
		OriginalPrices: map[string]csptransfer.Price{"STANDARDPACK": {Amount: 9.5, Currency: "EUR"}},
	})
	st := waitFor(t, c, id, "the GDAP request", func(s csptransfer.TransferStatus) bool { return s.AdminApprovalURL != "" })
	require.NoError(t, sb.ApproveGDAP(context.Background(), st.AdminRelationshipID))
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"}))
	st = waitFor(t, c, id, "the plan", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingApproval })
	return tenant, id, run, st
}

// TestMoneyViewEndToEnd: the plan an operator approves carries the sandbox's Partner Center prices, the
// overlap days and cost and the refund deadline; the overlap bought is the one the sandbox ledger counts;
// abort with refunds states what it expects back; beforeExpiry visibly shortens the overlap.
func TestMoneyViewEndToEnd(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}

	tenant, id, run, st := planFor(t, c, sb, "money", csptransfer.Provisioning{})
	require.NotNil(t, st.Money)
	require.Len(t, st.Money.Totals, 1)
	eur := st.Money.Totals[0]
	require.Equal(t, "EUR", eur.Currency, "a French customer is billed in euros")
	require.Positive(t, eur.Term)
	require.Positive(t, eur.OverlapNew)
	require.Positive(t, eur.OverlapOriginal, "the E1 original's price was given")
	require.Equal(t, 1, eur.OriginalUnknown, "the E4's was not")
	require.NotEmpty(t, st.Money.QuoteCartID)
	require.Contains(t, st.Money.Advice[0], "buying now costs")
	planned := map[string]int{}
	for _, l := range st.Lines {
		require.NotNil(t, l.Price, l.SourceSkuPartNumber)
		require.Equal(t, st.Money.QuoteCartID, l.Price.CartID)
		require.Equal(t, "P7D", l.Price.RefundWindow)
		require.NotNil(t, l.RefundBy)
		require.Contains(t, []int{39, 40}, l.Overlap.Days, l.SourceSkuPartNumber)
		planned[l.SourceSkuPartNumber] = l.Overlap.Days
	}

	h, err := c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: csptransfer.UpdateApprovePlan,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{csptransfer.ApprovePlan{PlanVersion: st.PlanVersion}}})
	require.NoError(t, err)
	require.NoError(t, h.Get(context.Background(), nil))
	st = waitFor(t, c, id, "the originals' end", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingExpiry })

	cl, _ := customerLedger(t, sb, tenant)
	require.Equal(t, 1, cl.Orders, "the quote cart was checked out: one order")
	for _, l := range st.Lines {
		p := l.Progress
		require.NotNil(t, p.Overlap, l.SourceSkuPartNumber)
		require.Equal(t, planned[l.SourceSkuPartNumber], p.Overlap.Days, "bought as planned")
		require.NotNil(t, p.RefundableUntil)
		require.True(t, p.RefundableUntil.After(time.Now()))
		var days []int
		for _, o := range cl.Overlap {
			if strings.EqualFold(o.SkuID, l.TargetSkuID) {
				days = append(days, o.Days)
			}
		}
		require.Equal(t, []int{p.Overlap.Days}, days, "the ledger's overlap days for %s equal the plan's", l.SourceSkuPartNumber)
	}
	require.Equal(t, st.Money.Totals[0].Term, st.Money.Totals[0].Spent)

	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalAbort, csptransfer.Abort{Reason: "test", CancelRefundable: true}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageAborted, rep.Outcome)
	require.Contains(t, rep.Reason, "expected back: ≈ ")
	require.Contains(t, rep.Reason, " EUR")
	require.Positive(t, rep.Money.Totals[0].Refunded)

	// beforeExpiry with a week's lead time: the same customer's plan overlaps a week, not 40 days.
	_, id2, _, st2 := planFor(t, c, sb, "money-lead", csptransfer.Provisioning{Mode: csptransfer.ProvisionBeforeExpiry, LeadTime: csptransfer.Duration(7 * 24 * time.Hour)})
	for _, l := range st2.Lines {
		require.Equal(t, 7, l.Overlap.Days, l.SourceSkuPartNumber)
	}
	require.Less(t, st2.Money.Totals[0].OverlapNew, eur.OverlapNew)
	require.NoError(t, c.SignalWorkflow(context.Background(), id2, "", csptransfer.SignalAbort, csptransfer.Abort{Reason: "test"}))
}
