package sandbox

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

type adminErrorBody struct {
	Error adminError `json:"error"`
}

type adminError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func adminErr(status int, field, msg string) reply {
	return jsonReply(status, adminErrorBody{Error: adminError{Field: field, Message: msg}})
}

// acceptLocked is the customer accepting a partner's reseller invitation in the admin
// center. Invitations only work within one CSP regional market, as in Partner Center.
func (s *Sandbox) acceptLocked(c *customer, partnerID string, acceptAgreement bool, now time.Time) (bool, *reply) {
	p, ok := s.st.Partners[strings.ToLower(partnerID)]
	if !ok {
		rep := adminErr(http.StatusBadRequest, "partnerTenantId", "no sandbox partner with tenant id "+partnerID)
		return false, &rep
	}
	if market(p.Country) != market(c.Country) {
		rep := adminErr(http.StatusConflict, "partnerTenantId", "the partner sells in the "+market(p.Country)+" market and the customer is in "+c.Country+" ("+market(c.Country)+"); a reseller relationship needs the same CSP regional market")
		return false, &rep
	}
	if acceptAgreement && !c.DirectSigned {
		c.DirectSigned = true
		s.dirty = true
	}
	if hasRelationship(c, p.TenantID) {
		return false, nil
	}
	c.Relationships[p.TenantID] = now
	c.Ledger.Acceptances[p.TenantID]++
	s.dirty = true
	rec := s.auditLocked(p.TenantID, c, "accept_reseller_relationship", "Customer", now)
	s.enqueueLocked(p.TenantID, c, pcwebhook.Event{
		// "Customer", as in Microsoft's example (pcwebhook.ResourceCustomer matches it case-insensitively).
		EventName: pcwebhook.EventResellerRelationshipAccepted, ResourceName: "Customer",
		ResourceURI: s.publicURL + "/v1/customers/" + c.TenantID, AuditURI: s.publicURL + "/v1/auditrecords/" + rec.ID,
		ResourceChangeUTCDate: now,
	})
	return true, nil
}

// AcceptInput is the body of POST /sandbox/customers/{tenantId}/accept: the customer accepts the reseller
// invitation of partner PartnerTenantID, and with AcceptAgreement the Microsoft Customer Agreement too.
type AcceptInput struct {
	PartnerTenantID string `json:"partnerTenantId"`
	AcceptAgreement bool   `json:"acceptAgreement"`
}

func (s *Sandbox) handleAccept(w http.ResponseWriter, r *http.Request) {
	var in AcceptInput
	if err := decodeJSON(r, &in); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	if in.PartnerTenantID == "" {
		adminErr(http.StatusBadRequest, "partnerTenantId", "is required").write(w)
		return
	}
	s.locked(w, func(now time.Time) reply {
		c, ok := s.customerLocked(strings.ToLower(r.PathValue("tenantId")))
		if !ok {
			return adminErr(http.StatusNotFound, "tenantId", "no customer "+r.PathValue("tenantId"))
		}
		created, bad := s.acceptLocked(c, in.PartnerTenantID, in.AcceptAgreement, now)
		if bad != nil {
			return *bad
		}
		return jsonReply(http.StatusOK, map[string]any{"customerTenantId": c.TenantID, "partnerTenantId": strings.ToLower(in.PartnerTenantID),
			"relationshipToPartner": "reseller", "alreadyAccepted": !created, "acceptedAt": c.Relationships[strings.ToLower(in.PartnerTenantID)]})
	})
}

func (s *Sandbox) handleSignAgreement(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(time.Time) reply {
		c, ok := s.customerLocked(strings.ToLower(r.PathValue("tenantId")))
		if !ok {
			return adminErr(http.StatusNotFound, "tenantId", "no customer "+r.PathValue("tenantId"))
		}
		c.DirectSigned = true
		s.dirty = true
		return jsonReply(http.StatusOK, map[string]any{"customerTenantId": c.TenantID, "isSigned": true})
	})
}

