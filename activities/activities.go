package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/singleflight"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/notify"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
	"github.com/csptransfer/csptransfer/internal/region"
)

// Partner is one partner tenant that transacts, with its clients. An organisation has one per CSP
// regional market it sells in.
type Partner struct {
	TenantID      string
	PartnerCenter *partnercenter.Client
	// Graph calls the partner's GDAP endpoints and, with the partner's app, the customers' directories.
	Graph *graph.Client
}

// Activities holds the clients every activity uses. The worker builds it once and registers it; no
// activity builds a client of its own.
type Activities struct {
	Partners []Partner
	Notifier notify.Notifier
	// Optional: Now is the clock. default: time.Now
	Now func() time.Time

	countries sync.Map // partner tenant id → legal business country
	profiles  singleflight.Group
	catalogs  catalogCache
	links     linkCache
	// customerCountries remember each customer's country (SelectPartner, Catalog), so CreateCart finds
	// the catalog read for it.
	customerCountries customerCache[string]
	// skus are the SKUs Discover found in a customer's directory, for Catalog.
	skus customerCache[tenantSkus]
	// directories are the directory subscriptions CheckOriginal read, for the customer's next original.
	directories customerCache[[]graph.CompanySubscription]
}

// customerCountryTTL is how long a customer's country is remembered: it does not change during a transfer.
const customerCountryTTL = 24 * time.Hour

// GDAP roles requested with admin access: enough to read subscriptions and move licenses, nothing more.
var gdapRoles = []graph.UnifiedRole{
	{RoleDefinitionID: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"}, // Directory Readers
	{RoleDefinitionID: "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}, // License Administrator
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) partner(tenantID string) (Partner, error) {
	if tenantID == "" && len(a.Partners) > 0 {
		// Only activities scheduled by workflow code older than the partner tenant in every input get
		// here; that code used the first partner tenant.
		return a.Partners[0], nil
	}
	for _, p := range a.Partners {
		if strings.EqualFold(p.TenantID, tenantID) {
			return p, nil
		}
	}
	return Partner{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("partner tenant %s is not configured on this worker", tenantID), ErrTypeInvalidInput, nil)
}

// requestID is the MS-RequestId of one call of a step whose id the workflow gave (csptransfer.RequestID),
// so every attempt of the call sends the same id and Microsoft recognises a retry. Activities scheduled by
// workflow code older than these ids carry none; they keep the id their earlier attempts sent, derived
// from their run.
func requestID(ctx context.Context, step, call string) string {
	if step == "" {
		info := activity.GetInfo(ctx)
		return uuid.NewSHA1(uuid.NameSpaceURL, []byte(info.WorkflowExecution.ID+"/"+info.WorkflowExecution.RunID+"/"+call)).String()
	}
	return csptransfer.RequestID(step, call)
}

// attemptRequestID is requestID for one attempt: Microsoft asks for a new MS-RequestId once a call got an
// answer, so a retry after a rejection is evaluated afresh instead of replaying the rejection.
func attemptRequestID(ctx context.Context, step, call string) string {
	info := activity.GetInfo(ctx)
	return requestID(ctx, step, fmt.Sprintf("%s/%s/attempt-%d", call, info.ActivityID, info.Attempt))
}

// licenseMoveFailed keeps a rejected license change retryable: right after a purchase Graph may not count
// the new seats yet (CountViolation), and failing a months-long transfer for that would be worse than
// retrying with backoff while the UI shows the error.
// known is the personal data of the user or group changed (see scrub); Graph's answer may name the user.
func licenseMoveFailed(what string, err error, known ...string) error {
	if e, ok := msrest.AsError(err); ok && e.StatusCode == http.StatusTooManyRequests {
		return classify(what, err, known...)
	}
	safe := redact(err, known...)
	return temporal.NewApplicationErrorWithOptions(what+": "+safe.Error(), ErrTypeLicenseMoveRejected, temporal.ApplicationErrorOptions{Cause: safe})
}

// SelectPartner picks the partner tenant in the customer's CSP regional market. The customer's country
// is the one given, or the billing country Partner Center knows when the customer already has a
// relationship with one of the partner tenants.
//
// Returns ErrTypeRegionMismatch (non-retryable) when no partner tenant is in the customer's market, and
// ErrTypeCountryUnknown when the country was not given and cannot be looked up.
func (a *Activities) SelectPartner(ctx context.Context, in SelectPartnerInput) (SelectPartnerResult, error) {
	if len(a.Partners) == 0 {
		return SelectPartnerResult{}, temporal.NewNonRetryableApplicationError("no partner tenant is configured", ErrTypeInvalidInput, nil)
	}
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if country == "" {
		c, err := a.lookupCountry(ctx, in.CustomerTenantID)
		if err != nil {
			return SelectPartnerResult{}, err
		}
		country = c
	}
	partners := make([]region.Partner, 0, len(a.Partners))
	var described []string
	for _, p := range a.Partners {
		c, err := a.partnerCountry(ctx, p)
		if err != nil {
			return SelectPartnerResult{}, err
		}
		partners = append(partners, region.Partner{TenantID: p.TenantID, Country: c})
		m, _ := region.Of(c)
		described = append(described, fmt.Sprintf("%s (%s, %s)", p.TenantID, c, m.Name))
	}
	chosen, err := region.PickPartner(partners, country)
	if err != nil {
		switch {
		case errors.Is(err, region.ErrNoPartnerForMarket):
			m, _ := region.Of(country)
			return SelectPartnerResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("region mismatch: the customer's country %s is in the %s market, and no configured partner tenant sells there: %s",
					country, m.Name, strings.Join(described, "; ")), ErrTypeRegionMismatch, err)
		case errors.Is(err, region.ErrUnknownCountry):
			return SelectPartnerResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidInput, err)
		}
		return SelectPartnerResult{}, err
	}
	m, _ := region.Of(country)
	a.customerCountries.put(chosen.TenantID, in.CustomerTenantID, country, a.now())
	return SelectPartnerResult{PartnerTenantID: chosen.TenantID, PartnerCountry: chosen.Country, CustomerCountry: country, Market: m.Name}, nil
}

func (a *Activities) partnerCountry(ctx context.Context, p Partner) (string, error) {
	if c, ok := a.countries.Load(p.TenantID); ok {
		return c.(string), nil
	}
	// Transfers started together share one read of the profile.
	v, err, _ := a.profiles.Do(p.TenantID, func() (any, error) {
		if c, ok := a.countries.Load(p.TenantID); ok {
			return c.(string), nil
		}
		prof, err := p.PartnerCenter.LegalBusinessProfile(ctx)
		if err != nil {
			return "", err
		}
		c := strings.ToUpper(prof.Address.Country)
		a.countries.Store(p.TenantID, c)
		return c, nil
	})
	if err != nil {
		return "", classify(fmt.Sprintf("legal business profile of partner %s", p.TenantID), err)
	}
	return v.(string), nil
}

