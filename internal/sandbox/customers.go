package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CustomerInput is the body of POST /sandbox/customers and the form of the seed data. Only TenantID (a
// GUID; generated when empty), Domain, CompanyName and Country are required.
type CustomerInput struct {
	TenantID    string `json:"tenantId"`
	Domain      string `json:"domain"`
	CompanyName string `json:"companyName"`
	Country     string `json:"country"`
	City        string `json:"city"`
	// Region, AddressLine1, PostalCode and PhoneNumber complete the company address (optional).
	Region          string          `json:"region"`
	AddressLine1    string          `json:"addressLine1"`
	PostalCode      string          `json:"postalCode"`
	PhoneNumber     string          `json:"phoneNumber"`
	Scenario        string          `json:"scenario"`
	AgreementSigned bool            `json:"agreementSigned"`
	Originals       []OriginalInput `json:"originals"`
	Groups          []GroupInput    `json:"groups"`
	Users           []UserInput     `json:"users"`
}

// OriginalInput is one of a customer's original subscriptions (bought direct, or from OwnerTenantID when
// another CSP partner owns it). It ends at ExpiresAt or ExpiresIn from now, one of the two.
type OriginalInput struct {
	SkuID         string     `json:"skuId"`
	SkuPartNumber string     `json:"skuPartNumber"`
	TotalLicenses int        `json:"totalLicenses"`
	ExpiresAt     *time.Time `json:"expiresAt"`
	// ExpiresIn is relative to the sandbox clock, e.g. "45d".
	ExpiresIn     string `json:"expiresIn"`
	OwnerTenantID string `json:"ownerTenantId"`
	AutoRenew     bool   `json:"autoRenew"`
	Term          string `json:"term"`
	Status        string `json:"status"`
	IsTrial       bool   `json:"isTrial"`
	// BillingCycle is monthly or annual (optional; default annual for P3Y, monthly otherwise). A
	// partner-to-partner transfer keeps it.
	BillingCycle string `json:"billingCycle"`
	// TransferBlocked, when set (a Partner Center error code such as "900103"), makes a
	// partner-to-partner transfer of this original fail on its line with that code (optional).
	TransferBlocked string `json:"transferBlocked"`
}

// LicenseInput is a license held by a user or a group: the SKU by id or part number, and the service
// plans disabled in it (by id or name).
type LicenseInput struct {
	SkuID         string   `json:"skuId"`
	SkuPartNumber string   `json:"skuPartNumber"`
	DisabledPlans []string `json:"disabledPlans"`
}

// GroupInput is a licensing group; its members name it in UserInput.Groups.
type GroupInput struct {
	ID          string         `json:"id"`
	DisplayName string         `json:"displayName"`
	Licenses    []LicenseInput `json:"licenses"`
}

// UserInput is a user holding licenses directly and through the groups named (by id or displayName).
type UserInput struct {
	ID                string         `json:"id"`
	UserPrincipalName string         `json:"userPrincipalName"`
	DisplayName       string         `json:"displayName"`
	Licenses          []LicenseInput `json:"licenses"`
	Groups            []string       `json:"groups"`
}

// inputError names the offending field so an operator can fix a request quickly.
type inputError struct {
	Field   string
	Message string
	// Status is the HTTP status of the refusal. default: 400
	Status int
}

func (e *inputError) Error() string { return e.Field + ": " + e.Message }

func (e *inputError) status() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

func bad(field, msg string) *inputError { return &inputError{Field: field, Message: msg} }

// stableID derives a GUID from a tenant and a name so seeded objects keep their ids.
func stableID(tenant, name string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(tenant+"/"+name)).String()
}

