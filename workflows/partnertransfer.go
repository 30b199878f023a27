package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

// The partner-to-partner transfer request: lines sold by another CSP partner move by one request to that
// partner. It is created once (its id kept in the status, a stable MS-RequestId, looked up before it is
// created again), read back on durable timers that grow from firstTransferCheck to maxTransferCheck (a
// complete-transfer or fail-transfer webhook reads it at once), and the source partner and the customer
// are reminded while it waits. Lines it transfers are verified under this partner and need nothing more;
// the others fall back to buying, never both for one line.
const (
	firstTransferCheck = 10 * time.Minute
	maxTransferCheck   = 12 * time.Hour
	// transferDeadline ends a request Microsoft gives no expirationTime for (30 days is what Partner
	// Center shows; UNCONFIRMED): it is cancelled and its lines bought.
	transferDeadline = 31 * 24 * time.Hour
	// afterExpiry reads a request this long after its expirationTime, to see it Expired.
	afterExpiry = time.Minute
)

// partnerTransfer is the pending or finished transfer request, nil when none was made.
func (t *transfer) partnerTransfer() *csptransfer.PartnerTransferStatus {
	return t.state.Status.PartnerTransfer
}

// transferPending says a request exists and some of its lines are not settled: Microsoft has not decided,
// or it reports them transferred and they are not yet seen under this partner.
func (t *transfer) transferPending() bool {
	pt := t.partnerTransfer()
	return pt != nil && len(t.awaitedTransferLines()) > 0 &&
		(pt.Outcome == csptransfer.PartnerTransferPending || pt.Outcome == csptransfer.PartnerTransferComplete)
}

// awaitedTransferLines are the lines that move by transfer and are not transferred yet.
func (t *transfer) awaitedTransferLines() []int {
	var out []int
	for i, l := range t.state.Status.Lines {
		if l.Transfers() && !l.Progress.Transferred {
			out = append(out, i)
		}
	}
	return out
}

// needsTransferRequest says lines move by transfer and no request was made for them yet.
func (t *transfer) needsTransferRequest() bool {
	return t.partnerTransfer() == nil && len(t.awaitedTransferLines()) > 0
}

// sourcePartner is who the request goes to: the plan's choice, with the request's name and e-mail when
// they are the same partner.
func (t *transfer) sourcePartner() csptransfer.SourcePartner {
	var src csptransfer.SourcePartner
	for _, i := range t.awaitedTransferLines() {
		src.TenantID = t.state.Status.Lines[i].SourcePartnerTenantID
		break
	}
	if sp := t.req.SourcePartner; sp != nil && (sp.TenantID == "" || strings.EqualFold(sp.TenantID, src.TenantID)) {
		src.Name, src.Email = sp.Name, sp.Email
	}
	return src
}

// requestPartnerTransfer creates the transfer request. Partner Center refusing it for a business reason
// is not the end of the transfer: its lines are bought instead.
func (t *transfer) requestPartnerTransfer(ctx workflow.Context) (csptransfer.Stage, error) {
	src := t.sourcePartner()
	lines := t.awaitedTransferLines()
	t.await(ctx, "Partner Center to take the partner-to-partner transfer request", time.Time{})
	var res activities.RequestPartnerTransferResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Create the partner-to-partner transfer request"), a.RequestPartnerTransfer,
		activities.RequestPartnerTransferInput{
			PartnerTenantID:       t.state.Status.PartnerTenantID,
			CustomerTenantID:      t.req.CustomerTenantID,
			SourcePartnerTenantID: src.TenantID,
			SourcePartnerName:     src.Name,
			CustomerEmail:         t.req.ContactEmail,
			CustomerName:          t.req.CustomerName,
			RequestID:             t.requestID(ctx, "partner-transfer"),
		}).Get(ctx, &res)
	var appErr *temporal.ApplicationError
	if err != nil && errors.As(err, &appErr) {
		return t.fallBack(ctx, lines, "Partner Center refused the partner-to-partner transfer request ("+reason(err)+")")
	}
	if err != nil {
		return "", err
	}
	now := workflow.Now(ctx).UTC()
	next := now.Add(firstTransferCheck)
	pt := &csptransfer.PartnerTransferStatus{
		ID: res.TransferID, Status: res.Status, Outcome: csptransfer.PartnerTransferPending,
		SourcePartnerTenantID: src.TenantID, SourcePartnerName: src.Name,
		Lines: lines, CreatedAt: res.CreatedAt, ExpiresAt: res.ExpiresAt, NextCheckAt: &next,
	}
	if pt.CreatedAt.IsZero() {
		pt.CreatedAt = now
	}
	t.state.Status.PartnerTransfer = pt
	t.state.TransferKeys = nil
	for _, i := range lines {
		t.state.TransferKeys = append(t.state.TransferKeys, lineKey(t.state.Status.Lines[i].PlanLine))
	}
	t.state.TransferReminderAt = now.Add(t.req.ReminderEvery.D())
	verb := "sent"
	if res.Adopted {
		verb = "found pending and used"
	}
	t.note(ctx, fmt.Sprintf("partner-to-partner transfer request %s %s: %d line(s) wait for %s to accept it in Partner Center%s",
		res.TransferID, verb, len(lines), describePartner(src), expiresText(res.ExpiresAt)))
	t.remindTransfer(ctx, true)
	return csptransfer.StageAwaitingPartnerTransfer, nil
}

