package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer/activities"
)

// a is used only for its method values: the worker registers the real *activities.Activities.
var a *activities.Activities

// Error types with which a transfer fails. Operators see them in the UI and the CLI.
const (
	// ErrTypeInvitationExpired: the customer did not accept within invitationTtl.
	ErrTypeInvitationExpired = "InvitationExpired"
	// ErrTypeTransferFailed: a step failed in a way no retry can fix; the reason says which.
	ErrTypeTransferFailed = "TransferFailed"
)

// Transfer is the CSPTransfer workflow: one customer's move of license-based subscriptions into this
// partner's CSP channel, from invitation to the last original's expiry.
func Transfer(ctx workflow.Context, req TransferRequest) (TransferReport, error) {
	t := newTransfer(ctx, req)
	if err := t.setup(ctx); err != nil {
		return TransferReport{}, err
	}
	return t.run(ctx)
}

// transfer holds a running transfer. Only state survives continue-as-new; the rest is rebuilt in setup.
type transfer struct {
	req   TransferRequest
	state TransferState
	log   log.Logger

	// Messages received and not yet acted on.
	acceptSignals    int
	adminSignals     int
	agreementSignals []AgreementAccepted
	abort            *Abort
	// changes counts operator updates (mapping, approval, skip) so waits can wake on them.
	changes int
}

func newTransfer(ctx workflow.Context, req TransferRequest) *transfer {
	t := &transfer{req: req}
	if req.Continued != nil {
		t.state = *req.Continued
		t.req.Continued = nil
	} else {
		now := workflow.Now(ctx).UTC()
		t.state.Status = TransferStatus{
			CustomerTenantID: strings.ToLower(strings.TrimSpace(req.CustomerTenantID)),
			CustomerDomain:   strings.ToLower(strings.TrimSpace(req.CustomerDomain)),
			Stage:            StageValidating,
			Timeline:         []TimelineEntry{{Stage: StageValidating, At: now}},
			StartedAt:        now,
			UpdatedAt:        now,
		}
	}
	t.log = log.With(workflow.GetLogger(ctx), "CustomerTenantId", t.state.Status.CustomerTenantID)
	return t
}

// setup registers every handler before anything blocks, so signals, updates and queries sent right after
// the start (or with it) are never lost.
func (t *transfer) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (TransferStatus, error) {
		return t.state.Status, nil
	}, workflow.QueryHandlerOptions{Description: "Where the transfer stands: stage, plan, progress, what it waits for"}); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}
	t.listen(ctx)
	return t.registerUpdates(ctx)
}

// listen drains the signal channels into the transfer's fields for as long as the run lasts.
func (t *transfer) listen(ctx workflow.Context) {
	accepted := workflow.GetSignalChannelWithOptions(ctx, SignalRelationshipAccepted, workflow.SignalChannelOptions{
		Description: "The customer accepted the reseller relationship (verified against Partner Center before use)"})
	admin := workflow.GetSignalChannelWithOptions(ctx, SignalAdminAccessApproved, workflow.SignalChannelOptions{
		Description: "The customer approved GDAP admin access (verified before use)"})
	agreement := workflow.GetSignalChannelWithOptions(ctx, SignalAgreementAccepted, workflow.SignalChannelOptions{
		Description: "The customer accepted the Microsoft Customer Agreement (optionally with the partner's attestation)"})
	abort := workflow.GetSignalChannelWithOptions(ctx, SignalAbort, workflow.SignalChannelOptions{
		Description: "Stop the transfer; after purchase new subscriptions are kept unless cancelRefundable"})

	sel := workflow.NewSelector(ctx)
	sel.AddReceive(accepted, func(c workflow.ReceiveChannel, _ bool) {
		var s RelationshipAccepted
		c.Receive(ctx, &s)
		if !t.forThisCustomer(SignalRelationshipAccepted, s.CustomerTenantID) {
			return
		}
		t.acceptSignals++
	})
	sel.AddReceive(admin, func(c workflow.ReceiveChannel, _ bool) {
		var s AdminAccessApproved
		c.Receive(ctx, &s)
		if !t.forThisCustomer(SignalAdminAccessApproved, s.CustomerTenantID) {
			return
		}
		t.adminSignals++
	})
	sel.AddReceive(agreement, func(c workflow.ReceiveChannel, _ bool) {
		var s AgreementAccepted
		c.Receive(ctx, &s)
		if !t.forThisCustomer(SignalAgreementAccepted, s.CustomerTenantID) {
			return
		}
		t.agreementSignals = append(t.agreementSignals, s)
	})
	sel.AddReceive(abort, func(c workflow.ReceiveChannel, _ bool) {
		var s Abort
		c.Receive(ctx, &s)
		if t.abort == nil {
			t.abort = &s
		} else if s.CancelRefundable {
			t.abort.CancelRefundable = true
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel.Select(ctx)
		}
	})
}

