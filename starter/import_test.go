package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
)

// The progress bar counts every row answered, rejected ones too, ends at 100 % on a line of its own, and
// never claims 100 % for an interrupted import.
func TestImportProgressBar(t *testing.T) {
	rows := make([]importRow, 5)
	for i := range rows {
		rows[i] = importRow{line: i + 2, req: csptransfer.TransferRequest{CustomerTenantID: fmt.Sprintf("t%d", i)}}
	}
	a := newApp(nil)
	a.interactive = func(any) bool { return true }

	var errOut bytes.Buffer
	sum := a.importRows(context.Background(), &errOut, rows, 2, 100, func(_ context.Context, r importRow) importResult {
		out := importResult{Line: r.line, Outcome: outcomeStarted}
		if r.line%2 == 0 {
			out.Outcome, out.Error = outcomeRejected, "no"
		}
		return out
	})
	require.Equal(t, 2, sum.Started)
	require.Equal(t, 3, sum.Rejected)
	bar := errOut.String()
	require.Contains(t, bar, "100%")
	require.Contains(t, bar, "(5/5")
	require.True(t, strings.HasSuffix(bar, "\n"), "the summary starts on a line of its own: %q", bar)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut.Reset()
	sum = a.importRows(ctx, &errOut, rows, 1, 100, func(_ context.Context, r importRow) importResult {
		if r.line == 3 {
			cancel()
		}
		return importResult{Line: r.line, Outcome: outcomeStarted}
	})
	require.Less(t, len(sum.Rows), len(rows))
	require.NotContains(t, errOut.String(), "100%")
	require.True(t, strings.HasSuffix(errOut.String(), "\n"), "%q", errOut.String())
}

func TestRenderImport(t *testing.T) {
	id := func(tenant string) string { return csptransfer.WorkflowID(tenant) }
	sum := importSummary{Started: 1, Restarted: 1, Existing: 1, Skipped: 2, Ended: 2, Rejected: 1, Rows: []importResult{
		{Line: 2, CustomerTenantID: "a1b2c3d4-0001-4000-8000-000000000001", Outcome: outcomeStarted, WorkflowID: id("a1b2c3d4-0001-4000-8000-000000000001"), Stage: csptransfer.StageValidating},
		{Line: 3, CustomerTenantID: "a1b2c3d4-0002-4000-8000-000000000002", Outcome: outcomeRestarted, Earlier: "Failed", WorkflowID: id("a1b2c3d4-0002-4000-8000-000000000002"), Stage: csptransfer.StageValidating},
		{Line: 4, CustomerTenantID: "a1b2c3d4-0003-4000-8000-000000000003", Outcome: outcomeExisting, WorkflowID: id("a1b2c3d4-0003-4000-8000-000000000003"), Stage: csptransfer.StageAwaitingAcceptance},
		{Line: 5, CustomerTenantID: "a1b2c3d4-0004-4000-8000-000000000004", Outcome: outcomeSkipped, Earlier: "Failed", WorkflowID: id("a1b2c3d4-0004-4000-8000-000000000004"), Stage: csptransfer.StageFailed},
		{Line: 6, CustomerTenantID: "a1b2c3d4-0005-4000-8000-000000000005", Outcome: outcomeSkipped, Earlier: "Terminated", WorkflowID: id("a1b2c3d4-0005-4000-8000-000000000005"), Stage: csptransfer.StageAwaitingApproval},
		{Line: 7, CustomerTenantID: "a1b2c3d4-0006-4000-8000-000000000006", Outcome: outcomeEnded, Earlier: "Completed", WorkflowID: id("a1b2c3d4-0006-4000-8000-000000000006"), Stage: csptransfer.StageCompleted},
		{Line: 8, CustomerTenantID: "a1b2c3d4-0007-4000-8000-000000000007", Outcome: outcomeEnded, Earlier: "Completed", WorkflowID: id("a1b2c3d4-0007-4000-8000-000000000007"), Stage: csptransfer.StageAborted},
		{Line: 9, CustomerTenantID: "a1b2c3d4-0008-4000-8000-000000000008", Outcome: outcomeRejected, Error: "start transfer csp-transfer-a1b2c3d4-0008-4000-8000-000000000008: context deadline\nexceeded"},
	}}
	var b bytes.Buffer
	renderImport(&b, sum)
	golden(t, "import.golden", b.Bytes())
}
