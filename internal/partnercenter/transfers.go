package partnercenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

// Partner-to-partner transfers of new-commerce subscriptions. The target
// partner (this service) creates the request and may cancel it while it is
// pending; the source partner accepts it with the line items to move;
// Microsoft then moves billing ownership and the transfer becomes Complete.
// See docs: create-a-transfer, update-a-transfer, transfer-entity-resources.

// TransferTypeNewCommerce is the transferType this client sends when it
// creates a transfer.
//
// Microsoft's pages conflict. The new-commerce "Create a transfer" page
// (learn.microsoft.com/partner-center/developer/create-a-transfer) documents
// transferType as "3 represents New Commerce" and its example carries 3;
// the TransferEntity resource page says "3 resolves to ModernAzure and 5
// resolves to NewCommerce ... can use either but should standardize on 5".
// The create page is the one that documents this request, and an
// open-source client that runs against the live API (sherweb/NecTranfer)
// sends 3, so 3 is sent. Transfers read back with 3 or 5 (a number or a
// numeric string) are both new commerce; see Transfer.NewCommerce.
const TransferTypeNewCommerce = 3

// transferTypeNewCommerce5 is the value the TransferEntity page recommends
// ("NewCommerce"); CreateTransfer accepts it when a caller sets it.
const transferTypeNewCommerce5 = 5

// Target product types of NewTransfer.TargetProductTypes (nil means all).
const (
	TransferProductAzureSubscription = "AzureSubscription"
	TransferProductAzureReservation  = "AzureReservation"
	TransferProductAzureSavingsPlan  = "AzureSavingsPlan"
	TransferProductOnlineServicesNCE = "OnlineServicesNCE"
)

// TransferStatusCancel is the status the target partner sends to withdraw a
// pending transfer request.
const TransferStatusCancel = "Cancel"

// NewTransfer is the body of a transfer request the target partner creates.
// SourcePartnerTenantID (the customer's current partner) and CustomerEmailID
// (Microsoft notifies that address) are required. TargetPartnerTenantID
// defaults to the caller's partner tenant. TransferType defaults to
// TransferTypeNewCommerce.
type NewTransfer struct {
	SourcePartnerTenantID string   `json:"sourcePartnerTenantId"`
	SourcePartnerName     string   `json:"sourcePartnerName,omitempty"`
	CustomerEmailID       string   `json:"customerEmailId"`
	CustomerName          string   `json:"customerName,omitempty"`
	TargetPartnerTenantID string   `json:"targetPartnerTenantId,omitempty"`
	TargetPartnerEmailID  string   `json:"targetPartnerEmailId,omitempty"`
	TargetProductTypes    []string `json:"targetProductTypes,omitempty"`
	TransferType          int      `json:"transferType"`
}

// Transfer is a TransferEntity as Partner Center returns it. CustomerEmailID,
// TargetPartnerEmailID and LastModifiedUser are personal data: never log
// them.
type Transfer struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// TransferType is 3 or 5 for new commerce (see TransferTypeNewCommerce);
	// legacy transfers have none. It is read from a number or a numeric
	// string.
	TransferType    int    `json:"transferType,omitempty"`
	CustomerEmailID string `json:"customerEmailId,omitempty"`
	CustomerName    string `json:"customerName,omitempty"`
	// CustomerTenantID is the customer's tenant.
	CustomerTenantID string `json:"customerTenantId,omitempty"`
	// PartnerTenantID is the partner the entity was read by; legacy pages
	// spell it "partnertenantid", which is read too.
	PartnerTenantID       string `json:"partnerTenantId,omitempty"`
	SourcePartnerName     string `json:"sourcePartnerName,omitempty"`
	SourcePartnerTenantID string `json:"sourcePartnerTenantId,omitempty"`
	TargetPartnerName     string `json:"targetPartnerName,omitempty"`
	TargetPartnerTenantID string `json:"targetPartnerTenantId,omitempty"`
	TargetPartnerEmailID  string `json:"targetPartnerEmailId,omitempty"`
	CreatedTime           Time   `json:"createdTime"`
	LastModifiedTime      Time   `json:"lastModifiedTime"`
	// CompletedTime is set once the transfer is complete.
	CompletedTime Time `json:"completedTime"`
	// ExpirationTime is when a request nobody acts on becomes Expired.
	ExpirationTime   Time   `json:"expirationTime"`
	LastModifiedUser string `json:"lastModifiedUser,omitempty"`
	// TransferDirection tells incoming from outgoing transfers; Microsoft
	// does not document its values (an open-source client reads 1 as
	// incoming, 2 as outgoing).
	TransferDirection      int                `json:"transferDirection,omitempty"`
	IgnoreEligibilityCheck bool               `json:"ignoreEligibilityCheck,omitempty"`
	LineItems              []TransferLineItem `json:"lineItems,omitempty"`
	// TransferErrors is the legacy per-group failure list.
	TransferErrors []TransferError `json:"transferErrors,omitempty"`
	Links          TransferLinks   `json:"links"`
	Attributes     Attributes      `json:"attributes"`
}

