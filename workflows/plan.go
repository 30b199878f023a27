package workflows

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"go.temporal.io/sdk/workflow"
)

// PlanInput is everything offer planning looks at. Planning is a pure function of it, so the workflow can
// re-plan at any time (after set-offer-mapping, after a replay) and get the same plan.
type PlanInput struct {
	// Originals are the subscriptions to replace, from the request or from discovery. Several originals of
	// the same SKU are allowed.
	Originals []csptransfer.OriginalSubscription `json:"originals"`
	// Catalog holds the catalog facts per source SKU, at most one entry per Graph skuId.
	Catalog []activities.CatalogFacts `json:"catalog"`
	// Overrides is the request's offerOverrides: a source SKU (Graph skuId or skuPartNumber, any letter
	// case) to the catalog item to buy instead. An override always wins over what the catalog suggests; a
	// skuId key wins over a skuPartNumber key for the same original.
	Overrides map[string]string `json:"overrides,omitempty"`
	// OverrideTargets are catalog facts about override targets that are neither the same SKU nor a known
	// successor. Optional: without them an override's Graph skuId and service plans are unknown.
	OverrideTargets []activities.CatalogOffer `json:"overrideTargets,omitempty"`
	// Approval is the request's approval policy; empty means auto.
	Approval csptransfer.ApprovalPolicy `json:"approval,omitempty"`
	// Country is the customer's country, only used in notes.
	Country string `json:"country,omitempty"`

	// Transfers lets lines move by partner-to-partner transfer request. Plans made before transfers existed
	// buy every line, and keep doing so when remade.
	Transfers bool `json:"transfers,omitempty"`
	// SourcePartner is the request's sourcePartner, if any.
	SourcePartner *csptransfer.SourcePartner `json:"sourcePartner,omitempty"`
	// CustomerEmail says the request names the customer's e-mail, which a transfer request needs.
	CustomerEmail bool `json:"customerEmail,omitempty"`
	// BuyInstead holds, by line key, why a line that could move by transfer is bought: its transfer failed,
	// expired, was cancelled or left it out.
	BuyInstead map[string]string `json:"buyInstead,omitempty"`
	// TransferOnly, once the transfer request is made, holds the keys of the lines it is for: no other line
	// can join it.
	TransferOnly []string `json:"transferOnly,omitempty"`
}

// PlanResult is the offer plan.
type PlanResult struct {
	// Lines are what to buy: one per distinct (source SKU, original expiry), ordered by expiry then source
	// SKU. Quantity is the number of seats to buy.
	Lines []csptransfer.PlanLine `json:"lines"`
	// NeedsApproval says the workflow must wait for approve-plan before buying.
	NeedsApproval bool `json:"needsApproval"`
	// Ready is true when no line is unresolved, i.e. every line has a target an operator need not choose.
	Ready bool `json:"ready"`
	// SourcePartnerTenantID is the CSP partner the transfer request goes to, when some line moves by transfer.
	SourcePartnerTenantID string `json:"sourcePartnerTenantId,omitempty"`
}

