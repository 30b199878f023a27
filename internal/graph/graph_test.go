package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/msrest"
)

const (
	customerTenant = "ab3c8f45-e9be-4e5c-a52a-4e19d4e6d1c3"
	partnerTenant  = "c5ef3f2f-1a4e-4c71-b6c1-0d7f0e4a1b2c"
	e3             = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	m365e3         = "05e9a617-0261-4cee-bb44-138d3ef5d965"
	groupID        = "1ad75eeb-7e5a-4367-a493-9214d90d54d0"
	relID          = "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836"
)

type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     []byte
}

type reply struct {
	status int
	body   string
	header map[string]string
}

type fakeGraph struct {
	mu     sync.Mutex
	base   string
	reqs   []recorded
	routes map[string][]reply
}

func (f *fakeGraph) on(method, path string, replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[method+" "+path] = replies
}

func (f *fakeGraph) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	key := r.Method + " " + r.URL.Path
	if r.URL.Query().Has("$skiptoken") {
		key += " page2"
	}
	replies := f.routes[key]
	rep := reply{status: 404, body: `{"error":{"code":"Request_ResourceNotFound","message":"Resource does not exist.","innerError":{"request-id":"rid-404","date":"2026-11-21T10:00:00"}}}`}
	if len(replies) > 0 {
		rep = replies[0]
		if len(replies) > 1 {
			f.routes[key] = replies[1:]
		}
	}
	base := f.base
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, strings.ReplaceAll(rep.body, "{{base}}", base))
}

