package partnercenter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Time is a Partner Center timestamp. Partner Center writes most dates in
// RFC 3339, but some (an agreement's dateAgreed, for example) without a zone;
// those are read as UTC. null and "" are the zero Time. Microsoft's own
// subscription examples also write "2015-11-25T06: 41: 12Z"; blanks inside a
// date are ignored.
type Time struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02",
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		*t = Time{}
		return nil
	}
	compact := strings.Join(strings.Fields(s), "")
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, compact); err == nil {
			*t = Time{v.UTC()}
			return nil
		}
	}
	return fmt.Errorf("time %q: not an RFC 3339 date", s)
}

// MarshalJSON implements json.Marshaler; the zero Time is written as null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// Code is an error code Partner Center sends either as a JSON string or as a
// number; it is kept as a string.
type Code string

// UnmarshalJSON implements json.Unmarshaler.
func (c *Code) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Code(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("code: %w", err)
	}
	*c = Code(n.String())
	return nil
}

// Attributes is the attributes object every Partner Center resource carries.
type Attributes struct {
	ObjectType string `json:"objectType,omitempty"`
	Etag       string `json:"etag,omitempty"`
}

// Link is a hyperlink between Partner Center resources.
type Link struct {
	URI     string       `json:"uri"`
	Method  string       `json:"method,omitempty"`
	Headers []LinkHeader `json:"headers,omitempty"`
}

// LinkHeader is a header the caller must send when following a Link.
type LinkHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// CollectionLinks holds a collection's paging links.
type CollectionLinks struct {
	Self *Link `json:"self,omitempty"`
	Next *Link `json:"next,omitempty"`
}

// collection is one page of a Partner Center ResourceCollection. A bare JSON
// array is read as a single page too: Microsoft documents some lists (a
// customer's transfers) that way.
type collection[T any] struct {
	TotalCount int             `json:"totalCount"`
	Items      []T             `json:"items"`
	Links      CollectionLinks `json:"links"`
	Attributes Attributes      `json:"attributes"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *collection[T]) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		var items []T
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		*c = collection[T]{TotalCount: len(items), Items: items}
		return nil
	}
	type page collection[T] // without this method
	return json.Unmarshal(b, (*page)(c))
}

// Address is a Partner Center address. Country is ISO 3166-1 alpha-2.
type Address struct {
	Country      string `json:"country"`
	Region       string `json:"region,omitempty"`
	City         string `json:"city,omitempty"`
	State        string `json:"state,omitempty"`
	AddressLine1 string `json:"addressLine1,omitempty"`
	AddressLine2 string `json:"addressLine2,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	PhoneNumber  string `json:"phoneNumber,omitempty"`
}

// Contact is a person Partner Center records (an agreement's signatory, a
// profile's primary contact). It is personal data: never log it.
type Contact struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// LegalBusinessProfile is the partner's legal business profile; its
// address country decides the partner's CSP regional market.
type LegalBusinessProfile struct {
	CompanyName      string     `json:"companyName"`
	Address          Address    `json:"address"`
	PrimaryContact   *Contact   `json:"primaryContact,omitempty"`
	VettingStatus    string     `json:"vettingStatus,omitempty"`
	VettingSubStatus string     `json:"vettingSubStatus,omitempty"`
	Attributes       Attributes `json:"attributes"`
}

// CompanyProfile is a customer's company profile.
type CompanyProfile struct {
	TenantID    string   `json:"tenantId"`
	Domain      string   `json:"domain"`
	CompanyName string   `json:"companyName"`
	Address     *Address `json:"address,omitempty"`
}

// BillingProfile is a customer's billing profile; DefaultAddress.Country is
// the customer's billing country.
type BillingProfile struct {
	ID             string  `json:"id,omitempty"`
	CompanyName    string  `json:"companyName,omitempty"`
	Culture        string  `json:"culture,omitempty"`
	Language       string  `json:"language,omitempty"`
	DefaultAddress Address `json:"defaultAddress"`
}

