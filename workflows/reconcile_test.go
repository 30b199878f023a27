package workflows

import (
	"errors"
	"fmt"
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

func TestReconcileSignalsTransfersThatMayMoveOn(t *testing.T) {
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
			env := newReconcileEnv(t)
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

func TestReconcileFailsWhenTransfersCannotBeListed(t *testing.T) {
	env := newReconcileEnv(t)
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
