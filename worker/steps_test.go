package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// startWorkerContinuingEarly is startWorker on a server that suggests continue-as-new after a few dozen
// events, so one transfer runs through several runs.
func startWorkerContinuingEarly(t *testing.T) (client.Client, string) {
	t.Helper()
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{
		SearchAttributes: sas,
		DynamicConfig:    map[string]string{"limit.historyCount.suggestContinueAsNew": "40"},
	})
	m := startWorkerOn(t, srv.FrontendHostPort())
	return srv.Client(), m.SandboxURL
}

func update(t *testing.T, c client.Client, id, name string, arg any) {
	t.Helper()
	h, err := c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg}})
	require.NoError(t, err)
	require.NoError(t, h.Get(context.Background(), nil))
}

func sendSignal(t *testing.T, c client.Client, id, name string, arg any) {
	t.Helper()
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", name, arg))
}

// runIDs lists every run of a workflow ID, oldest first.
func runIDs(t *testing.T, c client.Client, id string) []string {
	t.Helper()
	var ids []string
	var token []byte
	for {
		page, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: "WorkflowId = '" + id + "'", NextPageToken: token,
		})
		require.NoError(t, err)
		for _, e := range page.GetExecutions() {
			ids = append([]string{e.GetExecution().GetRunId()}, ids...)
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			return ids
		}
	}
}

// TestTransferContinuesAsNewThroughOperatorSteps drives one transfer through every operator step on a
// server that makes it continue as new again and again: an early (unverified) acceptance, the GDAP
// approval signal, the plan's approval, the license move, and a skipped expiry wait. Every run replays, and every run is kept as a golden history.
func TestTransferContinuesAsNewThroughOperatorSteps(t *testing.T) {
	c, sbURL := startWorkerContinuingEarly(t)
	sb := sandbox.AdminClient{BaseURL: sbURL}
	expires := time.Now().Add(40 * time.Second).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, "steps", expires, false)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR",
		ContactEmail: "it@" + domain, RequestAdminAccess: true, ReminderEvery: csptransfer.Duration(time.Hour),
	})

	st := waitFor(t, c, id, "the invitation", func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.AdminRelationshipID != ""
	})
	sendSignal(t, c, id, csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"})
	waitFor(t, c, id, "the unverified acceptance", func(s csptransfer.TransferStatus) bool { return s.LastError != "" })
	require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	sendSignal(t, c, id, csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"})
	waitFor(t, c, id, "the verified acceptance", func(s csptransfer.TransferStatus) bool {
		for _, e := range s.Timeline {
			if e.Note == "reseller relationship verified in Partner Center" {
				return true
			}
		}
		return false
	})
	require.NoError(t, sb.ApproveGDAP(context.Background(), st.AdminRelationshipID))
	sendSignal(t, c, id, csptransfer.SignalAdminAccessApproved, csptransfer.AdminAccessApproved{CustomerTenantID: tenant, RelationshipID: st.AdminRelationshipID, Source: "test"})

	st = waitFor(t, c, id, "the plan", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingApproval })
	update(t, c, id, csptransfer.UpdateApprovePlan, csptransfer.ApprovePlan{PlanVersion: st.PlanVersion, Comment: "reviewed"})

	waitFor(t, c, id, "the expiry wait", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingExpiry })
	update(t, c, id, csptransfer.UpdateSkipExpiryWait, csptransfer.SkipExpiryWait{
		SourceSku: "STANDARDPACK", Acknowledgement: csptransfer.NoRefundAcknowledgement, Reason: "customer asked"})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)

	runs := runIDs(t, c, id)
	require.Greater(t, len(runs), 2, "the transfer continued as new")
	require.Equal(t, run.GetRunID(), runs[0])
	for i, r := range runs {
		checkHistory(t, c, id, r, "transfer-continued-run"+string(rune('a'+i)))
	}
}

// TestAbortAfterPurchaseCancelsRefundable aborts a transfer waiting for its originals' expiry twice in a
// row, the second time asking for refunds: the new subscriptions are cancelled inside their refund window.
func TestAbortAfterPurchaseCancelsRefundable(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, "abort", expires, true)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", Approval: csptransfer.ApprovalNever,
		Subscriptions: []csptransfer.OriginalSubscription{{SkuPartNumber: "STANDARDPACK", Quantity: 2, ExpiresAt: expires}},
	})
	sendSignal(t, c, id, csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"})
	waitFor(t, c, id, "the expiry wait", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingExpiry })

	sendSignal(t, c, id, csptransfer.SignalAbort, csptransfer.Abort{Reason: "customer withdrew"})
	sendSignal(t, c, id, csptransfer.SignalAbort, csptransfer.Abort{Reason: "customer withdrew", CancelRefundable: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageAborted, rep.Outcome)
	checkHistory(t, c, id, run.GetRunID(), "transfer-aborted-after-purchase")
}

// TestOfferMappingAndSkippedWait maps a retired offer to another target while the plan awaits approval,
// approves the new plan, and skips the expiry wait of every line once users are on the new subscriptions.
func TestOfferMappingAndSkippedWait(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, "mapping", expires, true)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR",
		Subscriptions: []csptransfer.OriginalSubscription{
			{SkuPartNumber: "ENTERPRISEWITHSCAL", Quantity: 4, ExpiresAt: expires},
			{SkuPartNumber: "STANDARDPACK", Quantity: 2, ExpiresAt: expires},
		},
	})
	sendSignal(t, c, id, csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"})
	st := waitFor(t, c, id, "the plan", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingApproval })
	update(t, c, id, csptransfer.UpdateSetOfferMapping, csptransfer.SetOfferMapping{SourceSku: "ENTERPRISEWITHSCAL", TargetCatalogItemID: "CFQ7TTC0LFK5:0002"})
	st = waitFor(t, c, id, "the new plan", func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingApproval && s.PlanVersion > st.PlanVersion
	})
	update(t, c, id, csptransfer.UpdateApprovePlan, csptransfer.ApprovePlan{PlanVersion: st.PlanVersion})
	waitFor(t, c, id, "the expiry wait", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingExpiry })
	update(t, c, id, csptransfer.UpdateSkipExpiryWait, csptransfer.SkipExpiryWait{Acknowledgement: csptransfer.NoRefundAcknowledgement})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)
	checkHistory(t, c, id, run.GetRunID(), "transfer-offer-mapping")
}
