package sandbox

import (
	"time"
)

// state is everything the sandbox remembers. It is serialised as one JSON document to the
// state file, so every field is exported and every map is keyed by a string.
type state struct {
	TokenKey    []byte        `json:"tokenKey"`
	CAKeyPEM    string        `json:"caKeyPem"`
	CACertPEM   string        `json:"caCertPem"`
	SignKeyPEM  string        `json:"signKeyPem"`
	SignCertPEM string        `json:"signCertPem"`
	ClockOffset time.Duration `json:"clockOffset"`
	// Evaluated is the sandbox time up to which lifecycle transitions have been applied.
	Evaluated  time.Time `json:"evaluated"`
	WebhookURL string    `json:"webhookUrl,omitempty"`
	// WebhookURLOption is the Options.WebhookURL of the last start, so that a restart with the same
	// configuration keeps a URL set at runtime (PUT /sandbox/webhook).
	WebhookURLOption string   `json:"webhookUrlOption,omitempty"`
	Settings         settings `json:"settings"`
	Seq              int64    `json:"seq"`

	Partners  map[string]*partner  `json:"partners"`
	Customers map[string]*customer `json:"customers"`
	GDAP      map[string]*gdapRel  `json:"gdap"`
	Audit     []auditRecord        `json:"audit"`
	// Replays maps an idempotency key (tenant, method, path, MS-RequestId) to the response
	// first given, so a retried mutation gets the same answer instead of acting twice.
	Replays     map[string]*savedResponse `json:"replays"`
	ReplayOrder []string                  `json:"replayOrder"`
	Faults      FaultRules                `json:"faults"`
	// Catalog is what the admin API added to or retired in the built-in catalog.
	Catalog catalogChanges `json:"catalog,omitzero"`
	// JournalGen is the generation of the journal lines that continue this snapshot (persist.go).
	JournalGen int64 `json:"journalGen,omitempty"`
}

type settings struct {
	// ProvisioningDelay keeps new subscriptions "pending" this long on the sandbox clock.
	ProvisioningDelay duration `json:"provisioningDelay"`
	// CheckoutDuration is how long (wall clock) a checkout holds its cart "in progress",
	// which makes the 409 800064 answer observable.
	CheckoutDuration duration `json:"checkoutDuration"`
	// RequireGDAPForGraph makes Graph calls into a customer tenant need an active GDAP
	// relationship; by default the sandbox app counts as consented in every customer tenant.
	RequireGDAPForGraph bool `json:"requireGdapForGraph"`
}

type partner struct {
	TenantID    string `json:"tenantId"`
	CompanyName string `json:"companyName"`
	Country     string `json:"country"`
	City        string `json:"city"`
	// State, AddressLine1, PostalCode and Phone complete the legal address; Contact is the primary contact.
	State        string  `json:"state,omitempty"`
	AddressLine1 string  `json:"addressLine1,omitempty"`
	PostalCode   string  `json:"postalCode,omitempty"`
	Phone        string  `json:"phone,omitempty"`
	Contact      contact `json:"contact"`
	MPNID        string  `json:"mpnId"`
	Webhook      *webReg `json:"webhook,omitempty"`
	// LinkFetches counts GET /v1/customers/relationshiprequests calls.
	LinkFetches int `json:"linkFetches"`
}

type webReg struct {
	SubscriberID string   `json:"subscriberId"`
	URL          string   `json:"url"`
	Events       []string `json:"events"`
}

