package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/csptransfer/csptransfer"
)

// The money a transfer's status carries (Partner Center's prices, the overlap, refund windows) is shown
// under the plan: one row per line, the totals per currency, and the workflow's advice. Amounts in
// different currencies are never added: every sum here is kept per currency.

// hasMoney says the status carries money facts at all: transfers planned before prices existed have none,
// and show no money section.
func hasMoney(st csptransfer.TransferStatus) bool {
	if st.Money != nil {
		return true
	}
	for _, l := range st.Lines {
		p := l.Progress
		if l.Price != nil || l.OriginalPrice != nil || l.Overlap != nil || l.RefundBy != nil ||
			p.OrderedAt != nil || p.Price != nil || p.Overlap != nil || p.RefundableUntil != nil || p.Refund != nil {
			return true
		}
	}
	return false
}

// linePrice is the price that counts for a line, and where it comes from: "bought" (the checked-out cart's),
// "quote" (the plan's quote cart), or "" when it has none.
func linePrice(l csptransfer.Line) (*csptransfer.LinePrice, string) {
	switch {
	case l.Bought() && l.Progress.Price != nil:
		return l.Progress.Price, "bought"
	case !l.Bought() && l.Price != nil:
		return l.Price, "quote"
	}
	return nil, ""
}

// lineOverlap is the overlap that counts for a line: as bought once ordered, else as planned.
func lineOverlap(l csptransfer.Line) *csptransfer.Overlap {
	if l.Bought() {
		return l.Progress.Overlap
	}
	return l.Overlap
}

func money(amount float64, currency string) string {
	return csptransfer.Money{Amount: amount, Currency: currency}.String()
}

// unitPrice is one seat for one billing period: "20.60 EUR/seat monthly".
func unitPrice(p csptransfer.LinePrice) string {
	s := money(p.UnitPrice, p.Currency) + "/seat"
	if c := oneLine(p.BillingCycle); c != "" {
		s += " " + strings.ToLower(c)
	}
	return s
}

// termPrice is every seat for the whole term: "2,966.40 EUR for 1 year".
func termPrice(p csptransfer.LinePrice) string {
	s := money(p.TermPrice, p.Currency)
	if t := termWords(p.TermDuration); t != "" {
		s += " for " + t
	}
	return s
}

