package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

const (
	// renewalReminderLead is how long before an original's end date the customer is reminded to turn off
	// its recurring billing.
	renewalReminderLead = 14 * 24 * time.Hour
	// recheckOriginalEvery re-reads an original that is still active after its end date (clock skew,
	// grace periods) instead of assuming it expired.
	recheckOriginalEvery = 24 * time.Hour
	// maxPurchaseAttempts bounds automatic re-buys of a line that failed for a retryable reason.
	maxPurchaseAttempts = 5
	// purchaseRetryDelay spaces re-buys of failed lines.
	purchaseRetryDelay = 15 * time.Minute
)

// fulfil runs everything after the plan is settled, in time order: buy each line when due (cart created
// once, checkout idempotent), wait for provisioning, move users of substituted lines, remind about
// recurring billing, and wait for each original's end date with one durable timer per distinct date.
func (t *transfer) fulfil(ctx workflow.Context) (csptransfer.Stage, error) {
	for {
		if t.abort != nil || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return t.state.Status.Stage, nil
		}
		if t.mappingsDirty() {
			return csptransfer.StagePlanning, nil
		}
		now := workflow.Now(ctx).UTC()
		// Since changeNextAction an agreement-accepted signal after a purchase refused for 13605 is acted
		// on here; before, it waited for the next run.
		reagree := t.nextActions(ctx)

		if reagree && !t.state.AgreementAccepted && len(t.agreementSignals) > 0 {
			if err := t.recheckAgreement(ctx); err != nil {
				return "", err
			}
			continue
		}
		if step := t.transferStep(); step != nil {
			next, err := step(ctx)
			if err != nil || next == csptransfer.StageAwaitingApproval {
				return next, err
			}
			continue
		}
		if due := t.dueLines(now); len(due) > 0 {
			t.enter(ctx, csptransfer.StageProvisioning)
			if err := t.buy(ctx, due); err != nil {
				return "", err
			}
			continue
		}
		if orders := t.awaitingProvisioning(); len(orders) > 0 {
			t.enter(ctx, csptransfer.StageProvisioning)
			if err := t.awaitProvisioning(ctx, orders); err != nil {
				return "", err
			}
			continue
		}
		if i := t.nextMove(); i >= 0 {
			t.enter(ctx, csptransfer.StageReassigningLicenses)
			ask, err := t.moveLicenses(ctx, i)
			if err != nil {
				return "", err
			}
			if ask {
				return csptransfer.StageAwaitingApproval, nil
			}
			continue
		}
		if t.transferCheckDue(now) {
			next, err := t.checkPartnerTransfer(ctx)
			if err != nil || next == csptransfer.StageAwaitingApproval {
				return next, err
			}
			continue
		}
		if t.allDone() {
			t.notWaiting(ctx)
			return csptransfer.StageCompleted, nil
		}
		if acted, err := t.expiryActions(ctx, now); err != nil {
			return "", err
		} else if acted || t.remindTransferIfDue(ctx, now) {
			continue
		}

		wake, what := t.nextWake(now)
		if tw, twWhat := t.transferWake(); !tw.IsZero() {
			// The request is what an operator most needs to see; other waits follow it.
			if wake.IsZero() || !tw.After(wake) {
				wake = tw
			}
			what = strings.TrimSuffix(twWhat+"; then "+what, "; then ")
		}
		switch {
		case t.transferPending():
			t.enter(ctx, csptransfer.StageAwaitingPartnerTransfer)
		case t.anyUnordered():
			t.enter(ctx, csptransfer.StageProvisioning)
		default:
			t.enter(ctx, csptransfer.StageAwaitingExpiry)
		}
		if t.nextActions(ctx) {
			t.awaitNext(ctx, t.waitingFor(), wake, what)
		} else {
			t.await(ctx, what, wake)
		}
		changes, signals := t.changes, t.transferSignals
		cond := func() bool {
			return t.abort != nil || t.changes != changes || t.transferSignals != signals || workflow.GetInfo(ctx).GetContinueAsNewSuggested() ||
				(reagree && !t.state.AgreementAccepted && len(t.agreementSignals) > 0)
		}
		var err error
		if wake.IsZero() {
			err = workflow.Await(ctx, cond)
		} else {
			_, err = workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
				Timeout:      wake.Sub(now),
				TimerOptions: workflow.TimerOptions{Summary: what},
			}, cond)
		}
		if err != nil {
			return "", err
		}
	}
}

