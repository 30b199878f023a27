package csptransfer

import (
	"strings"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// The wire contract of the CSPTransfer workflow. Operators, the Temporal UI, triggers and tests depend on
// these names; they are defined here once and imported everywhere else.
const (
	// WorkflowType is the registered name of the transfer workflow.
	WorkflowType = "CSPTransfer"
	// TaskQueue is the queue the worker polls.
	TaskQueue = "csp-transfer"

	// QueryStatus answers a TransferStatus.
	QueryStatus = "status"

	// SignalRelationshipAccepted reports that the customer accepted the reseller relationship. The
	// workflow verifies it against Partner Center before acting on it.
	SignalRelationshipAccepted = "relationship-accepted"
	// SignalAdminAccessApproved reports that the customer approved the GDAP admin relationship.
	SignalAdminAccessApproved = "admin-access-approved"
	// SignalAgreementAccepted reports that the customer accepted the Microsoft Customer Agreement.
	SignalAgreementAccepted = "agreement-accepted"
	// SignalAbort asks the transfer to stop.
	SignalAbort = "abort"
	// SignalPartnerTransferUpdated reports that Partner Center announced a change of the partner-to-partner
	// transfer request (a complete-transfer or fail-transfer webhook). It only wakes the transfer, which
	// reads the request back from Partner Center before acting.
	SignalPartnerTransferUpdated = "partner-transfer-updated"

	// UpdateApprovePlan approves the current plan version.
	UpdateApprovePlan = "approve-plan"
	// UpdateSetOfferMapping chooses the target offer for an original SKU.
	UpdateSetOfferMapping = "set-offer-mapping"
	// UpdateSkipExpiryWait ends the wait for an original's expiry early.
	UpdateSkipExpiryWait = "skip-expiry-wait"
	// UpdateCancelTransfer withdraws a pending partner-to-partner transfer request; its lines are bought instead.
	UpdateCancelTransfer = "cancel-transfer"

	// workflowIDPrefix starts every transfer's workflow ID; the rest is the customer tenant id in lower case,
	// so Temporal itself guarantees one open transfer per customer tenant.
	workflowIDPrefix = "csp-transfer-"
)

// Search attributes kept current by the workflow. They are indexed in plain text: never put personal
// data (names, e-mail addresses) in them.
var (
	SearchAttributeCustomerTenantID = temporal.NewSearchAttributeKeyKeyword("CspCustomerTenantId")
	SearchAttributeCustomerDomain   = temporal.NewSearchAttributeKeyKeyword("CspCustomerDomain")
	SearchAttributePartnerTenantID  = temporal.NewSearchAttributeKeyKeyword("CspPartnerTenantId")
	SearchAttributeStage            = temporal.NewSearchAttributeKeyKeyword("CspStage")
	SearchAttributeNextActionAt     = temporal.NewSearchAttributeKeyTime("CspNextActionAt")
)

// KeywordOf reads a Keyword search attribute from the fields visibility lists with an execution; "" when
// it is absent or not a string.
func KeywordOf(fields map[string]*commonpb.Payload, key temporal.SearchAttributeKeyKeyword) string {
	p, ok := fields[key.GetName()]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}

// TimeOf reads a Datetime search attribute as KeywordOf does; false when it is absent, zero or not a time.
func TimeOf(fields map[string]*commonpb.Payload, key temporal.SearchAttributeKeyTime) (time.Time, bool) {
	p, ok := fields[key.GetName()]
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	if err := converter.GetDefaultDataConverter().FromPayload(p, &t); err != nil || t.IsZero() {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// SearchAttribute describes a custom search attribute for registration on a namespace.
type SearchAttribute struct {
	Name string
	// Type is the name the Temporal CLI and operator API use: Keyword or Datetime.
	Type string
}

// SearchAttributes lists every custom search attribute the workflow writes, for registration by `make run`,
// the compose setup and tests.
func SearchAttributes() []SearchAttribute {
	return []SearchAttribute{
		{Name: SearchAttributeCustomerTenantID.GetName(), Type: "Keyword"},
		{Name: SearchAttributeCustomerDomain.GetName(), Type: "Keyword"},
		{Name: SearchAttributePartnerTenantID.GetName(), Type: "Keyword"},
		{Name: SearchAttributeStage.GetName(), Type: "Keyword"},
		{Name: SearchAttributeNextActionAt.GetName(), Type: "Datetime"},
	}
}

// WorkflowID is the ID of the transfer for a customer tenant.
func WorkflowID(customerTenantID string) string {
	return workflowIDPrefix + strings.ToLower(strings.TrimSpace(customerTenantID))
}

// CustomerTenantIDFromWorkflowID returns the customer tenant id a workflow ID was made from.
func CustomerTenantIDFromWorkflowID(workflowID string) (string, bool) {
	id, ok := strings.CutPrefix(workflowID, workflowIDPrefix)
	return id, ok && id != ""
}

// requestNamespace makes MS-RequestId values; it must never change, or retries after a deploy would not be
// recognised as retries.
var requestNamespace = uuid.MustParse("3f1d9a8e-5b0c-4d71-9a44-6c2f1b7e8d30")

// RequestID derives an MS-RequestId from parts: the workflow derives one per step from its workflow ID, its
// first run ID and the step, and activities derive the ids of their calls from that. The same parts give
// the same id on every retry, replay and continue-as-new, so Microsoft recognises a repeated call; two
// transfers never share one.
func RequestID(parts ...string) string {
	return uuid.NewSHA1(requestNamespace, []byte(strings.Join(parts, "/"))).String()
}
