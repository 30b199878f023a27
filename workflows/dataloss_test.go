package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// TestDataLossRiskFoundBeforeMovingWaitsForAnOperator: the license move finds that the successor lacks a
// plan users have enabled; nobody moves until an operator approves the plan version that names the risk.
func TestDataLossRiskFoundBeforeMovingWaitsForAnOperator(t *testing.T) {
	h := newHarness(t)
	h.originals = []csptransfer.OriginalSubscription{{SubscriptionID: "orig-e1", SkuID: oldSku, SkuPartNumber: "STANDARDPACK", Quantity: 25, ExpiresAt: h.expiry}}
	h.facts = []activities.CatalogFacts{{
		SourceSkuID: oldSku, SourceSkuPartNumber: "STANDARDPACK",
		SameSku:    &activities.CatalogOffer{CatalogItemID: "CFQ7TTC0LF8R:0001", SkuID: oldSku, Purchasable: false},
		Successors: []activities.CatalogOffer{{CatalogItemID: newItem, SkuID: newSku, Title: "Microsoft 365 Business Basic", Purchasable: true}},
	}}
	h.acceptAfter(time.Hour)
	var accepted []bool
	h.env.OnActivity(a.MoveLicenses, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.MoveLicensesInput) (activities.MoveLicensesResult, error) {
		accepted = append(accepted, in.AcceptDataLoss)
		if !in.AcceptDataLoss {
			return activities.MoveLicensesResult{}, temporal.NewNonRetryableApplicationError("would switch off plans", activities.ErrTypeDataLossRisk, nil,
				activities.DataLossRisk{Plans: []string{"YAMMER_ENTERPRISE"}, Users: 3, Groups: 1, HolderIDs: []string{"group:g1", "u1", "u2", "u3"}})
		}
		return activities.MoveLicensesResult{UsersMoved: 3, GroupsMoved: 1}, nil
	})
	approve := func(v int) func() {
		return func() {
			h.env.UpdateWorkflow(csptransfer.UpdateApprovePlan, fmt.Sprintf("approve-v%d", v), &testUpdate{}, csptransfer.ApprovePlan{PlanVersion: v})
		}
	}
	h.env.RegisterDelayedCallback(approve(1), 2*day)
	var asked csptransfer.TransferStatus
	h.env.RegisterDelayedCallback(func() { asked = h.status() }, 3*day)
	h.env.RegisterDelayedCallback(approve(2), 4*day)
	h.run()

	require.Equal(t, csptransfer.StageAwaitingApproval, asked.Stage)
	require.Equal(t, 2, asked.PlanVersion)
	require.Contains(t, asked.Awaiting.What, "accept the data-loss risk of moving the users of STANDARDPACK (approve-plan v2")
	require.Contains(t, asked.LastError, "would switch off service plans they use: YAMMER_ENTERPRISE (3 user(s), 1 group(s); directory ids group:g1, u1, u2, u3)")
	require.Contains(t, asked.LastError, "approve plan v2 to move them anyway, or abort")
	require.False(t, asked.Lines[0].Progress.Moved)

	rep := h.report()
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome)
	require.Equal(t, []bool{false, true}, accepted, "moved only after the approval")
	require.True(t, rep.Lines[0].Progress.Moved)
	require.Empty(t, rep.Lines[0].Progress.Error)
}
