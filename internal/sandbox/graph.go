package sandbox

import (
	"encoding/binary"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Graph companySubscription states.
const (
	statusEnabled   = "Enabled"
	statusWarning   = "Warning"
	statusSuspended = "Suspended"
	statusDeleted   = "Deleted"
	statusLockedOut = "LockedOut"
)

type graphErrorBody struct {
	Error graphError `json:"error"`
}

type graphError struct {
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	InnerError graphInnerError `json:"innerError"`
}

type graphInnerError struct {
	// Code, Message and Status are set on throttling, as in Microsoft's 429 example.
	Code            string `json:"code,omitempty"`
	Message         string `json:"message,omitempty"`
	Status          string `json:"status,omitempty"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id,omitempty"`
	Date            string `json:"date"`
}

func (s *Sandbox) graphErr(status int, code, msg string) reply {
	return jsonReply(status, graphErrorBody{Error: graphError{Code: code, Message: msg, InnerError: graphInnerError{
		RequestID: s.newID(), Date: s.now().UTC().Format("2006-01-02T15:04:05"),
	}}})
}

// graphCustomer authenticates a Graph call into a customer directory: the token must be a
// Graph token issued for that customer tenant.
func (s *Sandbox) graphCustomer(fn func(r *http.Request, c *customer, now time.Time) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.locked(w, func(now time.Time) reply {
			cl, msg := s.bearer(r)
			if msg != "" {
				return s.graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
			}
			if cl.Audience != audGraph {
				return s.graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience: request a token for https://graph.microsoft.com/.default.")
			}
			c, ok := s.customerLocked(cl.TenantID)
			if !ok {
				return s.graphErr(http.StatusForbidden, "Authorization_RequestDenied", "The token is for tenant "+cl.TenantID+", which is not a customer tenant in the sandbox; directory calls about a customer need a token for the customer tenant.")
			}
			if s.st.Settings.RequireGDAPForGraph && !s.hasActiveGDAPLocked(c.TenantID) {
				return s.graphErr(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation: no active granular admin relationship with this customer.")
			}
			return fn(r, c, now)
		})
	}
}

func (s *Sandbox) hasActiveGDAPLocked(customerID string) bool {
	for _, id := range s.ix.gdapByCustomer[customerID] {
		if g, ok := s.st.GDAP[id]; ok && g.Status == "active" {
			return true
		}
	}
	return false
}

// seats counts the prepaid units of one SKU in a tenant by state, pooling the originals
// and the CSP subscriptions the way Graph's subscribedSkus does.
type seats struct {
	Enabled, Warning, Suspended, LockedOut int
	SubscriptionIDs                        []string
}

func (x seats) serving() int { return x.Enabled + x.Warning }

func (s *Sandbox) seatsLocked(c *customer, skuID string) seats {
	var out seats
	for _, o := range c.Originals {
		if !strings.EqualFold(o.SkuID, skuID) || o.TransferredTo != "" {
			continue // a transferred original serves as its new partner's subscription, below
		}
		switch o.Status {
		case statusEnabled:
			out.Enabled += o.TotalLicenses
		case statusWarning:
			out.Warning += o.TotalLicenses
		case statusSuspended:
			out.Suspended += o.TotalLicenses
		case statusLockedOut:
			out.LockedOut += o.TotalLicenses
		default:
			continue
		}
		out.SubscriptionIDs = append(out.SubscriptionIDs, o.ID)
	}
	for _, sub := range c.CSPSubs {
		if !strings.EqualFold(sub.GraphSkuID, skuID) {
			continue
		}
		switch sub.Status {
		case "active":
			out.Enabled += sub.Quantity
		case "suspended", "disabled":
			out.Suspended += sub.Quantity
		default:
			continue
		}
		out.SubscriptionIDs = append(out.SubscriptionIDs, sub.GraphID)
	}
	return out
}

// skuIDsLocked lists every SKU present in the tenant (subscriptions not deleted, or assigned).
func (s *Sandbox) skuIDsLocked(c *customer) []string {
	set := map[string]bool{}
	for _, o := range c.Originals {
		if o.Status != statusDeleted && o.TransferredTo == "" {
			set[strings.ToLower(o.SkuID)] = true
		}
	}
	for _, sub := range c.CSPSubs {
		if sub.Status == "active" || sub.Status == "suspended" || sub.Status == "disabled" {
			set[strings.ToLower(sub.GraphSkuID)] = true
		}
	}
	return sortedKeys(set)
}

// licenseSource is one license a user holds, directly (GroupID empty) or through a group.
type licenseSource struct {
	SkuID         string
	DisabledPlans []string
	GroupID       string
}

// effectiveLocked returns the licenses a user holds: direct ones first, then inherited ones.
func (s *Sandbox) effectiveLocked(c *customer, u *user) []licenseSource {
	var out []licenseSource
	for _, l := range u.Licenses {
		out = append(out, licenseSource{SkuID: l.SkuID, DisabledPlans: l.DisabledPlans})
	}
	for _, gid := range u.Groups {
		g := findGroup(c, gid)
		if g == nil {
			continue
		}
		for _, l := range g.Licenses {
			out = append(out, licenseSource{SkuID: l.SkuID, DisabledPlans: l.DisabledPlans, GroupID: g.ID})
		}
	}
	return out
}

func hasSku(ls []licenseSource, skuID string) bool {
	for _, l := range ls {
		if strings.EqualFold(l.SkuID, skuID) {
			return true
		}
	}
	return false
}

func (s *Sandbox) consumedLocked(c *customer, skuID string) int {
	n := 0
	for _, u := range c.Users {
		if hasSku(s.effectiveLocked(c, u), skuID) {
			n++
		}
	}
	return n
}

func findGroup(c *customer, id string) *group {
	for _, g := range c.Groups {
		if strings.EqualFold(g.ID, id) {
			return g
		}
	}
	return nil
}

func findUser(c *customer, idOrUPN string) *user {
	for _, u := range c.Users {
		if strings.EqualFold(u.ID, idOrUPN) || strings.EqualFold(u.UserPrincipalName, idOrUPN) {
			return u
		}
	}
	return nil
}

// plansFor resolves the service plans of a Graph SKU.
func (s *Sandbox) plansFor(skuID string) []servicePlan {
	if cs, ok := s.cat.byGraphSku(skuID); ok {
		return cs.Plans
	}
	return nil
}

func (s *Sandbox) partNumberLocked(c *customer, skuID string) string {
	if cs, ok := s.cat.byGraphSku(skuID); ok {
		return cs.SkuPartNumber
	}
	for _, o := range c.Originals {
		if strings.EqualFold(o.SkuID, skuID) {
			return o.SkuPartNumber
		}
	}
	return ""
}

type serviceStatus struct {
	AppliesTo          string `json:"appliesTo"`
	ProvisioningStatus string `json:"provisioningStatus"`
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
}

type companySubscriptionJSON struct {
	ID                     string          `json:"id"`
	CommerceSubscriptionID string          `json:"commerceSubscriptionId"`
	CreatedDateTime        time.Time       `json:"createdDateTime"`
	IsTrial                bool            `json:"isTrial"`
	NextLifecycleDateTime  *time.Time      `json:"nextLifecycleDateTime"`
	OwnerID                *string         `json:"ownerId"`
	OwnerTenantID          *string         `json:"ownerTenantId"`
	OwnerType              *string         `json:"ownerType"`
	ServiceStatus          []serviceStatus `json:"serviceStatus"`
	SkuID                  string          `json:"skuId"`
	SkuPartNumber          string          `json:"skuPartNumber"`
	Status                 string          `json:"status"`
	TotalLicenses          int             `json:"totalLicenses"`
}

func (s *Sandbox) serviceStatusFor(skuID, status string) []serviceStatus {
	prov := "Success"
	if status == statusSuspended || status == statusDeleted || status == statusLockedOut {
		prov = "Disabled"
	}
	out := []serviceStatus{}
	for _, p := range s.plansFor(skuID) {
		out = append(out, serviceStatus{AppliesTo: "User", ProvisioningStatus: prov, ServicePlanID: p.ID, ServicePlanName: p.Name})
	}
	return out
}

func strPtr(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (s *Sandbox) companySubsLocked(c *customer) []companySubscriptionJSON {
	out := []companySubscriptionJSON{}
	for _, o := range c.Originals {
		if o.TransferredTo != "" {
			continue // shown once, as the new partner's subscription (same ids), below
		}
		var ownerType *string
		if o.OwnerTenantID != "" {
			ownerType = strPtr("Partner")
		}
		out = append(out, companySubscriptionJSON{
			ID: o.ID, CommerceSubscriptionID: o.CommerceSubscriptionID, CreatedDateTime: o.CreatedDateTime,
			IsTrial: o.IsTrial, NextLifecycleDateTime: o.NextLifecycle, OwnerID: strPtr(o.OwnerTenantID),
			OwnerTenantID: strPtr(o.OwnerTenantID), OwnerType: ownerType,
			ServiceStatus: s.serviceStatusFor(o.SkuID, o.Status), SkuID: o.SkuID, SkuPartNumber: o.SkuPartNumber,
			Status: o.Status, TotalLicenses: o.TotalLicenses,
		})
	}
	for _, sub := range c.CSPSubs {
		var status string
		switch sub.Status {
		case "active":
			status = statusEnabled
		case "suspended", "disabled":
			status = statusSuspended
		case "deleted", "expired":
			status = statusDeleted
		default:
			continue // pending subscriptions are not provisioned in the directory yet
		}
		next := sub.CommitmentEndDate
		out = append(out, companySubscriptionJSON{
			ID: sub.GraphID, CommerceSubscriptionID: sub.ID, CreatedDateTime: sub.CreationDate,
			NextLifecycleDateTime: &next, OwnerID: strPtr(sub.PartnerID), OwnerTenantID: strPtr(sub.PartnerID),
			OwnerType: strPtr("Partner"), ServiceStatus: s.serviceStatusFor(sub.GraphSkuID, status),
			SkuID: sub.GraphSkuID, SkuPartNumber: sub.SkuPartNumber, Status: status, TotalLicenses: sub.Quantity,
		})
	}
	return out
}

func (s *Sandbox) graphListSubscriptions(r *http.Request, c *customer, _ time.Time) reply {
	return jsonReply(http.StatusOK, map[string]any{
		"@odata.context": s.publicURL + "/graph/v1.0/$metadata#directory/subscriptions",
		"value":          s.companySubsLocked(c),
	})
}

func (s *Sandbox) graphGetSubscription(r *http.Request, c *customer, _ time.Time) reply {
	id := r.PathValue("id")
	for _, cs := range s.companySubsLocked(c) {
		if strings.EqualFold(cs.ID, id) || strings.EqualFold(cs.CommerceSubscriptionID, id) {
			return jsonReply(http.StatusOK, cs)
		}
	}
	return s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

type prepaidUnits struct {
	Enabled   int `json:"enabled"`
	Suspended int `json:"suspended"`
	Warning   int `json:"warning"`
	LockedOut int `json:"lockedOut"`
}

type servicePlanInfo struct {
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus"`
	AppliesTo          string `json:"appliesTo"`
}

type subscribedSkuJSON struct {
	AccountID        string            `json:"accountId"`
	AccountName      string            `json:"accountName"`
	AppliesTo        string            `json:"appliesTo"`
	CapabilityStatus string            `json:"capabilityStatus"`
	ConsumedUnits    int               `json:"consumedUnits"`
	ID               string            `json:"id"`
	PrepaidUnits     prepaidUnits      `json:"prepaidUnits"`
	ServicePlans     []servicePlanInfo `json:"servicePlans"`
	SkuID            string            `json:"skuId"`
	SkuPartNumber    string            `json:"skuPartNumber"`
	SubscriptionIDs  []string          `json:"subscriptionIds"`
}

func (s *Sandbox) subscribedSkusLocked(c *customer) []subscribedSkuJSON {
	out := []subscribedSkuJSON{}
	for _, sku := range s.skuIDsLocked(c) {
		st := s.seatsLocked(c, sku)
		capability := statusEnabled
		switch {
		case st.Enabled > 0:
		case st.Warning > 0:
			capability = statusWarning
		default:
			capability = statusSuspended
		}
		plans := []servicePlanInfo{}
		for _, p := range s.plansFor(sku) {
			prov := "Success"
			if capability == statusSuspended {
				prov = "Disabled"
			}
			plans = append(plans, servicePlanInfo{ServicePlanID: p.ID, ServicePlanName: p.Name, ProvisioningStatus: prov, AppliesTo: "User"})
		}
		out = append(out, subscribedSkuJSON{
			AccountID: c.TenantID, AccountName: accountName(c), AppliesTo: "User", CapabilityStatus: capability,
			ConsumedUnits: s.consumedLocked(c, sku), ID: c.TenantID + "_" + sku,
			PrepaidUnits: prepaidUnits{Enabled: st.Enabled, Suspended: st.Suspended, Warning: st.Warning, LockedOut: st.LockedOut},
			ServicePlans: plans, SkuID: sku, SkuPartNumber: s.partNumberLocked(c, sku), SubscriptionIDs: st.SubscriptionIDs,
		})
	}
	return out
}

func accountName(c *customer) string {
	name, _, _ := strings.Cut(c.Domain, ".")
	return name
}

func (s *Sandbox) graphSubscribedSkus(_ *http.Request, c *customer, _ time.Time) reply {
	return jsonReply(http.StatusOK, map[string]any{
		"@odata.context": s.publicURL + "/graph/v1.0/$metadata#subscribedSkus",
		"value":          s.subscribedSkusLocked(c),
	})
}

type licenseJSON struct {
	DisabledPlans []string `json:"disabledPlans"`
	SkuID         string   `json:"skuId"`
}

type licenseStateJSON struct {
	AssignedByGroup     *string   `json:"assignedByGroup"`
	DisabledPlans       []string  `json:"disabledPlans"`
	Error               string    `json:"error"`
	LastUpdatedDateTime time.Time `json:"lastUpdatedDateTime"`
	SkuID               string    `json:"skuId"`
	State               string    `json:"state"`
}

type assignedPlanJSON struct {
	AssignedDateTime time.Time `json:"assignedDateTime"`
	CapabilityStatus string    `json:"capabilityStatus"`
	Service          string    `json:"service"`
	ServicePlanID    string    `json:"servicePlanId"`
}

// userJSONLocked shows a user with Graph's default properties plus the license ones. Synthetic users have
// no job title, office, mobile phone or preferred language: Graph answers null for unset properties.
func (s *Sandbox) userJSONLocked(c *customer, u *user) map[string]any {
	eff := s.effectiveLocked(c, u)
	assigned := []licenseJSON{}
	seen := map[string]bool{}
	states := []licenseStateJSON{}
	plans := []assignedPlanJSON{}
	planSeen := map[string]bool{}
	for _, l := range eff {
		dp := nonNil(l.DisabledPlans)
		if !seen[strings.ToLower(l.SkuID)] {
			seen[strings.ToLower(l.SkuID)] = true
			assigned = append(assigned, licenseJSON{DisabledPlans: dp, SkuID: l.SkuID})
		}
		st := "Active"
		if s.seatsLocked(c, l.SkuID).serving() == 0 {
			st = "ActiveWithError"
		}
		states = append(states, licenseStateJSON{AssignedByGroup: strPtr(l.GroupID), DisabledPlans: dp, Error: "None",
			LastUpdatedDateTime: u.LastUpdated, SkuID: l.SkuID, State: st})
		for _, p := range s.plansFor(l.SkuID) {
			if planSeen[p.ID] {
				continue
			}
			planSeen[p.ID] = true
			capability := statusEnabled
			if slices.ContainsFunc(dp, func(d string) bool { return strings.EqualFold(d, p.ID) }) {
				capability = statusDeleted
			}
			plans = append(plans, assignedPlanJSON{AssignedDateTime: u.LastUpdated, CapabilityStatus: capability, Service: serviceOf(p), ServicePlanID: p.ID})
		}
	}
	given, surname, _ := strings.Cut(u.DisplayName, " ")
	return map[string]any{
		"id": u.ID, "userPrincipalName": u.UserPrincipalName, "displayName": u.DisplayName,
		"givenName": given, "surname": surname, "businessPhones": []string{}, "jobTitle": nil, "mobilePhone": nil,
		"officeLocation": nil, "preferredLanguage": nil, "mail": u.UserPrincipalName,
		"accountEnabled": true, "usageLocation": u.UsageLocation, "city": c.City, "country": c.Country, "companyName": c.CompanyName,
		"assignedLicenses": assigned, "assignedPlans": plans, "licenseAssignmentStates": states,
	}
}

// serviceOf names the service a plan belongs to, as assignedPlans shows it.
func serviceOf(p servicePlan) string {
	for _, m := range []struct{ prefix, service string }{
		{"EXCHANGE", "exchange"}, {"SHAREPOINT", "SharePoint"}, {"OFFICE", "MicrosoftOffice"},
		{"MCO", "MicrosoftCommunicationsOnline"}, {"TEAMS", "TeamspaceAPI"}, {"INTUNE", "SCO"},
		{"AAD", "AADPremiumService"}, {"DYN365", "CRM"}, {"FLOW", "ProcessSimple"},
	} {
		if strings.HasPrefix(p.Name, m.prefix) {
			return m.service
		}
	}
	return p.Name
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// selectFields keeps only the $select-ed properties (id is always kept, as Graph does).
func selectFields(m map[string]any, sel string) map[string]any {
	if strings.TrimSpace(sel) == "" {
		return m
	}
	out := map[string]any{"id": m["id"]}
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return out
}

var licenseFilterRE = regexp.MustCompile(`(?i)^\s*assignedLicenses/any\(\s*(\w+)\s*:\s*(\w+)/skuId\s+eq\s+([0-9a-f-]{36})\s*\)\s*$`)

func (s *Sandbox) graphListUsers(r *http.Request, c *customer, _ time.Time) reply {
	q := r.URL.Query()
	var skuFilter string
	if f := q.Get("$filter"); f != "" {
		m := licenseFilterRE.FindStringSubmatch(f)
		if m == nil || !strings.EqualFold(m[1], m[2]) {
			return s.graphErr(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported query: the sandbox supports $filter=assignedLicenses/any(x:x/skuId eq <guid>) only.")
		}
		skuFilter = m[3]
	}
	top := 100
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 999 {
			return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "Invalid value for $top: use 1..999.")
		}
		top = n
	}
	skip := 0
	if t := q.Get("$skiptoken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.")
		}
		skip = n
	}
	var matched []*user
	for _, u := range c.Users {
		if skuFilter == "" || hasSku(s.effectiveLocked(c, u), skuFilter) {
			matched = append(matched, u)
		}
	}
	page := []map[string]any{}
	end := min(skip+top, len(matched))
	for i := skip; i < end; i++ {
		page = append(page, selectFields(s.userJSONLocked(c, matched[i]), q.Get("$select")))
	}
	body := map[string]any{"@odata.context": s.publicURL + "/graph/v1.0/$metadata#users", "value": page}
	if end < len(matched) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("$skiptoken", strconv.Itoa(end))
		next.Set("$top", strconv.Itoa(top))
		body["@odata.nextLink"] = s.publicURL + "/graph/v1.0/users?" + next.Encode()
	}
	return jsonReply(http.StatusOK, body)
}

