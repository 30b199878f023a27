package sandbox

import (
	"math"
	"strings"
	"time"
)

// currency is what a country is billed in.
type currency struct {
	Code   string
	Symbol string
	// PerUSD converts the sandbox's USD list prices; Decimals is how the currency is rounded.
	PerUSD   float64
	Decimals int
}

var (
	usd = currency{"USD", "$", 1, 2}
	eur = currency{"EUR", "€", 0.94, 2}
)

// countryCurrencies maps the countries that are not billed in EUR (Europe) or USD (elsewhere).
var countryCurrencies = map[string]currency{
	"GB": {"GBP", "£", 0.82, 2},
	"CH": {"CHF", "CHF", 0.90, 2}, "LI": {"CHF", "CHF", 0.90, 2},
	"DK": {"DKK", "kr.", 7.0, 2},
	"NO": {"NOK", "kr", 10.5, 2},
	"SE": {"SEK", "kr", 10.6, 2},
	"CA": {"CAD", "C$", 1.36, 2},
	"JP": {"JPY", "¥", 150, 0},
	"BR": {"BRL", "R$", 5.0, 2},
	"IN": {"INR", "₹", 83, 2},
	"KR": {"KRW", "₩", 1330, 0},
	"TW": {"TWD", "NT$", 31, 0},
	"AU": {"AUD", "A$", 1.52, 2},
	"NZ": {"NZD", "NZ$", 1.65, 2},
}

// currencyOf is the currency a customer in country is billed in: the table above, EUR for the rest of the
// European market, USD elsewhere.
func currencyOf(country string) currency {
	country = strings.ToUpper(country)
	if c, ok := countryCurrencies[country]; ok {
		return c
	}
	if market(country) == "Europe" {
		return eur
	}
	return usd
}

// listPricesUSD is the sandbox's price list: the monthly price of one seat with an annual commitment, in
// USD, per catalog item (product:sku); a SKU the admin API adds brings its own (catalogSku.PriceUSD). Other
// currencies convert it (currency.PerUSD); a monthly term (P1M) costs 20% more, as in new commerce; an
// annual or triennial billing cycle is billed 12 or 36 of these months at once (priceOf).
var listPricesUSD = map[string]float64{
	"CFQ7TTC0LH18:0001": 6.00,   // Microsoft 365 Business Basic
	"CFQ7TTC0LDPB:0001": 12.50,  // Microsoft 365 Business Standard
	"CFQ7TTC0LCHC:0002": 22.00,  // Microsoft 365 Business Premium
	"CFQ7TTC0LF8Q:0001": 10.00,  // Office 365 E1
	"CFQ7TTC0LFLX:0001": 23.00,  // Office 365 E3
	"CFQ7TTC0LFK5:0002": 36.00,  // Microsoft 365 E3
	"CFQ7TTC0E4XX:0001": 35.00,  // Office 365 E4 (retired; priced for completeness)
	"CFQ7TTC0LH2H:0001": 105.00, // Dynamics 365 Sales Enterprise
}

// pricing is a cart or order line's price, as Partner Center quotes new commerce.
type pricing struct {
	ListPrice       float64 `json:"listPrice"`
	DiscountedPrice float64 `json:"discountedPrice"`
	ProratedPrice   float64 `json:"proratedPrice"`
	Price           float64 `json:"price"`
	ExtendedPrice   float64 `json:"extendedPrice"`
}

// priceOf prices quantity seats of cs for term, billed per cycle, in cur. As Partner Center quotes it,
// price is per seat and billing period (a month for "monthly", a year for "annual", three years for
// "triennial"; the whole term for a cycle that bills it at once) and extendedPrice = price × quantity ×
// billing periods of the whole term. The monthly price is rounded first, so a term costs the same whatever
// its billing cycle: P1Y at 21.62 a month (monthly) is 259.44 a year (annual), 259.44 × quantity either way.
// The sandbox grants no discount and starts terms on the day of purchase, so the discounted and prorated
// prices equal the list price.
func priceOf(cs catalogSku, cur currency, term, cycle string, quantity int) pricing {
	monthly := priceUSD(cs) * cur.PerUSD
	months := termMonths(term)
	if months == 1 {
		monthly *= 1.2
	}
	period := billingPeriodMonths(cycle)
	if period == 0 || period > months || months%period != 0 {
		period = months
	}
	p := round(round(monthly, cur.Decimals)*float64(period), cur.Decimals)
	return pricing{ListPrice: p, DiscountedPrice: p, ProratedPrice: p, Price: p,
		ExtendedPrice: round(p*float64(quantity*(months/period)), cur.Decimals)}
}

// billingPeriodMonths is the length in months of one billing period of a billing cycle (BillingCycleType);
// 0 for a cycle that bills the whole term at once ("one_time", "none") or one the sandbox does not know.
// The sandbox's terms are billed monthly or annually (catalogSku.terms); "triennial" is priced in case a
// term ever offers it.
func billingPeriodMonths(cycle string) int {
	switch strings.ToLower(cycle) {
	case "monthly":
		return 1
	case "annual":
		return 12
	case "triennial":
		return 36
	}
	return 0
}

// priceUSD is the list price of cs: its own when the admin API added it, else listPricesUSD's.
func priceUSD(cs catalogSku) float64 {
	if cs.PriceUSD > 0 {
		return cs.PriceUSD
	}
	return listPricesUSD[cs.ProductID+":"+cs.SkuID]
}

// termMonths is the number of months of an ISO 8601 term (P1M, P1Y, P3Y, ...); 1 when it cannot tell.
func termMonths(term string) int {
	start := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	end, err := addISO(start, term)
	if err != nil {
		return 1
	}
	y, m, _ := end.Date()
	sy, sm, _ := start.Date()
	return max(1, (y-sy)*12+int(m-sm))
}

func round(v float64, decimals int) float64 {
	f := math.Pow10(decimals)
	return math.Round(v*f) / f
}
