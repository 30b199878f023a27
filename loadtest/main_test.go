package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devstack"
	"github.com/csptransfer/csptransfer/internal/loadtest"
	"github.com/csptransfer/csptransfer/internal/metrics"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// run is one run of the program.
type run struct {
	code   int
	stdout string
	stderr string
}

// loadtestAt runs the program exactly as main does, against the Temporal server at address.
func loadtestAt(address string, args ...string) run {
	var out, errOut bytes.Buffer
	code := execute(context.Background(), config.Map{"TEMPORAL_ADDRESS": address}, args, &out, &errOut)
	return run{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestLoadtestFlagsAreValidated(t *testing.T) {
	r := loadtestAt("127.0.0.1:1", "--transfers", "0", "--concurrency", "0",
		"--expires-in", "1s", "--faults", "medium", "--sandbox", "nope", "--worker-metrics", "http://127.0.0.1:9090/metrics,ftp://x", "--rate", "0", "--graph-rate", "-1")
	require.Equal(t, exitUsage, r.code, r.stderr)
	for _, flag := range []string{"--transfers", "--concurrency", "--expires-in", "--faults", "--sandbox", "--worker-metrics", "--rate", "--graph-rate"} {
		require.Contains(t, r.stderr, flag)
	}

	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--connect-timeout", "0s"}, {"--workers", "0"}, {"--workers", "17"}} {
		r := loadtestAt("127.0.0.1:1", args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "loadtest: ")
	}
}

// TestWorkerSettingsPointAtTheSandbox: a worker the load test starts keeps the Temporal connection and
// codec keys it inherits, calls the sandbox as its Partner Center and Graph with the rates the report
// assumes, and never embeds a sandbox of its own or reuses the stack's metrics port.
func TestWorkerSettingsPointAtTheSandbox(t *testing.T) {
	got := map[string]string{}
	for _, kv := range workerSettings([]string{"TEMPORAL_ADDRESS=127.0.0.1:7233", "CSP_CODEC_KEYS_FILE=/k", "CSP_SANDBOX_ADDR=127.0.0.1:8089",
		"CSP_SANDBOX_STATE=/s.json", "CSP_METRICS_ADDR=127.0.0.1:9090", "CSP_PC_RATE=99"}, "http://127.0.0.1:8089", "127.0.0.1:40001", "/t.json", 10, 7.5) {
		name, v, _ := strings.Cut(kv, "=")
		_, dup := got[name]
		require.False(t, dup, "%s set twice", name)
		got[name] = v
	}
	require.Equal(t, "127.0.0.1:7233", got["TEMPORAL_ADDRESS"])
	require.Equal(t, "/k", got["CSP_CODEC_KEYS_FILE"])
	require.NotContains(t, got, "CSP_SANDBOX_ADDR")
	require.NotContains(t, got, "CSP_SANDBOX_STATE")
	require.Equal(t, "127.0.0.1:40001", got["CSP_METRICS_ADDR"])
	require.Equal(t, "10", got["CSP_PC_RATE"])
	require.Equal(t, "7.5", got["CSP_GRAPH_RATE"])
	require.Equal(t, "http://127.0.0.1:8089", got["PARTNER_CENTER_BASE_URL"])
	require.Equal(t, "http://127.0.0.1:8089/graph/v1.0", got["GRAPH_BASE_URL"])
	require.Equal(t, "http://127.0.0.1:8089/login", got["IDENTITY_AUTHORITY"])
	require.Equal(t, strings.Join(sandbox.PartnerTenantIDs(), ","), got["PARTNER_CENTER_TENANT_IDS"])

	// The worker program accepts them.
	delete(got, "CSP_CODEC_KEYS_FILE") // names no file here
	cfg, err := config.LoadWorkerFrom(config.Map(got))
	require.NoError(t, err)
	require.True(t, cfg.PartnerCenter.Configured(), "it calls the stack's sandbox, it does not embed one")
}

// TestLoadtestAgainstARealServer runs three transfers under light faults on a real dev server and worker
// with the embedded sandbox, reading the metrics of this process (the worker runs in it).
func TestLoadtestAgainstARealServer(t *testing.T) {
	s := devstack.Start(t)
	m, err := metrics.New(zaptest.NewLogger(t))
	require.NoError(t, err)
	ms := httptest.NewServer(m.Handler())
	t.Cleanup(ms.Close)

	r := loadtestAt(s.Address, "--transfers", "3", "--concurrency", "3", "--expires-in", "15s", "--faults", "light",
		"--sandbox", s.SandboxURL, "--worker-metrics", ms.URL+"/metrics", "--json")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	var res loadtest.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.Equal(t, loadtest.VerdictPass, res.Verdict, res.Problems)
	require.Equal(t, 3, res.Completed)
	require.Empty(t, res.Unfinished)
	require.Equal(t, "light", res.Faults)
	require.Positive(t, res.Cores)
	require.Positive(t, res.TransfersPerSecond)
	// Nothing receives this sandbox's webhooks, so they are dropped; that is reported, not a violation.
	res.Ledger.WebhooksDropped = 0
	require.Equal(t, loadtest.LedgerVerdict{Customers: 3, MinOrders: 1, MaxOrders: 1, Verdict: loadtest.VerdictPass}, res.Ledger)
	require.Equal(t, 3, res.EndToEnd.Count)
	require.GreaterOrEqual(t, res.EndToEnd.P50, 10.0, "the originals end 15s after the start")
	require.Positive(t, res.ActiveWallSeconds)
	require.Less(t, res.ActiveWallSeconds, res.WallSeconds, "the expiry wait is not working time")
	require.Positive(t, res.History.P50)
	require.True(t, res.Actions.Available)
	require.Equal(t, 1, res.Actions.Start)
	require.Positive(t, res.Actions.Activities)
	require.Positive(t, res.Actions.Upserts)
	require.Equal(t, res.Actions.Start+res.Actions.Activities+res.Actions.Timers+res.Actions.Signals+res.Actions.Upserts+res.Actions.Updates+res.Actions.ContinueAsNew, res.Actions.Total)
	require.GreaterOrEqual(t, res.History.Max, res.History.P50)
	require.True(t, res.Worker.Available, res.Worker.MetricsURLProblem)
	require.Equal(t, 1, res.Worker.Workers)
	require.True(t, res.API.Available, res.API.Problem)
	require.Positive(t, res.API.PartnerCenterPerTransfer, "counted by the sandbox")
	require.Positive(t, res.API.GraphPerTransfer)
	require.Positive(t, res.API.MaxPerSecond)
	require.NotEmpty(t, res.API.Tenants)
	require.Equal(t, 10.0, res.API.RatePerTenant)
	require.Equal(t, 10.0, res.API.GraphRatePerTenant)
	require.InDelta(t, min(res.API.RatePerTenant/res.API.PartnerCenterCPerTransfer, res.API.GraphRatePerTenant/res.API.GraphCPerTransfer),
		res.API.CeilingPerSecond, 1e-9)
	require.Positive(t, res.Worker.PeakRSSBytes)
	require.Positive(t, res.Worker.PeakHeapInuse)
	require.NotNil(t, res.Baseline)
	require.Equal(t, 3, res.Baseline.Workflows)
	require.Positive(t, res.Baseline.ActivitiesPerWorkflow)
	require.Positive(t, res.Baseline.Ratio)

	// The faults were cleared at the end.
	faults, err := sandbox.AdminClient{BaseURL: s.SandboxURL}.Faults(context.Background())
	require.NoError(t, err)
	require.Empty(t, faults.Rules)

	human := loadtestAt(s.Address, "--transfers", "1", "--expires-in", "10s", "--baseline=false",
		"--sandbox", s.SandboxURL, "--worker-metrics", ms.URL+"/metrics")
	require.Equal(t, exitOK, human.code, "stdout: %s\nstderr: %s", human.stdout, human.stderr)
	for _, want := range []string{"transfers/s", "AwaitingExpiry", "end to end", "History events per transfer", "Actions per transfer", "Worker CPU", "Rate ceiling", "Max calls/s per tenant", "→ PASS", "Verdict        PASS"} {
		require.Contains(t, human.stdout, want)
	}
}
