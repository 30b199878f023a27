package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// Transfer statuses as the sandbox stores them. Microsoft documents InProgress, Complete and Expired for
// new commerce, and Reject for a rejected request in its older examples; the word after a cancel is the
// sandbox's choice (README.md).
const (
	transferInProgress = "InProgress"
	transferComplete   = "Complete"
	transferExpired    = "Expired"
	transferCancelled  = "Cancelled"
	transferRejected   = "Reject"

	lineComplete = "Complete"
	lineFailed   = "Failed"
)

// Partner Center events about transfers. A live client registers for these names; Microsoft's event list
// does not name them (README.md).
const (
	eventCompleteTransfer = "complete-transfer"
	eventFailTransfer     = "fail-transfer"
	resourceTransfer      = "Transfer"
)

const (
	// transferLifetime is how long a request waits for the source partner (UNCONFIRMED: README.md).
	transferLifetime = 30 * 24 * time.Hour
	// maxTransferLines is the most subscriptions one transfer takes (third-party figure, UNCONFIRMED).
	maxTransferLines = 25
	// transferTypeModernAzure and transferTypeNewCommerce are the two values Microsoft's pages give for a
	// new-commerce transfer; both are accepted and echoed.
	transferTypeModernAzure = 3
	transferTypeNewCommerce = 5
	// Transfer directions as the caller sees them (values UNCONFIRMED).
	directionIncoming = 1
	directionOutgoing = 2
)

// pcTime is a Partner Center timestamp with seven fractional digits, as transfer entities show them
// (2024-04-30T18:31:41.5133355Z).
type pcTime time.Time