// TransferLinks are the links of a TransferEntity.
type TransferLinks struct {
	Self *Link `json:"self,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler: transferType and
// transferDirection are read from a number or a numeric string, and the
// legacy "partnertenantid" spelling is accepted.
func (t *Transfer) UnmarshalJSON(b []byte) error {
	type plain Transfer
	var aux struct {
		plain
		TransferType      json.RawMessage `json:"transferType"`
		TransferDirection json.RawMessage `json:"transferDirection"`
		// The legacy spelling, a field of its own so that it is read even
		// when both spellings are present.
		LegacyPartnerTenantID string `json:"partnertenantid"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*t = Transfer(aux.plain)
	var err error
	if t.TransferType, err = flexInt("transferType", aux.TransferType); err != nil {
		return err
	}
	if t.TransferDirection, err = flexInt("transferDirection", aux.TransferDirection); err != nil {
		return err
	}
	if t.PartnerTenantID == "" {
		t.PartnerTenantID = aux.LegacyPartnerTenantID
	}
	return nil
}

// NewCommerce reports whether the transfer is a new-commerce transfer
// (transferType 3 or 5, see TransferTypeNewCommerce).
func (t Transfer) NewCommerce() bool {
	return t.TransferType == TransferTypeNewCommerce || t.TransferType == transferTypeNewCommerce5
}

