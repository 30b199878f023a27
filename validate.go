package csptransfer

import (
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.temporal.io/sdk/workflow"
)

// Bounds on a TransferRequest. They keep workflow history, search attributes and error messages small.
const (
	MaxSubscriptions  = 100
	MaxOfferOverrides = 100
	MaxStringLength   = 256
	MaxQuantity       = 1_000_000
)

// Defaults applied by WithDefaults.
const (
	DefaultLeadTime      = Duration(7 * 24 * time.Hour)
	DefaultInvitationTTL = Duration(30 * 24 * time.Hour)
	DefaultReminderEvery = Duration(3 * 24 * time.Hour)
)

// Ranges enforced by Validate. Outside them an operator has almost certainly mistyped a unit.
const (
	minInvitationTTL = 24 * time.Hour
	maxInvitationTTL = 90 * 24 * time.Hour
	minReminderEvery = time.Hour
	minLeadTime      = 24 * time.Hour
	maxLeadTime      = 60 * 24 * time.Hour
	// expiredGrace is how long an expired original still serves its users (Microsoft's Expired state); an
	// original that ended longer ago has nothing left to hand over without disruption.
	expiredGrace = 30 * 24 * time.Hour
	// maxTermAhead is the longest term an original can still run (five- and six-year public sector offers).
	maxTermAhead = 6 * 366 * 24 * time.Hour
)

// FieldProblem is one thing wrong with a request, at a JSON field path such as "subscriptions[2].quantity".
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String writes "field: message".
func (p FieldProblem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// ValidationError lists every problem found in a TransferRequest. Messages never contain the contact's
// e-mail address or the customer's name.
type ValidationError struct {
	Problems []FieldProblem `json:"problems"`
}

// Error joins all problems: "invalid transfer request: a; b".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid transfer request: " + strings.Join(parts, "; ")
}

// WithDefaults returns a normalized copy of the request: identifiers trimmed, the tenant id, the domain and
// skuIds in lower case, the country in upper case, enum values in their canonical spelling, expiry times in
// UTC, and every optional setting that is zero set to its default (provisioning immediately with a 7-day
// lead time, approval auto, a 30-day invitation, a reminder every 3 days). The receiver is not changed.
func (r TransferRequest) WithDefaults() TransferRequest {
	n := r
	n.CustomerTenantID = strings.ToLower(strings.TrimSpace(r.CustomerTenantID))
	n.CustomerDomain = strings.ToLower(strings.TrimSpace(r.CustomerDomain))
	n.CustomerName = strings.TrimSpace(r.CustomerName)
	n.ContactEmail = strings.TrimSpace(r.ContactEmail)
	n.Country = strings.ToUpper(strings.TrimSpace(r.Country))

	if r.Subscriptions != nil {
		n.Subscriptions = make([]OriginalSubscription, len(r.Subscriptions))
		for i, s := range r.Subscriptions {
			s.SkuID = strings.ToLower(strings.TrimSpace(s.SkuID))
			s.SkuPartNumber = strings.TrimSpace(s.SkuPartNumber)
			s.SubscriptionID = strings.ToLower(strings.TrimSpace(s.SubscriptionID))
			s.OwnerTenantID = strings.ToLower(strings.TrimSpace(s.OwnerTenantID))
			s.CommerceSubscriptionID = strings.ToLower(strings.TrimSpace(s.CommerceSubscriptionID))
			if !s.ExpiresAt.IsZero() {
				s.ExpiresAt = s.ExpiresAt.UTC()
			}
			if s.OriginalPrice != nil {
				p := s.OriginalPrice.canonical()
				s.OriginalPrice = &p
			}
			n.Subscriptions[i] = s
		}
	}
	if r.SourcePartner != nil {
		sp := *r.SourcePartner
		sp.TenantID = strings.ToLower(strings.TrimSpace(sp.TenantID))
		sp.Name = strings.TrimSpace(sp.Name)
		sp.Email = strings.TrimSpace(sp.Email)
		n.SourcePartner = &sp
	}
	if r.OfferOverrides != nil {
		keys := workflow.DeterministicKeys(r.OfferOverrides)
		n.OfferOverrides = make(map[string]string, len(r.OfferOverrides))
		// Keys already trimmed go first; a key that would collide with another once trimmed keeps its
		// spelling, so Validate still reports the duplicate instead of one value silently replacing another.
		for _, trimmed := range []bool{true, false} {
			for _, k := range keys {
				nk := strings.TrimSpace(k)
				if (nk == k) != trimmed {
					continue
				}
				if _, taken := n.OfferOverrides[nk]; taken {
					nk = k
				}
				n.OfferOverrides[nk] = strings.TrimSpace(r.OfferOverrides[k])
			}
		}
	}

	if r.OriginalPrices != nil {
		keys := workflow.DeterministicKeys(r.OriginalPrices)
		n.OriginalPrices = make(map[string]Price, len(r.OriginalPrices))
		// As for offerOverrides: keys already trimmed go first, and a key that would collide once trimmed
		// keeps its spelling, so Validate reports the duplicate instead of one price silently replacing
		// another (" X" sorts before "X").
		for _, trimmed := range []bool{true, false} {
			for _, k := range keys {
				nk := strings.TrimSpace(k)
				if (nk == k) != trimmed {
					continue
				}
				if _, taken := n.OriginalPrices[nk]; taken {
					nk = k
				}
				n.OriginalPrices[nk] = r.OriginalPrices[k].canonical()
			}
		}
	}

	if m, ok := r.Provisioning.Mode.Canonical(); ok {
		n.Provisioning.Mode = m
	}
	if n.Provisioning.Mode == "" {
		n.Provisioning.Mode = ProvisionImmediately
	}
	if n.Provisioning.LeadTime == 0 {
		n.Provisioning.LeadTime = DefaultLeadTime
	}
	if a, ok := r.Approval.Canonical(); ok {
		n.Approval = a
	}
	if n.Approval == "" {
		n.Approval = ApprovalAuto
	}
	if n.InvitationTTL == 0 {
		n.InvitationTTL = DefaultInvitationTTL
	}
	if n.ReminderEvery == 0 {
		n.ReminderEvery = DefaultReminderEvery
	}
	return n
}

