package csptransfer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 11, 21, 10, 20, 0, 0, time.UTC)

const (
	testTenantID = "2f6bd5a0-8c4e-4a7e-9d1b-3c2a1e0f9b7d"
	skuE3        = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuE5        = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
)

func validRequest() TransferRequest {
	return TransferRequest{
		CustomerTenantID: testTenantID,
		CustomerDomain:   "contoso.onmicrosoft.com",
		CustomerName:     "Contoso Ltd",
		ContactEmail:     "it-admin@contoso.com",
		Country:          "DE",
		Subscriptions: []OriginalSubscription{
			{SkuID: skuE3, SkuPartNumber: "ENTERPRISEPACK", Quantity: 25, ExpiresAt: testNow.Add(60 * 24 * time.Hour)},
			{SkuPartNumber: "Microsoft_365_E3_(no_Teams)", Quantity: 3, ExpiresAt: testNow.Add(90 * 24 * time.Hour)},
		},
		OfferOverrides: map[string]string{"ENTERPRISEPACK": "CFQ7TTC0LF8R:0001"},
		Provisioning:   Provisioning{Mode: ProvisionBeforeExpiry, LeadTime: Duration(14 * 24 * time.Hour)},
		Approval:       ApprovalAlways,
		InvitationTTL:  Duration(14 * 24 * time.Hour),
		ReminderEvery:  Duration(2 * 24 * time.Hour),
	}
}

func problemsOf(t *testing.T, err error) []FieldProblem {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "error %v is not a *ValidationError", err)
	require.NotEmpty(t, ve.Problems)
	return ve.Problems
}

