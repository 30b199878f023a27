package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MCATemplateID is the template id of the Microsoft Customer Agreement in the sandbox.
const MCATemplateID = "117a69e5-1e8f-4c7a-9f1b-2c2f0e6a4d51"

const mcaType = "MicrosoftCustomerAgreement"

// pcErrorBody is Partner Center's error: code is a JSON number, as in Microsoft's examples.
type pcErrorBody struct {
	Code        errorCode `json:"code"`
	Description string    `json:"description"`
	Data        []any     `json:"data"`
	Source      string    `json:"source"`
}

func pcErr(status int, code errorCode, desc string) reply {
	return jsonReply(status, pcErrorBody{Code: code, Description: desc, Data: []any{}, Source: "PartnerFD"})
}

// errorCode is a Partner Center error code. It is written as a JSON number; it also reads the quoted
// codes that state files of older sandbox versions hold.
type errorCode int

// UnmarshalJSON implements json.Unmarshaler.
func (c *errorCode) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*c = errorCode(n)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	n, err := strconv.Atoi(str)
	if err != nil {
		return fmt.Errorf("error code %q is not a number", str)
	}
	*c = errorCode(n)
	return nil
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

// collection is a Partner Center ResourceCollection; self is the URI of the request that listed it.
func collection[T any](items []T, self string) map[string]any {
	if items == nil {
		items = []T{}
	}
	return map[string]any{"totalCount": len(items), "items": items, "links": map[string]link{"self": getLink(self)},
		"attributes": objType("Collection")}
}

