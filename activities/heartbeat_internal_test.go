package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

// TestLivenessHeartbeatsKeepTheRecordedProgress: the liveness heartbeats after recordProgress carry the
// progress, so a retried MoveLicenses resumes from it instead of starting over.
func TestLivenessHeartbeatsKeepTheRecordedProgress(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	var before, after []any
	work := func(ctx context.Context) error {
		p := &progress{}
		ctx = context.WithValue(ctx, progressKey{}, p)
		before = p.latest()
		recordProgress(ctx, MoveLicensesProgress{UsersMoved: 1, Done: []string{"user:1"}})
		after = p.latest()
		return nil
	}
	env.RegisterActivityWithOptions(work, activity.RegisterOptions{Name: "work"})
	_, err := env.ExecuteActivity("work")
	require.NoError(t, err)
	require.Empty(t, before, "a liveness heartbeat before any progress sends no details")
	require.Equal(t, []any{MoveLicensesProgress{UsersMoved: 1, Done: []string{"user:1"}}}, after)
}
