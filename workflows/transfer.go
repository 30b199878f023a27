package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// a is used only for its method values: the worker registers the real *activities.Activities.
var a *activities.Activities

// Transfer is the CSPTransfer workflow: one customer's move of license-based subscriptions into this
// partner's CSP channel, from invitation to the last original's expiry. A start passes a
// csptransfer.TransferRequest; the workflow itself passes its state along when it continues as new.
func Transfer(ctx workflow.Context, in runInput) (csptransfer.TransferReport, error) {
	t := newTransfer(ctx, in)
	// First of all, before any other marker: see changeBaseline.
	t.baseline = workflow.GetVersion(ctx, changeBaseline, workflow.DefaultVersion, 1) > workflow.DefaultVersion
	if err := t.setup(ctx); err != nil {
		return csptransfer.TransferReport{}, err
	}
	if t.since(ctx, changeOneUpsertPerTask) {
		t.batchUpserts(ctx)
	}
	rep, err := t.run(ctx)
	// The run ends here, with no workflow task after this one: what it indexed last is written now.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	t.flushUpserts(dctx)
	return rep, err
}

// runInput is what one run of the transfer receives: the operator's request and, on the runs after
// continue-as-new, the state carried over. Its JSON is that of a TransferRequest with one more field, so a
// TransferRequest starts a transfer and every history recorded so far replays.
type runInput struct {
	csptransfer.TransferRequest
	// Continued is the previous run's state. Only the workflow sets it, when it continues as new.
	Continued *TransferState `json:"continued,omitempty"`
}

// transfer holds a running transfer. Only state survives continue-as-new; the rest is rebuilt in setup.
type transfer struct {
	req   csptransfer.TransferRequest
	state TransferState
	log   log.Logger
	// forgedState is set when a start (not the workflow's own continue-as-new) carried a state.
	forgedState bool

	// Messages received and not yet acted on.
	acceptSignals    int
	adminSignals     int
	agreementSignals []csptransfer.AgreementAccepted
	abort            *csptransfer.Abort
	// transferSignals counts partner-transfer-updated signals since the request was last read.
	transferSignals int
	// cancelTransfer is an operator's cancel-transfer the main loop has not acted on yet.
	cancelTransfer *csptransfer.CancelTransfer
	// changes counts operator updates (mapping, approval, skip) so waits can wake on them.
	changes int
	// baseline says this run began on code with every change up to changeBaseline (see since).
	baseline bool
	// batched says search attribute writes wait in pendingIndex until the workflow task ends
	// (changeOneUpsertPerTask).
	batched      bool
	pendingIndex []indexed
}