func (a *Activities) lookupCountry(ctx context.Context, customerTenantID string) (string, error) {
	for _, p := range a.Partners {
		cust, err := p.PartnerCenter.Customer(ctx, customerTenantID)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return "", classify("customer", err)
		}
		if c := cust.BillingProfile.DefaultAddress.Country; c != "" {
			return strings.ToUpper(c), nil
		}
		if cust.CompanyProfile.Address != nil && cust.CompanyProfile.Address.Country != "" {
			return strings.ToUpper(cust.CompanyProfile.Address.Country), nil
		}
	}
	return "", temporal.NewNonRetryableApplicationError(
		"country: the customer's billing country is not known to Partner Center yet; give it in the request (ISO 3166-1 alpha-2, e.g. \"DE\")",
		ErrTypeCountryUnknown, nil)
}

// Invite fetches the partner's reseller-relationship link, requests GDAP admin access when asked (locked
// for the customer's approval), and sends both links to the contact.
//
// It does three side effects in one activity, so a retry repeats them all. It stays registered only for
// transfers whose history already scheduled it; newer transfers use InvitationLink, RequestAdminAccess,
// LockAdminAccess and Notify.
func (a *Activities) Invite(ctx context.Context, in InviteInput) (InviteResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return InviteResult{}, err
	}
	link, err := p.PartnerCenter.RelationshipRequestLink(ctx)
	if err != nil {
		return InviteResult{}, classify("relationship request link", err, in.ContactEmail, in.CustomerName)
	}
	res := InviteResult{InvitationURL: link}
	if in.RequestAdminAccess {
		rel, err := p.Graph.CreateDelegatedAdminRelationship(ctx, graph.DelegatedAdminRelationship{
			DisplayName:   "csptransfer-" + strings.ToLower(in.CustomerTenantID),
			Duration:      "P730D",
			Customer:      graph.RelationshipCustomer{TenantID: in.CustomerTenantID},
			AccessDetails: graph.AccessDetails{UnifiedRoles: gdapRoles},
		}, requestID(ctx, in.RequestID, "gdap-create"))
		if err != nil {
			return InviteResult{}, classify("GDAP relationship", err, in.ContactEmail, in.CustomerName)
		}
		if _, err := p.Graph.LockForApproval(ctx, rel.ID, requestID(ctx, in.RequestID, "gdap-lock")); err != nil {
			return InviteResult{}, classify("GDAP approval request", err, in.ContactEmail, in.CustomerName)
		}
		res.AdminRelationshipID = rel.ID
		res.AdminApprovalURL = p.Graph.ApprovalURL(rel.ID)
	}
	if in.ContactEmail != "" && a.Notifier != nil {
		body := fmt.Sprintf("To move your subscriptions to us without interruption, please accept our reseller relationship:\n\n%s\n", link)
		if res.AdminApprovalURL != "" {
			body += fmt.Sprintf("\nand approve the admin access we need to move your users' licenses:\n\n%s\n", res.AdminApprovalURL)
		}
		err := a.Notifier.Notify(ctx, notify.Message{Kind: "invitation", To: in.ContactEmail, Reference: in.Reference,
			Subject: "Please accept our reseller relationship", Body: body})
		if err != nil {
			return InviteResult{}, classifyNotify(err, in.ContactEmail, in.CustomerName)
		}
		res.Notified = true
	}
	return res, nil
}

// CheckRelationship asks Partner Center whether the customer is now this partner's reseller customer,
// and Graph whether the GDAP relationship is active.
func (a *Activities) CheckRelationship(ctx context.Context, in CheckRelationshipInput) (CheckRelationshipResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CheckRelationshipResult{}, err
	}
	var res CheckRelationshipResult
	cust, err := p.PartnerCenter.Customer(ctx, in.CustomerTenantID)
	switch {
	case err == nil:
		res.Accepted = cust.IsReseller()
	case isNotFound(err):
	default:
		return CheckRelationshipResult{}, classify("customer", err)
	}
	if in.AdminRelationshipID != "" {
		rel, err := p.Graph.DelegatedAdminRelationship(ctx, in.AdminRelationshipID)
		if err != nil {
			return CheckRelationshipResult{}, classify("GDAP relationship", err)
		}
		res.AdminAccessStatus = rel.Status
		res.AdminAccessActive = strings.EqualFold(rel.Status, "active")
	}
	return res, nil
}

// Notify sends a message to the customer's contact.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	if a.Notifier == nil || in.To == "" {
		return NotifyResult{}, nil
	}
	err := a.Notifier.Notify(ctx, notify.Message{Kind: in.Kind, To: in.To, Reference: in.Reference, Subject: in.Subject, Body: in.Body})
	if err != nil {
		return NotifyResult{}, classifyNotify(err, in.To)
	}
	return NotifyResult{Sent: true}, nil
}

// EnsureAgreement reports whether the Microsoft Customer Agreement is in place: signed directly by the
// customer, or attested by the partner. With an attestation and no agreement yet, it records the
// attestation.
func (a *Activities) EnsureAgreement(ctx context.Context, in EnsureAgreementInput) (EnsureAgreementResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return EnsureAgreementResult{}, err
	}
	signed, err := p.PartnerCenter.DirectSignStatus(ctx, in.CustomerTenantID)
	if err != nil {
		return EnsureAgreementResult{}, classify("direct-sign status", err, attestationData(in.Attestation)...)
	}
	if signed {
		return EnsureAgreementResult{Accepted: true, How: "direct-signed"}, nil
	}
	agreements, err := p.PartnerCenter.CustomerAgreements(ctx, in.CustomerTenantID)
	if err != nil {
		return EnsureAgreementResult{}, classify("customer agreements", err, attestationData(in.Attestation)...)
	}
	if len(agreements) > 0 {
		return EnsureAgreementResult{Accepted: true, How: "attested"}, nil
	}
	if in.Attestation == nil {
		return EnsureAgreementResult{How: "missing"}, nil
	}
	meta, err := p.PartnerCenter.AgreementMetadata(ctx)
	if err != nil {
		return EnsureAgreementResult{}, classify("agreement metadata", err, attestationData(in.Attestation)...)
	}
	if len(meta) == 0 {
		return EnsureAgreementResult{}, temporal.NewNonRetryableApplicationError("Partner Center lists no Microsoft Customer Agreement template", ErrTypeBusiness, nil)
	}
	sort.Slice(meta, func(i, j int) bool { return meta[i].VersionRank < meta[j].VersionRank })
	at := in.Attestation
	_, err = p.PartnerCenter.AttestAgreement(ctx, in.CustomerTenantID, partnercenter.Agreement{
		PrimaryContact: partnercenter.Contact{FirstName: at.FirstName, LastName: at.LastName, Email: at.Email, PhoneNumber: at.PhoneNumber},
		DateAgreed:     partnercenter.Time{Time: at.DateAgreed},
		Type:           partnercenter.AgreementTypeMCA,
		TemplateID:     meta[0].TemplateID,
	}, requestID(ctx, in.RequestID, "attest"))
	if err != nil {
		return EnsureAgreementResult{}, classify("agreement attestation", err, attestationData(at)...)
	}
	return EnsureAgreementResult{Accepted: true, How: "attested"}, nil
}

