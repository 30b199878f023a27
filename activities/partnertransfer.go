package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

// RequestPartnerTransferInput asks the source CSP partner to transfer the customer's subscriptions.
type RequestPartnerTransferInput struct {
	PartnerTenantID       string `json:"partnerTenantId"`
	CustomerTenantID      string `json:"customerTenantId"`
	SourcePartnerTenantID string `json:"sourcePartnerTenantId"`
	SourcePartnerName     string `json:"sourcePartnerName,omitempty"`
	// CustomerEmail receives Microsoft's notice of the request; CustomerName is shown in it. Personal data:
	// never logged.
	CustomerEmail string `json:"customerEmail"`
	CustomerName  string `json:"customerName,omitempty"`
	RequestID     string `json:"requestId"`
}

// RequestPartnerTransferResult is the request Partner Center holds.
type RequestPartnerTransferResult struct {
	TransferID string     `json:"transferId"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	// Adopted says a pending request to the same source partner already existed (this activity's own,
	// created before a crash, or one made in Partner Center) and is the one used.
	Adopted bool `json:"adopted,omitempty"`
}

// RequestPartnerTransfer creates the customer's new-commerce transfer request to the source partner, once:
// it looks for a pending request to that partner before creating one, and again when Microsoft answers that
// one is already in progress (900101), so a retry after a lost answer or a crash never makes a second.
func (a *Activities) RequestPartnerTransfer(ctx context.Context, in RequestPartnerTransferInput) (RequestPartnerTransferResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return RequestPartnerTransferResult{}, err
	}
	if !csptransfer.IsGUID(in.SourcePartnerTenantID) || strings.EqualFold(in.SourcePartnerTenantID, p.TenantID) {
		return RequestPartnerTransferResult{}, temporal.NewNonRetryableApplicationError(
			scrub(fmt.Sprintf("sourcePartnerTenantId %s is not another partner's tenant id", csptransfer.Quote(in.SourcePartnerTenantID)), in.CustomerEmail, in.CustomerName),
			ErrTypeInvalidInput, nil)
	}
	if found, ok, err := a.pendingTransfer(ctx, p, in); err != nil || ok {
		return found, err
	}
	created, err := p.PartnerCenter.CreateTransfer(ctx, in.CustomerTenantID, partnercenter.NewTransfer{
		SourcePartnerTenantID: in.SourcePartnerTenantID,
		SourcePartnerName:     in.SourcePartnerName,
		CustomerEmailID:       in.CustomerEmail,
		CustomerName:          in.CustomerName,
		TargetPartnerTenantID: p.TenantID,
		TargetProductTypes:    []string{"OnlineServicesNCE"},
		TransferType:          partnercenter.TransferTypeNewCommerce,
	}, in.RequestID)
	if e, ok := msrest.AsError(err); ok && e.Code == partnercenter.CodeTransferInProgress {
		if found, ok, err := a.pendingTransfer(ctx, p, in); err != nil || ok {
			return found, err
		}
	}
	if err != nil {
		return RequestPartnerTransferResult{}, classify("create the partner transfer request", err, in.CustomerEmail, in.CustomerName)
	}
	return transferResult(created, false), nil
}

// pendingTransfer finds a pending request of this partner to the same source partner for the customer.
func (a *Activities) pendingTransfer(ctx context.Context, p Partner, in RequestPartnerTransferInput) (RequestPartnerTransferResult, bool, error) {
	all, err := p.PartnerCenter.Transfers(ctx, in.CustomerTenantID)
	if err != nil {
		return RequestPartnerTransferResult{}, false, classify("list the customer's transfer requests", err, in.CustomerEmail, in.CustomerName)
	}
	for _, t := range all {
		target := t.TargetPartnerTenantID
		if target == "" {
			target = t.PartnerTenantID
		}
		if t.Outcome() == partnercenter.TransferPending && strings.EqualFold(t.SourcePartnerTenantID, in.SourcePartnerTenantID) &&
			(target == "" || strings.EqualFold(target, p.TenantID)) {
			return transferResult(t, true), true, nil
		}
	}
	return RequestPartnerTransferResult{}, false, nil
}

func transferResult(t partnercenter.Transfer, adopted bool) RequestPartnerTransferResult {
	res := RequestPartnerTransferResult{TransferID: t.ID, Status: t.Status, CreatedAt: t.CreatedTime.UTC(), Adopted: adopted}
	if !t.ExpirationTime.IsZero() {
		at := t.ExpirationTime.UTC()
		res.ExpiresAt = &at
	}
	return res
}

// TransferLineRef is one plan line a transfer request is for.
type TransferLineRef struct {
	Line int `json:"line"`
	// CatalogItemID is the offer the line keeps ("productId:skuId[:availabilityId]").
	CatalogItemID   string    `json:"catalogItemId"`
	Quantity        int       `json:"quantity"`
	ExpiresAt       time.Time `json:"expiresAt"`
	SubscriptionIDs []string  `json:"subscriptionIds,omitempty"`
}

// CheckPartnerTransferInput reads a transfer request and, once it is complete, verifies its lines.
type CheckPartnerTransferInput struct {
	PartnerTenantID  string            `json:"partnerTenantId"`
	CustomerTenantID string            `json:"customerTenantId"`
	TransferID       string            `json:"transferId"`
	Lines            []TransferLineRef `json:"lines"`
}

// The states of a line once its transfer request is complete.
const (
	// TransferLineTransferred: the subscription is verified under this partner.
	TransferLineTransferred = "transferred"
	// TransferLineFailed: Microsoft reports the line failed.
	TransferLineFailed = "failed"
	// TransferLineLeftOut: the source partner did not include it.
	TransferLineLeftOut = "leftOut"
	// TransferLineUnverified: Microsoft reports it transferred, but this partner's subscriptions do not show
	// it (yet). Never a reason to buy.
	TransferLineUnverified = "unverified"
)

// TransferLineOutcome is what became of one line.
type TransferLineOutcome struct {
	Line  int    `json:"line"`
	State string `json:"state"`
	// SubscriptionID is the subscription under this partner, TermEndsAt its term end.
	SubscriptionID string     `json:"subscriptionId,omitempty"`
	TermEndsAt     *time.Time `json:"termEndsAt,omitempty"`
	Reason         string     `json:"reason,omitempty"`
}

// CheckPartnerTransferResult is a transfer request as read now.
type CheckPartnerTransferResult struct {
	// Status is Microsoft's word; Outcome its meaning (csptransfer.PartnerTransfer*).
	Status    string                            `json:"status"`
	Outcome   string                            `json:"outcome"`
	ExpiresAt *time.Time                        `json:"expiresAt,omitempty"`
	Items     []csptransfer.PartnerTransferItem `json:"items,omitempty"`
	// Lines are set once the request is complete.
	Lines []TransferLineOutcome `json:"lines,omitempty"`
}

// CheckPartnerTransfer reads the transfer request. Once it is complete it matches Microsoft's line items to
// the plan lines and verifies each transferred line among this partner's subscriptions of the customer:
// same offer, same seats, the term end kept. It changes nothing.
func (a *Activities) CheckPartnerTransfer(ctx context.Context, in CheckPartnerTransferInput) (CheckPartnerTransferResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CheckPartnerTransferResult{}, err
	}
	t, err := p.PartnerCenter.Transfer(ctx, in.CustomerTenantID, in.TransferID)
	if err != nil {
		return CheckPartnerTransferResult{}, classify("read the partner transfer request", err)
	}
	res := CheckPartnerTransferResult{Status: t.Status, Outcome: outcomeOf(t.Outcome())}
	if !t.ExpirationTime.IsZero() {
		at := t.ExpirationTime.UTC()
		res.ExpiresAt = &at
	}
	items := flattenItems(t.LineItems)
	for _, it := range items {
		code, desc, _ := it.Failed()
		res.Items = append(res.Items, csptransfer.PartnerTransferItem{
			SubscriptionID: it.SubscriptionID, OfferID: it.OfferID, Quantity: it.Quantity, Status: it.Status,
			ErrorCode: string(code), Error: csptransfer.Truncate(desc, 300),
		})
	}
	for _, e := range t.TransferErrors {
		res.Items = append(res.Items, csptransfer.PartnerTransferItem{Status: "Failed", ErrorCode: string(e.Code), Error: csptransfer.Truncate(e.Description, 300)})
	}
	if res.Outcome != csptransfer.PartnerTransferComplete {
		return res, nil
	}
	subs, err := p.PartnerCenter.Subscriptions(ctx, in.CustomerTenantID)
	if err != nil {
		return CheckPartnerTransferResult{}, classify("list the customer's subscriptions", err)
	}
	used := map[string]bool{}
	byID := itemsByID(in.Lines, items)
	for _, l := range in.Lines {
		res.Lines = append(res.Lines, verifyLine(l, byID, items, t.TransferErrors, subs, used))
	}
	return res, nil
}

// itemsByID marks the line items some line names by subscription id: those are not matched by offer to
// another line.
func itemsByID(lines []TransferLineRef, items []partnercenter.TransferLineItem) map[int]bool {
	out := map[int]bool{}
	for i, it := range items {
		for _, l := range lines {
			if matchesID(it, l) {
				out[i] = true
			}
		}
	}
	return out
}

func outcomeOf(o partnercenter.TransferOutcome) string {
	switch o {
	case partnercenter.TransferComplete:
		return csptransfer.PartnerTransferComplete
	case partnercenter.TransferExpired:
		return csptransfer.PartnerTransferExpired
	case partnercenter.TransferCancelled:
		return csptransfer.PartnerTransferCancelled
	case partnercenter.TransferRejected:
		return csptransfer.PartnerTransferRejected
	}
	// Pending, and any status word Microsoft may add: keep waiting rather than act on a guess.
	return csptransfer.PartnerTransferPending
}

// flattenItems lists line items with their add-ons.
func flattenItems(items []partnercenter.TransferLineItem) []partnercenter.TransferLineItem {
	var out []partnercenter.TransferLineItem
	for _, it := range items {
		out = append(out, it)
		out = append(out, flattenItems(it.AddonItems)...)
	}
	return out
}

// verifyLine decides what became of one plan line of a complete request. Line items are matched by the
// originals' subscription ids, else by offer; a transferred line is confirmed only by a subscription of the
// same offer under this partner.
func verifyLine(l TransferLineRef, byID map[int]bool, items []partnercenter.TransferLineItem, errs []partnercenter.TransferError, subs []partnercenter.Subscription, used map[string]bool) TransferLineOutcome {
	out := TransferLineOutcome{Line: l.Line}
	var mine []partnercenter.TransferLineItem
	for _, it := range items {
		if matchesID(it, l) {
			mine = append(mine, it)
		}
	}
	if len(mine) == 0 {
		// The ids the line knows may be Graph's, not Partner Center's: match by offer among the items no
		// line named.
		for i, it := range items {
			if !byID[i] && sameOffer(it.OfferID, l.CatalogItemID) {
				mine = append(mine, it)
			}
		}
	}
	for _, e := range errs {
		for _, it := range e.LineItems {
			if matchesID(it, l) || (len(mine) == 0 && sameOffer(it.OfferID, l.CatalogItemID)) {
				out.State, out.Reason = TransferLineFailed, fmt.Sprintf("Microsoft reported %s %s", e.Code, csptransfer.Truncate(e.Description, 200))
				return out
			}
		}
	}
	if len(mine) == 0 {
		out.State, out.Reason = TransferLineLeftOut, "the source partner did not include it in the transfer"
		return out
	}
	for _, it := range mine {
		if code, desc, failed := it.Failed(); failed {
			out.State, out.Reason = TransferLineFailed, strings.TrimSpace(fmt.Sprintf("Microsoft reported %s %s", code, csptransfer.Truncate(desc, 200)))
			return out
		}
	}
	ids := map[string]bool{}
	for _, id := range l.SubscriptionIDs {
		ids[strings.ToLower(id)] = true
	}
	for _, it := range mine {
		ids[strings.ToLower(it.SubscriptionID)] = true
	}
	var found *partnercenter.Subscription
	for i := range subs {
		s := &subs[i]
		if used[s.ID] || !sameOffer(s.OfferID, l.CatalogItemID) || !activeStatus(s.Status) {
			continue
		}
		if ids[strings.ToLower(s.ID)] {
			found = s
			break
		}
		if found == nil && s.Quantity == l.Quantity {
			found = s
		}
	}
	if found == nil {
		out.State, out.Reason = TransferLineUnverified, "Microsoft reports the transfer complete, but no active subscription of this offer is listed under this partner yet"
		return out
	}
	used[found.ID] = true
	out.State, out.SubscriptionID = TransferLineTransferred, found.ID
	if !found.CommitmentEndDate.IsZero() {
		end := found.CommitmentEndDate.UTC()
		out.TermEndsAt = &end
		if d := end.Sub(l.ExpiresAt); d > 48*time.Hour || d < -48*time.Hour {
			out.Reason = fmt.Sprintf("the term now ends %s, not %s as the original did", end.Format("2006-01-02"), l.ExpiresAt.UTC().Format("2006-01-02"))
		}
	}
	if found.Quantity != l.Quantity {
		out.Reason = strings.TrimPrefix(out.Reason+fmt.Sprintf("; %d seats under this partner, %d planned", found.Quantity, l.Quantity), "; ")
	}
	return out
}

func matchesID(it partnercenter.TransferLineItem, l TransferLineRef) bool {
	for _, id := range l.SubscriptionIDs {
		if id != "" && (strings.EqualFold(id, it.SubscriptionID) || strings.EqualFold(id, it.SourceSubscriptionID)) {
			return true
		}
	}
	return false
}

// sameOffer compares offer ids by product and SKU: Partner Center writes them with or without the
// availability.
func sameOffer(a, b string) bool {
	pa, pb := strings.Split(a, ":"), strings.Split(b, ":")
	return len(pa) >= 2 && len(pb) >= 2 && strings.EqualFold(pa[0], pb[0]) && strings.EqualFold(pa[1], pb[1])
}

func activeStatus(s string) bool {
	return s == "" || strings.EqualFold(s, "active")
}

// CancelPartnerTransferInput withdraws a pending transfer request.
type CancelPartnerTransferInput struct {
	PartnerTenantID  string `json:"partnerTenantId"`
	CustomerTenantID string `json:"customerTenantId"`
	TransferID       string `json:"transferId"`
	RequestID        string `json:"requestId"`
}

// CancelPartnerTransferResult is the request after the cancel.
type CancelPartnerTransferResult struct {
	Status  string `json:"status"`
	Outcome string `json:"outcome"`
}

// CancelPartnerTransfer withdraws the request. A request that is no longer pending is not an error: its
// status is returned (a request the source completed first stays complete), so a retry after a lost
// answer sees the cancel it made.
func (a *Activities) CancelPartnerTransfer(ctx context.Context, in CancelPartnerTransferInput) (CancelPartnerTransferResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CancelPartnerTransferResult{}, err
	}
	t, err := p.PartnerCenter.CancelTransfer(ctx, in.CustomerTenantID, in.TransferID, in.RequestID)
	if err == nil {
		return CancelPartnerTransferResult{Status: t.Status, Outcome: cancelledUnlessSaid(t)}, nil
	}
	var e *msrest.Error
	if !errors.As(err, &e) || e.Retryable || e.StatusCode == 429 {
		return CancelPartnerTransferResult{}, classify("cancel the partner transfer request", err)
	}
	// Refused: read where it stands.
	t, rerr := p.PartnerCenter.Transfer(ctx, in.CustomerTenantID, in.TransferID)
	if rerr != nil {
		return CancelPartnerTransferResult{}, classify("read the partner transfer request", rerr)
	}
	if t.Outcome() == partnercenter.TransferPending {
		return CancelPartnerTransferResult{}, classify("cancel the partner transfer request", err)
	}
	return CancelPartnerTransferResult{Status: t.Status, Outcome: outcomeOf(t.Outcome())}, nil
}

// cancelledUnlessSaid reads the answer to a cancel: Microsoft's stored status after a cancel is
// UNCONFIRMED, so an answer still saying pending counts as cancelled.
func cancelledUnlessSaid(t partnercenter.Transfer) string {
	if o := outcomeOf(t.Outcome()); o != csptransfer.PartnerTransferPending {
		return o
	}
	return csptransfer.PartnerTransferCancelled
}
