// Package loadtest runs many whole sandbox transfers against an already running stack (a Temporal server and
// the worker with its Partner Center sandbox) and measures them: throughput, time per stage, history
// events, Partner Center and Graph calls, the worker's CPU and memory, the sandbox ledger's verdict, and a
// baseline of minimal workflows on the same server. The loadtest command is its front end.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// Wire names of the load test's baseline: its own task queue, so it never competes with transfers for a
// worker slot of the product's worker, and only this process polls it.
const (
	loadBaselineTaskQueue    = "csp-loadtest-baseline"
	loadBaselineWorkflowType = "LoadBaseline"
	loadBaselineActivityType = "LoadBaselineStep"
)

// Where make run serves the sandbox and the worker's metrics.
const (
	DefaultSandboxURL       = "http://127.0.0.1:8089"
	DefaultWorkerMetricsURL = "http://127.0.0.1:9090/metrics"
	// DefaultRatePerTenant and DefaultGraphRatePerTenant are the workers' default CSP_PC_RATE and CSP_GRAPH_RATE.
	DefaultRatePerTenant      = 10.0
	DefaultGraphRatePerTenant = 10.0
)

const (
	// loadGrace is how long past the originals' end the load test waits for transfers to finish.
	loadGrace = 5 * time.Minute
	// maxLoadTransfers bounds one run: the sandbox keeps every customer in one state file.
	maxLoadTransfers = 5000
)

// Options are the load test's settings, the loadtest command's flags.
type Options struct {
	// Transfers is how many transfers to run, 1 to 5000.
	Transfers int
	// Concurrency is how many customer creations and starts are in flight at once, 1 to 256.
	Concurrency int
	// ExpiresIn is when each customer's originals end, after its start: 5s to 24h.
	ExpiresIn time.Duration
	// Faults is the sandbox fault preset during the run: none, light or heavy.
	Faults string
	// SandboxURL is the sandbox's base URL.
	SandboxURL string
	// MetricsURLs are the Prometheus metrics URLs of every worker: their CPU and memory are summed.
	MetricsURLs []string
	// RatePerTenant and GraphRatePerTenant are the workers' configured rates per partner tenant, all
	// workers together: Partner Center calls per second (CSP_PC_RATE) and Graph calls per second
	// (CSP_GRAPH_RATE), each its own budget. They give the R/C throughput ceiling.
	RatePerTenant      float64
	GraphRatePerTenant float64
	// Baseline also runs minimal workflows with as many no-op activities, to compare.
	Baseline bool
}

// Validate names every setting out of range, by its flag, in one error.
func (o Options) Validate() error {
	var problems []string
	if o.Transfers < 1 || o.Transfers > maxLoadTransfers {
		problems = append(problems, fmt.Sprintf("--transfers: %d is not between 1 and %d", o.Transfers, maxLoadTransfers))
	}
	if o.Concurrency < 1 || o.Concurrency > 256 {
		problems = append(problems, fmt.Sprintf("--concurrency: %d is not between 1 and 256", o.Concurrency))
	}
	if o.ExpiresIn < 5*time.Second || o.ExpiresIn > 24*time.Hour {
		problems = append(problems, fmt.Sprintf("--expires-in: %s is not between 5s and 24h", o.ExpiresIn))
	}
	if _, err := faultPreset(o.Faults); err != nil {
		problems = append(problems, "--faults: "+err.Error())
	}
	if len(o.MetricsURLs) == 0 {
		problems = append(problems, "--worker-metrics: give at least one worker's metrics URL")
	}
	if o.RatePerTenant <= 0 || o.RatePerTenant > 10000 {
		problems = append(problems, fmt.Sprintf("--rate: %g is not between 0 and 10000 calls per second", o.RatePerTenant))
	}
	if o.GraphRatePerTenant <= 0 || o.GraphRatePerTenant > 10000 {
		problems = append(problems, fmt.Sprintf("--graph-rate: %g is not between 0 and 10000 calls per second", o.GraphRatePerTenant))
	}
	checkURL := func(flag, v string) {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("%s: %q is not an absolute http(s) URL", flag, v))
		}
	}
	checkURL("--sandbox", o.SandboxURL)
	for _, v := range o.MetricsURLs {
		checkURL("--worker-metrics", v)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New("invalid loadtest flags:\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}

// faultPreset is the PUT /sandbox/faults body of a --faults preset, or nil for none. Partner Center is
// everything under /v1, Graph everything under /graph; the latency rule slows every API call.
func faultPreset(name string) (*sandbox.FaultRules, error) {
	switch name {
	case "none":
		return nil, nil
	case "light":
		return &sandbox.FaultRules{Seed: 7, Rules: []sandbox.FaultRule{
			{Match: "/v1/**", Status: 429, RetryAfterSeconds: 1, Probability: 0.05},
			{Match: "/graph/**", Status: 503, Probability: 0.02},
			{Match: "*", LatencyMs: 10},
		}}, nil
	case "heavy":
		return &sandbox.FaultRules{Seed: 7, Rules: []sandbox.FaultRule{
			{Match: "/v1/**", Status: 429, RetryAfterSeconds: 1, Probability: 0.2},
			{Match: "/graph/**", Status: 503, Probability: 0.1},
			{Match: "*", LatencyMs: 50},
			{Kind: sandbox.FaultPartialCheckout, LineItems: []int{1}, Count: 1},
			{Kind: sandbox.FaultDropWebhook, Probability: 0.1},
		}}, nil
	}
	return nil, fmt.Errorf("%q is not one of none, light, heavy", name)
}

// Verdicts (Result.Verdict, LedgerVerdict.Verdict).
const (
	VerdictPass = "PASS"
	VerdictFail = "FAIL"
)

// DurationStats are percentiles in seconds.
type DurationStats struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Seconds"`
	P95   float64 `json:"p95Seconds"`
	P99   float64 `json:"p99Seconds"`
}

// StageStats is how long transfers stayed in one stage.
type StageStats struct {
	Stage csptransfer.Stage `json:"stage"`
	DurationStats
}

// HistoryStats is the number of history events per transfer.
type HistoryStats struct {
	P50 int `json:"p50"`
	Max int `json:"max"`
}

// ActionStats are the billable actions (as Temporal Cloud counts them) in the median transfer's history:
// its start, every activity attempt, timers, signals, search attribute upserts, updates and continue-as-new.
// Version markers and workflow tasks are not actions.
type ActionStats struct {
	Available     bool `json:"available"`
	Total         int  `json:"total"`
	Start         int  `json:"start"`
	Activities    int  `json:"activityAttempts"`
	Timers        int  `json:"timers"`
	Signals       int  `json:"signals"`
	Upserts       int  `json:"upserts"`
	Updates       int  `json:"updates"`
	ContinueAsNew int  `json:"continueAsNew"`
}

// countActions adds up the billable actions of one history.
func countActions(events []*historypb.HistoryEvent) ActionStats {
	var a ActionStats
	for _, ev := range events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			a.Start++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			// One started event per activity, carrying the attempt it started on: earlier attempts were tried too.
			a.Activities += max(1, int(ev.GetActivityTaskStartedEventAttributes().GetAttempt()))
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			a.Timers++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			a.Signals++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			a.Upserts++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a.Updates++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			a.ContinueAsNew++
		}
	}
	a.Total = a.Start + a.Activities + a.Timers + a.Signals + a.Upserts + a.Updates + a.ContinueAsNew
	a.Available = len(events) > 0
	return a
}

