// Command loadtest runs many whole sandbox transfers against an already running stack and reports
// throughput, stage latencies, cost and the sandbox ledger's verdict (the logic is internal/loadtest). It is a
// program of its own, not part of the operator CLI: it starts hundreds of transfers and a worker of its own
// for the baseline. It talks to Temporal through the same TEMPORAL_* settings, temporal.toml profiles and
// codec keys as the worker.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/csptransfer/csptransfer/internal/loadtest"
	"github.com/csptransfer/csptransfer/internal/temporalconn"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, envconfig.EnvLookupOS, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command with args, reading settings from env, and returns its exit code; errors are
// printed to errOut once, here.
func execute(ctx context.Context, env envconfig.EnvLookup, args []string, out, errOut io.Writer) int {
	cmd := newCmd(env)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(errOut, "loadtest:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
}

// usageError is a bad flag or setting: nothing was started.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func newCmd(env envconfig.EnvLookup) *cobra.Command {
	o := loadtest.Options{SandboxURL: loadtest.DefaultSandboxURL, RatePerTenant: loadtest.DefaultRatePerTenant,
		GraphRatePerTenant: loadtest.DefaultGraphRatePerTenant}
	if v, ok := env.LookupEnv("CSP_SANDBOX_URL"); ok && strings.TrimSpace(v) != "" {
		o.SandboxURL = strings.TrimSpace(v)
	}
	// The workers' rate budgets per partner tenant: the same variables the worker reads, when they are set here.
	for name, to := range map[string]*float64{"CSP_PC_RATE": &o.RatePerTenant, "CSP_GRAPH_RATE": &o.GraphRatePerTenant} {
		if v, ok := env.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			if r, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				*to = r
			}
		}
	}
	var jsonOut bool
	var connectTimeout time.Duration
	var workers int
	var workerBin string
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Run many sandbox transfers against a running stack and report throughput, stage latencies, cost and the ledger's verdict",
		Long: `Run N whole transfers against an already running stack (make run: a Temporal server, the worker with its
embedded Partner Center sandbox). For each transfer a sandbox customer is created (a retired Office 365 E4
whose users move to E3, and Office 365 E1 bought again; originals ending --expires-in after the start), the
transfer is started (approval never, country FR), the customer's acceptance is given in the sandbox admin
API and reported to the transfer, and the command waits until every transfer has ended (at most
--expires-in + 5m).

It prints wall time and transfers per second; p50/p95/p99 per stage and end to end; history events per
transfer; Partner Center and Graph calls in all and per transfer, per partner tenant, and the busiest
second of each tenant (from the sandbox's call counters, GET /sandbox/calls, which it resets at the start:
they count every worker's calls); the ceiling R/C transfers per second that each API's per-tenant rate R (--rate
= CSP_PC_RATE, --graph-rate = CSP_GRAPH_RATE) allows at the measured C calls of that API per transfer; the 429s the workers saw and their CPU seconds
and peak/end memory, summed over every --worker-metrics URL; the sandbox ledger's verdict for these customers (no duplicate purchase, no
original cancelled, no license shortfall, no user without a license, one order per customer); and, with
--baseline, the same number of minimal workflows running the same number of no-op activities, so the
ratio between the two means something on any machine.

--workers N runs the transfers on N workers: the stack's and N-1 that the load test starts and stops, on
the same Temporal server and task queue, calling the sandbox as their Partner Center and Graph the way
production workers call Microsoft. They share each partner tenant's budget with the stack's worker, so the
busiest second per tenant shows whether the budget holds across workers.

It connects like the worker: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE (temporal.toml), and CSP_CODEC_KEYS / CSP_CODEC_KEYS_FILE.

Faults (PUT /sandbox/faults, cleared at the end):
  none   the sandbox's fault rules are left as they are
  light  5% 429 (Retry-After 1) on Partner Center, 2% 503 on Graph, 10 ms latency
  heavy  20% 429 on Partner Center, 10% 503 on Graph, 50 ms latency, one partial checkout, 10% dropped webhooks

Exit code 0 when every transfer completed and the verdict is PASS, 1 otherwise, 2 for invalid flags.`,
		Example: "  loadtest\n  loadtest --transfers 200 --faults light\n" +
			"  TEMPORAL_ADDRESS=127.0.0.1:17400 loadtest --sandbox http://127.0.0.1:18489 --worker-metrics http://127.0.0.1:18491/metrics --json\n" +
			"  loadtest --worker-metrics http://10.0.0.5:9090/metrics,http://10.0.0.6:9090/metrics --rate 10\n" +
			"  loadtest --workers 3    # the stack's worker and two more: one partner-tenant budget across all three",
		Args:          noArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if connectTimeout <= 0 || connectTimeout > 5*time.Minute {
				return &usageError{fmt.Errorf("--connect-timeout: %s is not between 1ns and 5m", connectTimeout)}
			}
			if workers < 1 || workers > maxExtraWorkers+1 {
				return &usageError{fmt.Errorf("--workers: %d is not between 1 and %d", workers, maxExtraWorkers+1)}
			}
			if err := o.Validate(); err != nil {
				return &usageError{err}
			}
			conn, err := temporalconn.DialOnce(cmd.Context(), env, cmd.ErrOrStderr(), connectTimeout)
			var serr *temporalconn.SettingsError
			if errors.As(err, &serr) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			defer conn.Client.Close()
			if workers > 1 {
				extra, err := startWorkers(cmd.Context(), workers-1, workerBin, o.SandboxURL, o.RatePerTenant, o.GraphRatePerTenant)
				if err != nil {
					return err
				}
				defer extra.stop()
				o.MetricsURLs = append(o.MetricsURLs, extra.metrics...)
				fmt.Fprintf(cmd.ErrOrStderr(), "loadtest: %d more worker(s) started, on the sandbox as their Partner Center\n", len(extra.metrics))
			}
			res, err := loadtest.Run(cmd.Context(), conn.Client, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if jsonOut {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				loadtest.Render(out, res)
			}
			if res.Verdict != loadtest.VerdictPass {
				return errors.New("load test failed: " + strings.Join(res.Problems, "; "))
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	f := cmd.Flags()
	f.IntVar(&o.Transfers, "transfers", 50, "how many transfers to run")
	f.IntVar(&o.Concurrency, "concurrency", 20, "how many customer creations and starts are in flight at once")
	f.DurationVar(&o.ExpiresIn, "expires-in", 30*time.Second, "when each customer's originals end, after its start")
	f.StringVar(&o.Faults, "faults", "none", "sandbox faults during the run: none, light or heavy")
	f.StringVar(&o.SandboxURL, "sandbox", o.SandboxURL, "the sandbox's base URL (env CSP_SANDBOX_URL)")
	f.StringSliceVar(&o.MetricsURLs, "worker-metrics", []string{loadtest.DefaultWorkerMetricsURL},
		"every worker's Prometheus metrics URL (repeat the flag or separate with commas); CPU and memory are summed")
	f.Float64Var(&o.RatePerTenant, "rate", o.RatePerTenant,
		"the workers' configured Partner Center calls per second per partner tenant (CSP_PC_RATE), for the R/C throughput ceiling")
	f.Float64Var(&o.GraphRatePerTenant, "graph-rate", o.GraphRatePerTenant,
		"the workers' configured Graph calls per second per partner tenant (CSP_GRAPH_RATE), for the R/C throughput ceiling")
	f.BoolVar(&o.Baseline, "baseline", true, "also run minimal workflows with as many no-op activities, to compare")
	f.IntVar(&workers, "workers", 1, "how many workers run the transfers: the running stack's, plus this many minus one that the load test starts "+
		"(--worker-bin, on the same Temporal server, the --sandbox as their Partner Center and Graph, at --rate and --graph-rate) and stops at the end")
	f.StringVar(&workerBin, "worker-bin", defaultWorkerBin(), "the worker binary --workers starts")
	f.BoolVar(&jsonOut, "json", false, "print JSON instead of tables")
	f.DurationVar(&connectTimeout, "connect-timeout", 5*time.Second, "how long to try reaching Temporal before giving up")
	return cmd
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args)}
	}
	return nil
}
