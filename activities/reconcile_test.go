package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// visibility answers ListWorkflow from a fixed list, two executions a page; any other call of the Temporal
// client is a test failure (the nil embedded client panics).
type visibility struct {
	client.Client
	executions []*workflowpb.WorkflowExecutionInfo
	pages      int
}

func (v *visibility) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	v.pages++
	start := 0
	if len(req.GetNextPageToken()) > 0 {
		start = int(req.GetNextPageToken()[0])
	}
	end := min(start+2, len(v.executions))
	resp := &workflowservice.ListWorkflowExecutionsResponse{Executions: v.executions[start:end]}
	if end < len(v.executions) {
		resp.NextPageToken = []byte{byte(end)}
	}
	return resp, nil
}

// waiting is a transfer as visibility lists it; empty tenants leave their search attribute out.
func waiting(t *testing.T, customer, partner string) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	fields := map[string]*commonpb.Payload{}
	for key, v := range map[string]string{
		csptransfer.SearchAttributeCustomerTenantID.GetName(): customer,
		csptransfer.SearchAttributePartnerTenantID.GetName():  partner,
	} {
		if v == "" {
			continue
		}
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		require.NoError(t, err)
		fields[key] = p
	}
	return &workflowpb.WorkflowExecutionInfo{
		Execution:        &commonpb.WorkflowExecution{WorkflowId: csptransfer.WorkflowID(customer + partner)},
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields},
	}
}

// TestFindAcceptancesAsksOncePerPartnerTenant: whatever the number of transfers waiting, a run reads one
// customer listing per partner tenant, and one listing of active admin relationships when a customer had
// accepted; it never asks a transfer anything.
func TestFindAcceptancesAsksOncePerPartnerTenant(t *testing.T) {
	f := newFixture(t, sandbox.PartnerEU)
	f.admin("/sandbox/customers/"+sandbox.CustomerDiscontinued+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	vis := &visibility{executions: []*workflowpb.WorkflowExecutionInfo{
		waiting(t, sandbox.CustomerSameOffer, sandbox.PartnerEU),
		waiting(t, sandbox.CustomerDiscontinued, sandbox.PartnerEU),
		waiting(t, sandbox.CustomerAutoRenew, sandbox.PartnerEU),
		waiting(t, sandbox.CustomerJapan, sandbox.PartnerJP), // a partner tenant this worker has no credentials for
		waiting(t, sandbox.CustomerPartnerMix, ""),           // listed before its search attributes are written
	}}
	rec := &activities.Reconciler{Client: vis, Partners: f.acts.Partners}
	f.env.RegisterActivity(rec)

	v, err := f.env.ExecuteActivity(rec.FindAcceptances, activities.FindAcceptancesInput{Query: csptransfer.AwaitingAcceptanceQuery()})
	require.NoError(t, err)
	var res activities.FindAcceptancesResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, 5, res.Waiting)
	require.Equal(t, 3, vis.pages, "every visibility page is read")
	require.False(t, res.Truncated)
	require.Equal(t, []csptransfer.AcceptedTransfer{{
		WorkflowID: csptransfer.WorkflowID(sandbox.CustomerDiscontinued + sandbox.PartnerEU), CustomerTenantID: sandbox.CustomerDiscontinued,
	}}, res.Accepted)
	require.Equal(t, 2, res.PartnerTenants)
	require.Len(t, res.Errors, 2)
	require.Contains(t, res.Errors[0], "no customer or partner tenant in its search attributes yet")
	require.Contains(t, res.Errors[1], "partner tenant "+sandbox.PartnerJP+":")
	require.Equal(t, 1, f.calls.count("/v1/customers"), "one customer listing for the partner tenant")
	require.Equal(t, 1, f.calls.count("/tenantRelationships/delegatedAdminRelationships"), "one GDAP listing, as a customer had accepted")
	require.Equal(t, 2, f.calls.through(sandbox.PartnerEU), "nothing else: %v", f.calls.paths)

	// Limit caps the transfers looked at.
	v, err = f.env.ExecuteActivity(rec.FindAcceptances, activities.FindAcceptancesInput{Query: csptransfer.AwaitingAcceptanceQuery(), Limit: 1})
	require.NoError(t, err)
	res = activities.FindAcceptancesResult{}
	require.NoError(t, v.Get(&res))
	require.Equal(t, 1, res.Waiting)
	require.True(t, res.Truncated)
	require.Empty(t, res.Accepted)
	require.Equal(t, 2, f.calls.count("/v1/customers"))
	require.Equal(t, 1, f.calls.count("/tenantRelationships/delegatedAdminRelationships"), "no GDAP listing when nobody accepted")

	_, err = f.env.ExecuteActivity(rec.FindAcceptances, activities.FindAcceptancesInput{})
	require.Equal(t, activities.ErrTypeInvalidInput, errType(t, err))
}