// historyActions counts the actions of a transfer's latest run.
func historyActions(ctx context.Context, c client.Client, id string) (ActionStats, error) {
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return ActionStats{}, fmt.Errorf("history of %s: %w", id, err)
		}
		events = append(events, ev)
	}
	return countActions(events), nil
}

// APIStats are the Partner Center and Graph calls during the run, as the sandbox counted them (every
// worker's, per partner tenant), and the 429s the workers saw (their metrics, summed).
type APIStats struct {
	Available                bool    `json:"available"`
	PartnerCenterCalls       float64 `json:"partnerCenterCalls"`
	GraphCalls               float64 `json:"graphCalls"`
	PartnerCenterPerTransfer float64 `json:"partnerCenterCallsPerTransfer"`
	GraphPerTransfer         float64 `json:"graphCallsPerTransfer"`
	// Throttled is the 429s the workers saw (csp_api_throttled_total over every worker).
	Throttled float64 `json:"throttled429"`
	// SandboxThrottled is the requests the sandbox answered 429 (injected faults).
	SandboxThrottled float64 `json:"sandboxThrottled429"`
	// Tenants are the calls per partner tenant. Each API has its own budget per partner tenant: C is the
	// busiest tenant's calls of that API per transfer, R its configured rate, R/C the most transfers per
	// second that budget allows; CeilingPerSecond is the lower of the two, and CeilingBoundBy names its API.
	Tenants                   []TenantAPIStats `json:"tenants"`
	PartnerCenterCPerTransfer float64          `json:"partnerCenterCallsPerTransferBusiestTenant"`
	GraphCPerTransfer         float64          `json:"graphCallsPerTransferBusiestTenant"`
	RatePerTenant             float64          `json:"ratePerTenant"`
	GraphRatePerTenant        float64          `json:"graphRatePerTenant"`
	PartnerCenterCeiling      float64          `json:"partnerCenterCeilingTransfersPerSecond"`
	GraphCeiling              float64          `json:"graphCeilingTransfersPerSecond"`
	CeilingPerSecond          float64          `json:"ceilingTransfersPerSecond"`
	CeilingBoundBy            string           `json:"ceilingBoundBy,omitempty"`
	// MaxPerSecond is the most calls one partner tenant made in one second, in all and per API.
	MaxPerSecond              float64 `json:"maxCallsPerSecond"`
	MaxPartnerCenterPerSecond float64 `json:"maxPartnerCenterCallsPerSecond"`
	MaxGraphPerSecond         float64 `json:"maxGraphCallsPerSecond"`
	Problem                   string  `json:"problem,omitempty"`
}

// TenantAPIStats are one partner tenant's calls during the run (the sandbox's counters).
type TenantAPIStats struct {
	TenantID         string          `json:"tenantId"`
	Name             string          `json:"name,omitempty"`
	PartnerCenter    float64         `json:"partnerCenterCalls"`
	Graph            float64         `json:"graphCalls"`
	Calls            float64         `json:"calls"`
	CallsPerTransfer float64         `json:"callsPerTransfer"`
	MaxPerSecond     float64         `json:"maxCallsPerSecond"`
	MaxPCPerSecond   float64         `json:"maxPartnerCenterCallsPerSecond"`
	MaxGraphPerSec   float64         `json:"maxGraphCallsPerSecond"`
	Throttled        float64         `json:"throttled429"`
	Endpoints        []EndpointStats `json:"endpoints"`
}

// EndpointStats are the calls of one endpoint (method and route template).
type EndpointStats struct {
	Endpoint         string  `json:"endpoint"`
	Calls            float64 `json:"calls"`
	CallsPerTransfer float64 `json:"callsPerTransfer"`
}

// WorkerStats is what the worker processes spent, summed over every --worker-metrics URL.
type WorkerStats struct {
	Available         bool    `json:"available"`
	Workers           int     `json:"workers"`
	CPUSeconds        float64 `json:"cpuSeconds"`
	PeakRSSBytes      float64 `json:"peakResidentBytes"`
	EndRSSBytes       float64 `json:"endResidentBytes"`
	PeakHeapInuse     float64 `json:"peakHeapInuseBytes"`
	EndHeapInuse      float64 `json:"endHeapInuseBytes"`
	MetricsURLProblem string  `json:"problem,omitempty"`
}

// LedgerVerdict sums the sandbox ledger over the load test's customers.
type LedgerVerdict struct {
	Customers           int    `json:"customers"`
	Missing             int    `json:"missing"`
	DuplicatePurchases  int    `json:"duplicatePurchases"`
	OriginalsCancelled  int    `json:"originalsCancelled"`
	LicenseShortfalls   int    `json:"licenseShortfalls"`
	UsersWithoutLicense int    `json:"usersWithoutLicense"`
	MinOrders           int    `json:"minOrdersPerCustomer"`
	MaxOrders           int    `json:"maxOrdersPerCustomer"`
	WebhooksDropped     int    `json:"webhooksDropped"`
	Verdict             string `json:"verdict"`
}

