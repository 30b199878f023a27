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

	"github.com/csptransfer/csptransfer/workflows"
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
	Existing bool            `json:"existing"`
	Stage    workflows.Stage `json:"stage"`
	UILink   string          `json:"uiLink,omitempty"`
}

// Start validates req and starts its transfer, or returns the one already running for the customer
// tenant. A failed, cancelled or terminated transfer may be started again; a completed one is not
// restarted by accident (Temporal refuses it).
//
// Returns a *workflows.ValidationError for a bad request.
func (s Service) Start(ctx context.Context, req workflows.TransferRequest) (Started, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req = req.WithDefaults()
	if err := req.Validate(now()); err != nil {
		return Started{}, err
	}
	if req.Continued != nil {
		return Started{}, errors.New("continued: must not be set when starting a transfer")
	}
	id := workflows.WorkflowID(req.CustomerTenantID)
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            Summary(req),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchAttributeCustomerTenantID.ValueSet(req.CustomerTenantID),
			workflows.SearchAttributeCustomerDomain.ValueSet(req.CustomerDomain),
			workflows.SearchAttributeStage.ValueSet(string(workflows.StageValidating)),
		),
	}, workflows.WorkflowType, req)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		return s.existing(ctx, id)
	case err != nil:
		return Started{}, fmt.Errorf("start transfer %s: %w", id, err)
	}
	return Started{WorkflowID: id, RunID: run.GetRunID(), Stage: workflows.StageValidating, UILink: s.UILink(id)}, nil
}

func (s Service) existing(ctx context.Context, id string) (Started, error) {
	desc, err := s.Client.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return Started{}, fmt.Errorf("describe transfer %s: %w", id, err)
	}
	stage, _ := desc.TypedSearchAttributes.GetKeyword(workflows.SearchAttributeStage)
	return Started{WorkflowID: id, RunID: desc.WorkflowExecution.RunID, Existing: true, Stage: workflows.Stage(stage), UILink: s.UILink(id)}, nil
}

// Summary is the one-line summary the Temporal UI shows for a transfer. It names the customer by domain
// and tenant id only: no personal data.
func Summary(req workflows.TransferRequest) string {
	return fmt.Sprintf("CSP transfer of %s (%s)", strings.ToLower(req.CustomerDomain), strings.ToLower(req.CustomerTenantID))
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
func (s Service) Status(ctx context.Context, workflowID string) (workflows.TransferStatus, error) {
	v, err := s.Client.QueryWorkflow(ctx, workflowID, "", workflows.QueryStatus)
	if err != nil {
		return workflows.TransferStatus{}, fmt.Errorf("query %s: %w", workflowID, err)
	}
	var st workflows.TransferStatus
	if err := v.Get(&st); err != nil {
		return workflows.TransferStatus{}, fmt.Errorf("decode status of %s: %w", workflowID, err)
	}
	return st, nil
}
