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

// ReconcileReport is the result of a Reconcile run. The schedule hands it to the next run (Temporal's last
// completion result), which signals only what changed since: Accepted is that memory.
type ReconcileReport struct {
	// Checked counts the transfers looked at.
	Checked int `json:"checked"`
	// Signalled lists the transfers told to move on.
	Signalled []string `json:"signalled,omitempty"`
	// Accepted lists the waiting transfers whose customer has accepted the reseller relationship, as this
	// run found them and signalled them (now or in an earlier run). A transfer listed here is signalled
	// again only when its customer approves admin access it had not approved before.
	Accepted []AcceptedTransfer `json:"accepted,omitempty"`
	// PartnerTenants counts the partner tenants asked: one customer listing each (and one listing of
	// active admin relationships when a customer had accepted), whatever the number of transfers.
	PartnerTenants int `json:"partnerTenants,omitempty"`
	// Truncated is set when more transfers waited than MaxTransfers; the next run sees the rest.
	Truncated bool `json:"truncated,omitempty"`
	// Errors names the transfers that could not be checked and why; the next run tries again.
	Errors []string `json:"errors,omitempty"`
}

// AcceptedTransfer is a transfer still waiting for acceptance whose customer appears among the partner
// tenant's customers as its reseller.
type AcceptedTransfer struct {
	WorkflowID       string `json:"workflowId"`
	CustomerTenantID string `json:"customerTenantId"`
	// AdminRelationships are the ids of the customer's active GDAP relationships with the partner tenant,
	// sorted.
	AdminRelationships []string `json:"adminRelationships,omitempty"`
}

// NewlyAccepted reports whether a reconciliation should signal the transfer now, given what the previous
// run found (was, ok false when it did not list the transfer): a customer that newly appears, or one that
// has since approved admin access. A signal only prompts the transfer to verify, so the worst a wrong
// answer costs is one signal; a transfer awaiting admin access is not signalled every run.
func NewlyAccepted(was AcceptedTransfer, ok bool, now AcceptedTransfer) bool {
	if !ok || was.CustomerTenantID != now.CustomerTenantID {
		return true
	}
	known := make(map[string]bool, len(was.AdminRelationships))
	for _, id := range was.AdminRelationships {
		known[id] = true
	}
	for _, id := range now.AdminRelationships {
		if !known[id] {
			return true
		}
	}
	return false
}
