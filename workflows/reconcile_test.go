package workflows

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

func newReconcileEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(10 * time.Second)
	env.RegisterWorkflowWithOptions(Reconcile, workflow.RegisterOptions{Name: csptransfer.ReconcileWorkflowType})
	env.RegisterActivity(&activities.Reconciler{})
	return env
}

// newReconcileEachEnv runs Reconcile as runs recorded before changeReconcilePerPartner do.
func newReconcileEachEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newReconcileEnv(t)
	env.OnGetVersion(changeReconcilePerPartner, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	return env
}

func accepted(i int, admin ...string) csptransfer.AcceptedTransfer {
	tenant := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	return csptransfer.AcceptedTransfer{WorkflowID: csptransfer.WorkflowID(tenant), CustomerTenantID: tenant, AdminRelationships: admin}
}

// TestReconcileSignalsOnlyWhatChanged: a run signals the transfers whose customer newly appears, or newly
// approved admin access, since the previous run's report; one still waiting for admin access is not
// signalled every run. A transfer that closed meanwhile is skipped; one whose signal failed is not
// remembered, so the next run tries again.
func TestReconcileSignalsOnlyWhatChanged(t *testing.T) {
	var rec *activities.Reconciler
	fresh, waitingAdmin, approvedAdmin, closed, failing := accepted(1), accepted(2), accepted(3, "rel-3"), accepted(4), accepted(5)
	tests := []struct {
		name          string
		last          *csptransfer.ReconcileReport
		wantSignalled []string
		wantAccepted  []csptransfer.AcceptedTransfer
	}{
		{name: "first run: every acceptance found is signalled",
			wantSignalled: []string{fresh.WorkflowID, waitingAdmin.WorkflowID, approvedAdmin.WorkflowID},
			wantAccepted:  []csptransfer.AcceptedTransfer{fresh, waitingAdmin, approvedAdmin}},
		{name: "later run: only new customers and new admin approvals",
			last:          &csptransfer.ReconcileReport{Accepted: []csptransfer.AcceptedTransfer{waitingAdmin, accepted(3), closed, failing}},
			wantSignalled: []string{fresh.WorkflowID, approvedAdmin.WorkflowID},
			wantAccepted:  []csptransfer.AcceptedTransfer{waitingAdmin, closed, failing, fresh, approvedAdmin}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newReconcileEnv(t)
			if tt.last != nil {
				env.SetLastCompletionResult(*tt.last)
			}
			env.OnActivity(rec.FindAcceptances, mock.Anything, activities.FindAcceptancesInput{Query: csptransfer.AwaitingAcceptanceQuery(), Limit: 50}).
				Return(activities.FindAcceptancesResult{Waiting: 9, PartnerTenants: 2, Errors: []string{"partner tenant p3: unauthorized"},
					Accepted: []csptransfer.AcceptedTransfer{fresh, waitingAdmin, approvedAdmin, closed, failing}}, nil).Once()
			var mu sync.Mutex // the test environment delivers external signals on goroutines of its own
			var sent []string
			env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", csptransfer.SignalRelationshipAccepted, mock.Anything).Return(
				func(_, id, _, _ string, arg any) error {
					mu.Lock()
					sent = append(sent, id)
					mu.Unlock()
					require.Equal(t, csptransfer.ReconcileSource, arg.(csptransfer.RelationshipAccepted).Source)
					switch id {
					case closed.WorkflowID:
						return &temporal.UnknownExternalWorkflowExecutionError{}
					case failing.WorkflowID:
						return errors.New("frontend unavailable")
					}
					return nil
				})

			env.ExecuteWorkflow(csptransfer.ReconcileWorkflowType, csptransfer.ReconcileInput{MaxTransfers: 50})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var rep csptransfer.ReconcileReport
			require.NoError(t, env.GetWorkflowResult(&rep))
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, 9, rep.Checked)
			require.Equal(t, 2, rep.PartnerTenants)
			require.Equal(t, tt.wantSignalled, rep.Signalled)
			require.ElementsMatch(t, tt.wantAccepted, rep.Accepted, "what the next run compares with")
			if tt.last == nil {
				require.ElementsMatch(t, []string{fresh.WorkflowID, waitingAdmin.WorkflowID, approvedAdmin.WorkflowID, closed.WorkflowID, failing.WorkflowID}, sent)
				require.Equal(t, []string{"partner tenant p3: unauthorized", failing.WorkflowID + ": signal: frontend unavailable"}, rep.Errors)
			} else {
				require.ElementsMatch(t, []string{fresh.WorkflowID, approvedAdmin.WorkflowID}, sent, "nothing sent to what the previous run signalled")
				require.Equal(t, []string{"partner tenant p3: unauthorized"}, rep.Errors)
			}
			env.AssertExpectations(t)
		})
	}
}