// forThisCustomer ignores a signal naming another customer: the invitation link is the same for every
// customer, so a misrouted webhook must not advance the wrong transfer. An empty id means "this one".
func (t *transfer) forThisCustomer(signal, customerTenantID string) bool {
	id := strings.ToLower(strings.TrimSpace(customerTenantID))
	if id == "" || id == t.state.Status.CustomerTenantID {
		return true
	}
	t.log.Warn("Ignored a signal for another customer", "Signal", signal)
	t.state.Status.LastError = fmt.Sprintf("ignored %s signal: it named another customer tenant", signal)
	return false
}

// run drives the transfer stage by stage. Each stage returns the next; the loop is resumable from any
// stage, which is what continue-as-new relies on.
func (t *transfer) run(ctx workflow.Context) (TransferReport, error) {
	stage := t.state.Status.Stage
	if t.req.Continued == nil && stage == StageValidating {
		t.upsertIdentity(ctx)
	}
	for !stage.Terminal() {
		if t.abort != nil && stage != StageValidating {
			return t.aborted(ctx, t.abort)
		}
		if can := t.continueAsNewIfSuggested(ctx); can != nil {
			return TransferReport{}, can
		}
		var next Stage
		var err error
		switch stage {
		case StageValidating:
			next, err = t.validate(ctx)
		case StageCheckingRegion:
			next, err = t.checkRegion(ctx)
		case StageInviting:
			next, err = t.invite(ctx)
		case StageAwaitingAcceptance:
			next, err = t.awaitAcceptance(ctx)
		case StageCheckingAgreement:
			next, err = t.checkAgreement(ctx)
		case StageDiscovering:
			next, err = t.discover(ctx)
		case StagePlanning:
			next, err = t.plan(ctx)
		case StageAwaitingApproval:
			next, err = t.awaitApproval(ctx)
		case StageProvisioning, StageReassigningLicenses, StageAwaitingExpiry:
			next, err = t.fulfil(ctx)
		default:
			err = fmt.Errorf("unknown stage %q", stage)
		}
		if err != nil {
			if temporal.IsCanceledError(err) || errors.Is(err, workflow.ErrCanceled) {
				return t.cancelled(ctx)
			}
			var can *workflow.ContinueAsNewError
			if errors.As(err, &can) {
				return TransferReport{}, err
			}
			return t.failed(ctx, err)
		}
		if next != stage {
			t.setStage(ctx, next, "")
		}
		stage = next
	}
	return t.report(ctx), nil
}

// setStage records a stage change in the status, the timeline, the search attributes and the UI details.
func (t *transfer) setStage(ctx workflow.Context, stage Stage, note string) {
	now := workflow.Now(ctx).UTC()
	s := &t.state.Status
	entered := s.Stage != stage
	if entered || note != "" {
		s.Timeline = append(s.Timeline, TimelineEntry{Stage: stage, At: now, Note: note})
		if len(s.Timeline) > maxTimeline {
			s.Timeline = append(s.Timeline[:1], s.Timeline[len(s.Timeline)-maxTimeline+1:]...)
		}
	}
	s.Stage = stage
	s.UpdatedAt = now
	if stage.Terminal() {
		s.Awaiting = nil
	}
	t.upsert(ctx, SearchAttributeStage.ValueSet(string(stage)))
	if stage.Terminal() {
		t.upsert(ctx, SearchAttributeNextActionAt.ValueUnset())
	}
	t.refreshDetails(ctx)
	if entered {
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"stage": string(stage)}).Counter("csp_transfer_stage_entered").Inc(1)
	}
	t.log.Info("Stage", "Stage", string(stage), "Note", note)
}

