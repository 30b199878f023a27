package partnercenter_test

import (
	"context"
	"fmt"

	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

// Example wires the clients the way a main does: one identity provider, a
// Partner Center client with the partner tenant's app-only and App+User
// token sources, and a Graph client that gets a token per tenant. Against
// the sandbox, BaseURL is http://127.0.0.1:8089 (Graph:
// http://127.0.0.1:8089/graph/v1.0, authority: http://127.0.0.1:8089/login).
func Example() {
	const partnerTenant = "4a9e3f2c-1b7d-4e8a-9c6f-2d5b8e1a7c30"
	ids, err := identity.New(identity.Config{ClientID: "app-id", ClientSecret: "secret", RefreshToken: "refresh-token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	pc, err := partnercenter.New(partnercenter.Config{
		AppTokens:  ids.AppOnly(partnerTenant, identity.ScopePartnerCenterApp),
		UserTokens: ids.AppUser(partnerTenant, identity.ScopePartnerCenterUser),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	gr, err := graph.New(graph.Config{Tokens: ids.GraphTokens, PartnerTenantID: partnerTenant})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = pc, gr

	// In an activity: one correlation ID per logical operation, a stable
	// MS-RequestId per purchase, and Partner Center's codes to branch on.
	ctx := msrest.WithCorrelationID(context.Background(), "activity-correlation-id")
	_, err = pc.CheckoutCart(ctx, "customer-tenant-id", "cart-id", "request-id-kept-in-workflow-state")
	switch {
	case msrest.Code(err) == partnercenter.CodeCartAlreadySubmitted:
		// Read the cart and its orders rather than buying again.
	case msrest.IsRetryable(err):
		// Let Temporal retry; msrest.RetryAfter(err) gives the delay asked for.
	}
}