type customer struct {
	TenantID    string `json:"tenantId"`
	Domain      string `json:"domain"`
	CompanyName string `json:"companyName"`
	Country     string `json:"country"`
	City        string `json:"city"`
	// Region, AddressLine1, PostalCode and Phone complete the company address.
	Region       string `json:"region,omitempty"`
	AddressLine1 string `json:"addressLine1,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Scenario     string `json:"scenario,omitempty"`
	// Relationships maps a partner tenant id to the time the customer accepted it.
	Relationships map[string]time.Time `json:"relationships"`
	DirectSigned  bool                 `json:"directSigned"`
	Agreements    []agreement          `json:"agreements"`
	Originals     []*companySub        `json:"originals"`
	CSPSubs       []*cspSub            `json:"cspSubs"`
	Carts         []*cart              `json:"carts"`
	Orders        []*order             `json:"orders"`
	Users         []*user              `json:"users"`
	Groups        []*group             `json:"groups"`
	// Transfers are the partner-to-partner transfer requests made for this customer, oldest first.
	Transfers      []*transfer     `json:"transfers,omitempty"`
	Ledger         customerLedger  `json:"ledger"`
	ShortfallOpen  map[string]bool `json:"shortfallOpen,omitempty"`
	CreatedByAdmin bool            `json:"createdByAdmin,omitempty"`
}

type agreement struct {
	PrimaryContact contact   `json:"primaryContact"`
	DateAgreed     time.Time `json:"dateAgreed"`
	Type           string    `json:"type"`
	AgreementLink  string    `json:"agreementLink"`
	UserID         string    `json:"userId"`
	TemplateID     string    `json:"templateId"`
	PartnerID      string    `json:"partnerId"`
}

type contact struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phoneNumber"`
}

// companySub is a subscription bought outside this sandbox's partners' carts: direct, EA,
// Open, or another CSP partner. It only exists in Graph.
type companySub struct {
	ID                     string     `json:"id"`
	CommerceSubscriptionID string     `json:"commerceSubscriptionId"`
	CreatedDateTime        time.Time  `json:"createdDateTime"`
	SkuID                  string     `json:"skuId"`
	SkuPartNumber          string     `json:"skuPartNumber"`
	TotalLicenses          int        `json:"totalLicenses"`
	Status                 string     `json:"status"`
	NextLifecycle          *time.Time `json:"nextLifecycleDateTime"`
	OwnerTenantID          string     `json:"ownerTenantId,omitempty"`
	AutoRenew              bool       `json:"autoRenew"`
	Term                   string     `json:"term"`
	IsTrial                bool       `json:"isTrial"`
	Renewals               int        `json:"renewals"`
	// BillingCycle is how the owner is billed for the term (monthly or annual); a transfer keeps it.
	BillingCycle string `json:"billingCycle,omitempty"`
	// EndedAt is the end of the last term, set when a non-renewing original leaves Enabled.
	EndedAt time.Time `json:"endedAt,omitzero"`
	// TransferBlocked, when set, is the error code a transfer of this original fails with.
	TransferBlocked errorCode `json:"transferBlocked,omitempty"`
	// TransferredTo is the partner a completed transfer moved this original to; from then on the
	// subscription lives on as that partner's cspSub (same ids) and the original is history.
	TransferredTo string    `json:"transferredTo,omitempty"`
	TransferredAt time.Time `json:"transferredAt,omitzero"`
}

type cspSub struct {
	ID                 string    `json:"id"`
	GraphID            string    `json:"graphId"`
	PartnerID          string    `json:"partnerId"`
	OfferID            string    `json:"offerId"`
	OfferName          string    `json:"offerName"`
	FriendlyName       string    `json:"friendlyName"`
	ProductID          string    `json:"productId"`
	SkuIDCatalog       string    `json:"catalogSkuId"`
	GraphSkuID         string    `json:"graphSkuId"`
	SkuPartNumber      string    `json:"skuPartNumber"`
	Quantity           int       `json:"quantity"`
	CreationDate       time.Time `json:"creationDate"`
	EffectiveStartDate time.Time `json:"effectiveStartDate"`
	CommitmentEndDate  time.Time `json:"commitmentEndDate"`
	CancellationUntil  time.Time `json:"cancellationAllowedUntilDate"`
	ActivateAt         time.Time `json:"activateAt"`
	Status             string    `json:"status"`
	AutoRenewEnabled   bool      `json:"autoRenewEnabled"`
	BillingCycle       string    `json:"billingCycle"`
	TermDuration       string    `json:"termDuration"`
	OrderID            string    `json:"orderId"`
	Etag               int       `json:"etag"`
	// TransferID names the transfer that brought this subscription from another partner: nothing was
	// bought, so it is neither a purchase nor seats bought in the ledger.
	TransferID string `json:"transferId,omitempty"`
}