func file(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func tokensFor(tenant string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-" + tenant})
}

func setup(t *testing.T, mutate ...func(*graph.Config)) (*graph.Client, *fakeGraph) {
	t.Helper()
	f := &fakeGraph{routes: map[string][]reply{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.base = srv.URL + "/graph/v1.0"
	cfg := graph.Config{
		BaseURL:         f.base,
		Tokens:          tokensFor,
		PartnerTenantID: partnerTenant,
		HTTPClient:      &http.Client{Timeout: 5 * time.Second},
		Sleep:           func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := graph.New(cfg)
	require.NoError(t, err)
	return c, f
}

func TestDocumentedExamples(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		file       string
		call       func(ctx context.Context, c *graph.Client) (any, error)
		wantTenant string
		wantQuery  url.Values
		check      func(t *testing.T, got any)
	}{
		{
			name: "directory subscriptions", path: "/graph/v1.0/directory/subscriptions", file: "directory_subscriptions.json", wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) {
				return c.DirectorySubscriptions(ctx, customerTenant)
			},
			check: func(t *testing.T, got any) {
				subs := got.([]graph.CompanySubscription)
				require.Len(t, subs, 2)
				require.Equal(t, e3, subs[0].SkuID)
				require.Equal(t, "ENTERPRISEPACK", subs[0].SkuPartNumber)
				require.Equal(t, 25, subs[0].TotalLicenses)
				require.Equal(t, graph.SubscriptionEnabled, subs[0].Status)
				require.Equal(t, time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), *subs[0].NextLifecycleDateTime)
				require.Empty(t, subs[0].OwnerTenantID)
				require.Nil(t, subs[1].NextLifecycleDateTime)
				require.Equal(t, partnerTenant, subs[1].OwnerTenantID)
			},
		},
		{
			name: "subscribed skus", path: "/graph/v1.0/subscribedSkus", file: "subscribedskus.json", wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) { return c.SubscribedSkus(ctx, customerTenant) },
			check: func(t *testing.T, got any) {
				s := got.([]graph.SubscribedSku)[0]
				require.Equal(t, 25, s.PrepaidUnits.Enabled)
				require.Equal(t, 14, s.ConsumedUnits)
				require.Equal(t, "SHAREPOINTENTERPRISE", s.ServicePlans[1].ServicePlanName)
				require.Equal(t, []string{"6e1a3d9a-b3c1-4ed5-9e2b-4b9e8f4f9b01"}, s.SubscriptionIDs)
			},
		},
		{
			name: "user", path: "/graph/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd", file: "user.json", wantTenant: customerTenant,
			wantQuery: url.Values{"$select": {"id,userPrincipalName,assignedLicenses,licenseAssignmentStates"}},
			call: func(ctx context.Context, c *graph.Client) (any, error) {
				return c.User(ctx, customerTenant, "87d349ed-44d7-43e1-9a83-5f2406dee5bd")
			},
			check: func(t *testing.T, got any) {
				u := got.(graph.User)
				direct, groups := u.LicenseSources(m365e3)
				require.True(t, direct)
				require.Empty(t, groups)
			},
		},
		{
			name: "group", path: "/graph/v1.0/groups/" + groupID, file: "group.json", wantTenant: customerTenant,
			wantQuery: url.Values{"$select": {"id,displayName,assignedLicenses"}},
			call:      func(ctx context.Context, c *graph.Client) (any, error) { return c.Group(ctx, customerTenant, groupID) },
			check: func(t *testing.T, got any) {
				g := got.(graph.Group)
				require.Equal(t, e3, g.AssignedLicenses[0].SkuID)
				require.Equal(t, []string{}, g.AssignedLicenses[0].DisabledPlans)
			},
		},
		{
			name: "gdap relationship uses the partner token", path: "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/" + relID, file: "gdap_relationship.json",
			wantTenant: partnerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) {
				return c.DelegatedAdminRelationship(ctx, relID)
			},
			check: func(t *testing.T, got any) {
				r := got.(graph.DelegatedAdminRelationship)
				require.Equal(t, graph.RelationshipCreated, r.Status)
				require.Equal(t, customerTenant, r.Customer.TenantID)
				require.Len(t, r.AccessDetails.UnifiedRoles, 2)
				require.Nil(t, r.ActivatedDateTime)
				require.Equal(t, "P730D", r.Duration)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			f.on("GET", tt.path, reply{status: 200, body: file(t, tt.file)})
			got, err := tt.call(msrest.WithCorrelationID(context.Background(), "corr-7"), c)
			require.NoError(t, err)
			tt.check(t, got)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			require.Equal(t, "GET", r.Method)
			require.Equal(t, "Bearer tok-"+tt.wantTenant, r.Header.Get("Authorization"))
			require.Equal(t, "corr-7", r.Header.Get("MS-CorrelationId"))
			require.NotEmpty(t, r.Header.Get("client-request-id"))
			require.Equal(t, "application/json", r.Header.Get("Accept"))
			if tt.wantQuery != nil {
				require.Equal(t, tt.wantQuery, r.Query)
			} else {
				require.Empty(t, r.RawQuery)
			}
		})
	}
}

func TestUsersWithSkuFollowsNextLink(t *testing.T) {
	c, f := setup(t)
	f.on("GET", "/graph/v1.0/users", reply{status: 200, body: file(t, "users_page1.json")})
	f.on("GET", "/graph/v1.0/users page2", reply{status: 200, body: file(t, "users_page2.json")})

	users, err := c.UsersWithSku(context.Background(), customerTenant, strings.ToUpper(e3))
	require.NoError(t, err)
	require.Len(t, users, 3)

	direct, groups := users[0].LicenseSources(e3)
	require.True(t, direct)
	require.Empty(t, groups)
	require.Equal(t, []string{"5dbe027f-2339-4123-9542-606e4d348a72"}, users[0].AssignedLicenses[0].DisabledPlans)
	direct, groups = users[1].LicenseSources(e3)
	require.True(t, direct)
	require.Equal(t, []string{groupID}, groups)
	direct, groups = users[2].LicenseSources(e3)
	require.False(t, direct)
	require.Equal(t, []string{groupID}, groups)

	reqs := f.requests()
	require.Len(t, reqs, 2)
	first := reqs[0]
	require.Equal(t, "assignedLicenses/any(x:x/skuId eq "+e3+")", first.Query.Get("$filter"))
	require.Equal(t, "id,userPrincipalName,assignedLicenses,licenseAssignmentStates", first.Query.Get("$select"))
	require.Equal(t, "true", first.Query.Get("$count"))
	require.Contains(t, first.RawQuery, "$filter=assignedLicenses%2Fany%28x%3Ax%2FskuId%20eq%20")
	require.Equal(t, "eventual", first.Header.Get("ConsistencyLevel"))
	require.Equal(t, "RFNwdAIAAQAAAD8", reqs[1].Query.Get("$skiptoken"))
	require.Equal(t, "eventual", reqs[1].Header.Get("ConsistencyLevel"))
	require.Equal(t, "Bearer tok-"+customerTenant, reqs[1].Header.Get("Authorization"))
	require.Equal(t, first.Header.Get("MS-CorrelationId"), reqs[1].Header.Get("MS-CorrelationId"))
}

