package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
)

const day = 24 * time.Hour

// Hand-made money facts, filled the way the contract documents them (the workflow side computes them with
// the same csptransfer functions): overlap cost = term price spread over the term's days, refund = first
// billing period's charge prorated by day.

// e3Price is Office 365 E3 for 12 seats: 20.60 EUR per seat and month, a one-year term.
func e3Price(quotedAt time.Time) *csptransfer.LinePrice {
	return &csptransfer.LinePrice{Currency: "EUR", UnitPrice: 20.60, ListPrice: 22.80, TermPrice: 2966.40, Quantity: 12,
		BillingCycle: "monthly", TermDuration: "P1Y", RefundWindow: "P7D", QuotedAt: quotedAt, CartID: "c-quote-1"}
}

// e1Price is Office 365 E1 for 8 seats: 8.00 EUR per seat and month, a one-month term.
func e1Price(quotedAt time.Time, seats int) *csptransfer.LinePrice {
	return &csptransfer.LinePrice{Currency: "EUR", UnitPrice: 8.00, TermPrice: 8.00 * float64(seats), Quantity: seats,
		BillingCycle: "monthly", TermDuration: "P1M", RefundWindow: "P7D", QuotedAt: quotedAt, CartID: "c-quote-1"}
}

// visioPrice is Visio Plan 2 for 2 seats, billed once a year.
func visioPrice(quotedAt time.Time) *csptransfer.LinePrice {
	return &csptransfer.LinePrice{Currency: "EUR", UnitPrice: 165.00, TermPrice: 330.00, Quantity: 2,
		BillingCycle: "annual", TermDuration: "P1Y", RefundWindow: "P7D", QuotedAt: quotedAt, CartID: "c-buy-1"}
}

// overlap is what a line bought at from costs beside its original ending at to.
func overlap(p *csptransfer.LinePrice, original *csptransfer.Price, seats int, from, to time.Time) *csptransfer.Overlap {
	o := &csptransfer.Overlap{From: from, To: to, Days: csptransfer.OverlapDays(from, to)}
	if p != nil {
		if c, ok := csptransfer.NewSideCost(*p, from, o.Days); ok {
			o.NewCost = &c
		}
	}
	if original != nil {
		c := csptransfer.OriginalSideCost(*original, seats, from, o.Days)
		o.OriginalCost = &c
	}
	return o
}

// withTotals is st with a money view whose totals are the lines' (added up currency by currency).
func withTotals(st csptransfer.TransferStatus, now time.Time, v csptransfer.MoneyView) csptransfer.TransferStatus {
	st.Money = nil
	v.Totals, _ = moneyTotals(st, now)
	st.Money = &v
	return st
}

// pricedApproval is the awaiting-approval golden with prices: E4 → E3 and E1 quoted in EUR, E1's original
// bought from a US reseller at 10.00 USD per seat and month (its side of the overlap is in USD, never added
// to the EUR), E3's original price unknown, the Dynamics line still without an offer.
func pricedApproval() csptransfer.TransferStatus {
	st := goldenStatuses()["awaiting-approval"]
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	quoted := at(-3 * time.Hour)
	e4, e1 := &st.Lines[0], &st.Lines[1]
	e4.Price = e3Price(quoted)
	e4.Overlap = overlap(e4.Price, nil, e4.Quantity, goldenNow, e4.OriginalExpiresAt)
	e4.RefundBy = ptr(goldenNow.Add(7 * day))
	e1.Price = e1Price(quoted, e1.Quantity)
	e1.OriginalPrice = &csptransfer.Price{Amount: 10, Currency: "USD", Period: csptransfer.PeriodMonth}
	e1.Overlap = overlap(e1.Price, e1.OriginalPrice, e1.Quantity, goldenNow, e1.OriginalExpiresAt)
	e1.RefundBy = ptr(goldenNow.Add(7 * day))
	return withTotals(st, goldenNow, csptransfer.MoneyView{
		QuoteCartID: "c-quote-1", QuotedAt: ptr(quoted), QuoteExpiresAt: ptr(quoted.Add(7 * day)),
		SafeLeadTime: csptransfer.Duration(7 * day),
		Advice: []string{
			"buying now costs 60 days (≈ 2 months) of overlap ≈ 307.81 EUR; provisioning beforeExpiry with leadTime 7d costs 14 days ≈ 71.34 EUR",
			"the shortest safe lead time is 7d: 1d for provisioning and 2d for re-buys and an operator, and 4d to move users to the new SKU and back up data after a data-loss warning",
		},
	})
}

