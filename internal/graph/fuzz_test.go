package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/graph"
)

// FuzzResponses answers every Graph call with a fuzzed status and body: no panic, no endless paging.
func FuzzResponses(f *testing.F) {
	f.Add(200, []byte(`{"value":[{"id":"u1","assignedLicenses":[{"skuId":"x","disabledPlans":null}],"licenseAssignmentStates":[{"skuId":"x","assignedByGroup":"g"}]}],"@odata.nextLink":"/graph/v1.0/users?skip=1"}`))
	f.Add(200, []byte(`{"value":[{"id":"s","skuId":"x","status":"Enabled","totalLicenses":-5,"nextLifecycleDateTime":"soon"}]}`))
	f.Add(404, []byte(`{"error":{"code":"Request_ResourceNotFound","message":"gone","innerError":{"request-id":"r"}}}`))
	f.Add(200, []byte(`{"value":null}`))
	f.Add(200, []byte(`{"id":"rel","status":42}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		g, err := graph.New(graph.Config{
			BaseURL: srv.URL + "/graph/v1.0", PartnerTenantID: "p", MaxAttempts: 1, MaxPages: 3, CallTimeout: time.Second,
			Tokens: func(string) oauth2.TokenSource { return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}) },
			Sleep:  func(context.Context, time.Duration) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, _ = g.DirectorySubscriptions(ctx, "c")
		_, _ = g.UsersWithSku(ctx, "c", "6fd2c87f-b296-42f0-b197-1e91e994b900")
		_, _ = g.SubscribedSkus(ctx, "c")
		_, _ = g.DelegatedAdminRelationship(ctx, "rel")
	})
}