// transfer is a partner-to-partner transfer request (Partner Center's TransferEntity).
type transfer struct {
	ID                 string         `json:"id"`
	Status             string         `json:"status"`
	TransferType       int            `json:"transferType"`
	CustomerName       string         `json:"customerName"`
	CustomerEmailID    string         `json:"customerEmailId"`
	SourceID           string         `json:"sourcePartnerTenantId"`
	SourceName         string         `json:"sourcePartnerName"`
	TargetID           string         `json:"targetPartnerTenantId"`
	TargetName         string         `json:"targetPartnerName"`
	TargetEmailID      string         `json:"targetPartnerEmailId"`
	TargetProductTypes []string       `json:"targetProductTypes,omitempty"`
	Created            time.Time      `json:"createdTime"`
	LastModified       time.Time      `json:"lastModifiedTime"`
	LastModifiedUser   string         `json:"lastModifiedUser"`
	Expiration         time.Time      `json:"expirationTime"`
	Completed          time.Time      `json:"completedTime,omitzero"`
	Lines              []transferLine `json:"lineItems"`
}

// transferLine is one subscription of an accepted transfer and how it went.
type transferLine struct {
	ID             int       `json:"id"`
	SubscriptionID string    `json:"subscriptionId"`
	OriginalID     string    `json:"originalId"`
	SkuID          string    `json:"skuId"`
	SkuPartNumber  string    `json:"skuPartNumber"`
	OfferID        string    `json:"offerId"`
	FriendlyName   string    `json:"friendlyName"`
	Quantity       int       `json:"quantity"`
	BillingCycle   string    `json:"billingCycle"`
	TermDuration   string    `json:"termDuration"`
	Status         string    `json:"status"`
	ErrorCode      errorCode `json:"errorCode,omitempty"`
	ErrorText      string    `json:"errorDescription,omitempty"`
}

type cart struct {
	ID           string     `json:"id"`
	PartnerID    string     `json:"partnerId"`
	Created      time.Time  `json:"creationTimestamp"`
	LastModified time.Time  `json:"lastModifiedTimestamp"`
	Expiration   time.Time  `json:"expirationTimestamp"`
	Status       string     `json:"status"`
	LineItems    []cartLine `json:"lineItems"`
	OrderIDs     []string   `json:"orderIds,omitempty"`
	// Result is the checkout answer, kept so the cart can be inspected later.
	Result      *checkoutResult `json:"result,omitempty"`
	CheckingOut bool            `json:"-"`
}

type cartLine struct {
	ID            int            `json:"id"`
	CatalogItemID string         `json:"catalogItemId"`
	FriendlyName  string         `json:"friendlyName,omitempty"`
	Quantity      int            `json:"quantity"`
	BillingCycle  string         `json:"billingCycle"`
	TermDuration  string         `json:"termDuration,omitempty"`
	CurrencyCode  string         `json:"currencyCode,omitempty"`
	OrderGroup    string         `json:"orderGroup,omitempty"`
	Error         *cartLineError `json:"error,omitempty"`
}

type cartLineError struct {
	ErrorCode        string `json:"errorCode"`
	ErrorDescription string `json:"errorDescription"`
}

type checkoutResult struct {
	Orders      []orderJSON  `json:"orders"`
	OrderErrors []orderError `json:"orderErrors"`
}

type orderError struct {
	OrderGroupID string    `json:"orderGroupId"`
	Code         errorCode `json:"code"`
	Description  string    `json:"description"`
}

type order struct {
	ID           string      `json:"id"`
	PartnerID    string      `json:"partnerId"`
	CartID       string      `json:"cartId"`
	BillingCycle string      `json:"billingCycle"`
	LineItems    []orderLine `json:"lineItems"`
	CreationDate time.Time   `json:"creationDate"`
}