// buildCustomerLocked validates input and turns it into a customer.
func (s *Sandbox) buildCustomerLocked(in CustomerInput, now time.Time) (*customer, *inputError) {
	tid := strings.ToLower(strings.TrimSpace(in.TenantID))
	if tid == "" {
		tid = s.newID()
	} else if _, err := uuid.Parse(tid); err != nil {
		return nil, bad("tenantId", "must be a GUID")
	}
	if _, ok := s.st.Customers[tid]; ok {
		return nil, bad("tenantId", "a customer with this tenant id already exists")
	}
	if _, ok := s.st.Partners[tid]; ok {
		return nil, bad("tenantId", "this tenant id belongs to a partner")
	}
	domain := strings.ToLower(strings.TrimSpace(in.Domain))
	if domain == "" || !strings.Contains(domain, ".") || strings.ContainsAny(domain, " /@") {
		return nil, bad("domain", "is required and must look like contoso.onmicrosoft.com")
	}
	if c, ok := s.customerByDomainLocked(domain); ok {
		return nil, bad("domain", "is already used by customer "+c.TenantID)
	}
	if strings.TrimSpace(in.CompanyName) == "" {
		return nil, bad("companyName", "is required")
	}
	country := strings.ToUpper(strings.TrimSpace(in.Country))
	if len(country) != 2 {
		return nil, bad("country", "is required as an ISO 3166 alpha-2 code such as DE")
	}
	if !knownCountry(country) {
		return nil, bad("country", country+" is not in the sandbox's regional market table")
	}
	c := &customer{TenantID: tid, Domain: domain, CompanyName: strings.TrimSpace(in.CompanyName), Country: country,
		City: in.City, Region: in.Region, AddressLine1: in.AddressLine1, PostalCode: in.PostalCode, Phone: in.PhoneNumber,
		Scenario: in.Scenario, Relationships: map[string]time.Time{}, DirectSigned: in.AgreementSigned,
		Ledger: customerLedger{Acceptances: map[string]int{}}, ShortfallOpen: map[string]bool{}}

	for i, o := range in.Originals {
		at := "originals[" + strconv.Itoa(i) + "]"
		skuID, part, err := s.resolveSku(o.SkuID, o.SkuPartNumber)
		if err != "" {
			return nil, bad(at+".skuId", err)
		}
		if o.TotalLicenses <= 0 {
			return nil, bad(at+".totalLicenses", "must be positive")
		}
		var next time.Time
		switch {
		case o.ExpiresAt != nil && o.ExpiresIn != "":
			return nil, bad(at+".expiresAt", "give expiresAt or expiresIn, not both")
		case o.ExpiresAt != nil:
			next = o.ExpiresAt.UTC()
		case o.ExpiresIn != "":
			d, err := parseDuration(o.ExpiresIn)
			if err != nil || d <= 0 {
				return nil, bad(at+".expiresIn", "must be a positive duration such as \"45d\"")
			}
			next = now.Add(d)
		default:
			return nil, bad(at+".expiresAt", "give expiresAt (RFC 3339) or expiresIn (e.g. \"45d\")")
		}
		term := o.Term
		if term == "" {
			term = "P1Y"
		}
		if _, err := addISO(now, term); err != nil {
			return nil, bad(at+".term", "must be an ISO 8601 duration such as P1M or P1Y")
		}
		status := o.Status
		if status == "" {
			status = statusEnabled
		}
		if status != statusEnabled && status != statusWarning && status != statusSuspended {
			return nil, bad(at+".status", "must be Enabled, Warning or Suspended")
		}
		if o.OwnerTenantID != "" {
			if _, err := uuid.Parse(o.OwnerTenantID); err != nil {
				return nil, bad(at+".ownerTenantId", "must be a GUID (the other partner's tenant id) or empty for direct")
			}
		}
		cycle := strings.ToLower(o.BillingCycle)
		switch {
		case cycle == "" && strings.EqualFold(term, "P3Y"):
			cycle = "annual"
		case cycle == "":
			cycle = "monthly"
		case cycle != "monthly" && cycle != "annual":
			return nil, bad(at+".billingCycle", "must be monthly or annual")
		}
		var blocked errorCode
		if o.TransferBlocked != "" {
			n, err := strconv.Atoi(o.TransferBlocked)
			if err != nil || n <= 0 {
				return nil, bad(at+".transferBlocked", "must be a Partner Center error code such as \"900103\"")
			}
			blocked = errorCode(n)
		}
		created := now.AddDate(0, -6, 0)
		c.Originals = append(c.Originals, &companySub{
			ID: stableID(tid, "original/"+strconv.Itoa(i)), CommerceSubscriptionID: stableID(tid, "commerce/"+strconv.Itoa(i)),
			CreatedDateTime: created, SkuID: skuID, SkuPartNumber: part, TotalLicenses: o.TotalLicenses, Status: status,
			NextLifecycle: &next, OwnerTenantID: strings.ToLower(o.OwnerTenantID), AutoRenew: o.AutoRenew, Term: term, IsTrial: o.IsTrial,
			BillingCycle: cycle, TransferBlocked: blocked,
		})
	}
	for i, g := range in.Groups {
		at := "groups[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(g.DisplayName) == "" {
			return nil, bad(at+".displayName", "is required")
		}
		id := strings.ToLower(g.ID)
		if id == "" {
			id = stableID(tid, "group/"+g.DisplayName)
		} else if _, err := uuid.Parse(id); err != nil {
			return nil, bad(at+".id", "must be a GUID")
		}
		if findGroup(c, id) != nil {
			return nil, bad(at+".displayName", "duplicate group")
		}
		lic, ierr := s.licensesFor(c, at, g.Licenses)
		if ierr != nil {
			return nil, ierr
		}
		c.Groups = append(c.Groups, &group{ID: id, DisplayName: g.DisplayName, Licenses: lic, Created: now})
	}
	for i, u := range in.Users {
		at := "users[" + strconv.Itoa(i) + "]"
		upn := strings.ToLower(strings.TrimSpace(u.UserPrincipalName))
		if upn == "" || !strings.Contains(upn, "@") {
			return nil, bad(at+".userPrincipalName", "is required and must look like name@domain")
		}
		if findUser(c, upn) != nil {
			return nil, bad(at+".userPrincipalName", "duplicate user")
		}
		id := strings.ToLower(u.ID)
		if id == "" {
			id = stableID(tid, "user/"+upn)
		} else if _, err := uuid.Parse(id); err != nil {
			return nil, bad(at+".id", "must be a GUID")
		}
		lic, ierr := s.licensesFor(c, at, u.Licenses)
		if ierr != nil {
			return nil, ierr
		}
		nu := &user{ID: id, UserPrincipalName: upn, DisplayName: u.DisplayName, UsageLocation: country, Licenses: lic, LastUpdated: now}
		for j, gref := range u.Groups {
			g := findGroup(c, gref)
			if g == nil {
				for _, cand := range c.Groups {
					if strings.EqualFold(cand.DisplayName, gref) {
						g = cand
					}
				}
			}
			if g == nil {
				return nil, bad(at+".groups["+strconv.Itoa(j)+"]", "no group with this id or displayName")
			}
			nu.Groups = append(nu.Groups, g.ID)
		}
		c.Users = append(c.Users, nu)
	}
	for _, sku := range s.skuIDsLocked(c) {
		if consumed, serving := s.consumedLocked(c, sku), s.seatsLocked(c, sku).serving(); consumed > serving {
			return nil, bad("users", strconv.Itoa(consumed)+" users hold "+s.partNumberLocked(c, sku)+" but only "+strconv.Itoa(serving)+" seats serve")
		}
	}
	return c, nil
}

