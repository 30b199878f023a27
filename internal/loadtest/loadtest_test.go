package loadtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func TestPercentilesNearestRank(t *testing.T) {
	secs := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Second
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose: 100..1
	}
	tests := []struct {
		name string
		give []time.Duration
		want DurationStats
	}{
		{name: "empty", give: nil, want: DurationStats{}},
		{name: "one value", give: secs(7), want: DurationStats{Count: 1, P50: 7, P95: 7, P99: 7}},
		{name: "odd count", give: secs(3, 1, 2), want: DurationStats{Count: 3, P50: 2, P95: 3, P99: 3}},
		{name: "even count takes the lower middle", give: secs(4, 1, 3, 2), want: DurationStats{Count: 4, P50: 2, P95: 4, P99: 4}},
		{name: "one to a hundred", give: secs(hundred...), want: DurationStats{Count: 100, P50: 50, P95: 95, P99: 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, percentiles(tt.give))
		})
	}
}

func TestStageDurationsFromTimelines(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	report := func(entries ...csptransfer.TimelineEntry) csptransfer.TransferReport {
		r := csptransfer.TransferReport{Outcome: csptransfer.StageCompleted}
		r.Timeline = entries
		r.StartedAt = entries[0].At
		r.CompletedAt = entries[len(entries)-1].At
		return r
	}
	e := func(st csptransfer.Stage, s int) csptransfer.TimelineEntry {
		return csptransfer.TimelineEntry{Stage: st, At: at(s)}
	}
	reports := []csptransfer.TransferReport{
		report(e(csptransfer.StageValidating, 0), e(csptransfer.StageAwaitingAcceptance, 1), e(csptransfer.StageProvisioning, 3),
			e(csptransfer.StageAwaitingExpiry, 4), e(csptransfer.StageCompleted, 34)),
		// Out of order entries are sorted; a stage entered twice counts its time in both visits.
		report(e(csptransfer.StageValidating, 0), e(csptransfer.StageProvisioning, 5), e(csptransfer.StageAwaitingAcceptance, 2),
			e(csptransfer.StageAwaitingExpiry, 7), e(csptransfer.StageProvisioning, 27), e(csptransfer.StageCompleted, 28)),
	}
	stages, e2e := stageDurations(reports)
	got := map[csptransfer.Stage]DurationStats{}
	var order []csptransfer.Stage
	for _, s := range stages {
		got[s.Stage] = s.DurationStats
		order = append(order, s.Stage)
	}
	require.Equal(t, []csptransfer.Stage{csptransfer.StageValidating, csptransfer.StageAwaitingAcceptance, csptransfer.StageProvisioning,
		csptransfer.StageAwaitingExpiry}, order, "workflow order; the final stage has no duration")
	require.Equal(t, DurationStats{Count: 2, P50: 1, P95: 2, P99: 2}, got[csptransfer.StageValidating])
	require.Equal(t, DurationStats{Count: 2, P50: 2, P95: 3, P99: 3}, got[csptransfer.StageAwaitingAcceptance])
	require.Equal(t, DurationStats{Count: 2, P50: 1, P95: 3, P99: 3}, got[csptransfer.StageProvisioning])
	require.Equal(t, DurationStats{Count: 2, P50: 20, P95: 30, P99: 30}, got[csptransfer.StageAwaitingExpiry])
	require.Equal(t, DurationStats{Count: 2, P50: 28, P95: 34, P99: 34}, e2e)
	// Working time: from the first start (0) to the last entry into AwaitingExpiry (7), not to the ends.
	require.Equal(t, 7.0, activeSeconds(reports))
	// A transfer whose originals had already ended never waits: it works until it ends.
	noWait := report(e(csptransfer.StageValidating, 1), e(csptransfer.StageProvisioning, 2), e(csptransfer.StageCompleted, 9))
	require.Equal(t, 9.0, activeSeconds(append(reports, noWait)))
	require.Zero(t, activeSeconds(nil))
}