func (s *Sandbox) handleApproveGDAP(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(now time.Time) reply {
		g, bad := s.approveGDAPLocked(r.PathValue("id"), now)
		if bad != nil {
			return *bad
		}
		return jsonReply(http.StatusOK, s.gdapJSON(g))
	})
}

func (s *Sandbox) customerSummaryLocked(c *customer) map[string]any {
	rels := map[string]time.Time{}
	for k, v := range c.Relationships {
		rels[k] = v
	}
	return map[string]any{
		"tenantId": c.TenantID, "domain": c.Domain, "companyName": c.CompanyName, "country": c.Country,
		"market": market(c.Country), "scenario": c.Scenario, "relationships": rels, "agreementAccepted": hasMCA(c),
	}
}

func (s *Sandbox) handleListCustomers(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply {
		out := []map[string]any{}
		for _, id := range sortedKeys(s.st.Customers) {
			out = append(out, s.customerSummaryLocked(s.st.Customers[id]))
		}
		partners := []map[string]any{}
		for _, id := range sortedKeys(s.st.Partners) {
			p := s.st.Partners[id]
			partners = append(partners, map[string]any{"tenantId": p.TenantID, "companyName": p.CompanyName, "country": p.Country,
				"market": market(p.Country), "invitationUrl": s.invitationURL(p.TenantID)})
		}
		sources := []map[string]any{}
		for _, id := range sortedKeys(s.sources) {
			p := s.sources[id]
			sources = append(sources, map[string]any{"tenantId": p.TenantID, "companyName": p.CompanyName, "country": p.Country})
		}
		return jsonReply(http.StatusOK, map[string]any{"partners": partners, "sourcePartners": sources, "customers": out})
	})
}

func (s *Sandbox) handleGetCustomer(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(now time.Time) reply {
		c, ok := s.customerLocked(strings.ToLower(r.PathValue("tenantId")))
		if !ok {
			return adminErr(http.StatusNotFound, "tenantId", "no customer "+r.PathValue("tenantId"))
		}
		out := s.customerSummaryLocked(c)
		out["subscriptions"] = s.companySubsLocked(c)
		out["subscribedSkus"] = s.subscribedSkusLocked(c)
		usersOut := []map[string]any{}
		for _, u := range c.Users {
			usersOut = append(usersOut, s.userJSONLocked(c, u))
		}
		out["users"] = usersOut
		groups := []map[string]any{}
		for _, g := range c.Groups {
			groups = append(groups, s.groupJSONLocked(c, g))
		}
		out["groups"] = groups
		cspSubs := []map[string]any{}
		for _, sub := range c.CSPSubs {
			m := s.subscriptionJSON(c, sub, now)
			m["partnerTenantId"] = sub.PartnerID
			cspSubs = append(cspSubs, m)
		}
		out["cspSubscriptions"] = cspSubs
		gdap := []map[string]any{}
		for _, g := range s.gdapOfLocked(s.ix.gdapByCustomer[c.TenantID]) {
			m := s.gdapJSON(g)
			m["approvalUrl"] = s.gdapApprovalURL(g.ID)
			gdap = append(gdap, m)
		}
		out["delegatedAdminRelationships"] = gdap
		carts := []map[string]any{}
		for _, ct := range c.Carts {
			carts = append(carts, s.cartJSON(c, ct))
		}
		out["carts"] = carts
		out["transfers"] = s.transferViewsLocked(c)
		return jsonReply(http.StatusOK, out)
	})
}

func (s *Sandbox) handleCreateCustomer(w http.ResponseWriter, r *http.Request) {
	var in CustomerInput
	if err := decodeJSON(r, &in); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	s.locked(w, func(now time.Time) reply {
		c, ierr := s.buildCustomerLocked(in, now)
		if ierr != nil {
			return adminErr(http.StatusBadRequest, ierr.Field, ierr.Message)
		}
		c.CreatedByAdmin = true
		s.addCustomerLocked(c)
		return jsonReply(http.StatusCreated, s.customerSummaryLocked(c))
	})
}

func (s *Sandbox) handleGetSettings(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply { return jsonReply(http.StatusOK, s.st.Settings) })
}

