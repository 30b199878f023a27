package workflows

import (
	"time"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// TransferState is everything a transfer knows beyond its request. It is one serialisable struct so it can
// be carried into the next run on continue-as-new.
type TransferState struct {
	Status csptransfer.TransferStatus `json:"status"`

	Country        string `json:"country,omitempty"`
	PartnerCountry string `json:"partnerCountry,omitempty"`
	Market         string `json:"market,omitempty"`

	Invited             bool      `json:"invited"`
	InvitedAt           time.Time `json:"invitedAt"`
	AdminRelationshipID string    `json:"adminRelationshipId,omitempty"`
	Accepted            bool      `json:"accepted"`
	AdminAccessActive   bool      `json:"adminAccessActive"`
	NextReminderAt      time.Time `json:"nextReminderAt"`
	AgreementAccepted   bool      `json:"agreementAccepted"`
	// PendingVerification carries an acceptance (or admin approval) received but not yet verified into the
	// next run, which verifies it at once.
	PendingVerification bool `json:"pendingVerification,omitempty"`
	// PendingAgreements carries agreement-accepted signals (with their attestations) not yet acted on.
	PendingAgreements []csptransfer.AgreementAccepted `json:"pendingAgreements,omitempty"`

	// Originals are the subscriptions being replaced, from the request or discovery.
	Originals []csptransfer.OriginalSubscription `json:"originals,omitempty"`
	// OriginalIDs maps a source skuId to the originals' subscription ids (for expiry checks).
	OriginalIDs map[string][]string `json:"originalIds,omitempty"`
	// Catalog and targets are the facts the current plan was made from.
	Catalog         []activities.CatalogFacts `json:"catalog,omitempty"`
	OverrideTargets []activities.CatalogOffer `json:"overrideTargets,omitempty"`
	// Mappings are operator choices from set-offer-mapping, merged over the request's overrides.
	Mappings map[string]string `json:"mappings,omitempty"`
	// Planned says lines are final: approved (or needing no approval); buying has begun.
	Planned         bool `json:"planned"`
	ApprovedVersion int  `json:"approvedVersion"`

	// Purchases remembers every cart created, keyed by purchase key, so a retry or a new run never
	// creates a second cart for the same purchase.
	Purchases map[string]Purchase `json:"purchases,omitempty"`
	// Bought lists every new subscription, for abort and the report.
	Bought []activities.ProvisionedSubscription `json:"bought,omitempty"`
	// RemindedExpiries records expiry dates whose renewal reminder was sent (RFC 3339 keys).
	RemindedExpiries map[string]bool `json:"remindedExpiries,omitempty"`
	// Skipped lines no longer wait for their original's expiry.
	Skipped map[int]bool `json:"skipped,omitempty"`
	// PartnerTransfers says plans may move lines by partner-to-partner transfer request; transfers planned
	// before this existed buy every line.
	PartnerTransfers bool `json:"partnerTransfers,omitempty"`
	// TransferKeys are the keys of the lines the transfer request (Status.PartnerTransfer) was made for.
	TransferKeys []string `json:"transferKeys,omitempty"`
	// TransferFallbacks holds, by line key, why a line that could have moved by transfer is bought.
	TransferFallbacks map[string]string `json:"transferFallbacks,omitempty"`
	// TransferReminderAt is when the source partner and the customer are next reminded of the request.
	TransferReminderAt time.Time `json:"transferReminderAt,omitzero"`
	// DataLossAt holds, by line key, the plan version that asked an operator to accept the service plans
	// moving the line's users would switch off; approving that version (or a later one) accepts it.
	DataLossAt map[string]int `json:"dataLossAt,omitempty"`
	// PendingTransferCheck carries a partner-transfer-updated signal not yet acted on into the next run.
	PendingTransferCheck bool `json:"pendingTransferCheck,omitempty"`
	// Quote is the cart Partner Center priced the current plan with; QuoteWhy says why there is none when
	// pricing failed.
	Quote    *Quote `json:"quote,omitempty"`
	QuoteWhy string `json:"quoteWhy,omitempty"`
	// Indexed holds the search attribute values the transfer wrote (by name, as text; empty for removed),
	// so that it writes only what changes.
	Indexed map[string]string `json:"indexed,omitempty"`
}

// Purchase is one cart: created once, checked out idempotently.
type Purchase struct {
	RequestID string    `json:"requestId"`
	CartID    string    `json:"cartId,omitempty"`
	Lines     []int     `json:"lines"`
	Done      bool      `json:"done"`
	CreatedAt time.Time `json:"createdAt"`
	// FromQuote says CartID is the plan's quote cart; Prices are the cart lines' prices.
	FromQuote bool                    `json:"fromQuote,omitempty"`
	Prices    []activities.PricedLine `json:"prices,omitempty"`
}