const metricsBefore = `# HELP csp_api_calls_total Partner Center and Graph HTTP attempts by endpoint and status
# TYPE csp_api_calls_total counter
csp_api_calls_total{endpoint="/v1/customers/{id}",method="GET",service="partnercenter",status="200"} 10
csp_api_calls_total{endpoint="/v1/customers/{id}/carts",method="POST",service="partnercenter",status="429"} 2
csp_api_calls_total{endpoint="/users",method="GET",service="graph",status="200"} 5
# HELP csp_api_throttled_total 429 answers from Partner Center and Graph by endpoint
# TYPE csp_api_throttled_total counter
csp_api_throttled_total{endpoint="/v1/customers/{id}/carts",service="partnercenter"} 2
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.5
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.048576e+08
# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 5.24288e+07
`

const metricsAfter = `# TYPE csp_api_calls_total counter
csp_api_calls_total{endpoint="/v1/customers/{id}",method="GET",service="partnercenter",status="200"} 40
csp_api_calls_total{endpoint="/v1/customers/{id}/carts",method="POST",service="partnercenter",status="429"} 4
csp_api_calls_total{endpoint="/users",method="GET",service="graph",status="200"} 25
csp_api_calls_total{endpoint="/users",method="GET",service="graph",status="503"} 1
# TYPE csp_api_throttled_total counter
csp_api_throttled_total{endpoint="/v1/customers/{id}/carts",service="partnercenter"} 4
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 4
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.572864e+08
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 6.291456e+07
`

func TestMetricDeltasFromPrometheusText(t *testing.T) {
	before, err := parseMetrics(strings.NewReader(metricsBefore))
	require.NoError(t, err)
	after, err := parseMetrics(strings.NewReader(metricsAfter))
	require.NoError(t, err)
	require.Equal(t, map[string]float64{"partnercenter": 12, "graph": 5}, before.calls)

	peak := metricSample{rss: 300 << 20, heapInuse: 10 << 20}
	api, w := metricDeltas(before, nil, after, nil, peak, 2)
	require.Equal(t, APIStats{Available: true, PartnerCenterCalls: 32, GraphCalls: 21, PartnerCenterPerTransfer: 16,
		GraphPerTransfer: 10.5, Throttled: 2}, api)
	require.Equal(t, WorkerStats{Available: true, CPUSeconds: 2.5, PeakRSSBytes: 300 << 20, EndRSSBytes: 150 << 20,
		PeakHeapInuse: 60 << 20, EndHeapInuse: 60 << 20}, w, "peaks include the scrapes before and after")

	_, w = metricDeltas(before, nil, metricSample{}, errTest("connection refused"), peak, 2)
	require.False(t, w.Available)
	require.Contains(t, w.MetricsURLProblem, "connection refused")

	_, err = parseMetrics(strings.NewReader("not { prometheus"))
	require.Error(t, err)
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestFaultPresets(t *testing.T) {
	none, err := faultPreset("none")
	require.NoError(t, err)
	require.Nil(t, none)

	tests := []struct {
		give       string
		want429    float64
		want503    float64
		wantMs     int
		wantKinds  []string
		wantNRules int
	}{
		{give: "light", want429: 0.05, want503: 0.02, wantMs: 10, wantNRules: 3},
		{give: "heavy", want429: 0.2, want503: 0.1, wantMs: 50, wantKinds: []string{sandbox.FaultPartialCheckout, sandbox.FaultDropWebhook}, wantNRules: 5},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			p, err := faultPreset(tt.give)
			require.NoError(t, err)
			require.Equal(t, uint64(7), p.Seed)
			rules := p.Rules
			require.Len(t, rules, tt.wantNRules)
			var kinds []string
			for _, r := range rules {
				switch {
				case r.Status == 429:
					require.Equal(t, "/v1/**", r.Match, "Partner Center is everything under /v1")
					require.Equal(t, 1, r.RetryAfterSeconds)
					require.Equal(t, tt.want429, r.Probability)
				case r.Status == 503:
					require.Equal(t, "/graph/**", r.Match)
					require.Equal(t, tt.want503, r.Probability)
				case r.LatencyMs != 0:
					require.Equal(t, tt.wantMs, r.LatencyMs)
				default:
					kinds = append(kinds, r.Kind)
				}
			}
			require.Equal(t, tt.wantKinds, kinds)
			if tt.give == "heavy" {
				require.Equal(t, 1, rules[3].Count, "one partial checkout")
				require.Equal(t, 0.1, rules[4].Probability)
			}
		})
	}
	_, err = faultPreset("medium")
	require.ErrorContains(t, err, "none, light, heavy")
}