func TestNextLinkOutsideBaseIsRefused(t *testing.T) {
	c, f := setup(t)
	f.on("GET", "/graph/v1.0/subscribedSkus", reply{status: 200, body: `{"value":[],"@odata.nextLink":"https://attacker.example/graph/v1.0/subscribedSkus?$skiptoken=x"}`})
	_, err := c.SubscribedSkus(context.Background(), customerTenant)
	require.ErrorContains(t, err, "outside")
	require.Len(t, f.requests(), 1)
}

func TestAssignLicense(t *testing.T) {
	userPath := "/graph/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd/assignLicense"
	groupPath := "/graph/v1.0/groups/" + groupID + "/assignLicense"
	swap := graph.LicenseChange{AddLicenses: []graph.AssignedLicense{{SkuID: m365e3}}, RemoveLicenses: []string{e3}}
	tests := []struct {
		name     string
		group    bool
		change   graph.LicenseChange
		reply    reply
		wantBody string
		wantErr  string
		wantCode string
	}{
		{
			name: "user swap", change: swap, reply: reply{status: 200, body: file(t, "user.json")},
			wantBody: `{"addLicenses":[{"skuId":"` + m365e3 + `","disabledPlans":[]}],"removeLicenses":["` + e3 + `"]}`,
		},
		{
			name:     "user add with disabled plans",
			change:   graph.LicenseChange{AddLicenses: []graph.AssignedLicense{{SkuID: m365e3, DisabledPlans: []string{"5dbe027f-2339-4123-9542-606e4d348a72"}}}},
			reply:    reply{status: 200, body: file(t, "user.json")},
			wantBody: `{"addLicenses":[{"skuId":"` + m365e3 + `","disabledPlans":["5dbe027f-2339-4123-9542-606e4d348a72"]}],"removeLicenses":[]}`,
		},
		{
			name: "group swap", group: true, change: swap, reply: reply{status: 200, body: file(t, "group.json")},
			wantBody: `{"addLicenses":[{"skuId":"` + m365e3 + `","disabledPlans":[]}],"removeLicenses":["` + e3 + `"]}`,
		},
		{
			name: "inherited license cannot be removed from the user", change: swap,
			reply:    reply{status: 400, body: `{"error":{"code":"Request_BadRequest","message":"User license is inherited from a group membership and it cannot be removed directly from the user.","innerError":{"request-id":"rid-1","date":"2026-11-21T10:00:00"}}}`},
			wantCode: "Request_BadRequest",
		},
		{name: "empty change", change: graph.LicenseChange{}, wantErr: "adds and removes nothing"},
		{name: "bad sku", change: graph.LicenseChange{AddLicenses: []graph.AssignedLicense{{SkuID: "E3"}}}, wantErr: `"E3" is not a GUID`},
		{name: "bad removal", change: graph.LicenseChange{RemoveLicenses: []string{"x') or true"}}, wantErr: "is not a GUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			path := userPath
			if tt.group {
				path = groupPath
			}
			f.on("POST", path, tt.reply)
			var err error
			if tt.group {
				var g graph.Group
				g, err = c.AssignGroupLicense(context.Background(), customerTenant, groupID, tt.change, "req-lic-1")
				if err == nil {
					require.Equal(t, groupID, g.ID)
				}
			} else {
				var u graph.User
				u, err = c.AssignUserLicense(context.Background(), customerTenant, "87d349ed-44d7-43e1-9a83-5f2406dee5bd", tt.change, "req-lic-1")
				if err == nil {
					require.Equal(t, "87d349ed-44d7-43e1-9a83-5f2406dee5bd", u.ID)
				}
			}
			switch {
			case tt.wantErr != "":
				require.ErrorContains(t, err, tt.wantErr)
				require.Empty(t, f.requests())
				return
			case tt.wantCode != "":
				require.Equal(t, tt.wantCode, msrest.Code(err))
				require.False(t, msrest.IsRetryable(err))
				e, _ := msrest.AsError(err)
				require.Equal(t, "rid-1", e.RequestID)
				return
			}
			require.NoError(t, err)
			r := f.requests()[0]
			require.Equal(t, "POST", r.Method)
			require.JSONEq(t, tt.wantBody, string(r.Body))
			require.Equal(t, "req-lic-1", r.Header.Get("MS-RequestId"))
			require.Equal(t, "req-lic-1", r.Header.Get("client-request-id"))
			require.Equal(t, "Bearer tok-"+customerTenant, r.Header.Get("Authorization"))
		})
	}
}