func expiresText(at *time.Time) string {
	if at == nil {
		return ""
	}
	return " (it expires " + at.UTC().Format("2006-01-02 15:04 MST") + ")"
}

// transferCheckDue says the request should be read now: a webhook announced a change, or its time came.
func (t *transfer) transferCheckDue(now time.Time) bool {
	pt := t.partnerTransfer()
	if pt == nil || !t.transferPending() {
		return false
	}
	return t.transferSignals > 0 || pt.NextCheckAt == nil || !now.Before(*pt.NextCheckAt)
}

// checkPartnerTransfer reads the request and acts on what Microsoft says.
func (t *transfer) checkPartnerTransfer(ctx workflow.Context) (csptransfer.Stage, error) {
	pt := t.partnerTransfer()
	t.transferSignals = 0
	refs := t.transferRefs()
	var res activities.CheckPartnerTransferResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Read the partner-to-partner transfer request"), a.CheckPartnerTransfer,
		activities.CheckPartnerTransferInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
			TransferID:       pt.ID,
			Lines:            refs,
		}).Get(ctx, &res)
	if err != nil {
		return t.unreadable(ctx, err)
	}
	pt.Error = ""
	return t.actOnTransfer(ctx, res, "")
}

// unreadable handles a request Partner Center refuses to show (not found, access lost): the transfer keeps
// waiting and says why, since buying while the source may still transfer would have the customer pay
// twice. Once the request's own expiry is a day past, nobody can accept it any more and its lines are
// bought.
func (t *transfer) unreadable(ctx workflow.Context, err error) (csptransfer.Stage, error) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return "", err
	}
	pt := t.partnerTransfer()
	now := workflow.Now(ctx).UTC()
	pt.Error = "Partner Center did not show the request: " + reason(err)
	t.setError(ctx, pt.Error)
	if pt.ExpiresAt != nil && now.After(pt.ExpiresAt.Add(24*time.Hour)) {
		pt.Outcome, pt.NextCheckAt = csptransfer.PartnerTransferExpired, nil
		return t.fallBack(ctx, t.awaitedTransferLines(), fmt.Sprintf("the partner-to-partner transfer request %s could not be read after it expired (%s)", pt.ID, reason(err)))
	}
	pt.Checks++
	t.scheduleTransferCheck(now)
	return csptransfer.StageAwaitingPartnerTransfer, nil
}

// transferRefs describes the lines still awaited from the request.
func (t *transfer) transferRefs() []activities.TransferLineRef {
	var refs []activities.TransferLineRef
	for _, i := range t.awaitedTransferLines() {
		l := t.state.Status.Lines[i]
		refs = append(refs, activities.TransferLineRef{
			Line: i, CatalogItemID: l.TargetCatalogItemID, Quantity: l.Quantity, ExpiresAt: l.OriginalExpiresAt,
			SubscriptionIDs: l.SourceSubscriptionIDs,
		})
	}
	return refs
}

