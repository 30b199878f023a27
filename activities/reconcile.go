package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
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

// ListTransfers runs a visibility query and returns the workflow IDs it finds, at most Limit. Only
// Reconcile runs recorded before FindAcceptances schedule it (and ReconcileTransfer); they stay
// registered so those runs finish.
func (r *Reconciler) ListTransfers(ctx context.Context, in ListTransfersInput) (ListTransfersResult, error) {
	executions, truncated, err := r.list(ctx, in.Query, in.Limit)
	if err != nil {
		return ListTransfersResult{}, err
	}
	res := ListTransfersResult{Truncated: truncated}
	for _, e := range executions {
		res.WorkflowIDs = append(res.WorkflowIDs, e.GetExecution().GetWorkflowId())
	}
	return res, nil
}

// list runs a visibility query and returns the executions it finds, at most limit (default and maximum
// 1000), and whether more matched.
func (r *Reconciler) list(ctx context.Context, query string, limit int) ([]*workflowpb.WorkflowExecutionInfo, bool, error) {
	if strings.TrimSpace(query) == "" {
		return nil, false, temporal.NewNonRetryableApplicationError("query: required", ErrTypeInvalidInput, nil)
	}
	if limit <= 0 || limit > maxListTransfers {
		limit = maxListTransfers
	}
	c := r.client(ctx)
	var out []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for {
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(limit, 100)), NextPageToken: token,
		})
		if err != nil {
			var bad *serviceerror.InvalidArgument
			if errors.As(err, &bad) {
				return nil, false, temporal.NewNonRetryableApplicationError("list transfers: "+bad.Error(), ErrTypeInvalidInput, err)
			}
			return nil, false, fmt.Errorf("list transfers: %w", err)
		}
		for _, e := range page.GetExecutions() {
			if len(out) == limit {
				return out, true, nil
			}
			out = append(out, e)
		}
		token = page.GetNextPageToken()
		if len(token) == 0 {
			return out, false, nil
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

// FindAcceptancesInput selects the transfers to reconcile.
type FindAcceptancesInput struct {
	// Query is a Temporal list filter over transfers waiting for acceptance.
	Query string `json:"query"`
	// Limit caps the transfers looked at. Optional; default and maximum 1000.
	Limit int `json:"limit,omitempty"`
}

// FindAcceptancesResult is what Partner Center says of the transfers waiting for acceptance.
type FindAcceptancesResult struct {
	// Waiting counts the transfers listed.
	Waiting int `json:"waiting"`
	// Truncated is set when more transfers waited than Limit.
	Truncated bool `json:"truncated,omitempty"`
	// Accepted are the waiting transfers whose customer has the partner tenant as its reseller, in the
	// order visibility listed them.
	Accepted []csptransfer.AcceptedTransfer `json:"accepted,omitempty"`
	// PartnerTenants counts the partner tenants asked.
	PartnerTenants int `json:"partnerTenants"`
	// Errors name the partner tenants (or transfers) that could not be checked and why; the next run
	// tries again.
	Errors []string `json:"errors,omitempty"`
}

// waitingTransfer is one transfer as visibility lists it: its search attributes say which customer and
// which partner tenant, so nothing has to ask the transfer itself.
type waitingTransfer struct {
	workflowID, customer, partner string
}

// FindAcceptances lists the transfers waiting for acceptance from visibility, then asks Partner Center
// once per partner tenant for its customers (paged, 500 a page) and, when any waiting customer is there,
// Graph once for the partner's active GDAP relationships. It costs the same few calls whether ten
// transfers wait or a thousand, and no query or activity per transfer. It only reads; the Reconcile
// workflow decides whom to signal.
func (r *Reconciler) FindAcceptances(ctx context.Context, in FindAcceptancesInput) (FindAcceptancesResult, error) {
	waiting, truncated, err := r.listWaiting(ctx, in)
	if err != nil {
		return FindAcceptancesResult{}, err
	}
	res := FindAcceptancesResult{Waiting: len(waiting), Truncated: truncated}
	byPartner := map[string][]waitingTransfer{}
	var partners []string
	for _, w := range waiting {
		if w.customer == "" || w.partner == "" {
			res.Errors = append(res.Errors, w.workflowID+": no customer or partner tenant in its search attributes yet")
			continue
		}
		if _, ok := byPartner[w.partner]; !ok {
			partners = append(partners, w.partner)
		}
		byPartner[w.partner] = append(byPartner[w.partner], w)
	}
	accepted := map[string]csptransfer.AcceptedTransfer{}
	for _, tenant := range partners {
		activity.RecordHeartbeat(ctx, tenant)
		found, err := r.acceptedWith(ctx, tenant, byPartner[tenant])
		res.PartnerTenants++
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("partner tenant %s: %v", tenant, err))
			continue
		}
		for _, a := range found {
			accepted[a.WorkflowID] = a
		}
	}
	for _, w := range waiting {
		if a, ok := accepted[w.workflowID]; ok {
			res.Accepted = append(res.Accepted, a)
		}
	}
	return res, nil
}

// acceptedWith returns the transfers, among those waiting with one partner tenant, whose customer now
// has it as reseller, with the customer's active GDAP relationships.
func (r *Reconciler) acceptedWith(ctx context.Context, tenant string, waiting []waitingTransfer) ([]csptransfer.AcceptedTransfer, error) {
	p, err := (&Activities{Partners: r.Partners}).partner(tenant)
	if err != nil {
		return nil, err
	}
	customers, err := p.PartnerCenter.Customers(ctx)
	if err != nil {
		return nil, classify("customers", err)
	}
	resellerOf := make(map[string]bool, len(customers))
	for _, c := range customers {
		if c.IsReseller() {
			resellerOf[strings.ToLower(c.ID)] = true
		}
	}
	var found []csptransfer.AcceptedTransfer
	for _, w := range waiting {
		if resellerOf[strings.ToLower(w.customer)] {
			found = append(found, csptransfer.AcceptedTransfer{WorkflowID: w.workflowID, CustomerTenantID: w.customer})
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	rels, err := p.Graph.ActiveDelegatedAdminRelationships(ctx)
	if err != nil {
		return nil, classify("GDAP relationships", err)
	}
	admin := map[string][]string{}
	for _, rel := range rels {
		c := strings.ToLower(rel.Customer.TenantID)
		admin[c] = append(admin[c], rel.ID)
	}
	for i := range found {
		ids := admin[strings.ToLower(found[i].CustomerTenantID)]
		slices.Sort(ids)
		found[i].AdminRelationships = ids
	}
	return found, nil
}

// listWaiting reads the waiting transfers, with their customer and partner tenants, from visibility.
func (r *Reconciler) listWaiting(ctx context.Context, in FindAcceptancesInput) ([]waitingTransfer, bool, error) {
	executions, truncated, err := r.list(ctx, in.Query, in.Limit)
	if err != nil {
		return nil, false, err
	}
	out := make([]waitingTransfer, 0, len(executions))
	for _, e := range executions {
		fields := e.GetSearchAttributes().GetIndexedFields()
		out = append(out, waitingTransfer{
			workflowID: e.GetExecution().GetWorkflowId(),
			customer:   csptransfer.KeywordOf(fields, csptransfer.SearchAttributeCustomerTenantID),
			partner:    csptransfer.KeywordOf(fields, csptransfer.SearchAttributePartnerTenantID),
		})
	}
	return out, truncated, nil
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
