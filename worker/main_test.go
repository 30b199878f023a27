package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/workerapp"
)

// startWorker runs the real worker program, with its embedded sandbox, against a fresh dev server.
// env adds settings (e.g. codec keys).
func startWorker(t *testing.T, env ...string) (client.Client, *workerapp.Main) {
	t.Helper()
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	return srv.Client(), startWorkerOn(t, srv.FrontendHostPort(), env...)
}

// startWorkerOn runs the real worker program against the Temporal server at hostPort until the test ends.
func startWorkerOn(t *testing.T, hostPort string, env ...string) *workerapp.Main {
	t.Helper()
	settings := config.Map{
		"TEMPORAL_ADDRESS": hostPort,
		"CSP_METRICS_ADDR": "off",
		"CSP_SANDBOX_ADDR": "127.0.0.1:0",
	}
	for i := 0; i+1 < len(env); i += 2 {
		settings[env[i]] = env[i+1]
	}
	cfg, err := config.LoadWorkerFrom(settings)
	require.NoError(t, err)
	m := &workerapp.Main{Config: cfg, Log: zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))}
	stop, err := m.Start(context.Background(), time.Minute)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stop()) })
	return m
}

func TestWorkerRunsTransfersOnARealServer(t *testing.T) {
	c, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A request with a bad tenant id: the workflow fails at once, naming the field, and says so in its
	// search attributes, without calling Partner Center.
	req := csptransfer.TransferRequest{CustomerTenantID: "contoso", CustomerDomain: "contoso.onmicrosoft.com"}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        csptransfer.WorkflowID("contoso"),
		TaskQueue: csptransfer.TaskQueue,
	}, csptransfer.WorkflowType, req)
	require.NoError(t, err)

	var rep csptransfer.TransferReport
	err = run.Get(ctx, &rep)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v", err)
	require.Equal(t, csptransfer.ErrTypeInvalidRequest, appErr.Type())
	require.Contains(t, appErr.Error(), "customerTenantId")
	var details csptransfer.TransferReport
	require.NoError(t, appErr.Details(&details))
	require.Equal(t, csptransfer.StageFailed, details.Outcome)

	desc, err := c.DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	stage, ok := desc.TypedSearchAttributes.GetKeyword(csptransfer.SearchAttributeStage)
	require.True(t, ok)
	require.Equal(t, string(csptransfer.StageFailed), stage)
	_, hasNext := desc.TypedSearchAttributes.GetTime(csptransfer.SearchAttributeNextActionAt)
	require.False(t, hasNext)
	domain, _ := desc.TypedSearchAttributes.GetKeyword(csptransfer.SearchAttributeCustomerDomain)
	require.Equal(t, "contoso.onmicrosoft.com", domain)

	// The status query still answers on the closed workflow.
	v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), csptransfer.QueryStatus)
	require.NoError(t, err)
	var st csptransfer.TransferStatus
	require.NoError(t, v.Get(&st))
	require.Equal(t, csptransfer.StageFailed, st.Stage)
	require.Contains(t, st.LastError, "customerTenantId")

	checkHistory(t, c, run.GetID(), run.GetRunID(), "transfer-invalid-request")
}