// enter changes stage only when it differs, so the timeline stays short.
func (t *transfer) enter(ctx workflow.Context, stage csptransfer.Stage) {
	if t.state.Status.Stage != stage {
		t.setStage(ctx, stage, "")
	}
}

// provisionAt is when line i is due; lines that failed wait for their retry time.
func (t *transfer) provisionAt(i int) time.Time {
	l := t.state.Status.Lines[i]
	if l.Progress.ProvisionAt != nil {
		return *l.Progress.ProvisionAt
	}
	return l.OriginalExpiresAt
}

// dueLines are lines not ordered, not blocked on an operator, whose time has come, and not in an open
// purchase (an open purchase is resumed instead).
func (t *transfer) dueLines(now time.Time) []int {
	open := t.openPurchaseLines()
	var due []int
	for i, l := range t.state.Status.Lines {
		if l.Progress.Ordered || l.Unresolved || l.Transfers() || t.blocked(i) {
			continue
		}
		if open[i] {
			due = append(due, i)
			continue
		}
		if l.Progress.ProvisionAt == nil {
			at := ProvisionAt(l.PlanLine, t.req.Provisioning.Mode, t.req.Provisioning.LeadTime, now)
			t.state.Status.Lines[i].Progress.ProvisionAt = &at
		}
		if !t.provisionAt(i).After(now) {
			due = append(due, i)
		}
	}
	return due
}

// blocked says a line failed for a reason only an operator can fix (set-offer-mapping or abort).
func (t *transfer) blocked(i int) bool {
	p := t.state.Status.Lines[i].Progress
	return p.Error != "" && !p.Ordered && strings.HasPrefix(p.Error, blockedPrefix)
}

const blockedPrefix = "needs an operator: "

func (t *transfer) openPurchaseLines() map[int]bool {
	out := map[int]bool{}
	for _, k := range workflow.DeterministicKeys(t.state.Purchases) {
		if p := t.state.Purchases[k]; !p.Done {
			for _, i := range p.Lines {
				out[i] = true
			}
		}
	}
	return out
}

