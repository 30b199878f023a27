package activities

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/msrest"
)

// The invitation is three side effects, each its own activity so that a retry repeats only the one that
// failed: the admin-access (GDAP) request, locking it for the customer's approval, and the e-mail to the
// contact (Notify). The reseller link itself is only read (InvitationLink).

// InvitationLinkInput names the partner tenant whose reseller-relationship link is wanted.
type InvitationLinkInput struct {
	PartnerTenantID string `json:"partnerTenantId"`
}

// InvitationLinkResult is the partner's reseller-relationship link, the same for every customer.
type InvitationLinkResult struct {
	URL string `json:"url"`
}

// invitationLinkTTL is how long a partner's link is reused: it is per partner, not per customer, so bulk
// onboarding need not ask Partner Center for it once per transfer.
const invitationLinkTTL = time.Hour

type cachedLink struct {
	url  string
	read time.Time
}

// linkCache remembers each partner tenant's reseller link.
type linkCache struct {
	mu    sync.Mutex
	links map[string]cachedLink
}

func (c *linkCache) get(partner string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.links[strings.ToLower(partner)]
	return l.url, ok && now.Sub(l.read) < invitationLinkTTL
}

func (c *linkCache) put(partner, url string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.links == nil {
		c.links = map[string]cachedLink{}
	}
	c.links[strings.ToLower(partner)] = cachedLink{url: url, read: now}
}

// InvitationLink reads the partner tenant's reseller-relationship invitation link. It changes nothing.
func (a *Activities) InvitationLink(ctx context.Context, in InvitationLinkInput) (InvitationLinkResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return InvitationLinkResult{}, err
	}
	if url, ok := a.links.get(p.TenantID, a.now()); ok {
		return InvitationLinkResult{URL: url}, nil
	}
	url, err := p.PartnerCenter.RelationshipRequestLink(ctx)
	if err != nil {
		return InvitationLinkResult{}, classify("relationship request link", err)
	}
	a.links.put(p.TenantID, url, a.now())
	return InvitationLinkResult{URL: url}, nil
}

// RequestAdminAccessInput asks for GDAP admin access to a customer.
type RequestAdminAccessInput struct {
	PartnerTenantID  string `json:"partnerTenantId"`
	CustomerTenantID string `json:"customerTenantId"`
	// DisplayName names the relationship; Graph keeps it unique per partner, which is what makes a
	// retried request find the relationship an earlier attempt created. At most 50 characters.
	DisplayName string `json:"displayName"`
	RequestID   string `json:"requestId"`
}

// RequestAdminAccessResult identifies the GDAP relationship.
type RequestAdminAccessResult struct {
	RelationshipID string `json:"relationshipId"`
	Status         string `json:"status"`
	// Existing is set when the relationship was already there (an earlier attempt created it).
	Existing bool `json:"existing,omitempty"`
}

// RequestAdminAccess creates the GDAP relationship with the customer, once: it looks for a relationship of
// the same display name before creating one and after Graph answers 409 for a duplicate name, because
// Graph does not replay a create by its MS-RequestId.
func (a *Activities) RequestAdminAccess(ctx context.Context, in RequestAdminAccessInput) (RequestAdminAccessResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return RequestAdminAccessResult{}, err
	}
	if in.CustomerTenantID == "" || in.DisplayName == "" || len(in.DisplayName) > 50 {
		return RequestAdminAccessResult{}, temporal.NewNonRetryableApplicationError(
			"request admin access: customerTenantId and a displayName of at most 50 characters are required", ErrTypeInvalidInput, nil)
	}
	found := func() (RequestAdminAccessResult, bool, error) {
		rel, ok, err := p.Graph.DelegatedAdminRelationshipNamed(ctx, in.DisplayName)
		if err != nil {
			return RequestAdminAccessResult{}, false, classify("GDAP relationships", err)
		}
		if !ok {
			return RequestAdminAccessResult{}, false, nil
		}
		if !strings.EqualFold(rel.Customer.TenantID, in.CustomerTenantID) {
			return RequestAdminAccessResult{}, false, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("GDAP relationship %s is named %q but is for another customer", rel.ID, in.DisplayName), ErrTypeBusiness, nil)
		}
		return RequestAdminAccessResult{RelationshipID: rel.ID, Status: rel.Status, Existing: true}, true, nil
	}
	if res, ok, err := found(); err != nil || ok {
		return res, err
	}
	rel, err := p.Graph.CreateDelegatedAdminRelationship(ctx, graph.DelegatedAdminRelationship{
		DisplayName:   in.DisplayName,
		Duration:      "P730D",
		Customer:      graph.RelationshipCustomer{TenantID: in.CustomerTenantID},
		AccessDetails: graph.AccessDetails{UnifiedRoles: gdapRoles},
	}, requestID(ctx, in.RequestID, "gdap-create"))
	if e, ok := msrest.AsError(err); ok && e.StatusCode == http.StatusConflict {
		// A lost answer to an earlier create: the relationship exists under our name.
		if res, ok, ferr := found(); ferr != nil || ok {
			return res, ferr
		}
	}
	if err != nil {
		return RequestAdminAccessResult{}, classify("GDAP relationship", err)
	}
	return RequestAdminAccessResult{RelationshipID: rel.ID, Status: rel.Status}, nil
}

// LockAdminAccessInput names the GDAP relationship to submit for the customer's approval.
type LockAdminAccessInput struct {
	PartnerTenantID string `json:"partnerTenantId"`
	RelationshipID  string `json:"relationshipId"`
	RequestID       string `json:"requestId"`
}

// LockAdminAccessResult is where the customer approves.
type LockAdminAccessResult struct {
	ApprovalURL string `json:"approvalUrl"`
	Status      string `json:"status"`
}

// LockAdminAccess locks a created GDAP relationship for the customer's approval. A relationship already
// past "created" (locked, approved, active) is left as it is, so a retry after a lost answer changes
// nothing.
func (a *Activities) LockAdminAccess(ctx context.Context, in LockAdminAccessInput) (LockAdminAccessResult, error) {
	p, err := a.partner(in.PartnerTenantID)
	if err != nil {
		return LockAdminAccessResult{}, err
	}
	rel, err := p.Graph.DelegatedAdminRelationship(ctx, in.RelationshipID)
	if err != nil {
		return LockAdminAccessResult{}, classify("GDAP relationship", err)
	}
	res := LockAdminAccessResult{ApprovalURL: p.Graph.ApprovalURL(rel.ID), Status: rel.Status}
	if !strings.EqualFold(rel.Status, "created") {
		return res, nil
	}
	if _, err := p.Graph.LockForApproval(ctx, rel.ID, requestID(ctx, in.RequestID, "gdap-lock")); err != nil {
		return LockAdminAccessResult{}, classify("GDAP approval request", err)
	}
	res.Status = "approvalPending"
	return res, nil
}