// Discover lists the customer's originals from the directory: the license-based subscriptions bought
// through another channel or partner. Trials and subscriptions this partner already sells are left out.
func (a *Activities) Discover(ctx context.Context, in DiscoverInput) (DiscoverResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return DiscoverResult{}, err
	}
	subs, err := p.Graph.DirectorySubscriptions(ctx, in.CustomerTenantID)
	if err != nil {
		return DiscoverResult{}, classify("directory subscriptions", err)
	}
	// The subscriptions name their SKUs' service plans: Catalog, next, need not read subscribedSkus.
	a.skus.put(p.TenantID, in.CustomerTenantID, tenantSkusFromDirectory(subs), a.now())
	var res DiscoverResult
	for _, s := range subs {
		if s.IsTrial || s.TotalLicenses <= 0 {
			continue
		}
		if strings.EqualFold(s.OwnerTenantID, in.PartnerTenantID) {
			continue // already sold by this partner: not an original
		}
		o := csptransfer.OriginalSubscription{
			SubscriptionID: s.ID, SkuID: strings.ToLower(s.SkuID), SkuPartNumber: s.SkuPartNumber,
			Quantity: s.TotalLicenses, OwnerTenantID: s.OwnerTenantID, CommerceSubscriptionID: strings.ToLower(s.CommerceSubscriptionID),
		}
		switch {
		case s.Status == graph.SubscriptionWarning || s.Status == graph.SubscriptionSuspended:
			// Past its end: Graph's nextLifecycleDateTime is the end of the grace period, not a date to
			// wait for. The same rule as CheckOriginal: it has expired, so it is bought now.
			o.PastEnd, o.ExpiresAt = true, a.now().UTC().Truncate(time.Second)
		case s.Status != graph.SubscriptionEnabled:
			continue // deleted or locked out: nothing left to hand over
		case s.NextLifecycleDateTime == nil:
			return DiscoverResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("subscription %s (%s) has no nextLifecycleDateTime: give the originals with their end dates in the request", s.ID, s.SkuPartNumber),
				ErrTypeBusiness, nil)
		default:
			o.ExpiresAt = s.NextLifecycleDateTime.UTC()
		}
		res.Originals = append(res.Originals, o)
	}
	sort.Slice(res.Originals, func(i, j int) bool { return res.Originals[i].SubscriptionID < res.Originals[j].SubscriptionID })
	return res, nil
}

// Catalog reads, for the customer's country, whether each original SKU can still be bought and which
// offers succeed it, plus the facts of operator-chosen targets.
func (a *Activities) Catalog(ctx context.Context, in CatalogInput) (CatalogResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CatalogResult{}, err
	}
	country := strings.ToUpper(in.Country)
	if country != "" {
		a.customerCountries.put(p.TenantID, in.CustomerTenantID, country, a.now())
	}
	cat, err := a.catalogs.get(ctx, p, country, a.now)
	if err != nil {
		return CatalogResult{}, err
	}
	plans, partNumbers := a.tenantSkus(ctx, p, in.CustomerTenantID)
	var res CatalogResult
	for _, s := range in.Skus {
		skuID := strings.ToLower(s.SkuID)
		if skuID == "" {
			skuID = partNumbers[strings.ToUpper(s.SkuPartNumber)]
		}
		f := CatalogFacts{SourceSkuID: skuID, SourceSkuPartNumber: s.SkuPartNumber, Country: in.Country, SourceServicePlans: plans[skuID]}
		if e, ok := cat.byGraphSku[skuID]; ok {
			offer, err := cat.offer(ctx, p.PartnerCenter, country, e, plans)
			if err != nil {
				return CatalogResult{}, err
			}
			f.SameSku = &offer
			for _, target := range e.sku.UpgradeTargetOffers() {
				if t, ok := cat.byItem[itemKey(target)]; ok {
					o, err := cat.offer(ctx, p.PartnerCenter, country, t, plans)
					if err != nil {
						return CatalogResult{}, err
					}
					f.Successors = append(f.Successors, o)
				}
			}
		}
		res.Facts = append(res.Facts, f)
	}
	for _, target := range in.Targets {
		t, ok := cat.byItem[itemKey(target)]
		if !ok {
			res.Targets = append(res.Targets, CatalogOffer{CatalogItemID: target})
			continue
		}
		o, err := cat.offer(ctx, p.PartnerCenter, country, t, plans)
		if err != nil {
			return CatalogResult{}, err
		}
		res.Targets = append(res.Targets, o)
	}
	return res, nil
}

type catalogEntry struct {
	product partnercenter.Product
	sku     partnercenter.Sku
}

// catalog is one partner tenant's catalog for one country: what every transfer there plans from.
type catalog struct {
	byGraphSku map[string]catalogEntry
	byItem     map[string]catalogEntry // "productid:skuid" (lower case)

	mu      sync.Mutex
	avails  map[string]timed[[]partnercenter.Availability] // "productid:skuid" → its availabilities in the country
	loading singleflight.Group                             // one availability read per item at a time
	readAt  time.Time
	clock   func() time.Time
}

func itemKey(catalogItemID string) string {
	parts := strings.Split(strings.ToLower(catalogItemID), ":")
	if len(parts) >= 2 {
		return parts[0] + ":" + parts[1]
	}
	return strings.ToLower(catalogItemID)
}

// catalogTTL is how long a country's catalog is reused. Offers change rarely; a stale entry can delay
// noticing a retired offer, never buy one: CreateCart takes only purchasable availabilities from it, no
// older than availabilityTTL, and reads the customer's own when the cart is refused.
const catalogTTL = 15 * time.Minute

// availabilityTTL is how old a country's availabilities of an item may be for CreateCart to put them in a
// cart instead of reading the customer's. Microsoft warns that the catalog item id may change and asks to
// resolve it close to checkout: a quarter of an hour is close, next to carts that live for seven days.
const availabilityTTL = 15 * time.Minute

// catalogCache shares catalog reads between transfers: without it, every transfer of a bulk onboarding
// walks the whole catalog (a dozen calls) through the partner tenant's rate limit.
type catalogCache struct {
	mu      sync.Mutex
	entries map[string]*catalog
	loading singleflight.Group
}

func catalogKey(partner, country string) string {
	return strings.ToLower(partner) + "/" + strings.ToUpper(country)
}

// cached returns the partner's catalog for the country when it was read less than catalogTTL ago.
func (c *catalogCache) cached(partner, country string, now time.Time) (*catalog, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cat, ok := c.entries[catalogKey(partner, country)]
	if !ok || now.Sub(cat.readAt) >= catalogTTL || now.Before(cat.readAt) {
		return nil, false
	}
	return cat, true
}

