package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
)

// Reconciler holds what the reconciliation activities use: a Temporal client for the visibility query,
// status queries and signals, and the partner tenants whose Partner Center is asked. It is separate from
// Activities because only the reconciler talks back to Temporal.
type Reconciler struct {
	// Optional: Client talks to Temporal. default: the worker's own client (activity.GetClient)
	Client   client.Client
	Partners []Partner
}

// maxListTransfers bounds one listing, so a run's history stays small whatever the backlog.
const maxListTransfers = 1000

// ListTransfersInput is a visibility query over transfers.
type ListTransfersInput struct {
	// Query is a Temporal list filter, e.g. `WorkflowType = 'CSPTransfer' AND CspStage = 'AwaitingAcceptance'`.
	Query string `json:"query"`
	// Limit caps the answer. Optional; default and maximum 1000.
	Limit int `json:"limit,omitempty"`
}

// ListTransfersResult lists matching transfers' workflow IDs.
type ListTransfersResult struct {
	WorkflowIDs []string `json:"workflowIds"`
	// Truncated is set when more transfers matched than Limit.
	Truncated bool `json:"truncated,omitempty"`
}

// ListTransfers runs a visibility query and returns the workflow IDs it finds, at most Limit.
func (r *Reconciler) ListTransfers(ctx context.Context, in ListTransfersInput) (ListTransfersResult, error) {
	if strings.TrimSpace(in.Query) == "" {
		return ListTransfersResult{}, temporal.NewNonRetryableApplicationError("query: required", ErrTypeInvalidInput, nil)
	}
	limit := in.Limit
	if limit <= 0 || limit > maxListTransfers {
		limit = maxListTransfers
	}
	c := r.client(ctx)
	var res ListTransfersResult
	var token []byte
	for {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: in.Query, PageSize: int32(min(limit, 100)), NextPageToken: token,
		})
		if err != nil {
			var bad *serviceerror.InvalidArgument
			if errors.As(err, &bad) {
				return ListTransfersResult{}, temporal.NewNonRetryableApplicationError("list transfers: "+bad.Error(), ErrTypeInvalidInput, err)
			}
			return ListTransfersResult{}, fmt.Errorf("list transfers: %w", err)
		}
		for _, e := range page.GetExecutions() {
			if len(res.WorkflowIDs) == limit {
				res.Truncated = true
				return res, nil
			}
			res.WorkflowIDs = append(res.WorkflowIDs, e.GetExecution().GetWorkflowId())
		}
		token = page.GetNextPageToken()
		if len(token) == 0 {
			return res, nil
		}
	}
}

// ReconcileTransferInput names one transfer to reconcile.
type ReconcileTransferInput struct {
	WorkflowID string `json:"workflowId"`
}

// ReconcileTransferResult says what was found and done.
type ReconcileTransferResult struct {
	WorkflowID        string `json:"workflowId"`
	Accepted          bool   `json:"accepted"`
	AdminAccessActive bool   `json:"adminAccessActive"`
	Signalled         bool   `json:"signalled"`
	// Skipped explains why nothing was checked, e.g. the transfer moved on or closed.
	Skipped string `json:"skipped,omitempty"`
}

// ReconcileTransfer asks Partner Center whether a transfer waiting for acceptance may move on, and signals
// it when it may: the reseller relationship exists and, when admin access was requested, the GDAP
// relationship is active. A transfer with the relationship but GDAP still pending is left alone: its own
// polling records the acceptance, and the GDAP webhook or a later reconciliation moves it on. The
// signal only prompts the workflow to verify the relationship itself, so a repeated signal is harmless.
func (r *Reconciler) ReconcileTransfer(ctx context.Context, in ReconcileTransferInput) (ReconcileTransferResult, error) {
	res := ReconcileTransferResult{WorkflowID: in.WorkflowID}
	if in.WorkflowID == "" {
		return res, temporal.NewNonRetryableApplicationError("workflowId: required", ErrTypeInvalidInput, nil)
	}
	c := r.client(ctx)
	v, err := c.QueryWorkflow(ctx, in.WorkflowID, "", csptransfer.QueryStatus)
	if err != nil {
		if isGone(err) {
			res.Skipped = "transfer not found or closed"
			return res, nil
		}
		return res, fmt.Errorf("query %s: %w", in.WorkflowID, err)
	}
	var facts csptransfer.TransferStatus
	if err := v.Get(&facts); err != nil {
		return res, temporal.NewNonRetryableApplicationError(fmt.Sprintf("decode status of %s: %v", in.WorkflowID, err), ErrTypeInvalidInput, err)
	}
	if facts.Stage != csptransfer.StageAwaitingAcceptance {
		res.Skipped = "transfer is in stage " + string(facts.Stage)
		return res, nil
	}
	if facts.PartnerTenantID == "" || facts.CustomerTenantID == "" {
		res.Skipped = "transfer has no partner or customer tenant yet"
		return res, nil
	}
	check, err := (&Activities{Partners: r.Partners}).CheckRelationship(ctx, CheckRelationshipInput{
		PartnerTenantID:     facts.PartnerTenantID,
		CustomerTenantID:    facts.CustomerTenantID,
		AdminRelationshipID: facts.AdminRelationshipID,
	})
	if err != nil {
		return res, err
	}
	res.Accepted, res.AdminAccessActive = check.Accepted, check.AdminAccessActive
	if !check.Accepted || (facts.AdminRelationshipID != "" && !check.AdminAccessActive) {
		return res, nil
	}
	err = c.SignalWorkflow(ctx, in.WorkflowID, "", csptransfer.SignalRelationshipAccepted,
		csptransfer.RelationshipAccepted{CustomerTenantID: facts.CustomerTenantID, Source: csptransfer.ReconcileSource})
	switch {
	case isGone(err):
		res.Skipped = "transfer closed before the signal"
	case err != nil:
		return res, fmt.Errorf("signal %s: %w", in.WorkflowID, err)
	default:
		res.Signalled = true
		activity.GetLogger(ctx).Info("signalled an accepted transfer", "workflowId", in.WorkflowID)
	}
	return res, nil
}

func (r *Reconciler) client(ctx context.Context) client.Client {
	if r.Client != nil {
		return r.Client
	}
	return activity.GetClient(ctx)
}

// isGone reports a workflow that does not exist or has closed.
func isGone(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
