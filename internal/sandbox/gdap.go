package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// graphPartner authenticates a Graph call made by a partner about its own relationships.
func (s *Sandbox) graphPartner(fn func(r *http.Request, p *partner, now time.Time) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.locked(w, func(now time.Time) reply {
			cl, msg := s.bearer(r)
			if msg != "" {
				return s.graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
			}
			if cl.Audience != audGraph {
				return s.graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience: request a token for https://graph.microsoft.com/.default.")
			}
			p, ok := s.st.Partners[cl.TenantID]
			if !ok {
				return s.graphErr(http.StatusForbidden, "Authorization_RequestDenied", "Delegated admin relationships are managed with a token for the partner tenant.")
			}
			return fn(r, p, now)
		})
	}
}

type gdapInput struct {
	DisplayName string `json:"displayName"`
	Duration    string `json:"duration"`
	Customer    *struct {
		TenantID    string `json:"tenantId"`
		DisplayName string `json:"displayName"`
	} `json:"customer"`
	AccessDetails *struct {
		UnifiedRoles []struct {
			RoleDefinitionID string `json:"roleDefinitionId"`
		} `json:"unifiedRoles"`
	} `json:"accessDetails"`
	AutoExtendDuration string `json:"autoExtendDuration"`
}

// gdapJSON shows a relationship as Graph does: before activation activatedDateTime is "" (Microsoft's
// create example) and endDateTime is createdDateTime + duration; once active, endDateTime is
// activatedDateTime + duration, as Graph's property description says.
func (s *Sandbox) gdapJSON(g *gdapRel) map[string]any {
	roles := []map[string]string{}
	for _, r := range g.Roles {
		roles = append(roles, map[string]string{"roleDefinitionId": r})
	}
	var activated any = ""
	end := g.End
	if !g.Activated.IsZero() {
		activated = g.Activated
	}
	if end.IsZero() {
		var err error
		if end, err = addISO(g.Created, g.Duration); err != nil {
			end = g.Created.AddDate(2, 0, 0)
		}
	}
	tag := sha256.Sum256([]byte(g.ID + "/" + g.Status + "/" + g.LastModified.Format(time.RFC3339Nano)))
	return map[string]any{
		"@odata.type": "#microsoft.graph.delegatedAdminRelationship",
		"@odata.etag": `W/"` + base64.StdEncoding.EncodeToString(tag[:18]) + `"`,
		"id":          g.ID, "displayName": g.DisplayName, "duration": g.Duration, "status": g.Status,
		"autoExtendDuration": g.AutoExtendDuration,
		"customer":           map[string]string{"tenantId": g.CustomerTenantID, "displayName": g.CustomerName},
		"accessDetails":      map[string]any{"unifiedRoles": roles},
		"createdDateTime":    g.Created, "lastModifiedDateTime": g.LastModified,
		"activatedDateTime": activated, "endDateTime": end,
	}
}

// gdapContext is the @odata.context of the relationship answers; entity adds "/$entity".
func (s *Sandbox) gdapContext(what string) string {
	return s.publicURL + "/graph/v1.0/tenantRelationships/$metadata#" + what
}

// withContext adds an @odata.context to an answer.
func withContext(m map[string]any, ctx string) map[string]any {
	m["@odata.context"] = ctx
	return m
}

func (s *Sandbox) gdapCreate(r *http.Request, p *partner, now time.Time) reply {
	var in gdapInput
	if err := decodeJSON(r, &in); err != nil {
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", err.Error())
	}
	switch {
	case strings.TrimSpace(in.DisplayName) == "":
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "displayName is required.")
	case in.Customer == nil || in.Customer.TenantID == "":
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "customer.tenantId is required.")
	case in.AccessDetails == nil || len(in.AccessDetails.UnifiedRoles) == 0:
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "accessDetails.unifiedRoles needs at least one roleDefinitionId.")
	}
	end, err := addISO(now, in.Duration)
	if err != nil || end.After(now.AddDate(2, 0, 1)) || end.Before(now.AddDate(0, 0, 1)) {
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "duration must be an ISO 8601 duration between P1D and P2Y.")
	}
	c, ok := s.customerLocked(strings.ToLower(in.Customer.TenantID))
	if !ok {
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "customer.tenantId "+in.Customer.TenantID+" is not a known tenant.")
	}
	if len(s.ix.gdapByName[p.TenantID+"\x00"+strings.ToLower(in.DisplayName)]) > 0 {
		return s.graphErr(http.StatusConflict, "Conflict", "A delegated admin relationship named '"+in.DisplayName+"' already exists.")
	}
	auto := in.AutoExtendDuration
	if auto == "" {
		auto = "PT0S"
	}
	g := &gdapRel{ID: s.newID() + "-" + s.newID(), PartnerID: p.TenantID, DisplayName: in.DisplayName, Duration: in.Duration,
		Status: "created", CustomerTenantID: c.TenantID, CustomerName: c.CompanyName, AutoExtendDuration: auto,
		Created: now, LastModified: now}
	for _, role := range in.AccessDetails.UnifiedRoles {
		g.Roles = append(g.Roles, role.RoleDefinitionID)
	}
	s.addGDAPLocked(g)
	rep := jsonReply(http.StatusCreated, withContext(s.gdapJSON(g), s.gdapContext("delegatedAdminRelationships")))
	rep.header = map[string]string{"Location": s.publicURL + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/" + g.ID}
	return rep
}