func TestCreateDelegatedAdminRelationship(t *testing.T) {
	c, f := setup(t)
	f.on("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", reply{status: 201, body: file(t, "gdap_relationship.json")})
	rel, err := c.CreateDelegatedAdminRelationship(context.Background(), graph.DelegatedAdminRelationship{
		DisplayName:        "csptransfer-ab3c8f45",
		Duration:           "P730D",
		Customer:           graph.RelationshipCustomer{TenantID: customerTenant, DisplayName: "Contoso"},
		AccessDetails:      graph.AccessDetails{UnifiedRoles: []graph.UnifiedRole{{RoleDefinitionID: "f2ef992c-3afb-46b9-b7cf-a126ee74c451"}, {RoleDefinitionID: "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}}},
		AutoExtendDuration: "P180D",
		Status:             "ignored",
	}, "req-gdap-1")
	require.NoError(t, err)
	require.Equal(t, relID, rel.ID)
	require.Equal(t, graph.RelationshipCreated, rel.Status)

	r := f.requests()[0]
	require.Equal(t, "Bearer tok-"+partnerTenant, r.Header.Get("Authorization"))
	require.Equal(t, "req-gdap-1", r.Header.Get("MS-RequestId"))
	require.JSONEq(t, `{"displayName":"csptransfer-ab3c8f45","duration":"P730D",
	  "customer":{"tenantId":"`+customerTenant+`","displayName":"Contoso"},
	  "accessDetails":{"unifiedRoles":[{"roleDefinitionId":"f2ef992c-3afb-46b9-b7cf-a126ee74c451"},{"roleDefinitionId":"4d6ac14f-3453-41d0-bef9-a3e0c569773a"}]},
	  "autoExtendDuration":"P180D"}`, string(r.Body))
}

func TestLockForApproval(t *testing.T) {
	c, f := setup(t)
	f.on("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+relID+"/requests", reply{status: 201, body: file(t, "gdap_request.json")})
	req, err := c.LockForApproval(context.Background(), relID, "req-lock-1")
	require.NoError(t, err)
	require.Equal(t, "lockForApproval", req.Action)
	r := f.requests()[0]
	require.JSONEq(t, `{"action":"lockForApproval"}`, string(r.Body))
	require.Equal(t, "req-lock-1", r.Header.Get("MS-RequestId"))
	require.Equal(t, "Bearer tok-"+partnerTenant, r.Header.Get("Authorization"))
}

func TestGDAPValidation(t *testing.T) {
	c, f := setup(t, func(cfg *graph.Config) { cfg.PartnerTenantID = "" })
	_, err := c.DelegatedAdminRelationship(context.Background(), relID)
	require.ErrorContains(t, err, "partner tenant id is not configured")

	c, _ = setup(t)
	_, err = c.CreateDelegatedAdminRelationship(context.Background(), graph.DelegatedAdminRelationship{DisplayName: "x", Duration: "P1D"}, "r")
	require.ErrorContains(t, err, "at least one role")
	_, err = c.LockForApproval(context.Background(), "", "r")
	require.ErrorContains(t, err, "relationship id is required")
	require.Empty(t, f.requests())
}

func TestErrorsAndRetries(t *testing.T) {
	tests := []struct {
		name      string
		replies   []reply
		wantCalls int
		wantCode  string
		notFound  bool
		retryable bool
	}{
		{name: "not found", wantCalls: 1, wantCode: "Request_ResourceNotFound", notFound: true},
		{
			name: "throttled then ok", wantCalls: 2,
			replies: []reply{
				{status: 429, header: map[string]string{"Retry-After": "1"}, body: `{"error":{"code":"TooManyRequests","message":"Too many requests"}}`},
				{status: 200, body: `{"id":"g1","displayName":"x","assignedLicenses":[]}`},
			},
		},
		{
			name: "server errors exhaust attempts", wantCalls: 4, wantCode: "UnknownError", retryable: true,
			replies: []reply{{status: 503, body: `{"error":{"code":"UnknownError","message":"Service unavailable"}}`}},
		},
		{
			name: "malformed json", wantCalls: 1, replies: []reply{{status: 200, body: `{"id":`}},
		},
		{
			name: "missing id", wantCalls: 1, replies: []reply{{status: 200, body: `{"displayName":"x"}`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			if tt.replies != nil {
				f.on("GET", "/graph/v1.0/groups/g1", tt.replies...)
			}
			_, err := c.Group(context.Background(), customerTenant, "g1")
			require.Len(t, f.requests(), tt.wantCalls)
			switch tt.name {
			case "throttled then ok":
				require.NoError(t, err)
				return
			case "malformed json":
				require.ErrorContains(t, err, "decode group:")
				return
			case "missing id":
				require.ErrorContains(t, err, "decode group: missing id")
				return
			}
			require.Equal(t, tt.wantCode, msrest.Code(err))
			require.Equal(t, tt.notFound, msrest.IsNotFound(err))
			require.Equal(t, tt.retryable, msrest.IsRetryable(err))
		})
	}
}

func TestInputValidation(t *testing.T) {
	c, f := setup(t)
	ctx := context.Background()
	_, err := c.UsersWithSku(ctx, customerTenant, "ENTERPRISEPACK")
	require.ErrorContains(t, err, "is not a GUID")
	_, err = c.DirectorySubscriptions(ctx, "")
	require.ErrorContains(t, err, "tenant id is required")
	_, err = c.User(ctx, customerTenant, "")
	require.ErrorContains(t, err, "user id is required")
	require.Empty(t, f.requests())

	nilTokens, _ := setup(t, func(cfg *graph.Config) { cfg.Tokens = func(string) oauth2.TokenSource { return nil } })
	_, err = nilTokens.SubscribedSkus(ctx, customerTenant)
	require.ErrorContains(t, err, "no token source")

	_, err = graph.New(graph.Config{})
	require.ErrorContains(t, err, "token factory is required")
	_, err = graph.New(graph.Config{Tokens: tokensFor, BaseURL: "graph.microsoft.com"})
	require.ErrorContains(t, err, "base url")
}

func TestApprovalURL(t *testing.T) {
	tokens := func(string) oauth2.TokenSource { return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}) }
	ms, err := graph.New(graph.Config{Tokens: tokens})
	require.NoError(t, err)
	require.Equal(t, "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/"+relID, ms.ApprovalURL(relID))
	sb, err := graph.New(graph.Config{Tokens: tokens, ApprovalURLBase: "http://127.0.0.1:8089/sandbox/admin-center/granularAdminRelationships/"})
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:8089/sandbox/admin-center/granularAdminRelationships/"+relID, sb.ApprovalURL(relID))
}

func TestLicenseChangeJSONNames(t *testing.T) {
	b, err := json.Marshal(graph.LicenseChange{AddLicenses: []graph.AddLicense{{SkuID: e3}}})
	require.NoError(t, err)
	require.Contains(t, string(b), `"addLicenses"`)
	require.Contains(t, string(b), `"removeLicenses"`)
}