// Plan decides, for every original, what to buy: the same offer with the same seats when it can still be
// bought; otherwise a successor offer (users then move to it); an operator's override whenever one is set.
// Lines no rule can settle are marked Unresolved with a note saying why and what to do.
//
// Originals of the same SKU that end on the same date become one line with their seats summed (the seats
// pool in the tenant). Originals of the same SKU that end on different dates stay separate lines, so each is
// bought at its own time and each expiry is awaited on its own.
//
// With Transfers set, originals sold by another CSP partner move by one partner-to-partner transfer request
// to that partner (billing moves, the term continues, nothing is bought) when they are eligible: sold by the
// source partner, active, the same offer on sale in new commerce for the customer's country, no operator
// override, the customer's e-mail known. Every other line is bought, and its note says why.
//
// Plan returns an error only when the input breaks its contract (an original without SKU, quantity or
// expiry, two catalog facts for one SKU, an unknown approval policy); everything about offers is reported
// in the lines.
func Plan(in PlanInput) (PlanResult, error) {
	policy, err := checkPlanInput(in)
	if err != nil {
		return PlanResult{}, err
	}
	facts := indexCatalog(in.Catalog)
	overrides := indexOverrides(in.Overrides)

	var res PlanResult
	src := sourcePartnerOf(in)
	transferItems, avoidableOverlap := 0, false
	for _, g := range groupOriginals(in.Originals, facts, in.Transfers) {
		f, ov := facts.byID[g.skuID], lookupOverride(overrides, g)
		line := planLine(g, f, ov, in.OverrideTargets, in.Country)
		if in.Transfers {
			line.SourcePartnerTenantID, line.SourceSubscriptionIDs = g.owner, g.subscriptionIDs
			why, ok := transferable(in, g, f, ov, src, lineKey(line), transferItems)
			avoidableOverlap = avoidableOverlap || why == noCustomerEmail
			if ok {
				transferLine(&line, f, why)
				transferItems += g.count
				res.SourcePartnerTenantID = src.TenantID
				res.Lines = append(res.Lines, line)
				continue
			}
			line.Method, line.MethodReason = csptransfer.MethodBuy, why
		}
		checkQuantity(&line, g.offer)
		res.Lines = append(res.Lines, line)
	}

	res.Ready = true
	anyChange := false
	for _, l := range res.Lines {
		if l.Unresolved {
			res.Ready = false
		}
		if !l.SameOffer {
			anyChange = true
		}
	}
	switch policy {
	case csptransfer.ApprovalAlways:
		res.NeedsApproval = true
	case csptransfer.ApprovalNever:
		res.NeedsApproval = !res.Ready
	default:
		// Paying twice where a transfer could have avoided it is worth an operator's look.
		res.NeedsApproval = anyChange || !res.Ready || avoidableOverlap
	}
	if res.Lines == nil {
		res.Lines = []csptransfer.PlanLine{}
	}
	return res, nil
}

// maxTransferItems is how many subscriptions one transfer request takes. Third-party guides say 25;
// Microsoft does not document it (UNCONFIRMED), so the limit errs on the safe side: more are bought.
const maxTransferItems = 25

// noCustomerEmail is why an otherwise transferable line is bought when the request has no contactEmail.
const noCustomerEmail = "a partner-to-partner transfer would avoid paying twice, but Microsoft needs the customer's e-mail on the request: " +
	"start the transfer again with contactEmail (and sourcePartner) to transfer it; as planned it is bought and the original left to expire"

// sourcePartner is the CSP partner a transfer request goes to: the request's when it names a tenant,
// otherwise the partner selling most of the originals (ties go to the smaller tenant id).
func sourcePartnerOf(in PlanInput) csptransfer.SourcePartner {
	var src csptransfer.SourcePartner
	if in.SourcePartner != nil {
		src = *in.SourcePartner
		src.TenantID = normSku(src.TenantID)
	}
	if src.TenantID != "" || !in.Transfers {
		return src
	}
	count := map[string]int{}
	for _, o := range in.Originals {
		if owner := normSku(o.OwnerTenantID); owner != "" {
			count[owner]++
		}
	}
	for _, owner := range workflow.DeterministicKeys(count) {
		if count[owner] > count[src.TenantID] {
			src.TenantID = owner
		}
	}
	return src
}

