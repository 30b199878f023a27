package activities

import (
	"time"

	"github.com/csptransfer/csptransfer"
)

// Error types of the non-retryable application errors activities return. Workflows branch on them with
// errors.As and (*temporal.ApplicationError).Type(); retry policies list them by these names, never by Go
// type names.
const (
	// ErrTypeInvalidInput: the activity was called with input it cannot act on.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeCountryUnknown: the customer's country was not given and could not be looked up.
	ErrTypeCountryUnknown = "CountryUnknown"
	// ErrTypeRegionMismatch: no configured partner tenant is in the customer's CSP regional market.
	ErrTypeRegionMismatch = "RegionMismatch"
	// ErrTypeNotFound: Partner Center or Graph does not know the resource.
	ErrTypeNotFound = "NotFound"
	// ErrTypeAgreementMissing: the Microsoft Customer Agreement is not accepted (Partner Center 13605).
	ErrTypeAgreementMissing = "AgreementMissing"
	// ErrTypeNoRelationship: the partner has no reseller relationship with the customer (Partner Center 20002).
	ErrTypeNoRelationship = "NoRelationship"
	// ErrTypeOfferUnavailable: the offer cannot be bought for this customer (2091, 800070, 800004, 2085).
	ErrTypeOfferUnavailable = "OfferUnavailable"
	// ErrTypeQuantityOutOfRange: the seat count is outside the offer's limits (2002, 800088).
	ErrTypeQuantityOutOfRange = "QuantityOutOfRange"
	// ErrTypeBusiness: any other business rejection by Partner Center or Graph; retrying will not help.
	ErrTypeBusiness = "BusinessError"
	// ErrTypeUnauthorized: credentials or admin access are missing or insufficient.
	ErrTypeUnauthorized = "Unauthorized"
	// ErrTypeNotYet: the thing polled for has not happened yet; retried on the activity's schedule.
	ErrTypeNotYet = "NotYet"
	// ErrTypeThrottled: Partner Center answered 429; retried after its Retry-After.
	ErrTypeThrottled = "Throttled"
	// ErrTypeNotCancellable: a subscription is not ours or is past its refund window.
	ErrTypeNotCancellable = "NotCancellable"

	// Retryable types, named so that operators and metrics can tell them apart.

	// ErrTypeTransient: Microsoft answered with a temporary failure and a Retry-After; retried after it.
	ErrTypeTransient = "Transient"
	// ErrTypeAppUserAccessLost: Entra refused the App+User refresh token; retried until an operator sets a
	// new one (PARTNER_CENTER_REFRESH_TOKEN or the token file).
	ErrTypeAppUserAccessLost = "AppUserAccessLost"
	// ErrTypeLicenseMoveRejected: Graph refused a license change (e.g. CountViolation while new seats are
	// not yet counted); retried with backoff while the status shows the error.
	ErrTypeLicenseMoveRejected = "LicenseMoveRejected"
	// ErrTypeDataLossRisk: moving the users would switch off service plans they use; an operator must
	// accept it (the error's details are a DataLossRisk).
	ErrTypeDataLossRisk = "DataLossRisk"
)

// SelectPartnerInput asks which partner tenant transacts for a customer.
type SelectPartnerInput struct {
	CustomerTenantID string `json:"customerTenantId"`
	// Country is the customer's billing country as given; empty means look it up.
	Country string `json:"country,omitempty"`
}

// SelectPartnerResult names the partner tenant in the customer's regional market.
type SelectPartnerResult struct {
	PartnerTenantID string `json:"partnerTenantId"`
	PartnerCountry  string `json:"partnerCountry"`
	CustomerCountry string `json:"customerCountry"`
	// Market is the CSP regional market both are in.
	Market string `json:"market"`
}

