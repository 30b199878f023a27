package partnercenter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

// Transfer test fixtures. The bodies follow the fields of Microsoft's
// new-commerce TransferEntity (the corpus only holds the legacy examples).
const (
	transferID     = "43fb1d3a-79fe-45a9-863e-9a4acf17b630"
	sourcePartner  = "7c8db11f-1e5e-4472-8386-f0b627d1f3e1"
	targetPartner  = "3a9a35ce-d5be-4814-ab58-4451c36fe157"
	transfersPath  = "/v1/customers/" + customerID + "/transfers"
	transferPath   = transfersPath + "/" + transferID
	customerNotify = "admin@contoso.example"
)

// ncTransfer is a new-commerce transfer as Partner Center answers the
// creation: InProgress, no lines yet. extra is spliced in as more fields.
func ncTransfer(id, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return `{
		"id": "` + id + `",
		"status": "InProgress",
		"transferType": 3,
		"customerEmailId": "` + customerNotify + `",
		"createdTime": "2024-04-30T18:31:41.5133355Z",
		"lastModifiedTime": "2024-04-30T18:31:41.5133355Z",
		"expirationTime": "2024-05-30T18:31:41.5133355Z",
		"customerName": "Contoso",
		"customerTenantId": "` + customerID + `",
		"partnerTenantId": "` + targetPartner + `",
		"sourcePartnerName": "Fabrikam",
		"sourcePartnerTenantId": "` + sourcePartner + `",
		"targetPartnerName": "Northwind CSP",
		"targetPartnerTenantId": "` + targetPartner + `",
		"transferDirection": 1,
		"ignoreEligibilityCheck": false,
		"lineItems": [],
		"links": {"self": {"uri": "/customers/` + customerID + `/transfers/` + id + `", "method": "GET", "headers": []}},
		"attributes": {"objectType": "TransferEntity"}` + extra + `
	}`
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "body %s", b)
	return m
}

func TestCreateTransfer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, f := setup(t)
		f.on("POST", transfersPath, reply{status: http.StatusCreated, body: ncTransfer(transferID, "")})
		got, err := c.CreateTransfer(context.Background(), customerID, partnercenter.NewTransfer{
			SourcePartnerTenantID: sourcePartner,
			SourcePartnerName:     "Fabrikam",
			CustomerEmailID:       " " + customerNotify + " ",
			CustomerName:          "Contoso",
			TargetProductTypes:    []string{partnercenter.TransferProductOnlineServicesNCE},
		}, "create-req-1")
		require.NoError(t, err)

		reqs := f.requests()
		require.Len(t, reqs, 1)
		r := reqs[0]
		require.Equal(t, "POST", r.Method)
		require.Equal(t, transfersPath, r.Path)
		require.Equal(t, "create-req-1", r.Header.Get("MS-RequestId"), "the caller's idempotency key")
		require.NotEmpty(t, r.Header.Get("MS-CorrelationId"))
		require.Equal(t, "Bearer app-token", r.Header.Get("Authorization"))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Equal(t, map[string]any{
			"sourcePartnerTenantId": sourcePartner,
			"sourcePartnerName":     "Fabrikam",
			"customerEmailId":       customerNotify,
			"customerName":          "Contoso",
			"targetProductTypes":    []any{"OnlineServicesNCE"},
			"transferType":          float64(3),
		}, decodeJSON(t, r.Body), "optional fields left out, transferType defaulted")

		require.Equal(t, transferID, got.ID)
		require.Equal(t, "InProgress", got.Status)
		require.Equal(t, partnercenter.TransferPending, got.Outcome())
		require.Equal(t, partnercenter.TransferTypeNewCommerce, got.TransferType)
		require.True(t, got.NewCommerce())
		require.Equal(t, customerNotify, got.CustomerEmailID)
		require.Equal(t, utc("2024-04-30T18:31:41.5133355Z"), got.CreatedTime.Time)
		require.Equal(t, utc("2024-05-30T18:31:41.5133355Z"), got.ExpirationTime.Time)
		require.True(t, got.CompletedTime.IsZero())
		require.Equal(t, 1, got.TransferDirection)
		require.Equal(t, targetPartner, got.PartnerTenantID)
		require.Equal(t, sourcePartner, got.SourcePartnerTenantID)
		require.Empty(t, got.LineItems)
		require.Equal(t, "TransferEntity", got.Attributes.ObjectType)
		require.Equal(t, "/customers/"+customerID+"/transfers/"+transferID, got.Links.Self.URI)
	})

	t.Run("TransferType5", func(t *testing.T) {
		c, f := setup(t)
		f.on("POST", transfersPath, reply{status: http.StatusOK, body: ncTransfer(transferID, "")})
		_, err := c.CreateTransfer(context.Background(), customerID, partnercenter.NewTransfer{
			SourcePartnerTenantID: sourcePartner, CustomerEmailID: customerNotify, TargetPartnerTenantID: targetPartner, TransferType: 5,
		}, "create-req-2")
		require.NoError(t, err)
		body := decodeJSON(t, f.requests()[0].Body)
		require.Equal(t, float64(5), body["transferType"])
		require.Equal(t, targetPartner, body["targetPartnerTenantId"])
	})
}

