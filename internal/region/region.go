// Package region maps countries to Cloud Solution Provider (CSP) regional
// markets.
//
// A CSP partner tenant may only transact for customers in the regional market
// of its own legal business location. The table follows Microsoft's "Cloud
// Solution Provider program regional markets and currencies" page (Partner
// Center documentation, revision of 2021-04-15). Microsoft revises that page
// from time to time; when it changes, this table must change with it.
package region

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MarketID identifies a CSP regional market.
type MarketID string

// The CSP regional markets.
const (
	Africa                MarketID = "africa"
	AsiaPacific           MarketID = "asia-pacific"
	Australia             MarketID = "australia"
	Brazil                MarketID = "brazil"
	Canada                MarketID = "canada"
	Europe                MarketID = "europe"
	India                 MarketID = "india"
	Japan                 MarketID = "japan"
	Korea                 MarketID = "korea"
	LatinAmericaCaribbean MarketID = "latin-america-caribbean"
	MiddleEastCentralEast MarketID = "middle-east-central-eastern-europe"
	NewZealand            MarketID = "new-zealand"
	Russia                MarketID = "russia"
	Taiwan                MarketID = "taiwan"
	UnitedStates          MarketID = "united-states"
)

// Market is one CSP regional market: the set of countries a partner located
// in any of them may sell to.
type Market struct {
	// ID is the stable identifier of the market.
	ID MarketID
	// Name is the market's display name as Microsoft titles it.
	Name string
}

// ErrUnknownCountry is matched (errors.Is) by every error about a country
// that is malformed or in no CSP regional market.
var ErrUnknownCountry = errors.New("unknown country")

// ErrNoPartnerForMarket is returned by PickPartner when no partner tenant is
// in the customer's market.
var ErrNoPartnerForMarket = errors.New("no partner tenant in the customer's CSP regional market")

var markets = map[MarketID]string{
	Africa:                "Africa",
	AsiaPacific:           "Asia and Pacific",
	Australia:             "Australia",
	Brazil:                "Brazil",
	Canada:                "Canada",
	Europe:                "Europe",
	India:                 "India",
	Japan:                 "Japan",
	Korea:                 "Korea, Republic of",
	LatinAmericaCaribbean: "Latin America and the Caribbean",
	MiddleEastCentralEast: "Middle East, Central Europe, and Eastern Europe",
	NewZealand:            "New Zealand",
	Russia:                "Russia",
	Taiwan:                "Taiwan",
	UnitedStates:          "United States",
}

// members lists each market's ISO 3166-1 alpha-2 codes in the order of
// Microsoft's page. Some placements look odd geographically (French Polynesia
// and New Caledonia under Africa, Guam under Australia, Puerto Rico under
// Latin America); they are Microsoft's, not typos.
var members = map[MarketID][]string{
	Africa: {
		"AO", "BJ", "BW", "BF", "BI", "CM", "CV", "CF", "TD", "KM", "CG", "CD",
		"CI", "DJ", "GQ", "ER", "ET", "PF", "GA", "GM", "GH", "GN", "GW", "KE",
		"LR", "MG", "MW", "ML", "MU", "YT", "NA", "NC", "NE", "NG", "RE", "RW",
		"ST", "SN", "SC", "SL", "SO", "SS", "SH", "TZ", "TG", "UG", "ZM",
	},
	AsiaPacific: {
		"BD", "BT", "BN", "KH", "HK", "ID", "LA", "MO", "MY", "MV", "MM", "NP",
		"PH", "SG", "LK", "TH", "TL", "VN",
	},
	Australia: {
		"AU", "CX", "CC", "CK", "FJ", "TF", "GU", "HM", "KI", "MH", "FM", "NR",
		"NU", "NF", "MP", "PW", "PG", "PN", "SB", "TK", "TO", "TV", "WF",
	},
	Brazil: {"BR"},
	Canada: {"CA", "PM"},
	Europe: {
		"AX", "AD", "AT", "BE", "BV", "BG", "HR", "CY", "CZ", "DK", "EE", "FO",
		"FI", "FR", "DE", "GI", "GR", "GL", "GG", "HU", "IS", "IE", "IM", "IT",
		"JE", "LV", "LI", "LT", "LU", "MT", "MC", "NL", "NO", "PL", "PT", "RO",
		"SM", "SK", "SI", "ES", "SJ", "SE", "CH", "GB", "VA",
	},
	India: {"IN"},
	Japan: {"JP"},
	Korea: {"KR"},
	LatinAmericaCaribbean: {
		"AI", "AQ", "AG", "AR", "AW", "BS", "BB", "BZ", "BM", "BO", "BQ", "VG",
		"KY", "CL", "CO", "CR", "CW", "DM", "DO", "EC", "SV", "FK", "GF", "GD",
		"GP", "GT", "GY", "HT", "HN", "JM", "MQ", "MX", "MS", "NI", "PA", "PY",
		"PE", "PR", "BL", "KN", "LC", "MF", "VC", "SX", "GS", "SR", "TT", "TC",
		"UY", "VE", "VI",
	},
	MiddleEastCentralEast: {
		"AF", "AL", "DZ", "AM", "AZ", "BH", "BY", "BA", "IO", "EG", "GE", "IQ",
		"IL", "JO", "KZ", "XK", "KW", "KG", "LB", "LS", "LY", "MK", "MR", "MD",
		"MN", "ME", "MA", "MZ", "OM", "PK", "PS", "QA", "SA", "RS", "ZA", "SZ",
		"TJ", "TN", "TR", "TM", "UA", "AE", "UZ", "YE", "ZW",
	},
	NewZealand:   {"AS", "NZ", "WS", "VU"},
	Russia:       {"RU"},
	Taiwan:       {"TW"},
	UnitedStates: {"US", "UM"},
}

