package activities

import (
	"context"
	"go.temporal.io/sdk/temporal"
)

// Activities holds the clients every activity uses. The worker builds it once and registers it.
type Activities struct{}

var errPending = temporal.NewNonRetryableApplicationError("this activity is not implemented in this build", "NotImplemented", nil)

// SelectPartner picks the partner tenant in the customer's CSP regional market.
func (a *Activities) SelectPartner(ctx context.Context, in SelectPartnerInput) (SelectPartnerResult, error) {
	return SelectPartnerResult{}, errPending
}

// Invite fetches the invitation link, requests GDAP when asked and notifies the contact.
func (a *Activities) Invite(ctx context.Context, in InviteInput) (InviteResult, error) {
	return InviteResult{}, errPending
}

// CheckRelationship verifies acceptance against Partner Center.
func (a *Activities) CheckRelationship(ctx context.Context, in CheckRelationshipInput) (CheckRelationshipResult, error) {
	return CheckRelationshipResult{}, errPending
}

// Notify sends a message to the customer's contact.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	return NotifyResult{}, errPending
}

// EnsureAgreement checks the customer agreement.
func (a *Activities) EnsureAgreement(ctx context.Context, in EnsureAgreementInput) (EnsureAgreementResult, error) {
	return EnsureAgreementResult{}, errPending
}

// Discover lists the originals.
func (a *Activities) Discover(ctx context.Context, in DiscoverInput) (DiscoverResult, error) {
	return DiscoverResult{}, errPending
}

// Catalog reads catalog facts.
func (a *Activities) Catalog(ctx context.Context, in CatalogInput) (CatalogResult, error) {
	return CatalogResult{}, errPending
}

// CreateCart creates a cart.
func (a *Activities) CreateCart(ctx context.Context, in CreateCartInput) (CreateCartResult, error) {
	return CreateCartResult{}, errPending
}

// Checkout checks out a cart.
func (a *Activities) Checkout(ctx context.Context, in CheckoutInput) (CheckoutResult, error) {
	return CheckoutResult{}, errPending
}

// AwaitProvisioning waits for provisioning.
func (a *Activities) AwaitProvisioning(ctx context.Context, in AwaitProvisioningInput) (AwaitProvisioningResult, error) {
	return AwaitProvisioningResult{}, errPending
}

// MoveLicenses moves users.
func (a *Activities) MoveLicenses(ctx context.Context, in MoveLicensesInput) (MoveLicensesResult, error) {
	return MoveLicensesResult{}, errPending
}

// CheckOriginal checks an original.
func (a *Activities) CheckOriginal(ctx context.Context, in CheckOriginalInput) (CheckOriginalResult, error) {
	return CheckOriginalResult{}, errPending
}

// CancelSubscriptions cancels refundable subscriptions.
func (a *Activities) CancelSubscriptions(ctx context.Context, in CancelInput) (CancelResult, error) {
	return CancelResult{}, errPending
}