func newTransfer(ctx workflow.Context, in runInput) *transfer {
	t := &transfer{req: in.TransferRequest}
	if in.Continued != nil && workflow.GetInfo(ctx).ContinuedExecutionRunID != "" {
		t.state = *in.Continued
		// What the previous run received and had not acted on is acted on as if it arrived now.
		if t.state.PendingVerification {
			t.acceptSignals = 1
		}
		t.agreementSignals = t.state.PendingAgreements
		if t.state.PendingTransferCheck {
			t.transferSignals = 1
		}
		t.state.PendingVerification, t.state.PendingAgreements, t.state.PendingTransferCheck = false, nil, false
	} else {
		t.forgedState = in.Continued != nil
		now := workflow.Now(ctx).UTC()
		t.state.Status = csptransfer.TransferStatus{
			CustomerTenantID: strings.ToLower(strings.TrimSpace(in.CustomerTenantID)),
			CustomerDomain:   strings.ToLower(strings.TrimSpace(in.CustomerDomain)),
			Stage:            csptransfer.StageValidating,
			Timeline:         []csptransfer.TimelineEntry{{Stage: csptransfer.StageValidating, At: now}},
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
	if err := workflow.SetQueryHandlerWithOptions(ctx, csptransfer.QueryStatus, func() (csptransfer.TransferStatus, error) {
		return t.state.Status, nil
	}, workflow.QueryHandlerOptions{Description: "Where the transfer stands: stage, plan, progress, what it waits for"}); err != nil {
		return fmt.Errorf("register status query: %w", err)
	}
	t.listen(ctx)
	return t.registerUpdates(ctx)
}

// run drives the transfer stage by stage. Each step returns the next stage; the loop can resume at any
// stage, which is what continue-as-new relies on. A transfer passes the stages in this order:
//
//	Validating → CheckingRegion → Inviting → AwaitingAcceptance → CheckingAgreement → Discovering →
//	Planning ⇄ AwaitingApproval → fulfil: AwaitingPartnerTransfer | Provisioning → ReassigningLicenses → AwaitingExpiry → Completed
//
// Lines sold by another CSP partner wait in AwaitingPartnerTransfer for the source partner to accept one
// partner-to-partner transfer request, while the other lines are bought; lines the request does not
// transfer go back through AwaitingApproval (when the policy asks) to be bought.
//
// fulfil takes every line through its last three stages in time order: a line bought shortly before its
// original's end (provisioning beforeExpiry) is provisioned while others already wait for their expiry,
// so the stage shown is that of the step fulfil is doing. Any step may end in Failed; an abort in Aborted.
func (t *transfer) run(ctx workflow.Context) (csptransfer.TransferReport, error) {
	stage := t.state.Status.Stage
	if stage == csptransfer.StageValidating {
		t.upsertIdentity(ctx)
	}
	for !stage.Terminal() {
		if t.abort != nil && stage != csptransfer.StageValidating {
			return t.aborted(ctx, t.abort)
		}
		if can := t.continueAsNewIfSuggested(ctx); can != nil {
			return csptransfer.TransferReport{}, can
		}
		var next csptransfer.Stage
		var err error
		switch stage {
		case csptransfer.StageValidating:
			next, err = t.validate(ctx)
		case csptransfer.StageCheckingRegion:
			next, err = t.checkRegion(ctx)
		case csptransfer.StageInviting:
			next, err = t.invite(ctx)
		case csptransfer.StageAwaitingAcceptance:
			next, err = t.awaitAcceptance(ctx)
		case csptransfer.StageCheckingAgreement:
			next, err = t.checkAgreement(ctx)
		case csptransfer.StageDiscovering:
			next, err = t.discover(ctx)
		case csptransfer.StagePlanning:
			next, err = t.plan(ctx)
		case csptransfer.StageAwaitingApproval:
			next, err = t.awaitApproval(ctx)
		case csptransfer.StageAwaitingPartnerTransfer, csptransfer.StageProvisioning, csptransfer.StageReassigningLicenses, csptransfer.StageAwaitingExpiry:
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
				return csptransfer.TransferReport{}, err
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

// transferSignals are the signals a transfer takes, in the order listen registers them.
var transferSignals = []struct{ name, description string }{
	{csptransfer.SignalRelationshipAccepted, "The customer accepted the reseller relationship (verified against Partner Center before use)"},
	{csptransfer.SignalAdminAccessApproved, "The customer approved GDAP admin access (verified before use)"},
	{csptransfer.SignalAgreementAccepted, "The customer accepted the Microsoft Customer Agreement (optionally with the partner's attestation)"},
	{csptransfer.SignalAbort, "Stop the transfer; after purchase new subscriptions are kept unless cancelRefundable"},
	{csptransfer.SignalPartnerTransferUpdated, "Partner Center announced a change of the partner-to-partner transfer request (read back before use)"},
}

// listen takes in every signal as it arrives, for as long as the run lasts.
func (t *transfer) listen(ctx workflow.Context) {
	sel := workflow.NewSelector(ctx)
	for _, s := range transferSignals {
		ch := workflow.GetSignalChannelWithOptions(ctx, s.name, workflow.SignalChannelOptions{Description: s.description})
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
			t.receive(ctx, s.name, func(v any) bool { c.Receive(ctx, v); return true }, true)
		})
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel.Select(ctx)
		}
	})
}

// drainSignals takes in the signals still buffered, before the run continues as new.
func (t *transfer) drainSignals(ctx workflow.Context) {
	for _, s := range transferSignals {
		ch := workflow.GetSignalChannel(ctx, s.name)
		for t.receive(ctx, s.name, func(v any) bool { return ch.ReceiveAsync(v) }, false) {
		}
	}
}

// receive takes in one signal with take, which decodes it into its payload and reports whether there was
// one. It is the only place a signal's payload is read and acted on. live says the signal arrived while
// the run was going, not drained before continue-as-new.
func (t *transfer) receive(ctx workflow.Context, name string, take func(valuePtr any) bool, live bool) bool {
	switch name {
	case csptransfer.SignalRelationshipAccepted:
		return takeForCustomer(ctx, t, name, take, func(s csptransfer.RelationshipAccepted) string { return s.CustomerTenantID },
			func(csptransfer.RelationshipAccepted) { t.acceptSignals++ })
	case csptransfer.SignalAdminAccessApproved:
		return takeForCustomer(ctx, t, name, take, func(s csptransfer.AdminAccessApproved) string { return s.CustomerTenantID },
			func(csptransfer.AdminAccessApproved) { t.adminSignals++ })
	case csptransfer.SignalAgreementAccepted:
		return takeForCustomer(ctx, t, name, take, func(s csptransfer.AgreementAccepted) string { return s.CustomerTenantID },
			func(s csptransfer.AgreementAccepted) { t.agreementSignals = append(t.agreementSignals, s) })
	case csptransfer.SignalPartnerTransferUpdated:
		return takeForCustomer(ctx, t, name, take, func(s csptransfer.PartnerTransferUpdated) string { return s.CustomerTenantID },
			func(csptransfer.PartnerTransferUpdated) { t.transferSignals++ })
	case csptransfer.SignalAbort:
		var s csptransfer.Abort
		if !take(&s) {
			return false
		}
		switch {
		case t.abort == nil:
			t.abort = &s
		case s.CancelRefundable && (live || t.since(ctx, changeMergeDrainedAbort)):
			// A later abort may only ask for more: refunds. Runs recorded before the change ignored a
			// second abort found while draining.
			t.abort.CancelRefundable = true
		}
	default:
		return false
	}
	return true
}

// takeForCustomer takes in a signal whose payload names a customer tenant and acts on it when it names this
// transfer's customer. It reports whether there was a signal.
func takeForCustomer[T any](ctx workflow.Context, t *transfer, name string, take func(valuePtr any) bool, tenant func(T) string, act func(T)) bool {
	var s T
	if !take(&s) {
		return false
	}
	if t.forThisCustomer(ctx, name, tenant(s)) {
		act(s)
	}
	return true
}

// forThisCustomer ignores a signal naming another customer: the invitation link is the same for every
// customer, so a misrouted webhook must not advance the wrong transfer. An empty id means "this one".
func (t *transfer) forThisCustomer(ctx workflow.Context, signal, customerTenantID string) bool {
	id := strings.ToLower(strings.TrimSpace(customerTenantID))
	if id == "" || id == t.state.Status.CustomerTenantID {
		return true
	}
	t.log.Warn("Ignored a signal for another customer", "Signal", signal)
	t.setError(ctx, fmt.Sprintf("ignored %s signal: it named another customer tenant", signal))
	return false
}

// setStage records a stage change in the status, the timeline, the search attributes and the UI details.
// A note says why, when it is not obvious.
func (t *transfer) setStage(ctx workflow.Context, stage csptransfer.Stage, note string) {
	s := &t.state.Status
	entered := s.Stage != stage
	if entered || note != "" {
		t.record(ctx, stage, note)
	}
	s.Stage = stage
	s.UpdatedAt = workflow.Now(ctx).UTC()
	stageUpdate := keyword(csptransfer.SearchAttributeStage, string(stage))
	switch {
	case !stage.Terminal():
		t.upsert(ctx, stageUpdate)
	case t.legacyUpserts(ctx):
		s.Awaiting = nil
		t.upsert(ctx, stageUpdate)
		t.upsert(ctx, datetime(csptransfer.SearchAttributeNextActionAt, time.Time{}))
	default:
		s.Awaiting = nil
		t.upsert(ctx, stageUpdate, datetime(csptransfer.SearchAttributeNextActionAt, time.Time{}))
	}
	t.refreshDetails(ctx)
	if entered {
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"stage": string(stage)}).Counter("csp_transfer_stage_entered").Inc(1)
	}
	t.log.Info("Stage", "Stage", string(stage), "Note", note)
}

