package sandbox

import (
	"fmt"
	"time"
)

// Seeded partner tenants, one per CSP regional market.
const (
	PartnerEU = "4a9e3f2c-1b7d-4e8a-9c6f-2d5b8e1a7c30"
	PartnerUS = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e51"
	PartnerJP = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
	// OtherCSP (Contoso Cloud Partners LLC, US) owns some originals. It is a source partner: the sandbox
	// issues it tokens and serves it the transfer endpoints, and nothing else (README.md).
	OtherCSP = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
)

// Seeded customer tenants; README.md describes the scenario each one shows.
const (
	CustomerSameOffer    = "a1b2c3d4-0001-4000-8000-000000000001"
	CustomerDiscontinued = "a1b2c3d4-0002-4000-8000-000000000002"
	CustomerOtherCSP     = "a1b2c3d4-0003-4000-8000-000000000003"
	CustomerAutoRenew    = "a1b2c3d4-0004-4000-8000-000000000004"
	CustomerJapan        = "a1b2c3d4-0005-4000-8000-000000000005"
	CustomerNoMarket     = "a1b2c3d4-0006-4000-8000-000000000006"
	CustomerPartnerMix   = "a1b2c3d4-0007-4000-8000-000000000007"
)

// seedSourcePartners are the CSP partners the sandbox knows only as the current owners of customers'
// originals: the source side of a partner-to-partner transfer. They are kept apart from the transacting
// partners (state.Partners): no reseller relationship, legal business profile, invitation link, GDAP or
// ledger entry, so nothing that picks this product's partner tenant can pick one.
func seedSourcePartners() []*partner {
	return []*partner{
		{TenantID: OtherCSP, CompanyName: "Contoso Cloud Partners LLC", Country: "US", City: "Denver", State: "CO",
			AddressLine1: "1700 Lincoln Street", PostalCode: "80203", Phone: "+1 303 555 0150", MPNID: "6200001",
			Contact: contact{FirstName: "Morgan", LastName: "Lee", Email: "morgan.lee@contoso-partners.example", PhoneNumber: "+1 303 555 0150"}},
	}
}

func seedPartners() []*partner {
	return []*partner{
		{TenantID: PartnerEU, CompanyName: "Northwind Cloud Services GmbH", Country: "DE", City: "München", State: "BY",
			AddressLine1: "Leopoldstraße 1", PostalCode: "80802", Phone: "+49 89 5550100", MPNID: "6100001",
			Contact: contact{FirstName: "Anna", LastName: "Becker", Email: "anna.becker@northwind-eu.example", PhoneNumber: "+49 89 5550100"}},
		{TenantID: PartnerUS, CompanyName: "Northwind Cloud Services Inc.", Country: "US", City: "Seattle", State: "WA",
			AddressLine1: "1 Pine Street", PostalCode: "98101", Phone: "+1 206 555 0100", MPNID: "6100002",
			Contact: contact{FirstName: "Jordan", LastName: "Miller", Email: "jordan.miller@northwind-us.example", PhoneNumber: "+1 206 555 0100"}},
		{TenantID: PartnerJP, CompanyName: "Northwind Cloud Services K.K.", Country: "JP", City: "Tokyo", State: "13",
			AddressLine1: "1-1 Marunouchi", PostalCode: "100-0005", Phone: "+81 3 5550 0100", MPNID: "6100003",
			Contact: contact{FirstName: "Yuki", LastName: "Tanaka", Email: "yuki.tanaka@northwind-jp.example", PhoneNumber: "+81 3 5550 0100"}},
	}
}

// users makes n licensed users named user01@domain...; the names are synthetic.
func users(domain string, from, n int, lic ...LicenseInput) []UserInput {
	var out []UserInput
	for i := from; i < from+n; i++ {
		out = append(out, UserInput{UserPrincipalName: fmt.Sprintf("user%02d@%s", i, domain), DisplayName: fmt.Sprintf("User %02d", i), Licenses: lic})
	}
	return out
}

func lic(part string, disabled ...string) LicenseInput {
	return LicenseInput{SkuPartNumber: part, DisabledPlans: disabled}
}

