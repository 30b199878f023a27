package csptransfer

import "time"

// RelationshipAccepted is the payload of SignalRelationshipAccepted.
type RelationshipAccepted struct {
	CustomerTenantID string `json:"customerTenantId"`
	// Source is who reported it: webhook, operator, reconciler.
	Source string `json:"source,omitempty"`
}

// AdminAccessApproved is the payload of SignalAdminAccessApproved.
type AdminAccessApproved struct {
	CustomerTenantID string `json:"customerTenantId"`
	RelationshipID   string `json:"relationshipId,omitempty"`
	Source           string `json:"source,omitempty"`
}

// AgreementAccepted is the payload of SignalAgreementAccepted. With an Attestation the partner records the
// customer's acceptance of the Microsoft Customer Agreement; without one the workflow re-checks Partner
// Center for a direct signature.
type AgreementAccepted struct {
	CustomerTenantID string       `json:"customerTenantId"`
	Source           string       `json:"source,omitempty"`
	Attestation      *Attestation `json:"attestation,omitempty"`
}

// Abort is the payload of SignalAbort.
type Abort struct {
	Reason string `json:"reason"`
	// CancelRefundable asks, after purchase, to cancel the new subscriptions still inside their refund window.
	CancelRefundable bool `json:"cancelRefundable,omitempty"`
}

// ApprovePlan is the argument of UpdateApprovePlan.
type ApprovePlan struct {
	// PlanVersion must equal the version the operator reviewed; a stale version is rejected.
	PlanVersion int    `json:"planVersion"`
	Comment     string `json:"comment,omitempty"`
}

// ApprovePlanResult is the result of UpdateApprovePlan.
type ApprovePlanResult struct {
	PlanVersion int   `json:"planVersion"`
	Stage       Stage `json:"stage"`
}

// SetOfferMapping is the argument of UpdateSetOfferMapping.
type SetOfferMapping struct {
	// SourceSku is the original's Graph skuId or skuPartNumber.
	SourceSku string `json:"sourceSku"`
	// TargetCatalogItemID is the catalog item to buy instead ("productId:skuId[:availabilityId]").
	TargetCatalogItemID string `json:"targetCatalogItemId"`
}

// SetOfferMappingResult is the result of UpdateSetOfferMapping.
type SetOfferMappingResult struct {
	PlanVersion int `json:"planVersion"`
}

// NoRefundAcknowledgement is the exact sentence skip-expiry-wait requires.
const NoRefundAcknowledgement = "I understand that no refund is due"

// SkipExpiryWait is the argument of UpdateSkipExpiryWait.
type SkipExpiryWait struct {
	// SourceSku limits the skip to one original; empty means all.
	SourceSku string `json:"sourceSku,omitempty"`
	// Acknowledgement must equal NoRefundAcknowledgement.
	Acknowledgement string `json:"acknowledgement"`
	Reason          string `json:"reason,omitempty"`
}

// SkipExpiryWaitResult is the result of UpdateSkipExpiryWait.
type SkipExpiryWaitResult struct {
	Skipped int `json:"skipped"`
}

// PartnerTransferUpdated is the payload of SignalPartnerTransferUpdated.
type PartnerTransferUpdated struct {
	CustomerTenantID string `json:"customerTenantId"`
	// TransferID is the Partner Center transfer id the event named, if any.
	TransferID string `json:"transferId,omitempty"`
	// Event is the Partner Center event name, e.g. complete-transfer.
	Event  string `json:"event,omitempty"`
	Source string `json:"source,omitempty"`
}

// CancelTransfer is the argument of UpdateCancelTransfer.
type CancelTransfer struct {
	// TransferID, when set, must name the pending request: a stale id is rejected.
	TransferID string `json:"transferId,omitempty"`
	// Reason is recorded in the timeline. Required.
	Reason string `json:"reason"`
}

// CancelTransferResult is the result of UpdateCancelTransfer.
type CancelTransferResult struct {
	TransferID string `json:"transferId"`
	// Status is the request's status at Microsoft after the cancel (a request the source completed first
	// stays Complete, and nothing is bought for its lines).
	Status string `json:"status"`
	// LinesToBuy counts the lines now bought instead.
	LinesToBuy int `json:"linesToBuy"`
}

// Attestation is the partner's record that the customer accepted the Microsoft Customer Agreement.
type Attestation struct {
	FirstName   string    `json:"firstName"`
	LastName    string    `json:"lastName"`
	Email       string    `json:"email"`
	PhoneNumber string    `json:"phoneNumber,omitempty"`
	DateAgreed  time.Time `json:"dateAgreed"`
}
