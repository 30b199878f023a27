package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// TestImportSpeed is a measurement, not a check: it times a plain sequential start loop against `starter
// import` of as many fresh rows, with the import's default flags, on a real dev server with no worker
// (starting a workflow needs none). Run it with
//
//	CSP_IMPORT_BENCH=1 go test -run TestImportSpeed -count=1 -v ./starter
//
// CSP_IMPORT_BENCH_ROWS sets the number of rows (default 1000), CSP_IMPORT_BENCH_FLAGS extra import flags
// (e.g. "--concurrency 4 --rate 5", the old defaults), CSP_IMPORT_BENCH_ROUNDS how many times both
// are timed (default 3; the medians are compared), CSP_IMPORT_BENCH_CLI_ROWS times a loop of
// `temporal workflow start` processes over that many rows too.
func TestImportSpeed(t *testing.T) {
	if os.Getenv("CSP_IMPORT_BENCH") != "1" {
		t.Skip("a measurement: set CSP_IMPORT_BENCH=1 to run it")
	}
	n := benchEnvInt(t, "CSP_IMPORT_BENCH_ROWS", 1000)
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	c := srv.Client()
	ctx := context.Background()

	bare := func(tenants []string) time.Duration {
		begin := time.Now()
		for _, tenant := range tenants {
			_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: csptransfer.WorkflowID(tenant), TaskQueue: csptransfer.TaskQueue},
				csptransfer.WorkflowType, benchRequest(tenant))
			require.NoError(t, err)
		}
		return time.Since(begin)
	}
	bare(benchTenants(20)) // warm up the server and the connection
	// The import's own start (transfers.Service.Start: search attributes, summary, reuse policy) in a plain
	// loop, without the import's describe: what of the gap is the start itself.
	svc := transfers.Service{Client: c, Now: time.Now}
	serviceLoop := func(tenants []string) time.Duration {
		begin := time.Now()
		for _, tenant := range tenants {
			_, err := svc.Start(ctx, benchRequest(tenant))
			require.NoError(t, err)
		}
		return time.Since(begin)
	}

	flags := strings.Fields(os.Getenv("CSP_IMPORT_BENCH_FLAGS"))
	importFile := func(tenants []string) time.Duration {
		file := filepath.Join(t.TempDir(), "customers.csv")
		var csv bytes.Buffer
		csv.WriteString("customerTenantId,customerDomain,country\n")
		for _, tenant := range tenants {
			r := benchRequest(tenant)
			fmt.Fprintf(&csv, "%s,%s,%s\n", r.CustomerTenantID, r.CustomerDomain, r.Country)
		}
		require.NoError(t, os.WriteFile(file, csv.Bytes(), 0o600))
		a := newApp(config.Map{"TEMPORAL_ADDRESS": srv.FrontendHostPort()})
		a.interactive = func(any) bool { return true } // the progress bar is drawn, as on a terminal
		var out, errOut bytes.Buffer
		begin := time.Now()
		code := execute(ctx, a, append([]string{"import", file, "--json"}, flags...), strings.NewReader(""), &out, &errOut)
		took := time.Since(begin)
		require.Equal(t, exitOK, code, "stderr: %s", lastLines(errOut.String(), 5))
		var sum importSummary
		require.NoError(t, json.Unmarshal(out.Bytes(), &sum))
		require.Equal(t, len(tenants), sum.Started, "every row started")
		require.Contains(t, errOut.String(), fmt.Sprintf("(%d/%d", len(tenants), len(tenants)), "the progress bar ended full")
		return took
	}

	// Rounds alternate the two on fresh IDs, so a server slowing down as it fills weighs on both alike.
	rounds := benchEnvInt(t, "CSP_IMPORT_BENCH_ROUNDS", 3)
	var loops, services, imports, ratios []float64
	for i := range rounds {
		loop := bare(benchTenants(n))
		imp := importFile(benchTenants(n))
		service := serviceLoop(benchTenants(n))
		loops, services, imports = append(loops, loop.Seconds()), append(services, service.Seconds()), append(imports, imp.Seconds())
		ratios = append(ratios, imp.Seconds()/loop.Seconds())
		t.Logf("round %d, %d workflows: bare ExecuteWorkflow loop %s (%.0f/s); starter import %s (%.0f/s); import/loop time %.2f; Service.Start loop %s (%.0f/s)",
			i+1, n, loop.Round(time.Millisecond), float64(n)/loop.Seconds(), imp.Round(time.Millisecond), float64(n)/imp.Seconds(), ratios[i],
			service.Round(time.Millisecond), float64(n)/service.Seconds())
	}
	t.Logf("median of %d rounds, %d workflows, import flags [%s]: loop %.3fs, import %.3fs, import/loop time %.2f (goal <= 1.11); Service.Start loop %.3fs",
		rounds, n, strings.Join(flags, " "), median(loops), median(imports), median(ratios), median(services))

	if m := benchEnvInt(t, "CSP_IMPORT_BENCH_CLI_ROWS", 0); m > 0 {
		cli, err := devserver.CLIPath()
		require.NoError(t, err)
		begin := time.Now()
		for _, tenant := range benchTenants(m) {
			input, err := json.Marshal(benchRequest(tenant))
			require.NoError(t, err)
			cmd := exec.Command(cli, "workflow", "start", "--address", srv.FrontendHostPort(), "--type", csptransfer.WorkflowType,
				"--task-queue", csptransfer.TaskQueue, "--workflow-id", csptransfer.WorkflowID(tenant), "--input", string(input))
			b, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", b)
		}
		cliLoop := time.Since(begin)
		perRow := cliLoop / time.Duration(m)
		t.Logf("%d workflows: `temporal workflow start` loop %s (%.0f/s, %s each); import/CLI-loop time ratio %.3f (per row)",
			m, cliLoop.Round(time.Millisecond), float64(m)/cliLoop.Seconds(), perRow.Round(100*time.Microsecond),
			(median(imports)/float64(n))/perRow.Seconds())
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func benchTenants(n int) []string {
	tenants := make([]string, n)
	for i := range tenants {
		tenants[i] = uuid.NewString()
	}
	return tenants
}

func benchRequest(tenant string) csptransfer.TransferRequest {
	return csptransfer.TransferRequest{CustomerTenantID: tenant, CustomerDomain: "bench-" + tenant[:8] + ".onmicrosoft.com", Country: "DE"}
}

func benchEnvInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", name)
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
