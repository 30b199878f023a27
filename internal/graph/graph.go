// Package graph is a client for the parts of Microsoft Graph csptransfer
// needs: a customer tenant's subscriptions and license pools, the users and
// groups holding a license and license reassignment, and granular delegated
// admin (GDAP) relationships of the partner.
//
// Calls about a customer's directory use a token for the customer tenant
// (GDAP or app consent); GDAP calls use a token for the partner tenant.
// Errors from Graph are *msrest.Error values carrying Graph's error code
// (msrest.Code, msrest.IsNotFound, msrest.IsRetryable, msrest.RetryAfter).
package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// DefaultBaseURL is Microsoft Graph v1.0 in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

const defaultMaxPages = 500

// Config configures a Client.
type Config struct {
	// Optional: BaseURL of Graph including the version.
	// default: https://graph.microsoft.com/v1.0
	BaseURL string
	// Tokens returns the token source for a tenant (for example
	// identity.Provider.GraphTokens).
	Tokens func(tenantID string) oauth2.TokenSource
	// Optional: PartnerTenantID is the partner tenant, needed for GDAP calls.
	PartnerTenantID string
	// Optional: HTTPClient sends the requests. default: msrest.NewHTTPClient()
	HTTPClient *http.Client
	// Optional: CallTimeout bounds one HTTP attempt. default: 30s
	CallTimeout time.Duration
	// Optional: MaxAttempts bounds the attempts of one call. default: 4
	MaxAttempts int
	// Optional: MaxRetryWait is the longest wait spent inside a call.
	// default: 10s
	MaxRetryWait time.Duration
	// Optional: MaxPages bounds the pages one list call follows. default: 500
	MaxPages int
	// Optional: Now is the clock. default: time.Now
	Now func() time.Time
	// Optional: Sleep waits between attempts (tests inject a fake).
	Sleep func(ctx context.Context, d time.Duration) error
	// Optional: Observe is told about every HTTP attempt, for metrics.
	Observe func(msrest.Call)
	// Optional: ApprovalURLBase is where customers approve GDAP requests.
	// default: DefaultApprovalURLBase
	ApprovalURLBase string
}

// Client calls Microsoft Graph. It is safe for concurrent use.
type Client struct {
	rest         *msrest.Client
	tokens       func(string) oauth2.TokenSource
	partner      string
	maxPages     int
	approvalBase string
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Tokens == nil {
		return nil, errors.New("graph: token factory is required")
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = defaultMaxPages
	}
	rest, err := msrest.New(msrest.Config{
		Service:      msrest.Graph,
		BaseURL:      cfg.BaseURL,
		HTTPClient:   cfg.HTTPClient,
		CallTimeout:  cfg.CallTimeout,
		MaxAttempts:  cfg.MaxAttempts,
		MaxRetryWait: cfg.MaxRetryWait,
		Now:          cfg.Now,
		Sleep:        cfg.Sleep,
		Observe:      cfg.Observe,
	})
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	approval := strings.TrimRight(cfg.ApprovalURLBase, "/")
	if approval == "" {
		approval = DefaultApprovalURLBase
	}
	return &Client{rest: rest, tokens: cfg.Tokens, partner: cfg.PartnerTenantID, maxPages: cfg.MaxPages, approvalBase: approval}, nil
}

func (c *Client) tokenSource(tenantID string) (oauth2.TokenSource, error) {
	if strings.TrimSpace(tenantID) == "" {
		return nil, errors.New("graph: tenant id is required")
	}
	ts := c.tokens(tenantID)
	if ts == nil {
		return nil, fmt.Errorf("graph: no token source for tenant %s", tenantID)
	}
	return ts, nil
}

func seg(name, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("graph: %s is required", name)
	}
	return url.PathEscape(v), nil
}

func missing(what, field string) error {
	return fmt.Errorf("decode %s: missing %s", what, field)
}

func operation(ctx context.Context) context.Context {
	if msrest.CorrelationID(ctx) != "" {
		return ctx
	}
	return msrest.WithCorrelationID(ctx, uuid.NewString())
}