// Customer relationship values of Customer.RelationshipToPartner.
const (
	RelationshipNone     = "none"
	RelationshipReseller = "reseller"
)

// Customer is a customer of the partner.
type Customer struct {
	ID                    string         `json:"id"`
	CommerceID            string         `json:"commerceId,omitempty"`
	CompanyProfile        CompanyProfile `json:"companyProfile"`
	BillingProfile        BillingProfile `json:"billingProfile"`
	RelationshipToPartner string         `json:"relationshipToPartner"`
	AllowDelegatedAccess  *bool          `json:"allowDelegatedAccess,omitempty"`
	Attributes            Attributes     `json:"attributes"`
}

// Country returns the customer's billing country, falling back to the
// company address when the billing profile has none.
func (c Customer) Country() string {
	if c.BillingProfile.DefaultAddress.Country != "" {
		return c.BillingProfile.DefaultAddress.Country
	}
	if c.CompanyProfile.Address != nil {
		return c.CompanyProfile.Address.Country
	}
	return ""
}

// IsReseller reports whether the customer has accepted a reseller
// relationship with this partner.
func (c Customer) IsReseller() bool {
	return strings.EqualFold(c.RelationshipToPartner, RelationshipReseller)
}

// RelationshipRequest is the partner's reseller invitation.
type RelationshipRequest struct {
	URL        string     `json:"url"`
	Attributes Attributes `json:"attributes"`
}

// AgreementTypeMCA is the Microsoft Customer Agreement type.
const AgreementTypeMCA = "MicrosoftCustomerAgreement"

// Agreement is a customer's acceptance of an agreement. PrimaryContact is
// personal data.
type Agreement struct {
	PrimaryContact Contact    `json:"primaryContact"`
	DateAgreed     Time       `json:"dateAgreed"`
	Type           string     `json:"type"`
	AgreementLink  string     `json:"agreementLink,omitempty"`
	UserID         string     `json:"userId,omitempty"`
	TemplateID     string     `json:"templateId"`
	Attributes     Attributes `json:"attributes,omitempty"`
}

// AgreementMetaData describes an agreement template.
type AgreementMetaData struct {
	TemplateID    string `json:"templateId"`
	AgreementType string `json:"agreementType"`
	AgreementLink string `json:"agreementLink"`
	VersionRank   int    `json:"versionRank"`
}

// ItemType is a product type.
type ItemType struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// Product is a catalog product.
type Product struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	ProductType ItemType   `json:"productType"`
	Attributes  Attributes `json:"attributes"`
}

// Sku is a catalog SKU of a product.
type Sku struct {
	ID                     string   `json:"id"`
	ProductID              string   `json:"productId"`
	Title                  string   `json:"title"`
	Description            string   `json:"description,omitempty"`
	MinimumQuantity        int      `json:"minimumQuantity"`
	MaximumQuantity        int      `json:"maximumQuantity"`
	IsTrial                bool     `json:"isTrial"`
	SupportedBillingCycles []string `json:"supportedBillingCycles,omitempty"`
	PurchasePrerequisites  []string `json:"purchasePrerequisites,omitempty"`
	// DynamicAttributes "can change without notice" (Microsoft); read them
	// through the accessor methods.
	DynamicAttributes map[string]json.RawMessage `json:"dynamicAttributes,omitempty"`
	Attributes        Attributes                 `json:"attributes"`
}

// ProvisioningID returns dynamicAttributes.provisioningId: the Graph skuId
// GUID this catalog SKU provisions, or "".
func (s Sku) ProvisioningID() string {
	var id string
	if raw, ok := s.DynamicAttributes["provisioningId"]; ok {
		_ = json.Unmarshal(raw, &id)
	}
	return id
}

