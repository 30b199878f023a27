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
	// cancelled) than the originals need; see SkuLedger.SeatsNeeded.
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
	// Days is, for a bought line, the whole days from the purchase to the end of the paid term of the
	// original it replaces (the latest such original not transferred), capped by the new subscription's
	// own term; 0 when it was cancelled (refunded) or no original is left. Always 0 for a transfer.
	Days int `json:"days"`
}

// SkuLedger compares seats bought with the seats the originals need for one Graph SKU.
type SkuLedger struct {
	SkuID         string `json:"skuId"`
	SkuPartNumber string `json:"skuPartNumber"`
	// SeatsNeeded is the total licenses of the customer's originals with this SKU plus
	// those of discontinued originals whose first successor offer provisions this SKU.
	SeatsNeeded int `json:"seatsNeeded"`
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

// seatsNeededLocked applies the SeatsNeeded definition.
func (s *Sandbox) seatsNeededLocked(c *customer, skuID string) int {
	n := 0
	for _, o := range c.Originals {
		if o.TransferredTo != "" {
			continue // the original itself moved to a partner: no seats need buying for it
		}
		if s.neededSkuLocked(o) == strings.ToLower(skuID) {
			n += o.TotalLicenses
		}
	}
	return n
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
	dup := s.seatsBoughtLocked(c, sub.GraphSkuID) > s.seatsNeededLocked(c, sub.GraphSkuID)
	if dup {
		c.Ledger.DuplicatePurchases++
	}
	c.Ledger.PurchaseLines = append(c.Ledger.PurchaseLines, purchaseRecord{At: now, PartnerID: p.TenantID, OrderID: orderID,
		SubscriptionID: sub.ID, CatalogItemID: sub.OfferID, GraphSkuID: sub.GraphSkuID, Quantity: sub.Quantity, Duplicate: dup})
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
		for _, g := range s.st.GDAP {
			if g.CustomerTenantID == c.TenantID {
				cl.GDAPRelationships++
			}
		}
		bySku := map[string]*SkuLedger{}
		for _, pr := range c.Ledger.PurchaseLines {
			sl, ok := bySku[pr.GraphSkuID]
			if !ok {
				sl = &SkuLedger{SkuID: pr.GraphSkuID, SkuPartNumber: s.partNumberLocked(c, pr.GraphSkuID),
					SeatsNeeded: s.seatsNeededLocked(c, pr.GraphSkuID), SeatsBought: s.seatsBoughtLocked(c, pr.GraphSkuID)}
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
		s.transferLedgerLocked(c, &cl)
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
func (s *Sandbox) transferLedgerLocked(c *customer, cl *CustomerLedger) {
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
			Method: "buy", Seats: pr.Quantity, Days: s.overlapDaysLocked(c, pr)})
	}
}

// overlapDaysLocked is OverlapLedger.Days for a purchased line.
func (s *Sandbox) overlapDaysLocked(c *customer, pr purchaseRecord) int {
	sub := findSub(c, pr.SubscriptionID)
	if sub == nil || sub.Status == "deleted" {
		return 0 // cancelled inside the refund window: nothing paid twice
	}
	var end time.Time
	for _, o := range c.Originals {
		if o.TransferredTo != "" || s.neededSkuLocked(o) != strings.ToLower(pr.GraphSkuID) {
			continue
		}
		if e := termEnd(o); e.After(end) {
			end = e
		}
	}
	if sub.CommitmentEndDate.Before(end) {
		end = sub.CommitmentEndDate
	}
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
