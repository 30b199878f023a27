package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/workflows"
)

// goldenEnv, when set to 1, makes the integration tests record the golden histories in workflows/testdata
// that are missing there; the replay tests replay all of them on every run.
const goldenEnv = "CSP_UPDATE_GOLDEN"

// goldenSeries names the generation of workflow code the recordings come from. Recordings are never
// replaced, so when a change to workflow code takes a new path (behind workflow.GetVersion), bump it: the
// next recording run adds histories of the new path next to the old ones, and both keep replaying.
const goldenSeries = "s7"

// checkHistory replays a finished workflow's history against the current workflow code and, when asked,
// saves it as a golden history.
func checkHistory(t *testing.T, c client.Client, id, runID, name string) {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, 0)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	// Every GetVersion marker of a new run upserts TemporalChangeVersion, a billable action: a run on
	// today's code records one (the baseline), never one per change.
	versionUpserts := 0
	for _, e := range events {
		if _, ok := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"]; ok {
			versionUpserts++
		}
	}
	require.LessOrEqual(t, versionUpserts, 1, "TemporalChangeVersion upserts in %s", name)
	h := &historypb.History{Events: events}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	require.NoError(t, err)

	// Replay what a golden file would hold, not the history as fetched: the replay tests read the files,
	// and a history that replays only as fetched is no use to them.
	var stored historypb.History
	require.NoError(t, protojson.Unmarshal(b, &stored))
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.Transfer, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
	r.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: csptransfer.ReconcileWorkflowType})
	require.NoError(t, r.ReplayWorkflowHistory(nil, &stored), "the history just produced must replay")

	if os.Getenv(goldenEnv) != "1" {
		return
	}
	path := filepath.Join("..", "workflows", "testdata", name+"."+goldenSeries+".json")
	if _, err := os.Stat(path); err == nil {
		// Recorded histories are never overwritten: they stand for transfers already running.
		t.Logf("golden history %s exists; kept", path)
		return
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
	t.Logf("wrote golden history %s (%d events)", path, len(events))
}