// unpricedApproval is the same plan when Partner Center refused to price it: the overlap days are known,
// their cost is not.
func unpricedApproval() csptransfer.TransferStatus {
	st := goldenStatuses()["awaiting-approval"]
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	for _, i := range []int{0, 1} {
		l := &st.Lines[i]
		l.Overlap = overlap(nil, nil, l.Quantity, goldenNow, l.OriginalExpiresAt)
	}
	return withTotals(st, goldenNow, csptransfer.MoneyView{
		Unpriced: 2, Why: "Partner Center did not price the plan: 403 Forbidden:\nthe partner has no access to pricing (error 900001)",
		SafeLeadTime: csptransfer.Duration(7 * day),
		Advice:       []string{"buying now costs 60 days (≈ 2 months) of overlap cost unknown (not priced); provisioning beforeExpiry with leadTime 7d costs 14 days cost unknown (not priced)"},
	})
}

// boughtLines are the partner-transfer-complete golden's lines with money, as of now: SPE_E3 transferred,
// STANDARDPACK bought two days ago (refund window open), VISIOCLIENT bought ten days ago (closed).
func boughtLines(lines []csptransfer.Line, now time.Time) []csptransfer.Line {
	lines = append([]csptransfer.Line{}, lines...)
	e3, e1, visio := &lines[0], &lines[1], &lines[2]
	e3.Overlap = &csptransfer.Overlap{}

	e1.OriginalPrice = &csptransfer.Price{Amount: 7.50, Currency: "EUR", Period: csptransfer.PeriodMonth}
	e1At := now.Add(-2 * day)
	e1.Progress.OrderedAt = ptr(e1At)
	e1.Progress.Price = e1Price(e1At, e1.Quantity)
	e1.Progress.Overlap = overlap(e1.Progress.Price, e1.OriginalPrice, e1.Quantity, e1At, e1.OriginalExpiresAt)
	e1.Progress.RefundableUntil = ptr(e1At.Add(7 * day))

	visioAt := now.Add(-10 * day)
	visio.Progress.OrderedAt = ptr(visioAt)
	visio.Progress.Price = visioPrice(visioAt)
	visio.Progress.Overlap = overlap(visio.Progress.Price, nil, visio.Quantity, visioAt, visio.OriginalExpiresAt)
	visio.Progress.RefundableUntil = ptr(visioAt.Add(7 * day))
	return lines
}

func pricedExpiry() csptransfer.TransferStatus {
	st := goldenStatuses()["partner-transfer-complete"]
	st.Lines = boughtLines(st.Lines, goldenNow)
	return withTotals(st, goldenNow, csptransfer.MoneyView{})
}

func TestMoneyStatusGolden(t *testing.T) {
	for name, st := range map[string]csptransfer.TransferStatus{
		"priced-approval":   pricedApproval(),
		"unpriced-approval": unpricedApproval(),
		"priced-expiry":     pricedExpiry(),
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			renderStatus(&b, csptransfer.WorkflowID(st.CustomerTenantID), st, "", goldenNow)
			golden(t, "status-"+name+".golden", b.Bytes())
		})
	}
}

// moneySection is the status's money section, up to the timeline.
func moneySection(t *testing.T, st csptransfer.TransferStatus) string {
	t.Helper()
	var b bytes.Buffer
	renderStatus(&b, "x", st, "", goldenNow)
	out := b.String()
	i := strings.Index(out, "\nMoney\n")
	require.GreaterOrEqual(t, i, 0, out)
	return out[i+1 : strings.Index(out, "\nTimeline\n")]
}

// row finds the line of out that starts (after spaces) with prefix.
func row(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return l
		}
	}
	require.Failf(t, "no row", "no row starting with %q in\n%s", prefix, out)
	return ""
}