// actOnTransfer records what the request's state means for each line. why, when set, is the operator's
// reason for a cancel.
func (t *transfer) actOnTransfer(ctx workflow.Context, res activities.CheckPartnerTransferResult, why string) (csptransfer.Stage, error) {
	pt := t.partnerTransfer()
	now := workflow.Now(ctx).UTC()
	pt.Status, pt.Checks, pt.CheckedAt, pt.Items = res.Status, pt.Checks+1, &now, res.Items
	if res.ExpiresAt != nil {
		pt.ExpiresAt = res.ExpiresAt
	}
	previous := pt.Outcome
	pt.Outcome = res.Outcome
	switch res.Outcome {
	case csptransfer.PartnerTransferPending:
		if pt.ExpiresAt == nil && !now.Before(pt.CreatedAt.Add(transferDeadline)) {
			return t.cancelPartnerTransfer(ctx, fmt.Sprintf("the source partner did not act on it in %d days", int(transferDeadline.Hours()/24)))
		}
		t.scheduleTransferCheck(now)
		if previous != res.Outcome {
			t.note(ctx, "partner transfer request "+pt.ID+" is "+res.Status)
		}
		return csptransfer.StageAwaitingPartnerTransfer, nil
	case csptransfer.PartnerTransferComplete:
		return t.transferComplete(ctx, res, now)
	}
	what := map[string]string{
		csptransfer.PartnerTransferExpired:   "expired before the source partner accepted it",
		csptransfer.PartnerTransferCancelled: "was cancelled",
		csptransfer.PartnerTransferRejected:  "was rejected by the source partner",
	}[res.Outcome]
	if why != "" {
		what += " (" + why + ")"
	}
	pt.NextCheckAt = nil
	return t.fallBack(ctx, t.awaitedTransferLines(), fmt.Sprintf("the partner-to-partner transfer request %s %s", pt.ID, what))
}

// transferComplete records the lines Microsoft transferred, falls back for those it did not, and keeps
// reading the request for lines reported transferred that this partner does not list yet.
func (t *transfer) transferComplete(ctx workflow.Context, res activities.CheckPartnerTransferResult, now time.Time) (csptransfer.Stage, error) {
	pt := t.partnerTransfer()
	var failed []int
	reasons := map[int]string{}
	transferred, unverified := 0, 0
	for _, o := range res.Lines {
		if o.Line < 0 || o.Line >= len(t.state.Status.Lines) || !t.state.Status.Lines[o.Line].Transfers() {
			continue
		}
		l := &t.state.Status.Lines[o.Line]
		switch o.State {
		case activities.TransferLineTransferred:
			l.Progress.Transferred, l.Progress.SubscriptionID, l.Progress.TermEndsAt, l.Progress.Error = true, o.SubscriptionID, o.TermEndsAt, ""
			if o.Reason != "" {
				l.Notes = append(l.Notes, "transferred: "+o.Reason)
			}
			transferred++
			workflow.GetMetricsHandler(ctx).Counter("csp_transfer_lines_transferred").Inc(1)
		case activities.TransferLineUnverified:
			l.Progress.Error = o.Reason
			unverified++
		default:
			failed = append(failed, o.Line)
			reasons[o.Line] = o.Reason
		}
	}
	if transferred > 0 {
		t.note(ctx, fmt.Sprintf("partner transfer request %s complete: %d line(s) transferred to this partner; nothing bought for them", pt.ID, transferred))
	}
	if unverified > 0 {
		t.setError(ctx, fmt.Sprintf("%d line(s) reported transferred are not listed under this partner yet; read again at the next check", unverified))
		t.scheduleTransferCheck(now)
	} else {
		pt.NextCheckAt = nil
	}
	if len(failed) == 0 {
		return csptransfer.StageAwaitingPartnerTransfer, nil
	}
	for _, i := range failed {
		t.setFallback(i, fmt.Sprintf("the partner-to-partner transfer request %s did not transfer it: %s", pt.ID, reasons[i]))
	}
	return t.replanFallbacks(ctx, failed)
}