// MarshalJSON implements json.Marshaler.
func (t pcTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.0000000Z") + `"`), nil
}

type transferErrorJSON struct {
	Code        errorCode `json:"code"`
	Description string    `json:"description"`
}

type transferLineJSON struct {
	ID                   int                `json:"id"`
	SubscriptionID       string             `json:"subscriptionId"`
	SourceSubscriptionID string             `json:"sourceSubscriptionId"`
	Quantity             int                `json:"quantity"`
	BillingCycle         string             `json:"billingCycle"`
	TermDuration         string             `json:"termDuration"`
	FriendlyName         string             `json:"friendlyName"`
	OfferID              string             `json:"offerId"`
	PartnerIDOnRecord    string             `json:"partnerIdOnRecord"`
	TransferGroupID      string             `json:"transferGroupId"`
	AddonItems           []transferLineJSON `json:"addonItems"`
	Status               string             `json:"status"`
	TransferError        *transferErrorJSON `json:"transferError"`
}

// transferJSON is a TransferEntity as Partner Center shows it. partnertenantid is the spelling of
// Microsoft's older examples; both spellings carry the target partner.
type transferJSON struct {
	ID                     string             `json:"id"`
	Status                 string             `json:"status"`
	TransferType           int                `json:"transferType"`
	CustomerEmailID        string             `json:"customerEmailId"`
	CustomerName           string             `json:"customerName"`
	CustomerTenantID       string             `json:"customerTenantId"`
	PartnerTenantID        string             `json:"partnerTenantId"`
	LegacyPartnerTenantID  string             `json:"partnertenantid"`
	SourcePartnerName      string             `json:"sourcePartnerName"`
	SourcePartnerTenantID  string             `json:"sourcePartnerTenantId"`
	TargetPartnerName      string             `json:"targetPartnerName"`
	TargetPartnerTenantID  string             `json:"targetPartnerTenantId"`
	TargetPartnerEmailID   string             `json:"targetPartnerEmailId"`
	TargetProductTypes     []string           `json:"targetProductTypes"`
	CreatedTime            pcTime             `json:"createdTime"`
	LastModifiedTime       pcTime             `json:"lastModifiedTime"`
	CompletedTime          *pcTime            `json:"completedTime"`
	ExpirationTime         pcTime             `json:"expirationTime"`
	LastModifiedUser       string             `json:"lastModifiedUser"`
	TransferDirection      int                `json:"transferDirection"`
	IgnoreEligibilityCheck bool               `json:"ignoreEligibilityCheck"`
	LineItems              []transferLineJSON `json:"lineItems"`
	Links                  map[string]link    `json:"links"`
	Attributes             map[string]string  `json:"attributes"`
}

func transferPath(c *customer, t *transfer) string {
	return "/v1/customers/" + c.TenantID + "/transfers/" + t.ID
}

// transferJSON shows t to partner viewer (its direction depends on who asks).
func (s *Sandbox) transferJSON(c *customer, t *transfer, viewer string) transferJSON {
	dir := directionIncoming
	if viewer == t.SourceID {
		dir = directionOutgoing
	}
	out := transferJSON{
		ID: t.ID, Status: t.Status, TransferType: t.TransferType, CustomerEmailID: t.CustomerEmailID, CustomerName: t.CustomerName,
		CustomerTenantID: c.TenantID, PartnerTenantID: t.TargetID, LegacyPartnerTenantID: t.TargetID,
		SourcePartnerName: t.SourceName, SourcePartnerTenantID: t.SourceID, TargetPartnerName: t.TargetName,
		TargetPartnerTenantID: t.TargetID, TargetPartnerEmailID: t.TargetEmailID, TargetProductTypes: t.TargetProductTypes,
		CreatedTime: pcTime(t.Created), LastModifiedTime: pcTime(t.LastModified), ExpirationTime: pcTime(t.Expiration),
		LastModifiedUser: t.LastModifiedUser, TransferDirection: dir, LineItems: []transferLineJSON{},
		Links:      map[string]link{"self": getLink(transferPath(c, t))},
		Attributes: objType("TransferEntity"),
	}
	if !t.Completed.IsZero() {
		done := pcTime(t.Completed)
		out.CompletedTime = &done
	}
	for _, ln := range t.Lines {
		lj := transferLineJSON{ID: ln.ID, SubscriptionID: ln.SubscriptionID, SourceSubscriptionID: ln.SubscriptionID,
			Quantity: ln.Quantity, BillingCycle: ln.BillingCycle, TermDuration: ln.TermDuration, FriendlyName: ln.FriendlyName,
			OfferID: ln.OfferID, TransferGroupID: strconv.Itoa(ln.ID), AddonItems: []transferLineJSON{}, Status: ln.Status}
		if ln.ErrorCode != 0 {
			lj.TransferError = &transferErrorJSON{Code: ln.ErrorCode, Description: ln.ErrorText}
		}
		out.LineItems = append(out.LineItems, lj)
	}
	return out
}

// pcTransfer authenticates a transfer call: a Partner Center token for a transacting partner or for a
// source partner (the only endpoints a source partner may call), and an existing customer.
func (s *Sandbox) pcTransfer(fn func(r *http.Request, p *partner, c *customer, now time.Time) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.locked(w, func(now time.Time) reply {
			cl, msg := s.bearer(r)
			if msg != "" {
				return pcErr(http.StatusUnauthorized, 401, "Unauthorized: "+msg)
			}
			if cl.Audience != audPartnerCenter {
				return pcErr(http.StatusUnauthorized, 401, "Unauthorized: the token audience is not https://api.partnercenter.microsoft.com")
			}
			p, ok := s.st.Partners[cl.TenantID]
			if !ok {
				if p, ok = s.sources[cl.TenantID]; !ok {
					return pcErr(http.StatusUnauthorized, 401, "Unauthorized: tenant "+cl.TenantID+" is not a partner tenant")
				}
			}
			c, ok := s.customerLocked(strings.ToLower(r.PathValue("customerId")))
			if !ok {
				return pcErr(http.StatusNotFound, 1000, "Customer "+r.PathValue("customerId")+" was not found.")
			}
			return fn(r, p, c, now)
		})
	}
}

// transferPartyLocked reports whether partner p may read c's transfers: it resells to c, owns one of c's
// originals (a source partner) or is a party to one of c's transfers.
func transferPartyLocked(c *customer, p *partner) bool {
	if hasRelationship(c, p.TenantID) {
		return true
	}
	for _, o := range c.Originals {
		if strings.EqualFold(o.OwnerTenantID, p.TenantID) {
			return true
		}
	}
	return slices.ContainsFunc(c.Transfers, func(t *transfer) bool { return t.SourceID == p.TenantID || t.TargetID == p.TenantID })
}

func notVisible(c *customer, p *partner) reply {
	return pcErr(http.StatusNotFound, 1000, "Customer "+c.TenantID+" was not found, or it has no relationship with partner "+p.TenantID+".")
}

// transferInput is the create body (Microsoft's field names); unknown fields, such as the line items of
// the older API, are ignored.
type transferInput struct {
	SourcePartnerTenantID string          `json:"sourcePartnerTenantId"`
	SourcePartnerName     string          `json:"sourcePartnerName"`
	CustomerEmailID       string          `json:"customerEmailId"`
	CustomerName          string          `json:"customerName"`
	TargetPartnerTenantID string          `json:"targetPartnerTenantId"`
	TargetPartnerEmailID  string          `json:"targetPartnerEmailId"`
	TargetProductTypes    []string        `json:"targetProductTypes"`
	TransferType          json.RawMessage `json:"transferType"`
}

// parseTransferType reads transferType as a number or a numeric string; 3 and 5 are accepted.
func parseTransferType(raw json.RawMessage) (int, bool) {
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return 0, false
		}
		if n, err = strconv.Atoi(strings.TrimSpace(str)); err != nil {
			return 0, false
		}
	}
	return n, n == transferTypeModernAzure || n == transferTypeNewCommerce
}

func (s *Sandbox) pcCreateTransfer(r *http.Request, p *partner, c *customer, now time.Time) reply {
	if !hasRelationship(c, p.TenantID) {
		return pcErr(http.StatusBadRequest, 20002, "The partner id "+p.TenantID+" has no commerce relationship with the customer id "+c.TenantID+".")
	}
	var in transferInput
	if err := decodeJSON(r, &in); err != nil {
		return pcErr(http.StatusBadRequest, 800002, err.Error())
	}
	source := strings.ToLower(strings.TrimSpace(in.SourcePartnerTenantID))
	target := strings.ToLower(strings.TrimSpace(in.TargetPartnerTenantID))
	if target == "" {
		target = p.TenantID
	}
	tt, okType := parseTransferType(in.TransferType)
	switch {
	case source == "":
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: sourcePartnerTenantId is required.")
	case uuid.Validate(source) != nil:
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: sourcePartnerTenantId must be a GUID.")
	case source == p.TenantID:
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: the source partner cannot be the partner creating the transfer.")
	case target != p.TenantID:
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: targetPartnerTenantId must be the calling partner "+p.TenantID+" (or omitted).")
	case strings.TrimSpace(in.CustomerEmailID) == "":
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: customerEmailId is required.")
	case !strings.Contains(in.CustomerEmailID, "@"):
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: customerEmailId must be an e-mail address.")
	case len(in.TransferType) == 0 || string(in.TransferType) == "null":
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: transferType is required (5 for new commerce; 3 is accepted too).")
	case !okType:
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: transferType "+string(in.TransferType)+" is not a new-commerce transfer type (5, or 3).")
	}
	if _, transacting := s.st.Partners[source]; transacting {
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: partner "+source+" is a transacting sandbox partner; the sandbox emulates transfers from source partners only (README.md).")
	}
	src, ok := s.sources[source]
	if !ok {
		return pcErr(http.StatusNotFound, 800015, "PartnerID is not found: no partner with tenant id "+source+".")
	}
	for _, t := range c.Transfers {
		if t.Status == transferInProgress && t.SourceID == source {
			return pcErr(http.StatusConflict, 900101, "The transfer request is already in progress: transfer "+t.ID+" from partner "+source+" for customer "+c.TenantID+".")
		}
	}
	t := &transfer{
		ID: s.newID(), Status: transferInProgress, TransferType: tt, CustomerName: strings.TrimSpace(in.CustomerName),
		CustomerEmailID: strings.TrimSpace(in.CustomerEmailID), SourceID: source, SourceName: strings.TrimSpace(in.SourcePartnerName),
		TargetID: p.TenantID, TargetName: p.CompanyName, TargetEmailID: strings.TrimSpace(in.TargetPartnerEmailID),
		TargetProductTypes: in.TargetProductTypes, Created: now, LastModified: now, LastModifiedUser: agentOf(p),
		Expiration: now.Add(transferLifetime), Lines: []transferLine{},
	}
	if t.CustomerName == "" {
		t.CustomerName = c.CompanyName
	}
	if t.SourceName == "" {
		t.SourceName = src.CompanyName
	}
	if t.TargetEmailID == "" {
		t.TargetEmailID = p.Contact.Email
	}
	c.Transfers = append(c.Transfers, t)
	s.auditLocked(p.TenantID, c, "create_transfer", resourceTransfer, now)
	s.dirty = true
	return jsonReply(http.StatusCreated, s.transferJSON(c, t, p.TenantID))
}

// agentOf is the synthetic admin agent whose id a partner's changes show as lastModifiedUser.
func agentOf(p *partner) string { return stableID(p.TenantID, "user/admin-agent") }

func findTransfer(c *customer, id string) *transfer {
	for _, t := range c.Transfers {
		if strings.EqualFold(t.ID, id) {
			return t
		}
	}
	return nil
}

// visibleTransferLocked finds a transfer the caller is a party to; others are not found (900100).
func visibleTransferLocked(c *customer, p *partner, id string) (*transfer, *reply) {
	t := findTransfer(c, id)
	if t == nil || (t.SourceID != p.TenantID && t.TargetID != p.TenantID) {
		rep := pcErr(http.StatusNotFound, 900100, "Transfer request not found: "+id+".")
		return nil, &rep
	}
	return t, nil
}

// pcListTransfers answers a bare JSON array, as Microsoft's example of GET .../transfers shows.
func (s *Sandbox) pcListTransfers(_ *http.Request, p *partner, c *customer, _ time.Time) reply {
	if !transferPartyLocked(c, p) {
		return notVisible(c, p)
	}
	out := []transferJSON{}
	for _, t := range c.Transfers {
		if t.SourceID == p.TenantID || t.TargetID == p.TenantID {
			out = append(out, s.transferJSON(c, t, p.TenantID))
		}
	}
	return jsonReply(http.StatusOK, out)
}

func (s *Sandbox) pcGetTransfer(r *http.Request, p *partner, c *customer, _ time.Time) reply {
	if !transferPartyLocked(c, p) {
		return notVisible(c, p)
	}
	t, bad := visibleTransferLocked(c, p, r.PathValue("transferId"))
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, s.transferJSON(c, t, p.TenantID))
}

// transferPatch is the update body. The target sends status "Cancel" (Microsoft's example sends the whole
// entity back); the source sends lineItems to accept, or status "Reject".
type transferPatch struct {
	Status    *string `json:"status"`
	LineItems *[]struct {
		SubscriptionID string `json:"subscriptionId"`
	} `json:"lineItems"`
}

func (s *Sandbox) pcPatchTransfer(r *http.Request, p *partner, c *customer, now time.Time) reply {
	if !transferPartyLocked(c, p) {
		return notVisible(c, p)
	}
	t, bad := visibleTransferLocked(c, p, r.PathValue("transferId"))
	if bad != nil {
		return *bad
	}
	var in transferPatch
	if err := decodeJSON(r, &in); err != nil {
		return pcErr(http.StatusBadRequest, 800002, err.Error())
	}
	status := ""
	if in.Status != nil {
		status = strings.ToLower(strings.TrimSpace(*in.Status))
	}
	if p.TenantID == t.TargetID {
		if status != "cancel" {
			return pcErr(http.StatusBadRequest, 800002, "Invalid request input: the target partner can only cancel a transfer (status \"Cancel\"); the source partner accepts it.")
		}
		if rep := s.cancelTransferLocked(t, now, p); rep != nil {
			return *rep
		}
		return jsonReply(http.StatusOK, s.transferJSON(c, t, p.TenantID))
	}
	switch status {
	case "cancel":
		return pcErr(http.StatusBadRequest, 800002, "Invalid request input: only the target partner that created the transfer can cancel it.")
	case "reject":
		if rep := s.rejectTransferLocked(c, t, p, now); rep != nil {
			return *rep
		}
		return jsonReply(http.StatusOK, s.transferJSON(c, t, p.TenantID))
	}
	var ids []string
	if in.LineItems != nil {
		for _, li := range *in.LineItems {
			ids = append(ids, li.SubscriptionID)
		}
	}
	if rep := s.acceptTransferLocked(c, t, p, ids, now); rep != nil {
		return *rep
	}
	return jsonReply(http.StatusOK, s.transferJSON(c, t, p.TenantID))
}

// pendingLocked refuses a change to a transfer that is no longer InProgress.
func pendingLocked(t *transfer) *reply {
	var rep reply
	switch t.Status {
	case transferInProgress:
		return nil
	case transferComplete:
		rep = pcErr(http.StatusConflict, 900102, "The transfer request is already complete: "+t.ID+".")
	default:
		rep = pcErr(http.StatusBadRequest, 800002, "Invalid request input: transfer "+t.ID+" is "+t.Status+" and can no longer be updated.")
	}
	return &rep
}

func (s *Sandbox) cancelTransferLocked(t *transfer, now time.Time, p *partner) *reply {
	if rep := pendingLocked(t); rep != nil {
		return rep
	}
	t.Status = transferCancelled
	t.LastModified = now
	t.LastModifiedUser = agentOf(p)
	s.dirty = true
	return nil
}

func (s *Sandbox) rejectTransferLocked(c *customer, t *transfer, p *partner, now time.Time) *reply {
	if rep := pendingLocked(t); rep != nil {
		return rep
	}
	t.Status = transferRejected
	t.LastModified = now
	t.LastModifiedUser = agentOf(p)
	s.dirty = true
	s.transferEventLocked(c, t, eventFailTransfer, now)
	return nil
}

// ownedOriginal finds the original of c that source owns and that subscription id names (its commerce
// id, as Partner Center shows it, or its Graph id).
func ownedOriginal(c *customer, source, id string) *companySub {
	for _, o := range c.Originals {
		if o.TransferredTo == "" && strings.EqualFold(o.OwnerTenantID, source) &&
			(strings.EqualFold(o.CommerceSubscriptionID, id) || strings.EqualFold(o.ID, id)) {
			return o
		}
	}
	return nil
}

// transferableLocked says why original o cannot move to another partner ("" when it can): only active
// new-commerce license subscriptions sold in the customer's country transfer.
func (s *Sandbox) transferableLocked(c *customer, o *companySub) (catalogSku, string) {
	cs, ok := s.cat.byGraphSku(o.SkuID)
	switch {
	case !ok:
		return cs, "it is not a new-commerce offer"
	case cs.Discontinued:
		return cs, "its offer is no longer sold"
	case !cs.soldIn(c.Country):
		return cs, "its offer is not sold in " + c.Country
	case o.IsTrial:
		return cs, "it is a trial"
	case o.Status != statusEnabled:
		return cs, "it is " + o.Status + ", not active"
	}
	return cs, ""
}

// eligibleLocked lists the originals accepting t without line items would transfer.
func (s *Sandbox) eligibleLocked(c *customer, t *transfer) []*companySub {
	var out []*companySub
	for _, o := range c.Originals {
		if o.TransferredTo != "" || !strings.EqualFold(o.OwnerTenantID, t.SourceID) {
			continue
		}
		if _, why := s.transferableLocked(c, o); why == "" {
			out = append(out, o)
		}
	}
	return out
}

// acceptTransferLocked is the source partner accepting t for the subscriptions ids names (every eligible
// one when empty). Each line moves at once or fails on its own; the transfer ends Complete.
func (s *Sandbox) acceptTransferLocked(c *customer, t *transfer, src *partner, ids []string, now time.Time) *reply {
	if rep := pendingLocked(t); rep != nil {
		return rep
	}
	var picked []*companySub
	for _, id := range ids {
		o := ownedOriginal(c, t.SourceID, strings.TrimSpace(id))
		if o == nil {
			rep := pcErr(http.StatusBadRequest, 800002, "Invalid request input: subscription "+id+" is not a subscription of partner "+t.SourceID+" for customer "+c.TenantID+".")
			return &rep
		}
		if !slices.Contains(picked, o) {
			picked = append(picked, o)
		}
	}
	if len(ids) == 0 {
		picked = s.eligibleLocked(c, t)
	}
	if len(picked) == 0 {
		rep := pcErr(http.StatusBadRequest, 800002, "Invalid request input: partner "+t.SourceID+" has no subscription of customer "+c.TenantID+" that can be transferred.")
		return &rep
	}
	if len(picked) > maxTransferLines {
		rep := pcErr(http.StatusBadRequest, 800002, "Invalid request input: a transfer takes at most "+strconv.Itoa(maxTransferLines)+" subscriptions.")
		return &rep
	}
	failed, moved := false, false
	for i, o := range picked {
		cs, why := s.transferableLocked(c, o)
		ln := transferLine{ID: i, SubscriptionID: o.CommerceSubscriptionID, OriginalID: o.ID, SkuID: o.SkuID,
			SkuPartNumber: o.SkuPartNumber, FriendlyName: cs.SkuTitle, Quantity: o.TotalLicenses,
			BillingCycle: billingCycleOf(o), TermDuration: o.Term, Status: lineComplete}
		if ln.FriendlyName == "" {
			ln.FriendlyName = o.SkuPartNumber
		}
		if cs.ProductID != "" && cs.soldIn(c.Country) {
			ln.OfferID = cs.catalogItemID(c.Country)
		}
		switch {
		case why != "":
			ln.Status, ln.ErrorCode = lineFailed, 900103
			ln.ErrorText = "The transfer order is not successful: subscription " + o.CommerceSubscriptionID + " cannot be transferred because " + why + "."
		case o.TransferBlocked != 0:
			ln.Status, ln.ErrorCode = lineFailed, o.TransferBlocked
			ln.ErrorText = "The transfer order is not successful: source subscription " + o.CommerceSubscriptionID + " is not in sync state."
		default:
			s.moveOriginalLocked(c, t, o, cs, now)
		}
		failed = failed || ln.Status == lineFailed
		moved = moved || ln.Status == lineComplete
		t.Lines = append(t.Lines, ln)
	}
	t.Status = transferComplete
	t.Completed = now
	t.LastModified = now
	t.LastModifiedUser = agentOf(src)
	s.dirty = true
	s.checkLicensesLocked(c, now)
	if moved {
		s.transferEventLocked(c, t, eventCompleteTransfer, now)
	}
	if failed {
		s.transferEventLocked(c, t, eventFailTransfer, now)
	}
	return nil
}

// moveOriginalLocked hands original o to t's target: the same subscription (same ids, quantity, term end,
// billing cycle) becomes the target's Partner Center subscription. Nothing is bought and no order is made;
// users keep their licenses because the Graph SKU and its seats do not change.
func (s *Sandbox) moveOriginalLocked(c *customer, t *transfer, o *companySub, cs catalogSku, now time.Time) {
	end := now
	if o.NextLifecycle != nil {
		end = *o.NextLifecycle
	}
	start := termStart(end, o.Term)
	if start.Before(o.CreatedDateTime) {
		start = o.CreatedDateTime
	}
	c.CSPSubs = append(c.CSPSubs, &cspSub{
		ID: o.CommerceSubscriptionID, GraphID: o.ID, PartnerID: t.TargetID, OfferID: cs.catalogItemID(c.Country),
		OfferName: cs.SkuTitle, FriendlyName: cs.SkuTitle, ProductID: cs.ProductID, SkuIDCatalog: cs.SkuID,
		GraphSkuID: cs.GraphSkuID, SkuPartNumber: cs.SkuPartNumber, Quantity: o.TotalLicenses,
		CreationDate: o.CreatedDateTime, EffectiveStartDate: start, CommitmentEndDate: end,
		// No new refund window at the target: the window is closed at the transfer (UNCONFIRMED).
		CancellationUntil: now, Status: "active", AutoRenewEnabled: o.AutoRenew,
		BillingCycle: billingCycleOf(o), TermDuration: o.Term, Etag: 1, TransferID: t.ID,
	})
	o.TransferredTo = t.TargetID
	o.TransferredAt = now
}

// billingCycleOf is an original's billing cycle; originals of older state files have none stored.
func billingCycleOf(o *companySub) string {
	switch {
	case o.BillingCycle != "":
		return o.BillingCycle
	case strings.EqualFold(o.Term, "P3Y"):
		return "annual"
	}
	return "monthly"
}

// termStart is the start of the term of an ISO 8601 length (P1M, P1Y, P3Y) that ends at end.
func termStart(end time.Time, iso string) time.Time {
	m := isoRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(iso)))
	if m == nil {
		return end.AddDate(-1, 0, 0)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return end.AddDate(-n(1), -n(2), -7*n(3)-n(4))
}

// transferEventLocked tells the target partner that t changed, as Partner Center's other events do.
func (s *Sandbox) transferEventLocked(c *customer, t *transfer, name string, now time.Time) {
	rec := s.auditLocked(t.TargetID, c, "update_transfer", resourceTransfer, now)
	s.enqueueLocked(t.TargetID, c, pcwebhook.Event{
		EventName: name, ResourceName: resourceTransfer, ResourceURI: s.publicURL + transferPath(c, t),
		AuditURI: s.publicURL + "/v1/auditrecords/" + rec.ID, ResourceChangeUTCDate: now,
	})
}

// --- admin: the source partner's side, for tests and people ---

// TransferView is how the admin endpoints show a transfer request, from the source partner's side.
type TransferView struct {
	ID                    string             `json:"id"`
	Status                string             `json:"status"`
	TransferType          int                `json:"transferType"`
	CustomerTenantID      string             `json:"customerTenantId"`
	CustomerEmailID       string             `json:"customerEmailId"`
	SourcePartnerTenantID string             `json:"sourcePartnerTenantId"`
	SourcePartnerName     string             `json:"sourcePartnerName"`
	TargetPartnerTenantID string             `json:"targetPartnerTenantId"`
	TargetPartnerName     string             `json:"targetPartnerName"`
	CreatedTime           time.Time          `json:"createdTime"`
	LastModifiedTime      time.Time          `json:"lastModifiedTime"`
	ExpirationTime        time.Time          `json:"expirationTime"`
	CompletedTime         *time.Time         `json:"completedTime,omitempty"`
	LineItems             []TransferLineView `json:"lineItems"`
	// EligibleSubscriptionIDs lists, while the request is InProgress, the source partner's subscriptions
	// an accept without subscription ids would transfer.
	EligibleSubscriptionIDs []string `json:"eligibleSubscriptionIds"`
}

// TransferLineView is one subscription of an accepted transfer.
type TransferLineView struct {
	ID             int    `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	SkuID          string `json:"skuId"`
	SkuPartNumber  string `json:"skuPartNumber"`
	Quantity       int    `json:"quantity"`
	// Status is Complete or Failed; a failed line has ErrorCode (e.g. 900103) and ErrorDescription.
	Status           string `json:"status"`
	ErrorCode        int    `json:"errorCode,omitempty"`
	ErrorDescription string `json:"errorDescription,omitempty"`
}