// Validate checks the request and returns nil or a *ValidationError listing every problem, each naming the
// JSON field and what was expected. It accepts the request before or after WithDefaults: zero optional
// settings mean "use the default", letter case and surrounding spaces are tolerated where WithDefaults
// normalizes them. now (workflow time) bounds the originals' expiry dates. It is deterministic and safe on
// any input.
func (r TransferRequest) Validate(now time.Time) error {
	v := &validator{}

	if v.text("customerTenantId", r.CustomerTenantID, true) {
		v.guid("customerTenantId", r.CustomerTenantID)
	}
	if v.text("customerDomain", r.CustomerDomain, true) {
		if d := strings.TrimSpace(r.CustomerDomain); !IsDomainName(d) {
			v.addf("customerDomain", "%s is not a domain name (expected e.g. contoso.onmicrosoft.com)", Quote(d))
		}
	}
	v.personal("customerName", r.CustomerName)
	if v.personal("contactEmail", r.ContactEmail) && strings.TrimSpace(r.ContactEmail) != "" {
		if !isEmailAddress(strings.TrimSpace(r.ContactEmail)) {
			v.add("contactEmail", "not an e-mail address")
		}
	}
	if v.text("country", r.Country, false) {
		v.country(strings.TrimSpace(r.Country))
	}

	v.subscriptions(r.Subscriptions, now)
	v.overrides(r.OfferOverrides)
	v.originalPrices(r.OriginalPrices)
	v.sourcePartner(r.SourcePartner, r.ContactEmail)

	if _, ok := r.Provisioning.Mode.Canonical(); !ok {
		v.addf("provisioning.mode", "%s is not one of %s, %s", Quote(string(r.Provisioning.Mode)),
			ProvisionImmediately, ProvisionBeforeExpiry)
	}
	if lt := r.Provisioning.LeadTime.D(); lt != 0 && (lt < minLeadTime || lt > maxLeadTime) {
		v.addf("provisioning.leadTime", "must be between 1d and 60d, got %s", r.Provisioning.LeadTime)
	}
	if _, ok := r.Approval.Canonical(); !ok {
		v.addf("approval", "%s is not one of %s, %s, %s", Quote(string(r.Approval)),
			ApprovalAuto, ApprovalAlways, ApprovalNever)
	}

	ttl, ttlOK := r.InvitationTTL.D(), true
	switch {
	case ttl == 0:
		ttl = DefaultInvitationTTL.D()
	case ttl < minInvitationTTL || ttl > maxInvitationTTL:
		v.addf("invitationTtl", "must be between 1d and 90d, got %s", r.InvitationTTL)
		// The wrong TTL is reported once; the reminder is held to the widest TTL allowed.
		ttl, ttlOK = maxInvitationTTL, false
	}
	if re := r.ReminderEvery.D(); re != 0 && (re < minReminderEvery || re > ttl) {
		bound := ""
		if ttlOK {
			bound = " (" + Duration(ttl).String() + ")"
		}
		v.addf("reminderEvery", "must be between 1h and invitationTtl%s, got %s", bound, r.ReminderEvery)
	}

	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// ValidateCatalogItemID checks the shape "productId:skuId[:availabilityId]" of a target catalog item id, e.g.
// for the set-offer-mapping update.
func ValidateCatalogItemID(id string) error {
	if !IsCatalogItemID(id) {
		return fmt.Errorf("catalog item id must look like productId:skuId[:availabilityId], got %s", Quote(id))
	}
	return nil
}

// ValidateSourceSku checks that s can name an original SKU: a Graph skuId GUID or a skuPartNumber.
func ValidateSourceSku(s string) error {
	if !IsGUID(s) && !isSkuPartNumber(s) {
		return fmt.Errorf("%s is neither a Graph skuId (GUID) nor a skuPartNumber such as ENTERPRISEPACK", Quote(s))
	}
	return nil
}

// sourcePartner checks the CSP partner the customer leaves. A transfer request needs the customer's e-mail.
func (v *validator) sourcePartner(sp *SourcePartner, contactEmail string) {
	if sp == nil {
		return
	}
	if v.text("sourcePartner.tenantId", sp.TenantID, false) {
		v.guid("sourcePartner.tenantId", sp.TenantID)
	}
	v.text("sourcePartner.name", sp.Name, false)
	if v.personal("sourcePartner.email", sp.Email) && strings.TrimSpace(sp.Email) != "" && !isEmailAddress(strings.TrimSpace(sp.Email)) {
		v.add("sourcePartner.email", "not an e-mail address")
	}
	if strings.TrimSpace(sp.TenantID) == "" && strings.TrimSpace(sp.Name) == "" && strings.TrimSpace(sp.Email) == "" {
		v.add("sourcePartner", "give at least tenantId, name or email, or leave sourcePartner out")
	}
	if strings.TrimSpace(contactEmail) == "" {
		v.add("contactEmail", "required with sourcePartner: Microsoft e-mails the customer the partner-to-partner transfer request")
	}
}

type validator struct {
	problems []FieldProblem
}

func (v *validator) add(field, msg string) {
	v.problems = append(v.problems, FieldProblem{Field: field, Message: msg})
}

func (v *validator) addf(field, format string, args ...any) {
	v.add(field, fmt.Sprintf(format, args...))
}

// text checks a non-personal string's presence, length and encoding. It reports whether further checks of
// its format make sense.
func (v *validator) text(field, s string, required bool) bool {
	if !v.encoding(field, s) {
		return false
	}
	if required && strings.TrimSpace(s) == "" {
		v.add(field, "required")
		return false
	}
	return strings.TrimSpace(s) != ""
}

// personal checks a string holding personal data without ever echoing it.
func (v *validator) personal(field, s string) bool {
	if !v.encoding(field, s) {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			v.add(field, "must not contain control characters")
			return false
		}
	}
	return true
}

