package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devserver"
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
	sum.Money = &importMoney{Sent: 2, Priced: 1, Note: importMoneyNote, OriginalPrices: []importPriceTotal{
		{Currency: "EUR", Period: "P1M", Amount: 900, Seats: 25, Subscriptions: 1}}}
	var b bytes.Buffer
	renderImport(&b, sum)
	golden(t, "import.golden", b.Bytes())
}

func TestImportOriginalPriceColumns(t *testing.T) {
	const hdr = "customerTenantId,customerDomain,subscriptions,originalPrice,originalCurrency,originalPeriod,originalSku\n"
	tenant := func(n int) string { return fmt.Sprintf("a1b2c3d4-%04d-4000-8000-%012d", n, n) }
	t.Run("valid", func(t *testing.T) {
		rows, problems, err := parseImport(strings.NewReader(hdr+
			tenant(1)+",one.onmicrosoft.com,SPE_E3:25:2027-03-01,36.00,eur,,\n"+ // the row's one SKU
			tenant(2)+",two.onmicrosoft.com,SPE_E3:25:2027-03-01;STANDARDPACK:5:2027-03-01,8,EUR,P1Y,standardpack\n"+ // the SKU named
			tenant(3)+",three.onmicrosoft.com,,10.5,USD,p1m,STANDARDPACK\n"+ // discovered: keyed by SKU
			tenant(4)+",four.onmicrosoft.com,SPE_E3:20:2027-03-01;SPE_E3:5:2027-06-01,33.6,EUR,P1M,\n"+ // one SKU, two end dates
			tenant(5)+",five.onmicrosoft.com,SPE_E3:25:2027-03-01,,,,\n"), goldenNow) // no price
		require.NoError(t, err)
		require.Empty(t, problems)
		require.Len(t, rows, 5)
		eur := func(a float64, period string) *csptransfer.Price {
			return &csptransfer.Price{Amount: a, Currency: "EUR", Period: period}
		}
		require.Equal(t, eur(36, "P1M"), rows[0].req.Subscriptions[0].OriginalPrice, "currency upper case, period P1M by default")
		require.Nil(t, rows[1].req.Subscriptions[0].OriginalPrice)
		require.Equal(t, eur(8, "P1Y"), rows[1].req.Subscriptions[1].OriginalPrice)
		require.Nil(t, rows[1].req.OriginalPrices)
		require.Equal(t, map[string]csptransfer.Price{"STANDARDPACK": {Amount: 10.5, Currency: "USD", Period: "P1M"}}, rows[2].req.OriginalPrices)
		require.Equal(t, eur(33.6, "P1M"), rows[3].req.Subscriptions[0].OriginalPrice)
		require.Equal(t, eur(33.6, "P1M"), rows[3].req.Subscriptions[1].OriginalPrice)
		require.Nil(t, rows[4].req.Subscriptions[0].OriginalPrice)
		require.Nil(t, rows[4].req.OriginalPrices)
	})
	t.Run("invalid: every problem with its line and column", func(t *testing.T) {
		_, problems, err := parseImport(strings.NewReader(hdr+
			tenant(1)+",one.onmicrosoft.com,SPE_E3:25:2027-03-01,\"12,50\",,monthly,\n"+ // 2
			tenant(2)+",two.onmicrosoft.com,SPE_E3:25:2027-03-01,12.50,€,,\n"+ // 3
			tenant(3)+",three.onmicrosoft.com,SPE_E3:25:2027-03-01,,EUR,P1Y,\n"+ // 4
			tenant(4)+",four.onmicrosoft.com,,12.50,EUR,,\n"+ // 5
			tenant(5)+",five.onmicrosoft.com,SPE_E3:25:2027-03-01;STANDARDPACK:5:2027-03-01,12.50,EUR,,\n"+ // 6
			tenant(6)+",six.onmicrosoft.com,SPE_E3:25:2027-03-01,12.50,EUR,,VISIOCLIENT\n"+ // 7
			tenant(7)+",seven.onmicrosoft.com,SPE_E3:25:2027-03-01,2000000,EUR,,\n"+ // 8
			tenant(8)+",eight.onmicrosoft.com,,12.50,EUR,,bad sku\n"+ // 9
			tenant(9)+",nine.onmicrosoft.com,,-5,EUR,,SPE_E3\n"+ // 10
			tenant(10)+",ten.onmicrosoft.com,,1e3,EUR,,SPE_E3\n"), goldenNow) // 11
		require.NoError(t, err)
		got := map[int][]string{}
		msgs := map[int]string{}
		for _, p := range problems {
			got[p.Line] = append(got[p.Line], p.Field)
			msgs[p.Line] += p.Message + "\n"
		}
		require.Equal(t, map[int][]string{
			2:  {"originalPrice", "originalCurrency", "originalPeriod"},
			3:  {"originalCurrency"},
			4:  {"originalPrice"},
			5:  {"originalSku"},
			6:  {"originalSku"},
			7:  {"originalSku"},
			8:  {"originalPrice"},
			9:  {"originalSku"},
			10: {"originalPrice"},
			11: {"originalPrice"},
		}, got)
		require.Contains(t, msgs[2], `"12,50" is not an amount: expected digits with an optional decimal point, e.g. 20.60 (no currency sign, no thousands separator, no decimal comma)`)
		require.Contains(t, msgs[2], "required with originalPrice: the ISO 4217 code, e.g. EUR")
		require.Contains(t, msgs[2], `"monthly" is not P1M (a month, the default) or P1Y (a year)`)
		require.Contains(t, msgs[3], `"€" is not an ISO 4217 currency code`)
		require.Contains(t, msgs[4], "required with originalCurrency, originalPeriod")
		require.Contains(t, msgs[5], "required with originalPrice when the row lists no subscriptions (they are discovered)")
		require.Contains(t, msgs[6], "several SKUs (SPE_E3, STANDARDPACK)")
		require.Contains(t, msgs[7], `"VISIOCLIENT" is none of the row's subscriptions (SPE_E3)`)
		require.Contains(t, msgs[8], "must be a number from 0 to 1000000", "the request's own bound, named by its column")
		require.Contains(t, msgs[9], "key must be a Graph skuId (GUID) or a skuPartNumber")
	})
	t.Run("the CLI names line and column before connecting", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "prices.csv")
		require.NoError(t, os.WriteFile(p, []byte(hdr+goldenTenant+",contoso.onmicrosoft.com,,20.60,EUR,,\n"), 0o600))
		code, _, stderr := offline(t, "", "import", p)
		require.Equal(t, exitUsage, code, stderr)
		require.Contains(t, stderr, "line 2: originalSku: required with originalPrice when the row lists no subscriptions")
		require.NotContains(t, stderr, "cannot reach")
	})
}

