package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
)

// registerUpdates adds the operator updates. Validators reject an update before it enters history, so a
// stale or misdirected request leaves no trace and gets a clear answer.
func (t *transfer) registerUpdates(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, csptransfer.UpdateApprovePlan, t.approvePlan, workflow.UpdateHandlerOptions{
		Validator:   t.validateApprovePlan,
		Description: "Approve the plan version you reviewed",
	}); err != nil {
		return fmt.Errorf("register %s: %w", csptransfer.UpdateApprovePlan, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, csptransfer.UpdateSetOfferMapping, t.setOfferMapping, workflow.UpdateHandlerOptions{
		Validator:   t.validateSetOfferMapping,
		Description: "Choose the catalog item that replaces an original SKU; the plan is made again",
	}); err != nil {
		return fmt.Errorf("register %s: %w", csptransfer.UpdateSetOfferMapping, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, csptransfer.UpdateSkipExpiryWait, t.skipExpiryWait, workflow.UpdateHandlerOptions{
		Validator:   t.validateSkipExpiryWait,
		Description: "Stop waiting for originals to expire (requires acknowledging that no refund is due)",
	}); err != nil {
		return fmt.Errorf("register %s: %w", csptransfer.UpdateSkipExpiryWait, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, csptransfer.UpdateCancelTransfer, t.cancelTransferUpdate, workflow.UpdateHandlerOptions{
		Validator:   t.validateCancelTransfer,
		Description: "Withdraw the pending partner-to-partner transfer request; its lines are bought instead",
	}); err != nil {
		return fmt.Errorf("register %s: %w", csptransfer.UpdateCancelTransfer, err)
	}
	return nil
}

func (t *transfer) validateApprovePlan(_ workflow.Context, in csptransfer.ApprovePlan) error {
	s := t.state.Status
	switch {
	case in.PlanVersion < s.PlanVersion:
		// Said first: a plan remade since it was shown is being priced (Planning) or awaits approval again.
		return fmt.Errorf("approve-plan: planVersion %d is stale: the current plan is version %d; review it and approve that", in.PlanVersion, s.PlanVersion)
	case s.Stage != csptransfer.StageAwaitingApproval:
		return fmt.Errorf("approve-plan: the transfer is in stage %s, not %s", s.Stage, csptransfer.StageAwaitingApproval)
	case in.PlanVersion != s.PlanVersion:
		return fmt.Errorf("approve-plan: planVersion %d is stale: the current plan is version %d; review it and approve that", in.PlanVersion, s.PlanVersion)
	case t.unresolved() > 0:
		return fmt.Errorf("approve-plan: %d line(s) have no target offer; choose them with set-offer-mapping first", t.unresolved())
	}
	return nil
}

func (t *transfer) approvePlan(ctx workflow.Context, in csptransfer.ApprovePlan) (csptransfer.ApprovePlanResult, error) {
	t.state.ApprovedVersion = in.PlanVersion
	t.changes++
	note := fmt.Sprintf("plan v%d approved", in.PlanVersion)
	if c := strings.TrimSpace(in.Comment); c != "" {
		note += ": " + csptransfer.Truncate(c, 200)
	}
	t.record(ctx, t.state.Status.Stage, note)
	return csptransfer.ApprovePlanResult{PlanVersion: in.PlanVersion, Stage: t.state.Status.Stage}, nil
}

func (t *transfer) validateSetOfferMapping(_ workflow.Context, in csptransfer.SetOfferMapping) error {
	s := t.state.Status
	if err := csptransfer.ValidateSourceSku(in.SourceSku); err != nil {
		return fmt.Errorf("set-offer-mapping: sourceSku: %w", err)
	}
	if err := csptransfer.ValidateCatalogItemID(in.TargetCatalogItemID); err != nil {
		return fmt.Errorf("set-offer-mapping: targetCatalogItemId: %w", err)
	}
	if len(t.state.Mappings) >= 100 {
		return errors.New("set-offer-mapping: at most 100 mappings per transfer")
	}
	var line *csptransfer.Line
	for i := range s.Lines {
		l := &s.Lines[i]
		if strings.EqualFold(l.SourceSkuID, in.SourceSku) || strings.EqualFold(l.SourceSkuPartNumber, in.SourceSku) {
			line = l
			if !l.Progress.Ordered {
				break
			}
		}
	}
	switch {
	case line == nil:
		return fmt.Errorf("set-offer-mapping: sourceSku %q is not in the plan", in.SourceSku)
	case t.inPendingTransfer(in.SourceSku):
		return fmt.Errorf("set-offer-mapping: %s moves by the partner-to-partner transfer request; cancel it with cancel-transfer first to buy another offer", in.SourceSku)
	case line.Progress.Ordered:
		return fmt.Errorf("set-offer-mapping: %s is already ordered; what was bought cannot change", in.SourceSku)
	}
	switch s.Stage {
	case csptransfer.StagePlanning, csptransfer.StageAwaitingApproval, csptransfer.StageAwaitingPartnerTransfer, csptransfer.StageProvisioning,
		csptransfer.StageReassigningLicenses, csptransfer.StageAwaitingExpiry:
		return nil
	}
	return fmt.Errorf("set-offer-mapping: the transfer is in stage %s; mappings can change from Planning until a line is ordered", s.Stage)
}

// setOfferMapping records the choice and waits until the plan has been made again with it, so the caller
// gets the new plan version to review.
func (t *transfer) setOfferMapping(ctx workflow.Context, in csptransfer.SetOfferMapping) (csptransfer.SetOfferMappingResult, error) {
	if t.state.Mappings == nil {
		t.state.Mappings = map[string]string{}
	}
	version := t.state.Status.PlanVersion
	t.state.Mappings[strings.ToLower(strings.TrimSpace(in.SourceSku))] = strings.TrimSpace(in.TargetCatalogItemID)
	t.changes++
	if !t.mappingsDirty() {
		return csptransfer.SetOfferMappingResult{PlanVersion: version}, nil
	}
	if err := workflow.Await(ctx, func() bool {
		return t.state.Status.PlanVersion > version || t.abort != nil || t.state.Status.Stage.Terminal()
	}); err != nil {
		return csptransfer.SetOfferMappingResult{}, err
	}
	return csptransfer.SetOfferMappingResult{PlanVersion: t.state.Status.PlanVersion}, nil
}

func (t *transfer) validateSkipExpiryWait(_ workflow.Context, in csptransfer.SkipExpiryWait) error {
	if in.Acknowledgement != csptransfer.NoRefundAcknowledgement {
		return fmt.Errorf("skip-expiry-wait: acknowledgement must be exactly %q: the originals are not cancelled for a refund", csptransfer.NoRefundAcknowledgement)
	}
	if n := len(t.skippable(in.SourceSku)); n == 0 {
		if in.SourceSku != "" {
			return fmt.Errorf("skip-expiry-wait: no provisioned line of %q is waiting for its original to expire", in.SourceSku)
		}
		return fmt.Errorf("skip-expiry-wait: no line is waiting for its original to expire (stage %s)", t.state.Status.Stage)
	}
	return nil
}

func (t *transfer) skipExpiryWait(ctx workflow.Context, in csptransfer.SkipExpiryWait) (csptransfer.SkipExpiryWaitResult, error) {
	lines := t.skippable(in.SourceSku)
	if t.state.Skipped == nil {
		t.state.Skipped = map[int]bool{}
	}
	var names []string
	for _, i := range lines {
		t.state.Skipped[i] = true
		t.state.Status.Lines[i].Progress.ExpiryWaitSkipped = true
		names = append(names, t.state.Status.Lines[i].SourceName())
	}
	t.changes++
	note := fmt.Sprintf("expiry wait skipped for %d line(s) (%s); no refund is due", len(lines), strings.Join(names, ", "))
	if r := strings.TrimSpace(in.Reason); r != "" {
		note += ": " + csptransfer.Truncate(r, 200)
	}
	t.record(ctx, t.state.Status.Stage, note)
	return csptransfer.SkipExpiryWaitResult{Skipped: len(lines)}, nil
}

// skippable are lines whose users are on new subscriptions and which only wait for the original.
func (t *transfer) skippable(sourceSku string) []int {
	var out []int
	for _, i := range t.waitingOriginals() {
		l := t.state.Status.Lines[i]
		if sourceSku == "" || strings.EqualFold(l.SourceSkuID, sourceSku) || strings.EqualFold(l.SourceSkuPartNumber, sourceSku) {
			out = append(out, i)
		}
	}
	return out
}