// aliases maps codes that are not the ISO 3166-1 alpha-2 code but are common
// in real address data to the code used in the table.
var aliases = map[string]string{
	"UK": "GB", // the United Kingdom's exceptionally reserved code
}

// Of returns the CSP regional market of an ISO 3166-1 alpha-2 country code
// (case-insensitive, surrounding spaces ignored). It returns an error matching
// ErrUnknownCountry when the code is malformed or in no market (for example a
// sanctioned country, or China, which CSP serves through 21Vianet).
func Of(country string) (Market, error) {
	code, err := normalize(country)
	if err != nil {
		return Market{}, err
	}
	id, ok := lookup(code)
	if !ok {
		return Market{}, fmt.Errorf("country %q is in no CSP regional market: %w", country, ErrUnknownCountry)
	}
	return Market{ID: id, Name: markets[id]}, nil
}

// Same reports whether two countries are in the same CSP regional market, so
// that a partner located in one may resell to a customer billed in the other.
func Same(a, b string) (bool, error) {
	ma, err := Of(a)
	if err != nil {
		return false, err
	}
	mb, err := Of(b)
	if err != nil {
		return false, err
	}
	return ma.ID == mb.ID, nil
}

// Countries returns the ISO 3166-1 alpha-2 codes of a market, sorted. It
// returns nil for an unknown market.
func Countries(id MarketID) []string {
	codes := append([]string(nil), members[id]...)
	sort.Strings(codes)
	return codes
}

// Markets returns every market, sorted by ID.
func Markets() []Market {
	out := make([]Market, 0, len(markets))
	for id, name := range markets {
		out = append(out, Market{ID: id, Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Partner is a partner tenant and the country of its legal business profile.
type Partner struct {
	// TenantID is the partner's Microsoft Entra tenant ID.
	TenantID string
	// Country is the ISO 3166-1 alpha-2 country of the partner's legal
	// business profile.
	Country string
}

// PickPartner returns the first partner tenant whose market contains the
// customer's country. A partner with a malformed or unknown country is an
// error, not silently skipped, because it hides a configuration mistake that
// would otherwise look like "no partner for this region". It returns an error
// matching ErrNoPartnerForMarket when no partner matches.
func PickPartner(partners []Partner, customerCountry string) (Partner, error) {
	want, err := Of(customerCountry)
	if err != nil {
		return Partner{}, fmt.Errorf("customer: %w", err)
	}
	for _, p := range partners {
		m, err := Of(p.Country)
		if err != nil {
			return Partner{}, fmt.Errorf("partner tenant %s: %w", p.TenantID, err)
		}
		if m.ID == want.ID {
			return p, nil
		}
	}
	return Partner{}, fmt.Errorf("customer country %s is in market %q: %w", strings.ToUpper(strings.TrimSpace(customerCountry)), want.Name, ErrNoPartnerForMarket)
}

func normalize(country string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(country))
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return "", fmt.Errorf("country %q: want an ISO 3166-1 alpha-2 code such as \"DE\": %w", country, ErrUnknownCountry)
	}
	if alias, ok := aliases[code]; ok {
		code = alias
	}
	return code, nil
}

func lookup(code string) (MarketID, bool) {
	for id, codes := range members {
		for _, c := range codes {
			if c == code {
				return id, true
			}
		}
	}
	return "", false
}
