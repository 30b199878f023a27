package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type cartLineInput struct {
	ID            *int   `json:"id"`
	CatalogItemID string `json:"catalogItemId"`
	FriendlyName  string `json:"friendlyName"`
	Quantity      int    `json:"quantity"`
	BillingCycle  string `json:"billingCycle"`
	TermDuration  string `json:"termDuration"`
	CurrencyCode  string `json:"currencyCode"`
}

type cartInput struct {
	LineItems []cartLineInput `json:"lineItems"`
}

// cartLineJSON is a cart line as Partner Center shows it.
type cartLineJSON struct {
	ID                  int               `json:"id"`
	CatalogItemID       string            `json:"catalogItemId"`
	FriendlyName        string            `json:"friendlyName,omitempty"`
	Quantity            int               `json:"quantity"`
	CurrencyCode        string            `json:"currencyCode"`
	BillingCycle        string            `json:"billingCycle"`
	TermDuration        string            `json:"termDuration,omitempty"`
	ProvisioningContext map[string]string `json:"provisioningContext"`
	OrderGroup          string            `json:"orderGroup"`
	Pricing             pricing           `json:"pricing"`
	Error               *cartLineError    `json:"error,omitempty"`
}

// lineSku finds the catalog SKU of a catalog item id "product:sku[:availability]".
func (s *Sandbox) lineSku(item string) (catalogSku, bool) {
	product, rest, _ := strings.Cut(item, ":")
	sku, _, _ := strings.Cut(rest, ":")
	return s.cat.bySkuKey(product, sku)
}

// linePrice prices a line in the customer's currency, per seat and billing period (priceOf); an item the
// catalog does not know costs nothing.
func (s *Sandbox) linePrice(c *customer, item, term, cycle string, quantity int) pricing {
	cs, ok := s.lineSku(item)
	if !ok {
		return pricing{}
	}
	return priceOf(cs, currencyOf(c.Country), term, cycle, quantity)
}

func (s *Sandbox) cartJSON(c *customer, ct *cart) map[string]any {
	cur := currencyOf(c.Country)
	lines := make([]cartLineJSON, 0, len(ct.LineItems))
	for _, l := range ct.LineItems {
		lines = append(lines, cartLineJSON{ID: l.ID, CatalogItemID: l.CatalogItemID, FriendlyName: l.FriendlyName,
			Quantity: l.Quantity, CurrencyCode: cur.Code, BillingCycle: l.BillingCycle, TermDuration: l.TermDuration,
			ProvisioningContext: map[string]string{}, OrderGroup: l.OrderGroup,
			Pricing: s.linePrice(c, l.CatalogItemID, l.TermDuration, l.BillingCycle, l.Quantity), Error: l.Error})
	}
	return map[string]any{
		"id": ct.ID, "creationTimestamp": ct.Created, "lastModifiedTimestamp": ct.LastModified,
		"expirationTimestamp": ct.Expiration, "lastModifiedUser": ClientID, "status": ct.Status,
		"lineItems": lines, "links": map[string]link{"self": getLink("/v1/customers/" + c.TenantID + "/carts/" + ct.ID)},
		"attributes": objType("Cart"),
	}
}

// checkLineLocked applies the catalog rules to one line for the customer's country.
func (s *Sandbox) checkLineLocked(c *customer, l cartLine) (catalogSku, *orderError) {
	cs, exists, available := s.cat.resolveCatalogItem(l.CatalogItemID, c.Country)
	group := strconv.Itoa(l.ID)
	switch {
	case !exists:
		return cs, &orderError{OrderGroupID: group, Code: 800004, Description: "Invalid offer id " + l.CatalogItemID + "."}
	case !available:
		return cs, &orderError{OrderGroupID: group, Code: 800070, Description: "Offer " + l.CatalogItemID + " is not available in the specified country " + c.Country + "."}
	case cs.Discontinued:
		return cs, &orderError{OrderGroupID: group, Code: 2091, Description: "Offer " + l.CatalogItemID + " is no longer available for purchase."}
	case l.Quantity < cs.Min || l.Quantity > cs.Max:
		return cs, &orderError{OrderGroupID: group, Code: 2002, Description: "Quantity " + strconv.Itoa(l.Quantity) + " is outside the allowed range " + strconv.Itoa(cs.Min) + "-" + strconv.Itoa(cs.Max) + " for " + l.CatalogItemID + "."}
	case !cs.hasTerm(l.TermDuration, l.BillingCycle):
		return cs, &orderError{OrderGroupID: group, Code: 800002, Description: "termDuration " + l.TermDuration + " with billingCycle " + l.BillingCycle + " is not offered for " + l.CatalogItemID + "."}
	}
	return cs, nil
}

