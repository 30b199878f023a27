package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"golang.org/x/time/rate"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// Bounds on an import file: a partner onboarding its whole base fits; a wrong file is refused early.
const (
	maxImportBytes = 10 << 20
	maxImportRows  = 10000
)

// Import pacing. A start talks only to Temporal (the worker calls Partner Center later, under its own
// throttle), so the defaults aim at the speed of a plain start loop, not at the partner's budget. A row is
// two calls (describe, then start), so one at a time the import would run at half a loop's speed: 16 in
// flight hide that and the round trip (on a 2-core dev server, CPU-bound, the import matches a loop;
// against a remote server, where a row is two round trips, 16 should make it about 8 times as fast). The
// concurrency is what protects the server: at most 16 requests are in
// flight, so the import never sends faster than the server answers and slows down with it; a
// ResourceExhausted answer is retried with backoff by the SDK within --timeout per row. No rate limit by
// default: a ceiling low enough to matter would make the import slower than a loop on a fast server.
// --rate and a lower --concurrency remain for operators who want to be gentler (a namespace shared with
// busy workers). TestImportDefaults keeps docs/cli.md in step; TestImportSpeed measures.
const (
	defaultImportConcurrency = 16
	defaultImportRate        = 0 // no limit but defaultImportConcurrency
	maxImportRate            = 10000
)

// importColumns are the accepted CSV columns, in lower case.
var importColumns = []string{
	"customertenantid", "customerdomain", "country", "contactemail", "customername", "approval",
	"provisioning", "leadtime", "requestadminaccess", "subscriptions",
	"sourcepartnertenantid", "sourcepartnername", "sourcepartneremail",
	"originalprice", "originalcurrency", "originalperiod", "originalsku",
}

// importRow is one CSV data row turned into a request.
type importRow struct {
	line int
	req  csptransfer.TransferRequest
}

// rowProblem is one thing wrong with one row.
type rowProblem struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Import outcomes per row.
const (
	outcomeStarted = "started"
	// outcomeRestarted: the customer's earlier transfer failed (or was cancelled, terminated, timed out)
	// and --restart-failed started a new one.
	outcomeRestarted = "restarted"
	outcomeExisting  = "already running"
	// outcomeSkipped: the earlier transfer failed and --restart-failed was not given: nothing started.
	outcomeSkipped = "skipped"
	// outcomeEnded: the earlier transfer completed or was aborted; Temporal never starts it again.
	outcomeEnded    = "ended"
	outcomeRejected = "rejected"
)

// importResult is what happened to one row.
type importResult struct {
	Line             int               `json:"line"`
	CustomerTenantID string            `json:"customerTenantId"`
	Outcome          string            `json:"outcome"`
	WorkflowID       string            `json:"workflowId,omitempty"`
	Stage            csptransfer.Stage `json:"stage,omitempty"`
	// Earlier is how the customer's earlier transfer ended (Failed, Canceled, Terminated, TimedOut,
	// Completed), for rows restarted, skipped or ended.
	Earlier string `json:"earlier,omitempty"`
	UILink  string `json:"uiLink,omitempty"`
	Error   string `json:"error,omitempty"`
}

// importSummary is import's JSON output.
type importSummary struct {
	Started   int            `json:"started"`
	Restarted int            `json:"restarted"`
	Existing  int            `json:"alreadyRunning"`
	Skipped   int            `json:"skipped"`
	Ended     int            `json:"ended"`
	Rejected  int            `json:"rejected"`
	Rows      []importResult `json:"rows"`
	// Money is what the run can say about money: the original prices it sent.
	Money *importMoney `json:"money,omitempty"`
}