// maxTimeline keeps the status small for transfers that renew and wait for many months.
const maxTimeline = 50

// await records what the transfer waits for and until when, for the status query, the CspNextActionAt
// search attribute and the UI.
func (t *transfer) await(ctx workflow.Context, what string, until time.Time) {
	s := &t.state.Status
	aw := &AwaitedThing{What: what}
	if !until.IsZero() {
		u := until.UTC()
		aw.Until = &u
	}
	if s.Awaiting != nil && s.Awaiting.What == aw.What && equalTimes(s.Awaiting.Until, aw.Until) {
		return
	}
	s.Awaiting = aw
	s.UpdatedAt = workflow.Now(ctx).UTC()
	if until.IsZero() {
		t.upsert(ctx, SearchAttributeNextActionAt.ValueUnset())
	} else {
		t.upsert(ctx, SearchAttributeNextActionAt.ValueSet(until.UTC()))
	}
	t.refreshDetails(ctx)
}

func (t *transfer) notWaiting() { t.state.Status.Awaiting = nil }

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func (t *transfer) upsertIdentity(ctx workflow.Context) {
	s := t.state.Status
	updates := []temporal.SearchAttributeUpdate{SearchAttributeStage.ValueSet(string(s.Stage))}
	if IsGUID(s.CustomerTenantID) {
		updates = append(updates, SearchAttributeCustomerTenantID.ValueSet(s.CustomerTenantID))
	}
	if isDomainName(s.CustomerDomain) {
		updates = append(updates, SearchAttributeCustomerDomain.ValueSet(s.CustomerDomain))
	}
	t.upsert(ctx, updates...)
}

func (t *transfer) upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	// A failed upsert only affects visibility, never the transfer; it is logged and the transfer goes on.
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		t.log.Warn("Search attributes not updated", "Error", err)
	}
}

// refreshDetails sets the markdown the Temporal UI shows as the workflow's current details.
func (t *transfer) refreshDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, t.details())
}

func (t *transfer) details() string {
	s := t.state.Status
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**Stage:** %s\n\n", s.Stage))
	if s.PartnerTenantID != "" {
		b.WriteString(fmt.Sprintf("**Partner tenant:** %s (%s)\n\n", s.PartnerTenantID, t.state.Market))
	}
	if s.Awaiting != nil {
		if s.Awaiting.Until != nil {
			b.WriteString(fmt.Sprintf("**Waiting for:** %s — until %s\n\n", s.Awaiting.What, s.Awaiting.Until.Format(time.RFC3339)))
		} else {
			b.WriteString(fmt.Sprintf("**Waiting for:** %s\n\n", s.Awaiting.What))
		}
	}
	if s.InvitationURL != "" && !t.state.Accepted {
		b.WriteString(fmt.Sprintf("**Invitation link:** %s\n\n", s.InvitationURL))
	}
	if len(s.Lines) > 0 {
		b.WriteString(fmt.Sprintf("**Plan v%d**\n\n| source | target | seats | same offer | ordered | provisioned | users moved | original |\n|---|---|---|---|---|---|---|---|\n", s.PlanVersion))
		for _, l := range s.Lines {
			target := l.TargetCatalogItemID
			if l.Unresolved {
				target = "— (choose with set-offer-mapping)"
			}
			b.WriteString(fmt.Sprintf("| %s | %s | %d | %t | %t | %t | %d/%d | %s %s |\n", sourceName(l.PlanLine), target, l.Quantity,
				l.SameOffer, l.Progress.Ordered, l.Progress.Provisioned, l.Progress.UsersMoved, l.Progress.UsersToMove,
				orDash(l.Progress.OriginalState), l.OriginalExpiresAt.Format("2006-01-02")))
		}
		b.WriteString("\n")
	}
	if s.LastError != "" {
		b.WriteString(fmt.Sprintf("**Last error:** %s\n", s.LastError))
	}
	return b.String()
}

