package sandbox

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Ledger is the sandbox's report on the invariants a transfer must keep. OK is false when
// Violations is not empty.
type Ledger struct {
	GeneratedAt time.Time        `json:"generatedAt"`
	OK          bool             `json:"ok"`
	Violations  []string         `json:"violations"`
	Partners    []PartnerLedger  `json:"partners"`
	Customers   []CustomerLedger `json:"customers"`
}

// PartnerLedger counts what a partner tenant did that is not tied to one customer.
type PartnerLedger struct {
	TenantID string `json:"tenantId"`
	// InvitationLinksFetched counts GET /v1/customers/relationshiprequests calls; the
	// link is per partner, so invitations cannot be counted per customer.
	InvitationLinksFetched int `json:"invitationLinksFetched"`
}

// CustomerLedger is the per-customer part of the ledger.
type CustomerLedger struct {
	TenantID string `json:"tenantId"`
	Domain   string `json:"domain"`
	Country  string `json:"country"`
	Scenario string `json:"scenario,omitempty"`
	// Acceptances counts accepted reseller invitations per partner tenant.
	Acceptances map[string]int `json:"acceptances"`
	Orders      int            `json:"orders"`
	Purchases   []SkuLedger    `json:"purchases"`
	// DuplicatePurchases counts purchased lines that left more seats of a SKU bought (not
	// cancelled) than the originals need, counting an operator's offer mapping; see
	// SkuLedger.SeatsNeeded.
	DuplicatePurchases int `json:"duplicatePurchases"`
	// OriginalsCancelled must stay 0: originals are left to expire.
	OriginalsCancelled int `json:"originalsCancelled"`
	// OriginalCancelAttempts counts API attempts to cancel an original (always refused).
	OriginalCancelAttempts int `json:"originalCancelAttempts"`
	OriginalsRenewed       int `json:"originalsRenewed"`
	CSPCancellations       int `json:"cspCancellations"`
	// LicenseShortfalls lists moments when a SKU had more assigned users than serving seats.
	LicenseShortfalls []Shortfall `json:"licenseShortfalls"`
	// UsersWithoutLicense lists users whose last license was removed.
	UsersWithoutLicense []UnlicensedUser `json:"usersWithoutLicense"`
	// UsersLeftWithoutLicense sums the users left unserved: per shortfall, consumed minus
	// serving units, plus every user whose last license was removed.
	UsersLeftWithoutLicense int `json:"usersLeftWithoutLicense"`
	WebhooksSent            int `json:"webhooksSent"`
	// GDAPRelationships counts the GDAP relationships partners created with the customer: a transfer that
	// requested admin access once leaves exactly one.
	GDAPRelationships int `json:"gdapRelationships"`
	WebhooksDropped   int `json:"webhooksDropped"`
	// Transfers counts the partner-to-partner transfer requests created for the customer.
	Transfers int `json:"transfers"`
	// LinesTransferred counts the subscriptions completed transfers moved to a partner. They were not
	// bought: they are in neither Purchases nor SeatsBought, and the originals they came from need no seats.
	LinesTransferred int `json:"linesTransferred"`
	// BoughtWhileTransferred counts purchased lines of a SKU whose original a completed transfer moved to
	// the same partner: the customer pays twice. It must stay 0 (a violation otherwise).
	BoughtWhileTransferred int `json:"boughtWhileTransferred"`
	// Overlap lists, per line that replaced an original, how long the customer pays twice: one entry per
	// transferred subscription (method "transfer", 0 days) and per purchased line (method "buy").
	Overlap []OverlapLedger `json:"overlap"`
}

// OverlapLedger is one line that took over from an original, with the whole days both serve.
type OverlapLedger struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	// Method is "transfer" (the original itself moved to the partner) or "buy" (a new subscription).
	Method string `json:"method"`
	Seats  int    `json:"seats"`
	// Days is, for a bought line, the whole days (rounded down) from the purchase to the end of the paid
	// term of the original it replaces (the one it is attributed to, see SkuLedger.SeatsNeeded; otherwise
	// the latest not transferred original of its SKU or whose successor it is): the original's Graph
	// nextLifecycleDateTime while it is Enabled, moved on by its renewals. It is not capped by the new
	// subscription's own term: new subscriptions renew automatically, so a line bought more than a term
	// before its original ends keeps costing until then. 0 when the line was cancelled (refunded) or no
	// original is left; always 0 for a transfer.
	Days int `json:"days"`
}

