package demo

import (
	"fmt"
	"strings"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// money tells what the plan costs before anyone approves it: per line the price, the overlap and the
// refund deadline; the totals per currency; the timing advice.
func (d *run) money(st csptransfer.TransferStatus) {
	if st.Money == nil {
		return
	}
	d.say("   Money (Partner Center's quote, cart %s):", orNone(st.Money.QuoteCartID))
	for _, l := range st.Lines {
		switch {
		case l.Transfers():
			d.say("     %-20s transfer: nothing bought, 0 days of overlap", l.SourceName())
		case l.Price == nil:
			d.say("     %-20s not priced; overlap %s", l.SourceName(), overlapText(l.Overlap))
		default:
			refund := "—"
			if l.RefundBy != nil {
				refund = l.RefundBy.UTC().Format("2006-01-02")
			}
			d.say("     %-20s %s per seat %s, %s for %s; overlap %s; refundable until %s if bought as planned",
				l.SourceName(), csptransfer.Money{Amount: l.Price.UnitPrice, Currency: l.Price.Currency}, l.Price.BillingCycle,
				csptransfer.Money{Amount: l.Price.TermPrice, Currency: l.Price.Currency}, l.Price.TermDuration, overlapText(l.Overlap), refund)
		}
	}
	for _, m := range st.Money.Totals {
		d.say("     total %s: %s for the new terms, %s of overlap costing %s on the new side",
			m.Currency, csptransfer.FormatAmount(m.Term, m.Currency), csptransfer.FormatDays(m.OverlapDays), csptransfer.FormatAmount(m.OverlapNew, m.Currency))
	}
	for _, a := range st.Money.Advice {
		d.say("     advice: %s", a)
	}
}

func overlapText(o *csptransfer.Overlap) string {
	if o == nil {
		return "unknown"
	}
	s := csptransfer.FormatDays(o.Days)
	if o.NewCost != nil {
		s += " ≈ " + o.NewCost.String()
	}
	return s
}

// spent tells what the transfer bought and the overlap that happened.
func (d *run) spent(rep csptransfer.TransferReport) {
	if rep.Money == nil {
		return
	}
	for _, m := range rep.Money.Totals {
		d.say("  Spent %s: %s for the new terms; %s of overlap costing %s on the new side.",
			m.Currency, csptransfer.FormatAmount(m.Spent, m.Currency), csptransfer.FormatDays(m.OverlapDays), csptransfer.FormatAmount(m.OverlapNew, m.Currency))
	}
}

// overlapAgrees says every bought line's overlap, as the transfer reports it, is the one the sandbox ledger
// counts for its new SKU, and names any that differ.
func overlapAgrees(rep csptransfer.TransferReport, l sandbox.CustomerLedger) (bool, string) {
	var wrong []string
	for _, ln := range rep.Lines {
		if ln.Transfers() || !ln.Progress.Ordered || ln.Progress.Overlap == nil {
			continue
		}
		for _, o := range l.Overlap {
			if o.Method == "buy" && strings.EqualFold(o.SkuID, ln.TargetSkuID) && o.Days != ln.Progress.Overlap.Days {
				wrong = append(wrong, fmt.Sprintf("%s: transfer %d day(s), ledger %d", ln.SourceName(), ln.Progress.Overlap.Days, o.Days))
			}
		}
	}
	return len(wrong) == 0, strings.Join(wrong, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
