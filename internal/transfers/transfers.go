// Package transfers starts and finds CSPTransfer workflows the same way for every surface (the CLI, the
// onboarding API, bulk imports): one validation, one workflow ID per customer tenant, one answer for "it
// is already running".
package transfers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
)

// Service starts and looks up transfers.
type Service struct {
	Client client.Client
	// Namespace is used in UI links. default: "default"
	Namespace string
	// UIBaseURL is the Temporal UI, e.g. http://localhost:8233. Optional: no links without it.
	UIBaseURL string
	// Optional: Now is the clock used for validation. default: time.Now
	Now func() time.Time
}

// Started says what Start did.
type Started struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// Existing is true when a transfer for the customer was already running and nothing was started.
	Existing bool              `json:"existing"`
	Stage    csptransfer.Stage `json:"stage"`
	UILink   string            `json:"uiLink,omitempty"`
}

// Prepare returns req normalized (tenant id and domain in lower case, defaults filled in) or a
// *csptransfer.ValidationError naming every bad field. It is the one check every surface (CLI, onboarding
// API, bulk import) applies before a transfer starts; the workflow checks again, for starts from the
// Temporal UI.
func (s Service) Prepare(req csptransfer.TransferRequest) (csptransfer.TransferRequest, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req = req.WithDefaults()
	if err := req.Validate(now()); err != nil {
		return csptransfer.TransferRequest{}, err
	}
	return req, nil
}

// Start prepares req and starts its transfer, or returns the one already running for the customer
// tenant. A failed, cancelled or terminated transfer may be started again; a completed one is not
// restarted by accident (Temporal refuses it).
//
// Returns a *csptransfer.ValidationError for a bad request.
func (s Service) Start(ctx context.Context, req csptransfer.TransferRequest) (Started, error) {
	req, err := s.Prepare(req)
	if err != nil {
		return Started{}, err
	}
	id := csptransfer.WorkflowID(req.CustomerTenantID)
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                csptransfer.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            Summary(req),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			csptransfer.SearchAttributeCustomerTenantID.ValueSet(req.CustomerTenantID),
			csptransfer.SearchAttributeCustomerDomain.ValueSet(req.CustomerDomain),
			csptransfer.SearchAttributeStage.ValueSet(string(csptransfer.StageValidating)),
		),
	}, csptransfer.WorkflowType, req)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		return s.existing(ctx, id)
	case err != nil:
		return Started{}, fmt.Errorf("start transfer %s: %w", id, err)
	}
	return Started{WorkflowID: id, RunID: run.GetRunID(), Stage: csptransfer.StageValidating, UILink: s.UILink(id)}, nil
}

func (s Service) existing(ctx context.Context, id string) (Started, error) {
	desc, err := s.Client.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return Started{}, fmt.Errorf("describe transfer %s: %w", id, err)
	}
	stage, _ := desc.TypedSearchAttributes.GetKeyword(csptransfer.SearchAttributeStage)
	return Started{WorkflowID: id, RunID: desc.WorkflowExecution.RunID, Existing: true, Stage: csptransfer.Stage(stage), UILink: s.UILink(id)}, nil
}

// Summary is the one-line summary the Temporal UI shows for a transfer. It names the customer by domain
// and tenant id only: no personal data. req is a prepared request.
func Summary(req csptransfer.TransferRequest) string {
	return fmt.Sprintf("CSP transfer of %s (%s)", req.CustomerDomain, req.CustomerTenantID)
}

// UILink is the Temporal UI page of a transfer, or "" without a UI base URL.
func (s Service) UILink(workflowID string) string {
	if s.UIBaseURL == "" {
		return ""
	}
	ns := s.Namespace
	if ns == "" {
		ns = client.DefaultNamespace
	}
	return strings.TrimRight(s.UIBaseURL, "/") + "/namespaces/" + url.PathEscape(ns) + "/workflows/" + url.PathEscape(workflowID)
}

// Status queries a transfer's status.
func (s Service) Status(ctx context.Context, workflowID string) (csptransfer.TransferStatus, error) {
	v, err := s.Client.QueryWorkflow(ctx, workflowID, "", csptransfer.QueryStatus)
	if err != nil {
		return csptransfer.TransferStatus{}, fmt.Errorf("query %s: %w", workflowID, err)
	}
	var st csptransfer.TransferStatus
	if err := v.Get(&st); err != nil {
		return csptransfer.TransferStatus{}, fmt.Errorf("decode status of %s: %w", workflowID, err)
	}
	return st, nil
}

// MaxPartnerTransferIDLength bounds a Partner Center transfer id taken from an operator or a webhook.
const MaxPartnerTransferIDLength = 128

// IsPartnerTransferID accepts what can be a Partner Center partner-to-partner transfer id: 1 to 128 ASCII
// letters, digits, hyphens and underscores (Microsoft's are GUIDs; the exact form is not documented). The
// CLI and the trigger service check ids with it before they reach a workflow, so no id can carry spaces,
// quotes, slashes or line breaks into a timeline or a log.
func IsPartnerTransferID(s string) bool {
	if s == "" || len(s) > MaxPartnerTransferIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