func TestLedgerVerdict(t *testing.T) {
	ok := func(id string) sandbox.CustomerLedger { return sandbox.CustomerLedger{TenantID: id, Orders: 1} }
	tests := []struct {
		name  string
		give  []sandbox.CustomerLedger
		want  string
		check func(t *testing.T, v LedgerVerdict)
	}{
		{name: "all clean", give: []sandbox.CustomerLedger{ok("A"), ok("b"), ok("other")}, want: VerdictPass},
		{name: "a missing customer", give: []sandbox.CustomerLedger{ok("a")}, want: VerdictFail,
			check: func(t *testing.T, v LedgerVerdict) { require.Equal(t, 1, v.Missing) }},
		{name: "two orders without a duplicate (a re-bought failed line)", give: []sandbox.CustomerLedger{ok("a"), {TenantID: "b", Orders: 2}}, want: VerdictPass,
			check: func(t *testing.T, v LedgerVerdict) { require.Equal(t, 2, v.MaxOrders) }},
		{name: "no order", give: []sandbox.CustomerLedger{ok("a"), {TenantID: "b", Orders: 0}}, want: VerdictFail},
		{name: "a duplicate purchase", give: []sandbox.CustomerLedger{ok("a"), {TenantID: "b", Orders: 1, DuplicatePurchases: 1}}, want: VerdictFail},
		{name: "a shortfall", give: []sandbox.CustomerLedger{ok("a"), {TenantID: "b", Orders: 1, LicenseShortfalls: []sandbox.Shortfall{{}}}}, want: VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judgeLedger(sandbox.Ledger{Customers: tt.give}, []string{"a", "B"})
			require.Equal(t, tt.want, v.Verdict)
			if tt.check != nil {
				tt.check(t, v)
			}
		})
	}
}

func TestRenderShowsWhereUnfinishedTransfersStood(t *testing.T) {
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = csptransfer.WorkflowID("00000000-0000-4000-8000-0000000000" + string(rune('a'+i)) + "0")
	}
	var out strings.Builder
	Render(&out, Result{Transfers: 12, Started: 12, Unfinished: ids, Aborted: 11,
		UnfinishedByStage: map[csptransfer.Stage]int{csptransfer.StagePlanning: 9, csptransfer.StageCheckingRegion: 3},
		Worker:            WorkerStats{MetricsURLProblem: "connection refused"}, Ledger: LedgerVerdict{Verdict: VerdictFail}, Verdict: VerdictFail})
	got := out.String()
	require.Contains(t, got, "Unfinished     12, stood in: CheckingRegion 3, Planning 9; abort signalled to 11")
	require.Contains(t, got, "... and 2 more (--json lists all)")
	require.Equal(t, 10, strings.Count(got, "  unfinished: "))
	require.Contains(t, got, "Worker metrics                unavailable: connection refused")
	require.Contains(t, got, "Verdict        FAIL")
}

