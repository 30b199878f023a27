package csptransfer

import "time"

// AwaitedThing says what a transfer is waiting on.
type AwaitedThing struct {
	// What is a short sentence, e.g. "customer to accept the reseller relationship".
	What string `json:"what"`
	// Until is when the transfer next acts by itself (a reminder, a re-check, a deadline), if known; the
	// same instant as the CspNextActionAt search attribute.
	Until *time.Time `json:"until,omitempty"`
	// Next says what the transfer does at Until, e.g. "remind the customer".
	Next string `json:"next,omitempty"`
}

// PlanLine is one original subscription and what replaces it.
type PlanLine struct {
	SourceSkuID         string    `json:"sourceSkuId"`
	SourceSkuPartNumber string    `json:"sourceSkuPartNumber,omitempty"`
	TargetCatalogItemID string    `json:"targetCatalogItemId,omitempty"`
	TargetSkuID         string    `json:"targetSkuId,omitempty"`
	TargetTitle         string    `json:"targetTitle,omitempty"`
	Quantity            int       `json:"quantity"`
	SameOffer           bool      `json:"sameOffer"`
	ReassignmentNeeded  bool      `json:"reassignmentNeeded"`
	OriginalExpiresAt   time.Time `json:"originalExpiresAt"`
	// Notes explain the choice and state risks, e.g. service plans the target lacks (possible data loss).
	Notes []string `json:"notes,omitempty"`
	// Unresolved is set when no target offer is known and an operator must choose one (set-offer-mapping).
	Unresolved bool `json:"unresolved,omitempty"`
	// Method is how the line moves: transfer (a partner-to-partner transfer request: nothing bought, no
	// overlap) or buy (buy the offer and let the original expire). Empty in plans made before transfers
	// existed, which buy.
	Method LineMethod `json:"method,omitempty"`
	// MethodReason says why the line moves that way.
	MethodReason string `json:"methodReason,omitempty"`
	// SourcePartnerTenantID is the CSP partner that sells the originals, empty when they were bought
	// outside CSP.
	SourcePartnerTenantID string `json:"sourcePartnerTenantId,omitempty"`
	// SourceSubscriptionIDs are the originals' subscription ids, when known.
	SourceSubscriptionIDs []string `json:"sourceSubscriptionIds,omitempty"`
	// Price is Partner Center's quote for the line's new subscription (a cart priced when the plan was
	// made); nil for a transfer line, or when Partner Center gave no price (MoneyView.Why says why).
	Price *LinePrice `json:"price,omitempty"`
	// OriginalPrice is the original's price per seat, when the request gave it (originalPrices).
	OriginalPrice *Price `json:"originalPrice,omitempty"`
	// Overlap is, for a line to buy, the days both the original and the new subscription will run with the
	// chosen provisioning, and their cost; a transfer line has none (0 days).
	Overlap *Overlap `json:"overlap,omitempty"`
	// RefundBy is when the new subscription stops being refundable if bought as planned (the quoted
	// refund window after the planned purchase).
	RefundBy *time.Time `json:"refundBy,omitempty"`
}

// LineMethod is how a plan line moves.
type LineMethod string

const (
	// MethodTransfer moves the originals with a partner-to-partner transfer request.
	MethodTransfer LineMethod = "transfer"
	// MethodBuy buys the offer and lets the originals expire.
	MethodBuy LineMethod = "buy"
)

// Transfers says the line moves by partner-to-partner transfer.
func (l PlanLine) Transfers() bool { return l.Method == MethodTransfer }

// LineProgress is how far one plan line has come.
type LineProgress struct {
	ProvisionAt    *time.Time `json:"provisionAt,omitempty"`
	Ordered        bool       `json:"ordered"`
	OrderID        string     `json:"orderId,omitempty"`
	SubscriptionID string     `json:"subscriptionId,omitempty"`
	Provisioned    bool       `json:"provisioned"`
	UsersToMove    int        `json:"usersToMove,omitempty"`
	UsersMoved     int        `json:"usersMoved,omitempty"`
	// Moved is set once every user of a substituted line holds the new SKU.
	Moved bool `json:"moved,omitempty"`
	// OriginalState is active, expired or renewed.
	OriginalState string     `json:"originalState,omitempty"`
	RenewedUntil  *time.Time `json:"renewedUntil,omitempty"`
	// CheckAt is when the original is checked again after it was found still active.
	CheckAt  *time.Time `json:"checkAt,omitempty"`
	Attempts int        `json:"attempts,omitempty"`
	Error    string     `json:"error,omitempty"`
	// ExpiryWaitSkipped says an operator ended the wait for the original (skip-expiry-wait).
	ExpiryWaitSkipped bool `json:"expiryWaitSkipped,omitempty"`
	// Transferred is set once a transfer line's subscriptions are verified under this partner;
	// SubscriptionID is then the subscription at this partner and TermEndsAt its term end.
	Transferred bool       `json:"transferred,omitempty"`
	TermEndsAt  *time.Time `json:"termEndsAt,omitempty"`
	// OrderedAt is when the line was bought, and Price what the checked-out cart priced it at.
	OrderedAt *time.Time `json:"orderedAt,omitempty"`
	Price     *LinePrice `json:"price,omitempty"`
	// Overlap is the overlap as bought: from OrderedAt to the original's end (later when it renewed).
	Overlap *Overlap `json:"overlap,omitempty"`
	// RefundableUntil is the end of the new subscription's refund window, as Partner Center reports it.
	RefundableUntil *time.Time `json:"refundableUntil,omitempty"`
	// Refund is what cancelling the new subscription (abort with cancelRefundable) is expected to return.
	Refund *Money `json:"refund,omitempty"`
}

