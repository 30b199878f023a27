package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer/activities"
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

	// UpdateApprovePlan approves the current plan version.
	UpdateApprovePlan = "approve-plan"
	// UpdateSetOfferMapping chooses the target offer for an original SKU.
	UpdateSetOfferMapping = "set-offer-mapping"
	// UpdateSkipExpiryWait ends the wait for an original's expiry early.
	UpdateSkipExpiryWait = "skip-expiry-wait"

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

// Stage is where a transfer stands. Its value is also the CspStage search attribute.
type Stage string

// The stages, in the order a transfer normally passes them.
const (
	StageValidating          Stage = "Validating"
	StageCheckingRegion      Stage = "CheckingRegion"
	StageInviting            Stage = "Inviting"
	StageAwaitingAcceptance  Stage = "AwaitingAcceptance"
	StageCheckingAgreement   Stage = "CheckingAgreement"
	StageDiscovering         Stage = "Discovering"
	StagePlanning            Stage = "Planning"
	StageAwaitingApproval    Stage = "AwaitingApproval"
	StageProvisioning        Stage = "Provisioning"
	StageReassigningLicenses Stage = "ReassigningLicenses"
	StageAwaitingExpiry      Stage = "AwaitingExpiry"
	StageCompleted           Stage = "Completed"
	StageFailed              Stage = "Failed"
	StageAborted             Stage = "Aborted"
)

// Stages lists every stage in order.
func Stages() []Stage {
	return []Stage{
		StageValidating, StageCheckingRegion, StageInviting, StageAwaitingAcceptance, StageCheckingAgreement,
		StageDiscovering, StagePlanning, StageAwaitingApproval, StageProvisioning, StageReassigningLicenses,
		StageAwaitingExpiry, StageCompleted, StageFailed, StageAborted,
	}
}