// termWords writes an ISO 8601 term of one unit (P1M, P1Y, P3Y, P7D) in words; anything else as it is.
func termWords(iso string) string {
	s := strings.ToUpper(oneLine(iso))
	if len(s) < 3 || s[0] != 'P' {
		return s
	}
	n, err := strconv.Atoi(s[1 : len(s)-1])
	if err != nil || n < 1 {
		return s
	}
	unit := map[byte]string{'D': "day", 'W': "week", 'M': "month", 'Y': "year"}[s[len(s)-1]]
	if unit == "" {
		return s
	}
	if n > 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// moneyRow is one line's cells in the money table.
type moneyRow struct {
	priced, unit, term, overlap, newSide, originalSide, refund string
	// originalUnknown says the original side of a real overlap is unknown.
	originalUnknown bool
}

func lineMoneyRow(l csptransfer.Line, st csptransfer.TransferStatus, now time.Time) moneyRow {
	if l.Transfers() {
		return moneyRow{priced: "transfer", unit: "nothing bought", term: "—", overlap: "0 days (transfer)",
			newSide: "—", originalSide: "—", refund: "—"}
	}
	if l.Unresolved && !l.Bought() {
		return moneyRow{priced: "—", unit: "no offer chosen", term: "—", overlap: "—", newSide: "—", originalSide: "—", refund: "—"}
	}
	r := moneyRow{priced: "no", unit: "not priced", term: "—", overlap: "—", newSide: "—", originalSide: "—", refund: "—"}
	p, from := linePrice(l)
	if p != nil {
		r.priced, r.unit, r.term = from, unitPrice(*p), termPrice(*p)
	} else if l.Bought() {
		r.priced = "bought"
	}
	if o := lineOverlap(l); o != nil {
		r.overlap = csptransfer.FormatDays(o.Days)
		r.newSide, r.originalSide = "unknown", "unknown"
		if o.NewCost != nil {
			r.newSide = o.NewCost.String()
		}
		if o.OriginalCost != nil {
			r.originalSide = o.OriginalCost.String()
		} else {
			r.originalUnknown = o.Days > 0
		}
	}
	r.refund = refundCell(l, st, now)
	return r
}

// refundCell is a line's REFUND cell: before purchase the planned deadline (RefundBy); after it the real
// one (RefundableUntil) while it is still open, "closed" once it passed, what a cancellation returns once
// the line was cancelled.
func refundCell(l csptransfer.Line, st csptransfer.TransferStatus, now time.Time) string {
	p := l.Progress
	if !l.Bought() {
		switch {
		case l.RefundBy != nil:
			return "until " + fmtTime(*l.RefundBy) + " if bought as planned"
		case l.Price != nil && l.Price.RefundWindow != "":
			return termWords(l.Price.RefundWindow) + " after purchase"
		}
		return "—"
	}
	switch {
	case p.Refund != nil:
		return "cancelled, ≈ " + p.Refund.String() + " back"
	case p.RefundableUntil == nil:
		return "unknown"
	case now.Before(*p.RefundableUntil):
		open := "open until " + fmtWhen(*p.RefundableUntil, now)
		if !st.Stage.Terminal() {
			if back, ok := refundNow(l, now); ok {
				open += ", ≈ " + back.String() + " back if cancelled now"
			}
		}
		return open
	}
	return "closed"
}

// refundNow is what cancelling a bought line at now is expected to return (csptransfer.ExpectedRefund: the
// first billing period's charge, prorated by day); ok is false when the line lacks what that needs.
func refundNow(l csptransfer.Line, now time.Time) (csptransfer.Money, bool) {
	p := l.Progress
	if p.Price == nil || p.OrderedAt == nil || p.RefundableUntil == nil || p.Price.Currency == "" {
		return csptransfer.Money{}, false
	}
	return csptransfer.ExpectedRefund(*p.Price, *p.OrderedAt, *p.RefundableUntil, now), true
}

// moneyTotals are the status's totals per currency. A status without a money view (the workflow had not
// summed it) has them added up here from the lines, currency by currency; fromLines says so.
func moneyTotals(st csptransfer.TransferStatus, now time.Time) (totals []csptransfer.MoneyTotal, fromLines bool) {
	if st.Money != nil {
		return st.Money.Totals, false
	}
	var sets [][]csptransfer.MoneyTotal
	for _, l := range st.Lines {
		totals, _ := csptransfer.LineTotals(l, now)
		sets = append(sets, totals)
	}
	return csptransfer.AddTotals(sets...), true
}

// orNone writes an amount, or "—" for zero.
func orNone(amount float64, currency string) string {
	if csptransfer.RoundAmount(amount, currency) == 0 {
		return "—"
	}
	return money(amount, currency)
}

// renderMoney writes the money section: per line what it costs (or cost), its overlap and the cost of those
// days on both sides, its refund deadline; then the totals per currency, lines without a price and why, the
// quote, the safe lead time and the workflow's advice.
func renderMoney(w io.Writer, st csptransfer.TransferStatus, now time.Time) {
	fmt.Fprintln(w, "Money")
	tw := newTable(w)
	fmt.Fprintln(tw, "  #\tSOURCE\tPRICED\tUNIT PRICE\tTERM PRICE\tOVERLAP\tNEW SIDE\tORIGINAL SIDE\tREFUND")
	originalUnknown := false
	for i, l := range st.Lines {
		r := lineMoneyRow(l, st, now)
		originalUnknown = originalUnknown || r.originalUnknown
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, sourceName(l.PlanLine), r.priced, r.unit, r.term,
			r.overlap, r.newSide, r.originalSide, r.refund)
	}
	_ = tw.Flush()
	if originalUnknown {
		fmt.Fprintln(w, "  ORIGINAL SIDE unknown: Partner Center does not show another channel's prices; give them with originalPrices (start --file) or the import's originalPrice column.")
	}

	totals, fromLines := moneyTotals(st, now)
	if len(totals) > 0 {
		title := "  Totals per currency"
		if fromLines {
			title += " (added up from the lines)"
		}
		fmt.Fprintln(w, title)
		renderTotals(w, totals, refundOpen(st, now))
		if len(totals) > 1 {
			fmt.Fprintln(w, "    Amounts in different currencies are never added.")
		}
	}

	v := st.Money
	if v == nil {
		return
	}
	tw = newTable(w)
	if v.Unpriced > 0 {
		why := oneLine(v.Why)
		if why == "" {
			why = "Partner Center gave no reason"
		}
		fmt.Fprintf(tw, "  Not priced\t%d line(s), overlap days known, cost unknown: %s\n", v.Unpriced, why)
	}
	if v.QuoteCartID != "" || v.QuotedAt != nil || v.QuoteExpiresAt != nil {
		quote := "cart " + orDash(oneLine(v.QuoteCartID))
		if v.QuotedAt != nil {
			quote += ", priced " + fmtTime(*v.QuotedAt)
		}
		if e := v.QuoteExpiresAt; e != nil {
			if now.Before(*e) {
				quote += ", valid until " + fmtWhen(*e, now)
			} else {
				quote += ", expired " + fmtWhen(*e, now) + ": prices may differ at purchase"
			}
		}
		fmt.Fprintf(tw, "  Quote\t%s\n", quote)
	}
	if v.SafeLeadTime > 0 {
		fmt.Fprintf(tw, "  Safe lead time\t%s: the shortest beforeExpiry lead time that leaves room for provisioning, re-buys, an operator and license moves\n",
			v.SafeLeadTime)
	}
	_ = tw.Flush()
	if len(v.Advice) > 0 {
		fmt.Fprintln(w, "  Advice")
		for _, a := range v.Advice {
			fmt.Fprintf(w, "    - %s\n", oneLine(a))
		}
	}
}