// transferable says whether a group of originals moves by partner-to-partner transfer, and why or why not.
func transferable(in PlanInput, g *originalGroup, f *activities.CatalogFacts, ov *override, src csptransfer.SourcePartner, key string, items int) (string, bool) {
	where := "the customer's country"
	if in.Country != "" {
		where = in.Country
	}
	switch {
	case g.owner == "":
		return "bought outside CSP (direct, EA, Open or another reseller): the offer is bought and the original left to expire", false
	case g.owner != src.TenantID:
		return fmt.Sprintf("sold by CSP partner %s, while the transfer request goes to %s: bought, and the original left to expire",
			g.owner, describePartner(src)), false
	case in.BuyInstead[key] != "":
		return in.BuyInstead[key], false
	case in.TransferOnly != nil && !slices.Contains(in.TransferOnly, key):
		return "sold by the source partner, but the transfer request was made before this line could transfer: it is bought and the original left to expire", false
	case g.pastEnd:
		return "sold by the source partner but already past its end date: a transfer needs an active subscription, so it is bought at once", false
	case ov != nil:
		return ov.what + " chooses the offer to buy; a transfer keeps the original offer, so it is bought and the original left to expire", false
	case f == nil || f.SameSku == nil || !f.SameSku.Purchasable || !csptransfer.IsCatalogItemID(f.SameSku.CatalogItemID):
		return fmt.Sprintf("sold by the source partner, but this offer is not on sale in new commerce for %s, so a transfer is not expected to be accepted: it is bought and the original left to expire", where), false
	case items+g.count > maxTransferItems:
		return fmt.Sprintf("one transfer request takes at most %d subscriptions: this one is bought and the original left to expire", maxTransferItems), false
	case !in.CustomerEmail:
		return noCustomerEmail, false
	}
	return fmt.Sprintf("sold by CSP partner %s: moves by a partner-to-partner transfer request — billing moves to this partner, the term continues, nothing is bought, no license moves",
		describePartner(src)), true
}

// transferLine makes line a transfer of the same offer: nothing bought, no user moved.
func transferLine(line *csptransfer.PlanLine, f *activities.CatalogFacts, why string) {
	line.Method, line.MethodReason = csptransfer.MethodTransfer, why
	setTarget(line, f.SameSku.CatalogItemID, f.SameSku)
	if line.TargetSkuID == "" {
		line.TargetSkuID = line.SourceSkuID
	}
	line.SameOffer, line.ReassignmentNeeded = true, false
}

func describePartner(p csptransfer.SourcePartner) string {
	switch {
	case p.Name != "" && p.TenantID != "":
		return fmt.Sprintf("%s (%s)", p.Name, p.TenantID)
	case p.TenantID != "":
		return p.TenantID
	case p.Name != "":
		return p.Name
	}
	return "(no partner owns any original)"
}

// ProvisionAt is when a line should be bought: now in immediately mode; in beforeExpiry mode the original's
// expiry minus the lead time (7 days when not positive), never before now. An unknown mode buys now, the choice that
// cannot leave users without a license.
func ProvisionAt(line csptransfer.PlanLine, mode csptransfer.ProvisioningMode, leadTime csptransfer.Duration, now time.Time) time.Time {
	if mode != csptransfer.ProvisionBeforeExpiry || line.OriginalExpiresAt.IsZero() {
		return now
	}
	if leadTime <= 0 {
		leadTime = csptransfer.DefaultLeadTime
	}
	at := line.OriginalExpiresAt.Add(-leadTime.D())
	if at.Before(now) {
		return now
	}
	return at
}

// maxPlanQuantity bounds one original's seats far above any real tenant, so sums
// of seats cannot overflow.
const maxPlanQuantity = 1_000_000_000

func checkPlanInput(in PlanInput) (csptransfer.ApprovalPolicy, error) {
	var problems []string
	policy, ok := in.Approval.Canonical()
	if !ok {
		problems = append(problems, fmt.Sprintf("approval %s is not one of auto, always, never", csptransfer.Quote(string(in.Approval))))
	}
	for i, o := range in.Originals {
		if strings.TrimSpace(o.SkuID) == "" && strings.TrimSpace(o.SkuPartNumber) == "" {
			problems = append(problems, fmt.Sprintf("originals[%d] has neither skuId nor skuPartNumber", i))
		}
		if o.Quantity < 1 || o.Quantity > maxPlanQuantity {
			problems = append(problems, fmt.Sprintf("originals[%d] has quantity %d", i, o.Quantity))
		}
		if o.ExpiresAt.IsZero() {
			problems = append(problems, fmt.Sprintf("originals[%d] has no expiry", i))
		}
	}
	seen := make(map[string]bool, len(in.Catalog))
	for i, f := range in.Catalog {
		id := normSku(f.SourceSkuID)
		switch {
		case id == "":
			problems = append(problems, fmt.Sprintf("catalog[%d] has no sourceSkuId", i))
		case seen[id]:
			problems = append(problems, fmt.Sprintf("catalog[%d] repeats sourceSkuId %s", i, id))
		}
		seen[id] = true
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("plan input: %s", strings.Join(problems, "; "))
	}
	if policy == "" {
		policy = csptransfer.ApprovalAuto
	}
	return policy, nil
}

