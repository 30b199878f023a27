package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func status(t *testing.T, c client.Client, id string) csptransfer.TransferStatus {
	t.Helper()
	v, err := c.QueryWorkflow(context.Background(), id, "", csptransfer.QueryStatus)
	require.NoError(t, err)
	var st csptransfer.TransferStatus
	require.NoError(t, v.Get(&st))
	return st
}

func waitFor(t *testing.T, c client.Client, id, what string, cond func(csptransfer.TransferStatus) bool) csptransfer.TransferStatus {
	t.Helper()
	var st csptransfer.TransferStatus
	require.Eventually(t, func() bool {
		st = status(t, c, id)
		return cond(st)
	}, 90*time.Second, 200*time.Millisecond, "waiting for %s; last status: stage %s, awaiting %+v, last error %q", what, st.Stage, st.Awaiting, st.LastError)
	return st
}

// newDemoCustomer creates the demo customer (demo.Customer) in the sandbox as <prefix>-<8 hex>.onmicrosoft.com,
// its originals ending at expires, and lets it accept the European partner's relationship at once when
// accepted is set.
func newDemoCustomer(t *testing.T, sb sandbox.AdminClient, prefix string, expires time.Time, accepted bool) (tenant, domain string) {
	t.Helper()
	tenant = uuid.NewString()
	domain = prefix + "-" + tenant[:8] + ".onmicrosoft.com"
	require.NoError(t, sb.CreateCustomer(context.Background(), demo.Customer(tenant, domain, expires)))
	if accepted {
		require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	}
	return tenant, domain
}

// startTransfer starts req's transfer on the task queue and returns its workflow ID and run.
func startTransfer(t *testing.T, c client.Client, req csptransfer.TransferRequest) (string, client.WorkflowRun) {
	t.Helper()
	id := csptransfer.WorkflowID(req.CustomerTenantID)
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: csptransfer.TaskQueue},
		csptransfer.WorkflowType, req)
	require.NoError(t, err)
	return id, run
}

// TestDiscontinuedOfferTransferEndToEnd runs one whole transfer through the real worker, activities,
// clients and sandbox on a real Temporal server: invitation, acceptance, GDAP, a retired offer replaced
// by its successor with users moved (directly and through a licensing group), a same-offer line, and the
// originals' expiry. The sandbox ledger then proves nothing was bought twice, no original was cancelled
// and no user was ever without a license.
func TestDiscontinuedOfferTransferEndToEnd(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	expires := time.Now().Add(25 * time.Second).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, "e2e", expires, false)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR",
		ContactEmail: "it@" + domain, RequestAdminAccess: true,
	})

	st := waitFor(t, c, id, "the invitation", func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.AdminRelationshipID != ""
	})
	require.Equal(t, sandbox.PartnerEU, st.PartnerTenantID, "the French customer is served by the European partner tenant")
	require.Contains(t, st.InvitationURL, "/sandbox/admin-center/partner-invitation")
	require.Contains(t, st.AdminApprovalURL, "/sandbox/admin-center/granularAdminRelationships/"+st.AdminRelationshipID,
		"in sandbox mode the approval link opens the sandbox's admin center, which can approve it")

	// An acceptance reported before it happened is not trusted.
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"}))
	st = waitFor(t, c, id, "the unverified acceptance to be noted", func(s csptransfer.TransferStatus) bool {
		return strings.Contains(s.LastError, "does not show the relationship yet")
	})
	require.Equal(t, csptransfer.StageAwaitingAcceptance, st.Stage)

	// The customer accepts in the (simulated) admin center and approves GDAP.
	require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	require.NoError(t, sb.ApproveGDAP(context.Background(), st.AdminRelationshipID))
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"}))

	st = waitFor(t, c, id, "the plan", func(s csptransfer.TransferStatus) bool { return s.Stage == csptransfer.StageAwaitingApproval })
	require.Len(t, st.Lines, 2)
	var e4, e1 csptransfer.Line
	for _, l := range st.Lines {
		switch l.SourceSkuPartNumber {
		case "ENTERPRISEWITHSCAL":
			e4 = l
		case "STANDARDPACK":
			e1 = l
		}
	}
	require.False(t, e4.SameOffer)
	require.True(t, e4.ReassignmentNeeded)
	require.Equal(t, 4, e4.Quantity)
	require.True(t, e1.SameOffer)
	require.Equal(t, 2, e1.Quantity)

	// A stale approval is rejected; the reviewed version is accepted.
	stale, err := c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: csptransfer.UpdateApprovePlan,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{csptransfer.ApprovePlan{PlanVersion: st.PlanVersion + 1}}})
	if err == nil {
		err = stale.Get(context.Background(), nil)
	}
	require.ErrorContains(t, err, "stale")
	h, err := c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: csptransfer.UpdateApprovePlan,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{csptransfer.ApprovePlan{PlanVersion: st.PlanVersion, Comment: "reviewed"}}})
	require.NoError(t, err)
	require.NoError(t, h.Get(context.Background(), nil))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)
	for _, l := range rep.Lines {
		require.True(t, l.Progress.Provisioned, l.SourceSkuPartNumber)
		require.Equal(t, "expired", l.Progress.OriginalState, l.SourceSkuPartNumber)
		if l.ReassignmentNeeded {
			require.True(t, l.Progress.Moved)
			require.Equal(t, 4, l.Progress.UsersMoved, "two direct users and the group's two members, who move with the group")
		}
	}

	cl, violations := customerLedger(t, sb, tenant)
	require.Zero(t, cl.DuplicatePurchases)
	require.Zero(t, cl.OriginalsCancelled)
	require.Zero(t, cl.OriginalCancelAttempts)
	require.Empty(t, cl.LicenseShortfalls)
	require.Empty(t, cl.UsersWithoutLicense)
	require.Equal(t, 1, cl.Orders)
	require.Empty(t, violations)

	checkHistory(t, c, id, run.GetRunID(), "transfer-discontinued-offer")
}