// buy purchases the due lines in one cart. The cart id is kept in state before checkout so a retry, a
// crash or a new run checks out the same cart rather than creating another.
func (t *transfer) buy(ctx workflow.Context, due []int) error {
	key, p := t.openPurchase(ctx, due)
	lines := make([]activities.CartLine, 0, len(p.Lines))
	for _, i := range p.Lines {
		l := t.state.Status.Lines[i]
		lines = append(lines, activities.CartLine{Line: i, CatalogItemID: l.TargetCatalogItemID, Quantity: l.Quantity})
	}
	t.await(ctx, fmt.Sprintf("Partner Center to take the order for %d line(s)", len(lines)), time.Time{})
	if q := t.usableQuote(p.Lines, workflow.Now(ctx).UTC()); p.CartID == "" && q != nil {
		// The quote cart buys exactly these lines and is still valid: check it out rather than make another.
		q.Used = true
		p.CartID, p.FromQuote, p.Prices = q.CartID, true, q.Prices
		t.state.Purchases[key] = p
	}
	if p.CartID == "" {
		var cart activities.CreateCartResult
		err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Create the cart"), a.CreateCart, activities.CreateCartInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
			Country:          t.state.Country,
			Lines:            lines,
			RequestID:        p.RequestID,
		}).Get(ctx, &cart)
		if err != nil {
			return t.purchaseFailed(ctx, key, err)
		}
		p.CartID, p.Prices = cart.CartID, cart.Prices
		t.state.Purchases[key] = p
	}
	var res activities.CheckoutResult
	err := workflow.ExecuteActivity(withActivity(ctx, 2*time.Minute, "Check out the cart"), a.Checkout, activities.CheckoutInput{
		PartnerTenantID:  t.state.Status.PartnerTenantID,
		CustomerTenantID: t.req.CustomerTenantID,
		CartID:           p.CartID,
		Lines:            lines,
		RequestID:        checkoutRequestID(p.RequestID),
	}).Get(ctx, &res)
	if err != nil {
		if p.FromQuote && (hasType(err, activities.ErrTypeNotFound) || hasType(err, activities.ErrTypeBusiness)) {
			// The quote cart itself could not be checked out (gone, expired, changed since it was priced):
			// nothing was bought; a new cart is made for the same lines. A refusal of the offer, the seats or
			// the customer would refuse a new cart too, and waits for an operator as any purchase does.
			p.CartID, p.FromQuote, p.Prices = "", false, nil
			t.state.Purchases[key] = p
			t.note(ctx, "the quote cart could not be checked out ("+csptransfer.Truncate(reason(err), 160)+"): a new cart is made")
			return nil
		}
		return t.purchaseFailed(ctx, key, err)
	}
	p.Done = true
	t.state.Purchases[key] = p
	now := workflow.Now(ctx).UTC()
	for _, o := range res.Lines {
		if o.Line < 0 || o.Line >= len(t.state.Status.Lines) {
			continue
		}
		prog := &t.state.Status.Lines[o.Line].Progress
		if o.OrderID != "" && o.ErrorCode == "" {
			prog.Ordered, prog.OrderID, prog.SubscriptionID, prog.Error = true, o.OrderID, o.SubscriptionID, ""
			workflow.GetMetricsHandler(ctx).Counter("csp_transfer_lines_ordered").Inc(1)
			t.recordPurchase(ctx, o.Line, p.Prices, now)
			continue
		}
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"code": o.ErrorCode}).Counter("csp_transfer_lines_rejected").Inc(1)
		prog.Attempts++
		reason := fmt.Sprintf("Partner Center rejected the line: %s %s", o.ErrorCode, o.ErrorDescription)
		if o.Retryable && prog.Attempts < maxPurchaseAttempts {
			retry := now.Add(t.retryDelay(ctx, o.Line, now))
			prog.ProvisionAt = &retry
			prog.Error = reason + fmt.Sprintf(" (attempt %d of %d; retried at %s)", prog.Attempts, maxPurchaseAttempts, retry.Format(time.RFC3339))
		} else {
			prog.Error = blockedPrefix + reason + "; choose another offer with set-offer-mapping or abort"
		}
		t.setError(ctx, prog.Error)
	}
	t.priceLines(now)
	return nil
}

// hasType says err is an application error of type errType.
func hasType(err error, errType string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errType
}

// retryDelay spaces re-buys of a failed line: normally purchaseRetryDelay, but never so long that the
// original ends first (a quarter of the time left, at least a minute), so users are not left on an
// expiring original while a retry waits.
func (t *transfer) retryDelay(ctx workflow.Context, line int, now time.Time) time.Duration {
	if !t.since(ctx, changeRetryBeforeExpiry) {
		return purchaseRetryDelay
	}
	left := t.state.Status.Lines[line].OriginalExpiresAt.Sub(now)
	return max(time.Minute, min(purchaseRetryDelay, left/4))
}

// purchaseFailed handles a cart or checkout that failed for a business reason: every line of the purchase
// waits for an operator. Infrastructure failures never get here; Temporal retries them.
func (t *transfer) purchaseFailed(ctx workflow.Context, key string, err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	p := t.state.Purchases[key]
	p.Done = true
	t.state.Purchases[key] = p
	msg := blockedPrefix + reason(appErr) + "; choose another offer with set-offer-mapping or abort"
	if appErr.Type() == activities.ErrTypeAgreementMissing {
		t.state.AgreementAccepted = false
		msg = blockedPrefix + agreementMissing
	}
	for _, i := range p.Lines {
		t.state.Status.Lines[i].Progress.Error = msg
	}
	t.setError(ctx, msg)
	t.note(ctx, "purchase rejected: "+appErr.Type())
	return nil
}