type catalogIndex struct {
	byID map[string]*activities.CatalogFacts
	byPN map[string]*activities.CatalogFacts
}

func indexCatalog(catalog []activities.CatalogFacts) catalogIndex {
	idx := catalogIndex{
		byID: make(map[string]*activities.CatalogFacts, len(catalog)),
		byPN: make(map[string]*activities.CatalogFacts, len(catalog)),
	}
	for i := range catalog {
		f := &catalog[i]
		idx.byID[normSku(f.SourceSkuID)] = f
		// The first entry wins a part number shared by two SKUs, which only broken facts would have.
		if pn := normSku(f.SourceSkuPartNumber); pn != "" && idx.byPN[pn] == nil {
			idx.byPN[pn] = f
		}
	}
	return idx
}

// override is the operator's choice of target for one line.
type override struct {
	// what names where it came from for the line's notes, e.g. `operator override "ENTERPRISEPACK"`.
	what, target string
}

// overrideIndex maps a normalized source SKU to the request's override. Keys differing only in case are
// resolved deterministically: the smallest key in byte order wins.
type overrideIndex map[string]override

func indexOverrides(m map[string]string) overrideIndex {
	keys := workflow.DeterministicKeys(m)
	idx := make(overrideIndex, len(m))
	for _, k := range keys {
		n := normSku(k)
		if _, dup := idx[n]; n != "" && !dup {
			idx[n] = override{what: "operator override " + csptransfer.Quote(k), target: strings.TrimSpace(m[k])}
		}
	}
	return idx
}

// originalGroup is the originals of one SKU that end at one instant (and, when transfers are planned, that
// one partner sells).
type originalGroup struct {
	skuID, partNumber string
	quantity, count   int
	expiresAt         time.Time
	// owner is the CSP partner tenant selling the originals, empty when bought outside CSP; subscriptionIDs
	// are theirs, when known.
	owner           string
	subscriptionIDs []string
	// pastEnd: an original of the group is already past its end date.
	pastEnd bool
	// offer is the target offer once chosen, for its quantity limits.
	offer *activities.CatalogOffer
}

func groupOriginals(originals []csptransfer.OriginalSubscription, facts catalogIndex, byOwner bool) []*originalGroup {
	byKey := make(map[string]*originalGroup, len(originals))
	var groups []*originalGroup
	for _, o := range originals {
		id, pn := normSku(o.SkuID), strings.TrimSpace(o.SkuPartNumber)
		if f := facts.byPN[normSku(pn)]; id == "" && f != nil {
			id = normSku(f.SourceSkuID)
		}
		if f := facts.byID[id]; pn == "" && f != nil {
			pn = strings.TrimSpace(f.SourceSkuPartNumber)
		}
		exp := o.ExpiresAt.UTC()
		key := id
		if key == "" {
			key = "pn:" + normSku(pn)
		}
		key += "@" + exp.Format(time.RFC3339Nano)
		owner := ""
		if byOwner {
			owner = normSku(o.OwnerTenantID)
			key += "/" + owner
		}
		g := byKey[key]
		if g == nil {
			g = &originalGroup{skuID: id, partNumber: pn, expiresAt: exp, owner: owner}
			byKey[key] = g
			groups = append(groups, g)
		}
		// A transfer request's line items name Partner Center subscription ids: the commerce id when known.
		sub := normSku(o.CommerceSubscriptionID)
		if sub == "" {
			sub = normSku(o.SubscriptionID)
		}
		if byOwner && sub != "" {
			g.subscriptionIDs = append(g.subscriptionIDs, sub)
		}
		if g.partNumber == "" {
			g.partNumber = pn
		}
		g.quantity += o.Quantity
		g.count++
		g.pastEnd = g.pastEnd || o.PastEnd
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if !a.expiresAt.Equal(b.expiresAt) {
			return a.expiresAt.Before(b.expiresAt)
		}
		if a.skuID != b.skuID {
			return a.skuID < b.skuID
		}
		if pa, pb := normSku(a.partNumber), normSku(b.partNumber); pa != pb {
			return pa < pb
		}
		return a.owner < b.owner
	})
	for _, g := range groups {
		sort.Strings(g.subscriptionIDs)
	}
	return groups
}