func (s *Sandbox) pcCreateCart(r *http.Request, p *partner, now time.Time) reply {
	c, ok := s.customerLocked(strings.ToLower(r.PathValue("customerId")))
	if !ok {
		return pcErr(http.StatusNotFound, 1000, "Customer "+r.PathValue("customerId")+" was not found.")
	}
	if !hasRelationship(c, p.TenantID) {
		return pcErr(http.StatusBadRequest, 20002, "The partner id "+p.TenantID+" has no commerce relationship with the customer id "+c.TenantID+".")
	}
	var in cartInput
	if err := decodeJSON(r, &in); err != nil {
		return pcErr(http.StatusBadRequest, 800002, err.Error())
	}
	if len(in.LineItems) == 0 {
		return pcErr(http.StatusBadRequest, 800002, "lineItems must contain at least one item")
	}
	if len(in.LineItems) > 50 {
		return pcErr(http.StatusBadRequest, 800002, "a cart holds at most 50 line items")
	}
	ct := &cart{ID: s.newID(), PartnerID: p.TenantID, Created: now, LastModified: now, Expiration: now.Add(cartLifetime), Status: "Active"}
	for i, in := range in.LineItems {
		id := i
		if in.ID != nil {
			id = *in.ID
		}
		if slices.ContainsFunc(ct.LineItems, func(l cartLine) bool { return l.ID == id }) {
			return pcErr(http.StatusBadRequest, 800002, "lineItems["+strconv.Itoa(i)+"].id "+strconv.Itoa(id)+" is used twice")
		}
		// The line is priced in the customer's currency, whatever currencyCode the request names.
		l := cartLine{ID: id, CatalogItemID: in.CatalogItemID, FriendlyName: in.FriendlyName, Quantity: in.Quantity,
			BillingCycle: strings.ToLower(in.BillingCycle), TermDuration: strings.ToUpper(in.TermDuration),
			CurrencyCode: currencyOf(c.Country).Code, OrderGroup: "0"}
		if _, oe := s.checkLineLocked(c, l); oe != nil {
			return pcErr(http.StatusBadRequest, oe.Code, "lineItems["+strconv.Itoa(i)+"]: "+oe.Description)
		}
		ct.LineItems = append(ct.LineItems, l)
	}
	c.Carts = append(c.Carts, ct)
	s.dirty = true
	return jsonReply(http.StatusCreated, s.cartJSON(c, ct))
}

func findCart(c *customer, id string) *cart {
	for _, ct := range c.Carts {
		if strings.EqualFold(ct.ID, id) {
			return ct
		}
	}
	return nil
}

// pcGetCart shows a cart of the caller's. An expired cart stays readable, with status "Expired" and its past
// expirationTimestamp: Microsoft documents only "Active" and "Ordered" and says nothing of what an expired cart
// answers (UNCONFIRMED, see README).
func (s *Sandbox) pcGetCart(r *http.Request, p *partner, c *customer, _ time.Time) reply {
	ct := findCart(c, r.PathValue("cartId"))
	if ct == nil || ct.PartnerID != p.TenantID {
		return pcErr(http.StatusNotFound, 800008, "Unable to retrieve cart Id "+r.PathValue("cartId")+".")
	}
	return jsonReply(http.StatusOK, s.cartJSON(c, ct))
}