// SkuLedger compares seats bought with the seats the originals need for one Graph SKU.
type SkuLedger struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	// SeatsNeeded is the total licenses of the customer's originals (not transferred) with this SKU
	// plus those of discontinued originals whose first successor offer provisions this SKU, corrected
	// for offers an operator mapped (set-offer-mapping), which the sandbox cannot see: a purchased line
	// (not cancelled) that leaves more seats of this SKU bought than needed is attributed, in purchase
	// order, to originals of another SKU that nothing covers yet (not transferred, not attributed
	// already; their needed SKU's bought seats fall short of its needed seats by at least their
	// licenses) whose licenses add up to exactly the line's seats: one original (the first in the
	// customer's order), else those of one SKU ending on the same date, else all of one SKU. Their
	// seats then count here (SeatsMapped) and no longer for their own SKU or successor, so the line
	// replaces them instead of being a duplicate purchase, and buying their own SKU for them as well is
	// one. Seats only move between SKUs: the total stays the originals' licenses.
	SeatsNeeded int `json:"seatsNeeded"`
	// SeatsMapped is the part of SeatsNeeded that originals of other SKUs handed over to lines of this
	// SKU attributed to them (see SeatsNeeded).
	SeatsMapped int `json:"seatsMapped"`
	// SeatsBought is the quantity of CSP subscriptions with this SKU that are not cancelled.
	SeatsBought int `json:"seatsBought"`
	// SeatsPurchased counts every seat ever bought, cancelled ones included.
	SeatsPurchased int `json:"seatsPurchased"`
	Lines          int `json:"lines"`
	ExcessSeats    int `json:"excessSeats"`
}

// Shortfall is a moment when users held a SKU without enough serving seats behind it.
type Shortfall struct {
	At            time.Time `json:"at"`
	SkuID         string    `json:"skuId"`
	SkuPartNumber string    `json:"skuPartNumber"`
	ConsumedUnits int       `json:"consumedUnits"`
	ServingUnits  int       `json:"servingUnits"`
}

// UnlicensedUser is a user (by object id) left with no license at all.
type UnlicensedUser struct {
	At     time.Time `json:"at"`
	UserID string    `json:"userId"`
	SkuID  string    `json:"skuId"`
	Reason string    `json:"reason"`
}

// neededSkuLocked is the Graph SKU whose seats replace original o: its own, or for a discontinued offer
// the first successor's.
func (s *Sandbox) neededSkuLocked(o *companySub) string {
	target := strings.ToLower(o.SkuID)
	if cs, ok := s.cat.byGraphSku(o.SkuID); ok && cs.Discontinued && len(cs.UpgradeTargets) > 0 {
		p, k, _ := strings.Cut(cs.UpgradeTargets[0], ":")
		if succ, ok := s.cat.bySkuKey(p, k); ok {
			target = strings.ToLower(succ.GraphSkuID)
		}
	}
	return target
}

// seatPlan is how the ledger matches a customer's purchases to its originals (SkuLedger.SeatsNeeded).
type seatPlan struct {
	// needed and bought are seats per Graph SKU (lower case); needed includes the mapped seats.
	needed, bought map[string]int
	// mapped is the part of needed that originals of another SKU handed over to lines mapped to them.
	mapped map[string]int
	// replaces maps the subscription id of a mapped line to the originals it replaces.
	replaces map[string][]*companySub
	// duplicate holds the subscription ids of the lines after which bought exceeded needed for their SKU.
	duplicate map[string]bool
}