func (v *validator) encoding(field, s string) bool {
	if !utf8.ValidString(s) {
		v.add(field, "not valid UTF-8")
		return false
	}
	if n := utf8.RuneCountInString(s); n > MaxStringLength {
		v.addf(field, "must be at most %d characters, got %d", MaxStringLength, n)
		return false
	}
	return true
}

func (v *validator) guid(field, s string) {
	s = strings.TrimSpace(s)
	switch {
	case !IsGUID(s):
		v.addf(field, "%s is not a GUID (expected 8-4-4-4-12 hexadecimal digits)", Quote(s))
	case s == "00000000-0000-0000-0000-000000000000":
		v.add(field, "must not be the nil GUID")
	}
}

func (v *validator) country(c string) {
	if iso3166Alpha2(strings.ToUpper(c)) {
		return
	}
	hint := ""
	if strings.EqualFold(c, "UK") {
		hint = " (the United Kingdom is GB)"
	}
	v.addf("country", "%s is not an ISO 3166-1 alpha-2 code%s", Quote(c), hint)
}

func (v *validator) subscriptions(subs []OriginalSubscription, now time.Time) {
	if len(subs) > MaxSubscriptions {
		v.addf("subscriptions", "at most %d entries, got %d", MaxSubscriptions, len(subs))
		return
	}
	// Two entries for the same SKU and the same end date are the same original given twice: summing them
	// silently could double the seats bought. Same SKU with different end dates is legitimate.
	seen := make(map[string]int, len(subs))
	for i, s := range subs {
		field := "subscriptions[" + strconv.Itoa(i) + "]"
		id := strings.TrimSpace(s.SkuID)
		pn := strings.TrimSpace(s.SkuPartNumber)
		idOK := v.encoding(field+".skuId", s.SkuID)
		pnOK := v.encoding(field+".skuPartNumber", s.SkuPartNumber)
		if id == "" && pn == "" && idOK && pnOK {
			v.add(field, "one of skuId and skuPartNumber is required")
		}
		if idOK && id != "" {
			if !IsGUID(id) {
				v.addf(field+".skuId", "%s is not a GUID (expected 8-4-4-4-12 hexadecimal digits)", Quote(id))
				idOK = false
			}
		}
		if pnOK && pn != "" && !isSkuPartNumber(pn) {
			v.addf(field+".skuPartNumber", "%s is not a SKU part number (expected printable ASCII without spaces, e.g. ENTERPRISEPACK)", Quote(pn))
			pnOK = false
		}
		for _, id := range []struct{ field, value string }{
			{field + ".subscriptionId", s.SubscriptionID}, {field + ".ownerTenantId", s.OwnerTenantID},
			{field + ".commerceSubscriptionId", s.CommerceSubscriptionID},
		} {
			if v.text(id.field, id.value, false) {
				v.guid(id.field, id.value)
			}
		}
		switch {
		case s.Quantity < 1:
			v.addf(field+".quantity", "must be at least 1, got %d", s.Quantity)
		case s.Quantity > MaxQuantity:
			v.addf(field+".quantity", "must be at most %d, got %d", MaxQuantity, s.Quantity)
		}
		if s.OriginalPrice != nil {
			v.price(field+".originalPrice", *s.OriginalPrice)
		}
		switch {
		case s.ExpiresAt.IsZero():
			v.add(field+".expiresAt", "required")
		case s.ExpiresAt.Before(now.Add(-expiredGrace)):
			v.addf(field+".expiresAt", "%s is more than 30d in the past: the original no longer serves its users",
				s.ExpiresAt.UTC().Format(time.RFC3339))
		case s.ExpiresAt.After(now.Add(maxTermAhead)):
			v.addf(field+".expiresAt", "%s is more than 6 years ahead: no license term is that long",
				s.ExpiresAt.UTC().Format(time.RFC3339))
		}

		var key string
		switch {
		case idOK && id != "":
			key = "skuId " + strings.ToLower(id)
		case pnOK && pn != "":
			key = "skuPartNumber " + strings.ToLower(pn)
		default:
			continue
		}
		if !s.ExpiresAt.IsZero() {
			key += " " + s.ExpiresAt.UTC().Format(time.RFC3339Nano)
		}
		if j, dup := seen[key]; dup {
			what := "skuId"
			if id == "" {
				what = "skuPartNumber"
			}
			v.addf(field, "duplicates subscriptions[%d] (same %s and expiresAt): give each original once with its total quantity", j, what)
			continue
		}
		seen[key] = i
	}
}