func (s *Sandbox) transferViewLocked(c *customer, t *transfer) TransferView {
	v := TransferView{ID: t.ID, Status: t.Status, TransferType: t.TransferType, CustomerTenantID: c.TenantID,
		CustomerEmailID: t.CustomerEmailID, SourcePartnerTenantID: t.SourceID, SourcePartnerName: t.SourceName,
		TargetPartnerTenantID: t.TargetID, TargetPartnerName: t.TargetName, CreatedTime: t.Created,
		LastModifiedTime: t.LastModified, ExpirationTime: t.Expiration, LineItems: []TransferLineView{},
		EligibleSubscriptionIDs: []string{}}
	if !t.Completed.IsZero() {
		done := t.Completed
		v.CompletedTime = &done
	}
	for _, ln := range t.Lines {
		v.LineItems = append(v.LineItems, TransferLineView{ID: ln.ID, SubscriptionID: ln.SubscriptionID, SkuID: ln.SkuID,
			SkuPartNumber: ln.SkuPartNumber, Quantity: ln.Quantity, Status: ln.Status, ErrorCode: int(ln.ErrorCode),
			ErrorDescription: ln.ErrorText})
	}
	if t.Status == transferInProgress {
		for _, o := range s.eligibleLocked(c, t) {
			v.EligibleSubscriptionIDs = append(v.EligibleSubscriptionIDs, o.CommerceSubscriptionID)
		}
	}
	return v
}