func (s *Sandbox) handlePutSettings(w http.ResponseWriter, r *http.Request) {
	var in settings
	if err := decodeJSON(r, &in); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	switch {
	case in.ProvisioningDelay < 0:
		adminErr(http.StatusBadRequest, "provisioningDelay", "must not be negative").write(w)
		return
	case in.CheckoutDuration < 0 || time.Duration(in.CheckoutDuration) > 10*time.Second:
		adminErr(http.StatusBadRequest, "checkoutDuration", "must be between 0 and 10s").write(w)
		return
	}
	s.locked(w, func(time.Time) reply {
		s.st.Settings = in
		s.dirty = true
		return jsonReply(http.StatusOK, s.st.Settings)
	})
}

// handleReset goes back to the seed data and the built-in catalog. Keys, the CA and the webhook URL
// are kept so that tokens, pinned roots and the receiver stay valid.
func (s *Sandbox) handleReset(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply {
		old := s.st
		st := newState()
		st.TokenKey, st.CAKeyPEM, st.CACertPEM, st.SignKeyPEM, st.SignCertPEM = old.TokenKey, old.CAKeyPEM, old.CACertPEM, old.SignKeyPEM, old.SignCertPEM
		st.WebhookURL, st.WebhookURLOption = old.WebhookURL, old.WebhookURLOption
		st.JournalGen = old.JournalGen
		s.st = st
		s.reindexLocked()
		s.p.snapshot = true
		s.setCatalogLocked()
		st.Evaluated = s.sandboxNowLocked()
		s.seedLocked()
		s.calls.reset()
		s.dirty = true
		return jsonReply(http.StatusOK, map[string]any{"reset": true, "now": st.Evaluated, "customers": len(st.Customers)})
	})
}