// BaselineStats is the minimal-workflow run.
type BaselineStats struct {
	Workflows             int     `json:"workflows"`
	ActivitiesPerWorkflow int     `json:"activitiesPerWorkflow"`
	WallSeconds           float64 `json:"wallSeconds"`
	PerSecond             float64 `json:"workflowsPerSecond"`
	// Ratio is the transfers' working time (activeWallSeconds) divided by the baseline's wall time.
	Ratio float64 `json:"ratio"`
}

// Result is loadtest's output.
type Result struct {
	Transfers        int      `json:"transfers"`
	Concurrency      int      `json:"concurrency"`
	Faults           string   `json:"faults"`
	ExpiresInSeconds float64  `json:"expiresInSeconds"`
	Cores            int      `json:"cores"`
	Started          int      `json:"started"`
	Completed        int      `json:"completed"`
	Unfinished       []string `json:"unfinished"`
	// UnfinishedByStage says where the unfinished transfers stood when the time was up.
	UnfinishedByStage map[csptransfer.Stage]int `json:"unfinishedByStage"`
	// Aborted counts the unfinished transfers sent the abort signal, so they stop loading the stack.
	Aborted            int      `json:"aborted"`
	NotCompleted       []string `json:"notCompleted"`
	WallSeconds        float64  `json:"wallSeconds"`
	TransfersPerSecond float64  `json:"transfersPerSecond"`
	// ActiveWallSeconds is the working time, without the sleep until the originals end (see activeSeconds).
	ActiveWallSeconds float64        `json:"activeWallSeconds"`
	Stages            []StageStats   `json:"stages"`
	EndToEnd          DurationStats  `json:"endToEnd"`
	History           HistoryStats   `json:"historyEvents"`
	Actions           ActionStats    `json:"actions"`
	API               APIStats       `json:"api"`
	Worker            WorkerStats    `json:"worker"`
	Ledger            LedgerVerdict  `json:"ledger"`
	Baseline          *BaselineStats `json:"baseline,omitempty"`
	Verdict           string         `json:"verdict"`
	Problems          []string       `json:"problems"`
}

// loadTransfer is one transfer of the run.
type loadTransfer struct {
	tenant string
	id     string
	report *csptransfer.TransferReport
	err    error
}

// session is what the run uses of Temporal.
type session struct {
	c   client.Client
	svc transfers.Service
}

// Run performs the load test with c, writing its progress to errOut; o must be valid (Validate). Its error
// means the test could not run, not that it failed: that is Result.Verdict.
func Run(ctx context.Context, c client.Client, o Options, errOut io.Writer) (Result, error) {
	s := &session{c: c, svc: transfers.Service{Client: c}}
	res := Result{Transfers: o.Transfers, Concurrency: o.Concurrency, Faults: o.Faults, ExpiresInSeconds: o.ExpiresIn.Seconds(),
		Cores: runtime.NumCPU(), Unfinished: []string{}, UnfinishedByStage: map[csptransfer.Stage]int{}, NotCompleted: []string{}, Problems: []string{}}
	sb := sandbox.AdminClient{BaseURL: o.SandboxURL, HTTP: &http.Client{Timeout: 15 * time.Second}}
	if _, err := sb.Clock(ctx); err != nil {
		return res, fmt.Errorf("sandbox unreachable (set --sandbox or CSP_SANDBOX_URL): %w", err)
	}
	preset, _ := faultPreset(o.Faults)
	if preset != nil {
		if err := sb.PutFaults(ctx, *preset); err != nil {
			return res, fmt.Errorf("apply faults %s: %w", o.Faults, err)
		}
		defer func() {
			// The run's context may be cancelled (Ctrl-C): clearing the faults must still happen.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := sb.DeleteFaults(cctx); err != nil {
				fmt.Fprintln(errOut, "loadtest: clear sandbox faults:", err)
			}
		}()
	}

	scraper := metricsScraper{urls: o.MetricsURLs, hc: &http.Client{Timeout: 5 * time.Second}}
	// The sandbox counts every worker's calls per partner tenant: start from zero.
	callsErr := sb.ResetCalls(ctx)
	before, beforeErr := scraper.scrape(ctx)
	sampler := startSampler(ctx, scraper)

	began := time.Now()
	transfers := startLoad(ctx, s, sb, o, errOut)
	deadline := began.Add(o.ExpiresIn + loadGrace)
	driveLoad(ctx, s, sb, transfers, o.Concurrency, deadline, errOut)
	wall := time.Since(began)
	peak := sampler.stop()
	after, afterErr := scraper.scrape(ctx)
	var calls sandbox.CallsView
	if callsErr == nil {
		calls, callsErr = sb.Calls(ctx, 0)
	}

	res.WallSeconds = wall.Seconds()
	var reports []csptransfer.TransferReport
	for _, t := range transfers {
		switch {
		case t.id == "":
			// never started: t.err says why
		case t.report == nil:
			res.Unfinished = append(res.Unfinished, t.id)
		case t.report.Outcome != csptransfer.StageCompleted:
			res.NotCompleted = append(res.NotCompleted, fmt.Sprintf("%s: %s %s", t.id, t.report.Outcome, t.report.Reason))
		default:
			res.Completed++
		}
		if t.id != "" {
			res.Started++
		}
		if t.report != nil {
			reports = append(reports, *t.report)
		}
	}
	if res.Completed > 0 {
		res.TransfersPerSecond = float64(res.Completed) / wall.Seconds()
	}
	res.Stages, res.EndToEnd = stageDurations(reports)
	res.ActiveWallSeconds = activeSeconds(reports)

	hist, medianID := historyLengths(ctx, s, transfers, o.Concurrency)
	res.History = hist
	if medianID != "" {
		if a, err := historyActions(ctx, s.c, medianID); err != nil {
			res.Problems = append(res.Problems, "actions: "+err.Error())
		} else {
			res.Actions = a
		}
	}
	res.UnfinishedByStage, res.Aborted = abortUnfinished(ctx, s, transfers, o.Concurrency)
	res.API, res.Worker = metricDeltas(before, beforeErr, after, afterErr, peak, o.Transfers)
	if res.Worker.Available {
		res.Worker.Workers = len(o.MetricsURLs)
	}
	res.API = apiFromCalls(res.API, calls, callsErr, o.Transfers, o.RatePerTenant, o.GraphRatePerTenant)

	ledger, err := sb.Ledger(ctx)
	if err != nil {
		res.Problems = append(res.Problems, "sandbox ledger: "+err.Error())
		res.Ledger.Verdict = VerdictFail
	} else {
		tenants := make([]string, 0, len(transfers))
		for _, t := range transfers {
			tenants = append(tenants, t.tenant)
		}
		res.Ledger = judgeLedger(ledger, tenants)
	}

	if o.Baseline && medianID != "" && ctx.Err() == nil {
		b, err := runBaseline(ctx, s, medianID, res.Started, o.Concurrency, o.ExpiresIn+loadGrace)
		if err != nil {
			res.Problems = append(res.Problems, "baseline: "+err.Error())
		} else {
			if b.WallSeconds > 0 {
				b.Ratio = res.ActiveWallSeconds / b.WallSeconds
			}
			res.Baseline = &b
		}
	}

	for _, t := range transfers {
		if t.id == "" && t.err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("customer %s not started: %v", t.tenant, t.err))
		}
	}
	if n := len(res.Unfinished); n > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("%d transfer(s) did not finish in time", n))
	}
	if n := len(res.NotCompleted); n > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("%d transfer(s) ended without completing", n))
	}
	if res.Ledger.Verdict != VerdictPass {
		res.Problems = append(res.Problems, "the sandbox ledger's verdict is FAIL")
	}
	res.Verdict = VerdictPass
	if len(res.Problems) > 0 || res.Completed != o.Transfers {
		res.Verdict = VerdictFail
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("loadtest interrupted: %w", ctx.Err())
	}
	return res, nil
}