// note adds what just happened to the timeline, in the current stage. Transfers recorded before
// changeUpsertOnlyChanges wrote the unchanged stage to the search attributes with every note; they still do.
func (t *transfer) note(ctx workflow.Context, text string) {
	if t.legacyUpserts(ctx) {
		t.setStage(ctx, t.state.Status.Stage, text)
		return
	}
	t.record(ctx, t.state.Status.Stage, text)
	t.state.Status.UpdatedAt = workflow.Now(ctx).UTC()
	t.refreshDetails(ctx)
	t.log.Info("Note", "Stage", string(t.state.Status.Stage), "Note", text)
}

// record appends a timeline entry, keeping the first entry and the latest ones. It changes nothing else,
// so update handlers may call it.
func (t *transfer) record(ctx workflow.Context, stage csptransfer.Stage, text string) {
	s := &t.state.Status
	s.Timeline = append(s.Timeline, csptransfer.TimelineEntry{Stage: stage, At: workflow.Now(ctx).UTC(), Note: text})
	if len(s.Timeline) > maxTimeline {
		s.Timeline = append(s.Timeline[:1], s.Timeline[len(s.Timeline)-maxTimeline+1:]...)
	}
}

// maxTimeline keeps the status small for transfers that renew and wait for many months.
const maxTimeline = 50

