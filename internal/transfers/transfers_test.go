package transfers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// parked stands in for CSPTransfer so these tests exercise starting and finding transfers without
// Partner Center: it reports its stage and waits.
func parked(ctx workflow.Context, req csptransfer.TransferRequest) (csptransfer.TransferReport, error) {
	_ = workflow.SetQueryHandler(ctx, csptransfer.QueryStatus, func() (csptransfer.TransferStatus, error) {
		return csptransfer.TransferStatus{CustomerTenantID: req.CustomerTenantID, Stage: csptransfer.StageAwaitingAcceptance}, nil
	})
	_ = workflow.Await(ctx, func() bool { return false })
	return csptransfer.TransferReport{}, nil
}

func TestStartIsIdempotentPerCustomer(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	c := srv.Client()
	w := worker.New(c, csptransfer.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(parked, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	svc := transfers.Service{Client: c, UIBaseURL: "http://localhost:8233"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := csptransfer.TransferRequest{CustomerTenantID: "6B1F0A52-3F5E-4A0E-9A9E-0A4F4C1D2E3F", CustomerDomain: "Contoso.onmicrosoft.com", Country: "de"}

	first, err := svc.Start(ctx, req)
	require.NoError(t, err)
	require.False(t, first.Existing)
	require.Equal(t, "csp-transfer-6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f", first.WorkflowID)
	require.Equal(t, "http://localhost:8233/namespaces/default/workflows/csp-transfer-6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f", first.UILink)

	second, err := svc.Start(ctx, req)
	require.NoError(t, err)
	require.True(t, second.Existing)
	require.Equal(t, first.RunID, second.RunID)

	desc, err := c.DescribeWorkflow(ctx, first.WorkflowID, "")
	require.NoError(t, err)
	domain, _ := desc.TypedSearchAttributes.GetKeyword(csptransfer.SearchAttributeCustomerDomain)
	require.Equal(t, "contoso.onmicrosoft.com", domain)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	require.Equal(t, "CSP transfer of contoso.onmicrosoft.com (6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f)", summary)

	st, err := svc.Status(ctx, first.WorkflowID)
	require.NoError(t, err)
	require.Equal(t, csptransfer.StageAwaitingAcceptance, st.Stage)
}

func TestStartRejectsABadRequestWithoutStarting(t *testing.T) {
	svc := transfers.Service{} // no client: validation comes first
	_, err := svc.Start(context.Background(), csptransfer.TransferRequest{CustomerTenantID: "x"})
	var verr *csptransfer.ValidationError
	require.True(t, errors.As(err, &verr))
	require.Contains(t, err.Error(), "customerTenantId")
	require.Contains(t, err.Error(), "customerDomain")
}

func TestIsPartnerTransferID(t *testing.T) {
	for _, ok := range []string{"7c9e6679-7425-40de-944b-e07fc1f90ae7", "1234", "TR_2026-11-21", strings.Repeat("a", transfers.MaxPartnerTransferIDLength)} {
		require.True(t, transfers.IsPartnerTransferID(ok), ok)
	}
	for _, bad := range []string{"", " 1234", "12/34", "a'b", "a\nb", "ä", strings.Repeat("a", transfers.MaxPartnerTransferIDLength+1)} {
		require.False(t, transfers.IsPartnerTransferID(bad), bad)
	}
}
