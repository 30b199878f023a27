package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// customerLedger is the sandbox ledger's entry for one customer, with the ledger's violations for it.
func customerLedger(t *testing.T, sb sandbox.AdminClient, tenant string) (sandbox.CustomerLedger, []string) {
	t.Helper()
	ledger, err := sb.Ledger(context.Background())
	require.NoError(t, err)
	for _, c := range ledger.Customers {
		if c.TenantID == tenant {
			return c, violationsFor(ledger, tenant)
		}
	}
	t.Fatalf("customer %s is not in the ledger", tenant)
	return sandbox.CustomerLedger{}, nil
}

// acceptedSignal tells the transfer the customer accepted, as the webhook would.
func acceptedSignal(t *testing.T, c client.Client, id, tenant string) {
	t.Helper()
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalRelationshipAccepted,
		csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"}))
}

// historyLength counts a run's events, for the cost of a path.
func historyLength(t *testing.T, c client.Client, id, runID string) int {
	t.Helper()
	n := 0
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, 0)
	for it.HasNext() {
		_, err := it.Next()
		require.NoError(t, err)
		n++
	}
	return n
}

// TestPartnerTransferEndToEnd: a customer leaving another CSP partner, with one original that partner sells
// and one bought direct, through the real worker, clients and sandbox. The source partner accepts the
// transfer request; its line is verified under this partner with nothing bought, while the direct line is
// bought and its original awaited.
func TestPartnerTransferEndToEnd(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	tenant := uuid.NewString()
	domain := "p2p-" + tenant[:8] + ".onmicrosoft.com"
	termEnd := time.Now().AddDate(0, 7, 0).UTC().Truncate(time.Second)
	expires := time.Now().Add(20 * time.Second).UTC().Truncate(time.Second)
	require.NoError(t, sb.CreateCustomer(context.Background(), demo.PartnerCustomer(tenant, domain, termEnd, expires)))
	require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerUS}))
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "US", ContactEmail: "it@" + domain,
		SourcePartner: &csptransfer.SourcePartner{TenantID: sandbox.OtherCSP, Name: "Contoso Cloud Partners LLC", Email: "transfers@contoso-partners.example"},
	})

	acceptedSignal(t, c, id, tenant)
	st := waitFor(t, c, id, "the transfer request", func(s csptransfer.TransferStatus) bool { return s.PartnerTransfer != nil })
	pt := st.PartnerTransfer
	require.Equal(t, csptransfer.PartnerTransferPending, pt.Outcome)
	require.Equal(t, sandbox.OtherCSP, pt.SourcePartnerTenantID)
	require.NotNil(t, pt.ExpiresAt)
	views, err := sb.Transfers(context.Background(), tenant)
	require.NoError(t, err)
	require.Len(t, views, 1, "one request")
	require.Equal(t, pt.ID, views[0].ID)

	// The source partner accepts; Partner Center's webhook (here sent as the trigger service would) wakes it.
	require.NoError(t, sb.AcceptTransfer(context.Background(), tenant, pt.ID))
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalPartnerTransferUpdated,
		csptransfer.PartnerTransferUpdated{CustomerTenantID: tenant, TransferID: pt.ID, Event: "complete-transfer", Source: "test"}))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)
	for _, l := range rep.Lines {
		switch l.SourceSkuPartNumber {
		case "SPB":
			require.Equal(t, csptransfer.MethodTransfer, l.Method)
			require.True(t, l.Progress.Transferred)
			require.False(t, l.Progress.Ordered, "nothing bought for a transferred line")
			require.Equal(t, termEnd.Format("2006-01-02"), l.Progress.TermEndsAt.Format("2006-01-02"), "term end kept")
		case "STANDARDPACK":
			require.Equal(t, csptransfer.MethodBuy, l.Method)
			require.True(t, l.Progress.Provisioned)
			require.Equal(t, "expired", l.Progress.OriginalState)
		default:
			t.Fatalf("unexpected line %s", l.SourceSkuPartNumber)
		}
	}
	cl, violations := customerLedger(t, sb, tenant)
	require.Empty(t, violations)
	require.Equal(t, 1, cl.Transfers)
	require.Equal(t, 1, cl.LinesTransferred)
	require.Zero(t, cl.BoughtWhileTransferred)
	require.Equal(t, 1, cl.Orders)
	require.Zero(t, cl.DuplicatePurchases)
	require.Zero(t, cl.OriginalsCancelled)
	for _, o := range cl.Overlap {
		if o.Method == "transfer" {
			require.Zero(t, o.Days)
		}
	}
	t.Logf("ledger: transfers %d, lines transferred %d, bought while transferred %d, orders %d, overlap %+v; history %d events",
		cl.Transfers, cl.LinesTransferred, cl.BoughtWhileTransferred, cl.Orders, cl.Overlap, historyLength(t, c, id, run.GetRunID()))
	checkHistory(t, c, id, run.GetRunID(), "transfer-partner-complete")
}

// TestPartnerTransferExpiredFallsBackEndToEnd: a request the source partner lets expire; its line is bought
// and its original awaited, and the transfer completes. The source is read from Graph (no sourcePartner).
func TestPartnerTransferExpiredFallsBackEndToEnd(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	tenant := uuid.NewString()
	domain := "p2p-exp-" + tenant[:8] + ".onmicrosoft.com"
	expires := time.Now().Add(25 * time.Second).UTC().Truncate(time.Second)
	in := demo.PartnerCustomer(tenant, domain, expires, expires)
	in.Originals, in.Users = in.Originals[:1], in.Users[:2] // Business Premium only, sold by OtherCSP
	require.NoError(t, sb.CreateCustomer(context.Background(), in))
	require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerUS}))
	id, run := startTransfer(t, c, csptransfer.TransferRequest{CustomerTenantID: tenant, CustomerDomain: domain, Country: "US", ContactEmail: "it@" + domain})
	acceptedSignal(t, c, id, tenant)

	st := waitFor(t, c, id, "the transfer request", func(s csptransfer.TransferStatus) bool { return s.PartnerTransfer != nil })
	require.Equal(t, csptransfer.StageAwaitingPartnerTransfer, st.Stage)
	require.Contains(t, st.Awaiting.What, "to accept partner-to-partner transfer request "+st.PartnerTransfer.ID)
	require.NoError(t, sb.ExpireTransfer(context.Background(), tenant, st.PartnerTransfer.ID))
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalPartnerTransferUpdated,
		csptransfer.PartnerTransferUpdated{CustomerTenantID: tenant, Source: "test"}))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)
	require.Len(t, rep.Lines, 1)
	l := rep.Lines[0]
	require.Equal(t, csptransfer.MethodBuy, l.Method)
	require.Contains(t, l.MethodReason, "expired before the source partner accepted it")
	require.True(t, l.Progress.Provisioned)
	require.Equal(t, "expired", l.Progress.OriginalState)
	require.Equal(t, csptransfer.PartnerTransferExpired, rep.PartnerTransfer.Outcome)

	cl, violations := customerLedger(t, sb, tenant)
	require.Empty(t, violations)
	require.Zero(t, cl.LinesTransferred)
	require.Zero(t, cl.BoughtWhileTransferred)
	require.Equal(t, 1, cl.Orders)
	t.Logf("ledger: transfers %d, lines transferred %d, orders %d, overlap %+v; history %d events",
		cl.Transfers, cl.LinesTransferred, cl.Orders, cl.Overlap, historyLength(t, c, id, run.GetRunID()))
	checkHistory(t, c, id, run.GetRunID(), "transfer-partner-expired")
}