// agreementMissing is why lines wait after a purchase refused for 13605.
const agreementMissing = "the Microsoft Customer Agreement is not in place (13605); once the customer accepted it, " +
	"send agreement-accepted (starter agreement, with --attest to record the partner's attestation)"

// recheckAgreement acts on agreement-accepted signals after a purchase was refused for 13605: it checks (or
// attests) the agreement again and, once it is in place, the lines it held are bought again.
func (t *transfer) recheckAgreement(ctx workflow.Context) error {
	attestation := latestAttestation(t.agreementSignals)
	t.agreementSignals = nil
	res, err := t.ensureAgreement(ctx, attestation, "agreement-after-13605")
	if err != nil {
		return err
	}
	if !res.Accepted {
		t.setError(ctx, "an agreement-accepted signal arrived, but Partner Center does not show the agreement yet: send it again once the customer accepted it, or with the partner's attestation")
		return nil
	}
	t.state.AgreementAccepted = true
	for i := range t.state.Status.Lines {
		p := &t.state.Status.Lines[i].Progress
		if !p.Ordered && p.Error == blockedPrefix+agreementMissing {
			p.Error, p.ProvisionAt = "", nil
		}
	}
	t.note(ctx, "the Microsoft Customer Agreement is in place: the lines it held are bought again")
	return nil
}

// openPurchase returns the unfinished purchase holding the due lines, or records a new one.
func (t *transfer) openPurchase(ctx workflow.Context, due []int) (string, Purchase) {
	if t.state.Purchases == nil {
		t.state.Purchases = map[string]Purchase{}
	}
	for _, k := range workflow.DeterministicKeys(t.state.Purchases) {
		if p := t.state.Purchases[k]; !p.Done {
			return k, p
		}
	}
	key := "purchase-" + strconv.Itoa(len(t.state.Purchases)+1)
	p := Purchase{
		RequestID: t.requestID(ctx, key),
		Lines:     due,
		CreatedAt: workflow.Now(ctx).UTC(),
	}
	t.state.Purchases[key] = p
	return key, p
}

func checkoutRequestID(cartRequestID string) string {
	return csptransfer.RequestID(cartRequestID, "checkout")
}

// requestID is the MS-RequestId of one step of this transfer, the same in every run.
func (t *transfer) requestID(ctx workflow.Context, step string) string {
	info := workflow.GetInfo(ctx)
	return csptransfer.RequestID(info.WorkflowExecution.ID, info.FirstRunID, step)
}

func (t *transfer) awaitingProvisioning() []string {
	seen := map[string]bool{}
	var orders []string
	for _, l := range t.state.Status.Lines {
		if l.Progress.Ordered && !l.Progress.Provisioned && !seen[l.Progress.OrderID] {
			seen[l.Progress.OrderID] = true
			orders = append(orders, l.Progress.OrderID)
		}
	}
	return orders
}