func violationsFor(l sandbox.Ledger, tenant string) []string {
	var out []string
	for _, v := range l.Violations {
		if strings.Contains(v, tenant) {
			out = append(out, v)
		}
	}
	return out
}

// TestRegionMismatchFailsBeforeInviting: a Brazilian customer, whom none of the sandbox's partner tenants
// may serve, fails naming both sides, and no invitation link is fetched.
func TestRegionMismatchFailsBeforeInviting(t *testing.T) {
	c, m := startWorker(t, "CSP_METRICS_ADDR", "127.0.0.1:0")
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	before, err := sb.Ledger(context.Background())
	require.NoError(t, err)

	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: csptransfer.WorkflowID(sandbox.CustomerNoMarket), TaskQueue: csptransfer.TaskQueue},
		csptransfer.WorkflowType, csptransfer.TransferRequest{CustomerTenantID: sandbox.CustomerNoMarket, CustomerDomain: "woodgrove-br.onmicrosoft.com", Country: "BR"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v", err)
	require.Equal(t, "RegionMismatch", appErr.Type())
	require.Contains(t, appErr.Error(), "BR")
	require.Contains(t, appErr.Error(), "Brazil")
	require.Contains(t, appErr.Error(), "DE")

	after, err := sb.Ledger(context.Background())
	require.NoError(t, err)
	require.Equal(t, fetched(before), fetched(after), "no invitation link was fetched")

	checkHistory(t, c, run.GetID(), run.GetRunID(), "transfer-region-mismatch")

	// Operators see it in the metrics: the Partner Center calls made, the activity error by type, the
	// stage, and the SDK's own metrics; health and readiness answer.
	body := httpGet(t, m.MetricsURL+"/metrics")
	for _, want := range []string{
		`csp_api_calls_total{endpoint="/v1/profiles/legalbusiness",method="GET",service="partnercenter",status="200"}`,
		`csp_activity_errors_total{activity="SelectPartner",type="RegionMismatch"} 1`,
		`csp_transfer_stage_entered_total{`,
		`stage="Failed"`,
		`temporal_activity_execution_failed_total{activity_type="SelectPartner"`,
		`go_goroutines`,
	} {
		require.Contains(t, body, want)
	}
	require.Equal(t, "ok\n", httpGet(t, m.MetricsURL+"/healthz"))
	require.Equal(t, "ready\n", httpGet(t, m.MetricsURL+"/readyz"))
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

func fetched(l sandbox.Ledger) string {
	var b strings.Builder
	for _, p := range l.Partners {
		fmt.Fprintf(&b, "%s=%d;", p.TenantID, p.InvitationLinksFetched)
	}
	return b.String()
}
