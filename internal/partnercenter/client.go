// Package partnercenter is a client for the Partner Center REST API: the
// partner profile, customers and the reseller relationship, customer
// agreements, the new-commerce catalog, carts, orders and subscriptions.
//
// Errors from the service are *msrest.Error values carrying Partner Center's
// error code (use msrest.Code, msrest.IsNotFound, msrest.IsRetryable and
// msrest.RetryAfter). Every mutating method takes a requestID that is sent as
// MS-RequestId: pass the same value when repeating the same logical
// operation, and Partner Center answers with the original result instead of
// acting twice.
package partnercenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// DefaultBaseURL is Partner Center's global endpoint.
const DefaultBaseURL = "https://api.partnercenter.microsoft.com"

// defaultMaxPages bounds how many pages a list call follows.
const defaultMaxPages = 200

// Config configures a Client.
type Config struct {
	// Optional: BaseURL of Partner Center (the sandbox serves the same
	// paths).
	// default: https://api.partnercenter.microsoft.com
	BaseURL string
	// AppTokens supplies app-only tokens for the partner tenant.
	AppTokens oauth2.TokenSource
	// Optional: UserTokens supplies App+User tokens for the partner tenant,
	// needed for the relationship request link and subscribed SKUs.
	// default: AppTokens (Partner Center then answers 401 on those calls)
	UserTokens oauth2.TokenSource
	// Optional: HTTPClient sends the requests.
	// default: msrest.NewHTTPClient()
	HTTPClient *http.Client
	// Optional: CallTimeout bounds one HTTP attempt. default: 30s
	CallTimeout time.Duration
	// Optional: MaxAttempts bounds the attempts of one call. default: 4
	MaxAttempts int
	// Optional: MaxRetryWait is the longest wait spent inside a call before
	// a 429 or 5xx is returned to the caller. default: 10s
	MaxRetryWait time.Duration
	// Optional: MaxPages bounds the pages one list call follows. default: 200
	MaxPages int
	// Optional: Now is the clock. default: time.Now
	Now func() time.Time
	// Optional: Sleep waits between attempts (tests inject a fake).
	Sleep func(ctx context.Context, d time.Duration) error
	// Optional: Observe is told about every HTTP attempt, for metrics.
	Observe func(msrest.Call)
}

// Client calls Partner Center. It is safe for concurrent use.
type Client struct {
	rest       *msrest.Client
	app        oauth2.TokenSource
	user       oauth2.TokenSource
	now        func() time.Time
	maxPages   int
	basePrefix string
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.AppTokens == nil {
		return nil, errors.New("partnercenter: app token source is required")
	}
	if cfg.UserTokens == nil {
		cfg.UserTokens = cfg.AppTokens
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = defaultMaxPages
	}
	rest, err := msrest.New(msrest.Config{
		Service:      msrest.PartnerCenter,
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
		return nil, fmt.Errorf("partnercenter: %w", err)
	}
	base, _ := msrest.ParseBaseURL(cfg.BaseURL)
	return &Client{rest: rest, app: cfg.AppTokens, user: cfg.UserTokens, now: cfg.Now, maxPages: cfg.MaxPages, basePrefix: base.Path}, nil
}

// operation gives the requests of one logical operation (all pages of a
// list, a read followed by a write) one MS-CorrelationId, unless the caller
// already chose one.
func operation(ctx context.Context) context.Context {
	if msrest.CorrelationID(ctx) != "" {
		return ctx
	}
	return msrest.WithCorrelationID(ctx, uuid.NewString())
}

// seg escapes one path segment and refuses empty values, which would
// silently address a different resource.
func seg(name, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("partnercenter: %s is required", name)
	}
	return url.PathEscape(v), nil
}

func missing(what, field string) error {
	return fmt.Errorf("decode %s: missing %s", what, field)
}

func (c *Client) get(ctx context.Context, tokens oauth2.TokenSource, path string, query url.Values, what string, out any) error {
	_, err := c.rest.Do(ctx, msrest.Request{Method: http.MethodGet, Path: path, Query: query, Tokens: tokens, What: what}, out)
	return err
}

