package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// Quote is the cart Partner Center priced the plan with. A cart never checked out costs nothing; this one
// is checked out when the lines it holds are bought together while it is still valid.
type Quote struct {
	CartID    string    `json:"cartId"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Lines are the plan lines the cart holds and Items their catalog item and seats, to tell whether the
	// cart still buys what is due.
	Lines  []int                   `json:"lines"`
	Items  []string                `json:"items"`
	Prices []activities.PricedLine `json:"prices,omitempty"`
	// Used says a purchase checked the cart out (or tried to).
	Used bool `json:"used,omitempty"`
}

// quoteMargin keeps a quote cart from being checked out in its last hour, so it cannot expire between the
// decision and the checkout.
const quoteMargin = time.Hour

// The shortest lead time before an original ends that leaves room for what buying a line needs; see
// safeLeadTime.
const (
	provisioningAllowance = 24 * time.Hour     // new-commerce subscriptions are active within minutes; allow a day
	operatorAllowance     = 2 * 24 * time.Hour // re-buys (5 × 15 minutes), then an operator over a weekend
	licenseMoveAllowance  = 4 * 24 * time.Hour // users to move to another SKU, data to back up after a data-loss warning
)

// safeLeadTime is the shortest lead time that still leaves, before the original ends, a day for
// provisioning, two for re-buys and an operator to fix a rejected line over a weekend, and, for a line that
// changes SKU, four more to move its users and let an operator accept a data-loss warning after a backup.
func safeLeadTime(l csptransfer.PlanLine) time.Duration {
	d := provisioningAllowance + operatorAllowance
	if l.ReassignmentNeeded {
		d += licenseMoveAllowance
	}
	return d
}

// quote prices the lines still to buy with one cart at Partner Center (lineItems[].pricing) and keeps it.
// Pricing is advice, not a step the transfer depends on: when Partner Center cannot price (no access to
// pricing, an offer refused, an outage), the plan says why and goes on without prices.
func (t *transfer) quote(ctx workflow.Context) error {
	t.state.Quote, t.state.QuoteWhy = nil, ""
	var lines []activities.CartLine
	for i, l := range t.state.Status.Lines {
		if t.toBuy(l) {
			lines = append(lines, activities.CartLine{Line: i, CatalogItemID: l.TargetCatalogItemID, Quantity: l.Quantity})
		}
	}
	if len(lines) == 0 {
		return nil
	}
	actx := withRetries(ctx, time.Minute, "Price the plan with a quote cart",
		temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 4})
	var res activities.CreateCartResult
	err := workflow.ExecuteActivity(actx, a.CreateCart, activities.CreateCartInput{
		PartnerTenantID:  t.state.Status.PartnerTenantID,
		CustomerTenantID: t.req.CustomerTenantID,
		Country:          t.state.Country,
		Lines:            lines,
		RequestID:        t.requestID(ctx, fmt.Sprintf("quote/v%d", t.state.Status.PlanVersion)),
	}).Get(ctx, &res)
	if err != nil {
		if temporal.IsCanceledError(err) {
			return err
		}
		t.state.QuoteWhy = "Partner Center did not price the plan: " + reason(err)
		t.note(ctx, "plan not priced: "+csptransfer.Truncate(reason(err), 200))
		return nil
	}
	q := &Quote{CartID: res.CartID, CreatedAt: res.CreatedAt, ExpiresAt: res.ExpiresAt, Prices: res.Prices}
	if q.CreatedAt.IsZero() {
		q.CreatedAt = workflow.Now(ctx).UTC()
	}
	for _, l := range lines {
		q.Lines = append(q.Lines, l.Line)
		q.Items = append(q.Items, quoteItem(l.CatalogItemID, l.Quantity))
	}
	for _, p := range res.Prices {
		if p.Line >= 0 && p.Line < len(t.state.Status.Lines) {
			price := p.Price
			t.state.Status.Lines[p.Line].Price = &price
		}
	}
	t.state.Quote = q
	return nil
}

func quoteItem(catalogItemID string, quantity int) string {
	return strings.ToLower(catalogItemID) + "×" + fmt.Sprint(quantity)
}

// toBuy says a line will be bought and is not yet.
func (t *transfer) toBuy(l csptransfer.Line) bool {
	return !l.Transfers() && !l.Unresolved && !l.Progress.Ordered && l.TargetCatalogItemID != ""
}

// usableQuote is the quote cart when it buys exactly the due lines and has time left.
func (t *transfer) usableQuote(due []int, now time.Time) *Quote {
	q := t.state.Quote
	if q == nil || q.Used || q.CartID == "" || len(q.Lines) != len(due) || !now.Add(quoteMargin).Before(q.ExpiresAt) {
		return nil
	}
	for k, i := range due {
		l := t.state.Status.Lines[i]
		if q.Lines[k] != i || q.Items[k] != quoteItem(l.TargetCatalogItemID, l.Quantity) {
			return nil
		}
	}
	return q
}

// priceOf is the price a purchase's cart gave line i.
func priceOf(prices []activities.PricedLine, i int) *csptransfer.LinePrice {
	for _, p := range prices {
		if p.Line == i {
			price := p.Price
			return &price
		}
	}
	return nil
}

// originalPriceOf is what an original of the line costs per seat: the price given with one of its
// originals, else the request's originalPrices for its SKU (skuId before skuPartNumber, any letter case).
func originalPriceOf(l csptransfer.PlanLine, originals []csptransfer.OriginalSubscription, prices map[string]csptransfer.Price) *csptransfer.Price {
	for _, o := range originals {
		if o.OriginalPrice == nil || !o.ExpiresAt.Equal(l.OriginalExpiresAt) {
			continue
		}
		if (o.SkuID != "" && strings.EqualFold(o.SkuID, l.SourceSkuID)) ||
			(o.SkuPartNumber != "" && strings.EqualFold(o.SkuPartNumber, l.SourceSkuPartNumber)) {
			p := *o.OriginalPrice
			return &p
		}
	}
	for _, sku := range []string{l.SourceSkuID, l.SourceSkuPartNumber} {
		if sku == "" {
			continue
		}
		for _, k := range workflow.DeterministicKeys(prices) {
			if strings.EqualFold(strings.TrimSpace(k), sku) {
				p := prices[k]
				return &p
			}
		}
	}
	return nil
}

// overlapOf is how long a line bought at from and its original both run, and what those days cost.
func overlapOf(l csptransfer.PlanLine, price *csptransfer.LinePrice, from time.Time) *csptransfer.Overlap {
	to := l.OriginalExpiresAt
	days := csptransfer.OverlapDays(from, to)
	o := &csptransfer.Overlap{From: from, To: to, Days: days}
	if price != nil {
		if c, ok := csptransfer.NewSideCost(*price, from, days); ok {
			o.NewCost = &c
		}
	}
	if l.OriginalPrice != nil {
		c := csptransfer.OriginalSideCost(*l.OriginalPrice, l.Quantity, from, days)
		o.OriginalCost = &c
	}
	return o
}

// plannedPurchase is when a line still to buy will be bought: its set time, or what provisioning says.
func (t *transfer) plannedPurchase(i int, now time.Time) time.Time {
	l := t.state.Status.Lines[i]
	if l.Progress.ProvisionAt != nil {
		if l.Progress.ProvisionAt.Before(now) {
			return now
		}
		return *l.Progress.ProvisionAt
	}
	return ProvisionAt(l.PlanLine, t.req.Provisioning.Mode, t.req.Provisioning.LeadTime, now)
}

// priceLines fills every line's money facts as of now and sums them into Status.Money: the planned
// overlap and refund deadline of the lines to buy, the overlap as bought of the others.
func (t *transfer) priceLines(now time.Time) {
	lines := t.state.Status.Lines
	for i := range lines {
		l := &lines[i]
		l.OriginalPrice = originalPriceOf(l.PlanLine, t.state.Originals, t.req.OriginalPrices)
		switch {
		case l.Transfers():
			l.Overlap, l.RefundBy = &csptransfer.Overlap{}, nil
		case l.Progress.Ordered:
			if l.Progress.OrderedAt != nil {
				l.Progress.Overlap = overlapOf(l.PlanLine, l.Progress.Price, *l.Progress.OrderedAt)
			}
		case l.Unresolved:
			l.Overlap, l.RefundBy = nil, nil
		default:
			at := t.plannedPurchase(i, now)
			l.Overlap = overlapOf(l.PlanLine, l.Price, at)
			l.RefundBy = nil
			if l.Price != nil {
				if by, ok := csptransfer.RefundDeadline(*l.Price, at); ok {
					l.RefundBy = &by
				}
			}
		}
	}
	t.state.Status.Money = t.moneyView(now)
}

// moneyView sums the lines' money per currency and says what the timing costs.
func (t *transfer) moneyView(now time.Time) *csptransfer.MoneyView {
	v := &csptransfer.MoneyView{}
	var sets [][]csptransfer.MoneyTotal
	for _, l := range t.state.Status.Lines {
		totals, priced := csptransfer.LineTotals(l, now)
		if !priced {
			v.Unpriced++
		}
		sets = append(sets, totals)
	}
	v.Totals = csptransfer.AddTotals(sets...)
	if v.Unpriced > 0 {
		v.Why = t.state.QuoteWhy
		if v.Why == "" {
			v.Why = "Partner Center gave no price for these lines"
		}
	}
	if q := t.state.Quote; q != nil {
		v.QuoteCartID = q.CartID
		created, expires := q.CreatedAt, q.ExpiresAt
		v.QuotedAt, v.QuoteExpiresAt = &created, &expires
	}
	safe, advice := timingAdvice(t.state.Status.Lines, t.req.Provisioning, now)
	v.SafeLeadTime, v.Advice = csptransfer.Duration(safe), advice
	return v
}

// timingAdvice compares what the chosen provisioning costs in overlap with buying each line at the safe
// lead time before its original ends (safeLeadTime: the cheapest timing that leaves room for provisioning,
// re-buys, an operator and license moves), and says so in plain sentences. It returns the plan's safe lead
// time: the longest its lines need.
func timingAdvice(lines []csptransfer.Line, prov csptransfer.Provisioning, now time.Time) (time.Duration, []string) {
	var safe time.Duration
	type figures struct{ days, safeDays, lines int }
	chosen := map[string]*figures{}
	cost := map[string][2]float64{}
	var short []string
	reassign := false
	for _, l := range lines {
		if l.Transfers() || l.Unresolved || l.Progress.Ordered || l.OriginalExpiresAt.IsZero() {
			continue
		}
		lead := safeLeadTime(l.PlanLine)
		safe = max(safe, lead)
		reassign = reassign || l.ReassignmentNeeded
		at := ProvisionAt(l.PlanLine, prov.Mode, prov.LeadTime, now)
		safeAt := ProvisionAt(l.PlanLine, csptransfer.ProvisionBeforeExpiry, csptransfer.Duration(lead), now)
		days, safeDays := csptransfer.OverlapDays(at, l.OriginalExpiresAt), csptransfer.OverlapDays(safeAt, l.OriginalExpiresAt)
		if l.OriginalExpiresAt.Sub(now) < lead {
			short = append(short, fmt.Sprintf("%s ends on %s, in less than the %s a purchase may need: it is bought at once",
				l.SourceName(), l.OriginalExpiresAt.UTC().Format("2006-01-02"), csptransfer.Duration(lead)))
		}
		cur := ""
		if l.Price != nil {
			cur = l.Price.Currency
			c := cost[cur]
			if n, ok := csptransfer.NewSideCost(*l.Price, at, days); ok {
				c[0] += n.Amount
			}
			if n, ok := csptransfer.NewSideCost(*l.Price, safeAt, safeDays); ok {
				c[1] += n.Amount
			}
			cost[cur] = c
		}
		f := chosen[cur]
		if f == nil {
			f = &figures{}
			chosen[cur] = f
		}
		f.days += days
		f.safeDays += safeDays
		f.lines++
	}
	if safe == 0 {
		return 0, nil
	}
	why := "1d for provisioning and 2d for re-buys and an operator"
	if reassign {
		why += ", and 4d to move users to the new SKU and back up data after a data-loss warning"
	}
	safeText := csptransfer.Duration(safe).String()
	var advice []string
	currencies := workflow.DeterministicKeys(chosen)
	lead := prov.LeadTime
	if lead <= 0 {
		lead = csptransfer.DefaultLeadTime
	}
	for _, cur := range currencies {
		f, c := chosen[cur], cost[cur]
		amount := func(v float64) string {
			if cur == "" {
				return "cost unknown (not priced)"
			}
			return "≈ " + csptransfer.Money{Amount: v, Currency: cur}.String()
		}
		switch {
		case prov.Mode != csptransfer.ProvisionBeforeExpiry && f.days > f.safeDays:
			advice = append(advice, fmt.Sprintf("buying now costs %s of overlap %s; provisioning beforeExpiry with leadTime %s costs %s %s",
				csptransfer.FormatDays(f.days), amount(c[0]), safeText, csptransfer.FormatDays(f.safeDays), amount(c[1])))
		case prov.Mode == csptransfer.ProvisionBeforeExpiry && lead.D() < safe:
			advice = append(advice, fmt.Sprintf("leadTime %s leaves less than the %s a purchase may need before its original ends; it costs %s of overlap %s, leadTime %s costs %s %s",
				lead, safeText, csptransfer.FormatDays(f.days), amount(c[0]), safeText, csptransfer.FormatDays(f.safeDays), amount(c[1])))
		case prov.Mode == csptransfer.ProvisionBeforeExpiry && f.days > f.safeDays:
			advice = append(advice, fmt.Sprintf("leadTime %s costs %s of overlap %s; leadTime %s, the shortest safe one, costs %s %s",
				lead, csptransfer.FormatDays(f.days), amount(c[0]), safeText, csptransfer.FormatDays(f.safeDays), amount(c[1])))
		default:
			advice = append(advice, fmt.Sprintf("as planned the overlap is %s %s: the least that leaves time for what the lines need",
				csptransfer.FormatDays(f.days), amount(c[0])))
		}
	}
	advice = append(advice, fmt.Sprintf("the shortest safe lead time is %s: %s", safeText, why))
	return safe, append(advice, short...)
}

// recordPurchase keeps what a line was bought at and when, and counts it in the worker's metrics.
func (t *transfer) recordPurchase(ctx workflow.Context, i int, prices []activities.PricedLine, now time.Time) {
	l := &t.state.Status.Lines[i]
	at := now
	l.Progress.OrderedAt = &at
	l.Progress.Price = priceOf(prices, i)
	if l.Progress.Price == nil {
		l.Progress.Price = l.Price
	}
	o := overlapOf(l.PlanLine, l.Progress.Price, at)
	l.Progress.Overlap = o
	m := workflow.GetMetricsHandler(ctx)
	m.Counter("csp_transfer_overlap_days").Inc(int64(o.Days))
	if p := l.Progress.Price; p != nil {
		tagged := m.WithTags(map[string]string{"currency": p.Currency})
		tagged.Counter("csp_transfer_committed_cents").Inc(cents(p.TermPrice))
		if o.NewCost != nil {
			tagged.Counter("csp_transfer_overlap_cost_cents").Inc(cents(o.NewCost.Amount))
		}
	}
}

// cents is an amount in hundredths of its currency unit, for integer counters.
func cents(v float64) int64 { return int64(v*100 + 0.5) }

// expectRefunds records, for each cancelled new subscription, what its cancellation is expected to
// return, and says the totals per currency ("" when none is priced).
func (t *transfer) expectRefunds(now time.Time, cancelled []string) string {
	var sets [][]csptransfer.MoneyTotal
	for _, id := range cancelled {
		for i := range t.state.Status.Lines {
			p := &t.state.Status.Lines[i].Progress
			if !strings.EqualFold(p.SubscriptionID, id) || p.Price == nil || p.OrderedAt == nil {
				continue
			}
			until := now.Add(time.Nanosecond) // Partner Center accepted the cancellation: the window was open
			if p.RefundableUntil != nil && p.RefundableUntil.After(now) {
				until = *p.RefundableUntil
			}
			back := csptransfer.ExpectedRefund(*p.Price, *p.OrderedAt, until, now)
			p.Refund = &back
			sets = append(sets, []csptransfer.MoneyTotal{{Currency: back.Currency, Refunded: back.Amount}})
		}
	}
	var parts []string
	for _, m := range csptransfer.AddTotals(sets...) {
		parts = append(parts, "≈ "+csptransfer.Money{Amount: m.Refunded, Currency: m.Currency}.String())
	}
	t.priceLines(now)
	return strings.Join(parts, ", ")
}

// moneyDetails writes the money part of the UI's current details: per line the price, the overlap and its
// cost, the refund deadline; the totals per currency; the timing advice.
func (t *transfer) moneyDetails(b *strings.Builder, cell func(string) string) {
	s := t.state.Status
	v := s.Money
	if v == nil || len(s.Lines) == 0 {
		return
	}
	now := s.UpdatedAt
	b.WriteString("**Money**\n\n| source | price | term | overlap | overlap cost (new / original) | refundable until |\n|---|---|---|---|---|---|\n")
	for _, l := range s.Lines {
		price, o, refund := l.Price, l.Overlap, "—"
		if l.Progress.Ordered {
			price, o = l.Progress.Price, l.Progress.Overlap
		}
		switch {
		case l.Progress.Refund != nil:
			refund = "cancelled, ≈ " + l.Progress.Refund.String() + " back"
		case l.Progress.RefundableUntil != nil && l.Progress.RefundableUntil.After(now):
			refund = l.Progress.RefundableUntil.UTC().Format("2006-01-02 15:04") + " UTC"
		case l.Progress.RefundableUntil != nil:
			refund = "closed"
		case !l.Progress.Ordered && l.RefundBy != nil:
			refund = "≈ " + l.RefundBy.UTC().Format("2006-01-02") + " if bought as planned"
		}
		priceText, term := "not priced", "—"
		switch {
		case l.Transfers():
			priceText, term = "transfer: nothing bought", "the original's"
		case price != nil:
			priceText = fmt.Sprintf("%s per seat %s", csptransfer.Money{Amount: price.UnitPrice, Currency: price.Currency}, orDash(price.BillingCycle))
			term = fmt.Sprintf("%s for %s", csptransfer.Money{Amount: price.TermPrice, Currency: price.Currency}, orDash(price.TermDuration))
		}
		overlap, costs := "—", "—"
		if o != nil {
			overlap = csptransfer.FormatDays(o.Days)
			if l.Transfers() {
				overlap = "0 days"
			}
			newSide, origSide := "not priced", "unknown"
			if o.NewCost != nil {
				newSide = o.NewCost.String()
			}
			if o.OriginalCost != nil {
				origSide = o.OriginalCost.String()
			}
			if !l.Transfers() {
				costs = newSide + " / " + origSide
			}
		}
		b.WriteString(fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", cell(l.SourceName()), cell(priceText), cell(term), overlap, cell(costs), refund))
	}
	b.WriteString("\n")
	var items []string
	for _, m := range v.Totals {
		c := m.Currency
		line := fmt.Sprintf("- **%s:** %s for the new terms (%s bought so far); overlap %s: %s on the new side",
			c, csptransfer.FormatAmount(m.Term, c), csptransfer.FormatAmount(m.Spent, c), csptransfer.FormatDays(m.OverlapDays),
			csptransfer.FormatAmount(m.OverlapNew, c))
		if m.OverlapOriginal > 0 || m.OriginalUnknown == 0 {
			line += ", " + csptransfer.FormatAmount(m.OverlapOriginal, c) + " on the originals' side"
		}
		if m.OriginalUnknown > 0 {
			line += fmt.Sprintf(" (original price unknown for %d line(s))", m.OriginalUnknown)
		}
		if m.Refundable > 0 {
			line += "; refundable now ≈ " + csptransfer.FormatAmount(m.Refundable, c)
		}
		if m.Refunded > 0 {
			line += "; expected back ≈ " + csptransfer.FormatAmount(m.Refunded, c)
		}
		items = append(items, line)
	}
	if v.Unpriced > 0 {
		items = append(items, fmt.Sprintf("- %d line(s) not priced: %s", v.Unpriced, csptransfer.Truncate(v.Why, 200)))
	}
	for _, a := range v.Advice {
		items = append(items, "- "+a)
	}
	if len(items) > 0 {
		b.WriteString(strings.Join(items, "\n") + "\n\n")
	}
}