func (s *Sandbox) graphGetUser(r *http.Request, c *customer, _ time.Time) reply {
	u := findUser(c, r.PathValue("id"))
	if u == nil {
		return s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	}
	m := selectFields(s.userJSONLocked(c, u), r.URL.Query().Get("$select"))
	m["@odata.context"] = s.publicURL + "/graph/v1.0/$metadata#users/$entity"
	return jsonReply(http.StatusOK, m)
}

// groupJSONLocked shows a licensing group as Graph shows a security group: the properties of Microsoft 365
// groups (mail, visibility, ...) are null, as is the unset description.
func (s *Sandbox) groupJSONLocked(c *customer, g *group) map[string]any {
	lic := []licenseJSON{}
	for _, l := range g.Licenses {
		lic = append(lic, licenseJSON{DisabledPlans: nonNil(l.DisabledPlans), SkuID: l.SkuID})
	}
	created := g.Created
	if created.IsZero() && len(c.Originals) > 0 { // groups of older state files
		created = c.Originals[0].CreatedDateTime
	}
	m := map[string]any{
		"id": g.ID, "displayName": g.DisplayName, "assignedLicenses": lic, "securityEnabled": true, "mailEnabled": false,
		"createdDateTime": created, "renewedDateTime": created, "mailNickname": mailNickname(g.DisplayName),
		"securityIdentifier": securityIdentifier(g.ID), "groupTypes": []string{}, "proxyAddresses": []string{},
		"resourceBehaviorOptions": []string{}, "resourceProvisioningOptions": []string{}, "onPremisesProvisioningErrors": []any{},
	}
	for _, k := range []string{"description", "mail", "visibility", "deletedDateTime", "classification", "expirationDateTime",
		"isAssignableToRole", "membershipRule", "membershipRuleProcessingState", "onPremisesDomainName",
		"onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesSamAccountName", "onPremisesSecurityIdentifier",
		"onPremisesSyncEnabled", "preferredDataLocation", "preferredLanguage", "theme"} {
		m[k] = nil
	}
	return m
}