// The money line adds up the original prices the started rows sent, per currency and period, never across
// them; rows not started (already running, rejected) sent nothing.
func TestImportMoney(t *testing.T) {
	const hdr = "customerTenantId,customerDomain,subscriptions,originalPrice,originalCurrency,originalPeriod,originalSku\n"
	rows, problems, err := parseImport(strings.NewReader(hdr+
		"a1b2c3d4-0001-4000-8000-000000000001,one.onmicrosoft.com,SPE_E3:25:2027-03-01,36.00,EUR,,\n"+
		"a1b2c3d4-0002-4000-8000-000000000002,two.onmicrosoft.com,SPE_E3:20:2027-03-01;SPE_E3:5:2027-06-01,33.60,EUR,,\n"+
		"a1b2c3d4-0003-4000-8000-000000000003,three.onmicrosoft.com,STANDARDPACK:5:2027-03-01,96,EUR,P1Y,\n"+
		"a1b2c3d4-0004-4000-8000-000000000004,four.onmicrosoft.com,,10.50,USD,,STANDARDPACK\n"+
		"a1b2c3d4-0005-4000-8000-000000000005,five.onmicrosoft.com,,,,,\n"+
		"a1b2c3d4-0006-4000-8000-000000000006,six.onmicrosoft.com,SPE_E3:100:2027-03-01,36.00,EUR,,\n"+ // already running
		"a1b2c3d4-0007-4000-8000-000000000007,seven.onmicrosoft.com,SPE_E3:100:2027-03-01,36.00,EUR,,\n"), goldenNow) // rejected
	require.NoError(t, err)
	require.Empty(t, problems)
	results := []importResult{{Line: 2, Outcome: outcomeStarted}, {Line: 3, Outcome: outcomeRestarted}, {Line: 4, Outcome: outcomeStarted},
		{Line: 5, Outcome: outcomeStarted}, {Line: 6, Outcome: outcomeStarted}, {Line: 7, Outcome: outcomeExisting}, {Line: 8, Outcome: outcomeRejected}}
	m := importMoneyOf(rows, results)
	require.Equal(t, &importMoney{Sent: 5, Priced: 4, Note: importMoneyNote, OriginalPrices: []importPriceTotal{
		{Currency: "EUR", Period: "P1M", Amount: 1740, Seats: 50, Subscriptions: 3},
		{Currency: "EUR", Period: "P1Y", Amount: 480, Seats: 5, Subscriptions: 1},
		{Currency: "USD", Period: "P1M", Discovered: 1},
	}}, m)
	require.Equal(t, "Money: 4 of 5 transfer(s) started gave an original price: 1,740.00 EUR per month for 50 seat(s) in 3 subscription(s); "+
		"480.00 EUR per year for 5 seat(s) in 1 subscription(s); 1 USD price(s) per month for SKU(s) whose seats are discovered later "+
		"(currencies and periods never added); "+importMoneyNote+".", importMoneyLine(m))

	require.Equal(t, "Money: none of the 1 transfer(s) started gave an original price; "+importMoneyNote+".",
		importMoneyLine(importMoneyOf(rows, []importResult{{Line: 6, Outcome: outcomeStarted}})))
	require.Equal(t, "Money: nothing started in this run, no price sent.", importMoneyLine(importMoneyOf(rows, nil)))

	var b bytes.Buffer
	require.NoError(t, writeJSON(&b, importSummary{Rows: []importResult{}, Money: m}))
	require.Contains(t, b.String(), `"money": {`)
	require.Contains(t, b.String(), `"originalPrices": [`)
}