func TestCreateTransferValidatesWithoutSending(t *testing.T) {
	valid := partnercenter.NewTransfer{SourcePartnerTenantID: sourcePartner, CustomerEmailID: customerNotify}
	tests := []struct {
		name     string
		customer string
		give     func(*partnercenter.NewTransfer)
		want     string
	}{
		{name: "ErrSourceRequired", give: func(n *partnercenter.NewTransfer) { n.SourcePartnerTenantID = " " }, want: "sourcePartnerTenantId is required"},
		{name: "ErrSourceNotGUID", give: func(n *partnercenter.NewTransfer) { n.SourcePartnerTenantID = "fabrikam.onmicrosoft.com" }, want: "sourcePartnerTenantId must be a GUID"},
		{name: "ErrSourceBraces", give: func(n *partnercenter.NewTransfer) { n.SourcePartnerTenantID = "{" + sourcePartner + "}" }, want: "sourcePartnerTenantId must be a GUID"},
		{name: "ErrEmailRequired", give: func(n *partnercenter.NewTransfer) { n.CustomerEmailID = "" }, want: "customerEmailId is required"},
		{name: "ErrEmailNotAnAddress", give: func(n *partnercenter.NewTransfer) { n.CustomerEmailID = "Contoso" }, want: "customerEmailId must be an e-mail address"},
		{name: "ErrTargetNotGUID", give: func(n *partnercenter.NewTransfer) { n.TargetPartnerTenantID = "northwind" }, want: "targetPartnerTenantId must be a GUID"},
		{name: "ErrSameAsSource", give: func(n *partnercenter.NewTransfer) { n.TargetPartnerTenantID = strings.ToUpper(sourcePartner) }, want: "targetPartnerTenantId are the same"},
		{name: "ErrTransferType", give: func(n *partnercenter.NewTransfer) { n.TransferType = 1 }, want: "transferType 1"},
		{name: "ErrCustomerID", customer: " ", give: func(*partnercenter.NewTransfer) {}, want: "customer id is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			in := valid
			tt.give(&in)
			cust := customerID
			if tt.customer != "" {
				cust = tt.customer
			}
			_, err := c.CreateTransfer(context.Background(), cust, in, "req")
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, f.requests(), "nothing is sent")
			_, isHTTP := msrest.AsError(err)
			require.False(t, isHTTP)
		})
	}
}