// mailNickname derives a group's mail alias from its display name.
func mailNickname(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, name)
}

// securityIdentifier is the SID Entra ID gives a cloud group: S-1-12-1- and the object id's four 32-bit
// words.
func securityIdentifier(id string) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return ""
	}
	words := []uint32{
		binary.BigEndian.Uint32(u[0:4]),
		uint32(binary.BigEndian.Uint16(u[4:6])) | uint32(binary.BigEndian.Uint16(u[6:8]))<<16,
		binary.LittleEndian.Uint32(u[8:12]),
		binary.LittleEndian.Uint32(u[12:16]),
	}
	out := "S-1-12-1"
	for _, w := range words {
		out += "-" + strconv.FormatUint(uint64(w), 10)
	}
	return out
}

func (s *Sandbox) graphListGroups(r *http.Request, c *customer, _ time.Time) reply {
	out := []map[string]any{}
	for _, g := range c.Groups {
		out = append(out, selectFields(s.groupJSONLocked(c, g), r.URL.Query().Get("$select")))
	}
	return jsonReply(http.StatusOK, map[string]any{"@odata.context": s.publicURL + "/graph/v1.0/$metadata#groups", "value": out})
}

func (s *Sandbox) graphGetGroup(r *http.Request, c *customer, _ time.Time) reply {
	g := findGroup(c, r.PathValue("id"))
	if g == nil {
		return s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	}
	m := selectFields(s.groupJSONLocked(c, g), r.URL.Query().Get("$select"))
	m["@odata.context"] = s.publicURL + "/graph/v1.0/$metadata#groups/$entity"
	return jsonReply(http.StatusOK, m)
}

