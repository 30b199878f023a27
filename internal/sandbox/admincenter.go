package sandbox

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// GDAPApprovalPath is where the simulated admin center shows a GDAP relationship for the customer's
// approval: GDAPApprovalPath + "/" + relationship id, the counterpart of Microsoft's
// https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}.
const GDAPApprovalPath = "/sandbox/admin-center/granularAdminRelationships"

// GDAPApprovalURLBase is the base of the sandbox's GDAP approval links (PublicURL + GDAPApprovalPath): a
// client that builds approval links appends "/" + the relationship id, as it does to Microsoft's
// https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships.
func (s *Sandbox) GDAPApprovalURLBase() string { return s.publicURL + GDAPApprovalPath }

// gdapApprovalURL is the page where the customer approves relationship id.
func (s *Sandbox) gdapApprovalURL(id string) string {
	return s.GDAPApprovalURLBase() + "/" + url.PathEscape(id)
}

// roleNames names the Entra roles a GDAP request usually asks for (ids as Microsoft publishes them).
var roleNames = map[string]string{
	"88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
	"4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
	"fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
	"729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
	"e6d1a23a-da11-4be4-9570-befc86d067a7": "Compliance Administrator",
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
}

type gdapRole struct{ ID, Name string }

// gdapPageView is what the approval page shows of one relationship.
type gdapPageView struct {
	Found        bool
	Rel          *gdapRel
	PartnerName  string
	Roles        []gdapRole
	Pending      bool
	Action       string
	Message      string
	MessageClass string
}

func (s *Sandbox) gdapPageViewLocked(id string) gdapPageView {
	g, ok := s.st.GDAP[id]
	if !ok {
		return gdapPageView{}
	}
	v := gdapPageView{Found: true, Rel: g, PartnerName: g.PartnerID, Pending: g.Status == "approvalPending",
		Action: GDAPApprovalPath + "/" + url.PathEscape(g.ID)}
	if p, ok := s.st.Partners[g.PartnerID]; ok {
		v.PartnerName = p.CompanyName
	}
	for _, r := range g.Roles {
		v.Roles = append(v.Roles, gdapRole{ID: r, Name: roleNames[r]})
	}
	return v
}

func renderGDAPPage(status int, v gdapPageView) reply {
	var buf bytes.Buffer
	if err := gdapPage.Execute(&buf, v); err != nil {
		return reply{status: http.StatusInternalServerError, raw: []byte("render page"), ctype: "text/plain; charset=utf-8"}
	}
	return reply{status: status, raw: buf.Bytes(), ctype: "text/html; charset=utf-8"}
}

// handleGDAPPage shows a relationship to the customer, with an Approve button while it awaits approval.
func (s *Sandbox) handleGDAPPage(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(time.Time) reply {
		v := s.gdapPageViewLocked(r.PathValue("id"))
		if !v.Found {
			v.Message, v.MessageClass = "This link names no admin relationship request.", "err"
			return renderGDAPPage(http.StatusNotFound, v)
		}
		switch v.Rel.Status {
		case "created":
			v.Message, v.MessageClass = "The partner has not submitted this request for approval yet.", "err"
		case "active":
			v.Message, v.MessageClass = "You approved this admin relationship.", "ok"
		case "terminated":
			v.Message, v.MessageClass = "This admin relationship was terminated.", "err"
		}
		return renderGDAPPage(http.StatusOK, v)
	})
}

// handleGDAPPageApprove is the customer's global administrator pressing Approve.
func (s *Sandbox) handleGDAPPageApprove(w http.ResponseWriter, r *http.Request) {
	s.locked(w, func(now time.Time) reply {
		id := r.PathValue("id")
		if v := s.gdapPageViewLocked(id); !v.Found {
			v.Message, v.MessageClass = "This link names no admin relationship request.", "err"
			return renderGDAPPage(http.StatusNotFound, v)
		}
		g, bad := s.approveGDAPLocked(id, now)
		v := s.gdapPageViewLocked(id)
		if bad != nil {
			v.Message, v.MessageClass = "The admin relationship cannot be approved now: it is "+v.Rel.Status+".", "err"
			return renderGDAPPage(http.StatusConflict, v)
		}
		v.Message, v.MessageClass = "Approved admin relationship \""+g.DisplayName+"\" for "+g.CustomerName+".", "ok"
		return renderGDAPPage(http.StatusOK, v)
	})
}

var gdapPage = template.Must(template.New("gdap").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Microsoft 365 admin center (sandbox) - admin relationship request</title>
<style>body{font-family:Segoe UI,Arial,sans-serif;max-width:46rem;margin:2rem auto;color:#222}
dt{font-weight:bold;margin-top:.5rem}button{padding:.4rem 1rem}.ok{color:#0a6}.err{color:#b00}</style></head>
<body><h1>Partner admin relationship request</h1>
{{if .Message}}<p class="{{.MessageClass}}">{{.Message}}</p>{{end}}
{{if .Found}}
<p><strong>{{.PartnerName}}</strong> asks for granular delegated admin access to <strong>{{.Rel.CustomerName}}</strong>.</p>
<dl>
<dt>Relationship</dt><dd>{{.Rel.DisplayName}} ({{.Rel.ID}})</dd>
<dt>Duration</dt><dd>{{.Rel.Duration}}</dd>
<dt>Status</dt><dd id="status">{{.Rel.Status}}</dd>
<dt>Roles</dt><dd><ul>{{range .Roles}}<li>{{if .Name}}{{.Name}} ({{.ID}}){{else}}{{.ID}}{{end}}</li>{{end}}</ul></dd>
</dl>
{{if .Pending}}<form method="post" action="{{.Action}}">
<p>Sign in as the customer's global administrator and approve the roles above.</p>
<button type="submit">Approve</button></form>{{end}}
{{end}}
</body></html>`))