func seedCustomers() []CustomerInput {
	fab := "fabrikam-fr.onmicrosoft.com"
	fabUsers := users(fab, 1, 3, lic("ENTERPRISEWITHSCAL"))
	fabUsers = append(fabUsers, UserInput{UserPrincipalName: "user04@" + fab, DisplayName: "User 04", Licenses: []LicenseInput{lic("ENTERPRISEWITHSCAL", "TEAMS1")}})
	for _, u := range users(fab, 5, 5) {
		u.Groups = []string{"Licensing - Office 365 E4"}
		fabUsers = append(fabUsers, u)
	}
	fabUsers = append(fabUsers, users(fab, 10, 6, lic("STANDARDPACK"))...)

	luc := "lucernepublishing-us.onmicrosoft.com"
	lucUsers := append(users(luc, 1, 8, lic("SPB")), users(luc, 9, 4, lic("STANDARDPACK"))...)

	tail := "tailspintoys-us.onmicrosoft.com"
	tailUsers := append(users(tail, 1, 20, lic("SPE_E3")), users(tail, 21, 4, lic("DYN365_ENTERPRISE_SALES"))...)
	ada := "adatum-jp.onmicrosoft.com"
	adaUsers := append(users(ada, 1, 8, lic("ENTERPRISEPACK")), users(ada, 9, 2, lic("DYN365_ENTERPRISE_SALES"))...)
	alp := "alpineskihouse-de.onmicrosoft.com"
	alpUsers := append(users(alp, 1, 10, lic("ENTERPRISEPACK")), users(alp, 11, 3, lic("O365_BUSINESS_ESSENTIALS"))...)

	return []CustomerInput{
		{TenantID: CustomerSameOffer, Domain: alp, CompanyName: "Alpine Ski House GmbH", Country: "DE", City: "Garmisch", AddressLine1: "Zugspitzstraße 10", PostalCode: "82467", PhoneNumber: "+49 8821 555010",
			Scenario: "same offer: Office 365 E3 and Business Basic bought direct; MCA not yet accepted (13605 until attested)",
			Originals: []OriginalInput{
				{SkuPartNumber: "ENTERPRISEPACK", TotalLicenses: 20, ExpiresIn: "45d"},
				{SkuPartNumber: "O365_BUSINESS_ESSENTIALS", TotalLicenses: 5, ExpiresIn: "45d", Term: "P1M"},
			}, Users: alpUsers},
		{TenantID: CustomerDiscontinued, Domain: fab, CompanyName: "Fabrikam SARL", Country: "FR", City: "Lyon", AddressLine1: "10 rue de la République", PostalCode: "69002", PhoneNumber: "+33 4 55 50 10 10", AgreementSigned: true,
			Scenario: "discontinued offer: Office 365 E4 (retired, successor Office 365 E3) held by direct users and a licensing group; plus Office 365 E1 same offer",
			Originals: []OriginalInput{
				{SkuPartNumber: "ENTERPRISEWITHSCAL", TotalLicenses: 12, ExpiresIn: "30d"},
				{SkuPartNumber: "STANDARDPACK", TotalLicenses: 8, ExpiresIn: "30d"},
			},
			Groups: []GroupInput{{DisplayName: "Licensing - Office 365 E4", Licenses: []LicenseInput{lic("ENTERPRISEWITHSCAL")}}},
			Users:  fabUsers},
		{TenantID: CustomerOtherCSP, Domain: "wideworldimporters-us.onmicrosoft.com", CompanyName: "Wide World Importers Inc.", Country: "US", City: "Chicago", Region: "IL", AddressLine1: "100 Wacker Drive", PostalCode: "60601", PhoneNumber: "+1 312 555 0110",
			Scenario:  "another CSP partner owns the original: Microsoft 365 Business Premium (ownerTenantId set)",
			Originals: []OriginalInput{{SkuPartNumber: "SPB", TotalLicenses: 15, ExpiresIn: "60d", OwnerTenantID: OtherCSP}},
			Users:     users("wideworldimporters-us.onmicrosoft.com", 1, 12, lic("SPB"))},
		{TenantID: CustomerAutoRenew, Domain: tail, CompanyName: "Tailspin Toys Corp.", Country: "US", City: "Austin", Region: "TX", AddressLine1: "200 Congress Avenue", PostalCode: "78701", PhoneNumber: "+1 512 555 0120", AgreementSigned: true,
			Scenario: "auto-renewing original: Microsoft 365 E3 renews for a year at its end date unless recurring billing is turned off; Dynamics 365 Sales ends normally",
			Originals: []OriginalInput{
				{SkuPartNumber: "SPE_E3", TotalLicenses: 25, ExpiresIn: "20d", AutoRenew: true},
				{SkuPartNumber: "DYN365_ENTERPRISE_SALES", TotalLicenses: 5, ExpiresIn: "90d"},
			}, Users: tailUsers},
		{TenantID: CustomerJapan, Domain: ada, CompanyName: "Adatum K.K.", Country: "JP", City: "Osaka", AddressLine1: "1-1 Umeda", PostalCode: "530-0001", PhoneNumber: "+81 6 5550 0130",
			Scenario: "Japan market: needs the JP partner (region mismatch with the EU partner); Dynamics 365 Sales is not sold in JP (800070)",
			Originals: []OriginalInput{
				{SkuPartNumber: "ENTERPRISEPACK", TotalLicenses: 10, ExpiresIn: "40d"},
				{SkuPartNumber: "DYN365_ENTERPRISE_SALES", TotalLicenses: 3, ExpiresIn: "40d"},
			}, Users: adaUsers},
		{TenantID: CustomerNoMarket, Domain: "woodgrove-br.onmicrosoft.com", CompanyName: "Woodgrove Ltda.", Country: "BR", City: "São Paulo", Region: "SP", AddressLine1: "Avenida Paulista 1000", PostalCode: "01310-100", PhoneNumber: "+55 11 5550 0140",
			Scenario:  "region mismatch: Brazil is its own CSP market and no sandbox partner serves it",
			Originals: []OriginalInput{{SkuPartNumber: "O365_BUSINESS_PREMIUM", TotalLicenses: 10, ExpiresIn: "50d"}},
			Users:     users("woodgrove-br.onmicrosoft.com", 1, 7, lic("O365_BUSINESS_PREMIUM"))},
		{TenantID: CustomerPartnerMix, Domain: luc, CompanyName: "Lucerne Publishing Inc.", Country: "US", City: "Boston", Region: "MA", AddressLine1: "50 Milk Street", PostalCode: "02109", PhoneNumber: "+1 617 555 0170", AgreementSigned: true,
			Scenario: "partner mix: Microsoft 365 Business Premium owned by another CSP partner (OtherCSP, transferable partner to partner) and Office 365 E1 bought direct (buy the same offer)",
			Originals: []OriginalInput{
				{SkuPartNumber: "SPB", TotalLicenses: 10, ExpiresIn: "200d", OwnerTenantID: OtherCSP, BillingCycle: "annual"},
				{SkuPartNumber: "STANDARDPACK", TotalLicenses: 5, ExpiresIn: "45d"},
			}, Users: lucUsers},
	}
}

// seedLocked adds whatever seeded partner or customer is missing.
func (s *Sandbox) seedLocked() {
	for _, p := range seedPartners() {
		if _, ok := s.st.Partners[p.TenantID]; !ok {
			s.st.Partners[p.TenantID] = p
			s.dirty = true
		}
	}
	now := s.sandboxNowLocked()
	if s.st.Evaluated.After(now) {
		now = s.st.Evaluated
	}
	for _, in := range seedCustomers() {
		if _, ok := s.st.Customers[in.TenantID]; ok {
			continue
		}
		c, err := s.buildCustomerLocked(in, now.Truncate(time.Second))
		if err != nil {
			// The seed data is fixed; a failure here is a programming error worth seeing.
			s.log.Error("seed customer", "tenantId", in.TenantID, "error", err)
			continue
		}
		s.addCustomerLocked(c)
	}
}

// PartnerTenantIDs lists the seeded partner tenants, one per region, as a worker configured for the
// sandbox as its Partner Center (PARTNER_CENTER_TENANT_IDS) lists them.
func PartnerTenantIDs() []string {
	return []string{PartnerEU, PartnerUS, PartnerJP}
}