// InviteInput asks for the reseller-relationship invitation (and optionally GDAP admin access).
type InviteInput struct {
	PartnerTenantID  string `json:"partnerTenantId"`
	CustomerTenantID string `json:"customerTenantId"`
	CustomerDomain   string `json:"customerDomain"`
	CustomerName     string `json:"customerName,omitempty"`
	// ContactEmail receives the invitation; empty means operators forward the link themselves.
	ContactEmail       string `json:"contactEmail,omitempty"`
	RequestAdminAccess bool   `json:"requestAdminAccess,omitempty"`
	// Reference identifies the transfer in messages and makes a repeated notification recognisable.
	Reference string `json:"reference"`
	// RequestID is the step's MS-RequestId (csptransfer.RequestID); the GDAP calls derive theirs from it.
	RequestID string `json:"requestId,omitempty"`
}

// InviteResult is what the customer was sent.
type InviteResult struct {
	InvitationURL string `json:"invitationUrl"`
	// AdminRelationshipID is the GDAP relationship requested, when admin access was asked for.
	AdminRelationshipID string `json:"adminRelationshipId,omitempty"`
	AdminApprovalURL    string `json:"adminApprovalUrl,omitempty"`
	Notified            bool   `json:"notified"`
}

// CheckRelationshipInput asks Partner Center whether the customer accepted.
type CheckRelationshipInput struct {
	PartnerTenantID  string `json:"partnerTenantId"`
	CustomerTenantID string `json:"customerTenantId"`
	// AdminRelationshipID, when set, is checked too.
	AdminRelationshipID string `json:"adminRelationshipId,omitempty"`
}

// CheckRelationshipResult is what Partner Center says.
type CheckRelationshipResult struct {
	// Accepted is true once the customer is this partner's reseller customer.
	Accepted bool `json:"accepted"`
	// AdminAccessActive is true once the GDAP relationship is active.
	AdminAccessActive bool `json:"adminAccessActive"`
	// AdminAccessStatus is Graph's status of the GDAP relationship (created, approvalPending, active, ...).
	AdminAccessStatus string `json:"adminAccessStatus,omitempty"`
}