// page is one page of a Graph collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// list reads every page of a collection by following @odata.nextLink. The
// link must stay under the base URL (msrest refuses it otherwise).
func list[T any](ctx context.Context, c *Client, req msrest.Request) ([]T, error) {
	ctx = operation(ctx)
	var all []T
	seen := map[string]bool{}
	for n := 1; ; n++ {
		var p page[T]
		if _, err := c.rest.Do(ctx, req, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		if p.NextLink == "" {
			return all, nil
		}
		if n >= c.maxPages {
			return nil, fmt.Errorf("list %s: more than %d pages", req.What, c.maxPages)
		}
		if seen[p.NextLink] {
			return nil, fmt.Errorf("list %s: next link repeats itself", req.What)
		}
		seen[p.NextLink] = true
		req.Path = p.NextLink
		req.Query = nil
	}
}

// ServicePlanInfo is a service plan of a SKU or subscription.
type ServicePlanInfo struct {
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus,omitempty"`
	AppliesTo          string `json:"appliesTo,omitempty"`
}

// Company subscription statuses.
const (
	SubscriptionEnabled   = "Enabled"
	SubscriptionWarning   = "Warning"
	SubscriptionSuspended = "Suspended"
	SubscriptionDeleted   = "Deleted"
	SubscriptionLockedOut = "LockedOut"
)

// CompanySubscription is a commercial subscription of the tenant, bought
// through any channel. OwnerTenantID is the partner tenant that bought it,
// if a partner did.
type CompanySubscription struct {
	ID                     string            `json:"id"`
	CommerceSubscriptionID string            `json:"commerceSubscriptionId"`
	CreatedDateTime        time.Time         `json:"createdDateTime"`
	IsTrial                bool              `json:"isTrial"`
	NextLifecycleDateTime  *time.Time        `json:"nextLifecycleDateTime"`
	OwnerID                string            `json:"ownerId,omitempty"`
	OwnerTenantID          string            `json:"ownerTenantId,omitempty"`
	OwnerType              string            `json:"ownerType,omitempty"`
	ServiceStatus          []ServicePlanInfo `json:"serviceStatus"`
	SkuID                  string            `json:"skuId"`
	SkuPartNumber          string            `json:"skuPartNumber"`
	Status                 string            `json:"status"`
	TotalLicenses          int               `json:"totalLicenses"`
}

// LicenseUnitsDetail counts a SKU's prepaid licenses by state.
type LicenseUnitsDetail struct {
	Enabled   int `json:"enabled"`
	Suspended int `json:"suspended"`
	Warning   int `json:"warning"`
	LockedOut int `json:"lockedOut"`
}

// SubscribedSku is the tenant's license pool of one SKU; seats of every
// subscription of the same SKU pool here.
type SubscribedSku struct {
	AccountID        string             `json:"accountId"`
	AccountName      string             `json:"accountName"`
	AppliesTo        string             `json:"appliesTo"`
	CapabilityStatus string             `json:"capabilityStatus"`
	ConsumedUnits    int                `json:"consumedUnits"`
	ID               string             `json:"id"`
	PrepaidUnits     LicenseUnitsDetail `json:"prepaidUnits"`
	ServicePlans     []ServicePlanInfo  `json:"servicePlans"`
	SkuID            string             `json:"skuId"`
	SkuPartNumber    string             `json:"skuPartNumber"`
	SubscriptionIDs  []string           `json:"subscriptionIds"`
}

// AssignedLicense is a license assigned to a user or group.
type AssignedLicense struct {
	SkuID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

// AddLicense is a license to add in a LicenseChange: the SKU and the
// service plans to keep disabled (an empty list enables every plan).
type AddLicense = AssignedLicense

// LicenseAssignmentState says where a user's license comes from:
// AssignedByGroup is nil for a direct assignment and the group's ID for a
// group-based one.
type LicenseAssignmentState struct {
	SkuID           string   `json:"skuId"`
	AssignedByGroup *string  `json:"assignedByGroup"`
	State           string   `json:"state"`
	Error           string   `json:"error,omitempty"`
	DisabledPlans   []string `json:"disabledPlans"`
}

// User is a directory user. UserPrincipalName is personal data: never log
// it; log the ID.
type User struct {
	ID                      string                   `json:"id"`
	UserPrincipalName       string                   `json:"userPrincipalName,omitempty"`
	AssignedLicenses        []AssignedLicense        `json:"assignedLicenses"`
	LicenseAssignmentStates []LicenseAssignmentState `json:"licenseAssignmentStates"`
}

// LicenseSources reports how the user holds skuID: directly, and/or
// through the listed groups. A license held only through groups must be
// changed on the groups.
func (u User) LicenseSources(skuID string) (direct bool, groups []string) {
	for _, s := range u.LicenseAssignmentStates {
		if !strings.EqualFold(s.SkuID, skuID) {
			continue
		}
		if s.AssignedByGroup == nil || *s.AssignedByGroup == "" {
			direct = true
		} else {
			groups = append(groups, *s.AssignedByGroup)
		}
	}
	return direct, groups
}

// Group is a directory group with its group-based licenses.
type Group struct {
	ID               string            `json:"id"`
	DisplayName      string            `json:"displayName"`
	AssignedLicenses []AssignedLicense `json:"assignedLicenses"`
}

// LicenseChange is one assignLicense call: the licenses added and the SKU
// IDs removed, applied together so a user is never left without a license.
type LicenseChange struct {
	AddLicenses    []AssignedLicense `json:"addLicenses"`
	RemoveLicenses []string          `json:"removeLicenses"`
}

// normalize makes the empty lists Graph requires explicit: it rejects
// null for addLicenses, removeLicenses and disabledPlans.
func (lc LicenseChange) normalize() (LicenseChange, error) {
	out := LicenseChange{AddLicenses: []AssignedLicense{}, RemoveLicenses: []string{}}
	for _, a := range lc.AddLicenses {
		if _, err := uuid.Parse(a.SkuID); err != nil {
			return LicenseChange{}, fmt.Errorf("graph: add license sku id %q is not a GUID", a.SkuID)
		}
		plans := append([]string{}, a.DisabledPlans...)
		out.AddLicenses = append(out.AddLicenses, AssignedLicense{SkuID: a.SkuID, DisabledPlans: plans})
	}
	for _, r := range lc.RemoveLicenses {
		if _, err := uuid.Parse(r); err != nil {
			return LicenseChange{}, fmt.Errorf("graph: remove license sku id %q is not a GUID", r)
		}
		out.RemoveLicenses = append(out.RemoveLicenses, r)
	}
	if len(out.AddLicenses) == 0 && len(out.RemoveLicenses) == 0 {
		return LicenseChange{}, errors.New("graph: license change adds and removes nothing")
	}
	return out, nil
}

// DirectorySubscriptions returns the customer tenant's commercial
// subscriptions from every channel.
func (c *Client) DirectorySubscriptions(ctx context.Context, tenantID string) ([]CompanySubscription, error) {
	ts, err := c.tokenSource(tenantID)
	if err != nil {
		return nil, err
	}
	items, err := list[CompanySubscription](ctx, c, msrest.Request{Method: http.MethodGet, Path: "/directory/subscriptions", Tokens: ts, What: "directory subscriptions"})
	if err != nil {
		return nil, err
	}
	for _, s := range items {
		if s.ID == "" || s.SkuID == "" {
			return nil, missing("directory subscriptions", "id or skuId")
		}
	}
	return items, nil
}

// SubscribedSkus returns the customer tenant's license pools.
func (c *Client) SubscribedSkus(ctx context.Context, tenantID string) ([]SubscribedSku, error) {
	ts, err := c.tokenSource(tenantID)
	if err != nil {
		return nil, err
	}
	items, err := list[SubscribedSku](ctx, c, msrest.Request{Method: http.MethodGet, Path: "/subscribedSkus", Tokens: ts, What: "subscribed skus"})
	if err != nil {
		return nil, err
	}
	for _, s := range items {
		if s.SkuID == "" {
			return nil, missing("subscribed skus", "skuId")
		}
	}
	return items, nil
}

const userSelect = "id,userPrincipalName,assignedLicenses,licenseAssignmentStates"

// UsersWithSku returns every user holding skuID, with their license
// assignment states (so callers can tell direct from group-based
// licenses). Filtering on assignedLicenses is an advanced query, hence
// ConsistencyLevel: eventual and $count=true.
func (c *Client) UsersWithSku(ctx context.Context, tenantID, skuID string) ([]User, error) {
	ts, err := c.tokenSource(tenantID)
	if err != nil {
		return nil, err
	}
	sku, err := uuid.Parse(skuID)
	if err != nil {
		// Parsing also keeps arbitrary text out of the OData filter.
		return nil, fmt.Errorf("graph: sku id %q is not a GUID", skuID)
	}
	q := url.Values{
		"$filter": {fmt.Sprintf("assignedLicenses/any(x:x/skuId eq %s)", sku)},
		"$select": {userSelect},
		"$count":  {"true"},
		"$top":    {"999"},
	}
	items, err := list[User](ctx, c, msrest.Request{
		Method: http.MethodGet, Path: "/users", Query: q, Tokens: ts, What: "users",
		Header: http.Header{"ConsistencyLevel": {"eventual"}},
	})
	if err != nil {
		return nil, err
	}
	for _, u := range items {
		if u.ID == "" {
			return nil, missing("users", "id")
		}
	}
	return items, nil
}

// User returns one user with its licenses.
func (c *Client) User(ctx context.Context, tenantID, userID string) (User, error) {
	ts, err := c.tokenSource(tenantID)
	if err != nil {
		return User{}, err
	}
	id, err := seg("user id", userID)
	if err != nil {
		return User{}, err
	}
	var u User
	_, err = c.rest.Do(ctx, msrest.Request{Method: http.MethodGet, Path: "/users/" + id, Query: url.Values{"$select": {userSelect}}, Tokens: ts, What: "user"}, &u)
	if err != nil {
		return User{}, err
	}
	if u.ID == "" {
		return User{}, missing("user", "id")
	}
	return u, nil
}

// AssignUserLicense applies change to a user in one call: Graph adds and
// removes atomically, so a swap never leaves the user unlicensed. Graph
// refuses to remove a license the user holds only through a group.
func (c *Client) AssignUserLicense(ctx context.Context, tenantID, userID string, change LicenseChange, requestID string) (User, error) {
	return assignLicense[User](ctx, c, tenantID, "user", "/users/", userID, change, requestID)
}

// Group returns one group with its group-based licenses.
func (c *Client) Group(ctx context.Context, tenantID, groupID string) (Group, error) {
	ts, err := c.tokenSource(tenantID)
	if err != nil {
		return Group{}, err
	}
	id, err := seg("group id", groupID)
	if err != nil {
		return Group{}, err
	}
	var g Group
	_, err = c.rest.Do(ctx, msrest.Request{Method: http.MethodGet, Path: "/groups/" + id, Query: url.Values{"$select": {"id,displayName,assignedLicenses"}}, Tokens: ts, What: "group"}, &g)
	if err != nil {
		return Group{}, err
	}
	if g.ID == "" {
		return Group{}, missing("group", "id")
	}
	return g, nil
}

// AssignGroupLicense applies change to a group's licenses; Graph then
// reprocesses every member asynchronously.
func (c *Client) AssignGroupLicense(ctx context.Context, tenantID, groupID string, change LicenseChange, requestID string) (Group, error) {
	return assignLicense[Group](ctx, c, tenantID, "group", "/groups/", groupID, change, requestID)
}

// directoryObject is a user or a group: what assignLicense answers with.
type directoryObject interface {
	User | Group
	objectID() string
}

func (u User) objectID() string  { return u.ID }
func (g Group) objectID() string { return g.ID }

// withObjectIDOf sets the ID of a User or Group; a method of T could not
// return T, so it goes through any.
func withObjectIDOf[T directoryObject](v T, id string) T {
	switch o := any(&v).(type) {
	case *User:
		o.ID = id
	case *Group:
		o.ID = id
	}
	return v
}

// assignLicense posts one license change to a user or group. When the answer
// omits the object's id (Microsoft's own example does), ID is set to the
// id the call addressed.
func assignLicense[T directoryObject](ctx context.Context, c *Client, tenantID, what, collection, objectID string, change LicenseChange, requestID string) (T, error) {
	var out T
	ts, err := c.tokenSource(tenantID)
	if err != nil {
		return out, err
	}
	id, err := seg(what+" id", objectID)
	if err != nil {
		return out, err
	}
	body, err := change.normalize()
	if err != nil {
		return out, err
	}
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: collection + id + "/assignLicense", Body: body,
		Tokens: ts, RequestID: requestID, What: what,
	}, &out)
	if err != nil {
		return out, err
	}
	if out.objectID() == "" {
		// Microsoft documents the answer truncated, without the id (the
		// user: assignLicense example). The change was applied, so failing
		// here would only make the caller repeat a mutation: the object is
		// the one the call addressed.
		out = withObjectIDOf(out, objectID)
	}
	return out, nil
}