func TestTransferDecodesMicrosoftsVariants(t *testing.T) {
	get := func(t *testing.T, body string) (partnercenter.Transfer, error) {
		t.Helper()
		c, f := setup(t)
		f.on("GET", transferPath, reply{status: http.StatusOK, body: body})
		return c.Transfer(context.Background(), customerID, transferID)
	}

	t.Run("TransferType", func(t *testing.T) {
		tests := []struct {
			give   string
			want   int
			wantNC bool
		}{
			{give: `3`, want: 3, wantNC: true},
			{give: `5`, want: 5, wantNC: true},
			{give: `"5"`, want: 5, wantNC: true},
			{give: `" 3 "`, want: 3, wantNC: true},
			{give: `"NewCommerce"`, want: 5, wantNC: true},
			{give: `"ModernAzure"`, want: 3, wantNC: true},
			{give: `null`, want: 0},
			{give: `""`, want: 0},
			{give: `1`, want: 1},
		}
		for _, tt := range tests {
			t.Run(tt.give, func(t *testing.T) {
				body := strings.Replace(ncTransfer(transferID, ""), `"transferType": 3`, `"transferType": `+tt.give, 1)
				got, err := get(t, body)
				require.NoError(t, err)
				require.Equal(t, tt.want, got.TransferType)
				require.Equal(t, tt.wantNC, got.NewCommerce())
			})
		}
		t.Run("absent", func(t *testing.T) {
			got, err := get(t, `{"id":"`+transferID+`","status":"Active"}`)
			require.NoError(t, err)
			require.Zero(t, got.TransferType)
		})
		t.Run("ErrNotANumber", func(t *testing.T) {
			body := strings.Replace(ncTransfer(transferID, ""), `"transferType": 3`, `"transferType": "three"`, 1)
			_, err := get(t, body)
			require.ErrorContains(t, err, "decode transfer: transferType")
		})
		t.Run("transferDirection as a string", func(t *testing.T) {
			body := strings.Replace(ncTransfer(transferID, ""), `"transferDirection": 1`, `"transferDirection": "2"`, 1)
			got, err := get(t, body)
			require.NoError(t, err)
			require.Equal(t, 2, got.TransferDirection)
		})
	})

	t.Run("partnertenantid", func(t *testing.T) {
		got, err := get(t, `{"id":"`+transferID+`","partnertenantid":"`+targetPartner+`"}`)
		require.NoError(t, err)
		require.Equal(t, targetPartner, got.PartnerTenantID)

		got, err = get(t, `{"id":"`+transferID+`","partnerTenantId":"`+targetPartner+`","partnertenantid":"`+sourcePartner+`"}`)
		require.NoError(t, err)
		require.Equal(t, targetPartner, got.PartnerTenantID, "the camelCase spelling wins")
	})

	t.Run("completed with seven fractional digits", func(t *testing.T) {
		body := strings.Replace(ncTransfer(transferID, `"completedTime": "2024-05-02T09:15:03.0000001Z"`), `"InProgress"`, `"Complete"`, 1)
		got, err := get(t, body)
		require.NoError(t, err)
		require.Equal(t, partnercenter.TransferComplete, got.Outcome())
		require.Equal(t, utc("2024-05-02T09:15:03.0000001Z"), got.CompletedTime.Time)
		require.Equal(t, 100, got.CompletedTime.Nanosecond())
	})

	t.Run("line items", func(t *testing.T) {
		body := strings.Replace(ncTransfer(transferID, ""), `"lineItems": []`, `"lineItems": [
			{"id": 0, "subscriptionId": "sub-ok", "quantity": 5, "status": "Complete", "transferError": null,
			 "addonItems": [{"id": "0", "subscriptionId": "addon-1", "quantity": "2", "transferError": "Add-on not eligible"}]},
			{"id": "1", "subscriptionId": "sub-string-error", "quantity": 1, "status": "Failed",
			 "transferError": "Subscription has already been transfered."},
			{"id": 2, "subscriptionId": "sub-object-error", "quantity": 1,
			 "transferError": {"code": 900103, "description": "The transfer order is not successful."}},
			{"id": 3, "subscriptionId": "sub-string-code", "quantity": 1,
			 "transferError": {"code": "800004", "description": ""}},
			{"id": 4, "subscriptionId": "sub-status-only", "quantity": 1, "status": "error"},
			{"id": 5, "subscriptionId": "sub-empty-error", "quantity": 1, "transferError": "", "status": "InProgress",
			 "sourceSubscriptionId": "src-5", "entitlementId": "ent-5", "transferGroupId": "5", "offerId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
			 "billingCycle": "monthly", "friendlyName": "Business Basic", "partnerIdOnRecord": "5139005", "orderId": "ord-5"}
		]`, 1)
		got, err := get(t, body)
		require.NoError(t, err)
		ls := got.LineItems
		require.Len(t, ls, 6)

		type failure struct {
			code, description string
			failed            bool
		}
		failedOf := func(l partnercenter.TransferLineItem) failure {
			c, d, f := l.Failed()
			return failure{c, d, f}
		}
		require.Nil(t, ls[0].TransferError)
		require.Equal(t, failure{}, failedOf(ls[0]))
		require.Equal(t, 5, ls[0].Quantity)
		addon := ls[0].AddonItems[0]
		require.Equal(t, 2, addon.Quantity, "quantity read from a string")
		require.Equal(t, failure{"", "Add-on not eligible", true}, failedOf(addon))

		require.Equal(t, 1, ls[1].ID, "id read from a string")
		require.Equal(t, &partnercenter.TransferLineError{Description: "Subscription has already been transfered."}, ls[1].TransferError)
		require.Equal(t, failure{"", "Subscription has already been transfered.", true}, failedOf(ls[1]))

		require.Equal(t, failure{partnercenter.CodeTransferOrderFailed, "The transfer order is not successful.", true}, failedOf(ls[2]))
		require.Equal(t, failure{partnercenter.CodeTransferInvalidOffer, "", true}, failedOf(ls[3]))
		require.Equal(t, failure{"", "", true}, failedOf(ls[4]), "a failed status alone")

		require.Nil(t, ls[5].TransferError, `"" is no error`)
		require.Equal(t, failure{}, failedOf(ls[5]))
		require.Equal(t, partnercenter.TransferLineItem{
			ID: 5, SubscriptionID: "sub-empty-error", SourceSubscriptionID: "src-5", Quantity: 1, BillingCycle: "monthly",
			FriendlyName: "Business Basic", PartnerIDOnRecord: "5139005", OfferID: "CFQ7TTC0LH18:0001:CFQ7TTC0K971",
			EntitlementID: "ent-5", TransferGroupID: "5", OrderID: "ord-5", Status: "InProgress",
		}, ls[5])
	})

	t.Run("legacy transferErrors", func(t *testing.T) {
		got, err := get(t, ncTransfer(transferID, `"transferErrors": [{"transferGroupId": "1", "code": 900103, "description": "Subscription SyncState must be SyncComplete",
			"lineItems": [{"id": 1, "subscriptionId": "sub-1", "sourceSubscriptionId": "sub-1"}]}]`))
		require.NoError(t, err)
		require.Len(t, got.TransferErrors, 1)
		require.Equal(t, partnercenter.Code(partnercenter.CodeTransferOrderFailed), got.TransferErrors[0].Code)
		require.Equal(t, "1", got.TransferErrors[0].TransferGroupID)
		require.Equal(t, "sub-1", got.TransferErrors[0].LineItems[0].SourceSubscriptionID)
	})

	t.Run("ErrBadTransferError", func(t *testing.T) {
		body := strings.Replace(ncTransfer(transferID, ""), `"lineItems": []`, `"lineItems": [{"id": 0, "transferError": 42}]`, 1)
		_, err := get(t, body)
		require.ErrorContains(t, err, "decode transfer: transferError")
	})

	t.Run("ErrBadLineID", func(t *testing.T) {
		body := strings.Replace(ncTransfer(transferID, ""), `"lineItems": []`, `"lineItems": [{"id": "first"}]`, 1)
		_, err := get(t, body)
		require.ErrorContains(t, err, "decode transfer: lineItems[].id")
	})
}