func (s *Sandbox) graphGroupMembers(r *http.Request, c *customer, _ time.Time) reply {
	g := findGroup(c, r.PathValue("id"))
	if g == nil {
		return s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	}
	out := []map[string]any{}
	for _, u := range c.Users {
		if slices.ContainsFunc(u.Groups, func(id string) bool { return strings.EqualFold(id, g.ID) }) {
			m := selectFields(s.userJSONLocked(c, u), r.URL.Query().Get("$select"))
			m["@odata.type"] = "#microsoft.graph.user"
			out = append(out, m)
		}
	}
	return jsonReply(http.StatusOK, map[string]any{"value": out})
}

type assignLicenseRequest struct {
	AddLicenses    *[]licenseJSON `json:"addLicenses"`
	RemoveLicenses *[]string      `json:"removeLicenses"`
}

// validateAssignLocked checks an assignLicense body against the tenant's SKUs and returns the
// normalised additions and removals.
func (s *Sandbox) validateAssignLocked(c *customer, req assignLicenseRequest) ([]licenseJSON, []string, *reply) {
	if req.AddLicenses == nil || req.RemoveLicenses == nil {
		r := s.graphErr(http.StatusBadRequest, "Request_BadRequest", "Both addLicenses and removeLicenses are required (use an empty array for none).")
		return nil, nil, &r
	}
	present := s.skuIDsLocked(c)
	add := *req.AddLicenses
	for _, a := range add {
		if !slices.Contains(present, strings.ToLower(a.SkuID)) {
			r := s.graphErr(http.StatusBadRequest, "Request_BadRequest", "License "+a.SkuID+" does not correspond to a valid company License.")
			return nil, nil, &r
		}
		plans := s.plansFor(a.SkuID)
		for _, dp := range a.DisabledPlans {
			if !slices.ContainsFunc(plans, func(p servicePlan) bool { return strings.EqualFold(p.ID, dp) }) {
				r := s.graphErr(http.StatusBadRequest, "Request_BadRequest", "Service plan "+dp+" in disabledPlans is not part of SKU "+a.SkuID+".")
				return nil, nil, &r
			}
		}
		if slices.ContainsFunc(*req.RemoveLicenses, func(x string) bool { return strings.EqualFold(x, a.SkuID) }) {
			r := s.graphErr(http.StatusBadRequest, "Request_BadRequest", "License "+a.SkuID+" is both added and removed in one request.")
			return nil, nil, &r
		}
	}
	return add, *req.RemoveLicenses, nil
}