// await records what the transfer waits for and until when, for the status query, the CspNextActionAt
// search attribute and the UI.
func (t *transfer) await(ctx workflow.Context, what string, until time.Time) {
	t.awaitNext(ctx, what, until, "")
}

// awaitNext is await naming what the transfer does at until.
func (t *transfer) awaitNext(ctx workflow.Context, what string, until time.Time, next string) {
	s := &t.state.Status
	aw := &csptransfer.AwaitedThing{What: what, Next: next}
	if !until.IsZero() {
		u := until.UTC()
		aw.Until = &u
	}
	if s.Awaiting != nil && s.Awaiting.What == aw.What && s.Awaiting.Next == aw.Next && equalTimes(s.Awaiting.Until, aw.Until) {
		return
	}
	s.Awaiting = aw
	s.UpdatedAt = workflow.Now(ctx).UTC()
	t.upsert(ctx, datetime(csptransfer.SearchAttributeNextActionAt, until))
	t.refreshDetails(ctx)
}

// setError records the last error in plain words, and when it was seen.
func (t *transfer) setError(ctx workflow.Context, msg string) {
	t.state.Status.LastError = msg
	t.state.Status.UpdatedAt = workflow.Now(ctx).UTC()
}

// notWaiting clears what the transfer waits for; since changeNextAction also the CspNextActionAt it
// indexed, so a list does not show a next action the status no longer has. Only the main coroutine calls it.
func (t *transfer) notWaiting(ctx workflow.Context) {
	t.state.Status.Awaiting = nil
	if t.nextActions(ctx) {
		t.upsert(ctx, datetime(csptransfer.SearchAttributeNextActionAt, time.Time{}))
	}
}

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func (t *transfer) upsertIdentity(ctx workflow.Context) {
	s := t.state.Status
	updates := []indexed{keyword(csptransfer.SearchAttributeStage, string(s.Stage))}
	if csptransfer.IsGUID(s.CustomerTenantID) {
		updates = append(updates, keyword(csptransfer.SearchAttributeCustomerTenantID, s.CustomerTenantID))
	}
	if csptransfer.IsDomainName(s.CustomerDomain) {
		updates = append(updates, keyword(csptransfer.SearchAttributeCustomerDomain, s.CustomerDomain))
	}
	t.upsert(ctx, updates...)
}

