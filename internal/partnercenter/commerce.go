package partnercenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// ErrCancelRefused is matched (errors.Is) by *CancelRefusedError.
var ErrCancelRefused = errors.New("cancellation refused")

// CancelRefusedError is returned by CancelSubscription when cancelling
// would not be refunded or would touch a subscription this partner did not
// buy. It is never retryable: no request to cancel was sent.
type CancelRefusedError struct {
	SubscriptionID string
	Reason         string
}

// Error implements error.
func (e *CancelRefusedError) Error() string {
	return fmt.Sprintf("cancel subscription %s refused: %s", e.SubscriptionID, e.Reason)
}

// Is makes errors.Is(err, ErrCancelRefused) true.
func (e *CancelRefusedError) Is(target error) bool { return target == ErrCancelRefused }

// CreateCart creates a cart with the given lines. Line IDs are assigned
// 0..n-1 when all are zero.
func (c *Client) CreateCart(ctx context.Context, customerID string, lines []CartLineItem, requestID string) (Cart, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Cart{}, err
	}
	if len(lines) == 0 {
		return Cart{}, errors.New("partnercenter: a cart needs at least one line")
	}
	lines = append([]CartLineItem(nil), lines...)
	for i := range lines {
		if lines[i].CatalogItemID == "" || lines[i].Quantity <= 0 {
			return Cart{}, fmt.Errorf("partnercenter: cart line %d needs a catalog item id and a positive quantity", i)
		}
		lines[i].ID = i
	}
	var cart Cart
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: "/v1/customers/" + id + "/carts", Body: cartRequest{LineItems: lines},
		Tokens: c.app, RequestID: requestID, Expect: []int{http.StatusCreated, http.StatusOK}, What: "cart",
	}, &cart)
	if err != nil {
		return Cart{}, err
	}
	if cart.ID == "" {
		return Cart{}, missing("cart", "id")
	}
	return cart, nil
}

// cartRequest is the body of a cart creation: only the lines, since the
// timestamps and status are Partner Center's to set.
type cartRequest struct {
	LineItems []CartLineItem `json:"lineItems"`
}

// Cart returns a cart; Status tells whether it was checked out ("Ordered").
func (c *Client) Cart(ctx context.Context, customerID, cartID string) (Cart, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Cart{}, err
	}
	cid, err := seg("cart id", cartID)
	if err != nil {
		return Cart{}, err
	}
	var cart Cart
	if err := c.get(ctx, c.app, "/v1/customers/"+id+"/carts/"+cid, nil, "cart", &cart); err != nil {
		return Cart{}, err
	}
	if cart.ID == "" {
		return Cart{}, missing("cart", "id")
	}
	return cart, nil
}

// CheckoutCart checks a cart out. The result can be partial (OrderErrors).
// A second checkout of an ordered cart fails with code 800065; a checkout
// racing another fails with 409 code 800064 (retryable). Callers recover
// from an ambiguous outcome by reading the cart and the orders, not by
// checking out again under a new request ID.
func (c *Client) CheckoutCart(ctx context.Context, customerID, cartID, requestID string) (CheckoutResult, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return CheckoutResult{}, err
	}
	cid, err := seg("cart id", cartID)
	if err != nil {
		return CheckoutResult{}, err
	}
	var res CheckoutResult
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: "/v1/customers/" + id + "/carts/" + cid + "/checkout",
		Tokens: c.app, RequestID: requestID, Expect: []int{http.StatusCreated, http.StatusOK}, What: "checkout result",
	}, &res)
	if err != nil {
		return CheckoutResult{}, err
	}
	for _, o := range res.Orders {
		if o.ID == "" {
			return CheckoutResult{}, missing("checkout result", "order id")
		}
	}
	if len(res.Orders) == 0 && len(res.OrderErrors) == 0 {
		return CheckoutResult{}, missing("checkout result", "orders and orderErrors")
	}
	return res, nil
}

// Orders returns the customer's orders. New-commerce orders may appear in
// this list only some minutes after checkout.
func (c *Client) Orders(ctx context.Context, customerID string) ([]Order, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	items, err := list[Order](ctx, c, c.app, "/v1/customers/"+id+"/orders", nil, "orders")
	if err != nil {
		return nil, err
	}
	for _, o := range items {
		if o.ID == "" {
			return nil, missing("orders", "id")
		}
	}
	return items, nil
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, customerID, orderID string) (Order, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Order{}, err
	}
	oid, err := seg("order id", orderID)
	if err != nil {
		return Order{}, err
	}
	var o Order
	if err := c.get(ctx, c.app, "/v1/customers/"+id+"/orders/"+oid, nil, "order", &o); err != nil {
		return Order{}, err
	}
	if o.ID == "" {
		return Order{}, missing("order", "id")
	}
	return o, nil
}

// Subscriptions returns the customer's subscriptions bought through this
// partner.
func (c *Client) Subscriptions(ctx context.Context, customerID string) ([]Subscription, error) {
	return c.subscriptions(ctx, customerID, nil)
}

// SubscriptionsByOrder returns the subscriptions an order created.
func (c *Client) SubscriptionsByOrder(ctx context.Context, customerID, orderID string) ([]Subscription, error) {
	if _, err := seg("order id", orderID); err != nil {
		return nil, err
	}
	return c.subscriptions(ctx, customerID, url.Values{"order_id": {orderID}})
}