func TestMoneyPricedLines(t *testing.T) {
	out := moneySection(t, pricedApproval())
	e4 := row(t, out, "1 ")
	require.Contains(t, e4, "quote")
	require.Contains(t, e4, "20.60 EUR/seat monthly")
	require.Contains(t, e4, "2,966.40 EUR for 1 year")
	require.Regexp(t, `30 days +243\.81 EUR +unknown +until 2026-11-28 10:00:00Z if bought as planned$`, e4, "2,966.40 × 30/365")
	require.Regexp(t, `30 days +64\.00 EUR +80\.00 USD`, row(t, out, "2 "), "64.00 × 30/30 (a P1M term from 21 Nov has 30 days) new; 10 USD × 8 seats × 30/30 original")
	require.Regexp(t, `3 +1e1a282c-9c54-43a2-9310-98ef728faace +— +no offer chosen`, row(t, out, "3 "))
	require.Contains(t, out, "ORIGINAL SIDE unknown: Partner Center does not show another channel's prices")
	require.Regexp(t, `Quote +cart c-quote-1, priced 2026-11-21 07:00:00Z, valid until 2026-11-28 07:00:00Z \(in 6d21h\)`, out)
	require.Regexp(t, `Safe lead time +7d: `, out)
	require.Contains(t, out, "  Advice\n    - buying now costs 60 days (≈ 2 months) of overlap ≈ 307.81 EUR;")
	require.NotContains(t, out, "Not priced")
}

// Two currencies are two rows: the E1 original's USD side is never added to the EUR figures.
func TestMoneyTwoCurrenciesNeverMixed(t *testing.T) {
	st := pricedApproval()
	require.Len(t, st.Money.Totals, 2)
	out := moneySection(t, st)
	eur, usd := row(t, out, "EUR "), row(t, out, "USD ")
	require.Regexp(t, `EUR +3,030\.40 EUR +— +60 days \(≈ 2 months\) +307\.81 EUR +unknown \(1 line\(s\)\)$`, eur)
	require.Regexp(t, `USD +— +— +— +— +80\.00 USD$`, usd)
	require.Contains(t, out, "Amounts in different currencies are never added.")
	require.NotContains(t, eur, "USD")
	require.NotContains(t, usd, "EUR")
	// A line's cells keep each amount's own currency: the new side in EUR, the original's in USD.
	require.Regexp(t, `64\.00 EUR +80\.00 USD`, row(t, out, "2 "))
	// The advice names one currency per sentence, as the workflow wrote it.
	require.NotRegexp(t, regexp.MustCompile(`\d USD.*\d EUR|\d EUR.*\d USD`), strings.Join(st.Money.Advice, "\n"))
}

func TestMoneyUnpriced(t *testing.T) {
	out := moneySection(t, unpricedApproval())
	require.Regexp(t, `1 +ENTERPRISEWITHSCAL +no +not priced +— +30 days +unknown +unknown +—$`, row(t, out, "1 "))
	require.Regexp(t, `Not priced +2 line\(s\), overlap days known, cost unknown: Partner Center did not price the plan: 403 Forbidden: the partner has no access to pricing \(error 900001\)`, out)
	require.NotContains(t, out, "Totals per currency", "no currency, no totals")
	require.NotContains(t, out, "Quote")

	st := unpricedApproval()
	st.Money.Why = ""
	require.Contains(t, moneySection(t, st), "cost unknown: Partner Center gave no reason")
}

func TestMoneyAfterPurchase(t *testing.T) {
	st := pricedExpiry()
	out := moneySection(t, st)
	require.Regexp(t, `1 +SPE_E3 +transfer +nothing bought +— +0 days \(transfer\) +— +— +—$`, row(t, out, "1 "))
	e1 := row(t, out, "2 ")
	require.Contains(t, e1, "bought")
	require.Regexp(t, `42 days +56\.00 EUR +52\.50 EUR +open until 2026-11-26 10:00:00Z \(in 5d0h\), ≈ 37\.33 EUR back if cancelled now$`, e1,
		"40.00 × 42/30 new (a P1M term from 19 Nov has 30 days); 7.50 × 5 seats × 42/30 original; 40.00 × (30-2)/30 back")
	require.Regexp(t, `165\.00 EUR/seat annual +330\.00 EUR for 1 year +30 days +27\.12 EUR +unknown +closed$`, row(t, out, "3 "))
	require.Regexp(t, `EUR +370\.00 EUR +370\.00 EUR +72 days \(≈ 2 months\) +83\.12 EUR +52\.50 EUR \+ unknown for 1 line\(s\) +37\.33 EUR$`, row(t, out, "EUR "))
	require.Contains(t, out, "REFUNDABLE NOW")
	require.NotContains(t, out, "EXPECTED BACK")
	require.NotContains(t, out, "Amounts in different currencies")

	// The window is shown only while open: a day after it closed, it says closed.
	later := goldenNow.Add(6 * day)
	var b bytes.Buffer
	renderMoney(&b, st, later)
	require.Regexp(t, `2 +STANDARDPACK +bought .* +closed\n`, b.String())
	require.NotContains(t, b.String(), "open until")
	require.NotContains(t, b.String(), "REFUNDABLE NOW", "the workflow's figure means nothing once every window closed")
}