// indexed is one search attribute value to write: its name, the value as text (empty to remove it) and
// the update that writes it.
type indexed struct {
	name, value string
	update      temporal.SearchAttributeUpdate
}

func keyword(key temporal.SearchAttributeKeyKeyword, value string) indexed {
	return indexed{name: key.GetName(), value: value, update: key.ValueSet(value)}
}

// datetime sets a time attribute, or removes it when at is zero.
func datetime(key temporal.SearchAttributeKeyTime, at time.Time) indexed {
	if at.IsZero() {
		return indexed{name: key.GetName(), update: key.ValueUnset()}
	}
	at = at.UTC()
	return indexed{name: key.GetName(), value: at.Format(time.RFC3339Nano), update: key.ValueSet(at)}
}

// upsert writes, in one command, the values that change what is indexed: every upsert is a billable
// action, so one that changes nothing is not sent. What is indexed is what the transfer wrote, kept in its
// state (Temporal carries search attributes into the next run, and the state goes with them); the SDK's
// own view of the attributes is not used, because a live run and its replay do not always see the
// inherited ones alike. Transfers recorded before changeUpsertOnlyChanges sent every value; they keep
// doing so to replay.
func (t *transfer) upsert(ctx workflow.Context, values ...indexed) {
	legacy := t.legacyUpserts(ctx)
	var updates []temporal.SearchAttributeUpdate
	for _, v := range values {
		if cur, ok := t.state.Indexed[v.name]; !legacy && ok && cur == v.value {
			continue
		}
		if t.state.Indexed == nil {
			t.state.Indexed = map[string]string{}
		}
		t.state.Indexed[v.name] = v.value
		if t.batched {
			// The latest value of each attribute wins; the coroutine batchUpserts started writes them.
			t.pendingIndex = slices.DeleteFunc(t.pendingIndex, func(p indexed) bool { return p.name == v.name })
			t.pendingIndex = append(t.pendingIndex, v)
			continue
		}
		updates = append(updates, v.update)
	}
	if len(updates) > 0 {
		t.writeIndex(ctx, updates)
	}
}

// writeIndex upserts search attributes. A failed upsert only affects visibility, never the transfer; it is
// logged and the transfer goes on.
func (t *transfer) writeIndex(ctx workflow.Context, updates []temporal.SearchAttributeUpdate) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		t.log.Warn("Search attributes not updated", "Error", err)
	}
}

// batchUpserts makes every workflow task write its search attribute changes in one upsert: a coroutine
// waits for changes and runs only once the code that made them blocks, which is when the task's commands
// are about to be sent. Each upsert is a billable action; a stage change and the next act used to be two.
func (t *transfer) batchUpserts(ctx workflow.Context) {
	t.batched = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return len(t.pendingIndex) > 0 }); err != nil {
				return
			}
			t.flushUpserts(ctx)
		}
	})
}

// flushUpserts writes the batched search attribute changes, if any, in one upsert.
func (t *transfer) flushUpserts(ctx workflow.Context) {
	if len(t.pendingIndex) == 0 {
		return
	}
	updates := make([]temporal.SearchAttributeUpdate, 0, len(t.pendingIndex))
	for _, v := range t.pendingIndex {
		updates = append(updates, v.update)
	}
	t.pendingIndex = nil
	t.writeIndex(ctx, updates)
}

// nextActions says this run tells the awaited thing and the next act apart (changeNextAction). Only the
// main coroutine asks.
func (t *transfer) nextActions(ctx workflow.Context) bool {
	return t.since(ctx, changeNextAction)
}