func (c *Client) subscriptions(ctx context.Context, customerID string, q url.Values) ([]Subscription, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	items, err := list[Subscription](ctx, c, c.app, "/v1/customers/"+id+"/subscriptions", q, "subscriptions")
	if err != nil {
		return nil, err
	}
	for _, s := range items {
		if s.ID == "" {
			return nil, missing("subscriptions", "id")
		}
	}
	return items, nil
}

// Subscription returns one subscription.
func (c *Client) Subscription(ctx context.Context, customerID, subscriptionID string) (Subscription, error) {
	sub, _, err := c.subscription(ctx, customerID, subscriptionID)
	return sub, err
}

// subscription also returns the raw resource so a PATCH can send back every
// field Partner Center sent, including ones this package does not model.
func (c *Client) subscription(ctx context.Context, customerID, subscriptionID string) (Subscription, map[string]json.RawMessage, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Subscription{}, nil, err
	}
	sid, err := seg("subscription id", subscriptionID)
	if err != nil {
		return Subscription{}, nil, err
	}
	var raw map[string]json.RawMessage
	if err := c.get(ctx, c.app, "/v1/customers/"+id+"/subscriptions/"+sid, nil, "subscription", &raw); err != nil {
		return Subscription{}, nil, err
	}
	sub, err := decodeSubscription(raw)
	if err != nil {
		return Subscription{}, nil, err
	}
	return sub, raw, nil
}

func decodeSubscription(raw map[string]json.RawMessage) (Subscription, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return Subscription{}, fmt.Errorf("decode subscription: %w", err)
	}
	var sub Subscription
	if err := json.Unmarshal(b, &sub); err != nil {
		return Subscription{}, fmt.Errorf("decode subscription: %w", err)
	}
	if sub.ID == "" {
		return Subscription{}, missing("subscription", "id")
	}
	return sub, nil
}

// ProvisioningStatus returns whether a subscription is provisioned in the
// customer tenant, with the Graph skuId it provisions.
func (c *Client) ProvisioningStatus(ctx context.Context, customerID, subscriptionID string) (ProvisioningStatus, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return ProvisioningStatus{}, err
	}
	sid, err := seg("subscription id", subscriptionID)
	if err != nil {
		return ProvisioningStatus{}, err
	}
	var ps ProvisioningStatus
	if err := c.get(ctx, c.app, "/v1/customers/"+id+"/subscriptions/"+sid+"/provisioningstatus", nil, "provisioning status", &ps); err != nil {
		return ProvisioningStatus{}, err
	}
	if ps.Status == "" {
		return ProvisioningStatus{}, missing("provisioning status", "status")
	}
	return ps, nil
}

// CancelSubscription cancels a subscription this partner bought, for a
// refund. It first reads the subscription and refuses, with a
// *CancelRefusedError and without sending the cancellation, unless the
// subscription came from one of this partner's orders (orderId set) and
// the current time is before the end of its refund window
// (Subscription.RefundableUntil: cancellationAllowedUntilDate, or the
// refundOptions new commerce publishes): outside that window Microsoft gives
// no refund, and the originals of a transfer are never
// this partner's to cancel. Cancelling an already deleted subscription
// returns it unchanged, so a retried cancellation is harmless.
func (c *Client) CancelSubscription(ctx context.Context, customerID, subscriptionID, requestID string) (Subscription, error) {
	ctx = operation(ctx)
	sub, raw, err := c.subscription(ctx, customerID, subscriptionID)
	if err != nil {
		return Subscription{}, err
	}
	if strings.EqualFold(sub.Status, SubscriptionDeleted) {
		return sub, nil
	}
	refuse := func(reason string) (Subscription, error) {
		return Subscription{}, &CancelRefusedError{SubscriptionID: subscriptionID, Reason: reason}
	}
	until, hasWindow := sub.RefundableUntil()
	switch {
	case sub.OrderID == "":
		return refuse("it was not bought through an order of this partner")
	case !hasWindow:
		return refuse("it has no cancellation window")
	case !c.now().Before(until):
		return refuse(fmt.Sprintf("its cancellation window closed at %s", until.UTC().Format("2006-01-02T15:04:05Z07:00")))
	}
	raw["status"] = json.RawMessage(`"deleted"`)
	var out map[string]json.RawMessage
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPatch, Path: "/v1/customers/" + url.PathEscape(customerID) + "/subscriptions/" + url.PathEscape(subscriptionID),
		Body: raw, Tokens: c.app, RequestID: requestID, What: "subscription",
	}, &out)
	if err != nil {
		return Subscription{}, err
	}
	return decodeSubscription(out)
}

// SubscribedSkus returns the license pools of the customer tenant, whatever
// channel bought them. It needs an App+User token.
func (c *Client) SubscribedSkus(ctx context.Context, customerID string) ([]SubscribedSku, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	items, err := list[SubscribedSku](ctx, c, c.user, "/v1/customers/"+id+"/subscribedskus", nil, "subscribed skus")
	if err != nil {
		return nil, err
	}
	for _, s := range items {
		if s.ProductSku.ID == "" {
			return nil, missing("subscribed skus", "productSku.id")
		}
	}
	return items, nil
}