func (s *Sandbox) gdapList(r *http.Request, p *partner, _ time.Time) reply {
	field, value, ok := gdapFilter(r.URL.Query().Get("$filter"))
	if !ok {
		return s.graphErr(http.StatusBadRequest, "Request_UnsupportedQuery", "The sandbox filters delegated admin relationships only by displayName eq '...' or status eq '...'.")
	}
	out := []map[string]any{}
	ids := s.ix.gdapByPartner[p.TenantID]
	if field == "displayName" {
		ids = s.ix.gdapByName[p.TenantID+"\x00"+strings.ToLower(value)]
	}
	for _, g := range s.gdapOfLocked(ids) {
		if (field == "displayName" && g.DisplayName != value) || (field == "status" && g.Status != value) {
			continue
		}
		out = append(out, s.gdapJSON(g))
	}
	return jsonReply(http.StatusOK, map[string]any{"@odata.context": s.gdapContext("delegatedAdminRelationships"), "value": out})
}

func (s *Sandbox) ownGDAPLocked(r *http.Request, p *partner) (*gdapRel, *reply) {
	g, ok := s.gdapLocked(r.PathValue("id"))
	if !ok || g.PartnerID != p.TenantID {
		rep := s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "Delegated admin relationship "+r.PathValue("id")+" was not found.")
		return nil, &rep
	}
	return g, nil
}

func (s *Sandbox) gdapGet(r *http.Request, p *partner, _ time.Time) reply {
	g, bad := s.ownGDAPLocked(r, p)
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, withContext(s.gdapJSON(g), s.gdapContext("delegatedAdminRelationships/$entity")))
}

func (s *Sandbox) gdapRequest(r *http.Request, p *partner, now time.Time) reply {
	g, bad := s.ownGDAPLocked(r, p)
	if bad != nil {
		return *bad
	}
	var in struct {
		Action string `json:"action"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", err.Error())
	}
	switch in.Action {
	case "lockForApproval":
		if g.Status != "created" {
			return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "lockForApproval is only allowed in status created; the relationship is "+g.Status+".")
		}
		g.Status = "approvalPending"
	case "terminate":
		if g.Status != "active" {
			return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "terminate is only allowed for an active relationship.")
		}
		g.Status = "terminated"
	default:
		return s.graphErr(http.StatusBadRequest, "Request_BadRequest", "action must be lockForApproval or terminate.")
	}
	g.LastModified = now
	s.dirty = true
	return jsonReply(http.StatusCreated, map[string]any{
		"@odata.type":    "#microsoft.graph.delegatedAdminRelationshipRequest",
		"@odata.context": s.gdapContext("requests"),
		"id":             s.newID(), "action": in.Action, "status": "succeeded",
		"createdDateTime": now, "lastModifiedDateTime": now,
	})
}

// approveGDAPLocked is the customer's approval in the admin center.
func (s *Sandbox) approveGDAPLocked(id string, now time.Time) (*gdapRel, *reply) {
	g, ok := s.gdapLocked(id)
	if !ok {
		rep := adminErr(http.StatusNotFound, "id", "no delegated admin relationship "+id)
		return nil, &rep
	}
	if g.Status == "active" {
		return g, nil
	}
	if g.Status != "approvalPending" {
		rep := adminErr(http.StatusConflict, "status", "the relationship is "+g.Status+"; the partner must lock it for approval first")
		return nil, &rep
	}
	end, err := addISO(now, g.Duration)
	if err != nil {
		end = now.AddDate(2, 0, 0)
	}
	g.Status, g.Activated, g.End, g.LastModified = "active", now, end, now
	s.dirty = true
	if c, ok := s.customerLocked(g.CustomerTenantID); ok {
		rec := s.auditLocked(g.PartnerID, c, "approve_granular_admin_relationship", "GranularAdminRelationship", now)
		s.enqueueLocked(g.PartnerID, c, pcwebhook.Event{
			EventName: pcwebhook.EventGranularAdminRelationshipApproved, ResourceName: pcwebhook.ResourceGranularAdminRelationship,
			ResourceURI: s.publicURL + "/granularAdminRelationships/" + g.ID, AuditURI: s.publicURL + "/v1/auditrecords/" + rec.ID,
			ResourceChangeUTCDate: now,
		})
	}
	return g, nil
}

// gdapFilter reads the OData filters the sandbox serves on delegated admin relationships:
// "displayName eq 'x'" and "status eq 'x'" (quotes doubled inside). An empty filter matches everything;
// any other filter is not supported.
func gdapFilter(f string) (field, value string, ok bool) {
	f = strings.TrimSpace(f)
	if f == "" {
		return "", "", true
	}
	for _, name := range []string{"displayName", "status"} {
		rest, found := strings.CutPrefix(f, name+" eq '")
		if found && strings.HasSuffix(rest, "'") {
			return name, strings.ReplaceAll(strings.TrimSuffix(rest, "'"), "''", "'"), true
		}
	}
	return "", "", false
}