func TestCallsFromTheSandboxCounters(t *testing.T) {
	v := sandbox.CallsView{Tenants: []sandbox.TenantCalls{
		{TenantID: sandbox.PartnerEU, Name: "Contoso EU", PartnerCenter: 28, Graph: 22, Calls: 50, MaxPerSecond: 11,
			MaxPartnerCenterPerSecond: 7, MaxGraphPerSecond: 5, Throttled: 3,
			Endpoints: []sandbox.EndpointCalls{{API: sandbox.APIPartnerCenter, Endpoint: "GET /v1/customers/{customerId}", Calls: 20},
				{API: sandbox.APIIdentity, Endpoint: "POST /login/{tenant}/oauth2/v2.0/token", Calls: 4}}},
		{TenantID: sandbox.PartnerUS, PartnerCenter: 2, Calls: 2, MaxPerSecond: 2},
		{TenantID: "", Kind: sandbox.CallerUnattributed, PartnerCenter: 1, Calls: 1, MaxPerSecond: 1},
	}}
	api := apiFromCalls(APIStats{Throttled: 5}, v, nil, 2, 10, 20)
	require.True(t, api.Available)
	require.Equal(t, 31.0, api.PartnerCenterCalls)
	require.Equal(t, 22.0, api.GraphCalls)
	require.Equal(t, 15.5, api.PartnerCenterPerTransfer)
	require.Equal(t, 5.0, api.Throttled, "the workers' own count is kept")
	require.Equal(t, 3.0, api.SandboxThrottled)
	require.Equal(t, 14.0, api.PartnerCenterCPerTransfer, "C is the busiest tenant's calls per transfer")
	require.Equal(t, 11.0, api.GraphCPerTransfer)
	require.InDelta(t, 10.0/14, api.PartnerCenterCeiling, 1e-9, "R/C")
	require.InDelta(t, 20.0/11, api.GraphCeiling, 1e-9)
	require.InDelta(t, 10.0/14, api.CeilingPerSecond, 1e-9, "the lower of the two")
	require.Equal(t, sandbox.APIPartnerCenter, api.CeilingBoundBy)
	require.Equal(t, 11.0, api.MaxPerSecond)
	require.Equal(t, 7.0, api.MaxPartnerCenterPerSecond)
	require.Len(t, api.Tenants, 3)
	require.Equal(t, []EndpointStats{{Endpoint: "GET /v1/customers/{customerId}", Calls: 20, CallsPerTransfer: 10}}, api.Tenants[0].Endpoints,
		"token requests are not Partner Center or Graph calls")
	require.Equal(t, "(unattributed)", api.Tenants[2].Name)

	failed := apiFromCalls(APIStats{}, sandbox.CallsView{}, errTest("404"), 2, 10, 10)
	require.False(t, failed.Available)
	require.Contains(t, failed.Problem, "404")

	var out strings.Builder
	Render(&out, Result{Transfers: 2, Completed: 2, TransfersPerSecond: 0.38, API: api,
		Worker: WorkerStats{Available: true, Workers: 2, CPUSeconds: 3}, Ledger: LedgerVerdict{Verdict: VerdictPass}, Verdict: VerdictPass})
	for _, want := range []string{"Partner Center calls          31 (15.5 per transfer)", "tenant " + sandbox.PartnerEU,
		"Partner Center 28 + Graph 22 = 50 calls (25.0 per transfer), max 11/s (Partner Center 7/s, Graph 5/s)",
		"Max calls/s per tenant        11 (Partner Center 7, Graph 5",
		"Rate ceiling                  R/C: Partner Center 10/14.0 = 0.71, Graph 20/11.0 = 1.82 → 0.71 transfers/s (partnercenter bound); measured 0.38 transfers/s",
		"Worker CPU                    3.0s (2 worker(s))"} {
		require.Contains(t, out.String(), want)
	}
}

func TestScrapeSumsEveryWorker(t *testing.T) {
	serve := func(body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }))
		t.Cleanup(srv.Close)
		return srv.URL + "/metrics"
	}
	m := metricsScraper{urls: []string{serve(metricsBefore), serve(metricsAfter)}, hc: http.DefaultClient}
	got, err := m.scrape(t.Context())
	require.NoError(t, err)
	one, _ := parseMetrics(strings.NewReader(metricsBefore))
	two, _ := parseMetrics(strings.NewReader(metricsAfter))
	require.Equal(t, one.cpuSeconds+two.cpuSeconds, got.cpuSeconds)
	require.Equal(t, one.rss+two.rss, got.rss)
	require.Equal(t, one.throttled+two.throttled, got.throttled)
	require.Equal(t, one.calls["graph"]+two.calls["graph"], got.calls["graph"])

	m.urls = append(m.urls, "http://127.0.0.1:1/metrics")
	_, err = m.scrape(t.Context())
	require.Error(t, err, "a worker that cannot be read fails the scrape")
}

func TestCountActions(t *testing.T) {
	ev := func(typ enumspb.EventType) *historypb.HistoryEvent { return &historypb.HistoryEvent{EventType: typ} }
	started := func(attempt int32) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
			Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: attempt}}}
	}
	a := countActions([]*historypb.HistoryEvent{
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
		ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED), ev(enumspb.EVENT_TYPE_MARKER_RECORDED), // not actions
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), started(1),
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), started(3), // retried twice: three attempts
		ev(enumspb.EVENT_TYPE_TIMER_STARTED), ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
		ev(enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES), ev(enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED),
	})
	require.Equal(t, ActionStats{Available: true, Total: 10, Start: 1, Activities: 4, Timers: 1, Signals: 1, Upserts: 2, Updates: 1}, a)
	require.False(t, countActions(nil).Available)
}