// A Transfer survives its own JSON encoding: Temporal carries activity
// results as JSON.
func TestTransferRoundTrips(t *testing.T) {
	var in partnercenter.Transfer
	body := strings.Replace(ncTransfer(transferID, `"completedTime": "2024-05-02T09:15:03.0000001Z"`), `"lineItems": []`, `"lineItems": [
		{"id": 1, "subscriptionId": "a", "quantity": 3, "transferError": {"code": 900103, "description": "failed"},
		 "addonItems": [{"id": 0, "subscriptionId": "b", "transferError": "no"}]}]`, 1)
	require.NoError(t, json.Unmarshal([]byte(body), &in))
	in.Links.Self.Headers = nil // Link leaves out an empty headers list
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var out partnercenter.Transfer
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, in, out)
}

func TestTransfers(t *testing.T) {
	t.Run("bare array", func(t *testing.T) {
		c, f := setup(t)
		f.on("GET", transfersPath, reply{status: http.StatusOK, body: "[" + ncTransfer("t-1", "") + "," + ncTransfer("t-2", "") + "]"})
		got, err := c.Transfers(context.Background(), customerID)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, "t-1", got[0].ID)
		require.Equal(t, "t-2", got[1].ID)
		require.Equal(t, "GET", f.requests()[0].Method)
	})

	t.Run("empty array", func(t *testing.T) {
		c, f := setup(t)
		f.on("GET", transfersPath, reply{status: http.StatusOK, body: `[]`})
		got, err := c.Transfers(context.Background(), customerID)
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("collection with a next link", func(t *testing.T) {
		c, f := setup(t)
		page1 := `{"totalCount": 3, "items": [` + ncTransfer("t-1", "") + `,` + ncTransfer("t-2", "") + `],
			"links": {"next": {"uri": "/customers/` + customerID + `/transfers?seekOperation=Next", "method": "GET",
				"headers": [{"key": "MS-ContinuationToken", "value": "tok-2"}]}},
			"attributes": {"objectType": "Collection"}}`
		page2 := `{"totalCount": 3, "items": [` + ncTransfer("t-3", "") + `], "links": {}, "attributes": {"objectType": "Collection"}}`
		f.on("GET", transfersPath, reply{status: http.StatusOK, body: page1}, reply{status: http.StatusOK, body: page2})
		got, err := c.Transfers(context.Background(), customerID)
		require.NoError(t, err)
		var ids []string
		for _, tr := range got {
			ids = append(ids, tr.ID)
		}
		require.Equal(t, []string{"t-1", "t-2", "t-3"}, ids)
		reqs := f.requests()
		require.Len(t, reqs, 2)
		require.Empty(t, reqs[0].Header.Get("MS-ContinuationToken"))
		require.Equal(t, "tok-2", reqs[1].Header.Get("MS-ContinuationToken"))
		require.Equal(t, "Next", reqs[1].Query.Get("seekOperation"))
		require.Equal(t, reqs[0].Header.Get("MS-CorrelationId"), reqs[1].Header.Get("MS-CorrelationId"), "one operation")
	})

	t.Run("ErrRepeatingNextLink", func(t *testing.T) {
		c, f := setup(t)
		page := `{"items": [` + ncTransfer("t-1", "") + `], "links": {"next": {"uri": "/customers/` + customerID + `/transfers?page=2"}}}`
		f.on("GET", transfersPath, reply{status: http.StatusOK, body: page})
		_, err := c.Transfers(context.Background(), customerID)
		require.ErrorContains(t, err, "next link repeats itself")
	})

	t.Run("ErrMissingID", func(t *testing.T) {
		c, f := setup(t)
		f.on("GET", transfersPath, reply{status: http.StatusOK, body: `[` + ncTransfer("t-1", "") + `, {"status": "InProgress"}]`})
		_, err := c.Transfers(context.Background(), customerID)
		require.EqualError(t, err, "decode transfers: missing id")
	})

	t.Run("ErrNotAList", func(t *testing.T) {
		c, f := setup(t)
		f.on("GET", transfersPath, reply{status: http.StatusOK, body: `"transfers"`})
		_, err := c.Transfers(context.Background(), customerID)
		require.ErrorContains(t, err, "decode transfers")
	})
}

func TestCancelTransfer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, f := setup(t)
		f.on("PATCH", transferPath, reply{status: http.StatusOK, body: strings.Replace(ncTransfer(transferID, ""), `"InProgress"`, `"Canceled"`, 1)})
		got, err := c.CancelTransfer(context.Background(), customerID, transferID, "cancel-req-1")
		require.NoError(t, err)
		require.Equal(t, partnercenter.TransferCancelled, got.Outcome())
		reqs := f.requests()
		require.Len(t, reqs, 1)
		require.Equal(t, "PATCH", reqs[0].Method)
		require.Equal(t, transferPath, reqs[0].Path)
		require.Equal(t, "cancel-req-1", reqs[0].Header.Get("MS-RequestId"))
		require.Equal(t, map[string]any{"id": transferID, "status": "Cancel"}, decodeJSON(t, reqs[0].Body))
	})

	t.Run("accepted without a body is read back", func(t *testing.T) {
		c, f := setup(t)
		f.on("PATCH", transferPath, reply{status: http.StatusAccepted})
		f.on("GET", transferPath, reply{status: http.StatusOK, body: strings.Replace(ncTransfer(transferID, ""), `"InProgress"`, `"Cancelled"`, 1)})
		got, err := c.CancelTransfer(context.Background(), customerID, transferID, "cancel-req-2")
		require.NoError(t, err)
		require.Equal(t, partnercenter.TransferCancelled, got.Outcome())
		reqs := f.requests()
		require.Len(t, reqs, 2)
		require.Equal(t, "GET", reqs[1].Method)
		require.Equal(t, reqs[0].Header.Get("MS-CorrelationId"), reqs[1].Header.Get("MS-CorrelationId"))
	})

	t.Run("ErrEmptyTransferID", func(t *testing.T) {
		c, f := setup(t)
		_, err := c.CancelTransfer(context.Background(), customerID, "", "req")
		require.ErrorContains(t, err, "transfer id is required")
		require.Empty(t, f.requests())
	})
}