var invitationPage = template.Must(template.New("inv").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Microsoft 365 admin center (sandbox) - partner invitation</title>
<style>body{font-family:Segoe UI,Arial,sans-serif;max-width:46rem;margin:2rem auto;color:#222}
fieldset{margin:1rem 0;padding:1rem}button{padding:.4rem 1rem}.ok{color:#0a6}.err{color:#b00}</style></head>
<body><h1>Accept partner invitation</h1>
{{if .Message}}<p class="{{.MessageClass}}">{{.Message}}</p>{{end}}
{{if .Partner}}
<p><strong>{{.Partner.CompanyName}}</strong> ({{.Partner.Country}}, {{.Market}} market) invites you to a reseller relationship.
The invitation does not grant admin access; that is a separate granular admin (GDAP) request.</p>
<form method="post" action="/sandbox/admin-center/partner-invitation">
<input type="hidden" name="partnerId" value="{{.Partner.TenantID}}">
<fieldset><legend>Sign in as the customer's global administrator</legend>
<label>Customer tenant<br><select name="customerTenantId">
<option value="">- choose -</option>
{{range .Customers}}<option value="{{.TenantID}}">{{.CompanyName}} - {{.Domain}} ({{.Country}}){{if .Accepted}} - already accepted{{end}}</option>{{end}}
</select></label><br><br>
<label>or tenant id / domain<br><input name="customerTenant" size="44"></label><br><br>
<label><input type="checkbox" name="acceptAgreement" value="true" checked> I accept the Microsoft Customer Agreement</label>
</fieldset>
<button type="submit">Accept and authorize</button></form>
{{end}}
{{if .Pending}}<h2>Pending admin relationship requests</h2><ul>
{{range .Pending}}<li>{{.CustomerName}}: <a href="/sandbox/admin-center/granularAdminRelationships/{{.ID}}">"{{.DisplayName}}"</a> ({{.Duration}})
<form method="post" action="/sandbox/admin-center/gdap/{{.ID}}/approve" style="display:inline"><button type="submit">Approve</button></form></li>{{end}}
</ul>{{end}}
</body></html>`))

type invitationView struct {
	Partner      *partner
	Market       string
	Customers    []invitationCustomer
	Pending      []*gdapRel
	Message      string
	MessageClass string
}

type invitationCustomer struct {
	TenantID, CompanyName, Domain, Country string
	Accepted                               bool
}

func (s *Sandbox) invitationViewLocked(partnerID string) invitationView {
	v := invitationView{}
	if p, ok := s.st.Partners[strings.ToLower(partnerID)]; ok {
		v.Partner, v.Market = p, market(p.Country)
	}
	for _, id := range sortedKeys(s.st.Customers) {
		c := s.st.Customers[id]
		ic := invitationCustomer{TenantID: c.TenantID, CompanyName: c.CompanyName, Domain: c.Domain, Country: c.Country}
		if v.Partner != nil {
			ic.Accepted = hasRelationship(c, v.Partner.TenantID)
		}
		v.Customers = append(v.Customers, ic)
	}
	for _, id := range sortedKeys(s.st.GDAP) {
		if g := s.st.GDAP[id]; g.Status == "approvalPending" {
			v.Pending = append(v.Pending, g)
		}
	}
	return v
}

func renderPage(status int, v invitationView) reply {
	var buf bytes.Buffer
	if err := invitationPage.Execute(&buf, v); err != nil {
		return reply{status: http.StatusInternalServerError, raw: []byte("render page"), ctype: "text/plain; charset=utf-8"}
	}
	return reply{status: status, raw: buf.Bytes(), ctype: "text/html; charset=utf-8"}
}

func (s *Sandbox) handleInvitationPage(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(time.Time) reply {
		v := s.invitationViewLocked(r.URL.Query().Get("partnerId"))
		if v.Partner == nil {
			v.Message, v.MessageClass = "This invitation link names no known partner.", "err"
			return renderPage(http.StatusNotFound, v)
		}
		return renderPage(http.StatusOK, v)
	})
}

func (s *Sandbox) handleInvitationAccept(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		reply{status: http.StatusBadRequest, raw: []byte("invalid form"), ctype: "text/plain; charset=utf-8"}.write(w)
		return
	}
	s.locked(w, func(now time.Time) reply {
		pid := r.PostForm.Get("partnerId")
		v := s.invitationViewLocked(pid)
		if v.Partner == nil {
			v.Message, v.MessageClass = "This invitation names no known partner.", "err"
			return renderPage(http.StatusNotFound, v)
		}
		ref := strings.TrimSpace(r.PostForm.Get("customerTenant"))
		if ref == "" {
			ref = r.PostForm.Get("customerTenantId")
		}
		tid, ok := s.resolveTenantLocked(ref)
		c, _ := s.customerLocked(tid)
		if !ok || c == nil {
			v.Message, v.MessageClass = "Choose a customer tenant, or enter its tenant id or domain.", "err"
			return renderPage(http.StatusBadRequest, v)
		}
		created, bad := s.acceptLocked(c, v.Partner.TenantID, r.PostForm.Get("acceptAgreement") == "true", now)
		v = s.invitationViewLocked(pid)
		switch {
		case bad != nil:
			v.Message, v.MessageClass = "The invitation cannot be accepted: the partner and "+c.CompanyName+" are in different CSP regional markets.", "err"
			return renderPage(http.StatusConflict, v)
		case !created:
			v.Message, v.MessageClass = c.CompanyName+" already has a reseller relationship with this partner.", "ok"
		default:
			v.Message, v.MessageClass = c.CompanyName+" accepted the reseller relationship.", "ok"
		}
		return renderPage(http.StatusOK, v)
	})
}

func (s *Sandbox) handleAdminCenterApprove(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(now time.Time) reply {
		g, bad := s.approveGDAPLocked(r.PathValue("id"), now)
		v := s.invitationViewLocked("")
		if bad != nil {
			v.Message, v.MessageClass = "The admin relationship cannot be approved now.", "err"
			return renderPage(http.StatusConflict, v)
		}
		v.Message, v.MessageClass = "Approved admin relationship \""+g.DisplayName+"\" for "+g.CustomerName+".", "ok"
		return renderPage(http.StatusOK, v)
	})
}