// NotifyInput is a message to the customer's contact.
type NotifyInput struct {
	// Kind is invitation-reminder, renewal-reminder, agreement-reminder or completed.
	Kind      string `json:"kind"`
	To        string `json:"to,omitempty"`
	Reference string `json:"reference"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

// NotifyResult says whether the message left.
type NotifyResult struct {
	Sent bool `json:"sent"`
}

// EnsureAgreementInput checks (and, with an attestation, records) the customer agreement.
type EnsureAgreementInput struct {
	PartnerTenantID  string                   `json:"partnerTenantId"`
	CustomerTenantID string                   `json:"customerTenantId"`
	Attestation      *csptransfer.Attestation `json:"attestation,omitempty"`
	// RequestID is the step's MS-RequestId; recording the attestation derives its own from it.
	RequestID string `json:"requestId,omitempty"`
}

// EnsureAgreementResult says whether purchases may proceed.
type EnsureAgreementResult struct {
	Accepted bool `json:"accepted"`
	// How is direct-signed, attested or missing.
	How string `json:"how"`
}

// DiscoverInput asks which subscriptions the customer holds.
type DiscoverInput struct {
	PartnerTenantID  string `json:"partnerTenantId"`
	CustomerTenantID string `json:"customerTenantId"`
}

// DiscoverResult lists the customer's originals: the license-based subscriptions bought through another
// channel or another partner, with their directory subscription ids and owners.
type DiscoverResult struct {
	Originals []csptransfer.OriginalSubscription `json:"originals"`
}

// SourceSku names an original SKU to look up in the catalog.
type SourceSku struct {
	SkuID         string `json:"skuId,omitempty"`
	SkuPartNumber string `json:"skuPartNumber,omitempty"`
}

// CatalogInput asks for catalog facts about the originals' SKUs.
type CatalogInput struct {
	PartnerTenantID  string      `json:"partnerTenantId"`
	CustomerTenantID string      `json:"customerTenantId"`
	Country          string      `json:"country"`
	Skus             []SourceSku `json:"skus"`
	// Targets are catalog item ids chosen by operators; their facts are returned too.
	Targets []string `json:"targets,omitempty"`
}

// CatalogResult holds one CatalogFacts per requested SKU, in request order, and the facts of the targets.
type CatalogResult struct {
	Facts   []CatalogFacts `json:"facts"`
	Targets []CatalogOffer `json:"targets,omitempty"`
}

// CartLine is one offer to buy.
type CartLine struct {
	// Line is the plan line index, echoed in results.
	Line          int    `json:"line"`
	CatalogItemID string `json:"catalogItemId"`
	Quantity      int    `json:"quantity"`
	TermDuration  string `json:"termDuration,omitempty"`
	BillingCycle  string `json:"billingCycle,omitempty"`
}

// CreateCartInput creates a cart. RequestID makes a retried create return the same cart.
type CreateCartInput struct {
	PartnerTenantID  string     `json:"partnerTenantId"`
	CustomerTenantID string     `json:"customerTenantId"`
	Lines            []CartLine `json:"lines"`
	RequestID        string     `json:"requestId"`
	// Optional: Country is the customer's country (ISO 3166-1 alpha-2), whose catalog Catalog read; its
	// availabilities then spare reading the customer's. default: the country the worker last saw for the
	// customer (SelectPartner, Catalog), else none: the customer's availabilities are read.
	Country string `json:"country,omitempty"`
}

// CreateCartResult is the cart to check out. A cart never checked out is a quote: its lines carry Partner
// Center's prices.
type CreateCartResult struct {
	CartID    string    `json:"cartId"`
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// Prices are the cart lines' prices, by plan line, for the lines Partner Center priced.
	Prices []PricedLine `json:"prices,omitempty"`
}

// PricedLine is one cart line's price, by plan line.
type PricedLine struct {
	// Line is the plan line index.
	Line  int                   `json:"line"`
	Price csptransfer.LinePrice `json:"price"`
}

// CheckoutInput checks out a cart. Checking out a submitted cart again finds the existing order.
type CheckoutInput struct {
	PartnerTenantID  string     `json:"partnerTenantId"`
	CustomerTenantID string     `json:"customerTenantId"`
	CartID           string     `json:"cartId"`
	Lines            []CartLine `json:"lines"`
	RequestID        string     `json:"requestId"`
}

// LineOutcome is what happened to one cart line.
type LineOutcome struct {
	Line           int    `json:"line"`
	OrderID        string `json:"orderId,omitempty"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	// ErrorCode and ErrorDescription are Partner Center's reason when the line failed.
	ErrorCode        string `json:"errorCode,omitempty"`
	ErrorDescription string `json:"errorDescription,omitempty"`
	// Retryable says whether buying the line again may succeed.
	Retryable bool `json:"retryable,omitempty"`
}

// CheckoutResult reports each line: ordered or failed.
type CheckoutResult struct {
	Lines []LineOutcome `json:"lines"`
}

// AwaitProvisioningInput waits for ordered subscriptions to become active.
type AwaitProvisioningInput struct {
	PartnerTenantID  string   `json:"partnerTenantId"`
	CustomerTenantID string   `json:"customerTenantId"`
	OrderIDs         []string `json:"orderIds"`
}

// ProvisionedSubscription is one active new subscription.
type ProvisionedSubscription struct {
	OrderID                      string    `json:"orderId"`
	SubscriptionID               string    `json:"subscriptionId"`
	OfferID                      string    `json:"offerId"`
	SkuID                        string    `json:"skuId,omitempty"`
	Quantity                     int       `json:"quantity"`
	CancellationAllowedUntilDate time.Time `json:"cancellationAllowedUntilDate"`
}

// AwaitProvisioningResult lists the active subscriptions.
type AwaitProvisioningResult struct {
	Subscriptions []ProvisionedSubscription `json:"subscriptions"`
}