func TestAcceptTransfer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, f := setup(t)
		f.on("PATCH", transferPath, reply{status: http.StatusOK, body: ncTransfer(transferID, "")})
		items := []partnercenter.TransferLineItem{
			{
				ID: 0, SubscriptionID: "sub-1", Quantity: 5, OfferID: "CFQ7TTC0LH18:0001:CFQ7TTC0K971", BillingCycle: "monthly",
				// Partner Center's own fields are not sent back.
				Status: "Failed", TransferError: &partnercenter.TransferLineError{Code: "900103"}, TransferGroupID: "0", EntitlementID: "ent", OrderID: "ord",
				AddonItems: []partnercenter.TransferLineItem{{ID: 0, SubscriptionID: "addon-1", Quantity: 5}},
			},
			{ID: 1, SubscriptionID: "sub-2", PartnerIDOnRecord: "517285"},
		}
		got, err := c.AcceptTransfer(context.Background(), customerID, transferID, items, "accept-req-1")
		require.NoError(t, err)
		require.Equal(t, transferID, got.ID)
		r := f.requests()[0]
		require.Equal(t, "PATCH", r.Method)
		require.Equal(t, transferPath, r.Path)
		require.Equal(t, "accept-req-1", r.Header.Get("MS-RequestId"))
		require.Equal(t, map[string]any{
			"id": transferID,
			"lineItems": []any{
				map[string]any{
					"id": float64(0), "subscriptionId": "sub-1", "quantity": float64(5), "offerId": "CFQ7TTC0LH18:0001:CFQ7TTC0K971", "billingCycle": "monthly",
					"addonItems": []any{map[string]any{"id": float64(0), "subscriptionId": "addon-1", "quantity": float64(5)}},
				},
				map[string]any{"id": float64(1), "subscriptionId": "sub-2", "partnerIdOnRecord": "517285"},
			},
		}, decodeJSON(t, r.Body))
	})

	tests := []struct {
		name  string
		items []partnercenter.TransferLineItem
		want  string
	}{
		{name: "ErrNoLines", want: "transfer lineItems: accepting needs at least one line item"},
		{name: "ErrSubscriptionID", items: []partnercenter.TransferLineItem{{SubscriptionID: "a"}, {ID: 1}}, want: "transfer lineItems[1].subscriptionId is required"},
		{name: "ErrAddonSubscriptionID", items: []partnercenter.TransferLineItem{{SubscriptionID: "a", AddonItems: []partnercenter.TransferLineItem{{}}}}, want: "transfer lineItems[0].addonItems[0].subscriptionId is required"},
		{name: "ErrQuantity", items: []partnercenter.TransferLineItem{{SubscriptionID: "a", Quantity: -1}}, want: "transfer lineItems[0].quantity must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			_, err := c.AcceptTransfer(context.Background(), customerID, transferID, tt.items, "req")
			require.EqualError(t, err, "partnercenter: "+tt.want)
			require.Empty(t, f.requests())
		})
	}
}