// skuOf is the Graph skuId a catalog item provisions, from any catalog of the partner read lately.
func (c *catalogCache) skuOf(partner, catalogItemID string, now time.Time) (string, bool) {
	prefix := strings.ToLower(partner) + "/"
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, cat := range c.entries {
		if !strings.HasPrefix(k, prefix) || now.Sub(cat.readAt) >= catalogTTL {
			continue
		}
		if e, ok := cat.byItem[itemKey(catalogItemID)]; ok {
			if id := strings.ToLower(e.sku.ProvisioningID()); id != "" {
				return id, true
			}
		}
	}
	return "", false
}

func (c *catalogCache) get(ctx context.Context, p Partner, country string, clock func() time.Time) (*catalog, error) {
	key := catalogKey(p.TenantID, country)
	if cat, ok := c.cached(p.TenantID, country, clock()); ok {
		return cat, nil
	}
	v, err, _ := c.loading.Do(key, func() (any, error) {
		if cat, ok := c.cached(p.TenantID, country, clock()); ok {
			return cat, nil // read by the call this one waited for
		}
		cat, err := readCatalog(ctx, p, country, clock)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.entries == nil {
			c.entries = map[string]*catalog{}
		}
		c.entries[key] = cat
		c.mu.Unlock()
		return cat, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*catalog), nil
}

func readCatalog(ctx context.Context, p Partner, country string, clock func() time.Time) (*catalog, error) {
	cat := &catalog{byGraphSku: map[string]catalogEntry{}, byItem: map[string]catalogEntry{},
		avails: map[string]timed[[]partnercenter.Availability]{}, readAt: clock(), clock: clock}
	products, err := p.PartnerCenter.ProductsInCountry(ctx, country)
	if err != nil {
		return nil, classify("catalog products", err)
	}
	for _, prod := range products {
		skus, err := p.PartnerCenter.SkusInCountry(ctx, country, prod.ID)
		if err != nil {
			return nil, classify("catalog skus of "+prod.ID, err)
		}
		for _, s := range skus {
			e := catalogEntry{product: prod, sku: s}
			if id := strings.ToLower(s.ProvisioningID()); id != "" {
				cat.byGraphSku[id] = e
			}
			cat.byItem[strings.ToLower(prod.ID+":"+s.ID)] = e
		}
	}
	return cat, nil
}

func (c *catalog) offer(ctx context.Context, pc *partnercenter.Client, country string, e catalogEntry, plans map[string][]string) (CatalogOffer, error) {
	o := CatalogOffer{
		CatalogItemID: e.product.ID + ":" + e.sku.ID,
		SkuID:         strings.ToLower(e.sku.ProvisioningID()),
		Title:         e.sku.Title,
		MinQuantity:   e.sku.MinimumQuantity,
		MaxQuantity:   e.sku.MaximumQuantity,
		ServicePlans:  plans[strings.ToLower(e.sku.ProvisioningID())],
	}
	avails, err := c.availabilities(ctx, pc, country, e)
	if err != nil {
		return o, classify("availabilities of "+o.CatalogItemID, err)
	}
	for _, av := range avails {
		if av.IsPurchasable {
			o.Purchasable = true
			break
		}
	}
	return o, nil
}

// availabilities reads an item's availabilities in the country once per catalog: transfers planning at
// the same time share one read.
func (c *catalog) availabilities(ctx context.Context, pc *partnercenter.Client, country string, e catalogEntry) ([]partnercenter.Availability, error) {
	key := itemKey(e.product.ID + ":" + e.sku.ID)
	if av, ok := c.cachedAvailabilities(key); ok {
		return av.v, nil
	}
	v, err, _ := c.loading.Do(key, func() (any, error) {
		if av, ok := c.cachedAvailabilities(key); ok {
			return av.v, nil
		}
		avails, err := pc.AvailabilitiesInCountry(ctx, country, e.product.ID, e.sku.ID)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		c.mu.Lock()
		c.avails[key] = timed[[]partnercenter.Availability]{v: avails, read: c.clock()}
		c.mu.Unlock()
		return avails, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]partnercenter.Availability), nil
}

func (c *catalog) cachedAvailabilities(key string) (timed[[]partnercenter.Availability], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	av, ok := c.avails[key]
	return av, ok
}

// tenantSkus reads the service plans and part numbers of the SKUs the tenant holds. Without admin access
// it returns nothing: planning then states that service plans are unknown.
// When Discover has just read the customer's directory, its subscriptions answer instead.
func (a *Activities) tenantSkus(ctx context.Context, p Partner, customerID string) (map[string][]string, map[string]string) {
	if t, ok := a.skus.get(p.TenantID, customerID, a.now(), tenantSkusTTL); ok {
		return t.plans, t.parts
	}
	skus, err := p.Graph.SubscribedSkus(ctx, customerID)
	if err != nil {
		activity.GetLogger(ctx).Warn("Tenant SKUs not readable; service plans unknown", "Error", err)
		return map[string][]string{}, map[string]string{}
	}
	t := tenantSkusFromSubscribed(skus)
	return t.plans, t.parts
}

// CreateCart creates one cart for the lines, each resolved to a purchasable availability close to
// purchase (Microsoft warns availability ids change). The same RequestID returns the same cart.
func (a *Activities) CreateCart(ctx context.Context, in CreateCartInput) (CreateCartResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CreateCartResult{}, err
	}
	if len(in.Lines) == 0 || in.RequestID == "" {
		return CreateCartResult{}, temporal.NewNonRetryableApplicationError("create cart: lines and requestId are required", ErrTypeInvalidInput, nil)
	}
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if country == "" {
		country, _ = a.customerCountries.get(p.TenantID, in.CustomerTenantID, a.now(), customerCountryTTL)
	}
	resolve := func(fresh bool) ([]partnercenter.CartLineItem, []string, bool, error) {
		items := make([]partnercenter.CartLineItem, 0, len(in.Lines))
		windows := make([]string, 0, len(in.Lines))
		cached := false
		for i, l := range in.Lines {
			item, window, fromCache, err := a.resolveLine(ctx, p, country, in.CustomerTenantID, l, fresh)
			if err != nil {
				return nil, nil, false, err
			}
			cached = cached || fromCache
			item.ID = i
			item.OrderGroup = fmt.Sprint(i)
			items = append(items, item)
			windows = append(windows, window)
		}
		return items, windows, cached, nil
	}
	items, windows, cached, err := resolve(false)
	if err != nil {
		return CreateCartResult{}, err
	}
	cart, err := p.PartnerCenter.CreateCart(ctx, in.CustomerTenantID, items, in.RequestID)
	if err != nil && cached && refusedItem(err) {
		// An availability from the country's catalog was refused (its id changed, or it is not for this
		// customer): resolve every line from the customer's own availabilities and ask again, under a
		// request id of its own (derived, so a retry of this activity asks with the same one).
		if items, windows, _, err = resolve(true); err != nil {
			return CreateCartResult{}, err
		}
		cart, err = p.PartnerCenter.CreateCart(ctx, in.CustomerTenantID, items, requestID(ctx, in.RequestID, "cart-fresh-availabilities"))
	}
	if err != nil {
		return CreateCartResult{}, classify("create cart", err)
	}
	res := CreateCartResult{CartID: cart.ID, ExpiresAt: cart.ExpirationTimestamp.Time, CreatedAt: cart.CreationTimestamp.Time}
	for _, li := range cart.LineItems {
		if li.ID < 0 || li.ID >= len(in.Lines) || li.Pricing == nil {
			continue // a line Partner Center did not price (legacy offers carry no pricing)
		}
		res.Prices = append(res.Prices, PricedLine{Line: in.Lines[li.ID].Line, Price: csptransfer.LinePrice{
			Currency: strings.ToUpper(li.CurrencyCode), UnitPrice: li.Pricing.Price, ListPrice: li.Pricing.ListPrice,
			TermPrice: li.Pricing.ExtendedPrice, Quantity: li.Quantity, BillingCycle: li.BillingCycle,
			TermDuration: li.TermDuration, RefundWindow: windows[li.ID], QuotedAt: cart.CreationTimestamp.Time, CartID: cart.ID,
		}})
	}
	return res, nil
}