func planLine(g *originalGroup, f *activities.CatalogFacts, ov *override, extra []activities.CatalogOffer, country string) csptransfer.PlanLine {
	line := csptransfer.PlanLine{
		SourceSkuID:         g.skuID,
		SourceSkuPartNumber: g.partNumber,
		Quantity:            g.quantity,
		OriginalExpiresAt:   g.expiresAt,
	}
	if g.count > 1 {
		line.Notes = append(line.Notes, fmt.Sprintf("%d originals of this SKU ending on the same date are pooled into %d seats", g.count, g.quantity))
	}
	if g.pastEnd {
		line.Notes = append(line.Notes, "the original is already past its end date (Microsoft shows it in its grace period or suspended): it is bought at once, and there is no end date to wait for")
	}
	var plans []string
	if f != nil {
		plans = f.SourceServicePlans
	}

	if ov != nil {
		planOverride(&line, g, f, *ov, extra, plans)
		return line
	}
	where := "the customer's country"
	if country != "" {
		where = country
	}
	switch {
	case f == nil:
		line.Unresolved = true
		line.Notes = append(line.Notes, "no catalog facts are known for this SKU: choose the offer to buy with set-offer-mapping")
	case f.SameSku == nil:
		line.Unresolved = true
		line.Notes = append(line.Notes, fmt.Sprintf("this SKU is not sold in the catalog for %s: choose an offer available there with set-offer-mapping%s",
			where, candidateList(f.Successors)))
	case f.SameSku.Purchasable && !csptransfer.IsCatalogItemID(f.SameSku.CatalogItemID):
		line.Unresolved = true
		line.Notes = append(line.Notes, fmt.Sprintf("the catalog sells this SKU but gave no usable catalog item id (%s): choose the offer with set-offer-mapping",
			csptransfer.Quote(f.SameSku.CatalogItemID)))
	case f.SameSku.Purchasable:
		setTarget(&line, f.SameSku.CatalogItemID, f.SameSku)
		g.offer = f.SameSku
		if line.TargetSkuID == "" {
			line.TargetSkuID = g.skuID
		}
		line.SameOffer = line.TargetSkuID == g.skuID
		line.ReassignmentNeeded = !line.SameOffer
	default:
		best, alternatives := chooseSuccessor(f.Successors, plans)
		if best == nil {
			line.Unresolved = true
			line.Notes = append(line.Notes, "the original offer can no longer be bought and no purchasable successor is known: choose one with set-offer-mapping"+
				candidateList(f.Successors))
			return line
		}
		g.offer = best
		setTarget(&line, best.CatalogItemID, best)
		line.SameOffer = g.skuID != "" && line.TargetSkuID == g.skuID
		line.ReassignmentNeeded = !line.SameOffer
		line.Notes = append(line.Notes, fmt.Sprintf("the original offer can no longer be bought: successor %s chosen%s",
			describeOffer(best), coverage(best, plans)))
		if len(alternatives) > 0 {
			line.Notes = append(line.Notes, "other purchasable successors: "+offerList(alternatives)+"; choose one instead with set-offer-mapping")
		}
		if !line.SameOffer {
			line.Notes = append(line.Notes, dataLossNotes(plans, best.ServicePlans)...)
		}
	}
	return line
}