func (t *transfer) awaitProvisioning(ctx workflow.Context, orders []string) error {
	t.await(ctx, fmt.Sprintf("Partner Center to provision %d order(s)", len(orders)), time.Time{})
	// Provisioning takes minutes; the activity answers NotYet until it is done.
	actx := withRetries(ctx, time.Minute, "Wait for the new subscriptions to be active",
		temporal.RetryPolicy{InitialInterval: 15 * time.Second, BackoffCoefficient: 1.5, MaximumInterval: 5 * time.Minute})
	var res activities.AwaitProvisioningResult
	err := workflow.ExecuteActivity(actx, a.AwaitProvisioning, activities.AwaitProvisioningInput{
		PartnerTenantID:  t.state.Status.PartnerTenantID,
		CustomerTenantID: t.req.CustomerTenantID,
		OrderIDs:         orders,
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	t.state.Bought = append(t.state.Bought, res.Subscriptions...)
	for i := range t.state.Status.Lines {
		l := &t.state.Status.Lines[i]
		if !l.Progress.Ordered || l.Progress.Provisioned {
			continue
		}
		for _, s := range res.Subscriptions {
			if s.OrderID == l.Progress.OrderID && (l.Progress.SubscriptionID == "" || l.Progress.SubscriptionID == s.SubscriptionID) &&
				sameCatalogItem(s.OfferID, l.TargetCatalogItemID) {
				l.Progress.Provisioned = true
				l.Progress.SubscriptionID = s.SubscriptionID
				if !s.CancellationAllowedUntilDate.IsZero() {
					until := s.CancellationAllowedUntilDate.UTC()
					l.Progress.RefundableUntil = &until
				}
				if l.TargetSkuID == "" {
					l.TargetSkuID = s.SkuID
				}
				break
			}
		}
		if !l.Progress.Provisioned {
			// The order is active but names no matching subscription: trust the order, keep the report honest.
			l.Progress.Provisioned = true
			l.Progress.Error = "provisioned, but Partner Center listed no subscription for this offer in the order"
		}
	}
	t.note(ctx, fmt.Sprintf("%d new subscription(s) active", len(res.Subscriptions)))
	return nil
}

func (t *transfer) nextMove() int {
	for i, l := range t.state.Status.Lines {
		if l.ReassignmentNeeded && l.Progress.Provisioned && !l.Progress.Moved {
			return i
		}
	}
	return -1
}

// moveLicenses moves every user (and licensing group) of a substituted line to the new SKU. The activity
// heartbeats its progress and resumes from it after a crash. Before anyone moves it compares the service
// plans holders use with the new SKU's; when some would be switched off, nobody moves and an operator is
// asked (ask) to accept it by approving a new plan version, or to abort.
func (t *transfer) moveLicenses(ctx workflow.Context, i int) (ask bool, _ error) {
	l := &t.state.Status.Lines[i]
	key := lineKey(l.PlanLine)
	accepted := t.state.DataLossAt[key] > 0 && t.state.ApprovedVersion >= t.state.DataLossAt[key]
	t.await(ctx, fmt.Sprintf("users of %s to move to %s", l.SourceName(), l.TargetTitleOrID()), time.Time{})
	actx := withRetries(ctx, 2*time.Hour, "Move users to the new SKU",
		temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute})
	var res activities.MoveLicensesResult
	err := workflow.ExecuteActivity(actx, a.MoveLicenses, activities.MoveLicensesInput{
		PartnerTenantID:  t.state.Status.PartnerTenantID,
		CustomerTenantID: t.req.CustomerTenantID,
		FromSkuID:        l.SourceSkuID,
		ToSkuID:          l.TargetSkuID,
		RequestID:        t.requestID(ctx, "move-licenses/"+lineKey(l.PlanLine)),
		AcceptDataLoss:   accepted,
	}).Get(ctx, &res)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeDataLossRisk {
		return true, t.askDataLoss(ctx, i, appErr)
	}
	if err != nil {
		return false, err
	}
	l.Progress.Moved = true
	// Users licensed through a group moved with it and count as moved.
	l.Progress.UsersMoved = res.UsersMoved + res.MembersMoved
	workflow.GetMetricsHandler(ctx).Counter("csp_transfer_users_moved").Inc(int64(res.UsersMoved))
	workflow.GetMetricsHandler(ctx).Counter("csp_transfer_groups_moved").Inc(int64(res.GroupsMoved))
	l.Progress.UsersToMove = res.UsersMoved + res.MembersMoved + res.Remaining
	l.Progress.Error = ""
	t.note(ctx, fmt.Sprintf("%d user(s) moved from %s: %d directly, %d with %d licensing group(s)",
		res.UsersMoved+res.MembersMoved, l.SourceName(), res.UsersMoved, res.MembersMoved, res.GroupsMoved))
	return false, nil
}

// askDataLoss records a data-loss risk found before users moved, as a new plan version to approve.
func (t *transfer) askDataLoss(ctx workflow.Context, i int, appErr *temporal.ApplicationError) error {
	var risk activities.DataLossRisk
	if appErr.HasDetails() {
		_ = appErr.Details(&risk)
	}
	l := &t.state.Status.Lines[i]
	t.state.Status.PlanVersion++
	if t.state.DataLossAt == nil {
		t.state.DataLossAt = map[string]int{}
	}
	t.state.DataLossAt[lineKey(l.PlanLine)] = t.state.Status.PlanVersion
	holders := risk.HolderIDs
	more := ""
	if len(holders) > 10 {
		holders, more = holders[:10], fmt.Sprintf(" and %d more", len(risk.HolderIDs)-10)
	}
	msg := fmt.Sprintf("moving the users of %s to %s would switch off service plans they use: %s (%d user(s), %d group(s); directory ids %s%s). "+
		"Back up that data before the original ends, then approve plan v%d to move them anyway, or abort",
		l.SourceName(), l.TargetTitleOrID(), strings.Join(risk.Plans, ", "), risk.Users, risk.Groups, strings.Join(holders, ", "), more, t.state.Status.PlanVersion)
	l.Progress.Error = blockedPrefix + msg
	l.Notes = append(l.Notes, "data-loss risk found before users moved: the new SKU lacks "+strings.Join(risk.Plans, ", "))
	t.setError(ctx, l.Progress.Error)
	t.note(ctx, fmt.Sprintf("users of %s not moved: data-loss risk (%s); plan v%d needs approval", l.SourceName(), strings.Join(risk.Plans, ", "), t.state.Status.PlanVersion))
	return nil
}

// dataLossToAccept names the line whose data-loss risk the current plan version asks to accept, if any.
func (t *transfer) dataLossToAccept() string {
	for _, l := range t.state.Status.Lines {
		if v := t.state.DataLossAt[lineKey(l.PlanLine)]; v == t.state.Status.PlanVersion && t.state.ApprovedVersion < v {
			return l.SourceName()
		}
	}
	return ""
}

func (t *transfer) lineDone(i int) bool {
	l := t.state.Status.Lines[i]
	if l.Transfers() {
		return l.Progress.Transferred
	}
	return l.Progress.Provisioned && (!l.ReassignmentNeeded || l.Progress.Moved) &&
		(l.Progress.OriginalState == activities.OriginalExpired || t.state.Skipped[i])
}

func (t *transfer) allDone() bool {
	for i := range t.state.Status.Lines {
		if !t.lineDone(i) {
			return false
		}
	}
	return true
}

func (t *transfer) anyUnordered() bool {
	for _, l := range t.state.Status.Lines {
		if !l.Progress.Ordered && !l.Transfers() {
			return true
		}
	}
	return false
}

// waitingOriginals are provisioned lines still waiting for their original to end.
func (t *transfer) waitingOriginals() []int {
	var out []int
	for i, l := range t.state.Status.Lines {
		if l.Progress.Provisioned && (!l.ReassignmentNeeded || l.Progress.Moved) && !t.lineDone(i) {
			out = append(out, i)
		}
	}
	return out
}

// expiryActions sends due renewal reminders and checks originals whose end date has come.
func (t *transfer) expiryActions(ctx workflow.Context, now time.Time) (bool, error) {
	acted := false
	for _, i := range t.waitingOriginals() {
		l := t.state.Status.Lines[i]
		key := l.OriginalExpiresAt.UTC().Format(time.RFC3339)
		if !t.state.RemindedExpiries[key] && !now.Before(l.OriginalExpiresAt.Add(-renewalReminderLead)) && now.Before(l.OriginalExpiresAt) {
			if t.state.RemindedExpiries == nil {
				t.state.RemindedExpiries = map[string]bool{}
			}
			t.state.RemindedExpiries[key] = true
			t.remind(ctx, "renewal-reminder", "Please turn off recurring billing for your old subscription",
				fmt.Sprintf("Your %s subscription ends on %s. Your users already use the new subscription; please turn off recurring billing for the old one so it is not renewed.",
					l.SourceName(), l.OriginalExpiresAt.Format("2 January 2006")))
			acted = true
		}
	}
	for _, i := range t.waitingOriginals() {
		if now.Before(t.checkAt(i)) {
			continue
		}
		if err := t.checkOriginal(ctx, i); err != nil {
			return false, err
		}
		acted = true
	}
	return acted, nil
}

func (t *transfer) checkAt(i int) time.Time {
	l := t.state.Status.Lines[i]
	if l.Progress.CheckAt != nil {
		return *l.Progress.CheckAt
	}
	return l.OriginalExpiresAt
}

// checkOriginal reads an original's real state at its end date: expired ends the wait; renewed is reported
// and waited for again at the new date; still active is checked again a day later.
func (t *transfer) checkOriginal(ctx workflow.Context, i int) error {
	l := &t.state.Status.Lines[i]
	ids := t.state.OriginalIDs[strings.ToLower(l.SourceSkuID)]
	var res activities.CheckOriginalResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Check the original subscription's state"), a.CheckOriginal,
		activities.CheckOriginalInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
			SubscriptionIDs:  ids,
			SkuID:            l.SourceSkuID,
			ExpiresAt:        l.OriginalExpiresAt,
		}).Get(ctx, &res)
	if err != nil {
		return err
	}
	now := workflow.Now(ctx).UTC()
	switch res.State {
	case activities.OriginalExpired:
		l.Progress.OriginalState = activities.OriginalExpired
		l.Progress.CheckAt = nil
		t.note(ctx, fmt.Sprintf("original %s expired", l.SourceName()))
	case activities.OriginalRenewed:
		next := now.Add(recheckOriginalEvery)
		if res.NextLifecycleAt != nil && res.NextLifecycleAt.After(now) {
			next = res.NextLifecycleAt.UTC()
		}
		l.Progress.OriginalState = activities.OriginalRenewed
		l.Progress.RenewedUntil = &next
		l.OriginalExpiresAt = next
		l.Progress.CheckAt = nil
		msg := fmt.Sprintf("original %s was renewed until %s: the customer pays for it twice until then; ask them to turn off recurring billing",
			l.SourceName(), next.Format("2006-01-02"))
		t.priceLines(now) // the overlap runs to the new end
		t.setError(ctx, msg)
		t.note(ctx, msg)
	default:
		next := now.Add(recheckOriginalEvery)
		l.Progress.OriginalState = activities.OriginalActive
		l.Progress.CheckAt = &next
	}
	return nil
}