// UpgradeTargetOffers returns dynamicAttributes.upgradeTargetOffers, the
// successor catalog items ("productId:skuId") of a discontinued SKU.
func (s Sku) UpgradeTargetOffers() []string {
	var offers []string
	if raw, ok := s.DynamicAttributes["upgradeTargetOffers"]; ok {
		_ = json.Unmarshal(raw, &offers)
	}
	return offers
}

// Term is a purchasable term of an availability.
type Term struct {
	Duration     string `json:"duration"`
	Description  string `json:"description,omitempty"`
	BillingCycle string `json:"billingCycle,omitempty"`
	// CancellationPolicies say how long after purchase a cancellation is refunded (new commerce).
	CancellationPolicies []CancellationPolicy `json:"cancellationPolicies,omitempty"`
}

// CancellationPolicy is one cancellation policy of a term.
type CancellationPolicy struct {
	RefundOptions []RefundOption `json:"refundOptions,omitempty"`
}

// RefundWindow is the longest refund window the term's policies name (an ISO 8601 duration such as P7D,
// counted from the purchase), or "" when they name none.
func (t Term) RefundWindow() string {
	start := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	best, bestEnd := "", start
	for _, p := range t.CancellationPolicies {
		for _, o := range p.RefundOptions {
			if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(o.ExpiresAfter)), "P") {
				continue // a date-time (the resource table's reading) is no window to count from a purchase
			}
			if end, ok := o.Expiry(start); ok && end.After(bestEnd) {
				best, bestEnd = o.ExpiresAfter, end
			}
		}
	}
	return best
}

// Availability is a purchasable configuration of a SKU in a country. Its
// CatalogItemID goes into a cart line; Microsoft warns the ID may change, so
// resolve it close to checkout.
type Availability struct {
	ID            string     `json:"id"`
	ProductID     string     `json:"productId"`
	SkuID         string     `json:"skuId"`
	CatalogItemID string     `json:"catalogItemId"`
	Segment       string     `json:"segment,omitempty"`
	Country       string     `json:"country"`
	IsPurchasable bool       `json:"isPurchasable"`
	IsRenewable   bool       `json:"isRenewable"`
	Terms         []Term     `json:"terms,omitempty"`
	Attributes    Attributes `json:"attributes"`
}

// Cart statuses.
const (
	CartActive  = "Active"
	CartOrdered = "Ordered"
)

// CartLineItem is one line of a cart.
type CartLineItem struct {
	ID            int                `json:"id"`
	CatalogItemID string             `json:"catalogItemId"`
	FriendlyName  string             `json:"friendlyName,omitempty"`
	Quantity      int                `json:"quantity"`
	CurrencyCode  string             `json:"currencyCode,omitempty"`
	BillingCycle  string             `json:"billingCycle"`
	TermDuration  string             `json:"termDuration,omitempty"`
	OrderGroup    string             `json:"orderGroup,omitempty"`
	Error         *CartLineItemError `json:"error,omitempty"`
	// Pricing is Partner Center's price of the line (new commerce); it is
	// read only and never sent.
	Pricing *Pricing `json:"pricing,omitempty"`
}

// Pricing is the price Partner Center quotes for a cart or order line, in
// the line's currency.
type Pricing struct {
	ListPrice       float64 `json:"listPrice"`
	DiscountedPrice float64 `json:"discountedPrice"`
	ProratedPrice   float64 `json:"proratedPrice"`
	Price           float64 `json:"price"`
	ExtendedPrice   float64 `json:"extendedPrice"`
}

// CartLineItemError is a line-level cart validation error.
type CartLineItemError struct {
	ErrorCode        Code   `json:"errorCode"`
	ErrorDescription string `json:"errorDescription"`
}

// Cart is a shopping cart. Carts expire seven days after creation.
type Cart struct {
	ID                    string         `json:"id,omitempty"`
	CreationTimestamp     Time           `json:"creationTimestamp"`
	LastModifiedTimestamp Time           `json:"lastModifiedTimestamp"`
	ExpirationTimestamp   Time           `json:"expirationTimestamp"`
	LastModifiedUser      string         `json:"lastModifiedUser,omitempty"`
	Status                string         `json:"status,omitempty"`
	LineItems             []CartLineItem `json:"lineItems"`
	Attributes            Attributes     `json:"attributes"`
}

