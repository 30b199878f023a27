package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// maxAdminAnswer bounds what the admin client reads: the ledger of a load test with thousands of
	// customers runs to tens of megabytes.
	maxAdminAnswer = 256 << 20
	// maxAdminErrorBody bounds the part of a refusal's body quoted in an error.
	maxAdminErrorBody = 1 << 10
)

// defaultAdminHTTP is AdminClient's HTTP client when it is given none.
var defaultAdminHTTP = &http.Client{Timeout: 10 * time.Second}

// AdminClient calls the sandbox's admin API (/sandbox/..., described in README.md) over HTTP, the way the
// demo, the load test and the tests act as the customer and as the operator of the sandbox. Its methods
// are safe for concurrent use. An error names the call and, when the sandbox refused it, the HTTP status
// and the start of the answer (the sandbox says which field is wrong).
type AdminClient struct {
	// BaseURL is the sandbox's base URL, e.g. http://127.0.0.1:8089.
	BaseURL string
	// Optional: HTTP sends the requests.
	// default: a client with a 10 s timeout
	HTTP *http.Client
}

// Calls reads the per-tenant, per-endpoint and per-second request counters (GET /sandbox/calls); seconds is
// how many of the last seconds PerSecond covers (1 to 600; 0 for the sandbox's default, 60).
func (a AdminClient) Calls(ctx context.Context, seconds int) (CallsView, error) {
	path := "/sandbox/calls"
	if seconds > 0 {
		path += "?seconds=" + strconv.Itoa(seconds)
	}
	var v CallsView
	err := a.call(ctx, "calls", http.MethodGet, path, nil, &v)
	return v, err
}

// ResetCalls sets the request counters back to zero (DELETE /sandbox/calls).
func (a AdminClient) ResetCalls(ctx context.Context) error {
	return a.call(ctx, "reset calls", http.MethodDelete, "/sandbox/calls", nil, nil)
}

// CreateCustomer adds a customer tenant with its original subscriptions, users and groups.
func (a AdminClient) CreateCustomer(ctx context.Context, in CustomerInput) error {
	return a.call(ctx, "create customer", http.MethodPost, "/sandbox/customers", in, nil)
}

// Accept is the customer accepting a partner's reseller invitation in the admin center.
func (a AdminClient) Accept(ctx context.Context, customerTenantID string, in AcceptInput) error {
	return a.call(ctx, "accept invitation", http.MethodPost, "/sandbox/customers/"+url.PathEscape(customerTenantID)+"/accept", in, nil)
}

// ApproveGDAP is the customer approving a granular admin (GDAP) relationship request.
func (a AdminClient) ApproveGDAP(ctx context.Context, relationshipID string) error {
	return a.call(ctx, "approve GDAP", http.MethodPost, "/sandbox/gdap/"+url.PathEscape(relationshipID)+"/approve", nil, nil)
}

// Catalog lists every SKU of the catalog: the built-in ones and those the admin API added, retired or not.
func (a AdminClient) Catalog(ctx context.Context) ([]CatalogItemView, error) {
	var v []CatalogItemView
	err := a.call(ctx, "catalog", http.MethodGet, "/sandbox/catalog", nil, &v)
	return v, err
}

// AddCatalogItem adds a SKU (and its product, when new) to the catalog; Partner Center's catalog calls and
// carts serve it from then on, and customers' originals may name it. The state file keeps it until a reset.
func (a AdminClient) AddCatalogItem(ctx context.Context, in CatalogItemInput) (CatalogItemView, error) {
	var v CatalogItemView
	err := a.call(ctx, "add catalog item", http.MethodPost, "/sandbox/catalog/items", in, &v)
	return v, err
}

// RetireSku retires the SKU with part number partNumber: it has no purchasable availability from then on
// (a cart line of it fails with 2091) and successor ("product:sku" or a part number) as its only upgrade
// target offer, or none when successor is empty. Retiring a retired SKU again replaces its successor.
func (a AdminClient) RetireSku(ctx context.Context, partNumber, successor string) (CatalogItemView, error) {
	var v CatalogItemView
	err := a.call(ctx, "retire SKU", http.MethodPost, "/sandbox/catalog/skus/"+url.PathEscape(partNumber)+"/retire",
		RetireInput{Successor: successor}, &v)
	return v, err
}

