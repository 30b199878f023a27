package workflows

import (
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

// Reconcile lists the open transfers waiting for the customer's acceptance, asks Partner Center for each
// whether the relationship now exists, and signals relationship-accepted (source "reconciler") to those
// that may move on. One transfer that cannot be checked does not stop the others.
func Reconcile(ctx workflow.Context, in csptransfer.ReconcileInput) (csptransfer.ReconcileReport, error) {
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