func (a *app) importCmd() *cobra.Command {
	var concurrency int
	var perSecond float64
	var restartFailed bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Start transfers for many customers from a CSV file (validated first, idempotent, 16 starts in flight)",
		Long: `Start one transfer per CSV row. The header row names the columns (any letter case):

  customerTenantId, customerDomain (required), country, contactEmail, customerName, approval,
  provisioning, leadTime, requestAdminAccess (true/false), subscriptions ("SKU:QTY:EXPIRES_AT;..."),
  sourcePartnerTenantId, sourcePartnerName, sourcePartnerEmail (the CSP partner the customer leaves:
  its originals move by partner-to-partner transfer; contactEmail is then required),
  originalPrice, originalCurrency, originalPeriod (P1M default, or P1Y), originalSku (what the row's
  originals cost per seat, which Partner Center does not show: the price of the row's one original SKU in
  subscriptions, or of the SKU originalSku names)

Every row is checked before anything starts: all bad rows are listed with their line numbers and fields,
duplicate tenant ids in the file are refused, and then nothing is started (exit code 2). Rows whose
customer already has a transfer are reported as already running, so running the same file again starts
nothing twice. A customer whose earlier transfer failed (or was cancelled, terminated or timed out) is
skipped unless --restart-failed: find out why it failed first (starter report ID). A customer whose
earlier transfer completed or was aborted is never started again. At most 10 MiB and 10,000 rows.

Starting a transfer calls only Temporal, so rows start 16 at a time (--concurrency) with no rate limit
beyond that; --rate N caps the starts at N per second, for a gentler import.

The summary ends with the original prices the started rows gave, per currency: a plan is priced by Partner
Center only once its customer accepted, so new prices, overlap and refunds show in starter status then.`,
		Example: "  starter import customers.csv\n  starter import customers.csv --concurrency 8 --rate 10 --json > results.json\n  starter import customers.csv --restart-failed",
		Args:    exactArgs("FILE.csv"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if concurrency < 1 || concurrency > 64 {
				return usagef("--concurrency: %d is not between 1 and 64", concurrency)
			}
			if perSecond < 0 || perSecond > maxImportRate {
				return usagef("--rate: %g is not between 0 (no limit) and %d starts per second", perSecond, maxImportRate)
			}
			rows, err := readImportFile(args[0], a.now())
			if err != nil {
				return err
			}
			return a.withSession(cmd, false, func(ctx context.Context, s *session) error {
				one := func(ctx context.Context, row importRow) importResult { return a.importOne(ctx, s, row, restartFailed) }
				sum := a.importRows(ctx, cmd.ErrOrStderr(), rows, concurrency, perSecond, one)
				sum.Money = importMoneyOf(rows, sum.Rows)
				out := cmd.OutOrStdout()
				if a.jsonOut {
					if err := writeJSON(out, sum); err != nil {
						return err
					}
				} else {
					renderImport(out, sum)
				}
				if ctx.Err() != nil {
					return fmt.Errorf("import interrupted: %d row(s) not attempted", len(rows)-len(sum.Rows))
				}
				if sum.Rejected > 0 {
					return fmt.Errorf("%d row(s) rejected; fix them and run the same file again (started ones are not started twice)", sum.Rejected)
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", defaultImportConcurrency, "starts in flight at once (1 to 64)")
	cmd.Flags().Float64Var(&perSecond, "rate", defaultImportRate, "starts per second at most (0: no limit but --concurrency)")
	cmd.Flags().BoolVar(&restartFailed, "restart-failed", false, "start again customers whose earlier transfer failed, was cancelled, terminated or timed out")
	return cmd
}

// readImportFile reads and validates the whole file. Any problem anywhere refuses the file with every
// problem listed, so a partly started import never has to be untangled.
func readImportFile(path string, now time.Time) ([]importRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("import: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxImportBytes {
		return nil, usagef("import %s: %d bytes is more than the 10 MiB limit; split the file", path, fi.Size())
	}
	rows, problems, err := parseImport(io.LimitReader(f, maxImportBytes+1), now)
	if err != nil {
		return nil, usagef("import %s: %w", path, err)
	}
	if len(problems) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "import %s: nothing was started; fix these problems:", path)
		for _, p := range problems {
			fmt.Fprintf(&b, "\n  line %d: %s: %s", p.Line, p.Field, p.Message)
		}
		return nil, usageError(errors.New(b.String()))
	}
	return rows, nil
}

// parseImport reads the CSV. A broken file (bad header, unparseable CSV, too big) is an error; bad rows are
// problems, all of them collected.
func parseImport(r io.Reader, now time.Time) ([]importRow, []rowProblem, error) {
	check := transfers.Service{Now: func() time.Time { return now }}
	cr := csv.NewReader(&limitedReader{r: r, n: maxImportBytes})
	cr.FieldsPerRecord = -1 // reported per row with its line number instead
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, errors.New("empty file: expected a header row naming the columns")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !contains(importColumns, name) {
			return nil, nil, fmt.Errorf("header: unknown column %q (expected %s)", h, strings.Join(importHeader(), ", "))
		}
		if _, dup := cols[name]; dup {
			return nil, nil, fmt.Errorf("header: column %q appears twice", h)
		}
		cols[name] = i
	}
	for _, req := range []string{"customertenantid", "customerdomain"} {
		if _, ok := cols[req]; !ok {
			return nil, nil, fmt.Errorf("header: required column %s is missing", canonicalColumn(req))
		}
	}

	var rows []importRow
	var problems []rowProblem
	seen := map[string]int{}
	dataRows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTooLarge) {
			return nil, nil, fmt.Errorf("more than the 10 MiB limit; split the file")
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				return nil, nil, fmt.Errorf("line %d: %w", perr.Line, perr.Err)
			}
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if dataRows++; dataRows > maxImportRows {
			return nil, nil, fmt.Errorf("more than %d rows; split the file", maxImportRows)
		}
		if len(rec) != len(header) {
			problems = append(problems, rowProblem{Line: line, Field: "row", Message: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header))})
			continue
		}
		req, rowProblems := rowRequest(rec, cols)
		var verr *csptransfer.ValidationError
		prepared, err := check.Prepare(req)
		if errors.As(err, &verr) {
			for _, p := range verr.Problems {
				rowProblems = append(rowProblems, rowProblem{Field: columnOf(p.Field), Message: p.Message})
			}
		} else if err == nil {
			req = prepared
		}
		tenant := req.WithDefaults().CustomerTenantID
		if first, dup := seen[tenant]; dup && tenant != "" {
			rowProblems = append(rowProblems, rowProblem{Field: "customerTenantId", Message: fmt.Sprintf("duplicates line %d: one transfer per customer tenant", first)})
		} else if tenant != "" {
			seen[tenant] = line
		}
		for _, p := range rowProblems {
			p.Line = line
			problems = append(problems, p)
		}
		if len(rowProblems) == 0 {
			rows = append(rows, importRow{line: line, req: req})
		}
	}
	if len(rows) == 0 && len(problems) == 0 {
		return nil, nil, errors.New("no data rows after the header")
	}
	return rows, problems, nil
}

