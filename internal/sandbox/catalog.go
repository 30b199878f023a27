package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// servicePlan is one service inside a SKU; disabledPlans refer to ServicePlanID.
type servicePlan struct {
	ID   string `json:"servicePlanId"`
	Name string `json:"servicePlanName"`
}

// catalogSku is one sellable SKU. The built-in catalog (newCatalog) lives in the Sandbox value, not in
// the state file, so a new sandbox version can change it; what the admin API adds or retires is kept in
// the state file (catalogChanges) and applied on top of it.
type catalogSku struct {
	ProductID      string
	SkuID          string
	ProductTitle   string
	SkuTitle       string
	Description    string
	GraphSkuID     string
	SkuPartNumber  string
	Min, Max       int
	Plans          []servicePlan
	Discontinued   bool
	UpgradeTargets []string
	NotSoldIn      []string
	// Countries, when set, are the only countries with an availability (otherwise every known country).
	Countries []string
	// PriceUSD is the list price (see listPricesUSD) of a SKU the admin API added.
	PriceUSD float64
	// Added is set on a SKU the admin API added.
	Added bool
}

// markets maps ISO country codes to the CSP regional market that sells there. It is a
// small excerpt of Microsoft's table: enough for the seeded customers and common tests.
func markets() map[string]string {
	return map[string]string{
		"AT": "Europe", "BE": "Europe", "BG": "Europe", "CH": "Europe", "CY": "Europe", "CZ": "Europe",
		"DE": "Europe", "DK": "Europe", "EE": "Europe", "ES": "Europe", "FI": "Europe", "FR": "Europe",
		"GB": "Europe", "GR": "Europe", "HR": "Europe", "HU": "Europe", "IE": "Europe", "IS": "Europe",
		"IT": "Europe", "LI": "Europe", "LT": "Europe", "LU": "Europe", "LV": "Europe", "MT": "Europe",
		"NL": "Europe", "NO": "Europe", "PL": "Europe", "PT": "Europe", "RO": "Europe", "SE": "Europe",
		"SI": "Europe", "SK": "Europe",
		"US": "United States", "UM": "United States",
		"CA": "Canada",
		"JP": "Japan",
		"BR": "Brazil",
		"IN": "India",
		"KR": "Korea",
		"TW": "Taiwan",
		"AU": "Australia",
		"NZ": "New Zealand",
		"MX": "Latin America", "AR": "Latin America", "CL": "Latin America", "CO": "Latin America",
		"SG": "Asia", "HK": "Asia", "MY": "Asia", "TH": "Asia",
		"TR": "Middle East", "AE": "Middle East", "SA": "Middle East", "ZA": "Middle East",
	}
}

// market returns the CSP regional market of a country; unknown countries form their own.
func market(country string) string {
	if m, ok := markets()[strings.ToUpper(country)]; ok {
		return m
	}
	return strings.ToUpper(country)
}

func knownCountry(country string) bool {
	_, ok := markets()[strings.ToUpper(country)]
	return ok
}

