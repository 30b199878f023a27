package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer/activities"
)

// The reconciler's wire names. A Temporal Schedule starts the Reconcile workflow periodically; it catches
// acceptances whose webhook was lost, long before a transfer's own slow polling would.
const (
	// ReconcileWorkflowType is the registered name of the Reconcile workflow.
	ReconcileWorkflowType = "CSPReconcile"
	// ReconcileScheduleID is the Temporal Schedule that starts Reconcile.
	ReconcileScheduleID = "csp-transfer-reconcile"
	// ReconcileWorkflowID is the ID of the runs the schedule starts (Temporal appends the start time). It
	// does not start with the transfers' prefix, so it is never mistaken for a customer's transfer.
	ReconcileWorkflowID = "csp-reconcile"
	// ReconcileSource is the source named in the signals the reconciler sends.
	ReconcileSource = "reconciler"
)

// reconcileParallelism bounds how many transfers are checked at once, to stay well inside Partner
// Center's rate limits.
const reconcileParallelism = 8

// AwaitingAcceptanceQuery is the visibility query for open transfers waiting for the customer.
func AwaitingAcceptanceQuery() string {
	return fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s = '%s'",
		WorkflowType, SearchAttributeStage.GetName(), StageAwaitingAcceptance)
}

// ReconcileInput configures one reconciliation run.
type ReconcileInput struct {
	// MaxTransfers caps the transfers checked in one run. Optional; default and maximum 1000.
	MaxTransfers int `json:"maxTransfers,omitempty"`
}

// ReconcileReport is the result of a Reconcile run.
type ReconcileReport struct {
	// Checked counts the transfers looked at.
	Checked int `json:"checked"`
	// Signalled lists the transfers told to move on.
	Signalled []string `json:"signalled,omitempty"`
	// Truncated is set when more transfers waited than MaxTransfers; the next run sees the rest.
	Truncated bool `json:"truncated,omitempty"`
	// Errors names the transfers that could not be checked and why; the next run tries again.
	Errors []string `json:"errors,omitempty"`
}

// Reconcile lists the open transfers waiting for the customer's acceptance, asks Partner Center for each
// whether the relationship now exists, and signals relationship-accepted (source "reconciler") to those
// that may move on. One transfer that cannot be checked does not stop the others.
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileReport, error) {
	var rec *activities.Reconciler
	listCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             "List transfers awaiting acceptance",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 5, NonRetryableErrorTypes: nonRetryable},
	})
	var list activities.ListTransfersResult
	if err := workflow.ExecuteActivity(listCtx, rec.ListTransfers, activities.ListTransfersInput{
		Query: AwaitingAcceptanceQuery(), Limit: in.MaxTransfers,
	}).Get(ctx, &list); err != nil {
		return ReconcileReport{}, err
	}
	rep := ReconcileReport{Truncated: list.Truncated}
	checkCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             "Verify the relationship with Partner Center",
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumAttempts: 3, NonRetryableErrorTypes: nonRetryable},
	})
	for start := 0; start < len(list.WorkflowIDs); start += reconcileParallelism {
		batch := list.WorkflowIDs[start:min(start+reconcileParallelism, len(list.WorkflowIDs))]
		futures := make([]workflow.Future, len(batch))
		for i, id := range batch {
			futures[i] = workflow.ExecuteActivity(checkCtx, rec.ReconcileTransfer, activities.ReconcileTransferInput{
				WorkflowID: id, StatusQuery: QueryStatus, AwaitingStage: string(StageAwaitingAcceptance),
				Signal: SignalRelationshipAccepted, Source: ReconcileSource,
			})
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