// rowRequest maps one record to a request; fields that cannot even be parsed become problems.
func rowRequest(rec []string, cols map[string]int) (csptransfer.TransferRequest, []rowProblem) {
	get := func(name string) string {
		if i, ok := cols[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var problems []rowProblem
	req := csptransfer.TransferRequest{
		CustomerTenantID: get("customertenantid"),
		CustomerDomain:   get("customerdomain"),
		Country:          get("country"),
		ContactEmail:     get("contactemail"),
		CustomerName:     get("customername"),
		Approval:         csptransfer.ApprovalPolicy(get("approval")),
		Provisioning:     csptransfer.Provisioning{Mode: csptransfer.ProvisioningMode(get("provisioning"))},
	}
	if v := get("leadtime"); v != "" {
		d, err := csptransfer.ParseDuration(v)
		if err != nil {
			problems = append(problems, rowProblem{Field: "leadTime", Message: err.Error()})
		}
		req.Provisioning.LeadTime = d
	}
	if v := get("requestadminaccess"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			problems = append(problems, rowProblem{Field: "requestAdminAccess", Message: err.Error()})
		}
		req.RequestAdminAccess = b
	}
	// Empty cells mean no source partner: the column is there for every row, the partner only for some.
	if t, n, e := get("sourcepartnertenantid"), get("sourcepartnername"), get("sourcepartneremail"); t != "" || n != "" || e != "" {
		req.SourcePartner = &csptransfer.SourcePartner{TenantID: t, Name: n, Email: e}
	}
	subsOK := true
	if v := get("subscriptions"); v != "" {
		for i, part := range strings.Split(v, ";") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			sub, err := parseSubscription(part)
			if err != nil {
				problems = append(problems, rowProblem{Field: fmt.Sprintf("subscriptions[%d]", i), Message: err.Error()})
				subsOK = false
				continue
			}
			req.Subscriptions = append(req.Subscriptions, sub)
		}
	}
	if subsOK {
		problems = append(problems, rowPrice(&req, get)...)
	}
	return req, problems
}