// refundOpen says abort --cancel-refundable could still get something back: the transfer runs and a bought
// line's refund window is open at now.
func refundOpen(st csptransfer.TransferStatus, now time.Time) bool {
	if st.Stage.Terminal() {
		return false
	}
	for _, l := range st.Lines {
		p := l.Progress
		if l.Bought() && p.Refund == nil && p.RefundableUntil != nil && now.Before(*p.RefundableUntil) {
			return true
		}
	}
	return false
}

// renderTotals writes one row per currency. The refund columns show only when a currency has a figure,
// REFUNDABLE NOW only while a refund window is open (withRefundable): the workflow's figure is as of its
// last update, and means nothing once the windows closed or the transfer ended.
func renderTotals(w io.Writer, totals []csptransfer.MoneyTotal, withRefundable bool) {
	refundable, refunded := false, false
	for _, t := range totals {
		refundable = refundable || (withRefundable && csptransfer.RoundAmount(t.Refundable, t.Currency) != 0)
		refunded = refunded || csptransfer.RoundAmount(t.Refunded, t.Currency) != 0
	}
	tw := newTable(w)
	header := "    CURRENCY\tTERM PRICE\tSPENT\tOVERLAP DAYS\tOVERLAP NEW SIDE\tOVERLAP ORIGINAL SIDE"
	if refundable {
		header += "\tREFUNDABLE NOW"
	}
	if refunded {
		header += "\tEXPECTED BACK"
	}
	fmt.Fprintln(tw, header)
	for _, t := range totals {
		c := t.Currency
		days := "—"
		if t.OverlapDays > 0 {
			days = csptransfer.FormatDays(t.OverlapDays)
		}
		row := fmt.Sprintf("    %s\t%s\t%s\t%s\t%s\t%s", orDash(oneLine(c)), orNone(t.Term, c), orNone(t.Spent, c), days,
			orNone(t.OverlapNew, c), originalTotal(t))
		if refundable {
			row += "\t" + orNone(t.Refundable, c)
		}
		if refunded {
			row += "\t" + orNone(t.Refunded, c)
		}
		fmt.Fprintln(tw, row)
	}
	_ = tw.Flush()
}

// originalTotal is the originals' side of a currency's overlap, saying for how many lines it is unknown.
func originalTotal(t csptransfer.MoneyTotal) string {
	known := csptransfer.RoundAmount(t.OverlapOriginal, t.Currency) != 0
	switch {
	case t.OriginalUnknown > 0 && known:
		return fmt.Sprintf("%s + unknown for %d line(s)", money(t.OverlapOriginal, t.Currency), t.OriginalUnknown)
	case t.OriginalUnknown > 0:
		return fmt.Sprintf("unknown (%d line(s))", t.OriginalUnknown)
	}
	return orNone(t.OverlapOriginal, t.Currency)
}

// joinMoney writes amounts of several currencies side by side, never added: "1,234.00 EUR; 56.00 USD".
func joinMoney(ms []csptransfer.Money, prefix string) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = prefix + m.String()
	}
	return strings.Join(parts, "; ")
}