// Well-known service plans (ids as Microsoft publishes them).
var (
	planExchangeEnt   = servicePlan{"efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE"}
	planExchangeStd   = servicePlan{"9aaf7827-d63c-4b61-89c3-182f06f82e5c", "EXCHANGE_S_STANDARD"}
	planSharePointEnt = servicePlan{"5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE"}
	planSharePointStd = servicePlan{"c7699d2e-19aa-44de-8edf-1736da088ca1", "SHAREPOINTSTANDARD"}
	planOfficeProPlus = servicePlan{"43de0ff5-c92c-492b-9116-175376d08c38", "OFFICESUBSCRIPTION"}
	planOfficeBiz     = servicePlan{"094e7854-93fc-4d55-b2c0-3ab5369ebdc1", "OFFICE_BUSINESS"}
	planSkypeStd      = servicePlan{"0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "MCOSTANDARD"}
	planTeams         = servicePlan{"57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1"}
	planIntune        = servicePlan{"c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A"}
	planAADP1         = servicePlan{"41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"}
	planD365Sales     = servicePlan{"2da8e897-7791-486b-b08f-cc63c8129df3", "DYN365_ENTERPRISE_SALES"}
	planFlowD365      = servicePlan{"7e6d7d78-73de-46ba-83b1-6d25117334ba", "FLOW_DYN_APPS"}
)

// Graph skuIds of the seeded products.
const (
	skuO365E3      = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuO365E1      = "18181a46-0d4e-45cd-891e-60aabd171b4e"
	skuO365E4      = "1392051d-0cb9-4b7a-88d5-621fee5e8711"
	skuM365E3      = "05e9a617-0261-4cee-bb44-138d3ef5d965"
	skuBizBasic    = "3b555118-da6a-4418-894f-7df1e2096870"
	skuBizStandard = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"
	skuBizPremium  = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
	skuD365Sales   = "1e1a282c-9c54-43a2-9310-98ef728faace"
)

type catalog struct {
	skus []catalogSku
}

func newCatalog() *catalog {
	e3Plans := []servicePlan{planExchangeEnt, planSharePointEnt, planOfficeProPlus, planSkypeStd, planTeams}
	return &catalog{skus: []catalogSku{
		{ProductID: "CFQ7TTC0LH18", SkuID: "0001", ProductTitle: "Microsoft 365 Business Basic", SkuTitle: "Microsoft 365 Business Basic",
			GraphSkuID: skuBizBasic, SkuPartNumber: "O365_BUSINESS_ESSENTIALS", Min: 1, Max: 300,
			Plans: []servicePlan{planExchangeStd, planSharePointStd, planTeams}},
		{ProductID: "CFQ7TTC0LDPB", SkuID: "0001", ProductTitle: "Microsoft 365 Business Standard", SkuTitle: "Microsoft 365 Business Standard",
			GraphSkuID: skuBizStandard, SkuPartNumber: "O365_BUSINESS_PREMIUM", Min: 1, Max: 300,
			Plans: []servicePlan{planExchangeStd, planSharePointStd, planOfficeBiz, planTeams}},
		{ProductID: "CFQ7TTC0LCHC", SkuID: "0002", ProductTitle: "Microsoft 365 Business Premium", SkuTitle: "Microsoft 365 Business Premium",
			GraphSkuID: skuBizPremium, SkuPartNumber: "SPB", Min: 1, Max: 300,
			Plans: []servicePlan{planExchangeStd, planSharePointStd, planOfficeBiz, planTeams, planIntune, planAADP1}},
		{ProductID: "CFQ7TTC0LF8Q", SkuID: "0001", ProductTitle: "Office 365 E1", SkuTitle: "Office 365 E1",
			GraphSkuID: skuO365E1, SkuPartNumber: "STANDARDPACK", Min: 1, Max: 10000,
			Plans: []servicePlan{planExchangeStd, planSharePointStd, planTeams}},
		{ProductID: "CFQ7TTC0LFLX", SkuID: "0001", ProductTitle: "Office 365 E3", SkuTitle: "Office 365 E3",
			GraphSkuID: skuO365E3, SkuPartNumber: "ENTERPRISEPACK", Min: 1, Max: 10000, Plans: e3Plans},
		{ProductID: "CFQ7TTC0LFK5", SkuID: "0002", ProductTitle: "Microsoft 365 E3", SkuTitle: "Microsoft 365 E3",
			GraphSkuID: skuM365E3, SkuPartNumber: "SPE_E3", Min: 1, Max: 10000,
			Plans: append(slices.Clone(e3Plans), planIntune, planAADP1)},
		{ProductID: "CFQ7TTC0E4XX", SkuID: "0001", ProductTitle: "Office 365 E4", SkuTitle: "Office 365 E4 (retired)",
			Description: "Retired. Existing subscriptions keep working until their end date; buy Office 365 E3 instead.",
			GraphSkuID:  skuO365E4, SkuPartNumber: "ENTERPRISEWITHSCAL", Min: 1, Max: 10000, Plans: e3Plans,
			Discontinued: true, UpgradeTargets: []string{"CFQ7TTC0LFLX:0001"}},
		{ProductID: "CFQ7TTC0LH2H", SkuID: "0001", ProductTitle: "Dynamics 365 Sales Enterprise", SkuTitle: "Dynamics 365 Sales Enterprise Edition",
			GraphSkuID: skuD365Sales, SkuPartNumber: "DYN365_ENTERPRISE_SALES", Min: 1, Max: 10000,
			Plans: []servicePlan{planD365Sales, planFlowD365}, NotSoldIn: []string{"JP"}},
	}}
}

func (c *catalog) bySkuKey(productID, skuID string) (catalogSku, bool) {
	for _, s := range c.skus {
		if strings.EqualFold(s.ProductID, productID) && strings.EqualFold(s.SkuID, skuID) {
			return s, true
		}
	}
	return catalogSku{}, false
}

func (c *catalog) byGraphSku(graphSkuID string) (catalogSku, bool) {
	for _, s := range c.skus {
		if strings.EqualFold(s.GraphSkuID, graphSkuID) {
			return s, true
		}
	}
	return catalogSku{}, false
}

func (c *catalog) byPartNumber(part string) (catalogSku, bool) {
	for _, s := range c.skus {
		if strings.EqualFold(s.SkuPartNumber, part) {
			return s, true
		}
	}
	return catalogSku{}, false
}

// product returns the skus of one product.
func (c *catalog) product(productID string) []catalogSku {
	var out []catalogSku
	for _, s := range c.skus {
		if strings.EqualFold(s.ProductID, productID) {
			out = append(out, s)
		}
	}
	return out
}

func (s catalogSku) soldIn(country string) bool {
	country = strings.ToUpper(country)
	if len(s.Countries) > 0 && !slices.Contains(s.Countries, country) {
		return false
	}
	return knownCountry(country) && !slices.Contains(s.NotSoldIn, country)
}

// availabilityID is stable per sku and country: Microsoft warns availability ids change
// over time, but a stable one keeps replays and tests deterministic.
func (s catalogSku) availabilityID(country string) string {
	sum := sha256.Sum256([]byte(s.ProductID + "/" + s.SkuID + "/" + strings.ToUpper(country)))
	return "DZH3" + strings.ToUpper(hex.EncodeToString(sum[:4]))
}

func (s catalogSku) catalogItemID(country string) string {
	return s.ProductID + ":" + s.SkuID + ":" + s.availabilityID(country)
}

// term is one purchasable term of an availability: a duration with a billing cycle, as Microsoft's
// new-commerce availability example lists them, with the refund policy of a cancellation.
type term struct {
	ID                   string               `json:"id"`
	Duration             string               `json:"duration"`
	Description          string               `json:"description"`
	BillingCycle         string               `json:"billingCycle"`
	CancellationPolicies []cancellationPolicy `json:"cancellationPolicies"`
}

type cancellationPolicy struct {
	RefundOptions []refundOption `json:"refundOptions"`
}

// refundOption is a full refund for a cancellation within ExpiresAfter of the purchase (refundWindow).
type refundOption struct {
	SequenceID   int    `json:"sequenceId"`
	Type         string `json:"type"`
	ExpiresAfter string `json:"expiresAfter"`
}

func (s catalogSku) terms() []term {
	refund := []cancellationPolicy{{RefundOptions: []refundOption{{SequenceID: 0, Type: "Full", ExpiresAfter: refundWindowISO}}}}
	mk := func(duration, cycle, desc string) term {
		sum := sha256.Sum256([]byte(s.ProductID + "/" + s.SkuID + "/" + duration + "/" + cycle))
		return term{ID: hex.EncodeToString(sum[:6]), Duration: duration, Description: desc, BillingCycle: cycle, CancellationPolicies: refund}
	}
	return []term{
		mk("P1M", "monthly", "One-Month commitment for monthly billing"),
		mk("P1Y", "monthly", "One-Year commitment for monthly billing"),
		mk("P1Y", "annual", "One-Year commitment for yearly billing"),
		mk("P3Y", "annual", "Three-Year commitment for yearly billing"),
	}
}

func (s catalogSku) hasTerm(duration, cycle string) bool {
	for _, t := range s.terms() {
		if strings.EqualFold(t.Duration, duration) && strings.EqualFold(t.BillingCycle, cycle) {
			return true
		}
	}
	return false
}

// resolveCatalogItem parses "product:sku:availability" for a country. It reports whether
// the item exists at all (for 800004 vs 800070 answers).
func (c *catalog) resolveCatalogItem(id, country string) (catalogSku, bool, bool) {
	parts := strings.Split(id, ":")
	if len(parts) != 3 {
		return catalogSku{}, false, false
	}
	s, ok := c.bySkuKey(parts[0], parts[1])
	if !ok {
		return catalogSku{}, false, false
	}
	if !s.soldIn(country) || !strings.EqualFold(parts[2], s.availabilityID(country)) {
		return s, true, false
	}
	return s, true, true
}