func (s *Sandbox) countViolation(skuID string) reply {
	return s.graphErr(http.StatusBadRequest, "CountViolation", "Subscription for SKU "+skuID+" does not have any available licenses.")
}

func (s *Sandbox) graphAssignUserLicense(r *http.Request, c *customer, now time.Time) reply {
	var req assignLicenseRequest
	if err := decodeJSON(r, &req); err != nil {
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", err.Error())
	}
	u := findUser(c, r.PathValue("id"))
	if u == nil {
		return s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	}
	add, remove, bad := s.validateAssignLocked(c, req)
	if bad != nil {
		return *bad
	}
	before := s.effectiveLocked(c, u)
	for _, rm := range remove {
		direct := slices.ContainsFunc(u.Licenses, func(l assignedLicense) bool { return strings.EqualFold(l.SkuID, rm) })
		if !direct {
			if hasSku(before, rm) {
				return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "User license is inherited from a group membership and it cannot be removed directly from the user.")
			}
			return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "User does not have a corresponding license for "+rm+".")
		}
	}
	for _, a := range add {
		if hasSku(before, a.SkuID) {
			continue // already consuming a seat; only the disabled plans change
		}
		if s.seatsLocked(c, a.SkuID).serving()-s.consumedLocked(c, a.SkuID) < 1 {
			return s.countViolation(a.SkuID)
		}
	}
	u.Licenses = applyLicenseChange(u.Licenses, add, remove)
	u.LastUpdated = now
	s.dirty = true
	s.noteLicenseLossLocked(c, u, before, now)
	s.checkLicensesLocked(c, now)
	return jsonReply(http.StatusOK, s.userJSONLocked(c, u))
}