// TransferLineItem is one subscription of a transfer (or, in AddonItems, an
// add-on moving with it).
type TransferLineItem struct {
	// ID is the line's index; read from a number or a numeric string.
	ID                   int    `json:"id"`
	SubscriptionID       string `json:"subscriptionId"`
	SourceSubscriptionID string `json:"sourceSubscriptionId,omitempty"`
	Quantity             int    `json:"quantity,omitempty"`
	BillingCycle         string `json:"billingCycle,omitempty"`
	FriendlyName         string `json:"friendlyName,omitempty"`
	PartnerIDOnRecord    string `json:"partnerIdOnRecord,omitempty"`
	OfferID              string `json:"offerId,omitempty"`
	EntitlementID        string `json:"entitlementId,omitempty"`
	TransferGroupID      string `json:"transferGroupId,omitempty"`
	// OrderID is the order that moved the line, once it moved (Microsoft's
	// list example; not in its TransferLineItem table).
	OrderID string `json:"orderId,omitempty"`
	Status  string `json:"status,omitempty"`
	// TransferError is set when the line failed. Microsoft documents a
	// string; an object {code, description} and null are read too.
	TransferError *TransferLineError `json:"transferError,omitempty"`
	AddonItems    []TransferLineItem `json:"addonItems,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler (see the field comments).
func (l *TransferLineItem) UnmarshalJSON(b []byte) error {
	type plain TransferLineItem
	var aux struct {
		plain
		ID            json.RawMessage `json:"id"`
		Quantity      json.RawMessage `json:"quantity"`
		TransferError json.RawMessage `json:"transferError"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*l = TransferLineItem(aux.plain)
	var err error
	if l.ID, err = flexInt("lineItems[].id", aux.ID); err != nil {
		return err
	}
	if l.Quantity, err = flexInt("lineItems[].quantity", aux.Quantity); err != nil {
		return err
	}
	l.TransferError = nil
	raw := bytes.TrimSpace(aux.TransferError)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`)) {
		return nil
	}
	var e TransferLineError
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("transferError: %w", err)
	}
	l.TransferError = &e
	return nil
}

// Failed reports whether the line failed to transfer: it carries a
// transferError with a code or a description, or its status says so
// (Failed, Error). code and description are Microsoft's, empty when the
// line only has a failed status. Add-ons report their own failures.
func (l TransferLineItem) Failed() (code, description string, failed bool) {
	if e := l.TransferError; e != nil && (e.Code != "" || strings.TrimSpace(e.Description) != "") {
		return string(e.Code), e.Description, true
	}
	switch normalizeStatus(l.Status) {
	case "failed", "failure", "error":
		return "", "", true
	}
	return "", "", false
}

// TransferLineError is why a line item failed.
type TransferLineError struct {
	Code        Code   `json:"code"`
	Description string `json:"description"`
}

// UnmarshalJSON implements json.Unmarshaler: a JSON string is the
// description (as Microsoft's examples send it), an object is read as
// {code, description}.
func (e *TransferLineError) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*e = TransferLineError{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = TransferLineError{Description: s}
		return nil
	}
	type plain TransferLineError
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = TransferLineError(p)
	return nil
}

// TransferError is a failed transfer group in the legacy shape
// (transferErrors[] of a transfer or of an accept result).
type TransferError struct {
	TransferGroupID string             `json:"transferGroupId"`
	Code            Code               `json:"code"`
	Description     string             `json:"description"`
	LineItems       []TransferLineItem `json:"lineItems,omitempty"`
}

// TransferOutcome is a transfer's status normalized across Microsoft's
// spellings.
type TransferOutcome string

// Transfer outcomes.
const (
	// TransferPending: nobody acted yet (InProgress, legacy Active).
	TransferPending TransferOutcome = "pending"
	// TransferComplete: Microsoft moved the subscriptions. Check each
	// line's Failed: a complete transfer can still have failed lines.
	TransferComplete TransferOutcome = "complete"
	// TransferExpired: nobody acted before expirationTime.
	TransferExpired TransferOutcome = "expired"
	// TransferCancelled: the target withdrew the request.
	TransferCancelled TransferOutcome = "cancelled"
	// TransferRejected: the source partner declined it.
	TransferRejected TransferOutcome = "rejected"
	// TransferUnknown: a status this client does not know.
	TransferUnknown TransferOutcome = "unknown"
)

// Outcome normalizes the transfer's status, case-insensitively:
// InProgress, Active, Pending or no status are pending; Complete,
// Completed and PartiallyComplete (Microsoft's list example; some lines
// failed) are complete; Expired is expired; Cancel, Canceled, Cancelled and
// Withdrawn are cancelled; Reject, Rejected and Declined are rejected;
// anything else is unknown.
func (t Transfer) Outcome() TransferOutcome {
	switch normalizeStatus(t.Status) {
	case "", "inprogress", "active", "pending":
		return TransferPending
	case "complete", "completed", "partiallycomplete", "partiallycompleted":
		return TransferComplete
	case "expired":
		return TransferExpired
	case "cancel", "canceled", "cancelled", "withdrawn":
		return TransferCancelled
	case "reject", "rejected", "declined":
		return TransferRejected
	default:
		return TransferUnknown
	}
}

// normalizeStatus lower-cases s and drops blanks, "_" and "-", so that
// "InProgress", "in_progress" and "In Progress" compare equal.
func normalizeStatus(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// flexInt reads an integer Partner Center may send as a number, a numeric
// string, "" or null (both 0), or absent (0). The TransferEntity page types
// transferType as a string holding a number; its names ModernAzure (3) and
// NewCommerce (5) are read too. Errors name field.
func flexInt(field string, raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%s: %w", field, err)
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "":
			return 0, nil
		case "modernazure":
			return 3, nil
		case "newcommerce":
			return transferTypeNewCommerce5, nil
		}
		s = strings.TrimSpace(s)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not an integer", field, raw)
	}
	return v, nil
}

// newTransferRequest validates a creation body and fills in its defaults.
func newTransferRequest(in NewTransfer) (NewTransfer, error) {
	if strings.TrimSpace(in.SourcePartnerTenantID) == "" {
		return NewTransfer{}, errors.New("partnercenter: transfer sourcePartnerTenantId is required")
	}
	if !isGUID(in.SourcePartnerTenantID) {
		return NewTransfer{}, errors.New("partnercenter: transfer sourcePartnerTenantId must be a GUID")
	}
	if strings.TrimSpace(in.CustomerEmailID) == "" {
		return NewTransfer{}, errors.New("partnercenter: transfer customerEmailId is required")
	}
	if !strings.Contains(in.CustomerEmailID, "@") {
		return NewTransfer{}, errors.New("partnercenter: transfer customerEmailId must be an e-mail address")
	}
	if in.TargetPartnerTenantID != "" && !isGUID(in.TargetPartnerTenantID) {
		return NewTransfer{}, errors.New("partnercenter: transfer targetPartnerTenantId must be a GUID")
	}
	if strings.EqualFold(in.SourcePartnerTenantID, in.TargetPartnerTenantID) {
		return NewTransfer{}, errors.New("partnercenter: transfer sourcePartnerTenantId and targetPartnerTenantId are the same partner")
	}
	switch in.TransferType {
	case 0:
		in.TransferType = TransferTypeNewCommerce
	case TransferTypeNewCommerce, transferTypeNewCommerce5:
	default:
		return NewTransfer{}, fmt.Errorf("partnercenter: transfer transferType %d is not a new-commerce transfer type (3 or 5)", in.TransferType)
	}
	in.CustomerEmailID = strings.TrimSpace(in.CustomerEmailID)
	in.TargetProductTypes = append([]string(nil), in.TargetProductTypes...)
	return in, nil
}

// isGUID reports whether s is a GUID in its plain 36-character form
// (uuid.Parse also takes braces and urn: prefixes, which Partner Center
// does not).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// CreateTransfer asks the customer's current partner (in.SourcePartnerTenantID)
// to transfer the customer's new-commerce subscriptions to this partner:
// POST /v1/customers/{id}/transfers. The customer must have accepted this
// partner's reseller relationship. Microsoft e-mails in.CustomerEmailID. The
// result is the new transfer, normally InProgress with no line items yet.
// The body is validated first (sourcePartnerTenantId a GUID, customerEmailId
// set) and nothing is sent when it is invalid; the error names the field.
// Pass the same requestID when repeating a creation, so that Partner Center
// answers with the first result instead of creating a second request.
func (c *Client) CreateTransfer(ctx context.Context, customerID string, in NewTransfer, requestID string) (Transfer, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return Transfer{}, err
	}
	body, err := newTransferRequest(in)
	if err != nil {
		return Transfer{}, err
	}
	var t Transfer
	_, err = c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPost, Path: "/v1/customers/" + id + "/transfers", Body: body,
		Tokens: c.app, RequestID: requestID, Expect: []int{http.StatusCreated, http.StatusOK}, What: "transfer",
	}, &t)
	if err != nil {
		return Transfer{}, err
	}
	if t.ID == "" {
		return Transfer{}, missing("transfer", "id")
	}
	return t, nil
}

// Transfer returns one transfer of the customer. An unknown transfer is an
// *msrest.Error (code 900100 or HTTP 404).
func (c *Client) Transfer(ctx context.Context, customerID, transferID string) (Transfer, error) {
	path, err := transferPath(customerID, transferID)
	if err != nil {
		return Transfer{}, err
	}
	var t Transfer
	if err := c.get(ctx, c.app, path, nil, "transfer", &t); err != nil {
		return Transfer{}, err
	}
	if t.ID == "" {
		return Transfer{}, missing("transfer", "id")
	}
	return t, nil
}

func transferPath(customerID, transferID string) (string, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return "", err
	}
	tid, err := seg("transfer id", transferID)
	if err != nil {
		return "", err
	}
	return "/v1/customers/" + id + "/transfers/" + tid, nil
}

// Transfers returns the customer's transfers, incoming and outgoing.
// Microsoft documents the answer as a bare JSON array; a ResourceCollection
// ({totalCount, items, links.next}) is read too, following its next links.
// Partner Center throttles this endpoint: poll one transfer with Transfer
// instead.
func (c *Client) Transfers(ctx context.Context, customerID string) ([]Transfer, error) {
	id, err := seg("customer id", customerID)
	if err != nil {
		return nil, err
	}
	items, err := list[Transfer](ctx, c, c.app, "/v1/customers/"+id+"/transfers", nil, "transfers")
	if err != nil {
		return nil, err
	}
	for _, t := range items {
		if t.ID == "" {
			return nil, missing("transfers", "id")
		}
	}
	return items, nil
}

// transferStatusUpdate is the cancel body. Microsoft's update-a-transfer
// page shows the cancel body opening with the transfer's id, and its legacy
// reject example is exactly {"id", "status"}; id and status are what is
// sent.
type transferStatusUpdate struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// CancelTransfer withdraws a pending transfer request this partner created:
// PATCH /v1/customers/{id}/transfers/{transferId} with status "Cancel".
// Only the target partner may cancel, and only while the transfer is
// pending; otherwise Partner Center answers an *msrest.Error (for example
// 900102 when it is already complete).
func (c *Client) CancelTransfer(ctx context.Context, customerID, transferID, requestID string) (Transfer, error) {
	path, err := transferPath(customerID, transferID)
	if err != nil {
		return Transfer{}, err
	}
	return c.patchTransfer(ctx, customerID, transferID, path, transferStatusUpdate{ID: transferID, Status: TransferStatusCancel}, requestID)
}

// transferAccept is the body the source partner sends to accept.
//
// UNCONFIRMED: the stored copies of Microsoft's new-commerce
// update-a-transfer page do not show its accept example in full. What the
// documents do show: every transfer PATCH body carries the transfer's id
// (the cancel and the legacy reject examples), the accept is a PATCH "with
// line item details", and the legacy create example lists lines as
// {subscriptionId, partnerIdOnRecord}. So the body is the id and the
// lines, with only the fields that identify what to move; no status is
// sent, because Microsoft names no status value for accepting (Cancel and
// reject are the documented ones) and guessing one could change the
// transfer's state in a way nobody asked for.
type transferAccept struct {
	ID        string                `json:"id"`
	LineItems []transferLineRequest `json:"lineItems"`
}

// transferLineRequest is a line as the source partner sends it: the fields
// Partner Center sets itself (status, transferError, transferGroupId,
// entitlementId) are left out.
type transferLineRequest struct {
	ID                int                   `json:"id"`
	SubscriptionID    string                `json:"subscriptionId"`
	Quantity          int                   `json:"quantity,omitempty"`
	BillingCycle      string                `json:"billingCycle,omitempty"`
	FriendlyName      string                `json:"friendlyName,omitempty"`
	PartnerIDOnRecord string                `json:"partnerIdOnRecord,omitempty"`
	OfferID           string                `json:"offerId,omitempty"`
	AddonItems        []transferLineRequest `json:"addonItems,omitempty"`
}

func acceptLines(items []TransferLineItem, where string) ([]transferLineRequest, error) {
	var out []transferLineRequest
	for i, it := range items {
		at := fmt.Sprintf("%s[%d]", where, i)
		if strings.TrimSpace(it.SubscriptionID) == "" {
			return nil, fmt.Errorf("partnercenter: transfer %s.subscriptionId is required", at)
		}
		if it.Quantity < 0 {
			return nil, fmt.Errorf("partnercenter: transfer %s.quantity must not be negative", at)
		}
		addons, err := acceptLines(it.AddonItems, at+".addonItems")
		if err != nil {
			return nil, err
		}
		out = append(out, transferLineRequest{
			ID: it.ID, SubscriptionID: it.SubscriptionID, Quantity: it.Quantity, BillingCycle: it.BillingCycle,
			FriendlyName: it.FriendlyName, PartnerIDOnRecord: it.PartnerIDOnRecord, OfferID: it.OfferID, AddonItems: addons,
		})
	}
	return out, nil
}

// AcceptTransfer is the source partner's call: it accepts the transfer for
// the given line items (at least one, each with a subscriptionId) with a
// PATCH of /v1/customers/{id}/transfers/{transferId}. The target partner
// that created the request cannot accept it. Microsoft then moves the
// subscriptions and the transfer becomes Complete; read it back with
// Transfer and check each line's Failed. The exact accept body is
// UNCONFIRMED (see transferAccept); invalid lines are refused, naming the
// field, before anything is sent.
func (c *Client) AcceptTransfer(ctx context.Context, customerID, transferID string, items []TransferLineItem, requestID string) (Transfer, error) {
	path, err := transferPath(customerID, transferID)
	if err != nil {
		return Transfer{}, err
	}
	if len(items) == 0 {
		return Transfer{}, errors.New("partnercenter: transfer lineItems: accepting needs at least one line item")
	}
	lines, err := acceptLines(items, "lineItems")
	if err != nil {
		return Transfer{}, err
	}
	return c.patchTransfer(ctx, customerID, transferID, path, transferAccept{ID: transferID, LineItems: lines}, requestID)
}

// patchTransfer sends an update and returns the transfer Partner Center
// answers. An accepted update without a body (202 or 204) is read back, so
// that the caller never repeats a change that was made.
func (c *Client) patchTransfer(ctx context.Context, customerID, transferID, path string, body any, requestID string) (Transfer, error) {
	ctx = operation(ctx)
	var t Transfer
	resp, err := c.rest.Do(ctx, msrest.Request{
		Method: http.MethodPatch, Path: path, Body: body,
		Tokens: c.app, RequestID: requestID, What: "transfer",
	}, &t)
	if err != nil {
		return Transfer{}, err
	}
	if t.ID == "" && (resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusNoContent) {
		return c.Transfer(ctx, customerID, transferID)
	}
	if t.ID == "" {
		return Transfer{}, missing("transfer", "id")
	}
	return t, nil
}