// handleCheckout runs in three steps so that a concurrent checkout of the same cart can
// observe it "in progress" (409 800064) without holding the state lock while it waits.
func (s *Sandbox) handleCheckout(w http.ResponseWriter, r *http.Request) {
	var (
		ct      *cart
		c       *customer
		p       *partner
		failing []int
		wait    time.Duration
	)
	s.mu.Lock()
	s.evaluateLocked()
	rep := func() *reply {
		var bad *reply
		p, bad = s.pcAuthLocked(r, false)
		if bad != nil {
			return bad
		}
		var ok bool
		c, ok = s.customerLocked(strings.ToLower(r.PathValue("customerId")))
		if !ok {
			rep := pcErr(http.StatusNotFound, 1000, "Customer "+r.PathValue("customerId")+" was not found.")
			return &rep
		}
		if !hasRelationship(c, p.TenantID) {
			rep := pcErr(http.StatusBadRequest, 20002, "The partner id "+p.TenantID+" has no commerce relationship with the customer id "+c.TenantID+".")
			return &rep
		}
		ct = findCart(c, r.PathValue("cartId"))
		switch {
		case ct == nil || ct.PartnerID != p.TenantID:
			rep := pcErr(http.StatusNotFound, 800008, "Unable to retrieve cart Id "+r.PathValue("cartId")+".")
			return &rep
		case ct.Status == "Expired":
			// Microsoft documents no answer for an expired cart (UNCONFIRMED, see README): 400 with the
			// documented invalid-input code, naming the cart and when it expired.
			rep := pcErr(http.StatusBadRequest, 800002, "Cart "+ct.ID+" expired at "+ct.Expiration.UTC().Format(time.RFC3339)+
				" (carts expire 7 days after creation) and can no longer be checked out; create a new cart.")
			return &rep
		case ct.Status == "Ordered":
			rep := pcErr(http.StatusBadRequest, 800065, "Cannot check out an already submitted cart "+ct.ID+".")
			return &rep
		case ct.CheckingOut:
			rep := pcErr(http.StatusConflict, 800064, "Cart "+ct.ID+" is being processed by another request.")
			return &rep
		case !hasMCA(c):
			rep := pcErr(http.StatusBadRequest, 13605, "The customer "+c.TenantID+" has not accepted the Microsoft Customer Agreement; attest acceptance with POST /v1/customers/{id}/agreements.")
			return &rep
		}
		ct.CheckingOut = true
		failing = s.partialCheckoutLinesLocked()
		wait = time.Duration(s.st.Settings.CheckoutDuration)
		s.dirty = true
		return nil
	}()
	commit := s.requestFlushLocked()
	s.mu.Unlock()
	if err := commit.wait(); err != nil {
		s.log.Error("save sandbox state", "error", err)
	}
	if rep != nil {
		rep.write(w)
		return
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		<-t.C
	}
	s.locked(w, func(now time.Time) reply {
		ct.CheckingOut = false
		res := s.completeCheckoutLocked(p, c, ct, failing, now)
		return jsonReply(http.StatusCreated, res)
	})
}

func (s *Sandbox) completeCheckoutLocked(p *partner, c *customer, ct *cart, failing []int, now time.Time) checkoutResult {
	res := checkoutResult{Orders: []orderJSON{}, OrderErrors: []orderError{}}
	var ok []cartLine
	var skus []catalogSku
	for i := range ct.LineItems {
		l := &ct.LineItems[i]
		cs, oe := s.checkLineLocked(c, *l)
		if oe == nil && slices.Contains(failing, l.ID) {
			oe = &orderError{OrderGroupID: strconv.Itoa(l.ID), Code: 800005, Description: "Create order was not successful for line item " + strconv.Itoa(l.ID) + " (injected fault)."}
		}
		if oe != nil {
			l.OrderGroup = oe.OrderGroupID
			l.Error = &cartLineError{ErrorCode: strconv.Itoa(int(oe.Code)), ErrorDescription: oe.Description}
			res.OrderErrors = append(res.OrderErrors, *oe)
			continue
		}
		ok = append(ok, *l)
		skus = append(skus, cs)
	}
	ct.Status = "Ordered"
	ct.LastModified = now
	// One order per billing cycle, in the order the cycles first appear: an Order has a single billingCycle,
	// and Microsoft's (legacy) checkout example splits one cart into several orders, each of one billing cycle.
	// How new commerce groups lines into orders is not documented; this grouping is the sandbox's choice.
	var cycles []string
	byCycle := map[string][]int{}
	for i, l := range ok {
		if _, seen := byCycle[l.BillingCycle]; !seen {
			cycles = append(cycles, l.BillingCycle)
		}
		byCycle[l.BillingCycle] = append(byCycle[l.BillingCycle], i)
	}
	for _, cycle := range cycles {
		o := &order{ID: s.newID(), PartnerID: p.TenantID, CartID: ct.ID, BillingCycle: cycle, CreationDate: now}
		for n, i := range byCycle[cycle] {
			l := ok[i]
			sub := s.newSubscriptionLocked(p, c, skus[i], l, o.ID, now)
			o.LineItems = append(o.LineItems, orderLine{LineItemNumber: n, OfferID: l.CatalogItemID, SubscriptionID: sub.ID,
				Quantity: l.Quantity, TermDuration: l.TermDuration, BillingCycle: l.BillingCycle, FriendlyName: sub.FriendlyName})
			s.recordPurchaseLocked(c, p, o.ID, sub, now)
		}
		c.Orders = append(c.Orders, o)
		c.Ledger.Orders++
		ct.OrderIDs = append(ct.OrderIDs, o.ID)
		res.Orders = append(res.Orders, s.orderJSONLocked(c, o, true))
	}
	if len(ok) > 0 {
		s.checkLicensesLocked(c, now)
	}
	ct.Result = &res
	s.dirty = true
	return res
}

