package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/mscorpus"
	"github.com/csptransfer/csptransfer/internal/msrest"
)

// The tests in this file serve Microsoft Graph's published v1.0 example
// bodies (internal/mscorpus) at the paths the client calls and run the real
// client methods on them.

func graphExample(t *testing.T, name string) mscorpus.Example {
	t.Helper()
	return mscorpus.Get(mscorpus.Graph, name)
}

func replyWith(ex mscorpus.Example, fallback int) reply {
	status := ex.Status
	if status == 0 {
		status = fallback
	}
	return reply{status: status, body: string(ex.Body), header: ex.Headers}
}

func utc(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v.UTC()
}

func requireTime(t *testing.T, want string, got *time.Time) {
	t.Helper()
	require.NotNil(t, got)
	require.True(t, utc(want).Equal(*got), "want %s, got %s", want, got)
}

func TestCorpusResponses(t *testing.T) {
	const (
		userID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
		grp    = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
		rel    = "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836"
	)
	tests := []struct {
		example    string
		path       string
		wantTenant string
		call       func(ctx context.Context, c *graph.Client) (any, error)
		check      func(t *testing.T, got any, r recorded)
	}{
		{
			example: "list-subscribed-skus.response", path: "/graph/v1.0/subscribedSkus", wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) { return c.SubscribedSkus(ctx, customerTenant) },
			check: func(t *testing.T, got any, _ recorded) {
				skus := got.([]graph.SubscribedSku)
				require.Len(t, skus, 2)
				s := skus[0]
				require.Equal(t, "c7df2760-2c81-4ef7-b578-5b5392b571df", s.SkuID)
				require.Equal(t, "ENTERPRISEPREMIUM", s.SkuPartNumber)
				require.Equal(t, "f97aeefc-af85-414d-8ae4-b457f90efc40", s.AccountID)
				require.Equal(t, "User", s.AppliesTo)
				require.Equal(t, "Enabled", s.CapabilityStatus)
				require.Equal(t, 14, s.ConsumedUnits)
				require.Equal(t, graph.LicenseUnitsDetail{Enabled: 25}, s.PrepaidUnits)
				require.Equal(t, []string{"43d26afe-cb98-48b9-acc4-ae3ef2ac6c51"}, s.SubscriptionIDs)
				require.Equal(t, graph.ServicePlanInfo{ServicePlanID: "8c098270-9dd4-4350-9b30-ba4703f3b36b", ServicePlanName: "ADALLOM_S_O365", ProvisioningStatus: "Success", AppliesTo: "Company"}, s.ServicePlans[0])
				require.Equal(t, "Suspended", skus[1].CapabilityStatus)
				require.Equal(t, graph.LicenseUnitsDetail{Suspended: 25}, skus[1].PrepaidUnits)
			},
		},
		{
			example: "list-directory-subscriptions.response", path: "/graph/v1.0/directory/subscriptions", wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) {
				return c.DirectorySubscriptions(ctx, customerTenant)
			},
			check: func(t *testing.T, got any, _ recorded) {
				subs := got.([]graph.CompanySubscription)
				require.Len(t, subs, 1)
				s := subs[0]
				require.Equal(t, "860697e3-b0aa-4196-a6c6-7ec361ed58f7", s.ID)
				require.Equal(t, "f9c1ea2d-2c6e-4717-8c3b-7130812d70ba", s.CommerceSubscriptionID)
				require.True(t, utc("2023-01-01T00:00:00Z").Equal(s.CreatedDateTime))
				requireTime(t, "2023-02-01T00:00:00Z", s.NextLifecycleDateTime)
				require.False(t, s.IsTrial)
				require.Equal(t, "0816ccb9-3785-4d19-bf78-6c53e2106509", s.SkuID)
				require.Equal(t, "MyPartNumber", s.SkuPartNumber)
				require.Equal(t, graph.SubscriptionEnabled, s.Status)
				require.Equal(t, 25, s.TotalLicenses)
				require.Equal(t, "fe04f19f-d924-42b7-9dee-edf4e3fab7f6", s.OwnerID)
				require.Equal(t, "331af819-4e0b-49f7-a6bf-14e1165ad3a0", s.OwnerTenantID)
				require.Equal(t, "User", s.OwnerType)
				require.Equal(t, "MyPlanName", s.ServiceStatus[0].ServicePlanName)
			},
		},
		{
			example: "list-users-with-license.response", path: "/graph/v1.0/users", wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) {
				return c.UsersWithSku(ctx, customerTenant, "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46")
			},
			check: func(t *testing.T, got any, r recorded) {
				us := got.([]graph.User)
				require.Len(t, us, 2)
				require.Equal(t, "cb4954e8-467f-4a6d-a8c8-28b9034fadbc", us[0].ID)
				require.Equal(t, "81a133c2-bdf2-4e67-8755-7264366b04ee", us[1].ID)
				require.Equal(t, []graph.AssignedLicense{{SkuID: "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", DisabledPlans: []string{}}}, us[0].AssignedLicenses)
				// Microsoft's example filters the same way (its lambda variable is u).
				require.Equal(t, "assignedLicenses/any(x:x/skuId eq cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46)", r.Query.Get("$filter"))
				require.Equal(t, "eventual", r.Header.Get("ConsistencyLevel"))
			},
		},
		{
			example: "get-user.response", path: "/graph/v1.0/users/" + userID, wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) { return c.User(ctx, customerTenant, userID) },
			check: func(t *testing.T, got any, _ recorded) {
				u := got.(graph.User)
				require.Equal(t, userID, u.ID)
				require.Equal(t, "AdeleV@contoso.com", u.UserPrincipalName)
				direct, groups := u.LicenseSources("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46")
				require.False(t, direct)
				require.Empty(t, groups)
			},
		},
		{
			example: "get-group.response", path: "/graph/v1.0/groups/" + grp, wantTenant: customerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) { return c.Group(ctx, customerTenant, grp) },
			check: func(t *testing.T, got any, _ recorded) {
				g := got.(graph.Group)
				require.Equal(t, grp, g.ID)
				require.Equal(t, "HR Taskforce", g.DisplayName)
				require.Empty(t, g.AssignedLicenses)
			},
		},
		{
			example: "get-delegated-admin-relationship.response", path: "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/" + rel, wantTenant: partnerTenant,
			call: func(ctx context.Context, c *graph.Client) (any, error) { return c.DelegatedAdminRelationship(ctx, rel) },
			check: func(t *testing.T, got any, _ recorded) {
				r := got.(graph.DelegatedAdminRelationship)
				require.Equal(t, rel, r.ID)
				require.Equal(t, graph.RelationshipActive, r.Status)
				require.Equal(t, "P730D", r.Duration)
				require.Equal(t, "PT0S", r.AutoExtendDuration)
				require.Equal(t, graph.RelationshipCustomer{TenantID: "4fdbff88-9d6b-42e0-9713-45c922ba8001", DisplayName: "Contoso Inc"}, r.Customer)
				require.Len(t, r.AccessDetails.UnifiedRoles, 3)
				require.Equal(t, "729827e3-9c14-49f7-bb1b-9608f156bbb8", r.AccessDetails.UnifiedRoles[0].RoleDefinitionID)
				requireTime(t, "2022-02-10T11:24:42.3148266Z", r.CreatedDateTime)
				requireTime(t, "2022-02-10T11:26:44.9941884Z", r.LastModifiedDateTime)
				requireTime(t, "2022-02-10T11:26:44.9941884Z", r.ActivatedDateTime)
				requireTime(t, "2024-02-10T11:24:42.3148266Z", r.EndDateTime)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			ex := graphExample(t, tt.example)
			c, f := setup(t)
			f.on(ex.Method, tt.path, replyWith(ex, http.StatusOK))
			got, err := tt.call(context.Background(), c)
			require.NoError(t, err)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			require.Equal(t, "Bearer tok-"+tt.wantTenant, reqs[0].Header.Get("Authorization"))
			tt.check(t, got, reqs[0])
		})
	}
}

