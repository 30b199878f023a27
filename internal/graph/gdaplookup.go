package graph

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// DelegatedAdminRelationshipNamed finds this partner's GDAP relationship with a display name, which Graph
// keeps unique per partner tenant. Graph does not replay a POST by MS-RequestId, so a create whose answer
// was lost is found again by its name. It reports false when there is none.
//
// The list is filtered by name on the server ($filter, UNCONFIRMED for this collection) and matched again
// here, so a server that ignores the filter still yields the right relationship.
func (c *Client) DelegatedAdminRelationshipNamed(ctx context.Context, displayName string) (DelegatedAdminRelationship, bool, error) {
	ts, err := c.partnerTokens()
	if err != nil {
		return DelegatedAdminRelationship{}, false, err
	}
	filter := "displayName eq '" + strings.ReplaceAll(displayName, "'", "''") + "'"
	rels, err := list[DelegatedAdminRelationship](ctx, c, msrest.Request{
		Method: http.MethodGet, Path: "/tenantRelationships/delegatedAdminRelationships",
		Query: url.Values{"$filter": {filter}}, Tokens: ts, What: "delegated admin relationships",
	})
	if err != nil {
		return DelegatedAdminRelationship{}, false, err
	}
	for _, r := range rels {
		if r.DisplayName == displayName && r.ID != "" {
			return r, true, nil
		}
	}
	return DelegatedAdminRelationship{}, false, nil
}

// ActiveDelegatedAdminRelationships lists this partner's active GDAP relationships, with every customer,
// across all pages: the reconciler reads it once per partner tenant to see which customers approved admin
// access. The list is filtered by status on the server ($filter, UNCONFIRMED for this collection) and
// again here, so a server that ignores the filter still yields only active relationships.
func (c *Client) ActiveDelegatedAdminRelationships(ctx context.Context) ([]DelegatedAdminRelationship, error) {
	ts, err := c.partnerTokens()
	if err != nil {
		return nil, err
	}
	rels, err := list[DelegatedAdminRelationship](ctx, c, msrest.Request{
		Method: http.MethodGet, Path: "/tenantRelationships/delegatedAdminRelationships",
		Query: url.Values{"$filter": {"status eq '" + RelationshipActive + "'"}}, Tokens: ts, What: "delegated admin relationships",
	})
	if err != nil {
		return nil, err
	}
	var active []DelegatedAdminRelationship
	for _, r := range rels {
		if strings.EqualFold(r.Status, RelationshipActive) && r.ID != "" && r.Customer.TenantID != "" {
			active = append(active, r)
		}
	}
	return active, nil
}