type orderLine struct {
	LineItemNumber int    `json:"lineItemNumber"`
	OfferID        string `json:"offerId"`
	SubscriptionID string `json:"subscriptionId"`
	Quantity       int    `json:"quantity"`
	TermDuration   string `json:"termDuration"`
	// BillingCycle prices the line (per billing period); empty in state files written before it was kept,
	// when the order's applies.
	BillingCycle string `json:"billingCycle,omitempty"`
	FriendlyName string `json:"friendlyName,omitempty"`
}

type user struct {
	ID                string            `json:"id"`
	UserPrincipalName string            `json:"userPrincipalName"`
	DisplayName       string            `json:"displayName"`
	UsageLocation     string            `json:"usageLocation"`
	Licenses          []assignedLicense `json:"licenses"`
	Groups            []string          `json:"groups"`
	LastUpdated       time.Time         `json:"lastUpdated"`
}

type group struct {
	ID          string            `json:"id"`
	DisplayName string            `json:"displayName"`
	Licenses    []assignedLicense `json:"licenses"`
	Created     time.Time         `json:"createdDateTime,omitzero"`
}

type assignedLicense struct {
	SkuID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

type gdapRel struct {
	ID                 string    `json:"id"`
	PartnerID          string    `json:"partnerId"`
	DisplayName        string    `json:"displayName"`
	Duration           string    `json:"duration"`
	Status             string    `json:"status"`
	CustomerTenantID   string    `json:"customerTenantId"`
	CustomerName       string    `json:"customerName"`
	Roles              []string  `json:"roles"`
	AutoExtendDuration string    `json:"autoExtendDuration"`
	Created            time.Time `json:"createdDateTime"`
	LastModified       time.Time `json:"lastModifiedDateTime"`
	Activated          time.Time `json:"activatedDateTime"`
	End                time.Time `json:"endDateTime"`
}

type auditRecord struct {
	ID               string    `json:"id"`
	PartnerID        string    `json:"partnerId"`
	CustomerID       string    `json:"customerId"`
	CustomerName     string    `json:"customerName"`
	OperationType    string    `json:"operationType"`
	OperationStatus  string    `json:"operationStatus"`
	OperationDate    time.Time `json:"operationDate"`
	ResourceType     string    `json:"resourceType"`
	ResourceNewValue string    `json:"resourceNewValue,omitempty"`
}

type savedResponse struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header"`
	Body   []byte            `json:"body"`
}

// customerLedger holds the raw counters behind the Ledger report for one customer.
type customerLedger struct {
	Acceptances            map[string]int   `json:"acceptances"`
	Orders                 int              `json:"orders"`
	PurchaseLines          []purchaseRecord `json:"purchaseLines"`
	DuplicatePurchases     int              `json:"duplicatePurchases"`
	OriginalsCancelled     int              `json:"originalsCancelled"`
	OriginalCancelAttempts int              `json:"originalCancelAttempts"`
	OriginalsRenewed       int              `json:"originalsRenewed"`
	Shortfalls             []Shortfall      `json:"shortfalls"`
	UnlicensedUsers        []UnlicensedUser `json:"unlicensedUsers"`
	WebhooksSent           int              `json:"webhooksSent"`
	WebhooksDropped        int              `json:"webhooksDropped"`
	CSPCancellations       int              `json:"cspCancellations"`
}

type purchaseRecord struct {
	At             time.Time `json:"at"`
	PartnerID      string    `json:"partnerId"`
	OrderID        string    `json:"orderId"`
	SubscriptionID string    `json:"subscriptionId"`
	CatalogItemID  string    `json:"catalogItemId"`
	GraphSkuID     string    `json:"graphSkuId"`
	Quantity       int       `json:"quantity"`
	Duplicate      bool      `json:"duplicate"`
}

// duration is a time.Duration that reads and writes Go duration strings in JSON.
type duration time.Duration