// TestCorpusDelegatedAdminRelationshipList decodes Microsoft's list example
// (which the client does not call) to check the type reads every status and
// null dates.
func TestCorpusDelegatedAdminRelationshipList(t *testing.T) {
	var page struct {
		Value []graph.DelegatedAdminRelationship `json:"value"`
	}
	require.NoError(t, json.Unmarshal(graphExample(t, "list-delegated-admin-relationships.response").Body, &page))
	require.Len(t, page.Value, 3)
	require.Equal(t, graph.RelationshipActive, page.Value[0].Status)
	require.Equal(t, graph.RelationshipTerminated, page.Value[1].Status)
	requireTime(t, "2021-10-29T16:57:20.2101088Z", page.Value[1].EndDateTime)
	pending := page.Value[2]
	require.Equal(t, graph.RelationshipApprovalPending, pending.Status)
	require.Nil(t, pending.ActivatedDateTime, `"activatedDateTime": null`)
	require.Nil(t, pending.EndDateTime, `"endDateTime": null`)
	require.Len(t, pending.AccessDetails.UnifiedRoles, 9)

	// The group members example (the client has no members call) is a
	// collection of directory objects with ids.
	var members struct {
		Value []graph.User `json:"value"`
	}
	require.NoError(t, json.Unmarshal(graphExample(t, "list-group-members.response").Body, &members))
	require.Equal(t, "id-value", members.Value[0].ID)
}