// startLoad creates the sandbox customers and starts their transfers, --concurrency at a time.
func startLoad(ctx context.Context, s *session, sb sandbox.AdminClient, o Options, errOut io.Writer) []*loadTransfer {
	transfers := make([]*loadTransfer, o.Transfers)
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i := range transfers {
		t := &loadTransfer{tenant: uuid.NewString()}
		transfers[i] = t
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			t.err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.id, t.err = startOne(ctx, s, sb, t.tenant, o.ExpiresIn)
		}()
	}
	wg.Wait()
	fmt.Fprintf(errOut, "loadtest: %d transfer(s) started\n", countStarted(transfers))
	return transfers
}

func countStarted(ts []*loadTransfer) int {
	n := 0
	for _, t := range ts {
		if t.id != "" {
			n++
		}
	}
	return n
}

// startOne creates one customer, whose originals end expiresIn from now, and starts its transfer.
func startOne(ctx context.Context, s *session, sb sandbox.AdminClient, tenant string, expiresIn time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	domain := "load-" + tenant[:8] + ".onmicrosoft.com"
	expires := time.Now().Add(expiresIn).UTC().Truncate(time.Second)
	if err := sb.CreateCustomer(ctx, demo.Customer(tenant, domain, expires)); err != nil {
		return "", err
	}
	started, err := s.svc.Start(ctx, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", Approval: csptransfer.ApprovalNever,
	})
	if err != nil {
		return "", err
	}
	return started.WorkflowID, nil
}

// driveLoad plays the customer and the operator for every started transfer until each has ended or the
// deadline passes: it accepts the invitation in the sandbox, reports the acceptance, approves a plan that
// waits for approval, then waits for the result. Status queries are bounded by sem so the worker is not
// flooded with queries the transfers themselves do not cause.
func driveLoad(ctx context.Context, s *session, sb sandbox.AdminClient, ts []*loadTransfer, concurrency int, deadline time.Time, errOut io.Writer) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for _, t := range ts {
		if t.id == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := driveOne(ctx, s, sb, t, sem)
			mu.Lock()
			defer mu.Unlock()
			t.report, t.err = rep, err
			done++
		}()
	}
	progress := time.NewTicker(10 * time.Second)
	defer progress.Stop()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	for {
		select {
		case <-finished:
			return
		case <-progress.C:
			mu.Lock()
			fmt.Fprintf(errOut, "loadtest: %d of %d transfer(s) ended\n", done, countStarted(ts))
			mu.Unlock()
		}
	}
}

// driveOne acts on one transfer until its result is known. It follows the stage through DescribeWorkflow
// (the CspStage search attribute, answered by the server alone) and queries the workflow only when it
// needs the partner tenant or the plan version: a status query is a workflow task on the worker, and the
// load test must not add load the transfers themselves do not cause.
func driveOne(ctx context.Context, s *session, sb sandbox.AdminClient, t *loadTransfer, sem chan struct{}) (*csptransfer.TransferReport, error) {
	accepted := false
	approved := 0
	wait := 250 * time.Millisecond
	last := csptransfer.Stage("")
	for ctx.Err() == nil {
		sem <- struct{}{}
		stage, running, err := describeStage(ctx, s, t.id)
		if err == nil && running {
			switch {
			case stage == csptransfer.StageAwaitingAcceptance && !accepted:
				if st, qerr := queryStatus(ctx, s, t.id); qerr == nil && st.Stage == stage &&
					acceptOne(ctx, s, sb, t, st.PartnerTenantID) == nil {
					accepted = true
				}
			case stage == csptransfer.StageAwaitingApproval:
				if st, qerr := queryStatus(ctx, s, t.id); qerr == nil && st.Stage == stage && approved != st.PlanVersion &&
					approvePlan(ctx, s, t.id, st.PlanVersion) == nil {
					approved = st.PlanVersion
				}
			}
		}
		<-sem
		if err == nil && (!running || pastOperator(stage)) {
			// Nothing more needs the customer or an operator: wait for the result without polling.
			return waitResult(ctx, s, t.id)
		}
		// Poll quickly right after a change, then back off while the transfer works on its own.
		if stage != last {
			last, wait = stage, 250*time.Millisecond
		} else {
			wait = min(2*wait, 2*time.Second)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return nil, ctx.Err()
}

// describeStage reads a transfer's stage from its CspStage search attribute and whether it still runs.
func describeStage(ctx context.Context, s *session, id string) (csptransfer.Stage, bool, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	desc, err := s.c.DescribeWorkflow(dctx, id, "")
	if err != nil {
		return "", false, err
	}
	stage, _ := desc.TypedSearchAttributes.GetKeyword(csptransfer.SearchAttributeStage)
	return csptransfer.Stage(stage), desc.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// pastOperator reports whether a transfer in stage st needs nothing more from the load test.
func pastOperator(st csptransfer.Stage) bool {
	switch st {
	case csptransfer.StageProvisioning, csptransfer.StageReassigningLicenses, csptransfer.StageAwaitingExpiry:
		return true
	}
	return st.Terminal()
}

func queryStatus(ctx context.Context, s *session, id string) (csptransfer.TransferStatus, error) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.svc.Status(qctx, id)
}

func acceptOne(ctx context.Context, s *session, sb sandbox.AdminClient, t *loadTransfer, partner string) error {
	if err := sb.Accept(ctx, t.tenant, sandbox.AcceptInput{PartnerTenantID: partner}); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.c.SignalWorkflow(sctx, t.id, "", csptransfer.SignalRelationshipAccepted,
		csptransfer.RelationshipAccepted{CustomerTenantID: t.tenant, Source: "loadtest"})
}

func approvePlan(ctx context.Context, s *session, id string, version int) error {
	uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := s.c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: csptransfer.UpdateApprovePlan,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{csptransfer.ApprovePlan{PlanVersion: version, Comment: "approved by loadtest"}}})
	if err != nil {
		return err
	}
	return h.Get(uctx, nil)
}