func (s *Sandbox) newSubscriptionLocked(p *partner, c *customer, cs catalogSku, l cartLine, orderID string, now time.Time) *cspSub {
	end, err := addISO(now, l.TermDuration)
	if err != nil {
		end = now.AddDate(1, 0, 0)
	}
	name := l.FriendlyName
	if name == "" {
		name = cs.SkuTitle
	}
	sub := &cspSub{
		ID: s.newID(), GraphID: s.newID(), PartnerID: p.TenantID, OfferID: l.CatalogItemID, OfferName: cs.SkuTitle,
		FriendlyName: name, ProductID: cs.ProductID, SkuIDCatalog: cs.SkuID, GraphSkuID: cs.GraphSkuID,
		SkuPartNumber: cs.SkuPartNumber, Quantity: l.Quantity, CreationDate: now, EffectiveStartDate: now,
		CommitmentEndDate: end, CancellationUntil: now.Add(refundWindow), Status: "active", AutoRenewEnabled: true,
		BillingCycle: l.BillingCycle, TermDuration: l.TermDuration, OrderID: orderID, Etag: 1,
	}
	if d := time.Duration(s.st.Settings.ProvisioningDelay); d > 0 {
		sub.Status = "pending"
		sub.ActivateAt = now.Add(d)
	}
	c.CSPSubs = append(c.CSPSubs, sub)
	return sub
}

type orderLineJSON struct {
	LineItemNumber  int             `json:"lineItemNumber"`
	OfferID         string          `json:"offerId"`
	SubscriptionID  string          `json:"subscriptionId"`
	Quantity        int             `json:"quantity"`
	TermDuration    string          `json:"termDuration"`
	TransactionType string          `json:"transactionType"`
	FriendlyName    string          `json:"friendlyName,omitempty"`
	Pricing         pricing         `json:"pricing"`
	Links           map[string]link `json:"links"`
}

type orderJSON struct {
	ID                  string          `json:"id"`
	AlternateID         string          `json:"alternateId"`
	ReferenceCustomerID string          `json:"referenceCustomerId"`
	BillingCycle        string          `json:"billingCycle"`
	CurrencyCode        string          `json:"currencyCode"`
	CurrencySymbol      string          `json:"currencySymbol"`
	TransactionType     string          `json:"transactionType"`
	LineItems           []orderLineJSON `json:"lineItems"`
	Status              string          `json:"status"`
	CreationDate        time.Time       `json:"creationDate"`
	TotalPrice          float64         `json:"totalPrice"`
	Links               map[string]link `json:"links"`
	// Client is an empty object, as in Microsoft's new-commerce order example (which does not say what it holds).
	Client     map[string]any    `json:"client"`
	Attributes map[string]string `json:"attributes"`
}