func TestCorpusCreateDelegatedAdminRelationship(t *testing.T) {
	doc := graphExample(t, "create-delegated-admin-relationship.request")
	var rel graph.DelegatedAdminRelationship
	require.NoError(t, json.Unmarshal(doc.Body, &rel))

	c, f := setup(t)
	f.on("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships", replyWith(graphExample(t, "create-delegated-admin-relationship.response"), http.StatusCreated))
	got, err := c.CreateDelegatedAdminRelationship(context.Background(), rel, "req-gdap-corpus")
	require.NoError(t, err)
	require.Equal(t, "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836", got.ID)
	require.Equal(t, graph.RelationshipCreated, got.Status)
	require.Equal(t, "Contoso admin relationship", got.DisplayName)
	require.Equal(t, "4b827261-d21f-4aa9-b7db-7fa1f56fb163", got.Customer.TenantID)
	require.Len(t, got.AccessDetails.UnifiedRoles, 2)
	require.Equal(t, "P180D", got.AutoExtendDuration)
	// Graph answers "activatedDateTime": "" until the customer approves.
	require.Nil(t, got.ActivatedDateTime)
	requireTime(t, "2022-02-10T11:24:42.3148266Z", got.CreatedDateTime)
	requireTime(t, "2024-02-10T11:24:42.3148266Z", got.EndDateTime)

	sent := f.requests()[0].Body
	require.JSONEq(t, string(doc.Body), string(sent), "the client sends exactly Microsoft's request body")
	diffs, err := mscorpus.CompareShape(doc.Body, sent, mscorpus.ShapeOptions{})
	require.NoError(t, err)
	require.Empty(t, diffs)
}

func TestCorpusLockForApproval(t *testing.T) {
	const rel = "5d027261-d21f-4aa9-b7db-7fa1f56fb163-8777b240-c6f0-4469-9e98-a3205431b836"
	doc := graphExample(t, "create-delegated-admin-relationship-request.request")
	c, f := setup(t)
	f.on("POST", "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/"+rel+"/requests", replyWith(graphExample(t, "create-delegated-admin-relationship-request.response"), http.StatusCreated))
	got, err := c.LockForApproval(context.Background(), rel, "req-lock-corpus")
	require.NoError(t, err)
	require.Equal(t, "5a6666c9-7282-0a41-67aa-25a5a3fbf339", got.ID)
	require.Equal(t, "lockForApproval", got.Action)
	require.Equal(t, "created", got.Status)
	requireTime(t, "2022-02-10T10:55:47.1180588Z", got.CreatedDateTime)
	requireTime(t, "2022-02-10T10:55:47.1180588Z", got.LastModifiedDateTime)
	require.JSONEq(t, string(doc.Body), string(f.requests()[0].Body))
}

func TestCorpusAssignLicense(t *testing.T) {
	const userID = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
	t.Run("user", func(t *testing.T) {
		doc := graphExample(t, "user-assign-license.request")
		var change graph.LicenseChange
		require.NoError(t, json.Unmarshal(doc.Body, &change))
		c, f := setup(t)
		f.on("POST", "/graph/v1.0/users/"+userID+"/assignLicense", replyWith(graphExample(t, "user-assign-license.response"), http.StatusOK))
		u, err := c.AssignUserLicense(context.Background(), customerTenant, userID, change, "req-lic-corpus")
		require.NoError(t, err, "Microsoft's (truncated) answer has no id; the change was applied")
		require.Equal(t, userID, u.ID, "the id of the user addressed")
		require.Equal(t, []graph.AssignedLicense{{SkuID: "0118A350-71FC-4EC3-8F0C-6A1CB8867561", DisabledPlans: []string{"11b0131d-43c8-4bbb-b2c8-e80f9a50834a"}}}, u.AssignedLicenses)
		sent := f.requests()[0].Body
		require.JSONEq(t, string(doc.Body), string(sent))
	})
	for _, name := range []string{"group-assign-license-add.request", "group-assign-license-remove.request"} {
		t.Run(name, func(t *testing.T) {
			const grp = "1132b215-826f-42a9-8cfe-1643d19d17fd"
			doc := graphExample(t, name)
			var change graph.LicenseChange
			require.NoError(t, json.Unmarshal(doc.Body, &change))
			c, f := setup(t)
			// Microsoft's group: assignLicense answers are not valid JSON
			// (trailing commas); the page says the answer is 202 Accepted with
			// the group, so answer with the documented group object.
			group := graphExample(t, "get-group.response")
			f.on("POST", "/graph/v1.0/groups/"+grp+"/assignLicense", reply{status: http.StatusAccepted, body: string(group.Body)})
			g, err := c.AssignGroupLicense(context.Background(), customerTenant, grp, change, "req-grp-corpus")
			require.NoError(t, err, "202 Accepted is success")
			require.Equal(t, "02bd9fd6-8f93-4758-87c3-1fb73740a315", g.ID)
			sent := f.requests()[0].Body
			require.JSONEq(t, string(doc.Body), string(sent), "same keys and the explicit empty lists Graph requires")
		})
	}
}