func (s *Sandbox) resolveSku(skuID, part string) (string, string, string) {
	switch {
	case skuID != "":
		if _, err := uuid.Parse(skuID); err != nil {
			return "", "", "must be a GUID"
		}
		if cs, ok := s.cat.byGraphSku(skuID); ok {
			return cs.GraphSkuID, cs.SkuPartNumber, ""
		}
		if part == "" {
			return "", "", "is not in the sandbox catalog; also give skuPartNumber"
		}
		return strings.ToLower(skuID), part, ""
	case part != "":
		if cs, ok := s.cat.byPartNumber(part); ok {
			return cs.GraphSkuID, cs.SkuPartNumber, ""
		}
		return "", "", "skuPartNumber " + part + " is not in the sandbox catalog; give skuId too"
	}
	return "", "", "give skuId or skuPartNumber"
}

func (s *Sandbox) licensesFor(c *customer, at string, in []LicenseInput) ([]assignedLicense, *inputError) {
	var out []assignedLicense
	for j, l := range in {
		f := at + ".licenses[" + strconv.Itoa(j) + "]"
		skuID, _, err := s.resolveSku(l.SkuID, l.SkuPartNumber)
		if err != "" {
			return nil, bad(f+".skuId", err)
		}
		found := false
		for _, o := range c.Originals {
			if strings.EqualFold(o.SkuID, skuID) {
				found = true
			}
		}
		if !found {
			return nil, bad(f+".skuId", "the customer has no original subscription with this SKU")
		}
		plans := s.plansFor(skuID)
		for k, dp := range l.DisabledPlans {
			ok := false
			for _, p := range plans {
				if strings.EqualFold(p.ID, dp) || strings.EqualFold(p.Name, dp) {
					dp, ok = p.ID, true
				}
			}
			if !ok {
				return nil, bad(f+".disabledPlans["+strconv.Itoa(k)+"]", "is not a service plan of this SKU")
			}
			l.DisabledPlans[k] = dp
		}
		out = append(out, assignedLicense{SkuID: skuID, DisabledPlans: nonNil(l.DisabledPlans)})
	}
	return out, nil
}
