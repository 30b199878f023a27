// Package workflows holds the CSPTransfer workflow (Transfer), the reconciliation workflow (Reconcile)
// and the pure offer planning (Plan) they rely on. Their wire contract is package csptransfer.
//
// Transfer walks one customer through the stages in order: Validating, CheckingRegion, Inviting,
// AwaitingAcceptance, CheckingAgreement, Discovering, Planning (and AwaitingApproval when the plan needs an
// operator), then fulfil takes every line through Provisioning, ReassigningLicenses and AwaitingExpiry
// in time order, to Completed; any step may end in Failed, an abort in Aborted. transfer.run shows the
// loop; stages.go and fulfil.go hold one method per step.
//
// Everything here runs as workflow code: deterministic (workflowcheck runs in CI), with time from
// workflow.Now, waits on durable timers and no I/O; every side effect is an activity. A change that alters
// the commands a transfer issues goes behind workflow.GetVersion, and the histories in testdata, recorded
// from real runs before each change, must keep replaying.
package workflows