func TestCorpusErrors(t *testing.T) {
	t.Run("error.error", func(t *testing.T) {
		ex := graphExample(t, "error.error")
		c, f := setup(t)
		// The page shows the body without a status.
		f.on("GET", "/graph/v1.0/subscribedSkus", replyWith(ex, http.StatusBadRequest))
		_, err := c.SubscribedSkus(context.Background(), customerTenant)
		e, ok := msrest.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, "invalidRange", msrest.Code(err))
		require.Equal(t, "Uploaded fragment overlaps with existing data.", e.Description)
		require.Equal(t, "request-id", e.RequestID, "innerError.request-id")
		require.False(t, e.Retryable)
	})
	t.Run("throttled.error", func(t *testing.T) {
		ex := graphExample(t, "throttled.error")
		require.Equal(t, "2.128", ex.Headers["Retry-After"])
		var mu sync.Mutex
		var sleeps []time.Duration
		c, f := setup(t, func(cfg *graph.Config) {
			cfg.MaxAttempts = 2
			cfg.Sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				sleeps = append(sleeps, d)
				return ctx.Err()
			}
		})
		f.on("GET", "/graph/v1.0/subscribedSkus", replyWith(ex, http.StatusTooManyRequests))
		_, err := c.SubscribedSkus(context.Background(), customerTenant)
		e, ok := msrest.AsError(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, "TooManyRequests", e.Code)
		require.Equal(t, http.StatusTooManyRequests, e.StatusCode)
		require.Equal(t, "94fb3b52-452a-4535-a601-69e0a90e3aa2", e.RequestID)
		require.True(t, e.Retryable)
		require.Equal(t, 2128*time.Millisecond, e.RetryAfter, "fractional Retry-After")
		require.Equal(t, []time.Duration{2128 * time.Millisecond}, sleeps)
		require.Len(t, f.requests(), 2)
	})
}

// TestCorpusCoverage fails when a valid Graph example is added to the corpus
// without a test here that feeds it to the client.
func TestCorpusCoverage(t *testing.T) {
	src, err := os.ReadFile("corpus_test.go")
	require.NoError(t, err)
	var missing []string
	for _, ex := range mscorpus.ByService(mscorpus.Graph) {
		if !strings.Contains(string(src), strconv.Quote(ex.Name)) {
			missing = append(missing, ex.Name)
		}
	}
	require.Empty(t, missing, "examples no test feeds to the client")
}

// TestEmptyDatesDecode: Graph sends "" (activatedDateTime before
// activation) and null for unset dates; every date field of the client
// reads both as absent.
func TestEmptyDatesDecode(t *testing.T) {
	for _, v := range []string{`""`, `null`, `" "`} {
		var r graph.DelegatedAdminRelationship
		require.NoError(t, json.Unmarshal([]byte(`{"id":"x","status":"created","createdDateTime":`+v+`,"lastModifiedDateTime":`+v+`,"activatedDateTime":`+v+`,"endDateTime":`+v+`}`), &r), v)
		require.Nil(t, r.CreatedDateTime)
		require.Nil(t, r.LastModifiedDateTime)
		require.Nil(t, r.ActivatedDateTime)
		require.Nil(t, r.EndDateTime)
		require.Equal(t, "created", r.Status)

		var q graph.DelegatedAdminRelationshipRequest
		require.NoError(t, json.Unmarshal([]byte(`{"id":"q","createdDateTime":`+v+`,"lastModifiedDateTime":`+v+`}`), &q), v)
		require.Nil(t, q.CreatedDateTime)
		require.Nil(t, q.LastModifiedDateTime)
		require.Equal(t, "q", q.ID)

		var s graph.CompanySubscription
		require.NoError(t, json.Unmarshal([]byte(`{"id":"s","skuId":"k","createdDateTime":`+v+`,"nextLifecycleDateTime":`+v+`,"totalLicenses":3}`), &s), v)
		require.True(t, s.CreatedDateTime.IsZero())
		require.Nil(t, s.NextLifecycleDateTime)
		require.Equal(t, 3, s.TotalLicenses)
	}
	var r graph.DelegatedAdminRelationship
	require.Error(t, json.Unmarshal([]byte(`{"activatedDateTime":"soon"}`), &r))
	require.Error(t, json.Unmarshal([]byte(`{"activatedDateTime":12}`), &r))
	// Dates without a zone are UTC.
	require.NoError(t, json.Unmarshal([]byte(`{"activatedDateTime":"2022-02-10T11:26:44.9941884"}`), &r))
	requireTime(t, "2022-02-10T11:26:44.9941884Z", r.ActivatedDateTime)
}