// Transfers lists a customer's partner-to-partner transfer requests, oldest first.
func (a AdminClient) Transfers(ctx context.Context, customerTenantID string) ([]TransferView, error) {
	var v []TransferView
	err := a.call(ctx, "transfers", http.MethodGet, "/sandbox/customers/"+url.PathEscape(customerTenantID)+"/transfers", nil, &v)
	return v, err
}

// AcceptTransfer is the source partner accepting a transfer request for the subscriptions named (by
// Partner Center subscription id), or for every eligible one when none is named. The transfer completes
// at once; a subscription that cannot move fails on its line.
func (a AdminClient) AcceptTransfer(ctx context.Context, customerTenantID, transferID string, subscriptionIDs ...string) error {
	return a.call(ctx, "accept transfer", http.MethodPost, transferAdminPath(customerTenantID, transferID, "accept"),
		acceptTransferInput{SubscriptionIDs: subscriptionIDs}, nil)
}

// RejectTransfer is the source partner rejecting a transfer request.
func (a AdminClient) RejectTransfer(ctx context.Context, customerTenantID, transferID string) error {
	return a.call(ctx, "reject transfer", http.MethodPost, transferAdminPath(customerTenantID, transferID, "reject"), nil, nil)
}

// ExpireTransfer lets a pending transfer request expire now.
func (a AdminClient) ExpireTransfer(ctx context.Context, customerTenantID, transferID string) error {
	return a.call(ctx, "expire transfer", http.MethodPost, transferAdminPath(customerTenantID, transferID, "expire"), nil, nil)
}

func transferAdminPath(customerTenantID, transferID, action string) string {
	return "/sandbox/customers/" + url.PathEscape(customerTenantID) + "/transfers/" + url.PathEscape(transferID) + "/" + action
}

// Ledger reads the sandbox's report on the invariants of every customer.
func (a AdminClient) Ledger(ctx context.Context) (Ledger, error) {
	var l Ledger
	err := a.call(ctx, "ledger", http.MethodGet, "/sandbox/ledger", nil, &l)
	return l, err
}

// Clock reads the sandbox's clock.
func (a AdminClient) Clock(ctx context.Context) (ClockView, error) {
	var c ClockView
	err := a.call(ctx, "clock", http.MethodGet, "/sandbox/clock", nil, &c)
	return c, err
}

// Faults reads the fault rules in force, with how often each has fired.
func (a AdminClient) Faults(ctx context.Context) (FaultRules, error) {
	var f FaultRules
	err := a.call(ctx, "faults", http.MethodGet, "/sandbox/faults", nil, &f)
	return f, err
}

// PutFaults replaces the fault rules.
func (a AdminClient) PutFaults(ctx context.Context, rules FaultRules) error {
	return a.call(ctx, "put faults", http.MethodPut, "/sandbox/faults", rules, nil)
}

// DeleteFaults clears every fault rule.
func (a AdminClient) DeleteFaults(ctx context.Context) error {
	return a.call(ctx, "delete faults", http.MethodDelete, "/sandbox/faults", nil, nil)
}

// Webhook reads where Partner Center events go and how the last deliveries went.
func (a AdminClient) Webhook(ctx context.Context) (WebhookView, error) {
	var v WebhookView
	err := a.call(ctx, "webhook", http.MethodGet, "/sandbox/webhook", nil, &v)
	return v, err
}

// SetWebhook sends the Partner Center events of partners without a registration of their own to target;
// an empty target stops deliveries (the events count as dropped).
func (a AdminClient) SetWebhook(ctx context.Context, target string) error {
	return a.call(ctx, "set webhook", http.MethodPut, "/sandbox/webhook", webhookInput{URL: target}, nil)
}

// call sends in (when not nil) as JSON and decodes the answer into out (when not nil).
func (a AdminClient) call(ctx context.Context, what, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("sandbox %s: %w", what, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", what, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := a.HTTP
	if hc == nil {
		hc = defaultAdminHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAdminErrorBody+1))
		cut := len(raw) > maxAdminErrorBody
		if cut {
			raw = raw[:maxAdminErrorBody]
		}
		msg := strings.ToValidUTF8(string(bytes.TrimSpace(raw)), "")
		if cut {
			msg += "…"
		}
		return fmt.Errorf("sandbox %s: %s %s: %s: %s", what, method, path, resp.Status, msg)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAdminAnswer)).Decode(out); err != nil {
		return fmt.Errorf("sandbox %s: decode answer: %w", what, err)
	}
	return nil
}