// refusedItem says Partner Center refused a cart for what it buys (an offer, an availability, a catalog
// item id), not for the customer or a passing fault.
func refusedItem(err error) bool {
	e, ok := msrest.AsError(err)
	if !ok || e.Retryable || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 {
		return false
	}
	switch errorType(e) {
	case ErrTypeOfferUnavailable, ErrTypeBusiness, ErrTypeNotFound:
		return true
	}
	return false
}

// resolveLine turns a "productId:skuId[:availabilityId]" into a cart line for a purchasable availability,
// preferring a one-year term billed monthly: the usual new-commerce choice for seat-based offers. The
// availabilities are those of the customer's country's catalog when Catalog read them for it less than
// availabilityTTL ago and they are unambiguous (purchasable, commercial segment only); otherwise, and
// always when fresh, the customer's own. fromCache says which.
func (a *Activities) resolveLine(ctx context.Context, p Partner, country, customerID string, l CartLine, fresh bool) (_ partnercenter.CartLineItem, window string, fromCache bool, _ error) {
	parts := strings.Split(l.CatalogItemID, ":")
	if len(parts) < 2 || l.Quantity < 1 {
		return partnercenter.CartLineItem{}, "", false, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("line %d: catalog item %q with quantity %d cannot be bought", l.Line, l.CatalogItemID, l.Quantity), ErrTypeInvalidInput, nil)
	}
	if !fresh && country != "" {
		if avails, ok := a.catalogs.purchasableAvailabilities(p.TenantID, country, l.CatalogItemID, a.now()); ok {
			if item, window, ok := pickAvailability(avails, l); ok {
				return item, window, true, nil
			}
		}
	}
	avails, err := p.PartnerCenter.Availabilities(ctx, customerID, parts[0], parts[1])
	if err != nil {
		return partnercenter.CartLineItem{}, "", false, classify("availabilities of "+l.CatalogItemID, err)
	}
	item, window, ok := pickAvailability(avails, l)
	if !ok {
		return partnercenter.CartLineItem{}, "", false, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s has no purchasable availability for this customer", l.CatalogItemID), ErrTypeOfferUnavailable, nil)
	}
	return item, window, false, nil
}

// purchasableAvailabilities are the country's availabilities of a catalog item that CreateCart may use
// without reading the customer's: read less than availabilityTTL ago, at least one purchasable, and all of
// the commercial segment (a customer-scoped read tells which segment a customer may buy in; the country's
// cannot).
func (c *catalogCache) purchasableAvailabilities(partner, country, catalogItemID string, now time.Time) ([]partnercenter.Availability, bool) {
	cat, ok := c.cached(partner, country, now)
	if !ok {
		return nil, false
	}
	av, ok := cat.cachedAvailabilities(itemKey(catalogItemID))
	if !ok || now.Sub(av.read) >= availabilityTTL || now.Before(av.read) {
		return nil, false
	}
	purchasable := false
	for _, x := range av.v {
		if seg := strings.TrimSpace(x.Segment); seg != "" && !strings.EqualFold(seg, "commercial") {
			return nil, false
		}
		purchasable = purchasable || x.IsPurchasable
	}
	return av.v, purchasable
}

// pickAvailability chooses the purchasable availability and term for a line; ok is false when none is
// purchasable.
func pickAvailability(avails []partnercenter.Availability, l CartLine) (_ partnercenter.CartLineItem, window string, ok bool) {
	var best *partnercenter.Availability
	var term partnercenter.Term
	for i := range avails {
		av := &avails[i]
		if !av.IsPurchasable {
			continue
		}
		for _, t := range av.Terms {
			score := termScore(t, l)
			if best == nil || score > termScore(term, l) {
				best, term = av, t
			}
		}
		if best == nil {
			best = av
		}
	}
	if best == nil {
		return partnercenter.CartLineItem{}, "", false
	}
	billing := term.BillingCycle
	if billing == "" {
		billing = "monthly"
	}
	return partnercenter.CartLineItem{
		CatalogItemID: best.CatalogItemID, Quantity: l.Quantity,
		BillingCycle: billing, TermDuration: term.Duration,
	}, term.RefundWindow(), true
}

func termScore(t partnercenter.Term, l CartLine) int {
	score := 0
	want, cycle := l.TermDuration, l.BillingCycle
	if want == "" {
		want = "P1Y"
	}
	if cycle == "" {
		cycle = "monthly"
	}
	if strings.EqualFold(t.Duration, want) {
		score += 2
	}
	if strings.EqualFold(t.BillingCycle, cycle) {
		score++
	}
	return score
}

// Checkout checks out the cart and reports each line. Checking out a cart that was already submitted (a
// retry after a lost answer) finds the orders it made instead of buying again.
func (a *Activities) Checkout(ctx context.Context, in CheckoutInput) (CheckoutResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CheckoutResult{}, err
	}
	pc := p.PartnerCenter
	var cart *partnercenter.Cart
	readCart := func() error {
		c, err := pc.Cart(ctx, in.CustomerTenantID, in.CartID)
		if err != nil {
			return classify("cart", err)
		}
		cart = &c
		return nil
	}
	// A retry reads the cart first: the attempt whose answer was lost may have ordered it. A first attempt
	// checks out directly; a cart ordered all the same (by an earlier activity) is refused with 800065.
	if activity.GetInfo(ctx).Attempt > 1 {
		if err := readCart(); err != nil {
			return CheckoutResult{}, err
		}
	}
	var res partnercenter.CheckoutResult
	if cart != nil && cart.Status == partnercenter.CartOrdered {
		res, err = a.ordersOfCart(ctx, pc, in.CustomerTenantID, *cart)
	} else {
		res, err = pc.CheckoutCart(ctx, in.CustomerTenantID, in.CartID, in.RequestID)
		if err != nil && codeOf(err) == partnercenter.CodeCartAlreadySubmitted {
			if cart == nil {
				if rerr := readCart(); rerr != nil {
					return CheckoutResult{}, rerr
				}
			}
			res, err = a.ordersOfCart(ctx, pc, in.CustomerTenantID, *cart)
		}
	}
	if err != nil {
		return CheckoutResult{}, classify("checkout", err)
	}
	if cart == nil {
		// Only failed order groups need the cart's lines (their orderGroup). CreateCart numbers the groups
		// by line, so they are known without reading it; a partial failure reads it all the same, to be
		// sure, and falls back on that numbering when the read fails.
		if len(res.OrderErrors) == 0 || readCart() != nil {
			cart = &partnercenter.Cart{LineItems: cartLinesOf(in.Lines)}
		}
	}
	return matchCheckout(in.Lines, *cart, res), nil
}