// MoveLicensesInput moves every user (and licensing group) from one SKU to another.
type MoveLicensesInput struct {
	// PartnerTenantID is the partner tenant whose Graph access (GDAP) and call budget the moves use.
	PartnerTenantID  string `json:"partnerTenantId,omitempty"`
	CustomerTenantID string `json:"customerTenantId"`
	FromSkuID        string `json:"fromSkuId"`
	ToSkuID          string `json:"toSkuId"`
	// RequestID is the step's MS-RequestId; each license change derives its own from it and its attempt.
	RequestID string `json:"requestId,omitempty"`
	// AcceptDataLoss moves users even when the new SKU lacks service plans they have enabled: an operator
	// accepted the DataLossRisk reported before.
	AcceptDataLoss bool `json:"acceptDataLoss,omitempty"`
}

// DataLossRisk is what moving a line's users would switch off, as found before anyone is moved.
type DataLossRisk struct {
	// Plans are the service plans (by name) holders have enabled and the new SKU lacks.
	Plans []string `json:"plans"`
	// Users and Groups count the holders (direct users and licensing groups) who would lose one.
	Users  int `json:"users"`
	Groups int `json:"groups"`
	// HolderIDs are their directory object ids (never names or addresses), for the operator to look up.
	HolderIDs []string `json:"holderIds,omitempty"`
}

// MoveLicensesResult counts what moved and what is left.
type MoveLicensesResult struct {
	// UsersMoved counts users whose own license moved; MembersMoved those licensed only through a group
	// that moved.
	UsersMoved   int `json:"usersMoved"`
	MembersMoved int `json:"membersMoved,omitempty"`
	GroupsMoved  int `json:"groupsMoved"`
	// Remaining is the number of users still holding the old SKU afterwards (should be 0).
	Remaining int `json:"remaining"`
}

// MoveLicensesProgress is heartbeated so a retried attempt resumes where the last one stopped.
type MoveLicensesProgress struct {
	UsersMoved   int      `json:"usersMoved"`
	MembersMoved int      `json:"membersMoved,omitempty"`
	GroupsMoved  int      `json:"groupsMoved"`
	Done         []string `json:"done,omitempty"`
}

// CheckOriginalInput reads an original's real state at its expiry.
type CheckOriginalInput struct {
	// PartnerTenantID is the partner tenant whose Graph access and call budget the read uses.
	PartnerTenantID  string `json:"partnerTenantId,omitempty"`
	CustomerTenantID string `json:"customerTenantId"`
	// SubscriptionIDs are the Graph subscription ids of the originals of this SKU, when known.
	SubscriptionIDs []string  `json:"subscriptionIds,omitempty"`
	SkuID           string    `json:"skuId"`
	ExpiresAt       time.Time `json:"expiresAt"`
}

// Original states reported by CheckOriginal.
const (
	OriginalActive  = "active"
	OriginalExpired = "expired"
	OriginalRenewed = "renewed"
)

// CheckOriginalResult is the original's state; NextLifecycleAt is its new end date when renewed.
type CheckOriginalResult struct {
	State           string     `json:"state"`
	NextLifecycleAt *time.Time `json:"nextLifecycleAt,omitempty"`
}

// CancelInput cancels new subscriptions still inside their refund window.
type CancelInput struct {
	PartnerTenantID  string   `json:"partnerTenantId"`
	CustomerTenantID string   `json:"customerTenantId"`
	SubscriptionIDs  []string `json:"subscriptionIds"`
	// RequestID is the step's MS-RequestId; each cancellation derives its own from it.
	RequestID string `json:"requestId,omitempty"`
}

// CancelResult says which were cancelled and which were kept, and why.
type CancelResult struct {
	Cancelled []string          `json:"cancelled"`
	Kept      map[string]string `json:"kept,omitempty"`
}
