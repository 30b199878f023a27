package csptransfer

import "time"

// AwaitedThing says what a transfer is waiting on.
type AwaitedThing struct {
	// What is a short sentence, e.g. "customer to accept the reseller relationship".
	What string `json:"what"`
	// Until is when the wait ends by itself (timeout, expiry, next check), if known.
	Until *time.Time `json:"until,omitempty"`
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
}

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
}

// Line is a plan line with its progress.
type Line struct {
	PlanLine
	Progress LineProgress `json:"progress"`
}

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
	LastErrorType string          `json:"lastErrorType,omitempty"`
	Timeline      []TimelineEntry `json:"timeline"`
	StartedAt     time.Time       `json:"startedAt"`
	UpdatedAt     time.Time       `json:"updatedAt"`
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