// scheduleTransferCheck sets the next read: the interval doubles with every check up to maxTransferCheck,
// and the request is read just after it expires.
func (t *transfer) scheduleTransferCheck(now time.Time) {
	pt := t.partnerTransfer()
	every := firstTransferCheck
	for i := 1; i < pt.Checks && every < maxTransferCheck; i++ {
		every *= 2
	}
	next := now.Add(min(every, maxTransferCheck))
	if pt.ExpiresAt != nil && pt.Outcome == csptransfer.PartnerTransferPending {
		if exp := pt.ExpiresAt.Add(afterExpiry); exp.After(now) && exp.Before(next) {
			next = exp
		}
	}
	if pt.ExpiresAt == nil {
		if deadline := pt.CreatedAt.Add(transferDeadline); deadline.After(now) && deadline.Before(next) {
			next = deadline
		}
	}
	pt.NextCheckAt = &next
}

// cancelPartnerTransfer withdraws the pending request and acts on where it ends: cancelled, its lines are
// bought; completed first by the source, its lines are verified like any completed request.
func (t *transfer) cancelPartnerTransfer(ctx workflow.Context, why string) (csptransfer.Stage, error) {
	pt := t.partnerTransfer()
	res, err := t.withdrawRequest(ctx)
	if err != nil {
		// Not cancelled: the request stays pending and is read on schedule.
		return t.unreadable(ctx, err)
	}
	t.note(ctx, fmt.Sprintf("partner transfer request %s cancel asked: %s; Microsoft says %s", pt.ID, why, res.Status))
	if res.Outcome == csptransfer.PartnerTransferComplete || res.Outcome == csptransfer.PartnerTransferPending {
		// The source was quicker, or Microsoft still shows it pending: read it and act on what it says.
		return t.checkPartnerTransfer(ctx)
	}
	return t.actOnTransfer(ctx, activities.CheckPartnerTransferResult{Status: res.Status, Outcome: res.Outcome}, why)
}

// withdrawRequest asks Partner Center to cancel the pending request and returns where it stands.
func (t *transfer) withdrawRequest(ctx workflow.Context) (activities.CancelPartnerTransferResult, error) {
	var res activities.CancelPartnerTransferResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Cancel the partner-to-partner transfer request"), a.CancelPartnerTransfer,
		activities.CancelPartnerTransferInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
			TransferID:       t.partnerTransfer().ID,
			RequestID:        t.requestID(ctx, "partner-transfer-cancel"),
		}).Get(ctx, &res)
	return res, err
}

// setFallback records that line i is bought instead of transferred.
func (t *transfer) setFallback(i int, why string) {
	if t.state.TransferFallbacks == nil {
		t.state.TransferFallbacks = map[string]string{}
	}
	t.state.TransferFallbacks[lineKey(t.state.Status.Lines[i].PlanLine)] = why + "; it is bought instead and the original left to expire"
}

// fallBack moves lines from the transfer to buying.
func (t *transfer) fallBack(ctx workflow.Context, lines []int, why string) (csptransfer.Stage, error) {
	for _, i := range lines {
		t.setFallback(i, why)
	}
	t.setError(ctx, why)
	return t.replanFallbacks(ctx, lines)
}

// replanFallbacks makes the plan again with the fallen-back lines bought, and asks for approval of them when
// the policy says so: always, or (auto) when one changes offer or needs an offer chosen.
func (t *transfer) replanFallbacks(ctx workflow.Context, lines []int) (csptransfer.Stage, error) {
	keys := map[string]bool{}
	for _, i := range lines {
		keys[lineKey(t.state.Status.Lines[i].PlanLine)] = true
	}
	if _, err := t.replan(); err != nil {
		return "", temporal.NewNonRetryableApplicationError("plan: "+err.Error(), csptransfer.ErrTypeTransferFailed, err)
	}
	approve, unresolved := t.req.Approval == csptransfer.ApprovalAlways, false
	for _, l := range t.state.Status.Lines {
		if !keys[lineKey(l.PlanLine)] {
			continue
		}
		unresolved = unresolved || l.Unresolved
		approve = approve || (t.req.Approval != csptransfer.ApprovalNever && !l.SameOffer)
	}
	t.note(ctx, fmt.Sprintf("plan v%d: %d line(s) fall back to buying", t.state.Status.PlanVersion, len(lines)))
	if approve || unresolved {
		return csptransfer.StageAwaitingApproval, nil
	}
	t.state.ApprovedVersion = t.state.Status.PlanVersion
	return csptransfer.StageProvisioning, nil
}