// catalogLinks are the product, sku and availability links of a line or subscription for catalog item id
// item ("product:sku:availability") in country.
func catalogLinks(item, country string) map[string]link {
	parts := strings.SplitN(item, ":", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	product := "/v1/products/" + parts[0]
	q := "?country=" + country
	return map[string]link{
		"product":      getLink(product + q),
		"sku":          getLink(product + "/skus/" + parts[1] + q),
		"availability": getLink(product + "/skus/" + parts[1] + "/availabilities/" + parts[2] + q),
	}
}

// orderJSONLocked shows an order. An order is "pending" in the checkout answer, as Partner Center's
// provisioning is asynchronous, and "completed" afterwards once none of its subscriptions is pending.
func (s *Sandbox) orderJSONLocked(c *customer, o *order, atCheckout bool) orderJSON {
	cur := currencyOf(c.Country)
	self := "/v1/customers/" + c.TenantID + "/orders/" + o.ID
	out := orderJSON{ID: o.ID, AlternateID: o.ID[:min(12, len(o.ID))], ReferenceCustomerID: c.TenantID, BillingCycle: o.BillingCycle,
		CurrencyCode: cur.Code, CurrencySymbol: cur.Symbol, TransactionType: "UserPurchase", CreationDate: o.CreationDate,
		Attributes: objType("Order"), LineItems: []orderLineJSON{}, Status: "completed", Client: map[string]any{},
		Links: map[string]link{"self": getLink(self), "provisioningStatus": getLink(self + "/provisioningstatus")}}
	if atCheckout {
		out.Status = "pending"
	}
	var total float64
	for _, l := range o.LineItems {
		if sub := findSub(c, l.SubscriptionID); sub != nil && sub.Status == "pending" {
			out.Status = "pending"
		}
		base := "/v1/customers/" + c.TenantID + "/subscriptions/" + l.SubscriptionID
		links := catalogLinks(l.OfferID, c.Country)
		links["subscription"] = getLink(base)
		links["provisioningStatus"] = getLink(base + "/provisioningstatus")
		cycle := l.BillingCycle
		if cycle == "" { // a line stored before lines kept their billing cycle: its order's
			cycle = o.BillingCycle
		}
		price := s.linePrice(c, l.OfferID, l.TermDuration, cycle, l.Quantity)
		total += price.ExtendedPrice
		out.LineItems = append(out.LineItems, orderLineJSON{LineItemNumber: l.LineItemNumber, OfferID: l.OfferID,
			SubscriptionID: l.SubscriptionID, Quantity: l.Quantity, TermDuration: l.TermDuration, TransactionType: "New",
			FriendlyName: l.FriendlyName, Pricing: price, Links: links})
	}
	out.TotalPrice = round(total, cur.Decimals)
	return out
}

// pcOrderProvisioningStatus lists the provisioning state of each line of an order. Microsoft documents
// the resource (lineItemNumber, status, quantityProvisioningInformation) without an example; the status
// values "fulfilled" and "pending" are the sandbox's choice.
func (s *Sandbox) pcOrderProvisioningStatus(r *http.Request, p *partner, c *customer, _ time.Time) reply {
	o := findOrder(c, p, r.PathValue("orderId"))
	if o == nil {
		return pcErr(http.StatusNotFound, 1000, "Order "+r.PathValue("orderId")+" was not found.")
	}
	items := []map[string]any{}
	for _, l := range o.LineItems {
		status := "fulfilled"
		if sub := findSub(c, l.SubscriptionID); sub != nil && sub.Status == "pending" {
			status = "pending"
		}
		items = append(items, map[string]any{
			"lineItemNumber":                  l.LineItemNumber,
			"status":                          status,
			"quantityProvisioningInformation": []map[string]any{{"quantity": l.Quantity, "status": status}},
			"attributes":                      objType("OrderLineItemProvisioningStatus"),
		})
	}
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
}

func findOrder(c *customer, p *partner, id string) *order {
	for _, o := range c.Orders {
		if o.PartnerID == p.TenantID && strings.EqualFold(o.ID, id) {
			return o
		}
	}
	return nil
}

func findSub(c *customer, id string) *cspSub {
	for _, sub := range c.CSPSubs {
		if strings.EqualFold(sub.ID, id) {
			return sub
		}
	}
	return nil
}

func (s *Sandbox) pcListOrders(r *http.Request, p *partner, c *customer, _ time.Time) reply {
	items := []orderJSON{}
	for _, o := range c.Orders {
		if o.PartnerID == p.TenantID {
			items = append(items, s.orderJSONLocked(c, o, false))
		}
	}
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
}

func (s *Sandbox) pcGetOrder(r *http.Request, p *partner, c *customer, _ time.Time) reply {
	if o := findOrder(c, p, r.PathValue("orderId")); o != nil {
		return jsonReply(http.StatusOK, s.orderJSONLocked(c, o, false))
	}
	return pcErr(http.StatusNotFound, 1000, "Order "+r.PathValue("orderId")+" was not found.")
}

// subscriptionJSON shows a new-commerce subscription at sandbox time now. Microsoft's documents disagree on
// the refund window, so it carries every documented form of the same moment (sub.CancellationUntil, the end
// of the 7-day window): cancellationAllowedUntilDate (the Subscription resource table, "only applicable to
// NCE" in its release notes; absent from the new-commerce examples), refundOptions [{type "Full", expiresAt}]
// (the new-commerce examples, the SDKs' RefundOption) with expiresAfter as well (the RefundOption table: a UTC
// date-time), and refundableQuantity (the 2023 example): every seat until the window ends, none afterwards.
func (s *Sandbox) subscriptionJSON(c *customer, sub *cspSub, now time.Time) map[string]any {
	base := "/v1/customers/" + c.TenantID + "/subscriptions/" + sub.ID
	links := catalogLinks(sub.OfferID, c.Country)
	links["self"] = getLink(base)
	links["provisioningStatus"] = getLink(base + "/provisioningstatus")
	refundable := map[string]any{"totalQuantity": 0, "details": []map[string]any{}}
	if sub.Status != "deleted" && sub.TransferID == "" && !now.After(sub.CancellationUntil) {
		refundable = map[string]any{"totalQuantity": sub.Quantity,
			"details": []map[string]any{{"quantity": sub.Quantity, "allowedUntilDateTime": sub.CancellationUntil}}}
	}
	m := map[string]any{
		"id": sub.ID, "offerId": sub.OfferID, "offerName": sub.OfferName, "friendlyName": sub.FriendlyName,
		"productType": productTypeNCE, "quantity": sub.Quantity, "unitType": "Licenses", "hasPurchasableAddons": false,
		"creationDate": sub.CreationDate, "effectiveStartDate": sub.EffectiveStartDate, "commitmentEndDate": sub.CommitmentEndDate,
		"status": sub.Status, "autoRenewEnabled": sub.AutoRenewEnabled, "isTrial": false, "billingType": "license",
		"billingCycle": sub.BillingCycle, "termDuration": sub.TermDuration, "renewalTermDuration": "",
		"isMicrosoftProduct": true, "partnerId": "", "attentionNeeded": false, "actionTaken": false,
		"contractType": "subscription", "links": links, "publisherName": "Microsoft Corporation", "orderId": sub.OrderID,
		"attributes": map[string]string{"etag": strconv.Itoa(sub.Etag), "objectType": "Subscription"},
	}
	m["commitmentEndDateTime"] = sub.CommitmentEndDate
	m["cancellationAllowedUntilDate"] = sub.CancellationUntil
	m["refundOptions"] = []map[string]any{{"type": "Full", "expiresAt": sub.CancellationUntil, "expiresAfter": sub.CancellationUntil}}
	m["refundableQuantity"] = refundable
	return m
}

func (s *Sandbox) pcListSubscriptions(r *http.Request, p *partner, c *customer, now time.Time) reply {
	orderID := r.URL.Query().Get("order_id")
	items := []map[string]any{}
	for _, sub := range c.CSPSubs {
		if sub.PartnerID != p.TenantID || (orderID != "" && !strings.EqualFold(sub.OrderID, orderID)) {
			continue
		}
		items = append(items, s.subscriptionJSON(c, sub, now))
	}
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
}

func (s *Sandbox) ownSubLocked(r *http.Request, p *partner, c *customer) (*cspSub, *reply) {
	sub := findSub(c, r.PathValue("subscriptionId"))
	if sub == nil || sub.PartnerID != p.TenantID {
		rep := pcErr(http.StatusNotFound, 20003, "Subscription "+r.PathValue("subscriptionId")+" was not found.")
		return nil, &rep
	}
	return sub, nil
}

func (s *Sandbox) pcGetSubscription(r *http.Request, p *partner, c *customer, now time.Time) reply {
	sub, bad := s.ownSubLocked(r, p, c)
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, s.subscriptionJSON(c, sub, now))
}