// seatPlanLocked applies the SeatsNeeded rule. The sandbox cannot see which offer an operator chose for an
// original (set-offer-mapping), so it infers it. Going through the purchased lines that are not cancelled,
// in the order they were bought, a line that leaves more seats of its SKU bought than needed is attributed
// to originals that nothing covers yet: not transferred, not attributed already, of one Graph SKU other than
// the line's and whose needed SKU (its own or successor) is not the line's, whose licenses add up to exactly
// the line's seats, and whose needed SKU's bought seats fall short of its needed seats by at least that
// much. Candidates, first match wins: each original alone (in the customer's order), then the originals of
// one SKU that end on the same date (the workflow pools those into one line), then all originals of one
// SKU. Their seats then count as needed for the line's SKU instead of their own, so the line replaces them
// rather than duplicating anything, and buying their own SKU (or successor) for them as well is the
// duplicate. Seats needed only move between SKUs: their total stays the originals' licenses.
func (s *Sandbox) seatPlanLocked(c *customer) seatPlan {
	p := seatPlan{needed: map[string]int{}, bought: map[string]int{}, mapped: map[string]int{},
		replaces: map[string][]*companySub{}, duplicate: map[string]bool{}}
	var live []*companySub
	for _, o := range c.Originals {
		if o.TransferredTo == "" { // a transferred original moved to a partner: no seats need buying for it
			live = append(live, o)
			p.needed[s.neededSkuLocked(o)] += o.TotalLicenses
		}
	}
	taken := map[*companySub]bool{}
	for _, pr := range c.Ledger.PurchaseLines {
		sub := findSub(c, pr.SubscriptionID)
		if sub == nil || sub.Status == "deleted" || sub.TransferID != "" {
			continue
		}
		k := strings.ToLower(sub.GraphSkuID)
		p.bought[k] += sub.Quantity
		if p.bought[k] <= p.needed[k] {
			continue
		}
		for _, group := range uncoveredGroups(live, taken) {
			own := s.neededSkuLocked(group[0])
			seats := 0
			for _, o := range group {
				seats += o.TotalLicenses
			}
			if strings.EqualFold(group[0].SkuID, k) || own == k || seats != sub.Quantity || p.needed[own]-p.bought[own] < seats {
				continue
			}
			for _, o := range group {
				taken[o] = true
			}
			p.replaces[sub.ID] = group
			p.needed[own] -= seats
			p.needed[k] += seats
			p.mapped[k] += seats
			break
		}
		if p.bought[k] > p.needed[k] {
			p.duplicate[sub.ID] = true
		}
	}
	return p
}

