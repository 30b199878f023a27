package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MCATemplateID is the template id of the Microsoft Customer Agreement in the sandbox.
const MCATemplateID = "117a69e5-1e8f-4c7a-9f1b-2c2f0e6a4d51"

const mcaType = "MicrosoftCustomerAgreement"

type pcErrorBody struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Data        []any  `json:"data"`
	Source      string `json:"source"`
}

func pcErr(status int, code, desc string) reply {
	return jsonReply(status, pcErrorBody{Code: code, Description: desc, Data: []any{}, Source: "PartnerFD"})
}

type link struct {
	URI     string   `json:"uri"`
	Method  string   `json:"method"`
	Headers []header `json:"headers"`
}

type header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func getLink(uri string) link { return link{URI: uri, Method: "GET", Headers: []header{}} }

func objType(t string) map[string]string { return map[string]string{"objectType": t} }

func collection[T any](items []T) map[string]any {
	if items == nil {
		items = []T{}
	}
	return map[string]any{"totalCount": len(items), "items": items, "attributes": objType("Collection")}
}

// pc authenticates a Partner Center call: a Partner Center token for a partner tenant,
// App+User when userOnly.
func (s *Sandbox) pc(userOnly bool, fn func(r *http.Request, p *partner, now time.Time) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.locked(w, func(now time.Time) reply {
			p, bad := s.pcAuthLocked(r, userOnly)
			if bad != nil {
				return *bad
			}
			return fn(r, p, now)
		})
	}
}

func (s *Sandbox) pcAuthLocked(r *http.Request, userOnly bool) (*partner, *reply) {
	cl, msg := s.bearer(r)
	if msg != "" {
		rep := pcErr(http.StatusUnauthorized, "401", "Unauthorized: "+msg)
		return nil, &rep
	}
	if cl.Audience != audPartnerCenter {
		rep := pcErr(http.StatusUnauthorized, "401", "Unauthorized: the token audience is not https://api.partnercenter.microsoft.com")
		return nil, &rep
	}
	p, ok := s.st.Partners[cl.TenantID]
	if !ok {
		rep := pcErr(http.StatusUnauthorized, "401", "Unauthorized: tenant "+cl.TenantID+" is not a partner tenant")
		return nil, &rep
	}
	if userOnly && !cl.User {
		rep := pcErr(http.StatusUnauthorized, "401", "Unauthorized: this operation requires App+User authentication; app-only tokens are not accepted")
		return nil, &rep
	}
	return p, nil
}

// pcCustomer additionally resolves {customerId}; customers without a relationship to the
// calling partner are invisible to it (404, code 1000), as in Partner Center.
func (s *Sandbox) pcCustomer(userOnly bool, fn func(r *http.Request, p *partner, c *customer, now time.Time) reply) http.HandlerFunc {
	return s.pc(userOnly, func(r *http.Request, p *partner, now time.Time) reply {
		c, bad := s.visibleCustomerLocked(p, r.PathValue("customerId"))
		if bad != nil {
			return *bad
		}
		return fn(r, p, c, now)
	})
}

func (s *Sandbox) visibleCustomerLocked(p *partner, id string) (*customer, *reply) {
	c, ok := s.st.Customers[strings.ToLower(id)]
	if !ok || !hasRelationship(c, p.TenantID) {
		rep := pcErr(http.StatusNotFound, "1000", "Customer "+id+" was not found, or it has no relationship with partner "+p.TenantID+".")
		return nil, &rep
	}
	return c, nil
}

func hasRelationship(c *customer, partnerID string) bool {
	_, ok := c.Relationships[partnerID]
	return ok
}