// legacyUpserts says this run began before changeUpsertOnlyChanges. Only the workflow's main coroutine
// asks, never a handler, so the version marker lands at the same point on every replay.
func (t *transfer) legacyUpserts(ctx workflow.Context) bool {
	return !t.since(ctx, changeUpsertOnlyChanges)
}

// since reports whether this run has the change changeID (version 1 of its workflow.GetVersion patch). A
// run that began on code with changeBaseline has every change listed before it, and asks nothing: each
// GetVersion recorded a marker and upserted the TemporalChangeVersion search attribute, a billable action.
// Changes made after changeBaseline must call workflow.GetVersion themselves.
func (t *transfer) since(ctx workflow.Context, changeID string) bool {
	if t.baseline {
		return true
	}
	return workflow.GetVersion(ctx, changeID, workflow.DefaultVersion, 1) > workflow.DefaultVersion
}

// refreshDetails sets the markdown the Temporal UI shows as the workflow's current details.
func (t *transfer) refreshDetails(ctx workflow.Context) {
	if t.state.Status.Money != nil {
		t.priceLines(workflow.Now(ctx).UTC()) // refund windows close and planned purchases near as time passes
	}
	workflow.SetCurrentDetails(ctx, t.details())
}

func (t *transfer) details() string {
	s := t.state.Status
	var b strings.Builder
	// cell keeps a value inside its table cell: a "|" would end the cell and a line break the row.
	cell := strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace
	b.WriteString(fmt.Sprintf("**Stage:** %s\n\n", s.Stage))
	if s.PartnerTenantID != "" {
		b.WriteString(fmt.Sprintf("**Partner tenant:** %s (%s)\n\n", s.PartnerTenantID, t.state.Market))
	}
	if s.Awaiting != nil {
		switch {
		case s.Awaiting.Until != nil && s.Awaiting.Next != "":
			b.WriteString(fmt.Sprintf("**Waiting for:** %s\n\n**Next:** %s at %s\n\n", s.Awaiting.What, s.Awaiting.Next, s.Awaiting.Until.Format(time.RFC3339)))
		case s.Awaiting.Until != nil:
			b.WriteString(fmt.Sprintf("**Waiting for:** %s — until %s\n\n", s.Awaiting.What, s.Awaiting.Until.Format(time.RFC3339)))
		default:
			b.WriteString(fmt.Sprintf("**Waiting for:** %s\n\n", s.Awaiting.What))
		}
	}
	if s.InvitationURL != "" && !t.state.Accepted {
		b.WriteString(fmt.Sprintf("**Invitation link:** %s\n\n", s.InvitationURL))
	}
	if pt := s.PartnerTransfer; pt != nil {
		b.WriteString(fmt.Sprintf("**Partner transfer request:** %s — %s (%s), from %s, %d line(s)", pt.ID, pt.Status, pt.Outcome,
			describePartner(csptransfer.SourcePartner{TenantID: pt.SourcePartnerTenantID, Name: pt.SourcePartnerName}), len(pt.Lines)))
		if pt.ExpiresAt != nil {
			b.WriteString(", expires " + pt.ExpiresAt.Format(time.RFC3339))
		}
		if pt.NextCheckAt != nil {
			b.WriteString(", next check " + pt.NextCheckAt.Format(time.RFC3339))
		}
		b.WriteString("\n\n")
		listed := false
		for _, it := range pt.Items {
			if it.ErrorCode != "" || it.Error != "" {
				b.WriteString(fmt.Sprintf("- %s: %s %s\n", orDash(it.SubscriptionID), it.ErrorCode, it.Error))
				listed = true
			}
		}
		if listed {
			b.WriteString("\n") // else the plan's heading would continue the last item
		}
	}
	if len(s.Lines) > 0 {
		b.WriteString(fmt.Sprintf("**Plan v%d**\n\n| source | how | target | seats | same offer | ordered | provisioned | users moved | original |\n|---|---|---|---|---|---|---|---|---|\n", s.PlanVersion))
		for _, l := range s.Lines {
			target := l.TargetCatalogItemID
			if l.Unresolved {
				target = "— (choose with set-offer-mapping)"
			}
			how := "buy"
			if l.Transfers() {
				how = "transfer (awaited)"
				if l.Progress.Transferred {
					how = "transferred"
				}
			}
			b.WriteString(fmt.Sprintf("| %s | %s | %s | %d | %t | %t | %t | %d/%d | %s %s |\n", cell(l.SourceName()), how, cell(target), l.Quantity,
				l.SameOffer, l.Progress.Ordered, l.Progress.Provisioned, l.Progress.UsersMoved, l.Progress.UsersToMove,
				cell(orDash(l.Progress.OriginalState)), l.OriginalExpiresAt.Format("2006-01-02")))
		}
		b.WriteString("\n")
		// The notes that matter before approving: risks, choices, errors; short, two per line at most.
		var notes []string
		for _, l := range s.Lines {
			ln := l.Notes
			if l.Progress.Error != "" {
				ln = append([]string{l.Progress.Error}, ln...)
			}
			for i, n := range ln {
				if i == 2 {
					break
				}
				notes = append(notes, fmt.Sprintf("- %s: %s", l.SourceName(), csptransfer.Truncate(n, 200)))
			}
		}
		if len(notes) > 0 {
			b.WriteString("**Notes**\n\n" + strings.Join(notes, "\n") + "\n\n")
		}
	}
	t.moneyDetails(&b, cell)
	if s.LastError != "" {
		b.WriteString(fmt.Sprintf("**Last error:** %s\n\n", s.LastError))
	}
	// Two blank paragraphs end the details. The Temporal UI (2.42) renders this markdown in an iframe it sizes
	// once, on load, to the body's scrollHeight + 2px: that leaves out the body's margins and the margins its
	// first and last blocks collapse into them (about 30px), and a horizontal scrollbar, when the plan table
	// is wider than the panel, takes 15px more. Whatever came last, the last table row or the last note, was
	// cut off; now only these are.
	b.WriteString("\u00a0\n\n\u00a0\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// continueAsNewIfSuggested starts a fresh run carrying the state once the history grows large. It waits
// for running update handlers and drains pending signals first so nothing is lost. It waits while a
// re-plan is pending, because the set-offer-mapping handler that asked for it finishes only once the
// main loop has planned again: waiting for that handler here would wait forever.
func (t *transfer) continueAsNewIfSuggested(ctx workflow.Context) error {
	if !workflow.GetInfo(ctx).GetContinueAsNewSuggested() || t.mappingsDirty() || t.cancelTransfer != nil {
		return nil
	}
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) || t.mappingsDirty() || t.cancelTransfer != nil
	}); err != nil {
		return err
	}
	if t.mappingsDirty() || t.cancelTransfer != nil {
		return nil // a mapping or a cancel arrived while waiting: act on it first
	}
	t.drainSignals(ctx)
	if t.abort != nil {
		return nil // act on it in this run
	}
	st := t.state
	st.Status.UpdatedAt = workflow.Now(ctx).UTC()
	st.PendingVerification = t.acceptSignals > 0 || t.adminSignals > 0
	st.PendingAgreements = t.agreementSignals
	st.PendingTransferCheck = t.transferSignals > 0
	t.log.Info("Continuing as new", "HistoryLength", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, csptransfer.WorkflowType, runInput{TransferRequest: t.req, Continued: &st})
}