// uncoveredGroups lists the candidate groups of seatPlanLocked among the originals not taken: each one
// alone, then those of one SKU ending on the same date, then all of one SKU (groups of one left out after
// the first pass).
func uncoveredGroups(live []*companySub, taken map[*companySub]bool) [][]*companySub {
	var singles, byEnd, bySku [][]*companySub
	endIdx, skuIdx := map[string]int{}, map[string]int{}
	for _, o := range live {
		if taken[o] {
			continue
		}
		singles = append(singles, []*companySub{o})
		sku := strings.ToLower(o.SkuID)
		endKey := sku + " " + termEnd(o).Format(time.RFC3339Nano)
		if i, ok := endIdx[endKey]; ok {
			byEnd[i] = append(byEnd[i], o)
		} else {
			endIdx[endKey] = len(byEnd)
			byEnd = append(byEnd, []*companySub{o})
		}
		if i, ok := skuIdx[sku]; ok {
			bySku[i] = append(bySku[i], o)
		} else {
			skuIdx[sku] = len(bySku)
			bySku = append(bySku, []*companySub{o})
		}
	}
	out := singles
	for _, g := range append(byEnd, bySku...) {
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	return out
}

func (s *Sandbox) seatsBoughtLocked(c *customer, skuID string) int {
	n := 0
	for _, sub := range c.CSPSubs {
		if strings.EqualFold(sub.GraphSkuID, skuID) && sub.Status != "deleted" && sub.TransferID == "" {
			n += sub.Quantity
		}
	}
	return n
}

func (s *Sandbox) recordPurchaseLocked(c *customer, p *partner, orderID string, sub *cspSub, now time.Time) {
	c.Ledger.PurchaseLines = append(c.Ledger.PurchaseLines, purchaseRecord{At: now, PartnerID: p.TenantID, OrderID: orderID,
		SubscriptionID: sub.ID, CatalogItemID: sub.OfferID, GraphSkuID: sub.GraphSkuID, Quantity: sub.Quantity})
	if s.seatPlanLocked(c).duplicate[sub.ID] {
		c.Ledger.DuplicatePurchases++
		c.Ledger.PurchaseLines[len(c.Ledger.PurchaseLines)-1].Duplicate = true
	}
}

func (s *Sandbox) ledgerLocked() Ledger {
	l := Ledger{GeneratedAt: s.st.Evaluated, Violations: []string{}, Partners: []PartnerLedger{}, Customers: []CustomerLedger{}}
	for _, id := range sortedKeys(s.st.Partners) {
		p := s.st.Partners[id]
		l.Partners = append(l.Partners, PartnerLedger{TenantID: p.TenantID, InvitationLinksFetched: p.LinkFetches})
	}
	for _, id := range sortedKeys(s.st.Customers) {
		c := s.st.Customers[id]
		cl := CustomerLedger{
			TenantID: c.TenantID, Domain: c.Domain, Country: c.Country, Scenario: c.Scenario,
			Acceptances: map[string]int{}, Orders: c.Ledger.Orders, Purchases: []SkuLedger{},
			DuplicatePurchases: c.Ledger.DuplicatePurchases, OriginalsCancelled: c.Ledger.OriginalsCancelled,
			OriginalCancelAttempts: c.Ledger.OriginalCancelAttempts, OriginalsRenewed: c.Ledger.OriginalsRenewed,
			CSPCancellations: c.Ledger.CSPCancellations, LicenseShortfalls: append([]Shortfall{}, c.Ledger.Shortfalls...),
			UsersWithoutLicense: append([]UnlicensedUser{}, c.Ledger.UnlicensedUsers...),
			WebhooksSent:        c.Ledger.WebhooksSent, WebhooksDropped: c.Ledger.WebhooksDropped,
			Overlap: []OverlapLedger{},
		}
		for k, v := range c.Ledger.Acceptances {
			cl.Acceptances[k] = v
		}
		cl.GDAPRelationships = len(s.ix.gdapByCustomer[c.TenantID])
		plan := s.seatPlanLocked(c)
		bySku := map[string]*SkuLedger{}
		for _, pr := range c.Ledger.PurchaseLines {
			sl, ok := bySku[pr.GraphSkuID]
			if !ok {
				k := strings.ToLower(pr.GraphSkuID)
				sl = &SkuLedger{SkuID: pr.GraphSkuID, SkuPartNumber: s.partNumberLocked(c, pr.GraphSkuID),
					SeatsNeeded: plan.needed[k], SeatsMapped: plan.mapped[k], SeatsBought: s.seatsBoughtLocked(c, pr.GraphSkuID)}
				sl.ExcessSeats = max(0, sl.SeatsBought-sl.SeatsNeeded)
				bySku[pr.GraphSkuID] = sl
			}
			sl.Lines++
			sl.SeatsPurchased += pr.Quantity
		}
		for _, sl := range bySku {
			cl.Purchases = append(cl.Purchases, *sl)
			if sl.ExcessSeats > 0 {
				l.Violations = append(l.Violations, fmt.Sprintf("customer %s: %d seats of %s bought for %d needed", c.TenantID, sl.SeatsBought, sl.SkuPartNumber, sl.SeatsNeeded))
			}
		}
		slices.SortFunc(cl.Purchases, func(a, b SkuLedger) int { return cmp.Compare(a.SkuID, b.SkuID) })
		for _, sf := range cl.LicenseShortfalls {
			cl.UsersLeftWithoutLicense += sf.ConsumedUnits - sf.ServingUnits
			l.Violations = append(l.Violations, fmt.Sprintf("customer %s: at %s %d users held %s with only %d serving seats",
				c.TenantID, sf.At.Format(time.RFC3339), sf.ConsumedUnits, sf.SkuPartNumber, sf.ServingUnits))
		}
		for _, u := range cl.UsersWithoutLicense {
			cl.UsersLeftWithoutLicense++
			l.Violations = append(l.Violations, fmt.Sprintf("customer %s: at %s user %s lost its last license", c.TenantID, u.At.Format(time.RFC3339), u.UserID))
		}
		s.transferLedgerLocked(c, &cl, plan)
		if cl.BoughtWhileTransferred > 0 {
			l.Violations = append(l.Violations, fmt.Sprintf("customer %s: %d purchase lines bought a SKU whose original was transferred to the same partner", c.TenantID, cl.BoughtWhileTransferred))
		}
		if cl.DuplicatePurchases > 0 {
			l.Violations = append(l.Violations, fmt.Sprintf("customer %s: %d purchase lines bought seats beyond what the originals need", c.TenantID, cl.DuplicatePurchases))
		}
		if cl.OriginalsCancelled > 0 || cl.OriginalCancelAttempts > 0 {
			l.Violations = append(l.Violations, fmt.Sprintf("customer %s: %d originals cancelled, %d cancel attempts on originals", c.TenantID, cl.OriginalsCancelled, cl.OriginalCancelAttempts))
		}
		l.Customers = append(l.Customers, cl)
	}
	l.OK = len(l.Violations) == 0
	return l
}

// transferLedgerLocked fills the transfer counters and the overlap of every line that replaced an original.
func (s *Sandbox) transferLedgerLocked(c *customer, cl *CustomerLedger, plan seatPlan) {
	cl.Transfers = len(c.Transfers)
	// transferred maps partner + Graph SKU to the originals a completed transfer moved to that partner.
	transferred := map[string]bool{}
	for _, t := range c.Transfers {
		for _, ln := range t.Lines {
			if ln.Status != lineComplete {
				continue
			}
			cl.LinesTransferred++
			transferred[t.TargetID+" "+strings.ToLower(ln.SkuID)] = true
			cl.Overlap = append(cl.Overlap, OverlapLedger{SkuID: ln.SkuID, SkuPartNumber: ln.SkuPartNumber, Method: "transfer", Seats: ln.Quantity})
		}
	}
	for _, pr := range c.Ledger.PurchaseLines {
		if transferred[pr.PartnerID+" "+strings.ToLower(pr.GraphSkuID)] {
			cl.BoughtWhileTransferred++
		}
		cl.Overlap = append(cl.Overlap, OverlapLedger{SkuID: pr.GraphSkuID, SkuPartNumber: s.partNumberLocked(c, pr.GraphSkuID),
			Method: "buy", Seats: pr.Quantity, Days: s.overlapDaysLocked(c, pr, plan)})
	}
}

// overlapDaysLocked is OverlapLedger.Days for a purchased line: whole days (rounded down) from the purchase to
// the end of the replaced original's paid term (termEnd).
func (s *Sandbox) overlapDaysLocked(c *customer, pr purchaseRecord, plan seatPlan) int {
	sub := findSub(c, pr.SubscriptionID)
	if sub == nil || sub.Status == "deleted" {
		return 0 // cancelled inside the refund window: nothing paid twice
	}
	var end time.Time
	if group, ok := plan.replaces[sub.ID]; ok {
		for _, o := range group { // a mapped line replaces the originals it was attributed to
			if e := termEnd(o); e.After(end) {
				end = e
			}
		}
	} else {
		mapped := map[*companySub]bool{}
		for _, group := range plan.replaces {
			for _, o := range group {
				mapped[o] = true
			}
		}
		for _, o := range c.Originals {
			if o.TransferredTo != "" || mapped[o] || s.neededSkuLocked(o) != strings.ToLower(pr.GraphSkuID) {
				continue
			}
			if e := termEnd(o); e.After(end) {
				end = e
			}
		}
	}
	// Not capped by sub.CommitmentEndDate: the new subscription auto-renews, so it keeps costing until the
	// original ends however many of its own terms that takes.
	if !end.After(pr.At) {
		return 0
	}
	return int(end.Sub(pr.At) / (24 * time.Hour))
}

// termEnd is when an original's paid term ends (or ended): its next lifecycle date while Enabled,
// the moment it left Enabled afterwards.
func termEnd(o *companySub) time.Time {
	switch {
	case o.Status == statusEnabled && o.NextLifecycle != nil:
		return *o.NextLifecycle
	case !o.EndedAt.IsZero():
		return o.EndedAt
	case o.NextLifecycle == nil:
		return time.Time{}
	case o.Status == statusWarning:
		return o.NextLifecycle.Add(-graceWarning)
	case o.Status == statusSuspended:
		return o.NextLifecycle.Add(-graceSuspended - graceWarning)
	}
	return time.Time{}
}

func (s *Sandbox) handleLedger(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply { return jsonReply(http.StatusOK, s.ledgerLocked()) })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