func TestTransferOutcome(t *testing.T) {
	tests := []struct {
		give string
		want partnercenter.TransferOutcome
	}{
		{"", partnercenter.TransferPending},
		{"InProgress", partnercenter.TransferPending},
		{"inprogress", partnercenter.TransferPending},
		{"In Progress", partnercenter.TransferPending},
		{"in_progress", partnercenter.TransferPending},
		{"Active", partnercenter.TransferPending},
		{"Pending", partnercenter.TransferPending},
		{"Complete", partnercenter.TransferComplete},
		{"COMPLETED", partnercenter.TransferComplete},
		{"PartiallyComplete", partnercenter.TransferComplete},
		{"Expired", partnercenter.TransferExpired},
		{"Cancel", partnercenter.TransferCancelled},
		{"Canceled", partnercenter.TransferCancelled},
		{"cancelled", partnercenter.TransferCancelled},
		{"Withdrawn", partnercenter.TransferCancelled},
		{"Reject", partnercenter.TransferRejected},
		{"rejected", partnercenter.TransferRejected},
		{"Declined", partnercenter.TransferRejected},
		{"Failed", partnercenter.TransferUnknown},
		{"Submitted", partnercenter.TransferUnknown},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.give), func(t *testing.T) {
			require.Equal(t, tt.want, partnercenter.Transfer{Status: tt.give}.Outcome())
		})
	}
}