// remindTransferIfDue reminds the source partner and the customer while the request waits.
func (t *transfer) remindTransferIfDue(ctx workflow.Context, now time.Time) bool {
	pt := t.partnerTransfer()
	if pt == nil || pt.Outcome != csptransfer.PartnerTransferPending || t.state.TransferReminderAt.IsZero() || now.Before(t.state.TransferReminderAt) {
		return false
	}
	t.state.TransferReminderAt = now.Add(t.req.ReminderEvery.D())
	t.remindTransfer(ctx, false)
	return true
}

// remindTransfer e-mails the source partner's contact (when known) and the customer about the request;
// first says it is the notice that the request was made. A message that cannot be sent is noted.
func (t *transfer) remindTransfer(ctx workflow.Context, first bool) {
	pt := t.partnerTransfer()
	src := t.sourcePartner()
	subject, lead := "Reminder: a subscription transfer request waits for you", "Reminder: "
	if first {
		subject, lead = "A subscription transfer request waits for you", ""
	}
	if src.Email != "" {
		body := fmt.Sprintf("%sa partner-to-partner transfer request (id %s) asks you to transfer the new-commerce subscriptions of customer tenant %s to its new partner. "+
			"Please review and accept it in Partner Center (Customers → the customer → Transfers)%s.", lead, pt.ID, t.state.Status.CustomerTenantID, expiresText(pt.ExpiresAt))
		if err := t.notifyTo(ctx, src.Email, "partner-transfer-source", "Remind the source partner", subject, body); err != nil {
			t.setError(ctx, "reminder to the source partner not sent: "+reason(err))
		}
	}
	if first {
		return // Microsoft e-mails the customer the request itself
	}
	body := fmt.Sprintf("Reminder: the transfer of your subscriptions from %s waits for them to accept request %s in Partner Center%s. "+
		"Nothing changes for your users; you may ask them to accept it.", describePartner(src), pt.ID, expiresText(pt.ExpiresAt))
	if err := t.notifyTo(ctx, t.req.ContactEmail, "partner-transfer-customer", "Remind the customer", "Reminder: your subscription transfer", body); err != nil {
		t.setError(ctx, "reminder not sent: "+reason(err))
	}
}

// transferWake is when the request next needs the workflow, and what for.
func (t *transfer) transferWake() (time.Time, string) {
	pt := t.partnerTransfer()
	if pt == nil || !t.transferPending() {
		return time.Time{}, ""
	}
	at, what := time.Time{}, ""
	if pt.NextCheckAt != nil {
		at, what = *pt.NextCheckAt, t.transferAwaited()
	}
	if r := t.state.TransferReminderAt; pt.Outcome == csptransfer.PartnerTransferPending && !r.IsZero() && (at.IsZero() || r.Before(at)) {
		at, what = r, t.transferAwaited()
	}
	return at, what
}

// transferAwaited says in plain words what the request waits for.
func (t *transfer) transferAwaited() string {
	pt := t.partnerTransfer()
	if pt.Outcome == csptransfer.PartnerTransferComplete {
		return fmt.Sprintf("Partner Center to list the subscriptions transferred by request %s under this partner", pt.ID)
	}
	until := ""
	if pt.ExpiresAt != nil {
		until = " before it expires on " + pt.ExpiresAt.UTC().Format("2006-01-02")
	}
	return fmt.Sprintf("%s to accept partner-to-partner transfer request %s in Partner Center%s (%d line(s))",
		describePartner(csptransfer.SourcePartner{TenantID: pt.SourcePartnerTenantID, Name: pt.SourcePartnerName}), pt.ID, until, len(t.awaitedTransferLines()))
}