// cartLinesOf are the cart lines CreateCart made for lines: one order group per line, numbered by line.
func cartLinesOf(lines []CartLine) []partnercenter.CartLineItem {
	out := make([]partnercenter.CartLineItem, len(lines))
	for i, l := range lines {
		out[i] = partnercenter.CartLineItem{ID: i, CatalogItemID: l.CatalogItemID, Quantity: l.Quantity, OrderGroup: fmt.Sprint(i)}
	}
	return out
}

// ordersOfCart finds the orders an ordered cart produced: the customer's orders created after the cart
// whose lines buy the cart's catalog items.
func (a *Activities) ordersOfCart(ctx context.Context, pc *partnercenter.Client, customerID string, cart partnercenter.Cart) (partnercenter.CheckoutResult, error) {
	orders, err := pc.Orders(ctx, customerID)
	if err != nil {
		return partnercenter.CheckoutResult{}, err
	}
	var res partnercenter.CheckoutResult
	for _, o := range orders {
		if o.CreationDate.Before(cart.CreationTimestamp.Time) {
			continue
		}
		for _, li := range o.LineItems {
			if cartHas(cart, li.OfferID) {
				res.Orders = append(res.Orders, o)
				break
			}
		}
	}
	if len(res.Orders) == 0 {
		// Orders can take minutes to be listed after checkout; Temporal retries this activity.
		return res, temporal.NewApplicationErrorWithOptions("the cart is ordered but its orders are not listed yet", ErrTypeNotYet,
			temporal.ApplicationErrorOptions{Category: temporal.ApplicationErrorCategoryBenign})
	}
	return res, nil
}

func cartHas(cart partnercenter.Cart, offerID string) bool {
	for _, li := range cart.LineItems {
		if sameItem(li.CatalogItemID, offerID) {
			return true
		}
	}
	return false
}

// sameItem compares catalog item ids on product and SKU; availability ids change over time.
func sameItem(a, b string) bool { return itemKey(a) == itemKey(b) }

func matchCheckout(lines []CartLine, cart partnercenter.Cart, res partnercenter.CheckoutResult) CheckoutResult {
	var out CheckoutResult
	used := map[string]bool{}
	for i, l := range lines {
		o := LineOutcome{Line: l.Line}
		group := ""
		if i < len(cart.LineItems) {
			group = cart.LineItems[i].OrderGroup
		}
		for _, e := range res.OrderErrors {
			if group != "" && e.OrderGroupID == group {
				o.ErrorCode, o.ErrorDescription = string(e.Code), e.Description
				o.Retryable = retryableOrderError(string(e.Code))
			}
		}
		if o.ErrorCode == "" {
		found:
			for _, ord := range res.Orders {
				for _, li := range ord.LineItems {
					key := ord.ID + "/" + fmt.Sprint(li.LineItemNumber)
					if !used[key] && sameItem(li.OfferID, l.CatalogItemID) {
						used[key] = true
						o.OrderID, o.SubscriptionID = ord.ID, li.SubscriptionID
						break found
					}
				}
			}
			if o.OrderID == "" {
				o.ErrorCode, o.ErrorDescription, o.Retryable = "missing", "the checkout returned no order for this line", true
			}
		}
		out.Lines = append(out.Lines, o)
	}
	return out
}

// retryableOrderError says whether a failed order group may succeed when bought again: Partner Center's
// unexpected and inventory errors may; business rules will not.
func retryableOrderError(code string) bool {
	switch code {
	case "800003", "800005", "800010", "800017", "500":
		return true
	}
	return false
}

// AwaitProvisioning answers once every subscription of the orders is provisioned; until then it fails with
// the benign, retryable NotYet, and Temporal polls it on its retry schedule.
func (a *Activities) AwaitProvisioning(ctx context.Context, in AwaitProvisioningInput) (AwaitProvisioningResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return AwaitProvisioningResult{}, err
	}
	var res AwaitProvisioningResult
	for _, orderID := range in.OrderIDs {
		subs, err := p.PartnerCenter.SubscriptionsByOrder(ctx, in.CustomerTenantID, orderID)
		if err != nil && !isNotFound(err) {
			return AwaitProvisioningResult{}, classify("subscriptions of order "+orderID, err)
		}
		if len(subs) == 0 {
			return AwaitProvisioningResult{}, notYet(fmt.Sprintf("order %s lists no subscriptions yet", orderID))
		}
		for _, s := range subs {
			// A subscription Partner Center lists as active is provisioned: its provisioning status is read
			// only for the Graph skuId, when the catalog read lately does not name it.
			skuID, known := "", false
			if strings.EqualFold(s.Status, partnercenter.SubscriptionActive) {
				skuID, known = a.catalogs.skuOf(p.TenantID, s.OfferID, a.now())
			}
			if !known {
				st, err := p.PartnerCenter.ProvisioningStatus(ctx, in.CustomerTenantID, s.ID)
				if err != nil {
					if isNotFound(err) {
						return AwaitProvisioningResult{}, notYet(fmt.Sprintf("subscription %s has no provisioning status yet", s.ID))
					}
					return AwaitProvisioningResult{}, classify("provisioning status", err)
				}
				switch st.Status {
				case partnercenter.ProvisioningSuccess:
				case partnercenter.ProvisioningFailed:
					return AwaitProvisioningResult{}, temporal.NewNonRetryableApplicationError(
						fmt.Sprintf("provisioning of subscription %s (order %s) failed", s.ID, orderID), ErrTypeBusiness, nil)
				default:
					return AwaitProvisioningResult{}, notYet(fmt.Sprintf("subscription %s is %s", s.ID, st.Status))
				}
				skuID = st.SkuID
			}
			res.Subscriptions = append(res.Subscriptions, ProvisionedSubscription{
				OrderID: orderID, SubscriptionID: s.ID, OfferID: s.OfferID, SkuID: strings.ToLower(skuID),
				Quantity: s.Quantity, CancellationAllowedUntilDate: refundableUntil(s),
			})
		}
	}
	return res, nil
}