// OrderLineItem is one line of an order.
type OrderLineItem struct {
	LineItemNumber  int    `json:"lineItemNumber"`
	OfferID         string `json:"offerId"`
	SubscriptionID  string `json:"subscriptionId,omitempty"`
	FriendlyName    string `json:"friendlyName,omitempty"`
	Quantity        int    `json:"quantity"`
	TermDuration    string `json:"termDuration,omitempty"`
	TransactionType string `json:"transactionType,omitempty"`
	// Pricing is set on new-commerce orders.
	Pricing *Pricing `json:"pricing,omitempty"`
}

// Order is a purchase.
type Order struct {
	ID                  string          `json:"id"`
	AlternateID         string          `json:"alternateId,omitempty"`
	ReferenceCustomerID string          `json:"referenceCustomerId"`
	BillingCycle        string          `json:"billingCycle"`
	CurrencyCode        string          `json:"currencyCode,omitempty"`
	LineItems           []OrderLineItem `json:"lineItems"`
	Status              string          `json:"status"`
	CreationDate        Time            `json:"creationDate"`
	// TotalPrice is set on new-commerce orders.
	TotalPrice float64    `json:"totalPrice,omitempty"`
	Attributes Attributes `json:"attributes"`
}

// OrderError is an order group of a checkout that failed.
type OrderError struct {
	OrderGroupID string `json:"orderGroupId"`
	Code         Code   `json:"code"`
	Description  string `json:"description"`
}

// CheckoutResult is the outcome of a checkout. It can be partial: some
// order groups become Orders while others fail as OrderErrors.
type CheckoutResult struct {
	Orders      []Order      `json:"orders"`
	OrderErrors []OrderError `json:"orderErrors"`
}

// Subscription statuses (lower case in REST).
const (
	SubscriptionActive    = "active"
	SubscriptionSuspended = "suspended"
	SubscriptionDeleted   = "deleted"
	SubscriptionExpired   = "expired"
	SubscriptionPending   = "pending"
	SubscriptionDisabled  = "disabled"
)

// Subscription is a subscription this partner transacts for the customer.
type Subscription struct {
	ID                           string `json:"id"`
	OfferID                      string `json:"offerId"`
	OfferName                    string `json:"offerName,omitempty"`
	FriendlyName                 string `json:"friendlyName,omitempty"`
	Quantity                     int    `json:"quantity"`
	UnitType                     string `json:"unitType,omitempty"`
	CreationDate                 Time   `json:"creationDate"`
	EffectiveStartDate           Time   `json:"effectiveStartDate"`
	CommitmentEndDate            Time   `json:"commitmentEndDate"`
	CancellationAllowedUntilDate Time   `json:"cancellationAllowedUntilDate"`
	Status                       string `json:"status"`
	AutoRenewEnabled             bool   `json:"autoRenewEnabled"`
	BillingCycle                 string `json:"billingCycle"`
	TermDuration                 string `json:"termDuration,omitempty"`
	IsTrial                      bool   `json:"isTrial,omitempty"`
	OrderID                      string `json:"orderId,omitempty"`
	// RefundOptions is how new commerce publishes the refund window
	// (Microsoft's NCE examples carry it instead of
	// cancellationAllowedUntilDate). Use RefundableUntil rather than either
	// field.
	RefundOptions []RefundOption `json:"refundOptions,omitempty"`
	Attributes    Attributes     `json:"attributes"`
}

// Refund option types.
const (
	RefundFull    = "Full"
	RefundPartial = "Partial"
)

