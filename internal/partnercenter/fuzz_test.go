package partnercenter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

// FuzzResponses answers every call with a fuzzed status and body: the client must return a value or an
// error, never panic, and stay within its body limit.
func FuzzResponses(f *testing.F) {
	f.Add(200, []byte(`{"id":"c1","companyProfile":{"tenantId":"t","domain":"d"},"relationshipToPartner":"reseller"}`))
	f.Add(201, []byte(`{"orders":[{"id":"o1","lineItems":[{"lineItemNumber":0,"offerId":"A:B:C","subscriptionId":"s1"}]}],"orderErrors":[]}`))
	f.Add(200, []byte(`{"totalCount":1,"items":[{"id":"s1","offerId":"A:B","quantity":-1,"cancellationAllowedUntilDate":"2026-01-01T00:00:00"}],"links":{"next":{"uri":"/v1/customers/x/subscriptions?seek=1"}}}`))
	f.Add(429, []byte(`{"statusCode":429,"message":"Rate limit is exceeded. Try again in 99999999999999999999 seconds."}`))
	f.Add(400, []byte(`{"code":800065,"description":"Cannot check out an already submitted cart","data":[]}`))
	f.Add(500, []byte(`<html>oops</html>`))
	f.Add(200, []byte(`{"isSigned":"yes"}`))
	f.Add(200, []byte(`null`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", strconv.Itoa(len(body)%3))
			w.WriteHeader(status)
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		pc, err := partnercenter.New(partnercenter.Config{
			BaseURL: srv.URL, AppTokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}),
			MaxAttempts: 1, CallTimeout: time.Second,
			Sleep: func(context.Context, time.Duration) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, _ = pc.Customer(ctx, "6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f")
		_, _ = pc.CheckoutCart(ctx, "c", "cart", "6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f")
		_, _ = pc.Subscriptions(ctx, "c")
		_, _ = pc.DirectSignStatus(ctx, "c")
		_, _ = pc.ProvisioningStatus(ctx, "c", "s")
		_, _ = pc.Skus(ctx, "c", "p")
	})
}