func TestTransferLineFailed(t *testing.T) {
	tests := []struct {
		name     string
		give     partnercenter.TransferLineItem
		wantCode string
		wantDesc string
		want     bool
	}{
		{name: "no error", give: partnercenter.TransferLineItem{Status: "Complete"}},
		{name: "empty error", give: partnercenter.TransferLineItem{TransferError: &partnercenter.TransferLineError{Description: " "}}},
		{name: "description", give: partnercenter.TransferLineItem{TransferError: &partnercenter.TransferLineError{Description: "not eligible"}}, wantDesc: "not eligible", want: true},
		{name: "code", give: partnercenter.TransferLineItem{TransferError: &partnercenter.TransferLineError{Code: "900103"}}, wantCode: "900103", want: true},
		{name: "status Failed", give: partnercenter.TransferLineItem{Status: "Failed"}, want: true},
		{name: "status error", give: partnercenter.TransferLineItem{Status: "ERROR"}, want: true},
		{name: "status InProgress", give: partnercenter.TransferLineItem{Status: "InProgress"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, desc, failed := tt.give.Failed()
			require.Equal(t, tt.wantCode, code)
			require.Equal(t, tt.wantDesc, desc)
			require.Equal(t, tt.want, failed)
		})
	}
}

func TestTransferErrorsAreTyped(t *testing.T) {
	errBody := func(code, desc string) string {
		return `{"code":` + code + `,"description":"` + desc + `","data":[],"source":"PartnerFD"}`
	}
	create := func(ctx context.Context, c *partnercenter.Client) error {
		_, err := c.CreateTransfer(ctx, customerID, partnercenter.NewTransfer{SourcePartnerTenantID: sourcePartner, CustomerEmailID: customerNotify}, "req")
		return err
	}
	get := func(ctx context.Context, c *partnercenter.Client) error {
		_, err := c.Transfer(ctx, customerID, transferID)
		return err
	}
	cancel := func(ctx context.Context, c *partnercenter.Client) error {
		_, err := c.CancelTransfer(ctx, customerID, transferID, "req")
		return err
	}
	tests := []struct {
		name         string
		method, path string
		status       int
		body         string
		call         func(context.Context, *partnercenter.Client) error
		wantCode     string
		wantNotFound bool
	}{
		{name: "already in progress", method: "POST", path: transfersPath, status: http.StatusConflict,
			body: errBody("900101", "The transfer request is already in progress."), call: create, wantCode: partnercenter.CodeTransferInProgress},
		{name: "not found", method: "GET", path: transferPath, status: http.StatusNotFound,
			body: errBody(`"900100"`, "Transfer request not found."), call: get, wantCode: partnercenter.CodeTransferNotFound, wantNotFound: true},
		{name: "already complete", method: "PATCH", path: transferPath, status: http.StatusBadRequest,
			body: errBody("900102", "The transfer request is already complete."), call: cancel, wantCode: partnercenter.CodeTransferAlreadyComplete},
		{name: "processed by another request", method: "PATCH", path: transferPath, status: http.StatusConflict,
			body: errBody("900104", "The transfer is being processed by another request."), call: cancel, wantCode: partnercenter.CodeTransferProcessedByAnotherRequest},
		{name: "order failed", method: "PATCH", path: transferPath, status: http.StatusBadRequest,
			body: errBody("900103", "The transfer order is not successful."), call: cancel, wantCode: partnercenter.CodeTransferOrderFailed},
		{name: "invalid input", method: "POST", path: transfersPath, status: http.StatusBadRequest,
			body: errBody("800002", "Invalid request input."), call: create, wantCode: partnercenter.CodeTransferInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			f.on(tt.method, tt.path, reply{status: tt.status, body: tt.body})
			err := tt.call(context.Background(), c)
			e, ok := msrest.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, tt.wantCode, msrest.Code(err))
			require.Equal(t, tt.status, msrest.StatusCode(err))
			require.NotEmpty(t, e.Description)
			require.Equal(t, tt.wantNotFound, msrest.IsNotFound(err))
			require.False(t, msrest.IsRetryable(err), "business errors are not retried")
			require.Len(t, f.requests(), 1, "and not repeated inside the call")
		})
	}
}