// ParseStage accepts a stage name in any letter case.
func ParseStage(s string) (Stage, error) {
	for _, st := range Stages() {
		if strings.EqualFold(string(st), strings.TrimSpace(s)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown stage %q: expected one of %s", s, joinStages(Stages()))
}

// Terminal reports whether the transfer has ended in this stage.
func (s Stage) Terminal() bool {
	return s == StageCompleted || s == StageFailed || s == StageAborted
}

func joinStages(stages []Stage) string {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// ProvisioningMode says when new subscriptions are bought.
type ProvisioningMode string

const (
	// ProvisionImmediately buys every line as soon as the plan is approved (the default).
	ProvisionImmediately ProvisioningMode = "immediately"
	// ProvisionBeforeExpiry buys each line at its original's expiry minus the lead time, to cut double billing.
	ProvisionBeforeExpiry ProvisioningMode = "beforeExpiry"
)

// Provisioning chooses when lines are bought.
type Provisioning struct {
	// Optional: immediately or beforeExpiry.
	// default: immediately
	Mode ProvisioningMode `json:"mode,omitempty"`
	// LeadTime is how long before the original's expiry a line is bought in beforeExpiry mode.
	// Optional; default: 7 days.
	LeadTime Duration `json:"leadTime,omitempty"`
}

// ApprovalPolicy says when an operator must approve the plan.
type ApprovalPolicy string

const (
	// ApprovalAuto asks for approval only when a line changes offer (the default).
	ApprovalAuto ApprovalPolicy = "auto"
	// ApprovalAlways asks for approval of every plan.
	ApprovalAlways ApprovalPolicy = "always"
	// ApprovalNever never waits for approval.
	ApprovalNever ApprovalPolicy = "never"
)

// TransferRequest starts a transfer. It is the single JSON payload the Temporal UI start form, the CLI and
// the onboarding API send.
type TransferRequest struct {
	// CustomerTenantID is the customer's Microsoft Entra tenant id (a GUID). Required.
	CustomerTenantID string `json:"customerTenantId"`
	// CustomerDomain is the customer's primary domain, e.g. contoso.onmicrosoft.com. Required.
	CustomerDomain string `json:"customerDomain"`
	// CustomerName is shown to operators. Optional; it is personal data and never indexed.
	CustomerName string `json:"customerName,omitempty"`
	// ContactEmail receives the invitation and reminders. Optional.
	ContactEmail string `json:"contactEmail,omitempty"`
	// Country is the customer's billing country (ISO 3166-1 alpha-2). Optional: looked up when empty.
	Country string `json:"country,omitempty"`
	// Subscriptions lists the originals to replace. Optional: discovered through Microsoft Graph when empty.
	Subscriptions []OriginalSubscription `json:"subscriptions,omitempty"`
	// OfferOverrides maps a source SKU (Graph skuId or skuPartNumber) to the target catalog item id
	// ("productId:skuId[:availabilityId]"). Optional.
	OfferOverrides map[string]string `json:"offerOverrides,omitempty"`
	// Provisioning says when lines are bought. Optional.
	Provisioning Provisioning `json:"provisioning,omitempty"`
	// Approval says when an operator must approve the plan. Optional; default auto.
	Approval ApprovalPolicy `json:"approval,omitempty"`
	// InvitationTTL is how long the customer has to accept. Optional; default 30 days.
	InvitationTTL Duration `json:"invitationTtl,omitempty"`
	// ReminderEvery is how often the contact is reminded while the transfer waits on the customer.
	// Optional; default 3 days.
	ReminderEvery Duration `json:"reminderEvery,omitempty"`
	// RequestAdminAccess also requests GDAP admin access, needed to read subscriptions and move licenses.
	RequestAdminAccess bool `json:"requestAdminAccess,omitempty"`
	// Continued carries the state of a transfer into its next run after continue-as-new. Never set it
	// when starting a transfer.
	Continued *TransferState `json:"continued,omitempty"`
}

// OriginalSubscription is a subscription bought outside this partner's CSP channel that the transfer replaces.
type OriginalSubscription struct {
	// SkuID is the Graph skuId GUID. One of SkuID and SkuPartNumber is required.
	SkuID string `json:"skuId,omitempty"`
	// SkuPartNumber is the Graph skuPartNumber, e.g. ENTERPRISEPACK.
	SkuPartNumber string `json:"skuPartNumber,omitempty"`
	// Quantity is the number of licenses. At least 1.
	Quantity int `json:"quantity"`
	// ExpiresAt is the end of the original's term. Required.
	ExpiresAt time.Time `json:"expiresAt"`
}

// AwaitedThing says what a transfer is waiting on.
type AwaitedThing struct {
	// What is a short sentence, e.g. "customer to accept the reseller relationship".
	What string `json:"what"`
	// Until is when the wait ends by itself (timeout, expiry, next check), if known.
	Until *time.Time `json:"until,omitempty"`
}

// PlanLine is one original subscription and what replaces it.
type PlanLine struct {
	SourceSkuID         string    `json:"sourceSkuId"`
	SourceSkuPartNumber string    `json:"sourceSkuPartNumber,omitempty"`
	TargetCatalogItemID string    `json:"targetCatalogItemId,omitempty"`
	TargetSkuID         string    `json:"targetSkuId,omitempty"`
	TargetTitle         string    `json:"targetTitle,omitempty"`
	Quantity            int       `json:"quantity"`
	SameOffer           bool      `json:"sameOffer"`
	ReassignmentNeeded  bool      `json:"reassignmentNeeded"`
	OriginalExpiresAt   time.Time `json:"originalExpiresAt"`
	// Notes explain the choice and state risks, e.g. service plans the target lacks (possible data loss).
	Notes []string `json:"notes,omitempty"`
	// Unresolved is set when no target offer is known and an operator must choose one (set-offer-mapping).
	Unresolved bool `json:"unresolved,omitempty"`
}

// LineProgress is how far one plan line has come.
type LineProgress struct {
	ProvisionAt    *time.Time `json:"provisionAt,omitempty"`
	Ordered        bool       `json:"ordered"`
	OrderID        string     `json:"orderId,omitempty"`
	SubscriptionID string     `json:"subscriptionId,omitempty"`
	Provisioned    bool       `json:"provisioned"`
	UsersToMove    int        `json:"usersToMove,omitempty"`
	UsersMoved     int        `json:"usersMoved,omitempty"`
	// Moved is set once every user of a substituted line holds the new SKU.
	Moved bool `json:"moved,omitempty"`
	// OriginalState is active, expired or renewed.
	OriginalState string     `json:"originalState,omitempty"`
	RenewedUntil  *time.Time `json:"renewedUntil,omitempty"`
	// CheckAt is when the original is checked again after it was found still active.
	CheckAt  *time.Time `json:"checkAt,omitempty"`
	Attempts int        `json:"attempts,omitempty"`
	Error    string     `json:"error,omitempty"`
}

// Line is a plan line with its progress.
type Line struct {
	PlanLine
	Progress LineProgress `json:"progress"`
}

// TimelineEntry records a stage change.
type TimelineEntry struct {
	Stage Stage     `json:"stage"`
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
}

// TransferStatus is the answer to the status query: where a transfer stands and why.
type TransferStatus struct {
	CustomerTenantID string        `json:"customerTenantId"`
	CustomerDomain   string        `json:"customerDomain"`
	PartnerTenantID  string        `json:"partnerTenantId,omitempty"`
	Stage            Stage         `json:"stage"`
	Awaiting         *AwaitedThing `json:"awaiting,omitempty"`
	InvitationURL    string        `json:"invitationUrl,omitempty"`
	// AdminRelationshipID and AdminApprovalURL identify the GDAP request when admin access was asked for.
	AdminRelationshipID string          `json:"adminRelationshipId,omitempty"`
	AdminApprovalURL    string          `json:"adminApprovalUrl,omitempty"`
	PlanVersion         int             `json:"planVersion"`
	Lines               []Line          `json:"lines,omitempty"`
	LastError           string          `json:"lastError,omitempty"`
	Timeline            []TimelineEntry `json:"timeline"`
	StartedAt           time.Time       `json:"startedAt"`
	UpdatedAt           time.Time       `json:"updatedAt"`
}

// TransferReport is the workflow's result.
type TransferReport struct {
	TransferStatus
	// Outcome is Completed, Failed or Aborted.
	Outcome Stage `json:"outcome"`
	// Reason explains a Failed or Aborted outcome.
	Reason      string    `json:"reason,omitempty"`
	CompletedAt time.Time `json:"completedAt"`
}

// RelationshipAccepted is the payload of SignalRelationshipAccepted.
type RelationshipAccepted struct {
	CustomerTenantID string `json:"customerTenantId"`
	// Source is who reported it: webhook, operator, reconciler.
	Source string `json:"source,omitempty"`
}

// AdminAccessApproved is the payload of SignalAdminAccessApproved.
type AdminAccessApproved struct {
	CustomerTenantID string `json:"customerTenantId"`
	RelationshipID   string `json:"relationshipId,omitempty"`
	Source           string `json:"source,omitempty"`
}

// AgreementAccepted is the payload of SignalAgreementAccepted. With an Attestation the partner records the
// customer's acceptance of the Microsoft Customer Agreement; without one the workflow re-checks Partner
// Center for a direct signature.
type AgreementAccepted struct {
	CustomerTenantID string                  `json:"customerTenantId"`
	Source           string                  `json:"source,omitempty"`
	Attestation      *activities.Attestation `json:"attestation,omitempty"`
}

// Abort is the payload of SignalAbort.
type Abort struct {
	Reason string `json:"reason"`
	// CancelRefundable asks, after purchase, to cancel the new subscriptions still inside their refund window.
	CancelRefundable bool `json:"cancelRefundable,omitempty"`
}

// ApprovePlan is the argument of UpdateApprovePlan.
type ApprovePlan struct {
	// PlanVersion must equal the version the operator reviewed; a stale version is rejected.
	PlanVersion int    `json:"planVersion"`
	Comment     string `json:"comment,omitempty"`
}

// ApprovePlanResult is the result of UpdateApprovePlan.
type ApprovePlanResult struct {
	PlanVersion int   `json:"planVersion"`
	Stage       Stage `json:"stage"`
}

// SetOfferMapping is the argument of UpdateSetOfferMapping.
type SetOfferMapping struct {
	// SourceSku is the original's Graph skuId or skuPartNumber.
	SourceSku string `json:"sourceSku"`
	// TargetCatalogItemID is the catalog item to buy instead ("productId:skuId[:availabilityId]").
	TargetCatalogItemID string `json:"targetCatalogItemId"`
}

// SetOfferMappingResult is the result of UpdateSetOfferMapping.
type SetOfferMappingResult struct {
	PlanVersion int `json:"planVersion"`
}

// NoRefundAcknowledgement is the exact sentence skip-expiry-wait requires.
const NoRefundAcknowledgement = "I understand that no refund is due"

// SkipExpiryWait is the argument of UpdateSkipExpiryWait.
type SkipExpiryWait struct {
	// SourceSku limits the skip to one original; empty means all.
	SourceSku string `json:"sourceSku,omitempty"`
	// Acknowledgement must equal NoRefundAcknowledgement.
	Acknowledgement string `json:"acknowledgement"`
	Reason          string `json:"reason,omitempty"`
}

// SkipExpiryWaitResult is the result of UpdateSkipExpiryWait.
type SkipExpiryWaitResult struct {
	Skipped int `json:"skipped"`
}