// list reads every page of a collection, following links.next with its
// MS-ContinuationToken.
func list[T any](ctx context.Context, c *Client, tokens oauth2.TokenSource, path string, query url.Values, what string) ([]T, error) {
	ctx = operation(ctx)
	var all []T
	req := msrest.Request{Method: http.MethodGet, Path: path, Query: query, Tokens: tokens, What: what}
	seen := map[string]bool{}
	for page := 1; ; page++ {
		var col collection[T]
		if _, err := c.rest.Do(ctx, req, &col); err != nil {
			return nil, err
		}
		all = append(all, col.Items...)
		next := col.Links.Next
		if next == nil || next.URI == "" {
			return all, nil
		}
		if page >= c.maxPages {
			return nil, fmt.Errorf("list %s: more than %d pages", what, c.maxPages)
		}
		req = msrest.Request{Method: http.MethodGet, Path: c.nextPath(next.URI), Tokens: tokens, What: what, Header: http.Header{}}
		token := ""
		for _, h := range next.Headers {
			if strings.EqualFold(h.Key, "MS-ContinuationToken") {
				token = h.Value
				req.Header.Set("MS-ContinuationToken", h.Value)
			}
		}
		key := next.URI + "\x00" + token
		if seen[key] {
			return nil, fmt.Errorf("list %s: next link repeats itself", what)
		}
		seen[key] = true
	}
}

// nextPath maps a next-page URI to a request path. Partner Center documents
// these links relative to the API version ("/customers?size=40&..."), while
// other deployments return them with "/v1"; both are accepted.
func (c *Client) nextPath(uri string) string {
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		return uri
	}
	if !strings.HasPrefix(uri, "/") {
		uri = "/" + uri
	}
	if c.basePrefix != "" && strings.HasPrefix(uri, c.basePrefix+"/") {
		uri = strings.TrimPrefix(uri, c.basePrefix)
	}
	if !strings.HasPrefix(uri, "/v1/") {
		uri = "/v1" + uri
	}
	return uri
}

// LegalBusinessProfile returns the calling partner's legal business profile.
func (c *Client) LegalBusinessProfile(ctx context.Context) (LegalBusinessProfile, error) {
	var p LegalBusinessProfile
	if err := c.get(ctx, c.app, "/v1/profiles/legalbusiness", nil, "legal business profile", &p); err != nil {
		return LegalBusinessProfile{}, err
	}
	if p.Address.Country == "" {
		return LegalBusinessProfile{}, missing("legal business profile", "address.country")
	}
	return p, nil
}

// Customer returns a customer by tenant ID. A customer without a
// relationship to this partner is an *msrest.Error with IsNotFound true
// (HTTP 404, code 1000).
func (c *Client) Customer(ctx context.Context, customerID string) (Customer, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Customer{}, err
	}
	var cu Customer
	if err := c.get(ctx, c.app, "/v1/customers/"+id, nil, "customer", &cu); err != nil {
		return Customer{}, err
	}
	if cu.ID == "" {
		return Customer{}, missing("customer", "id")
	}
	return cu, nil
}

// customerPageSize is the largest page Partner Center serves of a customer list.
const customerPageSize = 500

// Customers returns every customer the partner has a relationship with, across all pages: one request
// per 500 customers. The reconciler reads it once per partner tenant instead of one customer at a time.
func (c *Client) Customers(ctx context.Context) ([]Customer, error) {
	all, err := list[Customer](ctx, c, c.app, "/v1/customers", url.Values{"size": {strconv.Itoa(customerPageSize)}}, "customers")
	if err != nil {
		return nil, err
	}
	for _, cu := range all {
		if cu.ID == "" {
			return nil, missing("customers", "id")
		}
	}
	return all, nil
}

// domainFilter is Partner Center's customer filter object.
type domainFilter struct {
	Field    string `json:"Field"`
	Value    string `json:"Value"`
	Operator string `json:"Operator"`
}