func sourceName(l PlanLine) string {
	if l.SourceSkuPartNumber != "" {
		return l.SourceSkuPartNumber
	}
	return l.SourceSkuID
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// continueAsNewIfSuggested starts a fresh run carrying the state once the history grows large. It waits
// for running update handlers and drains pending signals first so nothing is lost.
func (t *transfer) continueAsNewIfSuggested(ctx workflow.Context) error {
	if !workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
		return nil
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	t.drainSignals(ctx)
	if t.abort != nil {
		return nil // act on it in this run
	}
	// Received but unverified acceptances are re-checked by the next run's first poll.
	if t.acceptSignals > 0 || t.adminSignals > 0 {
		t.state.NextReminderAt = workflow.Now(ctx)
	}
	t.state.Status.UpdatedAt = workflow.Now(ctx).UTC()
	next := t.req
	st := t.state
	next.Continued = &st
	t.log.Info("Continuing as new", "HistoryLength", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, WorkflowType, next)
}

// drainSignals moves any signal still buffered in a channel into the transfer's fields.
func (t *transfer) drainSignals(ctx workflow.Context) {
	for {
		var s RelationshipAccepted
		if !workflow.GetSignalChannel(ctx, SignalRelationshipAccepted).ReceiveAsync(&s) {
			break
		}
		if t.forThisCustomer(SignalRelationshipAccepted, s.CustomerTenantID) {
			t.acceptSignals++
		}
	}
	for {
		var s AdminAccessApproved
		if !workflow.GetSignalChannel(ctx, SignalAdminAccessApproved).ReceiveAsync(&s) {
			break
		}
		if t.forThisCustomer(SignalAdminAccessApproved, s.CustomerTenantID) {
			t.adminSignals++
		}
	}
	for {
		var s AgreementAccepted
		if !workflow.GetSignalChannel(ctx, SignalAgreementAccepted).ReceiveAsync(&s) {
			break
		}
		if t.forThisCustomer(SignalAgreementAccepted, s.CustomerTenantID) {
			t.agreementSignals = append(t.agreementSignals, s)
		}
	}
	for {
		var s Abort
		if !workflow.GetSignalChannel(ctx, SignalAbort).ReceiveAsync(&s) {
			break
		}
		if t.abort == nil {
			t.abort = &s
		}
	}
}

// report is the workflow's result.
func (t *transfer) report(ctx workflow.Context) TransferReport {
	return TransferReport{
		TransferStatus: t.state.Status,
		Outcome:        t.state.Status.Stage,
		Reason:         t.state.Status.LastError,
		CompletedAt:    workflow.Now(ctx).UTC(),
	}
}

// failed ends the transfer as Failed. The error keeps its type (InvalidRequest, RegionMismatch, ...) so
// operators and tests can tell failures apart; the report travels in its details.
func (t *transfer) failed(ctx workflow.Context, cause error) (TransferReport, error) {
	msg, errType := describeFailure(cause)
	t.state.Status.LastError = msg
	t.setStage(ctx, StageFailed, msg)
	rep := t.report(ctx)
	rep.Reason = msg
	return rep, temporal.NewNonRetryableApplicationError(msg, errType, nil, rep)
}

// describeFailure turns an activity or workflow error into the message and type operators see.
func describeFailure(err error) (string, string) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.Type() != "" {
			return appErr.Error(), appErr.Type()
		}
		return appErr.Error(), ErrTypeTransferFailed
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		return verr.Error(), ErrTypeInvalidRequest
	}
	return err.Error(), ErrTypeTransferFailed
}

// cancelled handles a Temporal cancellation like an abort without refunds: nothing is cancelled at
// Microsoft, and the workflow ends as cancelled.
func (t *transfer) cancelled(ctx workflow.Context) (TransferReport, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	t.state.Status.LastError = "cancelled through Temporal"
	t.setStage(dctx, StageAborted, "cancelled through Temporal; new subscriptions, if any, are kept")
	return t.report(dctx), temporal.NewCanceledError(t.report(dctx))
}