func TestValidate(t *testing.T) {
	day := 24 * time.Hour
	sub := func(mut func(*OriginalSubscription)) func(*TransferRequest) {
		return func(r *TransferRequest) { mut(&r.Subscriptions[0]) }
	}
	long := strings.Repeat("a", MaxStringLength+1)

	tests := []struct {
		name string
		give func(*TransferRequest)
		// want lists the exact problems expected ("field: message"), in order.
		want []string
	}{
		{name: "OK", give: func(*TransferRequest) {}},
		{name: "OKMinimal", give: func(r *TransferRequest) {
			*r = TransferRequest{CustomerTenantID: testTenantID, CustomerDomain: "contoso.com"}
		}},
		{name: "OKMixedCaseGUIDAndSpaces", give: func(r *TransferRequest) {
			r.CustomerTenantID = "  2F6BD5A0-8c4e-4A7E-9d1b-3C2A1E0F9B7D "
			r.Subscriptions[0].SkuID = strings.ToUpper(skuE3)
		}},
		{name: "OKLowerCaseCountry", give: func(r *TransferRequest) { r.Country = "de" }},
		{name: "OKEnumsInAnyCase", give: func(r *TransferRequest) {
			r.Provisioning.Mode = "BEFOREEXPIRY"
			r.Approval = "Never"
		}},
		{name: "OKUnicodeCustomerName", give: func(r *TransferRequest) { r.CustomerName = "Müller & Söhne GmbH 株式会社" }},
		{name: "OKPunycodeDomain", give: func(r *TransferRequest) { r.CustomerDomain = "xn--mller-kva.de" }},
		{name: "OKSameSkuDifferentExpiry", give: func(r *TransferRequest) {
			r.Subscriptions = append(r.Subscriptions, OriginalSubscription{SkuID: skuE3, Quantity: 5, ExpiresAt: testNow.Add(200 * day)})
		}},
		{name: "OKRecentlyExpiredOriginal", give: sub(func(s *OriginalSubscription) { s.ExpiresAt = testNow.Add(-29 * day) })},
		{name: "OKGUIDOverrideKey", give: func(r *TransferRequest) {
			r.OfferOverrides = map[string]string{skuE5: "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ"}
		}},
		{name: "OKExactlyAtLimits", give: func(r *TransferRequest) {
			r.CustomerName = strings.Repeat("é", MaxStringLength)
			r.InvitationTTL = Duration(90 * day)
			r.ReminderEvery = Duration(90 * day)
			r.Provisioning.LeadTime = Duration(60 * day)
			r.Subscriptions[0].Quantity = MaxQuantity
			r.Subscriptions = r.Subscriptions[:1]
			for i := 1; i < MaxSubscriptions; i++ {
				r.Subscriptions = append(r.Subscriptions, OriginalSubscription{SkuID: skuE3, Quantity: 1, ExpiresAt: testNow.Add(time.Duration(i) * time.Hour)})
			}
		}},

		{name: "ErrTenantIDRequired", give: func(r *TransferRequest) { r.CustomerTenantID = "  " },
			want: []string{"customerTenantId: required"}},
		{name: "ErrTenantIDNotGUID", give: func(r *TransferRequest) { r.CustomerTenantID = "abc" },
			want: []string{`customerTenantId: "abc" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`}},
		{name: "ErrTenantIDWithBraces", give: func(r *TransferRequest) { r.CustomerTenantID = "{" + testTenantID + "}" },
			want: []string{`customerTenantId: "{` + testTenantID + `}" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`}},
		{name: "ErrTenantIDNonHex", give: func(r *TransferRequest) { r.CustomerTenantID = "2f6bd5a0-8c4e-4a7e-9d1b-3c2a1e0f9b7g" },
			want: []string{`customerTenantId: "2f6bd5a0-8c4e-4a7e-9d1b-3c2a1e0f9b7g" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`}},
		{name: "ErrTenantIDNil", give: func(r *TransferRequest) { r.CustomerTenantID = "00000000-0000-0000-0000-000000000000" },
			want: []string{"customerTenantId: must not be the nil GUID"}},
		{name: "ErrTenantIDTooLong", give: func(r *TransferRequest) { r.CustomerTenantID = long },
			want: []string{"customerTenantId: must be at most 256 characters, got 257"}},
		{name: "ErrTenantIDInvalidUTF8", give: func(r *TransferRequest) { r.CustomerTenantID = "\xff\xfe" },
			want: []string{"customerTenantId: not valid UTF-8"}},

		{name: "ErrDomainRequired", give: func(r *TransferRequest) { r.CustomerDomain = "" },
			want: []string{"customerDomain: required"}},
		{name: "ErrDomainSingleLabel", give: func(r *TransferRequest) { r.CustomerDomain = "x" },
			want: []string{`customerDomain: "x" is not a domain name (expected e.g. contoso.onmicrosoft.com)`}},
		{name: "ErrDomainUnicode", give: func(r *TransferRequest) { r.CustomerDomain = "müller.de" },
			want: []string{`customerDomain: "müller.de" is not a domain name (expected e.g. contoso.onmicrosoft.com)`}},
		{name: "ErrDomainLeadingHyphen", give: func(r *TransferRequest) { r.CustomerDomain = "-contoso.com" },
			want: []string{`customerDomain: "-contoso.com" is not a domain name (expected e.g. contoso.onmicrosoft.com)`}},
		{name: "ErrDomainEmptyLabel", give: func(r *TransferRequest) { r.CustomerDomain = "contoso..com" },
			want: []string{`customerDomain: "contoso..com" is not a domain name (expected e.g. contoso.onmicrosoft.com)`}},
		{name: "ErrDomainNumericTLD", give: func(r *TransferRequest) { r.CustomerDomain = "10.0.0.1" },
			want: []string{`customerDomain: "10.0.0.1" is not a domain name (expected e.g. contoso.onmicrosoft.com)`}},
		{name: "ErrDomainURL", give: func(r *TransferRequest) { r.CustomerDomain = "https://contoso.com/" },
			want: []string{`customerDomain: "https://contoso.com/" is not a domain name (expected e.g. contoso.onmicrosoft.com)`}},
		{name: "ErrDomainLabelTooLong", give: func(r *TransferRequest) { r.CustomerDomain = strings.Repeat("a", 64) + ".com" },
			want: []string{fmt.Sprintf(`customerDomain: "%s…" is not a domain name (expected e.g. contoso.onmicrosoft.com)`, strings.Repeat("a", 64))}},

		{name: "ErrNameControlCharacters", give: func(r *TransferRequest) { r.CustomerName = "Contoso\x00Evil" },
			want: []string{"customerName: must not contain control characters"}},
		{name: "ErrNameTooLong", give: func(r *TransferRequest) { r.CustomerName = strings.Repeat("ü", 300) },
			want: []string{"customerName: must be at most 256 characters, got 300"}},
		{name: "ErrNameInvalidUTF8", give: func(r *TransferRequest) { r.CustomerName = "Contoso \xc3" },
			want: []string{"customerName: not valid UTF-8"}},

		{name: "ErrEmailNoAt", give: func(r *TransferRequest) { r.ContactEmail = "jane.doe.contoso.com" },
			want: []string{"contactEmail: not an e-mail address"}},
		{name: "ErrEmailDisplayName", give: func(r *TransferRequest) { r.ContactEmail = "Jane Doe <jane@contoso.com>" },
			want: []string{"contactEmail: not an e-mail address"}},
		{name: "ErrEmailTwoAddresses", give: func(r *TransferRequest) { r.ContactEmail = "jane@contoso.com, joe@contoso.com" },
			want: []string{"contactEmail: not an e-mail address"}},
		{name: "ErrEmailBadDomain", give: func(r *TransferRequest) { r.ContactEmail = "jane@localhost" },
			want: []string{"contactEmail: not an e-mail address"}},
		{name: "ErrEmailNewline", give: func(r *TransferRequest) { r.ContactEmail = "jane@contoso.com\nBcc: x@evil.com" },
			want: []string{"contactEmail: must not contain control characters"}},

		{name: "OKSourcePartner", give: func(r *TransferRequest) {
			r.ContactEmail = "jane@contoso.com"
			r.SourcePartner = &SourcePartner{TenantID: " 3F2E1D0C-9b8a-4765-8432-10fedcba9876 ", Name: "Contoso Cloud", Email: "ops@contoso-cloud.example"}
		}},
		{name: "OKSourcePartnerNameOnly", give: func(r *TransferRequest) {
			r.ContactEmail = "jane@contoso.com"
			r.SourcePartner = &SourcePartner{Name: "Contoso Cloud"}
		}},
		{name: "ErrSourcePartnerFields", give: func(r *TransferRequest) {
			r.ContactEmail = "jane@contoso.com"
			r.SourcePartner = &SourcePartner{TenantID: "contoso", Email: "ops at contoso"}
		}, want: []string{`sourcePartner.tenantId: "contoso" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`, "sourcePartner.email: not an e-mail address"}},
		{name: "ErrSourcePartnerEmpty", give: func(r *TransferRequest) {
			r.ContactEmail = "jane@contoso.com"
			r.SourcePartner = &SourcePartner{}
		}, want: []string{"sourcePartner: give at least tenantId, name or email, or leave sourcePartner out"}},
		{name: "ErrSourcePartnerWithoutContactEmail", give: func(r *TransferRequest) {
			r.ContactEmail = ""
			r.SourcePartner = &SourcePartner{TenantID: "3f2e1d0c-9b8a-4765-8432-10fedcba9876"}
		}, want: []string{"contactEmail: required with sourcePartner: Microsoft e-mails the customer the partner-to-partner transfer request"}},

		{name: "ErrCountryName", give: func(r *TransferRequest) { r.Country = "Germany" },
			want: []string{`country: "Germany" is not an ISO 3166-1 alpha-2 code`}},
		{name: "ErrCountryUK", give: func(r *TransferRequest) { r.Country = "UK" },
			want: []string{`country: "UK" is not an ISO 3166-1 alpha-2 code (the United Kingdom is GB)`}},
		{name: "ErrCountryAlpha3", give: func(r *TransferRequest) { r.Country = "DEU" },
			want: []string{`country: "DEU" is not an ISO 3166-1 alpha-2 code`}},
		{name: "ErrCountryReserved", give: func(r *TransferRequest) { r.Country = "EU" },
			want: []string{`country: "EU" is not an ISO 3166-1 alpha-2 code`}},
		{name: "OKCountryBlankIsLookedUp", give: func(r *TransferRequest) { r.Country = "   " }},

		{name: "ErrSubscriptionNoSku", give: sub(func(s *OriginalSubscription) { s.SkuID, s.SkuPartNumber = "", " " }),
			want: []string{"subscriptions[0]: one of skuId and skuPartNumber is required"}},
		{name: "ErrSubscriptionSkuIDNotGUID", give: sub(func(s *OriginalSubscription) { s.SkuID = "ENTERPRISEPACK" }),
			want: []string{`subscriptions[0].skuId: "ENTERPRISEPACK" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`}},
		{name: "ErrSubscriptionPartNumberWithSpace", give: sub(func(s *OriginalSubscription) { s.SkuPartNumber = "Office 365 E3" }),
			want: []string{`subscriptions[0].skuPartNumber: "Office 365 E3" is not a SKU part number (expected printable ASCII without spaces, e.g. ENTERPRISEPACK)`}},
		{name: "ErrSubscriptionPartNumberUnicode", give: sub(func(s *OriginalSubscription) { s.SkuPartNumber = "E3™" }),
			want: []string{`subscriptions[0].skuPartNumber: "E3™" is not a SKU part number (expected printable ASCII without spaces, e.g. ENTERPRISEPACK)`}},
		{name: "ErrSubscriptionQuantityZero", give: func(r *TransferRequest) { r.Subscriptions[1].Quantity = 0 },
			want: []string{"subscriptions[1].quantity: must be at least 1, got 0"}},
		{name: "ErrSubscriptionQuantityNegative", give: sub(func(s *OriginalSubscription) { s.Quantity = -5 }),
			want: []string{"subscriptions[0].quantity: must be at least 1, got -5"}},
		{name: "ErrSubscriptionQuantityHuge", give: sub(func(s *OriginalSubscription) { s.Quantity = MaxQuantity + 1 }),
			want: []string{"subscriptions[0].quantity: must be at most 1000000, got 1000001"}},
		{name: "ErrSubscriptionExpiryRequired", give: sub(func(s *OriginalSubscription) { s.ExpiresAt = time.Time{} }),
			want: []string{"subscriptions[0].expiresAt: required"}},
		{name: "ErrSubscriptionExpiredLongAgo", give: sub(func(s *OriginalSubscription) {
			s.ExpiresAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		}), want: []string{"subscriptions[0].expiresAt: 2025-01-01T00:00:00Z is more than 30d in the past: the original no longer serves its users"}},
		{name: "ErrSubscriptionExpiryFarAhead", give: sub(func(s *OriginalSubscription) {
			s.ExpiresAt = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
		}), want: []string{"subscriptions[0].expiresAt: 2040-01-01T00:00:00Z is more than 6 years ahead: no license term is that long"}},
		{name: "ErrSubscriptionDuplicateSkuID", give: func(r *TransferRequest) {
			d := r.Subscriptions[0]
			d.SkuID = strings.ToUpper(d.SkuID)
			d.ExpiresAt = d.ExpiresAt.In(time.FixedZone("CET", 3600))
			r.Subscriptions = append(r.Subscriptions, d)
		}, want: []string{"subscriptions[2]: duplicates subscriptions[0] (same skuId and expiresAt): give each original once with its total quantity"}},
		{name: "ErrSubscriptionDuplicatePartNumber", give: func(r *TransferRequest) {
			d := r.Subscriptions[1]
			d.SkuPartNumber = strings.ToLower(d.SkuPartNumber)
			r.Subscriptions = append(r.Subscriptions, d)
		}, want: []string{"subscriptions[2]: duplicates subscriptions[1] (same skuPartNumber and expiresAt): give each original once with its total quantity"}},
		{name: "ErrTooManySubscriptions", give: func(r *TransferRequest) {
			r.Subscriptions = make([]OriginalSubscription, MaxSubscriptions+1)
		}, want: []string{"subscriptions: at most 100 entries, got 101"}},
		{name: "ErrSubscriptionAllFieldsWrong", give: func(r *TransferRequest) {
			r.Subscriptions = []OriginalSubscription{{SkuID: "x"}}
		}, want: []string{
			`subscriptions[0].skuId: "x" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`,
			"subscriptions[0].quantity: must be at least 1, got 0",
			"subscriptions[0].expiresAt: required",
		}},

		{name: "ErrOverrideTargetMalformed", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{"X": "CFQ7TTC0LF8R"} },
			want: []string{`offerOverrides["X"]: catalog item id must look like productId:skuId[:availabilityId], got "CFQ7TTC0LF8R"`}},
		{name: "ErrOverrideTargetTooManyParts", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{"X": "A:B:C:D"} },
			want: []string{`offerOverrides["X"]: catalog item id must look like productId:skuId[:availabilityId], got "A:B:C:D"`}},
		{name: "ErrOverrideTargetEmptyPart", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{"X": "A::C"} },
			want: []string{`offerOverrides["X"]: catalog item id must look like productId:skuId[:availabilityId], got "A::C"`}},
		{name: "ErrOverrideTargetRequired", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{"X": ""} },
			want: []string{`offerOverrides["X"]: required`}},
		{name: "ErrOverrideKeyEmpty", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{"": "A:B"} },
			want: []string{`offerOverrides[""]: key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK`}},
		{name: "ErrOverrideKeyWithSpace", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{"Office E3": "A:B"} },
			want: []string{`offerOverrides["Office E3"]: key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK`}},
		{name: "ErrOverrideKeysDifferOnlyInCase", give: func(r *TransferRequest) {
			r.OfferOverrides = map[string]string{"enterprisepack": "A:B", "ENTERPRISEPACK": "C:D"}
		}, want: []string{`offerOverrides["enterprisepack"]: duplicates offerOverrides["ENTERPRISEPACK"]: keys are case-insensitive`}},
		{name: "ErrTooManyOverrides", give: func(r *TransferRequest) {
			r.OfferOverrides = map[string]string{}
			for i := 0; i <= MaxOfferOverrides; i++ {
				r.OfferOverrides[fmt.Sprintf("SKU%d", i)] = "A:B"
			}
		}, want: []string{"offerOverrides: at most 100 entries, got 101"}},
		{name: "ErrOverrideKeyTooLong", give: func(r *TransferRequest) { r.OfferOverrides = map[string]string{long: "A:B"} },
			want: []string{"offerOverrides: key must be valid UTF-8 of at most 256 characters"}},

		{name: "OKOriginalPrices", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{
				"ENTERPRISEPACK":              {Amount: 20.5, Currency: "EUR", Period: PeriodMonth},
				skuE5:                         {Amount: 300, Currency: "EUR", Period: PeriodYear},
				"Microsoft_365_E3_(no_Teams)": {Amount: 0, Currency: "EUR"},
			}
		}},
		{name: "OKOriginalPricesAnySpelling", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{
				" ENTERPRISEPACK ":     {Amount: 20, Currency: "eur ", Period: " p1m"},
				strings.ToUpper(skuE5): {Amount: 300, Currency: " Usd", Period: "p1Y"},
			}
		}},
		{name: "OKOriginalPriceAtLimits", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 1_000_000, Currency: "KWD"}}
			r.Subscriptions[0].OriginalPrice = &Price{Amount: 0, Currency: "JPY", Period: PeriodYear}
		}},
		{name: "OKSubscriptionOriginalPrice", give: sub(func(s *OriginalSubscription) {
			s.OriginalPrice = &Price{Amount: 32.3, Currency: "eur", Period: "p1y"}
		})},
		{name: "OKOriginalPricesEmpty", give: func(r *TransferRequest) { r.OriginalPrices = map[string]Price{} }},

		{name: "ErrOriginalPricesKeyEmpty", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"": {Amount: 1, Currency: "EUR"}}
		}, want: []string{`originalPrices[""]: key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK`}},
		{name: "ErrOriginalPricesKeyWithSpace", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"Office E3": {Amount: 1, Currency: "EUR"}}
		}, want: []string{`originalPrices["Office E3"]: key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK`}},
		{name: "ErrOriginalPricesKeyControlCharacter", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"E3\a": {Amount: 1, Currency: "EUR"}}
		}, want: []string{`originalPrices["E3\a"]: key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK`}},
		{name: "ErrOriginalPricesKeyTooLong", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{long: {Amount: 1, Currency: "EUR"}}
		}, want: []string{"originalPrices: key must be valid UTF-8 of at most 256 characters"}},
		{name: "ErrOriginalPricesKeyInvalidUTF8", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"E3\xff": {Amount: 1, Currency: "EUR"}}
		}, want: []string{"originalPrices: key must be valid UTF-8 of at most 256 characters"}},
		{name: "ErrOriginalPricesKeysDifferOnlyInCase", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"enterprisepack": {Amount: 1, Currency: "EUR"}, "ENTERPRISEPACK": {Amount: 2, Currency: "EUR"}}
		}, want: []string{`originalPrices["enterprisepack"]: duplicates originalPrices["ENTERPRISEPACK"]: keys are case-insensitive`}},
		{name: "ErrOriginalPricesGUIDKeysDifferOnlyInCase", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{skuE5: {Amount: 1, Currency: "EUR"}, strings.ToUpper(skuE5): {Amount: 2, Currency: "EUR"}}
		}, want: []string{`originalPrices["` + skuE5 + `"]: duplicates originalPrices["` + strings.ToUpper(skuE5) + `"]: keys are case-insensitive`}},
		{name: "ErrOriginalPricesKeysDifferOnlyInSpaces", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 1, Currency: "EUR"}, " ENTERPRISEPACK": {Amount: 2, Currency: "EUR"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"]: duplicates originalPrices[" ENTERPRISEPACK"]: keys are case-insensitive`}},
		{name: "ErrTooManyOriginalPrices", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{}
			for i := 0; i <= MaxOfferOverrides; i++ {
				r.OriginalPrices[fmt.Sprintf("SKU%d", i)] = Price{Amount: 1, Currency: "EUR"}
			}
		}, want: []string{"originalPrices: at most 100 entries, got 101"}},
		{name: "ErrOriginalPriceAmountNegative", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: -0.01, Currency: "EUR"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].amount: must be a number from 0 to 1000000 (the price of one seat for the period)`}},
		{name: "ErrOriginalPriceAmountNaN", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: math.NaN(), Currency: "EUR"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].amount: must be a number from 0 to 1000000 (the price of one seat for the period)`}},
		{name: "ErrOriginalPriceAmountInfinite", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"A": {Amount: math.Inf(1), Currency: "EUR"}, "B": {Amount: math.Inf(-1), Currency: "EUR"}}
		}, want: []string{
			`originalPrices["A"].amount: must be a number from 0 to 1000000 (the price of one seat for the period)`,
			`originalPrices["B"].amount: must be a number from 0 to 1000000 (the price of one seat for the period)`,
		}},
		{name: "ErrOriginalPriceAmountTooLarge", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 1_000_000.01, Currency: "EUR"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].amount: must be a number from 0 to 1000000 (the price of one seat for the period)`}},
		{name: "ErrOriginalPriceCurrencyTooLong", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "EURO"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].currency: "EURO" is not an ISO 4217 currency code (expected e.g. EUR)`}},
		{name: "ErrOriginalPriceCurrencyMissing", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].currency: "" is not an ISO 4217 currency code (expected e.g. EUR)`}},
		{name: "ErrOriginalPriceCurrencySymbol", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "€"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].currency: "€" is not an ISO 4217 currency code (expected e.g. EUR)`}},
		{name: "ErrOriginalPriceCurrencyDigit", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "E1R"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].currency: "E1R" is not an ISO 4217 currency code (expected e.g. EUR)`}},
		{name: "ErrOriginalPricePeriodWeek", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "EUR", Period: "P1W"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].period: "P1W" is not one of P1M, P1Y`}},
		{name: "ErrOriginalPricePeriodWords", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "EUR", Period: "monthly"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].period: "monthly" is not one of P1M, P1Y`}},
		{name: "ErrOriginalPricePeriodThreeYears", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "EUR", Period: "P3Y"}}
		}, want: []string{`originalPrices["ENTERPRISEPACK"].period: "P3Y" is not one of P1M, P1Y`}},
		{name: "ErrOriginalPriceEverythingWrong", give: func(r *TransferRequest) {
			r.OriginalPrices = map[string]Price{"Office E3": {Amount: -1, Currency: "euro", Period: "P12M"}}
		}, want: []string{
			`originalPrices["Office E3"]: key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK`,
			`originalPrices["Office E3"].amount: must be a number from 0 to 1000000 (the price of one seat for the period)`,
			`originalPrices["Office E3"].currency: "euro" is not an ISO 4217 currency code (expected e.g. EUR)`,
			`originalPrices["Office E3"].period: "P12M" is not one of P1M, P1Y`,
		}},
		{name: "ErrSubscriptionOriginalPriceAmount", give: sub(func(s *OriginalSubscription) {
			s.OriginalPrice = &Price{Amount: -5, Currency: "EUR"}
		}), want: []string{"subscriptions[0].originalPrice.amount: must be a number from 0 to 1000000 (the price of one seat for the period)"}},
		{name: "ErrSubscriptionOriginalPriceNaN", give: sub(func(s *OriginalSubscription) {
			s.OriginalPrice = &Price{Amount: math.NaN(), Currency: "EUR"}
		}), want: []string{"subscriptions[0].originalPrice.amount: must be a number from 0 to 1000000 (the price of one seat for the period)"}},
		{name: "ErrSubscriptionOriginalPriceEverythingWrong", give: func(r *TransferRequest) {
			r.Subscriptions[1].Quantity = 0
			r.Subscriptions[1].OriginalPrice = &Price{Amount: 2e6, Currency: "EURO", Period: "P1W"}
			r.Subscriptions[1].ExpiresAt = time.Time{}
		}, want: []string{
			"subscriptions[1].quantity: must be at least 1, got 0",
			"subscriptions[1].originalPrice.amount: must be a number from 0 to 1000000 (the price of one seat for the period)",
			`subscriptions[1].originalPrice.currency: "EURO" is not an ISO 4217 currency code (expected e.g. EUR)`,
			`subscriptions[1].originalPrice.period: "P1W" is not one of P1M, P1Y`,
			"subscriptions[1].expiresAt: required",
		}},
		{name: "ErrOriginalPricesBetweenOverridesAndSourcePartner", give: func(r *TransferRequest) {
			r.OfferOverrides = map[string]string{"X": "bad"}
			r.OriginalPrices = map[string]Price{"X": {Amount: 1, Currency: "EURO"}}
			r.SourcePartner = &SourcePartner{}
		}, want: []string{
			`offerOverrides["X"]: catalog item id must look like productId:skuId[:availabilityId], got "bad"`,
			`originalPrices["X"].currency: "EURO" is not an ISO 4217 currency code (expected e.g. EUR)`,
			"sourcePartner: give at least tenantId, name or email, or leave sourcePartner out",
		}},

		{name: "ErrModeUnknown", give: func(r *TransferRequest) { r.Provisioning.Mode = "later" },
			want: []string{`provisioning.mode: "later" is not one of immediately, beforeExpiry`}},
		{name: "ErrLeadTimeTooShort", give: func(r *TransferRequest) { r.Provisioning.LeadTime = Duration(12 * time.Hour) },
			want: []string{"provisioning.leadTime: must be between 1d and 60d, got 12h0m0s"}},
		{name: "ErrLeadTimeTooLong", give: func(r *TransferRequest) { r.Provisioning.LeadTime = Duration(61 * day) },
			want: []string{"provisioning.leadTime: must be between 1d and 60d, got 61d"}},
		{name: "ErrLeadTimeNegative", give: func(r *TransferRequest) { r.Provisioning.LeadTime = Duration(-7 * day) },
			want: []string{"provisioning.leadTime: must be between 1d and 60d, got -168h0m0s"}},
		{name: "ErrApprovalUnknown", give: func(r *TransferRequest) { r.Approval = "sometimes" },
			want: []string{`approval: "sometimes" is not one of auto, always, never`}},
		{name: "ErrInvitationTTLTooShort", give: func(r *TransferRequest) { r.InvitationTTL = Duration(time.Hour) },
			want: []string{"invitationTtl: must be between 1d and 90d, got 1h0m0s"}},
		{name: "ErrInvitationTTLTooLong", give: func(r *TransferRequest) { r.InvitationTTL = Duration(91 * day) },
			want: []string{"invitationTtl: must be between 1d and 90d, got 91d"}},
		{name: "ErrInvitationTTLNegative", give: func(r *TransferRequest) { r.InvitationTTL = Duration(-time.Hour) },
			want: []string{"invitationTtl: must be between 1d and 90d, got -1h0m0s"}},
		{name: "ErrReminderTooOften", give: func(r *TransferRequest) { r.ReminderEvery = Duration(30 * time.Minute) },
			want: []string{"reminderEvery: must be between 1h and invitationTtl (14d), got 30m0s"}},
		{name: "ErrReminderLongerThanTTL", give: func(r *TransferRequest) { r.ReminderEvery = Duration(15 * day) },
			want: []string{"reminderEvery: must be between 1h and invitationTtl (14d), got 15d"}},
		{name: "ErrReminderLongerThanAnyTTL", give: func(r *TransferRequest) {
			r.InvitationTTL = Duration(91 * day)
			r.ReminderEvery = Duration(91 * day)
		}, want: []string{"invitationTtl: must be between 1d and 90d, got 91d", "reminderEvery: must be between 1h and invitationTtl, got 91d"}},
		{name: "ErrReminderLongerThanDefaultTTL", give: func(r *TransferRequest) {
			r.InvitationTTL = 0
			r.ReminderEvery = Duration(31 * day)
		}, want: []string{"reminderEvery: must be between 1h and invitationTtl (30d), got 31d"}},

		{name: "ErrEverythingAtOnce", give: func(r *TransferRequest) {
			*r = TransferRequest{
				CustomerTenantID: "abc",
				CustomerDomain:   "x",
				ContactEmail:     "nobody",
				Country:          "Germany",
				Subscriptions:    []OriginalSubscription{{Quantity: 1, ExpiresAt: testNow}},
				OfferOverrides:   map[string]string{"X": "bad"},
				Provisioning:     Provisioning{Mode: "later", LeadTime: Duration(time.Minute)},
				Approval:         "maybe",
				InvitationTTL:    Duration(100 * day),
				ReminderEvery:    Duration(time.Second),
			}
		}, want: []string{
			`customerTenantId: "abc" is not a GUID (expected 8-4-4-4-12 hexadecimal digits)`,
			`customerDomain: "x" is not a domain name (expected e.g. contoso.onmicrosoft.com)`,
			"contactEmail: not an e-mail address",
			`country: "Germany" is not an ISO 3166-1 alpha-2 code`,
			"subscriptions[0]: one of skuId and skuPartNumber is required",
			`offerOverrides["X"]: catalog item id must look like productId:skuId[:availabilityId], got "bad"`,
			`provisioning.mode: "later" is not one of immediately, beforeExpiry`,
			"provisioning.leadTime: must be between 1d and 60d, got 1m0s",
			`approval: "maybe" is not one of auto, always, never`,
			"invitationTtl: must be between 1d and 90d, got 100d",
			"reminderEvery: must be between 1h and invitationTtl, got 1s",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.give(&r)
			var got []string
			for _, p := range problemsOf(t, r.Validate(testNow)) {
				got = append(got, p.String())
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestValidateNeverEchoesPersonalData(t *testing.T) {
	r := validRequest()
	r.ContactEmail = "jane.doe@@contoso.com"
	r.CustomerName = "Jane Doe\x07"
	err := r.Validate(testNow)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "jane")
	require.NotContains(t, err.Error(), "Jane")
	require.Equal(t, "invalid transfer request: customerName: must not contain control characters; contactEmail: not an e-mail address", err.Error())
}

func TestValidateErrorIsBounded(t *testing.T) {
	r := validRequest()
	r.CustomerTenantID = strings.Repeat("z", 10_000)
	r.CustomerDomain = strings.Repeat("x", 200)
	r.Subscriptions = make([]OriginalSubscription, 1_000_000)
	err := r.Validate(testNow)
	require.Error(t, err)
	require.Less(t, len(err.Error()), 1000)
}

func TestValidateIsDeterministic(t *testing.T) {
	r := validRequest()
	r.OfferOverrides = map[string]string{}
	for i := range 50 {
		r.OfferOverrides[fmt.Sprintf("SKU_%02d", i)] = "bad"
	}
	first := r.Validate(testNow).Error()
	for range 20 {
		require.Equal(t, first, r.Validate(testNow).Error())
	}
	require.Contains(t, first, `offerOverrides["SKU_00"]`)
	require.Less(t, strings.Index(first, `"SKU_00"`), strings.Index(first, `"SKU_49"`))
}

func TestValidationErrorJSON(t *testing.T) {
	err := (TransferRequest{}).Validate(testNow)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	b, jerr := json.Marshal(ve)
	require.NoError(t, jerr)
	require.JSONEq(t, `{"problems":[{"field":"customerTenantId","message":"required"},{"field":"customerDomain","message":"required"}]}`, string(b))
	require.Equal(t, "invalid transfer request: customerTenantId: required; customerDomain: required", err.Error())
}

func TestWithDefaults(t *testing.T) {
	day := 24 * time.Hour
	t.Run("FillsDefaults", func(t *testing.T) {
		got := TransferRequest{CustomerTenantID: testTenantID, CustomerDomain: "contoso.com"}.WithDefaults()
		require.Equal(t, ProvisionImmediately, got.Provisioning.Mode)
		require.Equal(t, Duration(7*day), got.Provisioning.LeadTime)
		require.Equal(t, ApprovalAuto, got.Approval)
		require.Equal(t, Duration(30*day), got.InvitationTTL)
		require.Equal(t, Duration(3*day), got.ReminderEvery)
		require.Nil(t, got.Subscriptions)
		require.Nil(t, got.OfferOverrides)
		require.NoError(t, got.Validate(testNow))
	})
	t.Run("Normalizes", func(t *testing.T) {
		cet := time.FixedZone("CET", 3600)
		in := TransferRequest{
			CustomerTenantID: " 2F6BD5A0-8C4E-4A7E-9D1B-3C2A1E0F9B7D ",
			CustomerDomain:   "Contoso.OnMicrosoft.COM ",
			CustomerName:     " Contoso ",
			ContactEmail:     " it@contoso.com ",
			Country:          " de ",
			Subscriptions: []OriginalSubscription{{
				SkuID: " 6FD2C87F-B296-42F0-B197-1E91E994B900", SkuPartNumber: " Microsoft_365_E3 ", Quantity: 3,
				ExpiresAt: time.Date(2027, 1, 1, 1, 0, 0, 0, cet),
			}},
			OfferOverrides: map[string]string{" ENTERPRISEPACK ": " A:B "},
			Provisioning:   Provisioning{Mode: "BeforeExpiry", LeadTime: Duration(2 * day)},
			Approval:       "ALWAYS",
			InvitationTTL:  Duration(10 * day),
			ReminderEvery:  Duration(time.Hour),
		}
		got := in.WithDefaults()
		require.Equal(t, TransferRequest{
			CustomerTenantID: testTenantID,
			CustomerDomain:   "contoso.onmicrosoft.com",
			CustomerName:     "Contoso",
			ContactEmail:     "it@contoso.com",
			Country:          "DE",
			Subscriptions: []OriginalSubscription{{
				SkuID: skuE3, SkuPartNumber: "Microsoft_365_E3", Quantity: 3,
				ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			}},
			OfferOverrides: map[string]string{"ENTERPRISEPACK": "A:B"},
			Provisioning:   Provisioning{Mode: ProvisionBeforeExpiry, LeadTime: Duration(2 * day)},
			Approval:       ApprovalAlways,
			InvitationTTL:  Duration(10 * day),
			ReminderEvery:  Duration(time.Hour),
		}, got)
	})
	t.Run("KeepsKeysThatCollideOnceTrimmedForValidate", func(t *testing.T) {
		in := validRequest()
		in.OfferOverrides = map[string]string{"X": "A:B", " X": "C:D", "X ": "E:F"}
		got := in.WithDefaults()
		require.Equal(t, map[string]string{"X": "A:B", " X": "C:D", "X ": "E:F"}, got.OfferOverrides)
		var msgs []string
		for _, p := range problemsOf(t, got.Validate(testNow)) {
			msgs = append(msgs, p.String())
		}
		require.Equal(t, []string{
			`offerOverrides["X"]: duplicates offerOverrides[" X"]: keys are case-insensitive`,
			`offerOverrides["X "]: duplicates offerOverrides[" X"]: keys are case-insensitive`,
		}, msgs)
	})
	t.Run("CanonicalPrices", func(t *testing.T) {
		in := validRequest()
		in.OriginalPrices = map[string]Price{
			" ENTERPRISEPACK ": {Amount: 20.5, Currency: "eur ", Period: ""},
			skuE5:              {Amount: 300, Currency: " usd", Period: " p1y "},
		}
		in.Subscriptions[1].OriginalPrice = &Price{Amount: 7, Currency: "gbp", Period: "p1m"}
		got := in.WithDefaults()
		require.Equal(t, map[string]Price{
			"ENTERPRISEPACK": {Amount: 20.5, Currency: "EUR", Period: PeriodMonth},
			skuE5:            {Amount: 300, Currency: "USD", Period: PeriodYear},
		}, got.OriginalPrices)
		require.Nil(t, got.Subscriptions[0].OriginalPrice)
		require.Equal(t, &Price{Amount: 7, Currency: "GBP", Period: PeriodMonth}, got.Subscriptions[1].OriginalPrice)
		require.NoError(t, got.Validate(testNow))
		require.Equal(t, got, got.WithDefaults())
		// The input keeps its spelling.
		require.Equal(t, "eur ", in.OriginalPrices[" ENTERPRISEPACK "].Currency)
		require.Equal(t, "gbp", in.Subscriptions[1].OriginalPrice.Currency)
	})
	t.Run("KeepsInvalidPricesForValidate", func(t *testing.T) {
		in := validRequest()
		in.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 20, Currency: "euro", Period: "p1w"}}
		in.Subscriptions[0].OriginalPrice = &Price{Amount: -1, Currency: "eur"}
		got := in.WithDefaults()
		require.Equal(t, Price{Amount: 20, Currency: "EURO", Period: "P1W"}, got.OriginalPrices["ENTERPRISEPACK"])
		var msgs []string
		for _, p := range problemsOf(t, got.Validate(testNow)) {
			msgs = append(msgs, p.String())
		}
		require.Equal(t, []string{
			"subscriptions[0].originalPrice.amount: must be a number from 0 to 1000000 (the price of one seat for the period)",
			`originalPrices["ENTERPRISEPACK"].currency: "EURO" is not an ISO 4217 currency code (expected e.g. EUR)`,
			`originalPrices["ENTERPRISEPACK"].period: "P1W" is not one of P1M, P1Y`,
		}, msgs)
	})
	t.Run("KeepsPriceKeysThatCollideOnceTrimmedForValidate", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			give map[string]Price
			want map[string]Price
			msgs []string
		}{
			{
				// " X" sorts before "X": the already trimmed key must keep its own price.
				name: "LeadingSpace",
				give: map[string]Price{"X": {Amount: 1, Currency: "EUR"}, " X": {Amount: 2, Currency: "EUR"}},
				want: map[string]Price{"X": {Amount: 1, Currency: "EUR", Period: PeriodMonth}, " X": {Amount: 2, Currency: "EUR", Period: PeriodMonth}},
				msgs: []string{`originalPrices["X"]: duplicates originalPrices[" X"]: keys are case-insensitive`},
			},
			{
				name: "TrailingSpace",
				give: map[string]Price{"X": {Amount: 1, Currency: "EUR"}, "X ": {Amount: 3, Currency: "EUR"}},
				want: map[string]Price{"X": {Amount: 1, Currency: "EUR", Period: PeriodMonth}, "X ": {Amount: 3, Currency: "EUR", Period: PeriodMonth}},
				msgs: []string{`originalPrices["X "]: duplicates originalPrices["X"]: keys are case-insensitive`},
			},
			{
				name: "AllThree",
				give: map[string]Price{"X": {Amount: 1, Currency: "EUR"}, " X": {Amount: 2, Currency: "EUR"}, "X ": {Amount: 3, Currency: "EUR"}},
				want: map[string]Price{
					"X":  {Amount: 1, Currency: "EUR", Period: PeriodMonth},
					" X": {Amount: 2, Currency: "EUR", Period: PeriodMonth},
					"X ": {Amount: 3, Currency: "EUR", Period: PeriodMonth},
				},
				msgs: []string{
					`originalPrices["X"]: duplicates originalPrices[" X"]: keys are case-insensitive`,
					`originalPrices["X "]: duplicates originalPrices[" X"]: keys are case-insensitive`,
				},
			},
			{
				// Both need trimming: the first (sorted) gets the trimmed key, the other keeps its spelling.
				name: "BothPadded",
				give: map[string]Price{" X": {Amount: 2, Currency: "EUR"}, "X ": {Amount: 3, Currency: "EUR"}},
				want: map[string]Price{"X": {Amount: 2, Currency: "EUR", Period: PeriodMonth}, "X ": {Amount: 3, Currency: "EUR", Period: PeriodMonth}},
				msgs: []string{`originalPrices["X "]: duplicates originalPrices["X"]: keys are case-insensitive`},
			},
		} {
			t.Run(tt.name, func(t *testing.T) {
				in := validRequest()
				in.OriginalPrices = tt.give
				// Before normalizing, the duplicate is reported too.
				require.Error(t, in.Validate(testNow))
				got := in.WithDefaults()
				require.Equal(t, tt.want, got.OriginalPrices)
				var msgs []string
				for _, p := range problemsOf(t, got.Validate(testNow)) {
					msgs = append(msgs, p.String())
				}
				require.Equal(t, tt.msgs, msgs)
				require.Equal(t, got, got.WithDefaults())
			})
		}
	})
	t.Run("DoesNotAliasInput", func(t *testing.T) {
		in := validRequest()
		got := in.WithDefaults()
		got.Subscriptions[0].Quantity = 999
		got.OfferOverrides["NEW"] = "A:B"
		require.Equal(t, 25, in.Subscriptions[0].Quantity)
		require.NotContains(t, in.OfferOverrides, "NEW")

		in.OriginalPrices = map[string]Price{"ENTERPRISEPACK": {Amount: 1, Currency: "EUR"}}
		in.Subscriptions[0].OriginalPrice = &Price{Amount: 2, Currency: "EUR"}
		got = in.WithDefaults()
		got.Subscriptions[0].OriginalPrice.Amount = 999
		got.OriginalPrices["NEW"] = Price{}
		require.Equal(t, 2.0, in.Subscriptions[0].OriginalPrice.Amount)
		require.NotContains(t, in.OriginalPrices, "NEW")
	})
	t.Run("KeepsInvalidEnumsForValidate", func(t *testing.T) {
		in := validRequest()
		in.Provisioning.Mode = "later"
		in.Approval = "sometimes"
		got := in.WithDefaults()
		require.Equal(t, ProvisioningMode("later"), got.Provisioning.Mode)
		require.Equal(t, ApprovalPolicy("sometimes"), got.Approval)
		require.Len(t, problemsOf(t, got.Validate(testNow)), 2)
	})
	t.Run("Idempotent", func(t *testing.T) {
		once := validRequest().WithDefaults()
		require.Equal(t, once, once.WithDefaults())
	})
}

func TestCountryCodes(t *testing.T) {
	n := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			if iso3166Alpha2(string([]rune{a, b})) {
				n++
			}
		}
	}
	require.Equal(t, 249, n)
	for _, c := range []string{"DE", "US", "GB", "AX", "BQ", "CW", "SS", "SX", "ZW", "TW", "PS", "AQ"} {
		require.True(t, iso3166Alpha2(c), c)
	}
	for _, c := range []string{"UK", "EU", "XK", "AN", "YU", "CS", "SU", "ZR", "TP", "AC", "de", "", "D"} {
		require.False(t, iso3166Alpha2(c), c)
	}
}

func TestValidateCatalogItemID(t *testing.T) {
	tests := []struct {
		give string
		ok   bool
	}{
		{"CFQ7TTC0LFLS:0002", true},
		{"CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", true},
		{"cfq7ttc0lfls:0002:cfq7ttc0kdlj", true},
		{"", false},
		{"CFQ7TTC0LFLS", false},
		{"CFQ7TTC0LFLS:", false},
		{":0002", false},
		{"A:B:C:D", false},
		{"CFQ7TTC0LFLS/0002", false},
		{"CFQ7 TTC0LFLS:0002", false},
		{"CFQ7TTC0LFLŞ:0002", false},
		{strings.Repeat("A", 65) + ":0002", false},
	}
	for _, tt := range tests {
		name := "Rejects" + tt.give
		if tt.ok {
			name = "Accepts" + tt.give
		}
		t.Run(name, func(t *testing.T) {
			err := ValidateCatalogItemID(tt.give)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "catalog item id must look like productId:skuId[:availabilityId]")
		})
	}
}

func TestValidateSourceSku(t *testing.T) {
	for _, ok := range []string{skuE3, strings.ToUpper(skuE3), "ENTERPRISEPACK", "O365_w/o_Teams_Bundle_M3", "Microsoft_365_E3_(no_Teams)"} {
		t.Run("Accepts"+ok, func(t *testing.T) { require.NoError(t, ValidateSourceSku(ok)) })
	}
	for _, bad := range []string{"", " ", "Office 365 E3", "E3\n", "Ä"} {
		t.Run("Rejects"+bad, func(t *testing.T) {
			require.ErrorContains(t, ValidateSourceSku(bad), "neither a Graph skuId (GUID) nor a skuPartNumber")
		})
	}
}

func FuzzValidate(f *testing.F) {
	seed, err := json.Marshal(validRequest())
	require.NoError(f, err)
	f.Add(string(seed))
	f.Add(`{}`)
	f.Add(`{"customerTenantId":"abc","customerDomain":"x","country":"Germany","subscriptions":[{"quantity":0}]}`)
	f.Add(`{"offerOverrides":{"":"","X":"A:B:C:D"},"invitationTtl":"-1h","reminderEvery":"1d12h"}`)
	f.Add(`{"originalPrices":{"X":{"amount":1,"currency":"eur"}," X":{"amount":2,"currency":"EUR","period":"p1y"},"":{"amount":-1}},"subscriptions":[{"skuPartNumber":"X","quantity":1,"originalPrice":{"amount":1e7,"currency":"EURO","period":"P1W"}}]}`)
	f.Add(`{"customerName":"\u0000\uffff","contactEmail":"a@b@c","subscriptions":[{"skuId":"{}","expiresAt":"0001-01-01T00:00:00Z"}]}`)
	f.Fuzz(func(t *testing.T, payload string) {
		var r TransferRequest
		if json.Unmarshal([]byte(payload), &r) != nil {
			return
		}
		err := r.Validate(testNow)
		n := r.WithDefaults()
		nerr := n.Validate(testNow)
		if err == nil {
			// Normalizing a valid request keeps it valid.
			require.NoError(t, nerr)
		}
		if err != nil {
			require.NotEmpty(t, err.Error())
		}
		require.Equal(t, n, n.WithDefaults())
	})
}
