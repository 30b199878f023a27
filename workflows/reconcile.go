package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// reconcileParallelism bounds how many transfers are checked at once, to stay well inside Partner
// Center's rate limits.
const reconcileParallelism = 8

// changeReconcilePerPartner: a run asks Partner Center once per partner tenant, from the transfers'
// search attributes, and signals only the transfers whose customer newly appears (or newly approved admin
// access) since the previous run; before it, a run queried every waiting transfer and checked each.
const changeReconcilePerPartner = "reconcile-per-partner"

// Reconcile finds the open transfers waiting for the customer's acceptance whose acceptance Partner Center
// now shows, and signals relationship-accepted (source "reconciler") to them; the transfer verifies it
// itself. It is started by a Temporal Schedule, which hands each run the previous run's report, so a
// transfer still waiting for admin access after its signal is not signalled again every run. A partner
// tenant that cannot be asked does not stop the others.
func Reconcile(ctx workflow.Context, in csptransfer.ReconcileInput) (csptransfer.ReconcileReport, error) {
	if workflow.GetVersion(ctx, changeReconcilePerPartner, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return reconcileEach(ctx, in)
	}
	var rec *activities.Reconciler
	var found activities.FindAcceptancesResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    activities.HeartbeatTimeout,
		Summary:             "Find acceptances in Partner Center",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 5, NonRetryableErrorTypes: nonRetryable},
	}), rec.FindAcceptances, activities.FindAcceptancesInput{
		Query: csptransfer.AwaitingAcceptanceQuery(), Limit: in.MaxTransfers,
	}).Get(ctx, &found)
	if err != nil {
		return csptransfer.ReconcileReport{}, err
	}
	previous := map[string]csptransfer.AcceptedTransfer{}
	if workflow.HasLastCompletionResult(ctx) {
		var last csptransfer.ReconcileReport
		// A previous report that no longer decodes only means signalling everyone found once more.
		if err := workflow.GetLastCompletionResult(ctx, &last); err == nil {
			for _, a := range last.Accepted {
				previous[a.WorkflowID] = a
			}
		}
	}
	rep := csptransfer.ReconcileReport{
		Checked: found.Waiting, Truncated: found.Truncated, Errors: found.Errors, PartnerTenants: found.PartnerTenants,
	}
	var signalled []csptransfer.AcceptedTransfer
	var signals []workflow.Future
	for _, a := range found.Accepted {
		was, ok := previous[a.WorkflowID]
		if !csptransfer.NewlyAccepted(was, ok, a) {
			rep.Accepted = append(rep.Accepted, a)
			continue
		}
		signalled = append(signalled, a)
		signals = append(signals, workflow.SignalExternalWorkflow(ctx, a.WorkflowID, "", csptransfer.SignalRelationshipAccepted,
			csptransfer.RelationshipAccepted{CustomerTenantID: a.CustomerTenantID, Source: csptransfer.ReconcileSource}))
	}
	for i, f := range signals {
		a := signalled[i]
		switch err := f.Get(ctx, nil); {
		case err == nil:
			rep.Signalled = append(rep.Signalled, a.WorkflowID)
			rep.Accepted = append(rep.Accepted, a)
		case isClosed(err):
			// It moved on or ended between the listing and the signal: nothing to do.
		default:
			// Not remembered, so the next run signals it again.
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: signal: %v", a.WorkflowID, err))
		}
	}
	workflow.GetLogger(ctx).Info("reconciled transfers awaiting acceptance", "checked", rep.Checked,
		"partnerTenants", rep.PartnerTenants, "accepted", len(rep.Accepted), "signalled", len(rep.Signalled), "errors", len(rep.Errors))
	return rep, nil
}

// isClosed reports a signal to a transfer that no longer runs.
func isClosed(err error) bool {
	var gone *temporal.UnknownExternalWorkflowExecutionError
	return errors.As(err, &gone)
}

// reconcileEach is Reconcile before changeReconcilePerPartner: one query and one Partner Center check per
// waiting transfer.
func reconcileEach(ctx workflow.Context, in csptransfer.ReconcileInput) (csptransfer.ReconcileReport, error) {
	var rec *activities.Reconciler
	listCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             "List transfers awaiting acceptance",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 5, NonRetryableErrorTypes: nonRetryable},
	})
	var list activities.ListTransfersResult
	if err := workflow.ExecuteActivity(listCtx, rec.ListTransfers, activities.ListTransfersInput{
		Query: csptransfer.AwaitingAcceptanceQuery(), Limit: in.MaxTransfers,
	}).Get(ctx, &list); err != nil {
		return csptransfer.ReconcileReport{}, err
	}
	rep := csptransfer.ReconcileReport{Truncated: list.Truncated}
	checkCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             "Verify the relationship with Partner Center",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 3, NonRetryableErrorTypes: nonRetryable},
	})
	for start := 0; start < len(list.WorkflowIDs); start += reconcileParallelism {
		batch := list.WorkflowIDs[start:min(start+reconcileParallelism, len(list.WorkflowIDs))]
		futures := make([]workflow.Future, len(batch))
		for i, id := range batch {
			futures[i] = workflow.ExecuteActivity(checkCtx, rec.ReconcileTransfer, activities.ReconcileTransferInput{WorkflowID: id})
		}
		for i, f := range futures {
			var res activities.ReconcileTransferResult
			rep.Checked++
			if err := f.Get(ctx, &res); err != nil {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", batch[i], err))
				continue
			}
			if res.Signalled {
				rep.Signalled = append(rep.Signalled, batch[i])
			}
		}
	}
	workflow.GetLogger(ctx).Info("reconciled transfers awaiting acceptance",
		"checked", rep.Checked, "signalled", len(rep.Signalled), "errors", len(rep.Errors))
	return rep, nil
}