func TestRefundCell(t *testing.T) {
	running := csptransfer.TransferStatus{Stage: csptransfer.StageAwaitingExpiry}
	price := e1Price(goldenNow, 5)
	orderedAt := goldenNow.Add(-2 * day)
	boughtLine := func(until *time.Time, refund *csptransfer.Money) csptransfer.Line {
		return csptransfer.Line{Progress: csptransfer.LineProgress{Ordered: true, OrderedAt: &orderedAt, Price: price, RefundableUntil: until, Refund: refund}}
	}
	for _, tc := range []struct {
		name string
		line csptransfer.Line
		st   csptransfer.TransferStatus
		want string
	}{
		{"planned", csptransfer.Line{PlanLine: csptransfer.PlanLine{Price: price, RefundBy: ptr(at(7 * day))}}, running,
			"until 2026-11-28 10:00:00Z if bought as planned"},
		{"planned, only the window known", csptransfer.Line{PlanLine: csptransfer.PlanLine{Price: price}}, running, "7 days after purchase"},
		{"planned, nothing known", csptransfer.Line{}, running, "—"},
		{"open", boughtLine(ptr(at(5*day)), nil), running, "open until 2026-11-26 10:00:00Z (in 5d0h), ≈ 37.33 EUR back if cancelled now"},
		{"open, transfer ended", boughtLine(ptr(at(5*day)), nil), csptransfer.TransferStatus{Stage: csptransfer.StageCompleted},
			"open until 2026-11-26 10:00:00Z (in 5d0h)"},
		{"closed", boughtLine(ptr(at(-time.Second)), nil), running, "closed"},
		{"closing right now", boughtLine(ptr(goldenNow), nil), running, "closed"},
		{"no window known", boughtLine(nil, nil), running, "unknown"},
		{"cancelled", boughtLine(ptr(at(5*day)), &csptransfer.Money{Amount: 37.33, Currency: "EUR"}), csptransfer.TransferStatus{Stage: csptransfer.StageAborted},
			"cancelled, ≈ 37.33 EUR back"},
	} {
		require.Equal(t, tc.want, refundCell(tc.line, tc.st, goldenNow), tc.name)
	}
}

// A status without a money view (the workflow had not summed it) still gets totals, added up from the
// lines per currency; a status without any money fact shows no money section at all.
func TestMoneyTotalsFromLines(t *testing.T) {
	st := pricedApproval()
	want := st.Money.Totals
	st.Money = nil
	got, fromLines := moneyTotals(st, goldenNow)
	require.True(t, fromLines)
	require.Equal(t, want, got)
	out := moneySection(t, st)
	require.Contains(t, out, "Totals per currency (added up from the lines)")
	require.NotContains(t, out, "Quote")

	require.False(t, hasMoney(goldenStatuses()["awaiting-approval"]))
	var b bytes.Buffer
	renderStatus(&b, "x", goldenStatuses()["awaiting-approval"], "", goldenNow)
	require.NotContains(t, b.String(), "Money")
}

func TestTermWords(t *testing.T) {
	for in, want := range map[string]string{"P1M": "1 month", "P1Y": "1 year", "p3y": "3 years", "P7D": "7 days", "P2W": "2 weeks",
		"P1Y6M": "P1Y6M", "": "", "PT1H": "PT1H", "P0D": "P0D"} {
		require.Equal(t, want, termWords(in), in)
	}
}

func abortedReport() csptransfer.TransferReport {
	st := pricedExpiry()
	st.Stage, st.Awaiting = csptransfer.StageAborted, nil
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	e1 := &st.Lines[1]
	back := csptransfer.ExpectedRefund(*e1.Progress.Price, *e1.Progress.OrderedAt, *e1.Progress.RefundableUntil, goldenNow)
	e1.Progress.Refund = &back
	st = withTotals(st, goldenNow, csptransfer.MoneyView{})
	return csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageAborted,
		Reason: "customer withdrew; 1 subscription(s) cancelled inside their refund window, ≈ 37.33 EUR expected back", CompletedAt: goldenNow}
}