// MoveLicenses moves every holder of FromSkuID to ToSkuID, one assignLicense call each that adds the new
// SKU and removes the old (so no one is ever without a license), keeping disabled service plans by name.
// Users licensed through a group are moved by changing the group. Progress is heartbeated; a retried
// attempt skips what is done. It fails (retryably) while anyone still holds the old SKU afterwards.
func (a *Activities) MoveLicenses(ctx context.Context, in MoveLicensesInput) (MoveLicensesResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return MoveLicensesResult{}, err
	}
	g := p.Graph
	if in.FromSkuID == "" || in.ToSkuID == "" {
		return MoveLicensesResult{}, temporal.NewNonRetryableApplicationError("move licenses: fromSkuId and toSkuId are required", ErrTypeInvalidInput, nil)
	}
	var progress MoveLicensesProgress
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &progress)
	}
	done := map[string]bool{}
	for _, id := range progress.Done {
		done[id] = true
	}
	plans, err := a.servicePlans(ctx, g, in)
	if err != nil {
		return MoveLicensesResult{}, err
	}
	planMap := plans.mapping()
	users, err := g.UsersWithSku(ctx, in.CustomerTenantID, in.FromSkuID)
	if err != nil {
		return MoveLicensesResult{}, classify("users holding "+in.FromSkuID, err)
	}
	// group is the old SKU's disabled plans in a licensing group's assignment. A member's license
	// assignment state from the group carries them (Graph copies the group's assignment to its members),
	// so the group is read only when no member's state says, and then once per attempt.
	groups := map[string][]string{}
	group := func(gid string) ([]string, error) {
		if disabled, ok := groups[gid]; ok {
			return disabled, nil
		}
		if disabled, ok := groupDisabledPlans(users, gid, in.FromSkuID); ok {
			groups[gid] = disabled
			return disabled, nil
		}
		grp, err := g.Group(ctx, in.CustomerTenantID, gid)
		if err != nil {
			return nil, classify("licensing group", err)
		}
		groups[gid] = disabledOf(grp.AssignedLicenses, in.FromSkuID)
		return groups[gid], nil
	}
	if len(done) == 0 && !in.AcceptDataLoss {
		// Before anyone moves: a plan a holder uses that the new SKU lacks would be switched off, and its
		// data lost once the original ends. That is for an operator to accept, with the list.
		risk, err := a.dataLossRisk(in, plans, users, group)
		if err != nil {
			return MoveLicensesResult{}, err
		}
		if len(risk.Plans) > 0 {
			return MoveLicensesResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("moving %d user(s) and %d group(s) to the new SKU would switch off service plans they use: %s",
					risk.Users, risk.Groups, strings.Join(risk.Plans, ", ")), ErrTypeDataLossRisk, nil, risk)
		}
	}
	for _, u := range users {
		direct, groups := u.LicenseSources(in.FromSkuID)
		for _, gid := range groups {
			if done["group:"+gid] {
				continue
			}
			disabled, err := group(gid)
			if err != nil {
				return MoveLicensesResult{}, err
			}
			change := swap(in, disabled, planMap)
			if _, err := g.AssignGroupLicense(ctx, in.CustomerTenantID, gid, change, attemptRequestID(ctx, in.RequestID, "group/"+gid)); err != nil {
				return MoveLicensesResult{}, licenseMoveFailed("move group license", err)
			}
			done["group:"+gid] = true
			progress.GroupsMoved++
			progress.Done = append(progress.Done, "group:"+gid)
			recordProgress(ctx, progress)
		}
		if !direct && len(groups) > 0 && !done["member:"+u.ID] {
			// Licensed only through groups, all moved above: the user moved with them.
			done["member:"+u.ID] = true
			progress.MembersMoved++
			progress.Done = append(progress.Done, "member:"+u.ID)
			recordProgress(ctx, progress)
		}
		if !direct || done["user:"+u.ID] {
			continue
		}
		change := swap(in, disabledOf(u.AssignedLicenses, in.FromSkuID), planMap)
		if _, err := g.AssignUserLicense(ctx, in.CustomerTenantID, u.ID, change, attemptRequestID(ctx, in.RequestID, "user/"+u.ID)); err != nil {
			return MoveLicensesResult{}, licenseMoveFailed("move user license", err, userData(u.UserPrincipalName)...)
		}
		done["user:"+u.ID] = true
		progress.UsersMoved++
		progress.Done = append(progress.Done, "user:"+u.ID)
		recordProgress(ctx, progress)
	}
	left, err := g.UsersWithSku(ctx, in.CustomerTenantID, in.FromSkuID)
	if err != nil {
		return MoveLicensesResult{}, classify("users still holding "+in.FromSkuID, err)
	}
	if len(left) > 0 {
		return MoveLicensesResult{}, notYet(fmt.Sprintf("%d user(s) still hold %s after the move", len(left), in.FromSkuID))
	}
	return MoveLicensesResult{UsersMoved: progress.UsersMoved, MembersMoved: progress.MembersMoved, GroupsMoved: progress.GroupsMoved}, nil
}

// skuPlans are the service plans of a move's two SKUs, from the tenant's subscribedSkus.
type skuPlans struct {
	// from maps the old SKU's plan ids (lower case) to their names; to maps the new SKU's names to ids.
	from map[string]string
	to   map[string]string
	// toKnown says the new SKU is in subscribedSkus (it is once its subscription is provisioned).
	toKnown bool
}

func (a *Activities) servicePlans(ctx context.Context, g *graph.Client, in MoveLicensesInput) (skuPlans, error) {
	skus, err := g.SubscribedSkus(ctx, in.CustomerTenantID)
	if err != nil {
		return skuPlans{}, classify("subscribed skus", err)
	}
	p := skuPlans{from: map[string]string{}, to: map[string]string{}}
	for _, s := range skus {
		if strings.EqualFold(s.SkuID, in.ToSkuID) {
			p.toKnown = true
		}
		for _, sp := range s.ServicePlans {
			switch {
			case strings.EqualFold(s.SkuID, in.FromSkuID):
				p.from[strings.ToLower(sp.ServicePlanID)] = sp.ServicePlanName
			case strings.EqualFold(s.SkuID, in.ToSkuID):
				p.to[sp.ServicePlanName] = sp.ServicePlanID
			}
		}
	}
	return p, nil
}

// mapping maps the old SKU's service plan ids to the new SKU's plans of the same name, so a plan disabled
// for a user stays disabled.
func (p skuPlans) mapping() map[string]string {
	out := map[string]string{}
	for id, name := range p.from {
		if target, ok := p.to[name]; ok {
			out[id] = target
		}
	}
	return out
}

// lost names the old SKU's plans a holder has enabled (not in disabled) that the new SKU lacks.
func (p skuPlans) lost(disabled []string) []string {
	off := map[string]bool{}
	for _, id := range disabled {
		off[strings.ToLower(id)] = true
	}
	var out []string
	for id, name := range p.from {
		if _, ok := p.to[name]; !ok && !off[id] {
			out = append(out, name)
		}
	}
	return out
}

