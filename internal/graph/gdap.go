package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// Delegated admin relationship statuses.
const (
	RelationshipCreated              = "created"
	RelationshipApprovalPending      = "approvalPending"
	RelationshipApproved             = "approved"
	RelationshipActivating           = "activating"
	RelationshipActive               = "active"
	RelationshipExpiring             = "expiring"
	RelationshipExpired              = "expired"
	RelationshipTerminationRequested = "terminationRequested"
	RelationshipTerminating          = "terminating"
	RelationshipTerminated           = "terminated"
)

// RelationshipCustomer identifies the customer of a GDAP relationship.
type RelationshipCustomer struct {
	TenantID    string `json:"tenantId"`
	DisplayName string `json:"displayName,omitempty"`
}

// UnifiedRole is an Entra built-in role granted by a GDAP relationship.
type UnifiedRole struct {
	RoleDefinitionID string `json:"roleDefinitionId"`
}

// AccessDetails lists the roles of a GDAP relationship.
type AccessDetails struct {
	UnifiedRoles []UnifiedRole `json:"unifiedRoles"`
}

// DelegatedAdminRelationship is a granular delegated admin (GDAP)
// relationship between the partner and a customer.
type DelegatedAdminRelationship struct {
	ID                   string               `json:"id,omitempty"`
	DisplayName          string               `json:"displayName"`
	Duration             string               `json:"duration"`
	Status               string               `json:"status,omitempty"`
	Customer             RelationshipCustomer `json:"customer"`
	AccessDetails        AccessDetails        `json:"accessDetails"`
	AutoExtendDuration   string               `json:"autoExtendDuration,omitempty"`
	CreatedDateTime      *time.Time           `json:"createdDateTime,omitempty"`
	LastModifiedDateTime *time.Time           `json:"lastModifiedDateTime,omitempty"`
	ActivatedDateTime    *time.Time           `json:"activatedDateTime,omitempty"`
	EndDateTime          *time.Time           `json:"endDateTime,omitempty"`
}

// DefaultApprovalURLBase is Microsoft's admin-center page where a customer
// approves a GDAP relationship; Graph returns no link of its own.
const DefaultApprovalURLBase = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships"

// ApprovalURL is the admin-center page where the customer approves a GDAP
// relationship once it is locked for approval: Microsoft's, or the one the
// client was configured with (the sandbox's simulated admin center).
func (c *Client) ApprovalURL(relationshipID string) string {
	return c.approvalBase + "/" + url.PathEscape(relationshipID)
}

// relationshipCreate is the creation body: only the fields a caller sets.
type relationshipCreate struct {
	DisplayName        string                `json:"displayName"`
	Duration           string                `json:"duration"`
	Customer           *RelationshipCustomer `json:"customer,omitempty"`
	AccessDetails      AccessDetails         `json:"accessDetails"`
	AutoExtendDuration string                `json:"autoExtendDuration,omitempty"`
}

// DelegatedAdminRelationshipRequest is an action on a relationship.
type DelegatedAdminRelationshipRequest struct {
	ID                   string     `json:"id"`
	Action               string     `json:"action"`
	Status               string     `json:"status"`
	CreatedDateTime      *time.Time `json:"createdDateTime,omitempty"`
	LastModifiedDateTime *time.Time `json:"lastModifiedDateTime,omitempty"`
}

func (c *Client) partnerTokens() (oauth2.TokenSource, error) {
	if c.partner == "" {
		return nil, errors.New("graph: partner tenant id is not configured")
	}
	return c.tokenSource(c.partner)
}

// CreateDelegatedAdminRelationship creates a GDAP relationship in status
// "created". DisplayName must be unique among the partner's relationships;
// it doubles as the natural idempotency key when a retry is ambiguous.
func (c *Client) CreateDelegatedAdminRelationship(ctx context.Context, rel DelegatedAdminRelationship, requestID string) (DelegatedAdminRelationship, error) {
	ts, err := c.partnerTokens()
	if err != nil {
		return DelegatedAdminRelationship{}, err
	}
	if rel.DisplayName == "" || rel.Duration == "" || len(rel.AccessDetails.UnifiedRoles) == 0 {
		return DelegatedAdminRelationship{}, errors.New("graph: a delegated admin relationship needs displayName, duration and at least one role")
	}
	body := relationshipCreate{DisplayName: rel.DisplayName, Duration: rel.Duration, AccessDetails: rel.AccessDetails, AutoExtendDuration: rel.AutoExtendDuration}
	if rel.Customer.TenantID != "" {
		body.Customer = &rel.Customer
	}
	var out DelegatedAdminRelationship
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: "/tenantRelationships/delegatedAdminRelationships", Body: body,
		Tokens: ts, RequestID: requestID, Expect: []int{http.StatusCreated, http.StatusOK}, What: "delegated admin relationship",
	}, &out)
	if err != nil {
		return DelegatedAdminRelationship{}, err
	}
	if out.ID == "" {
		return DelegatedAdminRelationship{}, missing("delegated admin relationship", "id")
	}
	return out, nil
}

// LockForApproval moves a created relationship to approvalPending so the
// customer can approve it at ApprovalURL.
func (c *Client) LockForApproval(ctx context.Context, relationshipID, requestID string) (DelegatedAdminRelationshipRequest, error) {
	ts, err := c.partnerTokens()
	if err != nil {
		return DelegatedAdminRelationshipRequest{}, err
	}
	id, err := seg("relationship id", relationshipID)
	if err != nil {
		return DelegatedAdminRelationshipRequest{}, err
	}
	var out DelegatedAdminRelationshipRequest
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: "/tenantRelationships/delegatedAdminRelationships/" + id + "/requests",
		Body: map[string]string{"action": "lockForApproval"}, Tokens: ts, RequestID: requestID,
		Expect: []int{http.StatusCreated, http.StatusOK}, What: "delegated admin relationship request",
	}, &out)
	if err != nil {
		return DelegatedAdminRelationshipRequest{}, err
	}
	if out.ID == "" {
		return DelegatedAdminRelationshipRequest{}, missing("delegated admin relationship request", "id")
	}
	return out, nil
}

// DelegatedAdminRelationship returns a GDAP relationship; Status "active"
// means the customer approved and the access is in force.
func (c *Client) DelegatedAdminRelationship(ctx context.Context, relationshipID string) (DelegatedAdminRelationship, error) {
	ts, err := c.partnerTokens()
	if err != nil {
		return DelegatedAdminRelationship{}, err
	}
	id, err := seg("relationship id", relationshipID)
	if err != nil {
		return DelegatedAdminRelationship{}, err
	}
	var out DelegatedAdminRelationship
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodGet, Path: "/tenantRelationships/delegatedAdminRelationships/" + id,
		Tokens: ts, What: "delegated admin relationship",
	}, &out)
	if err != nil {
		return DelegatedAdminRelationship{}, err
	}
	if out.ID == "" || out.Status == "" {
		return DelegatedAdminRelationship{}, missing("delegated admin relationship", "id or status")
	}
	return out, nil
}