// Line is a plan line with its progress.
type Line struct {
	PlanLine
	Progress LineProgress `json:"progress"`
}

// Bought says the line was ordered: its price and overlap are then Progress's, as bought.
func (l Line) Bought() bool { return l.Progress.Ordered || l.Progress.OrderedAt != nil }

// TimelineEntry records a stage change.
type TimelineEntry struct {
	Stage Stage     `json:"stage"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
}

// TransferStatus is the answer to the status query: where a transfer stands and why.
type TransferStatus struct {
	CustomerTenantID string        `json:"customerTenantId"`
	CustomerDomain   string        `json:"customerDomain"`
	PartnerTenantID  string        `json:"partnerTenantId,omitempty"`
	Stage            Stage         `json:"stage"`
	Awaiting         *AwaitedThing `json:"awaiting,omitempty"`
	InvitationURL    string        `json:"invitationUrl,omitempty"`
	// AdminRelationshipID and AdminApprovalURL identify the GDAP request when admin access was asked for.
	AdminRelationshipID string `json:"adminRelationshipId,omitempty"`
	AdminApprovalURL    string `json:"adminApprovalUrl,omitempty"`
	PlanVersion         int    `json:"planVersion"`
	Lines               []Line `json:"lines,omitempty"`
	LastError           string `json:"lastError,omitempty"`
	// LastErrorType is the error type of a failed transfer (RegionMismatch, InvalidRequest, ...), for
	// scripts; LastError is the sentence for people.
	LastErrorType string `json:"lastErrorType,omitempty"`
	// PartnerTransfer is the partner-to-partner transfer request, once one is made.
	PartnerTransfer *PartnerTransferStatus `json:"partnerTransfer,omitempty"`
	// Money is what the plan costs and what is at stake, per currency, and the cheapest safe timing.
	Money     *MoneyView      `json:"money,omitempty"`
	Timeline  []TimelineEntry `json:"timeline"`
	StartedAt time.Time       `json:"startedAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// TransferReport is the workflow's result.
type TransferReport struct {
	TransferStatus
	// Outcome is Completed, Failed or Aborted.
	Outcome Stage `json:"outcome"`
	// Reason explains a Failed or Aborted outcome.
	Reason      string    `json:"reason,omitempty"`
	CompletedAt time.Time `json:"completedAt"`
}

// TargetTitleOrID names a line's target for messages.
func (l PlanLine) TargetTitleOrID() string {
	if l.TargetTitle != "" {
		return l.TargetTitle
	}
	return l.TargetCatalogItemID
}

// SourceName names a line's original SKU for messages: its part number when known, else its skuId.
func (l PlanLine) SourceName() string {
	if l.SourceSkuPartNumber != "" {
		return l.SourceSkuPartNumber
	}
	return l.SourceSkuID
}

// The outcome of a partner-to-partner transfer request as the transfer sees it.
const (
	PartnerTransferPending   = "pending"
	PartnerTransferComplete  = "complete"
	PartnerTransferExpired   = "expired"
	PartnerTransferCancelled = "cancelled"
	PartnerTransferRejected  = "rejected"
)

// PartnerTransferStatus is the partner-to-partner transfer request of a transfer: what the source partner
// has to act on, and what came of it.
type PartnerTransferStatus struct {
	// ID is Partner Center's transfer id.
	ID string `json:"id"`
	// Status is Microsoft's status as last read (InProgress, Complete, Expired, ...).
	Status string `json:"status"`
	// Outcome is pending, complete, expired, cancelled or rejected.
	Outcome               string `json:"outcome"`
	SourcePartnerTenantID string `json:"sourcePartnerTenantId"`
	SourcePartnerName     string `json:"sourcePartnerName,omitempty"`
	// Lines are the plan lines (indexes into lines) the request is for.
	Lines     []int      `json:"lines"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	CheckedAt *time.Time `json:"checkedAt,omitempty"`
	// NextCheckAt is when Partner Center is read again (sooner when a webhook arrives).
	NextCheckAt *time.Time `json:"nextCheckAt,omitempty"`
	Checks      int        `json:"checks"`
	// Items are the line items Microsoft reports, with per-line errors.
	Items []PartnerTransferItem `json:"items,omitempty"`
	Error string                `json:"error,omitempty"`
}

// PartnerTransferItem is one line item of a transfer request as Microsoft reports it.
type PartnerTransferItem struct {
	SubscriptionID string `json:"subscriptionId,omitempty"`
	OfferID        string `json:"offerId,omitempty"`
	Quantity       int    `json:"quantity,omitempty"`
	Status         string `json:"status,omitempty"`
	ErrorCode      string `json:"errorCode,omitempty"`
	Error          string `json:"error,omitempty"`
}
