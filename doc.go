// Package csptransfer is the wire contract of a customer's transfer into this partner's CSP channel: what
// operators, the Temporal UI, the CLI, the trigger service, the workflows and the activities all agree on.
//
// It holds the workflow, task queue, query, signal, update and search attribute names; the workflow-ID
// scheme (one open transfer per customer tenant) and the MS-RequestId scheme; the TransferRequest a
// transfer starts from, with its defaults and its validation; the TransferStatus and TransferReport it
// answers with; the payloads of its signals and updates; and the stages, in order:
//
//	Validating, CheckingRegion, Inviting, AwaitingAcceptance, CheckingAgreement, Discovering,
//	Planning, AwaitingApproval, Provisioning, ReassigningLicenses, AwaitingExpiry,
//	then Completed, Failed or Aborted.
//
// The JSON shapes here are stored in workflow histories and sent by the UI, the CLI and CRMs: fields may be
// added, never renamed or retyped. The package sits at the bottom of the import graph: it imports no other
// package of this module, and nothing re-declares what it defines.
package csptransfer
