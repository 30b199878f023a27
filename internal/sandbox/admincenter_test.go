package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// page fetches an admin-center page (GET, or POST of form when form is not nil).
func (e *env) page(method, link string, form url.Values) (int, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, link, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	return res.StatusCode, string(body)
}

// TestGDAPApprovalPage: the link the sandbox gives for a GDAP request (GDAPApprovalURLBase + "/" + id)
// opens a page of the simulated admin center where the customer approves it.
func TestGDAPApprovalPage(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, e.srv.URL+"/sandbox/admin-center/granularAdminRelationships", e.sb.GDAPApprovalURLBase())
	tok := e.token(sandbox.PartnerEU, scopeGraph, false)
	r := e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", tok, map[string]any{
		"displayName": "csptransfer-approval-page", "duration": "P730D",
		"customer":      map[string]string{"tenantId": sandbox.CustomerDiscontinued},
		"accessDetails": map[string]any{"unifiedRoles": []map[string]string{{"roleDefinitionId": "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}}},
	})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	id := r.json(t)["id"].(string)
	link := e.sb.GDAPApprovalURLBase() + "/" + id

	status, body := e.page("GET", link, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "has not submitted this request for approval yet")
	require.NotContains(t, body, "<button", "nothing to approve before the partner locks the request")
	status, _ = e.page("POST", link, url.Values{})
	require.Equal(t, http.StatusConflict, status)

	r = e.do("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id+"/requests", tok, map[string]string{"action": "lockForApproval"})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	status, body = e.page("GET", link, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Northwind Cloud Services GmbH")
	require.Contains(t, body, "Fabrikam SARL")
	require.Contains(t, body, "License Administrator")
	require.Contains(t, body, `<form method="post" action="/sandbox/admin-center/granularAdminRelationships/`+id+`">`)

	status, body = e.page("POST", link, url.Values{})
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Approved admin relationship")
	r = e.do("GET", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+id, tok, nil)
	require.Equal(t, "active", r.json(t)["status"])
	status, body = e.page("GET", link, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "You approved this admin relationship.")

	r = e.do("GET", "/sandbox/customers/"+sandbox.CustomerDiscontinued, "", nil)
	rels := r.json(t)["delegatedAdminRelationships"].([]any)
	require.Len(t, rels, 1)
	require.Equal(t, link, rels[0].(map[string]any)["approvalUrl"])

	status, _ = e.page("GET", e.sb.GDAPApprovalURLBase()+"/no-such-relationship", nil)
	require.Equal(t, http.StatusNotFound, status)
}

// TestInvitationLinkOpensTheAdminCenter: the invitation link Partner Center gives in the sandbox leads to
// the simulated admin center's working invitation page.
func TestInvitationLinkOpensTheAdminCenter(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v1/customers/relationshiprequests", e.token(sandbox.PartnerEU, scopePCUser, true), nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	link := r.json(t)["url"].(string)
	require.True(t, strings.HasPrefix(link, e.srv.URL+"/sandbox/admin-center/partner-invitation?"), link)
	status, body := e.page("GET", link, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Northwind Cloud Services GmbH")
}

// TestWebhookURLSurvivesARestart: a URL set with PUT /sandbox/webhook is kept by the state file, even when
// the sandbox starts again with the same Options.WebhookURL; a changed Options.WebhookURL replaces it.
func TestWebhookURLSurvivesARestart(t *testing.T) {
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = "http://127.0.0.1:1/configured" })
	a := sandbox.AdminClient{BaseURL: e.srv.URL, HTTP: e.srv.Client()}
	ctx := t.Context()
	url := func() string {
		t.Helper()
		v, err := a.Webhook(ctx)
		require.NoError(t, err)
		return v.URL
	}
	require.Equal(t, "http://127.0.0.1:1/configured", url())

	require.NoError(t, a.SetWebhook(ctx, "http://127.0.0.1:1/set-at-runtime"))
	e.restart()
	require.Equal(t, "http://127.0.0.1:1/set-at-runtime", url(), "same configuration: the runtime URL stays")

	require.NoError(t, a.SetWebhook(ctx, ""))
	e.restart()
	require.Empty(t, url(), "stopped deliveries stay stopped")

	e.opts.WebhookURL = "http://127.0.0.1:1/reconfigured"
	e.restart()
	require.Equal(t, "http://127.0.0.1:1/reconfigured", url(), "a changed configuration wins")

	e.opts.WebhookURL = ""
	require.NoError(t, a.SetWebhook(ctx, "http://127.0.0.1:1/again"))
	e.restart()
	require.Empty(t, url(), "removing the configured URL is a change too")
	require.NoError(t, a.SetWebhook(ctx, "http://127.0.0.1:1/again"))
	e.restart()
	require.Equal(t, "http://127.0.0.1:1/again", url())
}

// TestStateFileIsPrivate: the state file holds keys and the token secret; it is written 0600 (even over a
// file that was readable by others) in a directory the sandbox creates 0700.
func TestStateFileIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "made", "by-sandbox")
	file := filepath.Join(dir, "state.json")
	sb, err := sandbox.New(sandbox.Options{StateFile: file})
	require.NoError(t, err)
	require.NoError(t, sb.Close())
	for _, d := range []string{dir, filepath.Dir(dir)} {
		info, err := os.Stat(d)
		require.NoError(t, err)
		if got, want := info.Mode().Perm(), os.FileMode(0o700); got != want {
			t.Fatalf("%s mode=%v, want %v", d, got, want)
		}
	}
	require.NoError(t, os.Chmod(file, 0o644))
	sb, err = sandbox.New(sandbox.Options{StateFile: file})
	require.NoError(t, err)
	require.NoError(t, sb.Close())
	info, err := os.Stat(file)
	require.NoError(t, err)
	if got, want := info.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Fatalf("state file mode=%v, want %v", got, want)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temp file left behind")
}