func lookupOverride(idx overrideIndex, g *originalGroup) *override {
	pn := normSku(g.partNumber)
	if ov, ok := idx[g.skuID]; ok && g.skuID != "" {
		return &ov
	}
	if ov, ok := idx[pn]; ok && pn != "" {
		return &ov
	}
	return nil
}

func planOverride(line *csptransfer.PlanLine, g *originalGroup, f *activities.CatalogFacts, ov override, extra []activities.CatalogOffer, plans []string) {
	target := ov.target
	if !csptransfer.IsCatalogItemID(target) {
		line.Unresolved = true
		line.Notes = append(line.Notes, fmt.Sprintf("%s: %s is not a catalog item id (productId:skuId[:availabilityId]): correct it with set-offer-mapping",
			ov.what, csptransfer.Quote(target)))
		return
	}
	offer := findOffer(target, f, extra)
	setTarget(line, target, offer)
	line.Notes = append(line.Notes, fmt.Sprintf("%s chooses %s", ov.what, describeTarget(target, offer)))
	if offer == nil {
		// Without catalog facts the target's Graph skuId is learned only after purchase (provisioning
		// status), so users are assumed to move.
		line.ReassignmentNeeded = true
		line.Notes = append(line.Notes, "the target is not in the catalog facts: its Graph skuId, quantity limits and service plans are unknown, so the data-loss risk is not assessed")
		return
	}
	g.offer = offer
	if !offer.Purchasable {
		line.Unresolved = true
		line.Notes = append(line.Notes, "the override's target cannot be bought now: choose another with set-offer-mapping")
		return
	}
	if f != nil && f.SameSku != nil && f.SameSku.Purchasable && !sameCatalogItem(target, f.SameSku.CatalogItemID) {
		line.Notes = append(line.Notes, fmt.Sprintf("the same offer %s is still purchasable; the override replaces it", describeOffer(f.SameSku)))
	}
	if line.TargetSkuID == "" && f != nil && offer == f.SameSku {
		line.TargetSkuID = g.skuID
	}
	line.SameOffer = g.skuID != "" && line.TargetSkuID == g.skuID
	line.ReassignmentNeeded = !line.SameOffer
	if !line.SameOffer {
		line.Notes = append(line.Notes, dataLossNotes(plans, offer.ServicePlans)...)
	}
}

// findOffer looks the target up among the facts, by product and SKU (availability ids change over time).
func findOffer(target string, f *activities.CatalogFacts, extra []activities.CatalogOffer) *activities.CatalogOffer {
	if f != nil {
		if f.SameSku != nil && sameCatalogItem(target, f.SameSku.CatalogItemID) {
			return f.SameSku
		}
		for i := range f.Successors {
			if sameCatalogItem(target, f.Successors[i].CatalogItemID) {
				return &f.Successors[i]
			}
		}
	}
	for i := range extra {
		if sameCatalogItem(target, extra[i].CatalogItemID) {
			return &extra[i]
		}
	}
	return nil
}

func setTarget(line *csptransfer.PlanLine, catalogItemID string, offer *activities.CatalogOffer) {
	line.TargetCatalogItemID = catalogItemID
	if offer != nil {
		line.TargetSkuID = normSku(offer.SkuID)
		line.TargetTitle = offer.Title
	}
}