// waitingFor says what the lines wait for, apart from the next act: the transfer request, the originals'
// end dates, the purchases still to come, the lines that need an operator.
func (t *transfer) waitingFor() string {
	var parts []string
	if t.transferPending() {
		parts = append(parts, t.transferAwaited())
	}
	var ends, buys []string
	blocked := 0
	for i, l := range t.state.Status.Lines {
		switch {
		case l.Transfers():
		case !l.Progress.Ordered && (l.Unresolved || t.blocked(i)):
			blocked++
		case !l.Progress.Ordered:
			buys = append(buys, fmt.Sprintf("%s on %s", l.SourceName(), t.provisionAt(i).UTC().Format("2006-01-02")))
		}
	}
	for _, i := range t.waitingOriginals() {
		l := t.state.Status.Lines[i]
		ends = append(ends, fmt.Sprintf("%s on %s", l.SourceName(), l.OriginalExpiresAt.UTC().Format("2006-01-02")))
	}
	if len(buys) > 0 {
		parts = append(parts, "the time to buy "+strings.Join(buys, ", "))
	}
	if len(ends) > 0 {
		parts = append(parts, "the originals to end: "+strings.Join(ends, ", "))
	}
	if blocked > 0 {
		parts = append(parts, fmt.Sprintf("an operator: %d line(s) cannot be bought (see lastError; set-offer-mapping or abort)", blocked))
	}
	if len(parts) == 0 {
		return "nothing: the transfer is about to finish"
	}
	return strings.Join(parts, "; ")
}