// reportMoney is what a finished transfer's report says about money: what was spent, the overlap that
// happened, the refunds expected. Rows are "label", "value" pairs for the report's table.
func reportMoney(rep csptransfer.TransferReport, now time.Time) [][2]string {
	st := rep.TransferStatus
	if !hasMoney(st) {
		return nil
	}
	totals, _ := moneyTotals(st, now)
	var spent, refunded []csptransfer.Money
	for _, t := range totals {
		if csptransfer.RoundAmount(t.Spent, t.Currency) != 0 {
			spent = append(spent, csptransfer.Money{Amount: t.Spent, Currency: t.Currency})
		}
		if csptransfer.RoundAmount(t.Refunded, t.Currency) != 0 {
			refunded = append(refunded, csptransfer.Money{Amount: t.Refunded, Currency: t.Currency})
		}
	}
	boughtLines, unpriced, cancelled := 0, 0, 0
	for _, l := range st.Lines {
		if l.Transfers() || !l.Bought() {
			continue
		}
		boughtLines++
		if l.Progress.Price == nil {
			unpriced++
		}
		if l.Progress.Refund != nil {
			cancelled++
		}
	}

	var rows [][2]string
	spentText := "nothing bought"
	if boughtLines > 0 {
		spentText = fmt.Sprintf("%s for the first term of %d line(s) bought", joinMoney(spent, ""), boughtLines)
		if len(spent) == 0 {
			spentText = fmt.Sprintf("%d line(s) bought", boughtLines)
		}
		if unpriced > 0 {
			spentText += fmt.Sprintf(" (%d without a price: not counted)", unpriced)
		}
	}
	rows = append(rows, [2]string{"Spent", spentText})
	rows = append(rows, [2]string{"Overlap", happenedOverlap(st)})

	refunds := "none expected: nothing was cancelled"
	if len(refunded) > 0 || cancelled > 0 {
		refunds = fmt.Sprintf("%d subscription(s) cancelled inside their refund window", cancelled)
		if len(refunded) > 0 {
			refunds = joinMoney(refunded, "≈ ") + " expected back: " + refunds +
				" (the first billing period's charge prorated by day; Microsoft's exact proration is UNCONFIRMED)"
		}
	}
	rows = append(rows, [2]string{"Refunds", refunds})
	return rows
}

