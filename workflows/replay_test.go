package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayGoldenHistories replays every history recorded from real runs (testdata/*.json, written by
// the worker's integration tests with CSP_UPDATE_GOLDEN=1) against the current code. A change that would
// break transfers already running fails here: guard it with workflow.GetVersion and keep the old path.
func TestReplayGoldenHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "golden histories are missing from testdata")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(Transfer, workflow.RegisterOptions{Name: WorkflowType})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
