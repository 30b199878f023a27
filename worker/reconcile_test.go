package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/trigger"
)

// waitListed waits until visibility lists the transfer as awaiting acceptance, as the reconciler sees it.
func waitListed(t *testing.T, c client.Client, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: csptransfer.AwaitingAcceptanceQuery() + " AND WorkflowId = '" + id + "'"})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 30*time.Second, 100*time.Millisecond, "visibility never listed %s as awaiting acceptance", id)
}

// reconcileOnce runs one reconciliation, as the schedule would, and returns its report and run.
func reconcileOnce(t *testing.T, c client.Client) (csptransfer.ReconcileReport, client.WorkflowRun) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: csptransfer.ReconcileWorkflowID + "-" + uuid.NewString(), TaskQueue: csptransfer.TaskQueue,
	}, csptransfer.ReconcileWorkflowType, csptransfer.ReconcileInput{})
	require.NoError(t, err)
	var rep csptransfer.ReconcileReport
	require.NoError(t, run.Get(ctx, &rep))
	return rep, run
}

// TestReconcileCatchesALostAcceptance: with no webhook delivered, the reconciler finds the customer's
// acceptance in Partner Center and signals the transfer, which then verifies it and moves on.
func TestReconcileCatchesALostAcceptance(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	tenant, domain := newDemoCustomer(t, sb, "reconcile", time.Now().Add(time.Hour).UTC(), false)
	id, _ := startTransfer(t, c, csptransfer.TransferRequest{CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR"})
	waitFor(t, c, id, "the invitation", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingAcceptance })
	waitListed(t, c, id)

	rep, _ := reconcileOnce(t, c)
	require.NotContains(t, rep.Signalled, id, "not accepted yet: %+v", rep)
	require.Empty(t, rep.Errors)

	require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	rep, run := reconcileOnce(t, c)
	require.Equal(t, []string{id}, rep.Signalled, "%+v", rep)
	require.Empty(t, rep.Errors)
	waitFor(t, c, id, "the transfer to move past acceptance", func(s csptransfer.TransferStatus) bool {
		return s.Stage != csptransfer.StageAwaitingAcceptance
	})
	checkHistory(t, c, run.GetID(), run.GetRunID(), "reconcile-lost-acceptance")
}

// reconcilerSignals counts the relationship-accepted signals the reconciler sent a transfer.
func reconcilerSignals(t *testing.T, c client.Client, id string) int {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		a := ev.GetWorkflowExecutionSignaledEventAttributes()
		if a == nil || a.GetSignalName() != csptransfer.SignalRelationshipAccepted || len(a.GetInput().GetPayloads()) != 1 {
			continue
		}
		var sig csptransfer.RelationshipAccepted
		require.NoError(t, json.Unmarshal(a.GetInput().GetPayloads()[0].GetData(), &sig))
		if sig.Source == csptransfer.ReconcileSource {
			n++
		}
	}
	return n
}

// scheduledReconcile triggers the reconciliation schedule once and returns the run's report, once the
// schedule has seen the run complete (so the next trigger hands it on, and is not skipped as overlapping).
func scheduledReconcile(t *testing.T, c client.Client) (csptransfer.ReconcileReport, client.WorkflowRun) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := c.ScheduleClient().GetHandle(ctx, csptransfer.ReconcileScheduleID)
	before, err := h.Describe(ctx)
	require.NoError(t, err)
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var started *client.ScheduleWorkflowExecution
	require.Eventually(t, func() bool {
		d, err := h.Describe(ctx)
		require.NoError(t, err)
		if d.Info.NumActions == before.Info.NumActions || len(d.Info.RunningWorkflows) > 0 {
			return false
		}
		started = d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult
		return true
	}, 30*time.Second, 100*time.Millisecond, "the schedule never ran the reconciliation to its end")
	run := c.GetWorkflow(ctx, started.WorkflowID, started.FirstExecutionRunID)
	var rep csptransfer.ReconcileReport
	require.NoError(t, run.Get(ctx, &rep))
	return rep, run
}

// TestReconcileScheduleSignalsOnlyWhatChanged drives the real reconciliation schedule on a real server: a
// customer who accepts the reseller relationship but not yet admin access is signalled once, not every
// run (the schedule hands each run the previous report); approving admin access signals it once more and
// the transfer moves on. A run with nothing new costs one customer listing and one admin-relationship
// listing for the partner tenant, and no call, query or activity per transfer.
func TestReconcileScheduleSignalsOnlyWhatChanged(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	ctx := context.Background()
	// An interval long enough that only the test's triggers run it.
	_, err := trigger.EnsureSchedule(ctx, c, time.Hour)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.ScheduleClient().GetHandle(ctx, csptransfer.ReconcileScheduleID).Delete(ctx) })

	tenant, domain := newDemoCustomer(t, sb, "reconcile-gdap", time.Now().Add(time.Hour).UTC(), false)
	id, _ := startTransfer(t, c, csptransfer.TransferRequest{CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", RequestAdminAccess: true})
	st := waitFor(t, c, id, "the invitation", func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.AdminRelationshipID != ""
	})
	waitListed(t, c, id)

	rep, _ := scheduledReconcile(t, c)
	require.Empty(t, rep.Signalled, "nobody accepted yet: %+v", rep)
	require.Equal(t, 1, rep.PartnerTenants)

	require.NoError(t, sb.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	rep, _ = scheduledReconcile(t, c)
	require.Equal(t, []string{id}, rep.Signalled, "%+v", rep)
	waitFor(t, c, id, "the acceptance to be verified", func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.InvitationURL == "" // the link has done its job
	})

	require.NoError(t, sb.ResetCalls(ctx))
	rep, _ = scheduledReconcile(t, c)
	require.Empty(t, rep.Signalled, "still waiting for admin access: not signalled again (%+v)", rep)
	require.Equal(t, []csptransfer.AcceptedTransfer{{WorkflowID: id, CustomerTenantID: tenant}}, rep.Accepted)
	calls, err := sb.Calls(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(1), calls.PartnerCenter, "one customer listing: %+v", calls)
	require.Equal(t, int64(1), calls.Graph, "one admin-relationship listing: %+v", calls)

	require.NoError(t, sb.ApproveGDAP(ctx, st.AdminRelationshipID))
	rep, run := scheduledReconcile(t, c)
	require.Equal(t, []string{id}, rep.Signalled, "admin access newly approved: %+v", rep)
	waitFor(t, c, id, "the transfer to move past acceptance", func(s csptransfer.TransferStatus) bool {
		return s.Stage != csptransfer.StageAwaitingAcceptance
	})
	require.Equal(t, 2, reconcilerSignals(t, c, id), "signalled when the customer appeared and when admin access was approved, never in between")
	checkHistory(t, c, run.GetID(), run.GetRunID(), "reconcile-admin-approved")
}