// applyLicenseChange is what one assignLicense call does to a user's or group's licenses: the removed SKUs
// go, the added ones are set (replacing their disabled plans when already held), all at once.
func applyLicenseChange(current []assignedLicense, add []licenseJSON, remove []string) []assignedLicense {
	next := slices.DeleteFunc(slices.Clone(current), func(l assignedLicense) bool {
		return slices.ContainsFunc(remove, func(x string) bool { return strings.EqualFold(x, l.SkuID) })
	})
	for _, a := range add {
		i := slices.IndexFunc(next, func(l assignedLicense) bool { return strings.EqualFold(l.SkuID, a.SkuID) })
		lic := assignedLicense{SkuID: strings.ToLower(a.SkuID), DisabledPlans: nonNil(a.DisabledPlans)}
		if i >= 0 {
			next[i] = lic
		} else {
			next = append(next, lic)
		}
	}
	return next
}

func (s *Sandbox) graphAssignGroupLicense(r *http.Request, c *customer, now time.Time) reply {
	var req assignLicenseRequest
	if err := decodeJSON(r, &req); err != nil {
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", err.Error())
	}
	g := findGroup(c, r.PathValue("id"))
	if g == nil {
		return s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist or one of its queried reference-property objects are not present.")
	}
	add, remove, bad := s.validateAssignLocked(c, req)
	if bad != nil {
		return *bad
	}
	for _, rm := range remove {
		if !slices.ContainsFunc(g.Licenses, func(l assignedLicense) bool { return strings.EqualFold(l.SkuID, rm) }) {
			return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "Group does not have a corresponding license for "+rm+".")
		}
	}
	members := []*user{}
	for _, u := range c.Users {
		if slices.ContainsFunc(u.Groups, func(id string) bool { return strings.EqualFold(id, g.ID) }) {
			members = append(members, u)
		}
	}
	// Real group-based licensing would accept the change and flag members with
	// CountViolation; the sandbox refuses up front so the shortage is visible to the caller.
	for _, a := range add {
		need := 0
		for _, u := range members {
			if !hasSku(s.effectiveLocked(c, u), a.SkuID) {
				need++
			}
		}
		if need > 0 && s.seatsLocked(c, a.SkuID).serving()-s.consumedLocked(c, a.SkuID) < need {
			return s.countViolation(a.SkuID)
		}
	}
	before := map[string][]licenseSource{}
	for _, u := range members {
		before[u.ID] = s.effectiveLocked(c, u)
	}
	g.Licenses = applyLicenseChange(g.Licenses, add, remove)
	s.dirty = true
	for _, u := range members {
		u.LastUpdated = now
		s.noteLicenseLossLocked(c, u, before[u.ID], now)
	}
	s.checkLicensesLocked(c, now)
	// Graph documents 202 Accepted: members are reprocessed asynchronously (here: at once).
	return jsonReply(http.StatusAccepted, s.groupJSONLocked(c, g))
}

