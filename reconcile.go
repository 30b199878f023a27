package csptransfer

import "fmt"

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