func TestReconcileFailsWhenAcceptancesCannotBeFound(t *testing.T) {
	env := newReconcileEnv(t)
	var rec *activities.Reconciler
	env.OnActivity(rec.FindAcceptances, mock.Anything, mock.Anything).
		Return(activities.FindAcceptancesResult{}, temporal.NewNonRetryableApplicationError("list transfers: bad query", activities.ErrTypeInvalidInput, nil))
	env.ExecuteWorkflow(csptransfer.ReconcileWorkflowType, csptransfer.ReconcileInput{})
	require.True(t, env.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	require.Contains(t, appErr.Error(), "bad query")
}

// TestReconcileEachSignalsTransfersThatMayMoveOn covers runs from before changeReconcilePerPartner.
func TestReconcileEachSignalsTransfersThatMayMoveOn(t *testing.T) {
	tests := []struct {
		name          string
		transfers     int
		accepted      map[int]bool
		failing       map[int]bool
		wantSignalled int
		wantErrors    int
	}{
		{name: "nothing waiting", transfers: 0},
		{name: "one accepted of three", transfers: 3, accepted: map[int]bool{1: true}, wantSignalled: 1},
		{name: "more than one batch, one failing", transfers: 2*reconcileParallelism + 3,
			accepted: map[int]bool{0: true, 9: true, 18: true}, failing: map[int]bool{5: true}, wantSignalled: 3, wantErrors: 1},
	}
	var rec *activities.Reconciler
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newReconcileEachEnv(t)
			ids := make([]string, tt.transfers)
			for i := range ids {
				ids[i] = csptransfer.WorkflowID(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
			}
			env.OnActivity(rec.ListTransfers, mock.Anything, activities.ListTransfersInput{Query: csptransfer.AwaitingAcceptanceQuery(), Limit: 50}).
				Return(activities.ListTransfersResult{WorkflowIDs: ids}, nil).Once()
			for i, id := range ids {
				in := activities.ReconcileTransferInput{WorkflowID: id}
				if tt.failing[i] {
					env.OnActivity(rec.ReconcileTransfer, mock.Anything, in).
						Return(activities.ReconcileTransferResult{}, temporal.NewNonRetryableApplicationError("partner center says no", activities.ErrTypeUnauthorized, nil))
					continue
				}
				env.OnActivity(rec.ReconcileTransfer, mock.Anything, in).
					Return(activities.ReconcileTransferResult{WorkflowID: id, Accepted: tt.accepted[i], Signalled: tt.accepted[i]}, nil).Once()
			}

			env.ExecuteWorkflow(csptransfer.ReconcileWorkflowType, csptransfer.ReconcileInput{MaxTransfers: 50})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var rep csptransfer.ReconcileReport
			require.NoError(t, env.GetWorkflowResult(&rep))
			require.Equal(t, tt.transfers, rep.Checked)
			require.Len(t, rep.Signalled, tt.wantSignalled)
			require.Len(t, rep.Errors, tt.wantErrors)
			for i := range tt.failing {
				require.Contains(t, rep.Errors[0], ids[i])
				require.Contains(t, rep.Errors[0], "partner center says no")
			}
			env.AssertExpectations(t)
		})
	}
}

func TestReconcileEachFailsWhenTransfersCannotBeListed(t *testing.T) {
	env := newReconcileEachEnv(t)
	var rec *activities.Reconciler
	env.OnActivity(rec.ListTransfers, mock.Anything, mock.Anything).
		Return(activities.ListTransfersResult{}, temporal.NewNonRetryableApplicationError("list transfers: bad query", activities.ErrTypeInvalidInput, nil))
	env.ExecuteWorkflow(csptransfer.ReconcileWorkflowType, csptransfer.ReconcileInput{})
	require.True(t, env.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	require.Contains(t, appErr.Error(), "bad query")
}

func TestAwaitingAcceptanceQueryNamesTheWireContract(t *testing.T) {
	require.Equal(t, "WorkflowType = 'CSPTransfer' AND ExecutionStatus = 'Running' AND CspStage = 'AwaitingAcceptance'", csptransfer.AwaitingAcceptanceQuery())
	_, isTransfer := csptransfer.CustomerTenantIDFromWorkflowID(csptransfer.ReconcileWorkflowID)
	require.False(t, isTransfer, "reconciler runs must never look like a customer's transfer")
}