func (v *validator) overrides(m map[string]string) {
	if len(m) > MaxOfferOverrides {
		v.addf("offerOverrides", "at most %d entries, got %d", MaxOfferOverrides, len(m))
		return
	}
	keys := workflow.DeterministicKeys(m)
	seen := make(map[string]string, len(m))
	for _, k := range keys {
		field := "offerOverrides[" + Quote(k) + "]"
		if !utf8.ValidString(k) || utf8.RuneCountInString(k) > MaxStringLength {
			v.addf("offerOverrides", "key must be valid UTF-8 of at most %d characters", MaxStringLength)
			continue
		}
		tk := strings.TrimSpace(k)
		if err := ValidateSourceSku(tk); err != nil {
			v.add(field, "key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK")
		} else if prev, dup := seen[strings.ToLower(tk)]; dup {
			v.addf(field, "duplicates offerOverrides[%s]: keys are case-insensitive", Quote(prev))
		} else {
			seen[strings.ToLower(tk)] = k
		}
		if !v.text(field, m[k], true) {
			continue
		}
		if !IsCatalogItemID(strings.TrimSpace(m[k])) {
			v.addf(field, "catalog item id must look like productId:skuId[:availabilityId], got %s", Quote(m[k]))
		}
	}
}

func (v *validator) originalPrices(m map[string]Price) {
	if len(m) > MaxOfferOverrides {
		v.addf("originalPrices", "at most %d entries, got %d", MaxOfferOverrides, len(m))
		return
	}
	seen := make(map[string]string, len(m))
	for _, k := range workflow.DeterministicKeys(m) {
		field := "originalPrices[" + Quote(k) + "]"
		if !utf8.ValidString(k) || utf8.RuneCountInString(k) > MaxStringLength {
			v.addf("originalPrices", "key must be valid UTF-8 of at most %d characters", MaxStringLength)
			continue
		}
		tk := strings.TrimSpace(k)
		if err := ValidateSourceSku(tk); err != nil {
			v.add(field, "key must be a Graph skuId (GUID) or a skuPartNumber such as ENTERPRISEPACK")
		} else if prev, dup := seen[strings.ToLower(tk)]; dup {
			v.addf(field, "duplicates originalPrices[%s]: keys are case-insensitive", Quote(prev))
		} else {
			seen[strings.ToLower(tk)] = k
		}
		v.price(field, m[k])
	}
}