// dataLossRisk compares, for every holder of the old SKU (direct users and licensing groups), the plans
// they have enabled with the new SKU's. The new SKU's plans must be known: until Graph lists them the
// activity waits, since moving blind could switch plans off.
func (a *Activities) dataLossRisk(in MoveLicensesInput, plans skuPlans, users []graph.User, group func(string) ([]string, error)) (DataLossRisk, error) {
	var risk DataLossRisk
	if len(users) == 0 {
		return risk, nil
	}
	if !plans.toKnown {
		return risk, notYet("the new SKU is not in the tenant's subscribed SKUs yet: its service plans cannot be compared")
	}
	lost := map[string]bool{}
	seenGroup := map[string]bool{}
	for _, u := range users {
		direct, groups := u.LicenseSources(in.FromSkuID)
		if direct {
			if l := plans.lost(disabledOf(u.AssignedLicenses, in.FromSkuID)); len(l) > 0 {
				risk.Users++
				risk.HolderIDs = append(risk.HolderIDs, u.ID)
				for _, name := range l {
					lost[name] = true
				}
			}
		}
		for _, gid := range groups {
			if seenGroup[gid] {
				continue
			}
			seenGroup[gid] = true
			disabled, err := group(gid)
			if err != nil {
				return risk, err
			}
			if l := plans.lost(disabled); len(l) > 0 {
				risk.Groups++
				risk.HolderIDs = append(risk.HolderIDs, "group:"+gid)
				for _, name := range l {
					lost[name] = true
				}
			}
		}
	}
	for name := range lost {
		risk.Plans = append(risk.Plans, name)
	}
	sort.Strings(risk.Plans)
	sort.Strings(risk.HolderIDs)
	return risk, nil
}

// groupDisabledPlans are the plans of skuID disabled in group gid's assignment, as a member's license
// assignment state from the group states them; ok is false when no member's state lists them.
func groupDisabledPlans(users []graph.User, gid, skuID string) (_ []string, ok bool) {
	for _, u := range users {
		for _, st := range u.LicenseAssignmentStates {
			if st.AssignedByGroup != nil && strings.EqualFold(*st.AssignedByGroup, gid) && strings.EqualFold(st.SkuID, skuID) && st.DisabledPlans != nil {
				return st.DisabledPlans, true
			}
		}
	}
	return nil, false
}

func disabledOf(licenses []graph.AssignedLicense, skuID string) []string {
	for _, l := range licenses {
		if strings.EqualFold(l.SkuID, skuID) {
			return l.DisabledPlans
		}
	}
	return nil
}

func swap(in MoveLicensesInput, disabled []string, planMap map[string]string) graph.LicenseChange {
	mapped := []string{}
	for _, id := range disabled {
		if target, ok := planMap[strings.ToLower(id)]; ok {
			mapped = append(mapped, target)
		}
	}
	return graph.LicenseChange{
		AddLicenses:    []graph.AssignedLicense{{SkuID: in.ToSkuID, DisabledPlans: mapped}},
		RemoveLicenses: []string{in.FromSkuID},
	}
}

// CheckOriginal reads the original's state at its end date from the customer's directory: expired (past
// its end, or gone), renewed (its end date moved forward), or still active.
func (a *Activities) CheckOriginal(ctx context.Context, in CheckOriginalInput) (CheckOriginalResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CheckOriginalResult{}, err
	}
	// The originals of a transfer that end on the same date are checked one after the other at one
	// wake-up: one read of the directory answers for all of them.
	subs, ok := a.directories.get(p.TenantID, in.CustomerTenantID, a.now(), directoryTTL)
	if !ok {
		subs, err = p.Graph.DirectorySubscriptions(ctx, in.CustomerTenantID)
		if err != nil {
			return CheckOriginalResult{}, classify("directory subscriptions", err)
		}
		a.directories.put(p.TenantID, in.CustomerTenantID, subs, a.now())
	}
	ids := map[string]bool{}
	for _, id := range in.SubscriptionIDs {
		ids[strings.ToLower(id)] = true
	}
	partners := map[string]bool{}
	for _, p := range a.Partners {
		partners[strings.ToLower(p.TenantID)] = true
	}
	now := a.now()
	state := OriginalExpired
	var next *time.Time
	for _, s := range subs {
		mine := ids[strings.ToLower(s.ID)] ||
			(len(ids) == 0 && strings.EqualFold(s.SkuID, in.SkuID) && !partners[strings.ToLower(s.OwnerTenantID)])
		if !mine || s.Status != graph.SubscriptionEnabled || s.NextLifecycleDateTime == nil {
			continue // Warning, Suspended, Deleted: past its end; no longer renewing
		}
		end := s.NextLifecycleDateTime.UTC()
		switch {
		case end.After(in.ExpiresAt.Add(24 * time.Hour)):
			state, next = OriginalRenewed, &end
		case end.After(now) && state != OriginalRenewed:
			state = OriginalActive
		}
	}
	return CheckOriginalResult{State: state, NextLifecycleAt: next}, nil
}

// CancelSubscriptions cancels the new subscriptions still inside their refund window and keeps the rest,
// saying why. Originals are never cancelled: the client refuses anything this partner did not order.
func (a *Activities) CancelSubscriptions(ctx context.Context, in CancelInput) (CancelResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return CancelResult{}, err
	}
	res := CancelResult{Cancelled: []string{}, Kept: map[string]string{}}
	for _, id := range in.SubscriptionIDs {
		_, err := p.PartnerCenter.CancelSubscription(ctx, in.CustomerTenantID, id, requestID(ctx, in.RequestID, "cancel/"+id))
		var refused *partnercenter.CancelRefusedError
		switch {
		case err == nil:
			res.Cancelled = append(res.Cancelled, id)
		case errors.As(err, &refused):
			res.Kept[id] = refused.Reason
		default:
			return CancelResult{}, classify("cancel subscription "+id, err)
		}
	}
	return res, nil
}

// refundableUntil is the end of a new subscription's refund window: cancellationAllowedUntilDate, or for
// new-commerce subscriptions, which publish none, their refundOptions.
func refundableUntil(s partnercenter.Subscription) time.Time {
	until, _ := s.RefundableUntil()
	return until
}

func notYet(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, ErrTypeNotYet, temporal.ApplicationErrorOptions{Category: temporal.ApplicationErrorCategoryBenign})
}

// classifyNotify turns a delivery error into what Temporal should do with it. notify keeps the relay's
// reply texts out of its errors; the scrub here holds for any Notifier. known is the message's personal
// data: the recipient, and the names the message carries.
func classifyNotify(err error, known ...string) error {
	safe := redact(err, known...)
	switch {
	case errors.Is(err, notify.ErrInvalidRecipient):
		return temporal.NewNonRetryableApplicationError("contactEmail is not a deliverable e-mail address", ErrTypeInvalidInput, nil)
	case errors.Is(err, notify.ErrRejected):
		// Refused for good (authentication, TLS trust, a permanent reply): retrying sends nothing either.
		return temporal.NewNonRetryableApplicationError("the mail relay refused the message: "+safe.Error(), ErrTypeBusiness, safe)
	}
	return safe
}