// chooseSuccessor picks the purchasable successor covering most of the source's service plans; ties go to
// the smallest catalog item id so the choice never depends on input order.
func chooseSuccessor(successors []activities.CatalogOffer, plans []string) (*activities.CatalogOffer, []activities.CatalogOffer) {
	var candidates []activities.CatalogOffer
	for _, s := range successors {
		if s.Purchasable && csptransfer.IsCatalogItemID(s.CatalogItemID) {
			candidates = append(candidates, s)
		}
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	sort.SliceStable(candidates, func(i, j int) bool {
		ci, cj := covered(plans, candidates[i].ServicePlans), covered(plans, candidates[j].ServicePlans)
		if ci != cj {
			return ci > cj
		}
		return candidates[i].CatalogItemID < candidates[j].CatalogItemID
	})
	best := candidates[0]
	return &best, candidates[1:]
}

// covered counts the source plans the target includes.
func covered(source, target []string) int {
	have := planSet(target)
	n := 0
	for _, p := range uniquePlans(source) {
		if have[p] {
			n++
		}
	}
	return n
}

func dataLossNotes(source, target []string) []string {
	switch {
	case len(source) == 0:
		return []string{"the original's service plans are unknown: the data-loss risk is not assessed; compare the offers before approving"}
	case len(target) == 0:
		return []string{"the target's service plans are unknown: the data-loss risk is not assessed; compare the offers before approving"}
	}
	have := planSet(target)
	var missing []string
	for _, p := range uniquePlans(source) {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return []string{"the target includes every service plan of the original"}
	}
	return []string{fmt.Sprintf("data-loss risk: the target lacks service plans %s; back up their data before the original expires",
		strings.Join(missing, ", "))}
}

func planSet(plans []string) map[string]bool {
	set := make(map[string]bool, len(plans))
	for _, p := range plans {
		set[strings.ToUpper(strings.TrimSpace(p))] = true
	}
	return set
}

// uniquePlans returns the plan names upper-cased, de-duplicated and sorted.
func uniquePlans(plans []string) []string {
	set := planSet(plans)
	out := make([]string, 0, len(set))
	for _, p := range workflow.DeterministicKeys(set) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func coverage(o *activities.CatalogOffer, plans []string) string {
	if len(plans) == 0 || len(o.ServicePlans) == 0 {
		return "" // unknown on either side: the data-loss note says so
	}
	return fmt.Sprintf(" (covers %d of the original's %d service plans)", covered(plans, o.ServicePlans), len(uniquePlans(plans)))
}

func describeOffer(o *activities.CatalogOffer) string {
	if o.Title == "" {
		return o.CatalogItemID
	}
	return fmt.Sprintf("%s (%s)", o.CatalogItemID, o.Title)
}

func describeTarget(target string, o *activities.CatalogOffer) string {
	if o == nil || o.Title == "" {
		return target
	}
	return fmt.Sprintf("%s (%s)", target, o.Title)
}

func offerList(offers []activities.CatalogOffer) string {
	sorted := append([]activities.CatalogOffer(nil), offers...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CatalogItemID < sorted[j].CatalogItemID })
	parts := make([]string, len(sorted))
	for i := range sorted {
		parts[i] = describeOffer(&sorted[i])
		if !sorted[i].Purchasable {
			parts[i] += " [not purchasable]"
		}
	}
	return strings.Join(parts, ", ")
}

func candidateList(offers []activities.CatalogOffer) string {
	if len(offers) == 0 {
		return ""
	}
	return "; known successors: " + offerList(offers)
}

// checkQuantity refuses to clamp: a seat count the offer does not allow is for an operator to settle.
func checkQuantity(line *csptransfer.PlanLine, offer *activities.CatalogOffer) {
	if offer == nil || line.Unresolved {
		return
	}
	lo, hi := offer.MinQuantity, offer.MaxQuantity
	if lo < 1 {
		lo = 1
	}
	if line.Quantity >= lo && (hi <= 0 || line.Quantity <= hi) {
		return
	}
	limits := fmt.Sprintf("at least %d", lo)
	if hi > 0 {
		limits = fmt.Sprintf("%d to %d", lo, hi)
	}
	line.Unresolved = true
	line.Notes = append(line.Notes, fmt.Sprintf("%d seats is outside what %s allows in one purchase (%s): choose another offer with set-offer-mapping or adjust the originals",
		line.Quantity, describeOffer(offer), limits))
}

// normSku normalizes a Graph skuId or skuPartNumber for case-insensitive matching.
func normSku(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// sameCatalogItem compares catalog item ids by product and SKU, ignoring the availability (which changes).
func sameCatalogItem(a, b string) bool {
	pa, pb := strings.Split(a, ":"), strings.Split(b, ":")
	if len(pa) < 2 || len(pb) < 2 {
		return false
	}
	return strings.EqualFold(pa[0], pb[0]) && strings.EqualFold(pa[1], pb[1])
}