// canonical writes the currency and period in upper case, the period P1M when not given.
func (p Price) canonical() Price {
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	p.Period = strings.ToUpper(strings.TrimSpace(p.Period))
	if p.Period == "" {
		p.Period = PeriodMonth
	}
	return p
}

// maxPrice bounds a seat's price far above any real offer, so sums cannot lose precision.
const maxPrice = 1_000_000

// price checks an original's price: a finite amount from 0 to maxPrice, an ISO 4217 currency, P1M or P1Y.
func (v *validator) price(field string, p Price) {
	if math.IsNaN(p.Amount) || p.Amount < 0 || p.Amount > maxPrice {
		v.addf(field+".amount", "must be a number from 0 to %d (the price of one seat for the period)", maxPrice)
	}
	if c := strings.TrimSpace(p.Currency); !IsCurrencyCode(strings.ToUpper(c)) {
		v.addf(field+".currency", "%s is not an ISO 4217 currency code (expected e.g. EUR)", Quote(p.Currency))
	}
	switch strings.ToUpper(strings.TrimSpace(p.Period)) {
	case "", PeriodMonth, PeriodYear:
	default:
		v.addf(field+".period", "%s is not one of %s, %s", Quote(p.Period), PeriodMonth, PeriodYear)
	}
}

// Canonical returns the mode in its canonical spelling (any letter case and surrounding spaces are
// accepted; empty stays empty) and whether it is one of the modes.
func (m ProvisioningMode) Canonical() (ProvisioningMode, bool) {
	switch s := strings.TrimSpace(string(m)); {
	case s == "":
		return "", true
	case strings.EqualFold(s, string(ProvisionImmediately)):
		return ProvisionImmediately, true
	case strings.EqualFold(s, string(ProvisionBeforeExpiry)):
		return ProvisionBeforeExpiry, true
	}
	return m, false
}

// Canonical returns the policy in its canonical spelling (any letter case and surrounding spaces are
// accepted; empty stays empty) and whether it is one of the policies.
func (a ApprovalPolicy) Canonical() (ApprovalPolicy, bool) {
	s := strings.TrimSpace(string(a))
	if s == "" {
		return "", true
	}
	for _, p := range []ApprovalPolicy{ApprovalAuto, ApprovalAlways, ApprovalNever} {
		if strings.EqualFold(s, string(p)) {
			return p, true
		}
	}
	return a, false
}

// IsGUID accepts 8-4-4-4-12 hexadecimal digits in any letter case, without braces: the form of Microsoft
// tenant ids. The CLI and the trigger service use it to check ids before they reach a workflow.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isASCIIAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// IsDomainName accepts an ASCII host name of at least two labels (international names in their punycode
// form), as Microsoft Entra verified domains are.
func IsDomainName(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isASCIIAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	for i := 0; i < len(tld); i++ {
		if '0' <= tld[i] && tld[i] <= '9' {
			return strings.HasPrefix(strings.ToLower(tld), "xn--")
		}
	}
	return true
}

// isEmailAddress accepts a bare address (no display name) whose domain is a domain name.
func isEmailAddress(s string) bool {
	if len(s) > 254 {
		return false
	}
	// net/mail only logs when its package-level debug flag is on, which it never is: deterministic.
	a, err := mail.ParseAddress(s) //workflowcheck:ignore
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at <= 64 && IsDomainName(s[at+1:])
}

// isSkuPartNumber accepts printable ASCII without spaces: Graph part numbers include _ - + . ( ) and /,
// e.g. "Microsoft_365_E3_(no_Teams)" and "O365_w/o_Teams_Bundle_M3".
func isSkuPartNumber(s string) bool {
	if s == "" || len(s) > MaxStringLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// IsCatalogItemID accepts "productId:skuId" or "productId:skuId:availabilityId", each part alphanumeric,
// e.g. "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ".
func IsCatalogItemID(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 64 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !isASCIIAlnum(p[i]) {
				return false
			}
		}
	}
	return true
}

// Quote writes a value for an error message: Go-quoted, so control characters cannot forge output, and
// shortened so a huge value cannot blow up the message.
func Quote(s string) string {
	const limit = 64
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return strconv.Quote(s)
}