func waitResult(ctx context.Context, s *session, id string) (*csptransfer.TransferReport, error) {
	var rep csptransfer.TransferReport
	if err := s.c.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil {
		return nil, fmt.Errorf("result of %s: %w", id, err)
	}
	return &rep, nil
}

// stageDurations turns each report's timeline into time spent per stage (from entering a stage to
// entering the next one, summed when a stage is entered again) and end to end, and gives percentiles over
// the transfers. Stages come out in workflow order; stages no transfer passed through are left out.
func stageDurations(reports []csptransfer.TransferReport) ([]StageStats, DurationStats) {
	per := map[csptransfer.Stage][]time.Duration{}
	var e2e []time.Duration
	for _, r := range reports {
		tl := append([]csptransfer.TimelineEntry(nil), r.Timeline...)
		sort.SliceStable(tl, func(i, j int) bool { return tl[i].At.Before(tl[j].At) })
		spent := map[csptransfer.Stage]time.Duration{}
		for i := 0; i+1 < len(tl); i++ {
			spent[tl[i].Stage] += tl[i+1].At.Sub(tl[i].At)
		}
		for st, d := range spent {
			per[st] = append(per[st], d)
		}
		start, end := r.StartedAt, r.CompletedAt
		if len(tl) > 0 {
			if start.IsZero() {
				start = tl[0].At
			}
			if end.IsZero() {
				end = tl[len(tl)-1].At
			}
		}
		if !start.IsZero() && !end.IsZero() && !end.Before(start) {
			e2e = append(e2e, end.Sub(start))
		}
	}
	var stages []StageStats
	for _, st := range csptransfer.Stages() {
		if ds, ok := per[st]; ok {
			stages = append(stages, StageStats{Stage: st, DurationStats: percentiles(ds)})
		}
	}
	return stages, percentiles(e2e)
}

// activeSeconds is how long the transfers worked: from the first start until the last one had nothing
// left to do but sleep until its originals end (it entered AwaitingExpiry) or had ended. That sleep is
// set by --expires-in and costs nothing; counted in, it would make the ratio to the baseline mean nothing.
func activeSeconds(reports []csptransfer.TransferReport) float64 {
	var first, last time.Time
	for _, r := range reports {
		start, end := r.StartedAt, r.CompletedAt
		for _, e := range r.Timeline {
			if start.IsZero() || e.At.Before(start) {
				start = e.At
			}
			if e.Stage == csptransfer.StageAwaitingExpiry && (end.IsZero() || e.At.Before(end)) {
				end = e.At
			}
		}
		if start.IsZero() || end.IsZero() {
			continue
		}
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if end.After(last) {
			last = end
		}
	}
	if first.IsZero() || !last.After(first) {
		return 0
	}
	return last.Sub(first).Seconds()
}

// percentiles gives p50/p95/p99 by the nearest-rank method: the smallest value with at least p% of the
// values at or below it, so every figure is one that was measured.
func percentiles(ds []time.Duration) DurationStats {
	if len(ds) == 0 {
		return DurationStats{}
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return DurationStats{Count: len(sorted),
		P50: nearestRank(sorted, 50).Seconds(), P95: nearestRank(sorted, 95).Seconds(), P99: nearestRank(sorted, 99).Seconds()}
}

// nearestRank is the p-th percentile of sorted values (non-empty, ascending).
func nearestRank[T any](sorted []T, p float64) T {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// historyLengths reads every transfer's history length and returns its p50 and max, and the workflow ID
// of the transfer with the median length (the baseline copies its activity count).
func historyLengths(ctx context.Context, s *session, ts []*loadTransfer, concurrency int) (HistoryStats, string) {
	type entry struct {
		id string
		n  int
	}
	var mu sync.Mutex
	var lengths []entry
	started := func(t *loadTransfer) bool { return t.id != "" }
	eachTransfer(ts, concurrency, started, func(t *loadTransfer) {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		desc, err := s.c.DescribeWorkflow(dctx, t.id, "")
		if err != nil {
			return
		}
		mu.Lock()
		lengths = append(lengths, entry{id: t.id, n: desc.HistoryLength})
		mu.Unlock()
	})
	if len(lengths) == 0 {
		return HistoryStats{}, ""
	}
	sort.Slice(lengths, func(i, j int) bool { return lengths[i].n < lengths[j].n })
	median := nearestRank(lengths, 50)
	return HistoryStats{P50: median.n, Max: lengths[len(lengths)-1].n}, median.id
}

// abortUnfinished signals abort to every transfer still running when the time is up, so a load test
// does not leave hundreds of transfers working against the stack, and counts them by stage.
func abortUnfinished(ctx context.Context, s *session, ts []*loadTransfer, concurrency int) (map[csptransfer.Stage]int, int) {
	var mu sync.Mutex
	byStage := map[csptransfer.Stage]int{}
	aborted := 0
	unfinished := func(t *loadTransfer) bool { return t.id != "" && t.report == nil }
	eachTransfer(ts, concurrency, unfinished, func(t *loadTransfer) {
		// The run's deadline has passed: these calls get their own short one.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		stage, running, err := describeStage(cctx, s, t.id)
		if err != nil || !running {
			return
		}
		serr := s.c.SignalWorkflow(cctx, t.id, "", csptransfer.SignalAbort, csptransfer.Abort{Reason: "load test time limit reached"})
		mu.Lock()
		defer mu.Unlock()
		byStage[stage]++
		if serr == nil {
			aborted++
		}
	})
	return byStage, aborted
}

// eachTransfer runs fn on every transfer pick selects, concurrency at a time, and waits for them all.
func eachTransfer(ts []*loadTransfer, concurrency int, pick func(*loadTransfer) bool, fn func(*loadTransfer)) {
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, t := range ts {
		if !pick(t) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(t)
		}()
	}
	wg.Wait()
}

// metricSample is what loadtest reads from one scrape of the worker's metrics.
type metricSample struct {
	calls      map[string]float64 // by service label: partnercenter, graph
	throttled  float64
	cpuSeconds float64
	rss        float64
	heapInuse  float64
}

// parseMetrics reads the Prometheus text format. Counters are summed over their labels.
func parseMetrics(r io.Reader) (metricSample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return metricSample{}, fmt.Errorf("parse metrics: %w", err)
	}
	s := metricSample{calls: map[string]float64{}}
	if f, ok := fams["csp_api_calls_total"]; ok {
		for _, m := range f.GetMetric() {
			service := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "service" {
					service = l.GetValue()
				}
			}
			s.calls[service] += m.GetCounter().GetValue()
		}
	}
	sum := func(name string) float64 {
		total := 0.0
		for _, m := range fams[name].GetMetric() {
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				total += m.GetGauge().GetValue()
			case m.GetUntyped() != nil:
				total += m.GetUntyped().GetValue()
			}
		}
		return total
	}
	s.throttled = sum("csp_api_throttled_total")
	s.cpuSeconds = sum("process_cpu_seconds_total")
	s.rss = sum("process_resident_memory_bytes")
	s.heapInuse = sum("go_memstats_heap_inuse_bytes")
	return s, nil
}