// validateCancelTransfer accepts a cancel only for the pending request.
func (t *transfer) validateCancelTransfer(_ workflow.Context, in csptransfer.CancelTransfer) error {
	pt := t.partnerTransfer()
	switch {
	case strings.TrimSpace(in.Reason) == "":
		return errors.New("cancel-transfer: reason is required (it is recorded in the timeline)")
	case pt == nil:
		return fmt.Errorf("cancel-transfer: the transfer has no partner-to-partner transfer request (stage %s)", t.state.Status.Stage)
	case pt.Outcome != csptransfer.PartnerTransferPending:
		return fmt.Errorf("cancel-transfer: transfer request %s is no longer pending (%s)", pt.ID, pt.Outcome)
	case in.TransferID != "" && !strings.EqualFold(strings.TrimSpace(in.TransferID), pt.ID):
		return fmt.Errorf("cancel-transfer: transferId %s is not the pending request %s", csptransfer.Quote(in.TransferID), pt.ID)
	case t.cancelTransfer != nil:
		return errors.New("cancel-transfer: a cancel of this request is already under way")
	}
	return nil
}

// cancelTransferUpdate asks the main loop to cancel the request and answers once it has.
func (t *transfer) cancelTransferUpdate(ctx workflow.Context, in csptransfer.CancelTransfer) (csptransfer.CancelTransferResult, error) {
	in.Reason = csptransfer.Truncate(strings.TrimSpace(in.Reason), 200)
	t.cancelTransfer = &in
	t.changes++
	if err := workflow.Await(ctx, func() bool {
		return t.cancelTransfer == nil || t.abort != nil || t.state.Status.Stage.Terminal()
	}); err != nil {
		return csptransfer.CancelTransferResult{}, err
	}
	pt := t.partnerTransfer()
	res := csptransfer.CancelTransferResult{TransferID: pt.ID, Status: pt.Status}
	for _, l := range t.state.Status.Lines {
		if t.state.TransferFallbacks[lineKey(l.PlanLine)] != "" && !l.Transfers() && !l.Progress.Ordered {
			res.LinesToBuy++
		}
	}
	return res, nil
}

// actOnCancel runs an operator's cancel-transfer in the main loop.
func (t *transfer) actOnCancel(ctx workflow.Context) (csptransfer.Stage, error) {
	in := t.cancelTransfer
	defer func() { t.cancelTransfer = nil }()
	if !t.transferPending() || t.partnerTransfer().Outcome != csptransfer.PartnerTransferPending {
		return t.state.Status.Stage, nil
	}
	return t.cancelPartnerTransfer(ctx, "an operator cancelled it: "+in.Reason)
}

// inPendingTransfer says a line of the SKU waits on the transfer request, so its offer cannot change.
func (t *transfer) inPendingTransfer(sourceSku string) bool {
	if t.partnerTransfer() == nil {
		return false
	}
	return slices.ContainsFunc(t.state.Status.Lines, func(l csptransfer.Line) bool {
		return l.Transfers() && (strings.EqualFold(l.SourceSkuID, sourceSku) || strings.EqualFold(l.SourceSkuPartNumber, sourceSku))
	})
}

// transferStep is the transfer-request step due now, if any: an operator's cancel, or the request to make.
func (t *transfer) transferStep() func(workflow.Context) (csptransfer.Stage, error) {
	switch {
	case t.cancelTransfer != nil:
		return t.actOnCancel
	case t.needsTransferRequest():
		return func(ctx workflow.Context) (csptransfer.Stage, error) {
			t.enter(ctx, csptransfer.StageAwaitingPartnerTransfer)
			return t.requestPartnerTransfer(ctx)
		}
	}
	return nil
}

// fulfilStage is the stage fulfilment starts in: the transfer request comes first when one is to be made.
func (t *transfer) fulfilStage() csptransfer.Stage {
	if t.needsTransferRequest() {
		return csptransfer.StageAwaitingPartnerTransfer
	}
	return csptransfer.StageProvisioning
}
