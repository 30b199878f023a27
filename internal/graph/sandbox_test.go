package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// TestAgainstSandbox runs the client unchanged against the sandbox emulator.
func TestAgainstSandbox(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Options{PublicURL: srv.URL, HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	srv.Config.Handler = sb.Handler()

	ids, err := identity.New(identity.Config{
		Authority: srv.URL + "/login", ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	require.NoError(t, err)
	g, err := graph.New(graph.Config{
		BaseURL: srv.URL + "/graph/v1.0", Tokens: ids.GraphTokens, PartnerTenantID: sandbox.PartnerEU,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	require.NoError(t, err)
	ctx := context.Background()
	customer := sandbox.CustomerDiscontinued

	subs, err := g.DirectorySubscriptions(ctx, customer)
	require.NoError(t, err)
	require.NotEmpty(t, subs)
	pools, err := g.SubscribedSkus(ctx, customer)
	require.NoError(t, err)
	require.NotEmpty(t, pools)

	// Office 365 E4 (ENTERPRISEWITHSCAL) is held directly and through a group.
	var e4, e1 string
	for _, s := range subs {
		switch s.SkuPartNumber {
		case "ENTERPRISEWITHSCAL":
			e4 = s.SkuID
		case "STANDARDPACK":
			e1 = s.SkuID
		}
	}
	require.NotEmpty(t, e4)
	require.NotEmpty(t, e1)
	users, err := g.UsersWithSku(ctx, customer, e4)
	require.NoError(t, err)
	require.NotEmpty(t, users)
	var directUser string
	var viaGroup []string
	for _, u := range users {
		direct, groups := u.LicenseSources(e4)
		if direct && directUser == "" {
			directUser = u.ID
		}
		viaGroup = append(viaGroup, groups...)
	}
	require.NotEmpty(t, directUser)
	require.NotEmpty(t, viaGroup)

	// A license the tenant has no seats of is refused, like Graph does.
	_, err = g.AssignUserLicense(ctx, customer, directUser, graph.LicenseChange{
		AddLicenses: []graph.AssignedLicense{{SkuID: "6fd2c87f-b296-42f0-b197-1e91e994b900"}}, RemoveLicenses: []string{e4},
	}, "7d3f3c0e-0000-4000-8000-0000000000b0")
	require.Equal(t, "Request_BadRequest", msrest.Code(err), "%v", err)

	// Office 365 E1 has free seats: swap one user to it in one call.
	u, err := g.AssignUserLicense(ctx, customer, directUser, graph.LicenseChange{
		AddLicenses: []graph.AssignedLicense{{SkuID: e1}}, RemoveLicenses: []string{e4},
	}, "7d3f3c0e-0000-4000-8000-0000000000b1")
	require.NoError(t, err)
	direct, _ := u.LicenseSources(e1)
	require.True(t, direct)
	direct, _ = u.LicenseSources(e4)
	require.False(t, direct)
	_, err = g.User(ctx, customer, directUser)
	require.NoError(t, err)

	grp, err := g.Group(ctx, customer, viaGroup[0])
	require.NoError(t, err)
	require.NotEmpty(t, grp.AssignedLicenses)

	rel, err := g.CreateDelegatedAdminRelationship(ctx, graph.DelegatedAdminRelationship{
		DisplayName:   "csptransfer-test-" + customer[:8],
		Duration:      "P730D",
		Customer:      graph.RelationshipCustomer{TenantID: customer},
		AccessDetails: graph.AccessDetails{UnifiedRoles: []graph.UnifiedRole{{RoleDefinitionID: "4d6ac14f-3453-41d0-bef9-a3e0c569773a"}}},
	}, "7d3f3c0e-0000-4000-8000-0000000000b2")
	require.NoError(t, err)
	_, err = g.LockForApproval(ctx, rel.ID, "7d3f3c0e-0000-4000-8000-0000000000b3")
	require.NoError(t, err)
	got, err := g.DelegatedAdminRelationship(ctx, rel.ID)
	require.NoError(t, err)
	require.Equal(t, graph.RelationshipApprovalPending, got.Status)
}