// rowPrice reads the row's original price (originalPrice, originalCurrency, originalPeriod, originalSku)
// into the request. A row is one customer: its price belongs to one original SKU. With explicit
// subscriptions it is attached to those of that SKU (subscriptions[].originalPrice): the row's only SKU, or
// the one originalSku names. Without (the originals are discovered) it goes into originalPrices under
// originalSku, which is then required: a price with no SKU would belong to nothing. All cells empty: no
// price. The price is attached only once its cells are right; the request's validation checks the rest
// (the amount's upper bound, the SKU's form).
func rowPrice(req *csptransfer.TransferRequest, get func(string) string) []rowProblem {
	amount, currency, period, sku := get("originalprice"), get("originalcurrency"), get("originalperiod"), get("originalsku")
	if amount == "" && currency == "" && period == "" && sku == "" {
		return nil
	}
	if amount == "" {
		var given []string
		for _, c := range []struct{ name, v string }{{"originalCurrency", currency}, {"originalPeriod", period}, {"originalSku", sku}} {
			if c.v != "" {
				given = append(given, c.name)
			}
		}
		return []rowProblem{{Field: "originalPrice", Message: "required with " + strings.Join(given, ", ") + ": the price of one seat for the period, e.g. 20.60"}}
	}
	var problems []rowProblem
	value, err := parseAmount(amount)
	if err != nil {
		problems = append(problems, rowProblem{Field: "originalPrice", Message: err.Error()})
	}
	switch {
	case currency == "":
		problems = append(problems, rowProblem{Field: "originalCurrency", Message: "required with originalPrice: the ISO 4217 code, e.g. EUR"})
	case !csptransfer.IsCurrencyCode(strings.ToUpper(currency)):
		problems = append(problems, rowProblem{Field: "originalCurrency", Message: fmt.Sprintf("%s is not an ISO 4217 currency code (expected e.g. EUR)", csptransfer.Quote(currency))})
	}
	switch strings.ToUpper(period) {
	case "", csptransfer.PeriodMonth, csptransfer.PeriodYear:
	default:
		problems = append(problems, rowProblem{Field: "originalPeriod", Message: fmt.Sprintf("%s is not %s (a month, the default) or %s (a year)",
			csptransfer.Quote(period), csptransfer.PeriodMonth, csptransfer.PeriodYear)})
	}
	price := csptransfer.Price{Amount: value, Currency: currency, Period: period}

	if len(req.Subscriptions) == 0 {
		if sku == "" {
			return append(problems, rowProblem{Field: "originalSku", Message: "required with originalPrice when the row lists no subscriptions " +
				"(they are discovered): the Graph skuId or skuPartNumber the price is for, e.g. ENTERPRISEPACK"})
		}
		if len(problems) == 0 {
			req.OriginalPrices = map[string]csptransfer.Price{sku: price}
		}
		return problems
	}
	var skus []string
	seen := map[string]bool{}
	for _, s := range req.Subscriptions {
		if k := strings.ToLower(subscriptionSku(s)); !seen[k] {
			seen[k] = true
			skus = append(skus, subscriptionSku(s))
		}
	}
	switch {
	case sku == "" && len(skus) > 1:
		return append(problems, rowProblem{Field: "originalSku", Message: fmt.Sprintf("required with originalPrice when the row lists several SKUs (%s): "+
			"the one the price is for", strings.Join(skus, ", "))})
	case sku != "" && !seen[strings.ToLower(sku)]:
		return append(problems, rowProblem{Field: "originalSku", Message: fmt.Sprintf("%s is none of the row's subscriptions (%s)",
			csptransfer.Quote(sku), strings.Join(skus, ", "))})
	}
	if len(problems) > 0 {
		return problems
	}
	for i, s := range req.Subscriptions {
		if sku == "" || strings.EqualFold(subscriptionSku(s), sku) {
			p := price
			req.Subscriptions[i].OriginalPrice = &p
		}
	}
	return nil
}

// subscriptionSku is how a row's subscription names its SKU: its skuId, else its part number.
func subscriptionSku(s csptransfer.OriginalSubscription) string {
	if s.SkuID != "" {
		return s.SkuID
	}
	return s.SkuPartNumber
}

