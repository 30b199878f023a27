package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/codec"
)

// TestReplayGoldenHistories replays every history recorded from real runs (transfers and reconciliations) (testdata/*.json, written by
// the worker's integration tests with CSP_UPDATE_GOLDEN=1) against the current code. A change that would
// break transfers already running fails here: guard it with workflow.GetVersion and keep the old path.
// Histories recorded with payload encryption replay with the test key ring in testdata/encrypted.keys.
func TestReplayGoldenHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "golden histories are missing from testdata")
	keys, err := os.ReadFile(filepath.Join("testdata", "encrypted.keys"))
	require.NoError(t, err)
	ring, err := codec.ParseRing(strings.TrimSpace(string(keys)))
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			// The codec passes plain payloads through, so one replayer reads both kinds.
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: codec.DataConverter(ring), FailureConverter: codec.FailureConverter(ring),
			})
			require.NoError(t, err)
			r.RegisterWorkflowWithOptions(Transfer, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
			r.RegisterWorkflowWithOptions(Reconcile, workflow.RegisterOptions{Name: csptransfer.ReconcileWorkflowType})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