// metricDeltas turns the scrapes before and after the run, and the peaks sampled during it, into figures.
func metricDeltas(before metricSample, beforeErr error, after metricSample, afterErr error, peak metricSample, transfers int) (APIStats, WorkerStats) {
	if err := errors.Join(beforeErr, afterErr); err != nil {
		return APIStats{}, WorkerStats{MetricsURLProblem: err.Error()}
	}
	api := APIStats{Available: true,
		PartnerCenterCalls: after.calls["partnercenter"] - before.calls["partnercenter"],
		GraphCalls:         after.calls["graph"] - before.calls["graph"],
		Throttled:          after.throttled - before.throttled,
	}
	if transfers > 0 {
		api.PartnerCenterPerTransfer = api.PartnerCenterCalls / float64(transfers)
		api.GraphPerTransfer = api.GraphCalls / float64(transfers)
	}
	w := WorkerStats{Available: true, CPUSeconds: after.cpuSeconds - before.cpuSeconds,
		PeakRSSBytes: max(peak.rss, after.rss, before.rss), EndRSSBytes: after.rss,
		PeakHeapInuse: max(peak.heapInuse, after.heapInuse, before.heapInuse), EndHeapInuse: after.heapInuse}
	return api, w
}

// apiFromCalls turns the sandbox's counters into the call figures: per tenant, per endpoint, per transfer,
// the busiest second, and the R/C ceiling of each API. The workers' own 429 count (api.Throttled) is kept.
func apiFromCalls(api APIStats, v sandbox.CallsView, err error, transfers int, rate, graphRate float64) APIStats {
	out := APIStats{Throttled: api.Throttled, RatePerTenant: rate, GraphRatePerTenant: graphRate, Tenants: []TenantAPIStats{}}
	if err != nil {
		out.Problem = "sandbox call counters: " + err.Error()
		return out
	}
	out.Available = true
	per := func(x float64) float64 {
		if transfers <= 0 {
			return 0
		}
		return x / float64(transfers)
	}
	for _, t := range v.Tenants {
		ts := TenantAPIStats{TenantID: t.TenantID, Name: t.Name, PartnerCenter: float64(t.PartnerCenter), Graph: float64(t.Graph),
			Calls: float64(t.Calls), MaxPerSecond: float64(t.MaxPerSecond), MaxPCPerSecond: float64(t.MaxPartnerCenterPerSecond),
			MaxGraphPerSec: float64(t.MaxGraphPerSecond), Throttled: float64(t.Throttled), Endpoints: []EndpointStats{}}
		if ts.TenantID == "" {
			ts.Name = "(unattributed)"
		}
		ts.CallsPerTransfer = per(ts.Calls)
		for _, e := range t.Endpoints {
			if e.API == sandbox.APIIdentity {
				continue
			}
			ts.Endpoints = append(ts.Endpoints, EndpointStats{Endpoint: e.Endpoint, Calls: float64(e.Calls), CallsPerTransfer: per(float64(e.Calls))})
		}
		out.PartnerCenterCalls += ts.PartnerCenter
		out.GraphCalls += ts.Graph
		out.SandboxThrottled += ts.Throttled
		out.MaxPerSecond = max(out.MaxPerSecond, ts.MaxPerSecond)
		out.MaxPartnerCenterPerSecond = max(out.MaxPartnerCenterPerSecond, ts.MaxPCPerSecond)
		out.MaxGraphPerSecond = max(out.MaxGraphPerSecond, ts.MaxGraphPerSec)
		if ts.TenantID != "" {
			out.PartnerCenterCPerTransfer = max(out.PartnerCenterCPerTransfer, per(ts.PartnerCenter))
			out.GraphCPerTransfer = max(out.GraphCPerTransfer, per(ts.Graph))
		}
		if ts.Calls > 0 {
			out.Tenants = append(out.Tenants, ts)
		}
	}
	out.PartnerCenterPerTransfer = per(out.PartnerCenterCalls)
	out.GraphPerTransfer = per(out.GraphCalls)
	if out.PartnerCenterCPerTransfer > 0 {
		out.PartnerCenterCeiling = rate / out.PartnerCenterCPerTransfer
		out.CeilingPerSecond, out.CeilingBoundBy = out.PartnerCenterCeiling, sandbox.APIPartnerCenter
	}
	if out.GraphCPerTransfer > 0 {
		out.GraphCeiling = graphRate / out.GraphCPerTransfer
		if out.CeilingPerSecond == 0 || out.GraphCeiling < out.CeilingPerSecond {
			out.CeilingPerSecond, out.CeilingBoundBy = out.GraphCeiling, sandbox.APIGraph
		}
	}
	return out
}