func (s *Sandbox) pcProvisioningStatus(r *http.Request, p *partner, c *customer, _ time.Time) reply {
	sub, bad := s.ownSubLocked(r, p, c)
	if bad != nil {
		return *bad
	}
	status := "success"
	switch sub.Status {
	case "pending":
		status = "pending"
	case "deleted", "expired":
		status = "failed"
	}
	return jsonReply(http.StatusOK, map[string]any{
		"skuId": sub.GraphSkuID, "status": status, "quantity": sub.Quantity, "endDate": sub.CommitmentEndDate,
		"attributes": objType("SubscriptionProvisioningStatus"),
	})
}

type subscriptionPatch struct {
	Status           *string `json:"status"`
	AutoRenewEnabled *bool   `json:"autoRenewEnabled"`
	FriendlyName     *string `json:"friendlyName"`
	Quantity         *int    `json:"quantity"`
}

// pcPatchSubscription supports cancel (status "deleted") inside the refund window,
// autoRenewEnabled and friendlyName. An attempt to cancel a subscription from another
// channel is recorded in the ledger: the product must never try.
func (s *Sandbox) pcPatchSubscription(r *http.Request, p *partner, c *customer, now time.Time) reply {
	var patch subscriptionPatch
	if err := decodeJSON(r, &patch); err != nil {
		return pcErr(http.StatusBadRequest, 800002, err.Error())
	}
	id := r.PathValue("subscriptionId")
	sub := findSub(c, id)
	if sub == nil || sub.PartnerID != p.TenantID {
		for _, o := range c.Originals {
			if o.TransferredTo != "" {
				continue // now a partner's subscription: counted once below
			}
			if strings.EqualFold(o.ID, id) || strings.EqualFold(o.CommerceSubscriptionID, id) {
				c.Ledger.OriginalCancelAttempts++
				s.dirty = true
				break
			}
		}
		if sub != nil {
			c.Ledger.OriginalCancelAttempts++
			s.dirty = true
		}
		return pcErr(http.StatusNotFound, 20003, "Subscription "+id+" was not found for this partner.")
	}
	if sub.Status == "deleted" {
		return pcErr(http.StatusBadRequest, 2011, "Subscription "+sub.ID+" is deleted and cannot be updated.")
	}
	if patch.Quantity != nil && *patch.Quantity != sub.Quantity {
		return pcErr(http.StatusBadRequest, 800002, "quantity changes are not emulated by the sandbox; buy or cancel whole subscriptions")
	}
	if patch.Status != nil && !strings.EqualFold(*patch.Status, sub.Status) {
		if !strings.EqualFold(*patch.Status, "deleted") {
			return pcErr(http.StatusBadRequest, 800002, "status can only be changed to deleted (cancel)")
		}
		if now.After(sub.CancellationUntil) || sub.TransferID != "" { // a transferred one has no refund window at the target
			return pcErr(http.StatusBadRequest, 800002, "Subscription "+sub.ID+" cannot be cancelled: the cancellation window ended at "+sub.CancellationUntil.Format(time.RFC3339)+".")
		}
		sub.Status = "deleted"
		c.Ledger.CSPCancellations++
		s.checkLicensesLocked(c, now)
	}
	if patch.AutoRenewEnabled != nil {
		sub.AutoRenewEnabled = *patch.AutoRenewEnabled
	}
	if patch.FriendlyName != nil {
		sub.FriendlyName = *patch.FriendlyName
	}
	sub.Etag++
	s.dirty = true
	return jsonReply(http.StatusOK, s.subscriptionJSON(c, sub, now))
}