// report is the workflow's result.
func (t *transfer) report(ctx workflow.Context) csptransfer.TransferReport {
	return csptransfer.TransferReport{
		TransferStatus: t.state.Status,
		Outcome:        t.state.Status.Stage,
		Reason:         t.state.Status.LastError,
		CompletedAt:    workflow.Now(ctx).UTC(),
	}
}

// failed ends the transfer as Failed. The error keeps its type (InvalidRequest, RegionMismatch, ...) so
// operators and tests can tell failures apart; the report travels in its details.
func (t *transfer) failed(ctx workflow.Context, cause error) (csptransfer.TransferReport, error) {
	msg, errType := describeFailure(cause)
	t.state.Status.LastError, t.state.Status.LastErrorType = msg, errType
	t.setStage(ctx, csptransfer.StageFailed, msg)
	rep := t.report(ctx)
	rep.Reason = msg
	return rep, temporal.NewNonRetryableApplicationError(msg, errType, nil, rep)
}

// describeFailure turns an activity or workflow error into the message and type operators see.
func describeFailure(err error) (string, string) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return reason(err), appErr.Type()
	}
	var verr *csptransfer.ValidationError
	if errors.As(err, &verr) {
		return reason(err), csptransfer.ErrTypeInvalidRequest
	}
	return reason(err), csptransfer.ErrTypeTransferFailed
}