func TestTransferAnswersWithoutID(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		status       int
		body         string
		call         func(context.Context, *partnercenter.Client) (partnercenter.Transfer, error)
		want         string
	}{
		{name: "create without id", method: "POST", path: transfersPath, status: http.StatusCreated, body: `{"status":"InProgress"}`,
			call: func(ctx context.Context, c *partnercenter.Client) (partnercenter.Transfer, error) {
				return c.CreateTransfer(ctx, customerID, partnercenter.NewTransfer{SourcePartnerTenantID: sourcePartner, CustomerEmailID: customerNotify}, "req")
			}, want: "decode transfer: missing id"},
		{name: "create not JSON", method: "POST", path: transfersPath, status: http.StatusCreated, body: `<html>`,
			call: func(ctx context.Context, c *partnercenter.Client) (partnercenter.Transfer, error) {
				return c.CreateTransfer(ctx, customerID, partnercenter.NewTransfer{SourcePartnerTenantID: sourcePartner, CustomerEmailID: customerNotify}, "req")
			}, want: "decode transfer:"},
		{name: "get without id", method: "GET", path: transferPath, status: http.StatusOK, body: `{}`,
			call: func(ctx context.Context, c *partnercenter.Client) (partnercenter.Transfer, error) {
				return c.Transfer(ctx, customerID, transferID)
			}, want: "decode transfer: missing id"},
		{name: "get with a numeric id", method: "GET", path: transferPath, status: http.StatusOK, body: `{"id": 7}`,
			call: func(ctx context.Context, c *partnercenter.Client) (partnercenter.Transfer, error) {
				return c.Transfer(ctx, customerID, transferID)
			}, want: "decode transfer:"},
		{name: "cancel without id", method: "PATCH", path: transferPath, status: http.StatusOK, body: `{"status":"Cancel"}`,
			call: func(ctx context.Context, c *partnercenter.Client) (partnercenter.Transfer, error) {
				return c.CancelTransfer(ctx, customerID, transferID, "req")
			}, want: "decode transfer: missing id"},
		{name: "accept with an empty 200", method: "PATCH", path: transferPath, status: http.StatusOK, body: ``,
			call: func(ctx context.Context, c *partnercenter.Client) (partnercenter.Transfer, error) {
				return c.AcceptTransfer(ctx, customerID, transferID, []partnercenter.TransferLineItem{{SubscriptionID: "a"}}, "req")
			}, want: "decode transfer: empty body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := setup(t)
			f.on(tt.method, tt.path, reply{status: tt.status, body: tt.body})
			_, err := tt.call(context.Background(), c)
			require.ErrorContains(t, err, tt.want)
			_, isHTTP := msrest.AsError(err)
			require.False(t, isHTTP, "a decode error, not a service error")
		})
	}
}

// FuzzTransferDecode feeds arbitrary bodies to the tolerant decoders: they
// return a value or an error, never panic, and what they accept survives
// its own encoding.
func FuzzTransferDecode(f *testing.F) {
	f.Add([]byte(ncTransfer(transferID, "")))
	f.Add([]byte(`{"id":"t","transferType":"5","partnertenantid":"p","lineItems":[{"id":"1","quantity":"2","transferError":{"code":900103,"description":"x"},"addonItems":[{"transferError":"y"}]}]}`))
	f.Add([]byte(`{"id":"t","transferType":null,"lineItems":[{"transferError":null},{"transferError":""},{"transferError":[1]}]}`))
	f.Add([]byte(`[{"id":"t"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var tr partnercenter.Transfer
		if json.Unmarshal(body, &tr) != nil {
			return
		}
		_ = tr.Outcome()
		for _, l := range tr.LineItems {
			_, _, _ = l.Failed()
		}
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatalf("marshal %+v: %v", tr, err)
		}
		var again partnercenter.Transfer
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("decode own encoding %s: %v", b, err)
		}
	})
}