func (s *Sandbox) pcSubscribedSkus(r *http.Request, _ *partner, c *customer, _ time.Time) reply {
	items := []map[string]any{}
	for _, sk := range s.subscribedSkusLocked(c) {
		plans := []map[string]any{}
		for _, sp := range sk.ServicePlans {
			plans = append(plans, map[string]any{"id": sp.ServicePlanID, "serviceName": sp.ServicePlanName, "displayName": sp.ServicePlanName,
				"capabilityStatus": sk.CapabilityStatus, "targetType": "User"})
		}
		title := sk.SkuPartNumber
		if cs, ok := s.cat.byGraphSku(sk.SkuID); ok {
			title = cs.SkuTitle
		}
		total := sk.PrepaidUnits.Enabled + sk.PrepaidUnits.Warning + sk.PrepaidUnits.Suspended
		items = append(items, map[string]any{
			"availableUnits": max(0, sk.PrepaidUnits.Enabled+sk.PrepaidUnits.Warning-sk.ConsumedUnits),
			"activeUnits":    sk.PrepaidUnits.Enabled, "consumedUnits": sk.ConsumedUnits,
			"suspendedUnits": sk.PrepaidUnits.Suspended, "totalUnits": total, "warningUnits": sk.PrepaidUnits.Warning,
			"productSku":   map[string]any{"id": sk.SkuID, "name": title, "skuPartNumber": sk.SkuPartNumber, "targetType": "User", "licenseGroupId": "group1"},
			"servicePlans": plans, "status": sk.CapabilityStatus, "capabilityStatus": sk.CapabilityStatus,
			"attributes": objType("SubscribedSku"),
		})
	}
	return jsonReply(http.StatusOK, collection(items, selfURI(r)))
}