// CustomersByDomain returns the customers whose primary domain is exactly
// domain (case-insensitive). Partner Center only filters with starts_with,
// so the exact match is made here, across all pages.
func (c *Client) CustomersByDomain(ctx context.Context, domain string) ([]Customer, error) {
	domain = strings.TrimSpace(domain)
	if domain == "" {
		return nil, errors.New("partnercenter: domain is required")
	}
	filter, err := json.Marshal(domainFilter{Field: "Domain", Value: domain, Operator: "starts_with"})
	if err != nil {
		return nil, fmt.Errorf("encode customer filter: %w", err)
	}
	q := url.Values{"size": {"100"}, "filter": {string(filter)}}
	all, err := list[Customer](ctx, c, c.app, "/v1/customers", q, "customers")
	if err != nil {
		return nil, err
	}
	var out []Customer
	for _, cu := range all {
		if strings.EqualFold(cu.CompanyProfile.Domain, domain) {
			if cu.ID == "" {
				return nil, missing("customers", "id")
			}
			out = append(out, cu)
		}
	}
	return out, nil
}

// RelationshipRequestLink returns the partner's reseller relationship
// invitation link. It needs an App+User token. The link is the same for
// every customer.
func (c *Client) RelationshipRequestLink(ctx context.Context) (string, error) {
	var rr RelationshipRequest
	if err := c.get(ctx, c.user, "/v1/customers/relationshiprequests", nil, "relationship request", &rr); err != nil {
		return "", err
	}
	if rr.URL == "" {
		return "", missing("relationship request", "url")
	}
	u, err := url.Parse(rr.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("decode relationship request: url is not an absolute http(s) link")
	}
	return rr.URL, nil
}

// CustomerAgreements returns the customer's Microsoft Customer Agreement
// acceptances (empty when none is recorded).
func (c *Client) CustomerAgreements(ctx context.Context, customerID string) ([]Agreement, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	return list[Agreement](ctx, c, c.app, "/v1/customers/"+id+"/agreements", url.Values{"agreementType": {AgreementTypeMCA}}, "customer agreements")
}

// AgreementMetadata returns the Microsoft Customer Agreement templates.
func (c *Client) AgreementMetadata(ctx context.Context) ([]AgreementMetaData, error) {
	items, err := list[AgreementMetaData](ctx, c, c.app, "/v1/agreements", url.Values{"agreementType": {AgreementTypeMCA}}, "agreement metadata")
	if err != nil {
		return nil, err
	}
	for _, m := range items {
		if m.TemplateID == "" {
			return nil, missing("agreement metadata", "templateId")
		}
	}
	return items, nil
}

// AttestAgreement records that the customer accepted the agreement a
// (the partner's attestation). a.Type defaults to the MCA type.
func (c *Client) AttestAgreement(ctx context.Context, customerID string, a Agreement, requestID string) (Agreement, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Agreement{}, err
	}
	if a.Type == "" {
		a.Type = AgreementTypeMCA
	}
	if a.TemplateID == "" || a.DateAgreed.IsZero() || a.PrimaryContact.Email == "" {
		return Agreement{}, errors.New("partnercenter: attestation needs templateId, dateAgreed and the primary contact")
	}
	body := agreementRequest{PrimaryContact: a.PrimaryContact, TemplateID: a.TemplateID, DateAgreed: a.DateAgreed, Type: a.Type}
	var out Agreement
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: "/v1/customers/" + id + "/agreements", Body: body,
		Tokens: c.app, RequestID: requestID, Expect: []int{http.StatusCreated, http.StatusOK}, What: "agreement",
	}, &out)
	return out, err
}

// agreementRequest is the attestation body as Microsoft documents it: the
// contact, the template, the date and the type, nothing Partner Center sets
// itself (userId, agreementLink, attributes).
type agreementRequest struct {
	PrimaryContact Contact `json:"primaryContact"`
	TemplateID     string  `json:"templateId"`
	DateAgreed     Time    `json:"dateAgreed"`
	Type           string  `json:"type"`
}

// DirectSignStatus reports whether the customer signed the Microsoft
// Customer Agreement directly.
func (c *Client) DirectSignStatus(ctx context.Context, customerID string) (bool, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return false, err
	}
	var s struct {
		IsSigned *bool `json:"isSigned"`
	}
	if err := c.get(ctx, c.app, "/v1/customers/"+id+"/directSignedMicrosoftCustomerAgreementStatus", nil, "direct sign status", &s); err != nil {
		return false, err
	}
	if s.IsSigned == nil {
		return false, missing("direct sign status", "isSigned")
	}
	return *s.IsSigned, nil
}