// RefundOption is one refund a subscription (or an availability's
// cancellation policy) allows: until ExpiresAt, or for ExpiresAfter from the
// start of the term. Microsoft's documents disagree on expiresAfter: the
// resource table calls it a UTC date-time, the availability examples show an
// ISO 8601 duration ("P1D"); both are accepted.
type RefundOption struct {
	Type         string `json:"type"`
	ExpiresAt    Time   `json:"expiresAt"`
	ExpiresAfter string `json:"expiresAfter,omitempty"`
	SequenceID   *int   `json:"sequenceId,omitempty"`
}

// Expiry returns when the option expires; start is the beginning of the
// term an ExpiresAfter duration counts from. ok is false when the option
// names no usable expiry.
func (o RefundOption) Expiry(start time.Time) (time.Time, bool) {
	if !o.ExpiresAt.IsZero() {
		return o.ExpiresAt.Time, true
	}
	after := strings.TrimSpace(o.ExpiresAfter)
	if after == "" {
		return time.Time{}, false
	}
	var at Time
	if err := at.UnmarshalJSON([]byte(strconvQuote(after))); err == nil && !at.IsZero() {
		return at.Time, true
	}
	if start.IsZero() {
		return time.Time{}, false
	}
	end, err := addISODuration(start, after)
	if err != nil {
		return time.Time{}, false
	}
	return end, true
}

// RefundableUntil returns the end of the window in which cancelling the
// subscription is refunded: cancellationAllowedUntilDate when Partner
// Center sends it, otherwise the latest expiry among refundOptions (an
// expiresAfter duration counted from creationDate, or effectiveStartDate
// when there is no creationDate). ok is false when the subscription states
// no refund window at all.
func (s Subscription) RefundableUntil() (time.Time, bool) {
	if !s.CancellationAllowedUntilDate.IsZero() {
		return s.CancellationAllowedUntilDate.Time, true
	}
	start := s.CreationDate.Time
	if start.IsZero() {
		start = s.EffectiveStartDate.Time
	}
	var latest time.Time
	for _, o := range s.RefundOptions {
		if end, ok := o.Expiry(start); ok && end.After(latest) {
			latest = end
		}
	}
	return latest, !latest.IsZero()
}

// Provisioning statuses.
const (
	ProvisioningSuccess = "success"
	ProvisioningPending = "pending"
	ProvisioningFailed  = "failed"
)

// ProvisioningStatus tells whether a purchased subscription is provisioned
// in the customer tenant. SkuID is the Graph skuId GUID.
type ProvisioningStatus struct {
	SkuID    string `json:"skuId"`
	Status   string `json:"status"`
	Quantity int    `json:"quantity"`
	EndDate  Time   `json:"endDate"`
}

// ProductSku identifies a license SKU in SubscribedSku.
type ProductSku struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	SkuPartNumber  string `json:"skuPartNumber"`
	TargetType     string `json:"targetType,omitempty"`
	LicenseGroupID string `json:"licenseGroupId,omitempty"`
}

// ServicePlan is a service plan of a SubscribedSku.
type ServicePlan struct {
	ID               string `json:"id"`
	DisplayName      string `json:"displayName"`
	ServiceName      string `json:"serviceName"`
	CapabilityStatus string `json:"capabilityStatus"`
	TargetType       string `json:"targetType,omitempty"`
}

// SubscribedSku is a license pool in the customer tenant, whatever channel
// bought it.
type SubscribedSku struct {
	AvailableUnits   int           `json:"availableUnits"`
	ActiveUnits      int           `json:"activeUnits"`
	ConsumedUnits    int           `json:"consumedUnits"`
	SuspendedUnits   int           `json:"suspendedUnits"`
	TotalUnits       int           `json:"totalUnits"`
	WarningUnits     int           `json:"warningUnits"`
	ProductSku       ProductSku    `json:"productSku"`
	ServicePlans     []ServicePlan `json:"servicePlans"`
	Status           string        `json:"status"`
	CapabilityStatus string        `json:"capabilityStatus"`
}