func TestMoneyReportGolden(t *testing.T) {
	var b bytes.Buffer
	renderReport(&b, csptransfer.WorkflowID(goldenTenant), abortedReport(), "", goldenNow)
	golden(t, "report-aborted-refund.golden", b.Bytes())

	st := pricedExpiry()
	st.Stage, st.Awaiting = csptransfer.StageCompleted, nil
	for i := range st.Lines {
		st.Lines[i].Progress.OriginalState = "expired"
	}
	b.Reset()
	renderReport(&b, csptransfer.WorkflowID(goldenTenant), csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted,
		CompletedAt: goldenNow}, "", goldenNow.Add(40*day))
	golden(t, "report-completed-money.golden", b.Bytes())
}

func TestReportMoney(t *testing.T) {
	rows := func(rep csptransfer.TransferReport) map[string]string {
		m := map[string]string{}
		for _, r := range reportMoney(rep, goldenNow) {
			m[r[0]] = r[1]
		}
		return m
	}
	got := rows(abortedReport())
	require.Equal(t, "370.00 EUR for the first term of 2 line(s) bought", got["Spent"])
	require.Equal(t, "2 line(s), 72 days (≈ 2 months), ≈ 83.12 EUR on the new side, ≈ 52.50 EUR on the originals' side, "+
		"originals' side unknown for 1 line(s); 1 line(s) transferred: 0 days", got["Overlap"])
	require.Equal(t, "≈ 37.33 EUR expected back: 1 subscription(s) cancelled inside their refund window (the first billing period's charge "+
		"prorated by day; Microsoft's exact proration is UNCONFIRMED)", got["Refunds"])

	// Aborted before purchase: nothing spent, no overlap, nothing back.
	st := pricedApproval()
	st.Stage = csptransfer.StageAborted
	got = rows(csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageAborted})
	require.Equal(t, map[string]string{"Spent": "nothing bought", "Overlap": "none: nothing bought", "Refunds": "none expected: nothing was cancelled"}, got)

	// Bought without a price, in two currencies: never added, the unpriced one said.
	st = pricedExpiry()
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	usd := *st.Lines[2].Progress.Price
	usd.Currency = "USD"
	st.Lines[2].Progress.Price = &usd
	st.Lines[2].Progress.Overlap = overlap(&usd, nil, 2, *st.Lines[2].Progress.OrderedAt, st.Lines[2].OriginalExpiresAt)
	st.Money = nil
	got = rows(csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted})
	require.Equal(t, "40.00 EUR; 330.00 USD for the first term of 2 line(s) bought", got["Spent"])
	require.Contains(t, got["Overlap"], "1 line(s), 42 days, ≈ 56.00 EUR on the new side, ≈ 52.50 EUR on the originals' side; 1 line(s), 30 days, ≈ 27.12 USD on the new side")
	st.Lines[1].Progress.Price, st.Lines[1].Progress.Overlap.NewCost = nil, nil
	got = rows(csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted})
	require.Equal(t, "330.00 USD for the first term of 2 line(s) bought (1 without a price: not counted)", got["Spent"])
	require.Contains(t, got["Overlap"], "1 line(s), 42 days, cost unknown (not priced), ≈ 52.50 EUR on the originals' side")

	require.Nil(t, reportMoney(csptransfer.TransferReport{TransferStatus: goldenStatuses()["awaiting-expiry"]}, goldenNow), "no money facts, no money rows")
}