// nextWake is the earliest moment something is due, and what it is. Zero means only an operator can
// move the transfer on.
func (t *transfer) nextWake(now time.Time) (time.Time, string) {
	var wake time.Time
	what := ""
	consider := func(at time.Time, w string) {
		if at.IsZero() {
			return
		}
		if wake.IsZero() || at.Before(wake) {
			wake, what = at, w
		}
	}
	blocked := 0
	for i, l := range t.state.Status.Lines {
		switch {
		case l.Transfers():
			// the request's own wake (transferWake)
		case !l.Progress.Ordered && (l.Unresolved || t.blocked(i)):
			blocked++
		case !l.Progress.Ordered:
			consider(t.provisionAt(i), fmt.Sprintf("the time to buy %s", l.SourceName()))
		}
	}
	for _, i := range t.waitingOriginals() {
		l := t.state.Status.Lines[i]
		key := l.OriginalExpiresAt.UTC().Format(time.RFC3339)
		if !t.state.RemindedExpiries[key] && now.Before(l.OriginalExpiresAt) {
			consider(l.OriginalExpiresAt.Add(-renewalReminderLead), fmt.Sprintf("the renewal reminder for %s", l.SourceName()))
		}
		consider(t.checkAt(i), fmt.Sprintf("the original %s to expire", l.SourceName()))
	}
	if blocked > 0 {
		if what == "" {
			what = fmt.Sprintf("an operator: %d line(s) cannot be bought (see lastError; set-offer-mapping or abort)", blocked)
		} else {
			what += fmt.Sprintf("; %d line(s) need an operator", blocked)
		}
	}
	return wake, what
}

