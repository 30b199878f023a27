package partnercenter

// Partner Center error codes csptransfer reacts to, as msrest.Code returns
// them. Source: Partner Center REST error codes reference.
const (
	// CodeNotFound: the resource does not exist, or the customer has no
	// relationship with this partner (HTTP 404).
	CodeNotFound = "1000"
	// CodeQuantityOutOfRange: quantity outside the SKU's minimum/maximum.
	CodeQuantityOutOfRange = "2002"
	// CodeOfferNoLongerAvailable: the offer can no longer be purchased.
	CodeOfferNoLongerAvailable = "2091"
	// CodeAgreementMissing: the customer has not accepted the Microsoft
	// Customer Agreement; attest it before buying.
	CodeAgreementMissing = "13605"
	// CodeNoCommerceRelationship: the partner has no commerce relationship
	// with the customer (the reseller invitation was not accepted).
	CodeNoCommerceRelationship = "20002"
	// CodeCartBeingProcessed: another request is checking the cart out
	// (HTTP 409); retry later under the same MS-RequestId.
	CodeCartBeingProcessed = "800064"
	// CodeCartAlreadySubmitted: the cart was already checked out; read the
	// cart and its orders instead of buying again.
	CodeCartAlreadySubmitted = "800065"
	// CodeNotAvailableInCountry: the offer is not sold in the customer's
	// country.
	CodeNotAvailableInCountry = "800070"
)

// Transfer error codes (TransferErrorCode in Microsoft's TransferEntity
// resources), as msrest.Code returns them for the transfer calls and as
// TransferError.Code carries them. Microsoft does not document the HTTP
// statuses of the 9001xx codes.
const (
	// CodeTransferPartnerTokenMissing: no partner token in the request
	// context (HTTP 401).
	CodeTransferPartnerTokenMissing = "800001"
	// CodeTransferInvalidInput: the transfer request is invalid (HTTP 400).
	CodeTransferInvalidInput = "800002"
	// CodeTransferServiceError: unexpected service error (HTTP 500).
	CodeTransferServiceError = "800003"
	// CodeTransferInvalidOffer: a line names an invalid offer (HTTP 400).
	CodeTransferInvalidOffer = "800004"
	// CodeTransferCreateOrderFailed: the order behind the transfer could
	// not be created (HTTP 500).
	CodeTransferCreateOrderFailed = "800005"
	// CodeTransferPartnerIDNotFound: the partner ID (MPN ID) on record is
	// unknown (HTTP 404).
	CodeTransferPartnerIDNotFound = "800015"
	// CodeTransferNotIndirectReseller: the partner ID on record is not a
	// valid indirect reseller (HTTP 400).
	CodeTransferNotIndirectReseller = "800016"
	// CodeTransferNotFound: no such transfer request.
	CodeTransferNotFound = "900100"
	// CodeTransferInProgress: the transfer request is already in progress;
	// read it instead of creating or changing it again.
	CodeTransferInProgress = "900101"
	// CodeTransferAlreadyComplete: the transfer request is already
	// complete; it can no longer be cancelled.
	CodeTransferAlreadyComplete = "900102"
	// CodeTransferOrderFailed: the transfer order failed (legacy example:
	// the source subscription was not in sync).
	CodeTransferOrderFailed = "900103"
	// CodeTransferProcessedByAnotherRequest: another request is processing
	// the transfer. msrest does not mark it retryable (only 800064 is):
	// wait and read the transfer back.
	CodeTransferProcessedByAnotherRequest = "900104"
)
