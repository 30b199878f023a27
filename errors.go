package csptransfer

// Error types with which a transfer fails. Operators see them in the Temporal UI and the CLI, and scripts
// branch on them; activity failures keep the types the activities package declares.
const (
	// ErrTypeInvalidRequest: the TransferRequest fails validation. Not retryable: the same request fails
	// the same way every time.
	ErrTypeInvalidRequest = "InvalidRequest"
	// ErrTypeInvitationExpired: the customer did not accept within invitationTtl.
	ErrTypeInvitationExpired = "InvitationExpired"
	// ErrTypeTransferFailed: a step failed in a way no retry can fix; the reason says which.
	ErrTypeTransferFailed = "TransferFailed"
)