// selfURI is the request's path and query, as Partner Center's links.self shows it.
func selfURI(r *http.Request) string { return r.URL.RequestURI() }

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
		rep := pcErr(http.StatusUnauthorized, 401, "Unauthorized: "+msg)
		return nil, &rep
	}
	if cl.Audience != audPartnerCenter {
		rep := pcErr(http.StatusUnauthorized, 401, "Unauthorized: the token audience is not https://api.partnercenter.microsoft.com")
		return nil, &rep
	}
	p, ok := s.st.Partners[cl.TenantID]
	if !ok {
		msg := "Unauthorized: tenant " + cl.TenantID + " is not a partner tenant"
		if _, src := s.sources[cl.TenantID]; src {
			msg = "Unauthorized: tenant " + cl.TenantID + " is known to the sandbox only as the source partner of transfers; only /v1/customers/{id}/transfers serves it"
		}
		rep := pcErr(http.StatusUnauthorized, 401, msg)
		return nil, &rep
	}
	if userOnly && !cl.User {
		rep := pcErr(http.StatusUnauthorized, 401, "Unauthorized: this operation requires App+User authentication; app-only tokens are not accepted")
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
	c, ok := s.customerLocked(strings.ToLower(id))
	if !ok || !hasRelationship(c, p.TenantID) {
		rep := pcErr(http.StatusNotFound, 1000, "Customer "+id+" was not found, or it has no relationship with partner "+p.TenantID+".")
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
	Region       string `json:"region"`
	City         string `json:"city"`
	State        string `json:"state"`
	AddressLine1 string `json:"addressLine1"`
	AddressLine2 string `json:"addressLine2"`
	PostalCode   string `json:"postalCode"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	PhoneNumber  string `json:"phoneNumber"`
}

// customerContact is who the sandbox names in a customer's billing profile: a synthetic administrator.
func customerContact(c *customer) contact {
	return contact{FirstName: "IT", LastName: "Administrator", Email: "admin@" + c.Domain, PhoneNumber: c.Phone}
}

func (s *Sandbox) companyProfileJSON(c *customer) map[string]any {
	return map[string]any{
		"tenantId": c.TenantID, "domain": c.Domain, "companyName": c.CompanyName,
		"address":    address{Country: c.Country, Region: c.Region, City: c.City, AddressLine1: c.AddressLine1, PostalCode: c.PostalCode, PhoneNumber: c.Phone},
		"email":      customerContact(c).Email,
		"links":      map[string]link{"self": getLink("/v1/customers/" + c.TenantID + "/profiles/company")},
		"attributes": objType("CustomerCompanyProfile"),
	}
}

func (s *Sandbox) billingProfileJSON(c *customer) map[string]any {
	who := customerContact(c)
	addr := address{Country: c.Country, City: c.City, State: c.Region, AddressLine1: c.AddressLine1, PostalCode: c.PostalCode,
		FirstName: who.FirstName, LastName: who.LastName, PhoneNumber: c.Phone}
	return map[string]any{
		"id": c.TenantID, "firstName": who.FirstName, "lastName": who.LastName, "email": who.Email,
		"companyName": c.CompanyName, "culture": "en-US", "language": "en", "defaultAddress": addr,
		"links":      map[string]link{"self": getLink("/v1/customers/" + c.TenantID + "/profiles/billing")},
		"attributes": map[string]string{"etag": etagOf(c.TenantID, c.CompanyName, c.Country), "objectType": "CustomerBillingProfile"},
	}
}

func (s *Sandbox) customerJSON(c *customer, p *partner) map[string]any {
	rel := "none"
	if p != nil && hasRelationship(c, p.TenantID) {
		rel = "reseller"
	}
	return map[string]any{
		"id":                    c.TenantID,
		"commerceId":            c.TenantID,
		"companyProfile":        s.companyProfileJSON(c),
		"billingProfile":        s.billingProfileJSON(c),
		"relationshipToPartner": rel,
		"allowDelegatedAccess":  false,
		"customDomains":         []string{c.Domain},
		"links":                 map[string]link{"self": getLink("/v1/customers/" + c.TenantID)},
		"attributes":            objType("Customer"),
	}
}

// etagOf is a stable etag for a resource the sandbox never versions.
func etagOf(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return strconv.FormatInt(int64(binary.BigEndian.Uint64(sum[:8])>>1), 10)
}

func (s *Sandbox) pcLegalBusiness(_ *http.Request, p *partner, _ time.Time) reply {
	addr := address{Country: p.Country, City: p.City, State: p.State, AddressLine1: p.AddressLine1, PostalCode: p.PostalCode,
		FirstName: p.Contact.FirstName, LastName: p.Contact.LastName, PhoneNumber: p.Phone}
	return jsonReply(http.StatusOK, map[string]any{
		"companyName":            p.CompanyName,
		"address":                addr,
		"primaryContact":         p.Contact,
		"companyApproverAddress": approverAddress(addr),
		"companyApproverEmail":   p.Contact.Email,
		"vettingStatus":          "authorized",
		"vettingSubStatus":       "none",
		"profileType":            "LegalBusinessProfile",
		"mpnId":                  p.MPNID,
		"links":                  map[string]link{"self": getLink("/v1/profiles/legalbusiness")},
		"attributes":             objType("LegalBusinessProfile"),
	})
}

// approverAddress is the company approver's address: Microsoft's example shows it without a name or phone.
func approverAddress(a address) map[string]string {
	return map[string]string{"country": a.Country, "city": a.City, "state": a.State, "addressLine1": a.AddressLine1,
		"addressLine2": a.AddressLine2, "postalCode": a.PostalCode}
}

func (s *Sandbox) pcCompanyProfile(_ *http.Request, _ *partner, c *customer, _ time.Time) reply {
	return jsonReply(http.StatusOK, s.companyProfileJSON(c))
}

func (s *Sandbox) pcBillingProfile(_ *http.Request, _ *partner, c *customer, _ time.Time) reply {
	return jsonReply(http.StatusOK, s.billingProfileJSON(c))
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
		if err != nil || n < 0 || n > 500 {
			return pcErr(http.StatusBadRequest, 800002, "size must be between 0 and 500")
		}
		if n > 0 { // Microsoft's own example asks for size=0: the default page size
			size = n
		}
	}
	var cont continuation
	if q.Get("seekOperation") != "" {
		if !strings.EqualFold(q.Get("seekOperation"), "next") {
			return pcErr(http.StatusBadRequest, 800002, "seekOperation must be next")
		}
		raw, err := base64.RawURLEncoding.DecodeString(r.Header.Get("MS-ContinuationToken"))
		if err != nil || json.Unmarshal(raw, &cont) != nil || cont.Offset < 0 || cont.Size < 1 || cont.Size > 500 {
			return pcErr(http.StatusBadRequest, 800002, "MS-ContinuationToken header is missing or invalid")
		}
		size = cont.Size
	} else if f := q.Get("filter"); f != "" {
		var flt customerFilter
		if err := json.Unmarshal([]byte(f), &flt); err != nil {
			return pcErr(http.StatusBadRequest, 800002, "filter must be JSON {\"Field\":\"Domain\",\"Value\":\"...\",\"Operator\":\"starts_with\"}")
		}
		if !strings.EqualFold(flt.Operator, "starts_with") {
			return pcErr(http.StatusBadRequest, 800002, "only the starts_with filter operator is supported")
		}
		if !strings.EqualFold(flt.Field, "Domain") && !strings.EqualFold(flt.Field, "CompanyName") {
			return pcErr(http.StatusBadRequest, 800002, "filter Field must be Domain or CompanyName")
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
	body := collection(items, selfURI(r))
	if end < len(all) {
		next, _ := json.Marshal(continuation{Offset: end, Filter: cont.Filter, Size: size})
		body["links"].(map[string]link)["next"] = link{
			URI: "/v1/customers?size=" + strconv.Itoa(size) + "&seekOperation=next", Method: "GET",
			Headers: []header{{Key: "MS-ContinuationToken", Value: base64.RawURLEncoding.EncodeToString(next)}},
		}
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
		return jsonReply(http.StatusOK, collection([]any{}, selfURI(r)))
	}
	return jsonReply(http.StatusOK, collection([]map[string]any{{
		"templateId": MCATemplateID, "agreementType": mcaType, "agreementLink": "https://aka.ms/customeragreement",
		"versionRank": 0, "attributes": objType("AgreementMetaData"),
	}}, selfURI(r)))
}

func (s *Sandbox) pcListAgreements(r *http.Request, _ *partner, c *customer, _ time.Time) reply {
	t := r.URL.Query().Get("agreementType")
	items := []map[string]any{}
	for _, a := range c.Agreements {
		if t == "" || t == "*" || strings.EqualFold(t, a.Type) {
			items = append(items, s.agreementJSON(a))
		}
	}
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
}

func (s *Sandbox) pcCreateAgreement(r *http.Request, p *partner, c *customer, now time.Time) reply {
	var a agreement
	if err := decodeJSON(r, &a); err != nil {
		return pcErr(http.StatusBadRequest, 800002, err.Error())
	}
	switch {
	case !strings.EqualFold(a.Type, mcaType):
		return pcErr(http.StatusBadRequest, 800002, "type must be MicrosoftCustomerAgreement")
	case a.TemplateID != MCATemplateID:
		return pcErr(http.StatusBadRequest, 800002, "templateId must be the one from GET /v1/agreements?agreementType=MicrosoftCustomerAgreement")
	case a.PrimaryContact.FirstName == "" || a.PrimaryContact.LastName == "" || a.PrimaryContact.Email == "":
		return pcErr(http.StatusBadRequest, 800002, "primaryContact needs firstName, lastName and email")
	case a.DateAgreed.IsZero():
		return pcErr(http.StatusBadRequest, 800002, "dateAgreed is required")
	case a.DateAgreed.After(now.Add(24 * time.Hour)):
		return pcErr(http.StatusBadRequest, 800002, "dateAgreed cannot be in the future")
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
	return jsonReply(http.StatusOK, map[string]any{"isSigned": c.DirectSigned})
}

func hasMCA(c *customer) bool {
	if c.DirectSigned {
		return true
	}
	return slices.ContainsFunc(c.Agreements, func(a agreement) bool { return strings.EqualFold(a.Type, mcaType) })
}

// --- catalog ---

// productTypeNCE is the productType of every sandbox offer: license-based new commerce.
var productTypeNCE = map[string]string{"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"}

func (s *Sandbox) productJSON(cs catalogSku, country string, prefix string) map[string]any {
	return map[string]any{
		"id": cs.ProductID, "title": cs.ProductTitle, "description": cs.Description,
		"productType":        productTypeNCE,
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
		"supportedBillingCycles": []string{"annual", "monthly"}, "purchasePrerequisites": []string{mcaType},
		"inventoryVariables": []string{}, "provisioningVariables": []string{}, "actions": []string{"Refund"},
		"dynamicAttributes": map[string]any{
			"isMicrosoftProduct": true, "hasConstraints": false, "isSoftwareAssuranceApplicable": false, "internal": false,
			"provisioningId": cs.GraphSkuID, "skuPartNumber": cs.SkuPartNumber, "isAddon": false,
			"hasAddOns": false, "isAvailableForPurchase": !cs.Discontinued,
			"upgradeTargetOffers": targets, "prerequisiteOffers": []string{}, "prerequisiteSkus": []string{},
			"servicePlans": cs.Plans,
		},
		"links": map[string]link{
			"availabilities": getLink(prefix + "/products/" + cs.ProductID + "/skus/" + cs.SkuID + "/availabilities?country=" + country),
			"self":           getLink(prefix + "/products/" + cs.ProductID + "/skus/" + cs.SkuID + "?country=" + country),
		},
		"attributes": objType("Sku"),
	}
}

func (s *Sandbox) availabilityJSON(cs catalogSku, country, prefix string) map[string]any {
	cur := currencyOf(country)
	terms := cs.terms()
	ids := make([]string, 0, len(terms))
	for _, t := range terms {
		ids = append(ids, t.ID)
	}
	avail := cs.availabilityID(country)
	return map[string]any{
		"id": avail, "productId": cs.ProductID, "skuId": cs.SkuID,
		"catalogItemId": cs.catalogItemID(country), "country": strings.ToUpper(country), "segment": "commercial",
		"defaultCurrency": map[string]string{"code": cur.Code, "symbol": cur.Symbol},
		"isPurchasable":   !cs.Discontinued, "isRenewable": !cs.Discontinued, "terms": terms,
		"renewalInstructions": []map[string]any{{
			"applicableTermIds": ids,
			"renewalOptions":    []map[string]any{{"renewToId": cs.ProductID + ":" + cs.SkuID, "isAutoRenewable": true}},
		}},
		"links": map[string]link{
			"self": getLink(prefix + "/products/" + cs.ProductID + "/skus/" + cs.SkuID + "/availabilities/" + avail + "?country=" + country),
		},
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
		rep := pcErr(http.StatusBadRequest, 800002, "the country query parameter (ISO 3166 alpha-2) is required")
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
		return jsonReply(http.StatusOK, collection([]any{}, selfURI(r)))
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
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
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
	return pcErr(http.StatusNotFound, 800070, what+" is not available in country "+country+".")
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
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
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
	cs, country, prefix, bad := s.skuInCountryLocked(r, p)
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, collection([]map[string]any{s.availabilityJSON(cs, country, prefix)}, selfURI(r)))
}

// --- audit ---

func (s *Sandbox) auditLocked(partnerID string, c *customer, op, resource string, now time.Time) auditRecord {
	rec := auditRecord{
		ID: strconv.FormatInt(s.nextSeq(), 10) + "_" + strings.ReplaceAll(op, "_", ""), PartnerID: partnerID,
		CustomerID: c.TenantID, CustomerName: c.CompanyName, OperationType: op, OperationStatus: "succeeded",
		OperationDate: now, ResourceType: resource,
	}
	s.addAuditLocked(rec)
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
		return pcErr(http.StatusBadRequest, 800002, "startDate and endDate must be RFC 3339 times or yyyy-mm-dd dates")
	}
	items := []auditRecord{}
	for _, a := range s.st.Audit {
		if a.PartnerID != p.TenantID || (!from.IsZero() && a.OperationDate.Before(from)) || (!to.IsZero() && a.OperationDate.After(to)) {
			continue
		}
		items = append(items, a)
	}
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
}

func (s *Sandbox) pcAuditRecord(r *http.Request, p *partner, _ time.Time) reply {
	if i, ok := s.ix.auditByID[r.PathValue("id")]; ok && i < len(s.st.Audit) {
		if a := s.st.Audit[i]; a.PartnerID == p.TenantID {
			return jsonReply(http.StatusOK, a)
		}
	}
	return pcErr(http.StatusNotFound, 1000, "Audit record "+r.PathValue("id")+" was not found.")
}

// --- webhook registration ---

// webhookEvents lists the events the sandbox can register; only the relationship, GDAP and
// transfer events are ever sent.
func webhookEvents() []string {
	return []string{
		"test-created", "subscription-updated", "reseller-relationship-accepted-by-customer",
		"granular-admin-relationship-approved", "granular-admin-relationship-activated",
		eventCompleteTransfer, eventFailTransfer,
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
		return pcErr(http.StatusNotFound, 1000, "No webhook registration exists for this partner.")
	}
	return jsonReply(http.StatusOK, registration{SubscriberID: p.Webhook.SubscriberID, WebhookURL: p.Webhook.URL, WebhookEvents: p.Webhook.Events})
}

func (s *Sandbox) pcPutRegistration(r *http.Request, p *partner, _ time.Time) reply {
	var reg registration
	if err := decodeJSON(r, &reg); err != nil {
		return pcErr(http.StatusBadRequest, 800002, err.Error())
	}
	if !strings.HasPrefix(reg.WebhookURL, "http://") && !strings.HasPrefix(reg.WebhookURL, "https://") {
		return pcErr(http.StatusBadRequest, 800002, "WebhookUrl must be an http(s) URL")
	}
	for _, e := range reg.WebhookEvents {
		if !slices.Contains(webhookEvents(), e) {
			return pcErr(http.StatusBadRequest, 800002, "unknown webhook event "+e)
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