// reason is an error as operators read it: the message the activity (or Microsoft) gave, once, without
// the SDK's wrapping ("activity error (type: …, scheduledEventID: …)", "(type: X, retryable: false)").
// The type stays available apart, in the error itself and in lastErrorType.
func reason(err error) string {
	var verr *csptransfer.ValidationError
	if errors.As(err, &verr) {
		return verr.Error()
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Message() != "" {
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "no answer in time (" + strings.ToLower(strings.TrimPrefix(timeout.TimeoutType().String(), "TIMEOUT_TYPE_")) + " timeout)"
	}
	return err.Error()
}

// cancelled handles a Temporal cancellation like an abort without refunds: nothing is cancelled at
// Microsoft, and the workflow ends as cancelled.
func (t *transfer) cancelled(ctx workflow.Context) (csptransfer.TransferReport, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	t.setError(ctx, "cancelled through Temporal")
	t.setStage(dctx, csptransfer.StageAborted, "cancelled through Temporal; new subscriptions, if any, are kept")
	return t.report(dctx), temporal.NewCanceledError(t.report(dctx))
}

// Change IDs of workflow.GetVersion patches: each keeps transfers started before the change replaying.
const (
	changeRetryBeforeExpiry = "retry-failed-line-before-expiry"
	// changeUpsertOnlyChanges: search attributes are written once per change, never unchanged.
	changeUpsertOnlyChanges = "upsert-only-changes"
	// changeMergeDrainedAbort: a second abort asking for refunds counts even when drained before
	// continue-as-new.
	changeMergeDrainedAbort = "merge-drained-abort"
	// changeInviteSteps: the invitation is one activity per side effect.
	changeInviteSteps = "invite-one-effect-per-activity"
	// changePartnerTransfers: lines sold by another CSP partner move by partner-to-partner transfer request.
	changePartnerTransfers = "partner-to-partner-transfers"
	// changeNextAction: the awaited thing and the next act are told apart, and CspNextActionAt is the next
	// act (a reminder, a re-check, a deadline); the agreement is re-checked on a growing interval.
	changeNextAction = "awaiting-next-action"
	// changeAcceptancePoll: a transfer waiting for acceptance reads Partner Center every 3 days and before
	// each reminder, not every 6 hours.
	changeAcceptancePoll = "acceptance-poll-at-reminders"
	// changeOneUpsertPerTask: a workflow task writes its search attribute changes in one upsert.
	changeOneUpsertPerTask = "one-upsert-per-task"
	// changeMoneyView: every plan is priced with a quote cart, which is checked out when it still buys
	// what is due.
	changeMoneyView = "money-view"
	// changeBaseline: a run that records it has every change above (transfer.since) and records no marker
	// for them, so a new transfer pays one TemporalChangeVersion upsert instead of one per change. It
	// stays the last of this list: later changes call workflow.GetVersion on their own.
	changeBaseline = "baseline-money-view"
)