// The import's pacing defaults are the documented ones: 16 starts in flight, no rate limit beyond that
// (starts reach only Temporal); --rate 0 means no limit and out-of-range values are refused before
// anything connects.
func TestImportDefaults(t *testing.T) {
	cmd := newApp(nil).importCmd()
	for _, tt := range []struct{ flag, want string }{{"concurrency", "16"}, {"rate", "0"}} {
		f := cmd.Flags().Lookup(tt.flag)
		require.NotNil(t, f, tt.flag)
		require.Equal(t, tt.want, f.DefValue, "--%s default", tt.flag)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "cli.md"))
	require.NoError(t, err)
	require.Contains(t, string(doc), "at most `--concurrency` (default 16,")
	require.Contains(t, string(doc), "by default (`--rate 0`)\n   there is no rate limit beyond the concurrency")

	p := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(p, []byte("customerTenantId,customerDomain\n"+goldenTenant+",contoso.onmicrosoft.com\n"), 0o600))
	for _, tt := range []struct {
		give []string
		want string
	}{
		{[]string{"--rate", "-1"}, "--rate: -1 is not between 0 (no limit) and 10000 starts per second"},
		{[]string{"--rate", "20000"}, "--rate: 20000 is not between 0 (no limit) and 10000"},
		{[]string{"--concurrency", "0"}, "--concurrency: 0 is not between 1 and 64"},
		{[]string{"--concurrency", "65"}, "--concurrency: 65 is not between 1 and 64"},
	} {
		code, _, stderr := offline(t, "", append([]string{"import", p}, tt.give...)...)
		require.Equal(t, exitUsage, code, stderr)
		require.Contains(t, stderr, tt.want)
	}
}

// With no rate limit the starts are bounded by the concurrency alone: never more in flight than asked,
// and as many as asked when the rows allow.
func TestImportRowsUnlimitedRate(t *testing.T) {
	rows := make([]importRow, 64)
	for i := range rows {
		rows[i] = importRow{line: i + 2}
	}
	var mu sync.Mutex
	inFlight, most := 0, 0
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	safety := time.AfterFunc(10*time.Second, open) // a limit holding the starts back fails below instead of hanging
	defer safety.Stop()
	sum := newApp(nil).importRows(context.Background(), io.Discard, rows, 8, 0, func(_ context.Context, r importRow) importResult {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		if inFlight == 8 {
			open() // all eight slots taken at once: no rate limit held them back
		}
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
		return importResult{Line: r.line, Outcome: outcomeStarted}
	})
	require.Equal(t, len(rows), sum.Started)
	require.Equal(t, 8, most)
}

// A server that throttles (the namespace's request budget exhausted) slows the import down but fails no
// row: ResourceExhausted is retried with backoff within --timeout, at the default pacing.
func TestImportRetriesResourceExhausted(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas,
		DynamicConfig: map[string]string{"frontend.namespaceRPS": "20", "frontend.namespaceBurstRatio": "1"}})

	// The server does throttle: a burst of calls that are not retried meets ResourceExhausted.
	var exhausted atomic.Int32
	var wg sync.WaitGroup
	for range 60 {
		wg.Go(func() {
			_, err := srv.Client().WorkflowService().DescribeWorkflowExecution(context.Background(), &workflowservice.DescribeWorkflowExecutionRequest{
				Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: "probe"}})
			var re *serviceerror.ResourceExhausted
			if errors.As(err, &re) {
				exhausted.Add(1)
			}
		})
	}
	wg.Wait()
	require.Positive(t, exhausted.Load(), "the server throttles")

	const n = 60 // two calls each: several seconds of the server's budget, far over it at 16 in flight
	var csv strings.Builder
	csv.WriteString("customerTenantId,customerDomain\n")
	for range n {
		tenant := uuid.NewString()
		fmt.Fprintf(&csv, "%s,throttled-%s.onmicrosoft.com\n", tenant, tenant[:8])
	}
	p := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(p, []byte(csv.String()), 0o600))
	var out, errOut bytes.Buffer
	begin := time.Now()
	code := execute(context.Background(), newApp(config.Map{"TEMPORAL_ADDRESS": srv.FrontendHostPort()}), []string{"import", p, "--json"},
		strings.NewReader(""), &out, &errOut)
	took := time.Since(begin)
	require.Equal(t, exitOK, code, errOut.String())
	// 2n calls through a bucket of 20 that refills 20 a second: the server, not the import, set the pace.
	require.Greater(t, took, time.Duration(2*n-20)*time.Second/20/2, "held back by the server")
	var sum importSummary
	require.NoError(t, json.Unmarshal(out.Bytes(), &sum), out.String())
	require.Equal(t, n, sum.Started, out.String())
	require.Zero(t, sum.Rejected)
}
