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
