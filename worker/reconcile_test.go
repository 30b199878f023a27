package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
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