// noteLicenseLossLocked records a user whose last license was just taken away.
func (s *Sandbox) noteLicenseLossLocked(c *customer, u *user, before []licenseSource, now time.Time) {
	after := s.effectiveLocked(c, u)
	if len(before) > 0 && len(after) == 0 {
		c.Ledger.UnlicensedUsers = append(c.Ledger.UnlicensedUsers, UnlicensedUser{At: now, UserID: u.ID, SkuID: before[0].SkuID, Reason: "last license removed"})
	}
}

// checkLicensesLocked records the moments a SKU has more assigned users than serving
// seats: those users have lost service even though they still hold the license.
func (s *Sandbox) checkLicensesLocked(c *customer, at time.Time) {
	if c.ShortfallOpen == nil {
		c.ShortfallOpen = map[string]bool{}
	}
	skus := map[string]bool{}
	for _, u := range c.Users {
		for _, l := range s.effectiveLocked(c, u) {
			skus[strings.ToLower(l.SkuID)] = true
		}
	}
	for k := range c.ShortfallOpen {
		skus[k] = true
	}
	for _, sku := range sortedKeys(skus) {
		consumed := s.consumedLocked(c, sku)
		serving := s.seatsLocked(c, sku).serving()
		short := consumed > serving
		if short && !c.ShortfallOpen[sku] {
			c.Ledger.Shortfalls = append(c.Ledger.Shortfalls, Shortfall{At: at, SkuID: sku, SkuPartNumber: s.partNumberLocked(c, sku), ConsumedUnits: consumed, ServingUnits: serving})
			s.dirty = true
		}
		if short != c.ShortfallOpen[sku] {
			c.ShortfallOpen[sku] = short
			s.dirty = true
		}
	}
}
