package csptransfer

import "time"

// ProvisioningMode says when new subscriptions are bought.
type ProvisioningMode string

const (
	// ProvisionImmediately buys every line as soon as the plan is approved (the default).
	ProvisionImmediately ProvisioningMode = "immediately"
	// ProvisionBeforeExpiry buys each line at its original's expiry minus the lead time, to cut double billing.
	ProvisionBeforeExpiry ProvisioningMode = "beforeExpiry"
)

// Provisioning chooses when lines are bought.
type Provisioning struct {
	// Optional: immediately or beforeExpiry.
	// default: immediately
	Mode ProvisioningMode `json:"mode,omitempty"`
	// LeadTime is how long before the original's expiry a line is bought in beforeExpiry mode.
	// Optional; default: 7 days.
	LeadTime Duration `json:"leadTime,omitempty"`
}

// ApprovalPolicy says when an operator must approve the plan.
type ApprovalPolicy string

const (
	// ApprovalAuto asks for approval only when a line changes offer (the default).
	ApprovalAuto ApprovalPolicy = "auto"
	// ApprovalAlways asks for approval of every plan.
	ApprovalAlways ApprovalPolicy = "always"
	// ApprovalNever never waits for approval.
	ApprovalNever ApprovalPolicy = "never"
)

// TransferRequest starts a transfer. It is the single JSON payload the Temporal UI start form, the CLI and
// the onboarding API send.
type TransferRequest struct {
	// CustomerTenantID is the customer's Microsoft Entra tenant id (a GUID). Required.
	CustomerTenantID string `json:"customerTenantId"`
	// CustomerDomain is the customer's primary domain, e.g. contoso.onmicrosoft.com. Required.
	CustomerDomain string `json:"customerDomain"`
	// CustomerName is shown to operators. Optional; it is personal data and never indexed.
	CustomerName string `json:"customerName,omitempty"`
	// ContactEmail receives the invitation and reminders. Optional.
	ContactEmail string `json:"contactEmail,omitempty"`
	// Country is the customer's billing country (ISO 3166-1 alpha-2). Optional: looked up when empty.
	Country string `json:"country,omitempty"`
	// Subscriptions lists the originals to replace. Optional: discovered through Microsoft Graph when empty.
	Subscriptions []OriginalSubscription `json:"subscriptions,omitempty"`
	// OfferOverrides maps a source SKU (Graph skuId or skuPartNumber) to the target catalog item id
	// ("productId:skuId[:availabilityId]"). Optional.
	OfferOverrides map[string]string `json:"offerOverrides,omitempty"`
	// Provisioning says when lines are bought. Optional.
	Provisioning Provisioning `json:"provisioning,omitempty"`
	// Approval says when an operator must approve the plan. Optional; default auto.
	Approval ApprovalPolicy `json:"approval,omitempty"`
	// InvitationTTL is how long the customer has to accept. Optional; default 30 days.
	InvitationTTL Duration `json:"invitationTtl,omitempty"`
	// ReminderEvery is how often the contact is reminded while the transfer waits on the customer.
	// Optional; default 3 days.
	ReminderEvery Duration `json:"reminderEvery,omitempty"`
	// RequestAdminAccess also requests GDAP admin access, needed to read subscriptions and move licenses.
	RequestAdminAccess bool `json:"requestAdminAccess,omitempty"`
	// SourcePartner is the CSP partner the customer leaves, when known. Optional: the originals' owner is read
	// from Microsoft Graph; with it, originals that partner sells move by one partner-to-partner transfer
	// request (contactEmail is then required: Microsoft e-mails the customer the request).
	SourcePartner *SourcePartner `json:"sourcePartner,omitempty"`
	// OriginalPrices gives what the originals cost per seat, by source SKU (Graph skuId or skuPartNumber),
	// so that the plan can state what the overlap costs on the original's side too. Optional: Partner
	// Center does not show another channel's prices; without it that side is shown as unknown.
	OriginalPrices map[string]Price `json:"originalPrices,omitempty"`
}

// SourcePartner names the CSP partner a customer leaves.
type SourcePartner struct {
	// TenantID is the source partner's tenant id (a GUID). Optional: without it the originals' owner in
	// Microsoft Graph is the source.
	TenantID string `json:"tenantId,omitempty"`
	// Name is the source partner's company name, sent with the transfer request and shown to operators.
	Name string `json:"name,omitempty"`
	// Email is the source partner's contact, reminded while the transfer request waits on them. Optional;
	// personal data, never indexed.
	Email string `json:"email,omitempty"`
}

// OriginalSubscription is a subscription bought outside this partner's CSP channel that the transfer replaces.
type OriginalSubscription struct {
	// SkuID is the Graph skuId GUID. One of SkuID and SkuPartNumber is required.
	SkuID string `json:"skuId,omitempty"`
	// SkuPartNumber is the Graph skuPartNumber, e.g. ENTERPRISEPACK.
	SkuPartNumber string `json:"skuPartNumber,omitempty"`
	// Quantity is the number of licenses. At least 1.
	Quantity int `json:"quantity"`
	// ExpiresAt is the end of the original's term. Required.
	ExpiresAt time.Time `json:"expiresAt"`
	// SubscriptionID is the original's Microsoft Graph directory subscription id. Optional: discovery fills
	// it in; with it the original's real state is read by id at its end date.
	SubscriptionID string `json:"subscriptionId,omitempty"`
	// CommerceSubscriptionID is the original's id in Microsoft's commerce system: for an original another
	// CSP partner sells, its Partner Center subscription id, which a transfer request's line items name.
	// Optional: discovery fills it in from Graph.
	CommerceSubscriptionID string `json:"commerceSubscriptionId,omitempty"`
	// OwnerTenantID is the CSP partner tenant that sells the original, empty when it was bought direct or
	// through another channel. Optional: discovery fills it in from Graph.
	OwnerTenantID string `json:"ownerTenantId,omitempty"`
	// PastEnd says discovery found the original already past its end date (Graph status Warning or
	// Suspended): its users are served for a grace period at most, so its line is bought at once and
	// nothing waits for it; ExpiresAt is then when it was found so.
	PastEnd bool `json:"pastEnd,omitempty"`
	// OriginalPrice is what the original costs per seat. Optional; it wins over originalPrices.
	OriginalPrice *Price `json:"originalPrice,omitempty"`
}