// aborted ends the transfer at an operator's request. Before anything was bought it simply stops; after,
// new subscriptions are kept unless the operator asked to cancel those still inside their refund window.
func (t *transfer) aborted(ctx workflow.Context, ab *csptransfer.Abort) (csptransfer.TransferReport, error) {
	reason := strings.TrimSpace(ab.Reason)
	if reason == "" {
		reason = "aborted by an operator"
	}
	note := reason
	if pt := t.partnerTransfer(); pt != nil && pt.Outcome == csptransfer.PartnerTransferPending {
		// Left pending, the source partner could still move the subscriptions to a transfer that ended.
		res, err := t.withdrawRequest(ctx)
		switch {
		case err != nil:
			msg, _ := describeFailure(err)
			note += fmt.Sprintf("; partner transfer request %s could not be cancelled (%s): cancel it in Partner Center", pt.ID, msg)
		case res.Outcome == csptransfer.PartnerTransferComplete:
			pt.Status, pt.Outcome = res.Status, res.Outcome
			note += fmt.Sprintf("; partner transfer request %s was already complete: its subscriptions now belong to this partner", pt.ID)
		default:
			pt.Status, pt.Outcome = res.Status, res.Outcome
			note += fmt.Sprintf("; partner transfer request %s cancelled", pt.ID)
		}
	}
	if len(t.state.Bought) > 0 {
		if ab.CancelRefundable {
			ids := make([]string, 0, len(t.state.Bought))
			for _, s := range t.state.Bought {
				ids = append(ids, s.SubscriptionID)
			}
			var res activities.CancelResult
			err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Cancel new subscriptions inside their refund window"),
				a.CancelSubscriptions, activities.CancelInput{
					PartnerTenantID:  t.state.Status.PartnerTenantID,
					CustomerTenantID: t.req.CustomerTenantID,
					SubscriptionIDs:  ids,
					RequestID:        t.requestID(ctx, "cancel"),
				}).Get(ctx, &res)
			if err != nil {
				return t.failed(ctx, fmt.Errorf("abort: cancel new subscriptions: %w", err))
			}
			note += fmt.Sprintf("; %d new subscription(s) cancelled for a refund, %d kept", len(res.Cancelled), len(res.Kept))
			if back := t.expectRefunds(workflow.Now(ctx).UTC(), res.Cancelled); back != "" {
				note += "; expected back: " + back
			}
		} else {
			note += fmt.Sprintf("; %d new subscription(s) kept", len(t.state.Bought))
		}
	}
	t.setError(ctx, note)
	t.setStage(ctx, csptransfer.StageAborted, note)
	rep := t.report(ctx)
	rep.Reason = note
	return rep, nil
}