func TestRefundStatement(t *testing.T) {
	st := pricedExpiry()
	require.Equal(t, "Cancelling the new subscriptions still inside their refund window is expected to return ≈ 37.33 EUR: the first billing "+
		"period's charge prorated by day (whether Microsoft prorates by day or by hour is UNCONFIRMED).\n"+
		"Inside the refund window, cancelled: 2 STANDARDPACK (until 2026-11-26 10:00:00Z (in 5d0h)).\n"+
		"Past the refund window, kept and paid for: 3 VISIOCLIENT (closed 2026-11-18 10:00:00Z).\n"+
		"The originals are never cancelled.\n", refundStatement(st, goldenNow))

	// Two currencies, each on its own; a line without a known window is named.
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	usd := *st.Lines[2].Progress.Price
	usd.Currency = "USD"
	st.Lines[2].Progress.Price = &usd
	st.Lines[2].Progress.RefundableUntil = ptr(at(day))
	st.Lines = append(st.Lines, csptransfer.Line{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "POWER_BI_PRO", Quantity: 1},
		Progress: csptransfer.LineProgress{Ordered: true}})
	st.Lines = append(st.Lines, csptransfer.Line{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: "PROJECTPREMIUM", Quantity: 1}})
	out := refundStatement(st, goldenNow)
	require.Contains(t, out, "expected to return ≈ 37.33 EUR; ≈ 320.96 USD:", "165 × 2 × (365-10)/365 in USD, never added to the EUR")
	require.Contains(t, out, "No refund window known (Partner Center named none), kept unless Partner Center accepts the cancellation: 4 POWER_BI_PRO.\n")
	require.Contains(t, out, "Not bought yet, nothing to cancel: 1 line(s).\n")

	// Inside the window without a price.
	st = pricedExpiry()
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	st.Lines[1].Progress.Price = nil
	st = withTotals(st, goldenNow, csptransfer.MoneyView{})
	require.Contains(t, refundStatement(st, goldenNow), "What cancelling the new subscriptions inside their refund window returns is unknown: they have no price.\n")

	// Every window closed; nothing bought.
	require.Contains(t, refundStatement(pricedExpiry(), goldenNow.Add(10*day)), "No new subscription is known to be inside its refund window: nothing is expected back.\n")
	require.Equal(t, "Nothing has been bought: nothing to cancel, nothing to refund.\nThe originals are never cancelled.\n",
		refundStatement(pricedApproval(), goldenNow))

	// Lines the status cannot price now: the transfer's own totals, said as of when.
	st = pricedExpiry()
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	st.Lines[1].Progress.OrderedAt = nil
	st.UpdatedAt = at(-time.Hour)
	out = refundStatement(st, goldenNow)
	require.Contains(t, out, "expected to return ≈ 37.33 EUR (the transfer's figure as of 2026-11-21 09:00:00Z):")
	require.NotContains(t, out, "more line(s)", "the transfer's figure covers what it could price")
}

// --json prints the status as the workflow answered it: every money field comes through.
func TestMoneyJSON(t *testing.T) {
	st := pricedExpiry()
	st.Lines[1].Progress.Refund = &csptransfer.Money{Amount: 37.33, Currency: "EUR"}
	var b bytes.Buffer
	require.NoError(t, writeJSON(&b, st))
	for _, key := range []string{`"money"`, `"totals"`, `"overlapNew"`, `"overlapOriginal"`, `"originalUnknown"`, `"refundable"`,
		`"price"`, `"unitPrice"`, `"termPrice"`, `"billingCycle"`, `"termDuration"`, `"refundWindow"`, `"quotedAt"`, `"cartId"`,
		`"originalPrice"`, `"overlap"`, `"newCost"`, `"originalCost"`, `"orderedAt"`, `"refundableUntil"`, `"refund"`} {
		require.Contains(t, b.String(), key)
	}
	var back csptransfer.TransferStatus
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Equal(t, st.Money, back.Money)
	for i := range st.Lines {
		require.Equal(t, st.Lines[i].Price, back.Lines[i].Price)
		require.Equal(t, st.Lines[i].Overlap, back.Lines[i].Overlap)
		require.Equal(t, st.Lines[i].Progress.Price, back.Lines[i].Progress.Price)
		require.Equal(t, st.Lines[i].Progress.Overlap, back.Lines[i].Progress.Overlap)
		require.Equal(t, st.Lines[i].Progress.Refund, back.Lines[i].Progress.Refund)
	}

	approval := pricedApproval()
	b.Reset()
	rep := abortedReport()
	require.NoError(t, writeJSON(&b, reportOutput{WorkflowID: "x", ExecutionStatus: "Completed", Report: &rep}))
	var out reportOutput
	require.NoError(t, json.Unmarshal(b.Bytes(), &out))
	require.Equal(t, rep.Money, out.Report.Money)
	require.Equal(t, rep.Lines[1].Progress.Refund, out.Report.Lines[1].Progress.Refund)
	require.NotNil(t, approval.Money.QuoteExpiresAt)
	b.Reset()
	require.NoError(t, writeJSON(&b, approval))
	require.Contains(t, b.String(), `"quoteExpiresAt"`)
	require.Contains(t, b.String(), `"safeLeadTime": "7d"`)
	require.Contains(t, b.String(), `"refundBy"`)
	require.Contains(t, b.String(), `"advice"`)
}