// metricsScraper reads every worker's /metrics and sums them.
type metricsScraper struct {
	urls []string
	hc   *http.Client
}

// scrape reads every URL and sums the samples; one that cannot be read fails the scrape.
func (m metricsScraper) scrape(ctx context.Context) (metricSample, error) {
	total := metricSample{calls: map[string]float64{}}
	for _, u := range m.urls {
		v, err := m.scrapeOne(ctx, u)
		if err != nil {
			return metricSample{}, err
		}
		for k, n := range v.calls {
			total.calls[k] += n
		}
		total.throttled += v.throttled
		total.cpuSeconds += v.cpuSeconds
		total.rss += v.rss
		total.heapInuse += v.heapInuse
	}
	return total, nil
}

func (m metricsScraper) scrapeOne(ctx context.Context, u string) (metricSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return metricSample{}, err
	}
	// Ask for the plain text format: the parser reads nothing else.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := m.hc.Do(req)
	if err != nil {
		return metricSample{}, fmt.Errorf("worker metrics (set --worker-metrics): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return metricSample{}, fmt.Errorf("worker metrics %s: %s", u, resp.Status)
	}
	return parseMetrics(io.LimitReader(resp.Body, 32<<20))
}

// sampler scrapes the workers every second and keeps the peak of their summed memory figures.
type sampler struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	peak   metricSample
}

func startSampler(ctx context.Context, m metricsScraper) *sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if v, err := m.scrape(ctx); err == nil {
				s.mu.Lock()
				s.peak.rss = max(s.peak.rss, v.rss)
				s.peak.heapInuse = max(s.peak.heapInuse, v.heapInuse)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *sampler) stop() metricSample {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// judgeLedger sums the ledger over tenants: every customer must be there with at least one order, no
// duplicate purchase, no cancelled original, no shortfall and nobody unlicensed. A customer may have two
// orders when a partial checkout's failed line was bought again on its own: the ledger's duplicate count,
// not the order count, is what proves nothing was bought twice.
func judgeLedger(l sandbox.Ledger, tenants []string) LedgerVerdict {
	byTenant := make(map[string]sandbox.CustomerLedger, len(l.Customers))
	for _, c := range l.Customers {
		byTenant[strings.ToLower(c.TenantID)] = c
	}
	v := LedgerVerdict{MinOrders: math.MaxInt}
	for _, t := range tenants {
		c, ok := byTenant[strings.ToLower(t)]
		if !ok {
			v.Missing++
			continue
		}
		v.Customers++
		v.DuplicatePurchases += c.DuplicatePurchases
		v.OriginalsCancelled += c.OriginalsCancelled
		v.LicenseShortfalls += len(c.LicenseShortfalls)
		v.UsersWithoutLicense += len(c.UsersWithoutLicense)
		v.WebhooksDropped += c.WebhooksDropped
		v.MinOrders = min(v.MinOrders, c.Orders)
		v.MaxOrders = max(v.MaxOrders, c.Orders)
	}
	if v.Customers == 0 {
		v.MinOrders = 0
	}
	v.Verdict = VerdictFail
	if v.Missing == 0 && v.Customers > 0 && v.DuplicatePurchases == 0 && v.OriginalsCancelled == 0 && v.LicenseShortfalls == 0 &&
		v.UsersWithoutLicense == 0 && v.MinOrders >= 1 {
		v.Verdict = VerdictPass
	}
	return v
}

// loadBaselineInput is the baseline workflow's input.
type loadBaselineInput struct {
	Activities int `json:"activities"`
}

// loadBaselineResult is the baseline workflow's result.
type loadBaselineResult struct {
	Ran int `json:"ran"`
}

// loadBaselineStepInput is the no-op activity's input.
type loadBaselineStepInput struct {
	Index int `json:"index"`
}

// loadBaselineStepResult is the no-op activity's result.
type loadBaselineStepResult struct {
	Index int `json:"index"`
}

// loadBaselineWorkflow runs in.Activities no-op activities one after another, as a transfer runs its steps:
// what remains is the cost of Temporal itself (tasks, history, persistence) on this machine.
func loadBaselineWorkflow(ctx workflow.Context, in loadBaselineInput) (loadBaselineResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	for i := 0; i < in.Activities; i++ {
		var out loadBaselineStepResult
		if err := workflow.ExecuteActivity(ctx, loadBaselineActivityType, loadBaselineStepInput{Index: i}).Get(ctx, &out); err != nil {
			return loadBaselineResult{Ran: i}, err
		}
	}
	return loadBaselineResult{Ran: in.Activities}, nil
}

func loadBaselineStep(_ context.Context, in loadBaselineStepInput) (loadBaselineStepResult, error) {
	return loadBaselineStepResult(in), nil
}

// countActivities counts the activities a transfer scheduled (its latest run's history).
func countActivities(ctx context.Context, c client.Client, id string) (int, error) {
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, fmt.Errorf("history of %s: %w", id, err)
		}
		if ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			n++
		}
	}
	return n, nil
}

// runBaseline runs n LoadBaseline workflows, as many activities each as the median transfer scheduled,
// started --concurrency at a time on an in-process worker, and times them.
func runBaseline(ctx context.Context, s *session, medianID string, n, concurrency int, limit time.Duration) (BaselineStats, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	acts, err := countActivities(ctx, s.c, medianID)
	if err != nil {
		return BaselineStats{}, err
	}
	w := worker.New(s.c, loadBaselineTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(loadBaselineWorkflow, workflow.RegisterOptions{Name: loadBaselineWorkflowType})
	w.RegisterActivityWithOptions(loadBaselineStep, activity.RegisterOptions{Name: loadBaselineActivityType})
	if err := w.Start(); err != nil {
		return BaselineStats{}, fmt.Errorf("baseline worker: %w", err)
	}
	defer w.Stop()

	run := uuid.NewString()[:8]
	began := time.Now()
	sem := make(chan struct{}, concurrency)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
			wr, err := s.c.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
				ID: fmt.Sprintf("%s-%s-%d", loadBaselineTaskQueue, run, i), TaskQueue: loadBaselineTaskQueue,
			}, loadBaselineWorkflowType, loadBaselineInput{Activities: acts})
			scancel()
			<-sem
			if err != nil {
				errs[i] = err
				return
			}
			var out loadBaselineResult
			errs[i] = wr.Get(ctx, &out)
		}()
	}
	wg.Wait()
	wall := time.Since(began)
	if err := errors.Join(errs...); err != nil {
		return BaselineStats{}, err
	}
	return BaselineStats{Workflows: n, ActivitiesPerWorkflow: acts, WallSeconds: wall.Seconds(), PerSecond: float64(n) / wall.Seconds()}, nil
}