type address struct {
	Country      string `json:"country"`
	City         string `json:"city,omitempty"`
	AddressLine1 string `json:"addressLine1,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
}

func (s *Sandbox) customerJSON(c *customer, p *partner) map[string]any {
	rel := "none"
	if p != nil && hasRelationship(c, p.TenantID) {
		rel = "reseller"
	}
	addr := address{Country: c.Country, City: c.City}
	return map[string]any{
		"id":         c.TenantID,
		"commerceId": c.TenantID,
		"companyProfile": map[string]any{
			"tenantId": c.TenantID, "domain": c.Domain, "companyName": c.CompanyName, "address": addr,
			"attributes": objType("CustomerCompanyProfile"),
		},
		"billingProfile": map[string]any{
			"id": c.TenantID, "companyName": c.CompanyName, "culture": "en-US", "language": "en",
			"defaultAddress": addr, "attributes": objType("CustomerBillingProfile"),
		},
		"relationshipToPartner": rel,
		"allowDelegatedAccess":  false,
		"links":                 map[string]link{"self": getLink("/v1/customers/" + c.TenantID)},
		"attributes":            objType("Customer"),
	}
}

func (s *Sandbox) pcLegalBusiness(_ *http.Request, p *partner, _ time.Time) reply {
	return jsonReply(http.StatusOK, map[string]any{
		"companyName":    p.CompanyName,
		"address":        address{Country: p.Country, City: p.City},
		"vettingStatus":  "Verified",
		"mpnId":          p.MPNID,
		"isVettingReady": true,
		"links":          map[string]link{"self": getLink("/v1/profiles/legalbusiness")},
		"attributes":     objType("LegalBusinessProfile"),
	})
}

func (s *Sandbox) pcGetCustomer(_ *http.Request, p *partner, c *customer, _ time.Time) reply {
	return jsonReply(http.StatusOK, s.customerJSON(c, p))
}

type customerFilter struct {
	Field    string `json:"Field"`
	Value    string `json:"Value"`
	Operator string `json:"Operator"`
}

type continuation struct {
	Offset int             `json:"o"`
	Filter *customerFilter `json:"f,omitempty"`
	Size   int             `json:"s"`
}

func (s *Sandbox) pcListCustomers(r *http.Request, p *partner, _ time.Time) reply {
	q := r.URL.Query()
	size := 100
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return pcErr(http.StatusBadRequest, "800002", "size must be between 1 and 500")
		}
		size = n
	}
	var cont continuation
	if q.Get("seekOperation") != "" {
		if !strings.EqualFold(q.Get("seekOperation"), "next") {
			return pcErr(http.StatusBadRequest, "800002", "seekOperation must be next")
		}
		raw, err := base64.RawURLEncoding.DecodeString(r.Header.Get("MS-ContinuationToken"))
		if err != nil || json.Unmarshal(raw, &cont) != nil || cont.Offset < 0 || cont.Size < 1 || cont.Size > 500 {
			return pcErr(http.StatusBadRequest, "800002", "MS-ContinuationToken header is missing or invalid")
		}
		size = cont.Size
	} else if f := q.Get("filter"); f != "" {
		var flt customerFilter
		if err := json.Unmarshal([]byte(f), &flt); err != nil {
			return pcErr(http.StatusBadRequest, "800002", "filter must be JSON {\"Field\":\"Domain\",\"Value\":\"...\",\"Operator\":\"starts_with\"}")
		}
		if !strings.EqualFold(flt.Operator, "starts_with") {
			return pcErr(http.StatusBadRequest, "800002", "only the starts_with filter operator is supported")
		}
		if !strings.EqualFold(flt.Field, "Domain") && !strings.EqualFold(flt.Field, "CompanyName") {
			return pcErr(http.StatusBadRequest, "800002", "filter Field must be Domain or CompanyName")
		}
		cont.Filter = &flt
	}
	var all []*customer
	for _, id := range sortedKeys(s.st.Customers) {
		c := s.st.Customers[id]
		if !hasRelationship(c, p.TenantID) {
			continue
		}
		if f := cont.Filter; f != nil {
			v := c.Domain
			if strings.EqualFold(f.Field, "CompanyName") {
				v = c.CompanyName
			}
			if !strings.HasPrefix(strings.ToLower(v), strings.ToLower(f.Value)) {
				continue
			}
		}
		all = append(all, c)
	}
	start := min(cont.Offset, len(all))
	end := min(start+size, len(all))
	items := []map[string]any{}
	for _, c := range all[start:end] {
		items = append(items, s.customerJSON(c, p))
	}
	body := map[string]any{"totalCount": len(items), "items": items, "attributes": objType("Collection")}
	if end < len(all) {
		next, _ := json.Marshal(continuation{Offset: end, Filter: cont.Filter, Size: size})
		body["links"] = map[string]link{"next": {
			URI: "/v1/customers?size=" + strconv.Itoa(size) + "&seekOperation=next", Method: "GET",
			Headers: []header{{Key: "MS-ContinuationToken", Value: base64.RawURLEncoding.EncodeToString(next)}},
		}}
	}
	return jsonReply(http.StatusOK, body)
}

func (s *Sandbox) invitationURL(partnerID string) string {
	return s.publicURL + "/sandbox/admin-center/partner-invitation?partnerId=" + partnerID + "&invType=ResellerRelationship"
}

func (s *Sandbox) pcRelationshipRequest(_ *http.Request, p *partner, _ time.Time) reply {
	p.LinkFetches++
	s.dirty = true
	return jsonReply(http.StatusOK, map[string]any{"url": s.invitationURL(p.TenantID), "attributes": objType("RelationshipRequest")})
}

func (s *Sandbox) agreementJSON(a agreement) map[string]any {
	return map[string]any{
		"primaryContact": a.PrimaryContact, "dateAgreed": a.DateAgreed, "type": a.Type,
		"agreementLink": a.AgreementLink, "userId": a.UserID, "templateId": a.TemplateID,
		"attributes": objType("Agreement"),
	}
}

func (s *Sandbox) pcAgreementTemplates(r *http.Request, _ *partner, _ time.Time) reply {
	t := r.URL.Query().Get("agreementType")
	if t != "" && t != "*" && !strings.EqualFold(t, mcaType) {
		return jsonReply(http.StatusOK, collection([]any{}))
	}
	return jsonReply(http.StatusOK, collection([]map[string]any{{
		"templateId": MCATemplateID, "agreementType": mcaType, "agreementLink": "https://aka.ms/customeragreement",
		"versionRank": 0, "attributes": objType("AgreementMetaData"),
	}}))
}

func (s *Sandbox) pcListAgreements(r *http.Request, _ *partner, c *customer, _ time.Time) reply {
	t := r.URL.Query().Get("agreementType")
	items := []map[string]any{}
	for _, a := range c.Agreements {
		if t == "" || t == "*" || strings.EqualFold(t, a.Type) {
			items = append(items, s.agreementJSON(a))
		}
	}
	return jsonReply(http.StatusOK, collection(items))
}

func (s *Sandbox) pcCreateAgreement(r *http.Request, p *partner, c *customer, now time.Time) reply {
	var a agreement
	if err := decodeJSON(r, &a); err != nil {
		return pcErr(http.StatusBadRequest, "800002", err.Error())
	}
	switch {
	case !strings.EqualFold(a.Type, mcaType):
		return pcErr(http.StatusBadRequest, "800002", "type must be MicrosoftCustomerAgreement")
	case a.TemplateID != MCATemplateID:
		return pcErr(http.StatusBadRequest, "800002", "templateId must be the one from GET /v1/agreements?agreementType=MicrosoftCustomerAgreement")
	case a.PrimaryContact.FirstName == "" || a.PrimaryContact.LastName == "" || a.PrimaryContact.Email == "":
		return pcErr(http.StatusBadRequest, "800002", "primaryContact needs firstName, lastName and email")
	case a.DateAgreed.IsZero():
		return pcErr(http.StatusBadRequest, "800002", "dateAgreed is required")
	case a.DateAgreed.After(now.Add(24 * time.Hour)):
		return pcErr(http.StatusBadRequest, "800002", "dateAgreed cannot be in the future")
	}
	a.Type = mcaType
	a.AgreementLink = "https://aka.ms/customeragreement"
	a.PartnerID = p.TenantID
	if a.UserID == "" {
		a.UserID = s.newID()
	}
	c.Agreements = append(c.Agreements, a)
	s.dirty = true
	s.auditLocked(p.TenantID, c, "create_customer_agreement", "Agreement", now)
	return jsonReply(http.StatusCreated, s.agreementJSON(a))
}

func (s *Sandbox) pcDirectSigned(_ *http.Request, _ *partner, c *customer, _ time.Time) reply {
	return jsonReply(http.StatusOK, map[string]any{"isSigned": c.DirectSigned, "attributes": objType("DirectSignedCustomerAgreementStatus")})
}

func hasMCA(c *customer) bool {
	if c.DirectSigned {
		return true
	}
	return slices.ContainsFunc(c.Agreements, func(a agreement) bool { return strings.EqualFold(a.Type, mcaType) })
}

// --- catalog ---

func (s *Sandbox) productJSON(cs catalogSku, country string, prefix string) map[string]any {
	return map[string]any{
		"id": cs.ProductID, "title": cs.ProductTitle, "description": cs.Description,
		"productType":        map[string]string{"id": "OnlineServices", "displayName": "OnlineServices"},
		"isMicrosoftProduct": true, "publisherName": "Microsoft Corporation",
		"links": map[string]link{
			"skus": getLink(prefix + "/products/" + cs.ProductID + "/skus?country=" + country),
			"self": getLink(prefix + "/products/" + cs.ProductID + "?country=" + country),
		},
		"attributes": objType("Product"),
	}
}

func (s *Sandbox) skuJSON(cs catalogSku, country, prefix string) map[string]any {
	targets := []string{}
	targets = append(targets, cs.UpgradeTargets...)
	return map[string]any{
		"id": cs.SkuID, "productId": cs.ProductID, "title": cs.SkuTitle, "description": cs.Description,
		"minimumQuantity": cs.Min, "maximumQuantity": cs.Max, "isTrial": false,
		"supportedBillingCycles": []string{"annual", "monthly"}, "purchasePrerequisites": []string{},
		"inventoryVariables": []string{}, "provisioningVariables": []string{}, "actions": []string{},
		"dynamicAttributes": map[string]any{
			"provisioningId": cs.GraphSkuID, "skuPartNumber": cs.SkuPartNumber, "isAddon": false,
			"hasAddOns": false, "isAvailableForPurchase": !cs.Discontinued,
			"upgradeTargetOffers": targets, "prerequisiteOffers": []string{},
			"servicePlans": cs.Plans,
		},
		"links": map[string]link{
			"availabilities": getLink(prefix + "/products/" + cs.ProductID + "/skus/" + cs.SkuID + "/availabilities?country=" + country),
			"self":           getLink(prefix + "/products/" + cs.ProductID + "/skus/" + cs.SkuID + "?country=" + country),
		},
		"attributes": objType("Sku"),
	}
}

func (s *Sandbox) availabilityJSON(cs catalogSku, country string) map[string]any {
	return map[string]any{
		"id": cs.availabilityID(country), "productId": cs.ProductID, "skuId": cs.SkuID,
		"catalogItemId": cs.catalogItemID(country), "country": strings.ToUpper(country), "segment": "commercial",
		"isPurchasable": !cs.Discontinued, "isRenewable": !cs.Discontinued, "terms": cs.terms(),
		"attributes": objType("Availability"),
	}
}

// catalogCountry picks the country of a catalog call: the customer's for customer-scoped
// paths, the country query parameter otherwise.
func (s *Sandbox) catalogCountryLocked(r *http.Request, p *partner) (string, string, *reply) {
	if id := r.PathValue("customerId"); id != "" {
		c, bad := s.visibleCustomerLocked(p, id)
		if bad != nil {
			return "", "", bad
		}
		return c.Country, "/v1/customers/" + c.TenantID, nil
	}
	country := strings.ToUpper(r.URL.Query().Get("country"))
	if len(country) != 2 {
		rep := pcErr(http.StatusBadRequest, "800002", "the country query parameter (ISO 3166 alpha-2) is required")
		return "", "", &rep
	}
	return country, "/v1", nil
}

func (s *Sandbox) pcProducts(r *http.Request, p *partner, _ time.Time) reply {
	country, prefix, bad := s.catalogCountryLocked(r, p)
	if bad != nil {
		return *bad
	}
	if tv := r.URL.Query().Get("targetView"); tv != "" && !strings.EqualFold(tv, "OnlineServices") {
		return jsonReply(http.StatusOK, collection([]any{}))
	}
	seen := map[string]bool{}
	items := []map[string]any{}
	for _, cs := range s.cat.skus {
		if seen[cs.ProductID] || !cs.soldIn(country) {
			continue
		}
		seen[cs.ProductID] = true
		items = append(items, s.productJSON(cs, country, prefix))
	}
	return jsonReply(http.StatusOK, collection(items))
}

func (s *Sandbox) soldSkus(productID, country string) []catalogSku {
	var out []catalogSku
	for _, cs := range s.cat.product(productID) {
		if cs.soldIn(country) {
			out = append(out, cs)
		}
	}
	return out
}

func notSold(what, country string) reply {
	return pcErr(http.StatusNotFound, "800070", what+" is not available in country "+country+".")
}

func (s *Sandbox) pcProduct(r *http.Request, p *partner, _ time.Time) reply {
	country, prefix, bad := s.catalogCountryLocked(r, p)
	if bad != nil {
		return *bad
	}
	skus := s.soldSkus(r.PathValue("productId"), country)
	if len(skus) == 0 {
		return notSold("Product "+r.PathValue("productId"), country)
	}
	return jsonReply(http.StatusOK, s.productJSON(skus[0], country, prefix))
}

func (s *Sandbox) pcSkus(r *http.Request, p *partner, _ time.Time) reply {
	country, prefix, bad := s.catalogCountryLocked(r, p)
	if bad != nil {
		return *bad
	}
	skus := s.soldSkus(r.PathValue("productId"), country)
	if len(skus) == 0 {
		return notSold("Product "+r.PathValue("productId"), country)
	}
	items := []map[string]any{}
	for _, cs := range skus {
		items = append(items, s.skuJSON(cs, country, prefix))
	}
	return jsonReply(http.StatusOK, collection(items))
}

func (s *Sandbox) skuInCountryLocked(r *http.Request, p *partner) (catalogSku, string, string, *reply) {
	country, prefix, bad := s.catalogCountryLocked(r, p)
	if bad != nil {
		return catalogSku{}, "", "", bad
	}
	cs, ok := s.cat.bySkuKey(r.PathValue("productId"), r.PathValue("skuId"))
	if !ok || !cs.soldIn(country) {
		rep := notSold("Sku "+r.PathValue("productId")+":"+r.PathValue("skuId"), country)
		return catalogSku{}, "", "", &rep
	}
	return cs, country, prefix, nil
}

func (s *Sandbox) pcSku(r *http.Request, p *partner, _ time.Time) reply {
	cs, country, prefix, bad := s.skuInCountryLocked(r, p)
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, s.skuJSON(cs, country, prefix))
}

func (s *Sandbox) pcAvailabilities(r *http.Request, p *partner, _ time.Time) reply {
	cs, country, _, bad := s.skuInCountryLocked(r, p)
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, collection([]map[string]any{s.availabilityJSON(cs, country)}))
}

// --- audit ---

func (s *Sandbox) auditLocked(partnerID string, c *customer, op, resource string, now time.Time) auditRecord {
	rec := auditRecord{
		ID: strconv.FormatInt(s.nextSeq(), 10) + "_" + strings.ReplaceAll(op, "_", ""), PartnerID: partnerID,
		CustomerID: c.TenantID, CustomerName: c.CompanyName, OperationType: op, OperationStatus: "succeeded",
		OperationDate: now, ResourceType: resource,
	}
	s.st.Audit = append(s.st.Audit, rec)
	s.dirty = true
	return rec
}

func (s *Sandbox) pcAuditRecords(r *http.Request, p *partner, _ time.Time) reply {
	q := r.URL.Query()
	parse := func(v string) (time.Time, bool) {
		if v == "" {
			return time.Time{}, true
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	from, ok1 := parse(q.Get("startDate"))
	to, ok2 := parse(q.Get("endDate"))
	if !ok1 || !ok2 {
		return pcErr(http.StatusBadRequest, "800002", "startDate and endDate must be RFC 3339 times or yyyy-mm-dd dates")
	}
	items := []auditRecord{}
	for _, a := range s.st.Audit {
		if a.PartnerID != p.TenantID || (!from.IsZero() && a.OperationDate.Before(from)) || (!to.IsZero() && a.OperationDate.After(to)) {
			continue
		}
		items = append(items, a)
	}
	return jsonReply(http.StatusOK, collection(items))
}

func (s *Sandbox) pcAuditRecord(r *http.Request, p *partner, _ time.Time) reply {
	for _, a := range s.st.Audit {
		if a.PartnerID == p.TenantID && a.ID == r.PathValue("id") {
			return jsonReply(http.StatusOK, a)
		}
	}
	return pcErr(http.StatusNotFound, "1000", "Audit record "+r.PathValue("id")+" was not found.")
}

// --- webhook registration ---

// webhookEvents lists the events the sandbox can register; only the relationship and
// GDAP events are ever sent.
func webhookEvents() []string {
	return []string{
		"test-created", "subscription-updated", "reseller-relationship-accepted-by-customer",
		"granular-admin-relationship-approved", "granular-admin-relationship-activated",
	}
}

func (s *Sandbox) pcWebhookEvents(_ *http.Request, _ *partner, _ time.Time) reply {
	return jsonReply(http.StatusOK, webhookEvents())
}

type registration struct {
	SubscriberID  string   `json:"SubscriberId,omitempty"`
	WebhookURL    string   `json:"WebhookUrl"`
	WebhookEvents []string `json:"WebhookEvents"`
}

func (s *Sandbox) pcGetRegistration(_ *http.Request, p *partner, _ time.Time) reply {
	if p.Webhook == nil {
		return pcErr(http.StatusNotFound, "1000", "No webhook registration exists for this partner.")
	}
	return jsonReply(http.StatusOK, registration{SubscriberID: p.Webhook.SubscriberID, WebhookURL: p.Webhook.URL, WebhookEvents: p.Webhook.Events})
}

func (s *Sandbox) pcPutRegistration(r *http.Request, p *partner, _ time.Time) reply {
	var reg registration
	if err := decodeJSON(r, &reg); err != nil {
		return pcErr(http.StatusBadRequest, "800002", err.Error())
	}
	if !strings.HasPrefix(reg.WebhookURL, "http://") && !strings.HasPrefix(reg.WebhookURL, "https://") {
		return pcErr(http.StatusBadRequest, "800002", "WebhookUrl must be an http(s) URL")
	}
	for _, e := range reg.WebhookEvents {
		if !slices.Contains(webhookEvents(), e) {
			return pcErr(http.StatusBadRequest, "800002", "unknown webhook event "+e)
		}
	}
	sub := s.newID()
	if p.Webhook != nil {
		sub = p.Webhook.SubscriberID
	}
	p.Webhook = &webReg{SubscriberID: sub, URL: reg.WebhookURL, Events: reg.WebhookEvents}
	s.dirty = true
	return jsonReply(http.StatusOK, registration{SubscriberID: sub, WebhookURL: reg.WebhookURL, WebhookEvents: reg.WebhookEvents})
}

func (s *Sandbox) pcDeleteRegistration(_ *http.Request, p *partner, _ time.Time) reply {
	p.Webhook = nil
	s.dirty = true
	return reply{status: http.StatusNoContent}
}