func (s *Sandbox) transferViewsLocked(c *customer) []TransferView {
	out := []TransferView{}
	for _, t := range c.Transfers {
		out = append(out, s.transferViewLocked(c, t))
	}
	return out
}

// acceptTransferInput is the body of POST /sandbox/customers/{tenantId}/transfers/{transferId}/accept:
// the source partner's subscriptions to transfer, every eligible one when empty.
type acceptTransferInput struct {
	SubscriptionIDs []string `json:"subscriptionIds"`
}

func (s *Sandbox) handleListTransfers(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(time.Time) reply {
		c, ok := s.customerLocked(strings.ToLower(r.PathValue("tenantId")))
		if !ok {
			return adminErr(http.StatusNotFound, "tenantId", "no customer "+r.PathValue("tenantId"))
		}
		return jsonReply(http.StatusOK, s.transferViewsLocked(c))
	})
}

// adminTransfer resolves {tenantId} and {transferId} and runs act as the transfer's source partner. A
// Partner Center refusal from act is passed on with its HTTP status, in the admin error format.
func (s *Sandbox) adminTransfer(act func(c *customer, t *transfer, src *partner, in acceptTransferInput, now time.Time) *reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in acceptTransferInput
		if data, err := readAll(r); err != nil {
			adminErr(http.StatusBadRequest, "", err.Error()).write(w)
			return
		} else if len(strings.TrimSpace(string(data))) > 0 {
			if err := json.Unmarshal(data, &in); err != nil {
				adminErr(http.StatusBadRequest, "", "request body is not valid JSON: "+err.Error()).write(w)
				return
			}
		}
		s.locked(w, func(now time.Time) reply {
			c, ok := s.customerLocked(strings.ToLower(r.PathValue("tenantId")))
			if !ok {
				return adminErr(http.StatusNotFound, "tenantId", "no customer "+r.PathValue("tenantId"))
			}
			t := findTransfer(c, r.PathValue("transferId"))
			if t == nil {
				return adminErr(http.StatusNotFound, "transferId", "no transfer "+r.PathValue("transferId")+" for customer "+c.TenantID)
			}
			src, ok := s.sources[t.SourceID]
			if !ok {
				src = &partner{TenantID: t.SourceID, CompanyName: t.SourceName}
			}
			if rep := act(c, t, src, in, now); rep != nil {
				msg := "refused"
				if body, ok := rep.body.(pcErrorBody); ok {
					msg = body.Description
				}
				return adminErr(rep.status, "", msg)
			}
			return jsonReply(http.StatusOK, s.transferViewLocked(c, t))
		})
	}
}

func (s *Sandbox) handleAcceptTransfer(w http.ResponseWriter, r *http.Request) {
	s.adminTransfer(func(c *customer, t *transfer, src *partner, in acceptTransferInput, now time.Time) *reply {
		return s.acceptTransferLocked(c, t, src, in.SubscriptionIDs, now)
	})(w, r)
}

func (s *Sandbox) handleRejectTransfer(w http.ResponseWriter, r *http.Request) {
	s.adminTransfer(func(c *customer, t *transfer, src *partner, _ acceptTransferInput, now time.Time) *reply {
		return s.rejectTransferLocked(c, t, src, now)
	})(w, r)
}

// handleExpireTransfer moves the request's expirationTime to now and expires it, as the clock would.
func (s *Sandbox) handleExpireTransfer(w http.ResponseWriter, r *http.Request) {
	s.adminTransfer(func(_ *customer, t *transfer, _ *partner, _ acceptTransferInput, now time.Time) *reply {
		if rep := pendingLocked(t); rep != nil {
			return rep
		}
		t.Expiration, t.LastModified, t.Status = now, now, transferExpired
		s.dirty = true
		return nil
	})(w, r)
}