// Render prints the figures for a person.
func Render(w io.Writer, r Result) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("Load test: %d transfer(s), concurrency %d, faults %s, originals end %s after each start, %d CPU core(s)",
		r.Transfers, r.Concurrency, r.Faults, time.Duration(r.ExpiresInSeconds*float64(time.Second)), r.Cores)
	p("Completed      %d of %d (started %d, unfinished %d, ended otherwise %d)", r.Completed, r.Transfers, r.Started, len(r.Unfinished), len(r.NotCompleted))
	p("Wall time      %.1fs   %.2f transfers/s   working time (no expiry wait) %.1fs", r.WallSeconds, r.TransfersPerSecond, r.ActiveWallSeconds)
	p("")
	p("%-22s %6s %9s %9s %9s", "Stage", "n", "p50", "p95", "p99")
	for _, s := range r.Stages {
		p("%-22s %6d %8.2fs %8.2fs %8.2fs", s.Stage, s.Count, s.P50, s.P95, s.P99)
	}
	p("%-22s %6d %8.2fs %8.2fs %8.2fs", "end to end", r.EndToEnd.Count, r.EndToEnd.P50, r.EndToEnd.P95, r.EndToEnd.P99)
	p("")
	p("History events per transfer   p50 %d, max %d", r.History.P50, r.History.Max)
	if a := r.Actions; a.Available {
		p("Actions per transfer          %d (the median transfer: %d start, %d activity attempts, %d timers, %d signals, %d upserts, %d updates, %d continue-as-new)",
			a.Total, a.Start, a.Activities, a.Timers, a.Signals, a.Upserts, a.Updates, a.ContinueAsNew)
	}
	if a := r.API; a.Available {
		p("Partner Center calls          %.0f (%.1f per transfer)", a.PartnerCenterCalls, a.PartnerCenterPerTransfer)
		p("Graph calls                   %.0f (%.1f per transfer)", a.GraphCalls, a.GraphPerTransfer)
		for _, t := range a.Tenants {
			p("  tenant %-36s %s: Partner Center %.0f + Graph %.0f = %.0f calls (%.1f per transfer), max %.0f/s (Partner Center %.0f/s, Graph %.0f/s), 429s %.0f",
				t.TenantID, t.Name, t.PartnerCenter, t.Graph, t.Calls, t.CallsPerTransfer, t.MaxPerSecond, t.MaxPCPerSecond, t.MaxGraphPerSec, t.Throttled)
		}
		p("Max calls/s per tenant        %.0f (Partner Center %.0f, Graph %.0f; sandbox, busiest second)", a.MaxPerSecond, a.MaxPartnerCenterPerSecond, a.MaxGraphPerSecond)
	} else {
		p("Sandbox call counters         unavailable: %s", a.Problem)
	}
	if r.Worker.Available {
		p("429s seen by the worker       %.0f", r.API.Throttled)
		p("Worker CPU                    %.1fs (%d worker(s))", r.Worker.CPUSeconds, r.Worker.Workers)
		p("Worker resident memory        peak %s, end %s", mib(r.Worker.PeakRSSBytes), mib(r.Worker.EndRSSBytes))
		p("Worker heap in use            peak %s, end %s", mib(r.Worker.PeakHeapInuse), mib(r.Worker.EndHeapInuse))
	} else {
		p("Worker metrics                unavailable: %s", r.Worker.MetricsURLProblem)
	}
	if a := r.API; a.Available && a.CeilingPerSecond > 0 {
		p("Rate ceiling                  R/C: Partner Center %g/%.1f = %.2f, Graph %g/%.1f = %.2f → %.2f transfers/s (%s bound); measured %.2f transfers/s",
			a.RatePerTenant, a.PartnerCenterCPerTransfer, a.PartnerCenterCeiling, a.GraphRatePerTenant, a.GraphCPerTransfer, a.GraphCeiling,
			a.CeilingPerSecond, a.CeilingBoundBy, r.TransfersPerSecond)
	}
	if b := r.Baseline; b != nil {
		p("Baseline                      %d workflow(s) × %d no-op activities in %.1fs = %.2f/s; transfers take %.1f× as long",
			b.Workflows, b.ActivitiesPerWorkflow, b.WallSeconds, b.PerSecond, b.Ratio)
	}
	p("")
	l := r.Ledger
	p("Sandbox ledger (%d customers, %d missing): duplicate purchases %d, originals cancelled %d, license shortfalls %d, users without license %d, orders per customer %d..%d, webhooks dropped %d → %s",
		l.Customers, l.Missing, l.DuplicatePurchases, l.OriginalsCancelled, l.LicenseShortfalls, l.UsersWithoutLicense, l.MinOrders, l.MaxOrders, l.WebhooksDropped, l.Verdict)
	if len(r.Unfinished) > 0 {
		stages := make([]string, 0, len(r.UnfinishedByStage))
		for _, st := range csptransfer.Stages() {
			if n := r.UnfinishedByStage[st]; n > 0 {
				stages = append(stages, fmt.Sprintf("%s %d", st, n))
			}
		}
		p("Unfinished     %d, stood in: %s; abort signalled to %d", len(r.Unfinished), strings.Join(stages, ", "), r.Aborted)
		for i, id := range r.Unfinished {
			if i == 10 {
				p("  ... and %d more (--json lists all)", len(r.Unfinished)-10)
				break
			}
			p("  unfinished: %s", id)
		}
	}
	for _, s := range r.NotCompleted {
		p("  not completed: %s", s)
	}
	p("Verdict        %s", r.Verdict)
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }
