package csptransfer

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Money is an amount in one currency. Amounts in different currencies are never added: totals are kept
// per currency.
type Money struct {
	Amount float64 `json:"amount"`
	// Currency is the ISO 4217 code, e.g. EUR.
	Currency string `json:"currency"`
}

// String writes the amount rounded to the currency's minor unit with its code, e.g. "1,234.50 EUR".
func (m Money) String() string { return FormatAmount(m.Amount, m.Currency) + " " + m.Currency }

// Price is what one seat costs for a period: how an operator states an original's price, which the new
// partner cannot read from Partner Center.
type Price struct {
	// Amount per seat and Period, in Currency. Required, at least 0.
	Amount float64 `json:"amount"`
	// Currency is the ISO 4217 code, e.g. EUR. Required.
	Currency string `json:"currency"`
	// Period is P1M (a month, the default) or P1Y (a year).
	Period string `json:"period,omitempty"`
}

// The periods a Price may be given for.
const (
	PeriodMonth = "P1M"
	PeriodYear  = "P1Y"
)

// LinePrice is Partner Center's price of a new line: the pricing of the cart line that quotes or buys it.
type LinePrice struct {
	// Currency is the line's currencyCode.
	Currency string `json:"currency"`
	// UnitPrice is pricing.price: one seat for one billing period, after discounts and proration.
	UnitPrice float64 `json:"unitPrice"`
	// ListPrice is pricing.listPrice, before discounts.
	ListPrice float64 `json:"listPrice,omitempty"`
	// TermPrice is pricing.extendedPrice: every seat of the line for its whole term.
	TermPrice float64 `json:"termPrice"`
	Quantity  int     `json:"quantity"`
	// BillingCycle (monthly, annual, ...) and TermDuration (P1M, P1Y, P3Y) are the cart line's.
	BillingCycle string `json:"billingCycle,omitempty"`
	TermDuration string `json:"termDuration,omitempty"`
	// RefundWindow is how long after purchase a cancellation is refunded (the availability's
	// cancellationPolicies refundOptions expiresAfter, e.g. P7D), when Partner Center says.
	RefundWindow string `json:"refundWindow,omitempty"`
	// QuotedAt is when Partner Center priced the line; CartID is the cart that did.
	QuotedAt time.Time `json:"quotedAt"`
	CartID   string    `json:"cartId,omitempty"`
}

// Overlap is how long a bought line and the original it replaces both run, and what those days cost.
type Overlap struct {
	// From is the purchase (planned, or done) and To the original's end.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Days are the whole days from From to To; 0 when the original ends first.
	Days int `json:"days"`
	// NewCost is what the new subscription costs for those days; nil when the line has no price.
	NewCost *Money `json:"newCost,omitempty"`
	// OriginalCost is what the original costs for those days, when its price was given (originalPrices);
	// nil means unknown: Partner Center does not show another channel's prices.
	OriginalCost *Money `json:"originalCost,omitempty"`
}

// MoneyTotal adds up one currency's figures of a transfer (or of several, for an import).
type MoneyTotal struct {
	Currency string `json:"currency"`
	// Term is the new subscriptions' price for their whole first term, for the lines still to buy and
	// the lines bought.
	Term float64 `json:"term"`
	// Spent is Term for the lines bought so far.
	Spent float64 `json:"spent"`
	// OverlapDays adds up the overlap days of the lines priced in this currency.
	OverlapDays int `json:"overlapDays"`
	// OverlapNew is what the new subscriptions cost while their originals still run.
	OverlapNew float64 `json:"overlapNew"`
	// OverlapOriginal is what the originals cost in those days, for the lines whose price was given;
	// OriginalUnknown counts the lines whose original price is unknown.
	OverlapOriginal float64 `json:"overlapOriginal"`
	OriginalUnknown int     `json:"originalUnknown,omitempty"`
	// Refundable is what cancelling the new subscriptions still inside their refund window would return
	// (prorated), as of the status's updatedAt: a client that needs it for another moment computes it
	// with ExpectedRefund from the lines. Refunded is what abort's cancellations are expected to return.
	Refundable float64 `json:"refundable,omitempty"`
	Refunded   float64 `json:"refunded,omitempty"`
}

// MoneyView is what a transfer costs and what is at stake, per currency, with the timing that costs least.
type MoneyView struct {
	Totals []MoneyTotal `json:"totals,omitempty"`
	// Unpriced counts lines to buy that have no price, and Why says why (e.g. Partner Center refused the
	// quote); their overlap days are known, their cost is not.
	Unpriced int    `json:"unpriced,omitempty"`
	Why      string `json:"why,omitempty"`
	// QuoteCartID is the cart Partner Center priced the plan with; it is checked out when the lines it
	// holds are bought together before QuoteExpiresAt.
	QuoteCartID    string     `json:"quoteCartId,omitempty"`
	QuotedAt       *time.Time `json:"quotedAt,omitempty"`
	QuoteExpiresAt *time.Time `json:"quoteExpiresAt,omitempty"`
	// SafeLeadTime is the shortest lead time (provisioning: beforeExpiry) that leaves room for what the
	// plan's lines need before their originals end: provisioning, re-buys, an operator, license moves.
	SafeLeadTime Duration `json:"safeLeadTime,omitempty"`
	// Advice says, in plain words, what the chosen timing costs against the cheapest safe one.
	Advice []string `json:"advice,omitempty"`
}

// Total returns the view's total for currency, if any.
func (v *MoneyView) Total(currency string) (MoneyTotal, bool) {
	if v == nil {
		return MoneyTotal{}, false
	}
	for _, t := range v.Totals {
		if t.Currency == currency {
			return t, true
		}
	}
	return MoneyTotal{}, false
}

// AddTotals adds totals currency by currency (never across currencies), rounding each to its minor unit,
// sorted by currency.
func AddTotals(sets ...[]MoneyTotal) []MoneyTotal {
	// A slice in order of appearance, not a map: workflow code sums with this, and must not range over a map.
	var out []MoneyTotal
	find := func(currency string) *MoneyTotal {
		for i := range out {
			if out[i].Currency == currency {
				return &out[i]
			}
		}
		out = append(out, MoneyTotal{Currency: currency})
		return &out[len(out)-1]
	}
	for _, set := range sets {
		for _, t := range set {
			s := find(t.Currency)
			s.Term += t.Term
			s.Spent += t.Spent
			s.OverlapDays += t.OverlapDays
			s.OverlapNew += t.OverlapNew
			s.OverlapOriginal += t.OverlapOriginal
			s.OriginalUnknown += t.OriginalUnknown
			s.Refundable += t.Refundable
			s.Refunded += t.Refunded
		}
	}
	if out == nil {
		out = []MoneyTotal{}
	}
	for i := range out {
		s := &out[i]
		c := s.Currency
		s.Term, s.Spent = RoundAmount(s.Term, c), RoundAmount(s.Spent, c)
		s.OverlapNew, s.OverlapOriginal = RoundAmount(s.OverlapNew, c), RoundAmount(s.OverlapOriginal, c)
		s.Refundable, s.Refunded = RoundAmount(s.Refundable, c), RoundAmount(s.Refunded, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

const day = 24 * time.Hour

// OverlapDays is the whole days from from to to: how long a line bought at from and an original ending
// at to both run. 0 when the original ends first.
func OverlapDays(from, to time.Time) int {
	if !to.After(from) {
		return 0
	}
	return int(to.Sub(from) / day)
}

// AddTerm is the end of a term of iso (P1M, P1Y, P3Y, P30D, P1W, ...) starting at start. Months and years
// keep the day of the month, or the month's last day when it has fewer (31 January + P1M is the last day of
// February; 29 February + P1Y is 28 February), the way commerce terms end. ok is false for a duration it
// cannot read or that is not positive.
func AddTerm(start time.Time, iso string) (time.Time, bool) {
	years, months, days, ok := parseTerm(iso)
	if !ok {
		return time.Time{}, false
	}
	y, m, d := start.Date()
	total := int(m) - 1 + months + 12*years
	ty, tm := y+total/12, time.Month(total%12+1)
	if last := daysIn(ty, tm); d > last {
		d = last
	}
	h, mi, s := start.Clock()
	return time.Date(ty, tm, d, h, mi, s, start.Nanosecond(), start.Location()).AddDate(0, 0, days), true
}

// TermDays is the number of days of a term of iso starting at start (365 or 366 for P1Y, 28 to 31 for P1M).
func TermDays(start time.Time, iso string) (int, bool) {
	end, ok := AddTerm(start, iso)
	if !ok {
		return 0, false
	}
	// Rounded to whole days, not hours: where start's location changes to or from summer time, a day of
	// the term has 23 or 25 hours (1 March + P1M in Berlin is 743 hours and still 31 days).
	return max(1, int(end.Sub(start).Round(day)/day)), true
}

// parseTerm reads PnYnMnWnD (no time part: commerce terms are whole days).
func parseTerm(iso string) (years, months, days int, ok bool) {
	s := strings.ToUpper(strings.TrimSpace(iso))
	if len(s) < 3 || s[0] != 'P' {
		return 0, 0, 0, false
	}
	s = s[1:]
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 4 {
			return 0, 0, 0, false
		}
		n, _ := strconv.Atoi(s[:i])
		switch s[i] {
		case 'Y':
			years += n
		case 'M':
			months += n
		case 'W':
			days += 7 * n
		case 'D':
			days += n
		default:
			return 0, 0, 0, false
		}
		s = s[i+1:]
	}
	return years, months, days, years+months+days > 0
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// NewSideCost is what a new line costs for days starting at from: its term price spread evenly over the
// days of its term (a P1M line renews monthly at the same price, so the daily rate holds beyond one term).
// ok is false when the line has no readable term.
func NewSideCost(p LinePrice, from time.Time, days int) (Money, bool) {
	termDays, ok := TermDays(from, p.TermDuration)
	if !ok || p.Currency == "" {
		return Money{}, false
	}
	return Money{Amount: RoundAmount(p.TermPrice*float64(days)/float64(termDays), p.Currency), Currency: p.Currency}, true
}

// OriginalSideCost is what seats of an original at price cost for days starting at from: price per period
// spread over the days of that period starting at from.
func OriginalSideCost(p Price, seats int, from time.Time, days int) Money {
	period := p.Period
	if period == "" {
		period = PeriodMonth
	}
	periodDays, ok := TermDays(from, period)
	if !ok {
		periodDays = 30
	}
	return Money{Amount: RoundAmount(p.Amount*float64(seats)*float64(days)/float64(periodDays), p.Currency), Currency: p.Currency}
}

// billingPeriod is the ISO duration of a billing cycle; the term itself for one that bills once.
func billingPeriod(p LinePrice) string {
	switch strings.ToLower(p.BillingCycle) {
	case "monthly":
		return PeriodMonth
	case "annual":
		return PeriodYear
	case "triennial":
		return "P3Y"
	}
	return p.TermDuration
}

// ExpectedRefund is what cancelling a line bought at orderedAt returns at: the first billing period's
// charge (pricing.price × quantity), less the days begun since purchase, prorated by day; nothing once the
// refund window (until) has closed. Microsoft prorates refunds inside the window; whether by day or by
// hour is UNCONFIRMED, and by day is what this assumes.
func ExpectedRefund(p LinePrice, orderedAt, until, at time.Time) Money {
	if p.Currency == "" || !at.Before(until) {
		return Money{Currency: p.Currency}
	}
	charged := p.UnitPrice * float64(p.Quantity)
	periodDays, ok := TermDays(orderedAt, billingPeriod(p))
	if !ok {
		return Money{Amount: RoundAmount(charged, p.Currency), Currency: p.Currency}
	}
	used := 0
	if at.After(orderedAt) {
		used = int((at.Sub(orderedAt) + day - 1) / day)
	}
	left := max(0, periodDays-used)
	return Money{Amount: RoundAmount(charged*float64(left)/float64(periodDays), p.Currency), Currency: p.Currency}
}

// RefundDeadline is the end of a line's refund window when bought at orderedAt: orderedAt plus its
// RefundWindow. ok is false when Partner Center named none.
func RefundDeadline(p LinePrice, orderedAt time.Time) (time.Time, bool) {
	if p.RefundWindow == "" {
		return time.Time{}, false
	}
	return AddTerm(orderedAt, p.RefundWindow)
}

// minorUnits is the number of decimals of the currencies that do not have two (ISO 4217).
var minorUnits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
	"UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// MinorUnits is the number of decimals currency is written with: 2 unless ISO 4217 says otherwise.
func MinorUnits(currency string) int {
	if n, ok := minorUnits[strings.ToUpper(currency)]; ok {
		return n
	}
	return 2
}

// RoundAmount rounds amount to currency's minor unit, half away from zero.
func RoundAmount(amount float64, currency string) float64 {
	f := math.Pow10(MinorUnits(currency))
	x := amount * f
	// A float64 holds 1.005 as 1.00499999999999989…, and 1.35 × 23 / 30 (1.035) comes out as 103.49999999999999
	// cents: read to the 15 significant digits a float64 keeps faithfully, the amount rounds as the decimal
	// it stands for, the way a spreadsheet does. From 1e12 minor units on too few decimals would be left.
	if math.Abs(x) < 1e12 {
		x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 15, 64), 64)
	}
	return math.Round(x) / f
}

// FormatAmount writes amount with currency's decimals and thousands separated by commas: 1,234.50.
func FormatAmount(amount float64, currency string) string {
	s := strconv.FormatFloat(math.Abs(RoundAmount(amount, currency)), 'f', MinorUnits(currency), 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if amount < 0 && RoundAmount(amount, currency) != 0 {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// FormatDays writes a number of days, with months beside it from two months up: "45 days", "334 days
// (≈ 11 months)".
func FormatDays(days int) string {
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	if days < 60 {
		return fmt.Sprintf("%d %s", days, unit)
	}
	return fmt.Sprintf("%d %s (≈ %d months)", days, unit, int(math.Round(float64(days)/30.44)))
}

// IsCurrencyCode says s is three upper-case ASCII letters, the shape of an ISO 4217 code.
func IsCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// LineTotals is one plan line's share of the money totals as of now, in the currencies it involves: for a
// line to buy its quoted term price and planned overlap; for a line bought what it was bought at, the
// overlap as bought, and what cancelling it returns (Refundable while its window is open, Refunded once
// cancelled). A transfer line and a line without a target count nothing. priced is false for a line to
// buy that has no price.
func LineTotals(l Line, now time.Time) (totals []MoneyTotal, priced bool) {
	p := l.Progress
	bought := l.Bought()
	if l.Transfers() || (l.Unresolved && !bought) {
		return nil, true
	}
	add := func(t MoneyTotal) { totals = append(totals, t) }
	price, o := l.Price, l.Overlap
	if bought {
		price, o = p.Price, p.Overlap
	}
	if price != nil {
		t := MoneyTotal{Currency: price.Currency, Term: price.TermPrice}
		if bought {
			t.Spent = price.TermPrice
			switch {
			case p.Refund != nil:
				add(MoneyTotal{Currency: p.Refund.Currency, Refunded: p.Refund.Amount})
			case p.OrderedAt != nil && p.RefundableUntil != nil:
				t.Refundable = ExpectedRefund(*price, *p.OrderedAt, *p.RefundableUntil, now).Amount
			}
		}
		add(t)
	}
	if o != nil {
		if o.NewCost != nil {
			add(MoneyTotal{Currency: o.NewCost.Currency, OverlapDays: o.Days, OverlapNew: o.NewCost.Amount})
		}
		switch {
		case o.OriginalCost != nil:
			add(MoneyTotal{Currency: o.OriginalCost.Currency, OverlapOriginal: o.OriginalCost.Amount})
		case price != nil && o.Days > 0:
			add(MoneyTotal{Currency: price.Currency, OriginalUnknown: 1})
		}
	}
	return totals, price != nil || bought
}