// parseAmount reads a price as digits with an optional decimal point. A comma is refused rather than
// guessed: 1,234 is a thousand and more in one country and one and a bit in another.
func parseAmount(s string) (float64, error) {
	digits, frac, hasPoint := strings.Cut(s, ".")
	ok := digits != "" && allDigits(digits) && (!hasPoint || (frac != "" && allDigits(frac)))
	if !ok || len(s) > 20 {
		return 0, fmt.Errorf("%s is not an amount: expected digits with an optional decimal point, e.g. 20.60 (no currency sign, no thousands separator, no decimal comma)",
			csptransfer.Quote(s))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not an amount: %w", csptransfer.Quote(s), err)
	}
	return v, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// columnOf names the CSV column for a request field path such as "provisioning.leadTime".
func columnOf(field string) string {
	switch {
	case field == "provisioning.mode":
		return "provisioning"
	case field == "provisioning.leadTime":
		return "leadTime"
	case field == "invitationTtl", field == "reminderEvery":
		return field + " (not a column: default)"
	case strings.HasPrefix(field, "originalPrices["), strings.HasPrefix(field, "subscriptions[") && strings.Contains(field, ".originalPrice"):
		// originalPrices["E3"].currency, subscriptions[0].originalPrice.amount -> the price columns
		switch {
		case strings.HasSuffix(field, ".amount"):
			return "originalPrice"
		case strings.HasSuffix(field, ".currency"):
			return "originalCurrency"
		case strings.HasSuffix(field, ".period"):
			return "originalPeriod"
		case strings.HasPrefix(field, "originalPrices"):
			return "originalSku"
		}
		return "originalPrice"
	case strings.HasPrefix(field, "sourcePartner."):
		// sourcePartner.tenantId -> sourcePartnerTenantId
		rest := strings.TrimPrefix(field, "sourcePartner.")
		if rest != "" {
			return "sourcePartner" + strings.ToUpper(rest[:1]) + rest[1:]
		}
	}
	return field
}

func canonicalColumn(lower string) string {
	for _, c := range importHeader() {
		if strings.ToLower(c) == lower {
			return c
		}
	}
	return lower
}

func importHeader() []string {
	return []string{"customerTenantId", "customerDomain", "country", "contactEmail", "customerName", "approval",
		"provisioning", "leadTime", "requestAdminAccess", "subscriptions",
		"sourcePartnerTenantId", "sourcePartnerName", "sourcePartnerEmail",
		"originalPrice", "originalCurrency", "originalPeriod", "originalSku"}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// importRows runs one for every row, with at most concurrency in flight and at most perSecond started per
// second (0: no limit but concurrency). On a terminal a progress bar counts every row answered, whatever its outcome; it ends full when
// every row was answered, and where it stood when the import was interrupted.
func (a *app) importRows(ctx context.Context, errOut io.Writer, rows []importRow, concurrency int, perSecond float64,
	one func(context.Context, importRow) importResult) importSummary {
	limit := rate.Inf
	if perSecond > 0 {
		limit = rate.Limit(perSecond)
	}
	limiter := rate.NewLimiter(limit, 1)
	var bar *progressbar.ProgressBar
	if a.interactive(errOut) {
		bar = progressbar.NewOptions(len(rows),
			progressbar.OptionSetWriter(errOut),
			progressbar.OptionSetDescription("starting transfers"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			// The full bar stays on its own line; the summary starts on the next.
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(errOut) }),
		)
	}
	jobs := make(chan importRow)
	results := make(chan importResult)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range jobs {
				results <- one(ctx, row)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, row := range rows {
			if err := limiter.Wait(ctx); err != nil {
				return // interrupted: the rest are not attempted
			}
			select {
			case jobs <- row:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var sum importSummary
	for r := range results {
		switch r.Outcome {
		case outcomeStarted:
			sum.Started++
		case outcomeRestarted:
			sum.Restarted++
		case outcomeExisting:
			sum.Existing++
		case outcomeSkipped:
			sum.Skipped++
		case outcomeEnded:
			sum.Ended++
		default:
			sum.Rejected++
		}
		sum.Rows = append(sum.Rows, r)
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	if bar != nil {
		if len(sum.Rows) == len(rows) {
			_ = bar.Finish()
		} else {
			_ = bar.Exit() // not every row was attempted: the bar must not say 100 %
		}
	}
	sort.Slice(sum.Rows, func(i, j int) bool { return sum.Rows[i].Line < sum.Rows[j].Line })
	if sum.Rows == nil {
		sum.Rows = []importResult{}
	}
	return sum
}

// importOne starts a row's transfer through transfers.Service.Start (idempotent per customer). A customer
// with an earlier transfer is looked at first: Start alone would restart one that failed without a word
// (the workflow ID reuse policy allows it) and report one that completed as running.
func (a *app) importOne(ctx context.Context, s *session, row importRow, restartFailed bool) importResult {
	res := importResult{Line: row.line, CustomerTenantID: row.req.CustomerTenantID}
	sctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	id := csptransfer.WorkflowID(row.req.CustomerTenantID)
	restart := false
	desc, err := s.c.DescribeWorkflow(sctx, id, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
	case err != nil:
		res.Outcome, res.Error = outcomeRejected, fmt.Sprintf("describe transfer %s: %v", id, err)
		return res
	default:
		st := desc.Status
		stage, _ := desc.TypedSearchAttributes.GetKeyword(csptransfer.SearchAttributeStage)
		switch {
		case st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
			res.Outcome, res.WorkflowID, res.Stage, res.UILink = outcomeEnded, id, csptransfer.Stage(stage), s.svc.UILink(id)
			res.Earlier = executionStatus(st)
			return res
		case restartable(st) && !restartFailed:
			res.Outcome, res.WorkflowID, res.Stage, res.UILink = outcomeSkipped, id, csptransfer.Stage(stage), s.svc.UILink(id)
			res.Earlier = executionStatus(st)
			return res
		case restartable(st):
			restart, res.Earlier = true, executionStatus(st)
		}
	}
	started, err := s.svc.Start(sctx, row.req)
	if err != nil {
		res.Outcome, res.Error = outcomeRejected, err.Error()
		return res
	}
	res.WorkflowID, res.Stage, res.UILink = started.WorkflowID, started.Stage, started.UILink
	switch {
	case started.Existing:
		res.Outcome, res.Earlier = outcomeExisting, "" // someone else started it meanwhile
	case restart:
		res.Outcome = outcomeRestarted
	default:
		res.Outcome = outcomeStarted
	}
	return res
}

// restartable reports the closed execution statuses Temporal lets the same workflow ID start again under
// the reuse policy transfers are started with (ALLOW_DUPLICATE_FAILED_ONLY).
func restartable(s enumspb.WorkflowExecutionStatus) bool {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED,
		enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return true
	}
	return false
}

// earlierEnded says how an earlier transfer ended, for a sentence: "failed", "was cancelled", ...
func earlierEnded(executionStatus string) string {
	switch executionStatus {
	case "Failed":
		return "failed"
	case "Canceled":
		return "was cancelled"
	case "Terminated":
		return "was terminated"
	case "TimedOut":
		return "timed out"
	}
	return "ended (" + executionStatus + ")"
}

// importOutcome is a row's OUTCOME cell: the outcome, with why when the customer had an earlier transfer.
func importOutcome(r importResult) string {
	switch r.Outcome {
	case outcomeRestarted:
		return "restarted (the earlier transfer " + earlierEnded(r.Earlier) + ")"
	case outcomeSkipped:
		return "skipped: earlier transfer " + earlierEnded(r.Earlier) + "; use --restart-failed"
	case outcomeEnded:
		how := "completed"
		if r.Stage == csptransfer.StageAborted {
			how = "was aborted"
		}
		return "not started: earlier transfer " + how
	}
	return r.Outcome
}

func renderImport(w io.Writer, sum importSummary) {
	tw := newTable(w)
	fmt.Fprintln(tw, "LINE\tCUSTOMER TENANT\tOUTCOME\tSTAGE\tDETAIL")
	for _, r := range sum.Rows {
		detail := r.WorkflowID
		if r.Error != "" {
			detail = oneLine(r.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strconv.Itoa(r.Line), r.CustomerTenantID, importOutcome(r), orDash(string(r.Stage)), orDash(detail))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d started, %d restarted, %d already running, %d skipped, %d ended earlier, %d rejected\n",
		sum.Started, sum.Restarted, sum.Existing, sum.Skipped, sum.Ended, sum.Rejected)
	if sum.Skipped > 0 {
		fmt.Fprintf(w, "%d customer(s) skipped because their earlier transfer did not complete (failed, cancelled, terminated or timed out): see why with `starter report ID`, then run the same file with --restart-failed to start them again.\n",
			sum.Skipped)
	}
	if sum.Money != nil {
		fmt.Fprintln(w, importMoneyLine(sum.Money))
	}
}

var errTooLarge = errors.New("input too large")

// limitedReader fails once more than n bytes were read, so an oversized stream is an error rather than a
// silently truncated last row.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// importMoney is what an import can honestly say about money. Its transfers have just started: each is
// priced by Partner Center only once its customer accepted and its plan was made, days or weeks later, so
// querying them now would show no price. What the run does know is the original prices its rows gave.
type importMoney struct {
	// Sent counts the rows this run started or restarted (their requests carry the prices); Priced those of
	// them that gave an original price.
	Sent   int `json:"sent"`
	Priced int `json:"priced"`
	// OriginalPrices add up those prices per currency and period, never across them.
	OriginalPrices []importPriceTotal `json:"originalPrices"`
	Note           string             `json:"note"`
}

// importPriceTotal is the original prices of one currency and period.
type importPriceTotal struct {
	Currency string `json:"currency"`
	Period   string `json:"period"`
	// Amount is price × seats per period for the subscriptions the rows listed.
	Amount        float64 `json:"amount"`
	Seats         int     `json:"seats"`
	Subscriptions int     `json:"subscriptions"`
	// Discovered counts prices for a SKU (originalSku) whose seats are known only once discovery read them.
	Discovered int `json:"discovered,omitempty"`
}

const importMoneyNote = "new prices, overlap and refunds are not known yet: Partner Center prices a plan only once its customer accepted; see them with `starter status ID` then"

// importMoneyOf adds up the original prices of the rows this run started or restarted.
func importMoneyOf(rows []importRow, results []importResult) *importMoney {
	sent := map[int]bool{}
	for _, r := range results {
		if r.Outcome == outcomeStarted || r.Outcome == outcomeRestarted {
			sent[r.Line] = true
		}
	}
	m := &importMoney{Sent: len(sent), OriginalPrices: []importPriceTotal{}, Note: importMoneyNote}
	by := map[[2]string]*importPriceTotal{}
	total := func(p csptransfer.Price) *importPriceTotal {
		period := p.Period
		if period == "" {
			period = csptransfer.PeriodMonth
		}
		k := [2]string{p.Currency, period}
		if by[k] == nil {
			by[k] = &importPriceTotal{Currency: p.Currency, Period: period}
		}
		return by[k]
	}
	for _, row := range rows {
		if !sent[row.line] {
			continue
		}
		priced := false
		for _, s := range row.req.Subscriptions {
			if p := s.OriginalPrice; p != nil {
				t := total(*p)
				t.Amount += p.Amount * float64(s.Quantity)
				t.Seats += s.Quantity
				t.Subscriptions++
				priced = true
			}
		}
		for _, p := range row.req.OriginalPrices {
			total(p).Discovered++
			priced = true
		}
		if priced {
			m.Priced++
		}
	}
	for _, t := range by {
		t.Amount = csptransfer.RoundAmount(t.Amount, t.Currency)
		m.OriginalPrices = append(m.OriginalPrices, *t)
	}
	sort.Slice(m.OriginalPrices, func(i, j int) bool {
		a, b := m.OriginalPrices[i], m.OriginalPrices[j]
		return a.Currency < b.Currency || (a.Currency == b.Currency && a.Period < b.Period)
	})
	return m
}

// perPeriod writes a price period: "per month", "per year".
func perPeriod(period string) string {
	switch period {
	case csptransfer.PeriodMonth, "":
		return "per month"
	case csptransfer.PeriodYear:
		return "per year"
	}
	return "per " + period
}

// importMoneyLine is the summary's last line.
func importMoneyLine(m *importMoney) string {
	switch {
	case m.Sent == 0:
		return "Money: nothing started in this run, no price sent."
	case m.Priced == 0:
		return fmt.Sprintf("Money: none of the %d transfer(s) started gave an original price; %s.", m.Sent, m.Note)
	}
	var parts []string
	for _, t := range m.OriginalPrices {
		var s []string
		if t.Subscriptions > 0 {
			s = append(s, fmt.Sprintf("%s %s for %d seat(s) in %d subscription(s)", money(t.Amount, t.Currency), perPeriod(t.Period), t.Seats, t.Subscriptions))
		}
		if t.Discovered > 0 {
			s = append(s, fmt.Sprintf("%d %s price(s) %s for SKU(s) whose seats are discovered later", t.Discovered, t.Currency, perPeriod(t.Period)))
		}
		parts = append(parts, strings.Join(s, " and "))
	}
	return fmt.Sprintf("Money: %d of %d transfer(s) started gave an original price: %s (currencies and periods never added); %s.",
		m.Priced, m.Sent, strings.Join(parts, "; "), m.Note)
}