// happenedOverlap says how long the bought lines ran beside their originals and what those days cost, per
// currency (the new side in the line's, the original side in the original price's).
func happenedOverlap(st csptransfer.TransferStatus) string {
	type group struct {
		lines, days, unknownOriginal int
		newCost                      float64
		original                     map[string]float64
	}
	groups := map[string]*group{}
	transferred := 0
	for _, l := range st.Lines {
		if l.Transfers() {
			transferred++
			continue
		}
		o := l.Progress.Overlap
		if !l.Bought() || o == nil {
			continue
		}
		cur := ""
		switch {
		case o.NewCost != nil:
			cur = o.NewCost.Currency
		case l.Progress.Price != nil:
			cur = l.Progress.Price.Currency
		}
		g := groups[cur]
		if g == nil {
			g = &group{original: map[string]float64{}}
			groups[cur] = g
		}
		g.lines++
		g.days += o.Days
		if o.NewCost != nil {
			g.newCost += o.NewCost.Amount
		}
		if o.OriginalCost != nil {
			g.original[o.OriginalCost.Currency] += o.OriginalCost.Amount
		} else if o.Days > 0 {
			g.unknownOriginal++
		}
	}
	currencies := make([]string, 0, len(groups))
	for c := range groups {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	var parts []string
	for _, c := range currencies {
		g := groups[c]
		s := fmt.Sprintf("%d line(s), %s", g.lines, csptransfer.FormatDays(g.days))
		if c == "" {
			s += ", cost unknown (not priced)"
		} else {
			s += ", ≈ " + money(g.newCost, c) + " on the new side"
		}
		origCurrencies := make([]string, 0, len(g.original))
		for oc := range g.original {
			origCurrencies = append(origCurrencies, oc)
		}
		sort.Strings(origCurrencies)
		for _, oc := range origCurrencies {
			s += ", ≈ " + money(g.original[oc], oc) + " on the originals' side"
		}
		if g.unknownOriginal > 0 {
			s += fmt.Sprintf(", originals' side unknown for %d line(s)", g.unknownOriginal)
		}
		parts = append(parts, s)
	}
	if transferred > 0 {
		parts = append(parts, fmt.Sprintf("%d line(s) transferred: 0 days", transferred))
	}
	if len(parts) == 0 {
		return "none: nothing bought"
	}
	return strings.Join(parts, "; ")
}

// refundOutlook is what abort --cancel-refundable expects: per currency what cancelling the new
// subscriptions still inside their refund window returns, and which lines are past it.
type refundOutlook struct {
	// Expected is, per currency, what cancelling the lines inside their window returns (never added across).
	Expected []csptransfer.Money
	// Open are the lines inside their window, Closed past it, Unknown bought with no known window,
	// NotBought not bought yet (nothing to cancel); each "N SOURCE (...)".
	Open, Closed, Unknown []string
	NotBought             int
	// OpenUnpriced counts lines inside their window whose refund cannot be computed.
	OpenUnpriced int
	// FromTotals says the amounts are the status's totals (as of its last update), not computed now.
	FromTotals bool
}

// outlookRefunds computes the refund outlook from the lines at now, with the same formula the workflow uses
// (csptransfer.ExpectedRefund); when no line inside its window allows it, the status's
// Money.Totals[].Refundable, as of the status's last update.
func outlookRefunds(st csptransfer.TransferStatus, now time.Time) refundOutlook {
	var o refundOutlook
	var sets [][]csptransfer.MoneyTotal
	for i, l := range st.Lines {
		name := fmt.Sprintf("%d %s", i+1, sourceName(l.PlanLine))
		p := l.Progress
		switch {
		case l.Transfers():
			continue
		case !l.Bought():
			o.NotBought++
		case p.Refund != nil:
			continue // already cancelled
		case p.RefundableUntil == nil:
			o.Unknown = append(o.Unknown, name)
		case !now.Before(*p.RefundableUntil):
			o.Closed = append(o.Closed, name+" (closed "+fmtTime(*p.RefundableUntil)+")")
		default:
			o.Open = append(o.Open, name+" (until "+fmtWhen(*p.RefundableUntil, now)+")")
			if back, ok := refundNow(l, now); ok {
				sets = append(sets, []csptransfer.MoneyTotal{{Currency: back.Currency, Refundable: back.Amount}})
			} else {
				o.OpenUnpriced++
			}
		}
	}
	totals := csptransfer.AddTotals(sets...)
	if len(totals) == 0 && o.OpenUnpriced > 0 && st.Money != nil {
		totals, o.FromTotals = st.Money.Totals, true
	}
	for _, t := range totals {
		if csptransfer.RoundAmount(t.Refundable, t.Currency) != 0 {
			o.Expected = append(o.Expected, csptransfer.Money{Amount: t.Refundable, Currency: t.Currency})
		}
	}
	return o
}

// refundStatement says, before abort --cancel-refundable asks, what it expects back and what is past its
// refund window.
func refundStatement(st csptransfer.TransferStatus, now time.Time) string {
	o := outlookRefunds(st, now)
	var b strings.Builder
	switch {
	case len(o.Expected) > 0:
		fmt.Fprintf(&b, "Cancelling the new subscriptions still inside their refund window is expected to return %s", joinMoney(o.Expected, "≈ "))
		if o.FromTotals {
			b.WriteString(" (the transfer's figure as of " + fmtTime(st.UpdatedAt) + ")")
		}
		b.WriteString(": the first billing period's charge prorated by day (whether Microsoft prorates by day or by hour is UNCONFIRMED).\n")
		if o.OpenUnpriced > 0 && !o.FromTotals {
			fmt.Fprintf(&b, "%d more line(s) inside the window have no price: what they return is unknown.\n", o.OpenUnpriced)
		}
	case len(o.Open) > 0:
		b.WriteString("What cancelling the new subscriptions inside their refund window returns is unknown: they have no price.\n")
	case len(o.Closed) > 0 || len(o.Unknown) > 0:
		b.WriteString("No new subscription is known to be inside its refund window: nothing is expected back.\n")
	default:
		b.WriteString("Nothing has been bought: nothing to cancel, nothing to refund.\n")
		o.NotBought = 0 // said
	}
	if len(o.Open) > 0 {
		fmt.Fprintf(&b, "Inside the refund window, cancelled: %s.\n", strings.Join(o.Open, ", "))
	}
	if len(o.Closed) > 0 {
		fmt.Fprintf(&b, "Past the refund window, kept and paid for: %s.\n", strings.Join(o.Closed, ", "))
	}
	if len(o.Unknown) > 0 {
		fmt.Fprintf(&b, "No refund window known (Partner Center named none), kept unless Partner Center accepts the cancellation: %s.\n",
			strings.Join(o.Unknown, ", "))
	}
	if o.NotBought > 0 {
		fmt.Fprintf(&b, "Not bought yet, nothing to cancel: %d line(s).\n", o.NotBought)
	}
	b.WriteString("The originals are never cancelled.\n")
	return b.String()
}
