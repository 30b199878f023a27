package workflows

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
)

const (
	// pollEvery is the slow fallback that finds an acceptance whose webhook was lost.
	pollEvery = 6 * time.Hour
	// pollAtReminders is that fallback since changeAcceptancePoll: the reconciliation schedule finds lost
	// acceptances within minutes, so a transfer reads Partner Center itself every 3 days, and before every
	// reminder, so that nobody is reminded of what they did. About 30 actions a month while it waits.
	pollAtReminders = 3 * 24 * time.Hour
	// agreementPollEvery re-checks a customer agreement the customer may sign on their own. Transfers
	// since changeNextAction start at agreementFirstPoll and double up to it, so a signature in the admin
	// center is noticed within minutes at first.
	agreementPollEvery = 12 * time.Hour
	agreementFirstPoll = 15 * time.Minute
)

// nonRetryable lists the activity error types no retry can fix. Activities also mark these errors
// non-retryable themselves; listing them here keeps a misclassified error from retrying forever.
var nonRetryable = []string{
	activities.ErrTypeInvalidInput, activities.ErrTypeCountryUnknown, activities.ErrTypeRegionMismatch,
	activities.ErrTypeNotFound, activities.ErrTypeAgreementMissing, activities.ErrTypeNoRelationship,
	activities.ErrTypeOfferUnavailable, activities.ErrTypeQuantityOutOfRange, activities.ErrTypeBusiness,
	activities.ErrTypeUnauthorized, activities.ErrTypeNotCancellable,
}

// withActivity sets options for a Partner Center or Graph call: a timeout per attempt and retries with
// backoff until it succeeds or fails for a business reason. Outages of hours must not fail a transfer
// that lives for months, so there is no overall deadline.
func withActivity(ctx workflow.Context, timeout time.Duration, summary string) workflow.Context {
	return withRetries(ctx, timeout, summary, temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute})
}

// withRetries is withActivity with the activity's own retry schedule. Every activity heartbeats through
// the worker's liveness interceptor, so one stuck on a crashed worker is retried elsewhere after
// activities.HeartbeatTimeout, not after the whole start-to-close timeout.
func withRetries(ctx workflow.Context, timeout time.Duration, summary string, retry temporal.RetryPolicy) workflow.Context {
	retry.NonRetryableErrorTypes = nonRetryable
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    activities.HeartbeatTimeout,
		Summary:             summary,
		RetryPolicy:         &retry,
	})
}

func (t *transfer) validate(ctx workflow.Context) (csptransfer.Stage, error) {
	if t.forgedState {
		return "", &csptransfer.ValidationError{Problems: []csptransfer.FieldProblem{{
			Field: "continued", Message: "must not be set: only the workflow itself carries its state into a new run"}}}
	}
	req := t.req.WithDefaults()
	if err := req.Validate(workflow.Now(ctx)); err != nil {
		return "", err
	}
	t.req = req
	return csptransfer.StageCheckingRegion, nil
}

func (t *transfer) checkRegion(ctx workflow.Context) (csptransfer.Stage, error) {
	var res activities.SelectPartnerResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Pick the partner tenant in the customer's region"),
		a.SelectPartner, activities.SelectPartnerInput{
			CustomerTenantID: t.req.CustomerTenantID,
			Country:          t.req.Country,
		}).Get(ctx, &res)
	if err != nil {
		return "", err
	}
	t.state.Country = res.CustomerCountry
	t.state.PartnerCountry = res.PartnerCountry
	t.state.Market = res.Market
	t.state.Status.PartnerTenantID = res.PartnerTenantID
	t.upsert(ctx, keyword(csptransfer.SearchAttributePartnerTenantID, res.PartnerTenantID))
	return csptransfer.StageInviting, nil
}

// invite sends the invitation exactly once: reads the partner's reseller link, requests GDAP admin access
// when asked and locks it for the customer's approval, and e-mails both links to the contact. Each step is
// its own activity whose result is kept in state at once, so a retry, a crash or a new run repeats only
// the step that had not finished. An e-mail that cannot be sent does not hold the transfer: the status
// says the contact was not reached, and operators forward the links.
func (t *transfer) invite(ctx workflow.Context) (csptransfer.Stage, error) {
	if t.state.Invited {
		return csptransfer.StageAwaitingAcceptance, nil
	}
	if !t.since(ctx, changeInviteSteps) {
		return t.inviteInOneActivity(ctx)
	}
	s := &t.state.Status
	if s.InvitationURL == "" {
		var link activities.InvitationLinkResult
		if err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Read the reseller-relationship invitation link"),
			a.InvitationLink, activities.InvitationLinkInput{PartnerTenantID: s.PartnerTenantID}).Get(ctx, &link); err != nil {
			return "", err
		}
		s.InvitationURL = link.URL
	}
	if t.req.RequestAdminAccess && t.state.AdminRelationshipID == "" {
		var rel activities.RequestAdminAccessResult
		if err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Request GDAP admin access"),
			a.RequestAdminAccess, activities.RequestAdminAccessInput{
				PartnerTenantID:  s.PartnerTenantID,
				CustomerTenantID: t.req.CustomerTenantID,
				DisplayName:      "csp-" + t.req.CustomerTenantID + "-" + t.requestID(ctx, "gdap-name")[:8],
				RequestID:        t.requestID(ctx, "gdap"),
			}).Get(ctx, &rel); err != nil {
			return "", err
		}
		t.state.AdminRelationshipID, s.AdminRelationshipID = rel.RelationshipID, rel.RelationshipID
	}
	if t.req.RequestAdminAccess && s.AdminApprovalURL == "" {
		var lock activities.LockAdminAccessResult
		if err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Submit GDAP admin access for the customer's approval"),
			a.LockAdminAccess, activities.LockAdminAccessInput{
				PartnerTenantID: s.PartnerTenantID, RelationshipID: t.state.AdminRelationshipID, RequestID: t.requestID(ctx, "gdap"),
			}).Get(ctx, &lock); err != nil {
			return "", err
		}
		s.AdminApprovalURL = lock.ApprovalURL
	}
	if t.req.ContactEmail != "" {
		body := fmt.Sprintf("To move your subscriptions to us without interruption, please accept our reseller relationship:\n\n%s\n", s.InvitationURL)
		if s.AdminApprovalURL != "" {
			body += fmt.Sprintf("\nand approve the admin access we need to move your users' licenses:\n\n%s\n", s.AdminApprovalURL)
		}
		if err := t.notify(ctx, "invitation", "E-mail the invitation", "Please accept our reseller relationship", body); err != nil {
			s.LastError = "the contact was not reached: the invitation e-mail failed (" + reason(err) + "); send them the invitation link"
			t.note(ctx, "invitation e-mail not sent")
		}
	}
	now := workflow.Now(ctx).UTC()
	t.state.Invited = true
	t.state.InvitedAt = now
	t.state.NextReminderAt = now.Add(t.req.ReminderEvery.D())
	return csptransfer.StageAwaitingAcceptance, nil
}

// inviteInOneActivity is how transfers recorded before changeInviteSteps invite: one activity for every
// step, retried as a whole.
func (t *transfer) inviteInOneActivity(ctx workflow.Context) (csptransfer.Stage, error) {
	var res activities.InviteResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Send the reseller-relationship invitation"),
		a.Invite, activities.InviteInput{
			PartnerTenantID:    t.state.Status.PartnerTenantID,
			CustomerTenantID:   t.req.CustomerTenantID,
			CustomerDomain:     t.req.CustomerDomain,
			CustomerName:       t.req.CustomerName,
			ContactEmail:       t.req.ContactEmail,
			RequestAdminAccess: t.req.RequestAdminAccess,
			Reference:          workflow.GetInfo(ctx).WorkflowExecution.ID,
			RequestID:          t.requestID(ctx, "invite"),
		}).Get(ctx, &res)
	if err != nil {
		return "", err
	}
	now := workflow.Now(ctx).UTC()
	t.state.Invited = true
	t.state.InvitedAt = now
	t.state.AdminRelationshipID = res.AdminRelationshipID
	t.state.NextReminderAt = now.Add(t.req.ReminderEvery.D())
	t.state.Status.InvitationURL = res.InvitationURL
	t.state.Status.AdminRelationshipID = res.AdminRelationshipID
	t.state.Status.AdminApprovalURL = res.AdminApprovalURL
	return csptransfer.StageAwaitingAcceptance, nil
}

// awaitAcceptance waits for the customer to accept the reseller relationship (and approve admin access
// when it was requested). A signal only prompts a check: nothing advances until Partner Center confirms.
func (t *transfer) awaitAcceptance(ctx workflow.Context) (csptransfer.Stage, error) {
	expires := t.state.InvitedAt.Add(t.req.InvitationTTL.D())
	interval, checkBeforeReminding := pollEvery, false
	if t.since(ctx, changeAcceptancePoll) {
		interval, checkBeforeReminding = pollAtReminders, true
	}
	nextPoll := workflow.Now(ctx).Add(interval)
	for {
		if t.state.Accepted && (t.state.AdminAccessActive || !t.req.RequestAdminAccess) {
			t.notWaiting(ctx)
			return csptransfer.StageCheckingAgreement, nil
		}
		if t.abort != nil || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return csptransfer.StageAwaitingAcceptance, nil
		}
		now := workflow.Now(ctx)
		if !now.Before(expires) {
			what := "the reseller relationship"
			if t.state.Accepted {
				what = "GDAP admin access"
			}
			return "", temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("the customer did not accept %s within %s (invitation sent %s)", what, t.req.InvitationTTL,
					t.state.InvitedAt.Format(time.RFC3339)), csptransfer.ErrTypeInvitationExpired, nil)
		}
		wake := minTime(expires, nextPoll)
		if t.req.ContactEmail != "" {
			wake = minTime(wake, t.state.NextReminderAt)
		}
		what := "the customer to accept the reseller relationship"
		if t.state.Accepted {
			what = "the customer to approve GDAP admin access"
		} else if t.req.RequestAdminAccess {
			what += " and approve GDAP admin access"
		}
		if t.nextActions(ctx) {
			// The next act is the next reminder or the deadline; the 6-hourly verification behind lost
			// webhooks is not indexed, or every poll would cost an upsert.
			next, at := "the invitation expires and the transfer fails", expires
			if t.req.ContactEmail != "" && t.state.NextReminderAt.Before(expires) {
				next, at = "remind the customer", t.state.NextReminderAt
			}
			t.awaitNext(ctx, what+" (invitation valid until "+expires.UTC().Format("2006-01-02 15:04 MST")+")", at, next)
		} else {
			t.await(ctx, what, expires)
		}
		signalled, err := workflow.AwaitWithTimeout(ctx, wake.Sub(now), func() bool {
			return t.acceptSignals > 0 || t.adminSignals > 0 || t.abort != nil
		})
		if err != nil {
			return "", err
		}
		if t.abort != nil {
			continue
		}
		now = workflow.Now(ctx)
		reminderDue := checkBeforeReminding && t.req.ContactEmail != "" && !now.Before(t.state.NextReminderAt)
		if signalled || !now.Before(nextPoll) || reminderDue {
			hadSignal := t.acceptSignals > 0 || t.adminSignals > 0
			t.acceptSignals, t.adminSignals = 0, 0
			if !now.Before(nextPoll) || reminderDue {
				nextPoll = now.Add(interval)
			}
			if err := t.checkRelationship(ctx, hadSignal); err != nil {
				return "", err
			}
			if t.state.Accepted && (t.state.AdminAccessActive || !t.req.RequestAdminAccess) {
				continue // accepted: no reminder
			}
		}
		subject, body := "Reminder: please accept our reseller relationship",
			fmt.Sprintf("Please accept the reseller relationship at %s so we can take over your subscriptions without interruption.",
				t.state.Status.InvitationURL)
		if t.state.Accepted {
			subject, body = "Reminder: please approve our admin access request",
				fmt.Sprintf("Thank you for accepting the reseller relationship. Please also approve the admin access request at %s so we can move your users' licenses.",
					t.state.Status.AdminApprovalURL)
		}
		if checkBeforeReminding && !now.Before(expires) {
			continue // the invitation has just expired: no reminder to accept it
		}
		t.remindIfDue(ctx, now, "invitation-reminder", subject, body)
	}
}

func (t *transfer) checkRelationship(ctx workflow.Context, signalled bool) error {
	var res activities.CheckRelationshipResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Verify the relationship with Partner Center"),
		a.CheckRelationship, activities.CheckRelationshipInput{
			PartnerTenantID:     t.state.Status.PartnerTenantID,
			CustomerTenantID:    t.req.CustomerTenantID,
			AdminRelationshipID: t.state.AdminRelationshipID,
		}).Get(ctx, &res)
	if err != nil {
		return err
	}
	if res.Accepted && !t.state.Accepted {
		t.state.Accepted = true
		// The link has done its job; operators should not send it again.
		t.state.Status.InvitationURL = ""
		workflow.GetMetricsHandler(ctx).Timer("csp_transfer_acceptance_wait").Record(workflow.Now(ctx).Sub(t.state.InvitedAt))
		t.note(ctx, "reseller relationship verified in Partner Center")
	}
	if res.AdminAccessActive && !t.state.AdminAccessActive {
		t.state.AdminAccessActive = true
		t.note(ctx, "GDAP admin access verified")
	}
	if signalled && !res.Accepted {
		t.setError(ctx, "an acceptance was reported, but Partner Center does not show the relationship yet; it is checked again")
	} else if signalled && t.req.RequestAdminAccess && !res.AdminAccessActive && t.state.Accepted {
		t.setError(ctx, fmt.Sprintf("admin access was reported approved, but its status is %q", res.AdminAccessStatus))
	}
	return nil
}

// remindIfDue sends the contact the reminder of the stage the transfer waits in, when one is due, and
// schedules the next.
func (t *transfer) remindIfDue(ctx workflow.Context, now time.Time, kind, subject, body string) {
	if t.req.ContactEmail == "" || now.Before(t.state.NextReminderAt) {
		return
	}
	t.remind(ctx, kind, subject, body)
	t.state.NextReminderAt = now.Add(t.req.ReminderEvery.D())
}

// remind sends a reminder to the contact. A reminder that cannot be sent is noted, never fatal.
func (t *transfer) remind(ctx workflow.Context, kind, subject, body string) {
	if err := t.notify(ctx, kind, "Remind the customer", subject, body); err != nil {
		t.setError(ctx, "reminder not sent: "+reason(err))
	}
}

// notify e-mails the contact, retrying a few times: a message that still cannot be sent is the caller's
// to report, never a reason to hold the transfer.
func (t *transfer) notify(ctx workflow.Context, kind, summary, subject, body string) error {
	return t.notifyTo(ctx, t.req.ContactEmail, kind, summary, subject, body)
}

// notifyTo e-mails one address (nothing when it is empty), retrying as notify does.
func (t *transfer) notifyTo(ctx workflow.Context, to, kind, summary, subject, body string) error {
	if to == "" {
		return nil
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             summary,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, InitialInterval: 10 * time.Second},
	})
	return workflow.ExecuteActivity(actx, a.Notify, activities.NotifyInput{
		Kind: kind, To: to, Reference: workflow.GetInfo(ctx).WorkflowExecution.ID,
		Subject: subject, Body: body,
	}).Get(ctx, nil)
}

// checkAgreement makes sure the Microsoft Customer Agreement is in place before anything is bought.
func (t *transfer) checkAgreement(ctx workflow.Context) (csptransfer.Stage, error) {
	var attestation *csptransfer.Attestation
	pollEvery := agreementPollEvery
	growing := t.nextActions(ctx)
	if growing {
		pollEvery = agreementFirstPoll
	}
	for {
		res, err := t.ensureAgreement(ctx, attestation, "agreement")
		if err != nil {
			return "", err
		}
		if res.Accepted {
			t.state.AgreementAccepted = true
			t.notWaiting(ctx)
			if growing {
				how := "the customer accepted the Microsoft Customer Agreement"
				if attestation != nil {
					how = "the partner's attestation of the customer's acceptance of the Microsoft Customer Agreement was recorded in Partner Center"
				}
				t.note(ctx, how)
			}
			return csptransfer.StageDiscovering, nil
		}
		attestation = nil
		now := workflow.Now(ctx)
		what := "the customer to accept the Microsoft Customer Agreement (or an agreement-accepted signal with the partner's attestation)"
		if growing {
			t.awaitNext(ctx, what, now.Add(pollEvery), "check Partner Center for the customer's acceptance again")
		} else {
			t.await(ctx, what, time.Time{})
		}
		wait := pollEvery
		if growing {
			pollEvery = min(2*pollEvery, agreementPollEvery)
		}
		_, err = workflow.AwaitWithTimeout(ctx, wait, func() bool {
			return len(t.agreementSignals) > 0 || t.abort != nil || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		})
		if err != nil {
			return "", err
		}
		if t.abort != nil || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return csptransfer.StageCheckingAgreement, nil
		}
		attestation = latestAttestation(t.agreementSignals)
		t.agreementSignals = nil
		t.remindIfDue(ctx, now, "agreement-reminder", "Reminder: please accept the Microsoft Customer Agreement",
			"Please accept the Microsoft Customer Agreement in the Microsoft 365 admin center so we can provision your subscriptions.")
	}
}

// ensureAgreement checks the Microsoft Customer Agreement, recording the partner's attestation when given.
// step names the MS-RequestId of the attestation.
func (t *transfer) ensureAgreement(ctx workflow.Context, attestation *csptransfer.Attestation, step string) (activities.EnsureAgreementResult, error) {
	var res activities.EnsureAgreementResult
	err := workflow.ExecuteActivity(withActivity(ctx, time.Minute, "Check the Microsoft Customer Agreement"),
		a.EnsureAgreement, activities.EnsureAgreementInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
			Attestation:      attestation,
			RequestID:        t.requestID(ctx, step),
		}).Get(ctx, &res)
	return res, err
}

// latestAttestation is the last attestation among agreement-accepted signals, nil when none carried one.
func latestAttestation(signals []csptransfer.AgreementAccepted) *csptransfer.Attestation {
	var attestation *csptransfer.Attestation
	for _, s := range signals {
		if s.Attestation != nil {
			attestation = s.Attestation
		}
	}
	return attestation
}

// discover lists the originals: from the request when given, otherwise from the customer's directory.
func (t *transfer) discover(ctx workflow.Context) (csptransfer.Stage, error) {
	if len(t.req.Subscriptions) > 0 {
		t.state.Originals = append([]csptransfer.OriginalSubscription(nil), t.req.Subscriptions...)
		return csptransfer.StagePlanning, nil
	}
	var res activities.DiscoverResult
	err := workflow.ExecuteActivity(withActivity(ctx, 2*time.Minute, "Discover the customer's subscriptions"),
		a.Discover, activities.DiscoverInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
		}).Get(ctx, &res)
	if err != nil {
		return "", err
	}
	t.state.Originals = res.Originals
	t.state.OriginalIDs = map[string][]string{}
	for _, o := range res.Originals {
		if o.SubscriptionID != "" {
			key := strings.ToLower(o.SkuID)
			t.state.OriginalIDs[key] = append(t.state.OriginalIDs[key], o.SubscriptionID)
		}
	}
	if len(t.state.Originals) == 0 {
		return "", temporal.NewNonRetryableApplicationError(
			"the customer has no license-based subscriptions from another channel to transfer", csptransfer.ErrTypeTransferFailed, nil)
	}
	return csptransfer.StagePlanning, nil
}

// plan reads the catalog for the originals and makes (or remakes) the plan.
func (t *transfer) plan(ctx workflow.Context) (csptransfer.Stage, error) {
	if t.state.Status.PlanVersion == 0 && !t.state.PartnerTransfers {
		// Decided once, at the first plan: transfers planned before partner-to-partner transfers existed
		// keep buying every line when they plan again.
		t.state.PartnerTransfers = t.since(ctx, changePartnerTransfers)
	}
	var res activities.CatalogResult
	err := workflow.ExecuteActivity(withActivity(ctx, 2*time.Minute, "Read the catalog for the originals' offers"),
		a.Catalog, activities.CatalogInput{
			PartnerTenantID:  t.state.Status.PartnerTenantID,
			CustomerTenantID: t.req.CustomerTenantID,
			Country:          t.state.Country,
			Skus:             t.sourceSkus(),
			Targets:          t.targets(),
		}).Get(ctx, &res)
	if err != nil {
		return "", err
	}
	t.state.Catalog = res.Facts
	t.state.OverrideTargets = res.Targets
	result, err := t.replan()
	if err != nil {
		return "", temporal.NewNonRetryableApplicationError("plan: "+err.Error(), csptransfer.ErrTypeTransferFailed, err)
	}
	if t.since(ctx, changeMoneyView) {
		if err := t.quote(ctx); err != nil {
			return "", err
		}
	}
	t.priceLines(workflow.Now(ctx).UTC())
	if result.NeedsApproval || !result.Ready {
		return csptransfer.StageAwaitingApproval, nil
	}
	t.state.Planned = true
	return t.fulfilStage(), nil
}

// replan recomputes the plan from the stored facts and overrides. Lines already ordered keep their target
// and progress: what was bought cannot change.
func (t *transfer) replan() (PlanResult, error) {
	res, err := Plan(PlanInput{
		Originals:       t.state.Originals,
		Catalog:         t.state.Catalog,
		Overrides:       t.overrides(),
		OverrideTargets: t.state.OverrideTargets,
		Approval:        t.req.Approval,
		Country:         t.state.Country,
		Transfers:       t.state.PartnerTransfers,
		SourcePartner:   t.req.SourcePartner,
		CustomerEmail:   t.req.ContactEmail != "",
		BuyInstead:      t.state.TransferFallbacks,
		TransferOnly:    t.transferOnly(),
	})
	if err != nil {
		return PlanResult{}, err
	}
	old := map[string]csptransfer.Line{}
	for _, l := range t.state.Status.Lines {
		old[lineKey(l.PlanLine)] = l
	}
	lines := make([]csptransfer.Line, 0, len(res.Lines))
	for _, pl := range res.Lines {
		prev, ok := old[lineKey(pl)]
		if ok && (prev.Progress.Ordered || prev.Progress.Transferred) {
			lines = append(lines, prev)
			continue
		}
		l := csptransfer.Line{PlanLine: pl}
		if ok {
			l.Progress.Error = ""
		}
		lines = append(lines, l)
	}
	t.state.Status.Lines = lines
	t.state.Status.PlanVersion++
	return res, nil
}

// lineKey identifies a line across re-plans: its SKU, its originals' end and the partner selling them (plans
// made before transfers existed never name one, so their keys are unchanged).
// transferOnly is, once the transfer request is made, the keys of the lines it is for (never nil then).
func (t *transfer) transferOnly() []string {
	if t.partnerTransfer() == nil {
		return nil
	}
	return append([]string{}, t.state.TransferKeys...)
}

func lineKey(l csptransfer.PlanLine) string {
	src := l.SourceSkuID
	if src == "" {
		src = l.SourceSkuPartNumber
	}
	key := strings.ToLower(src) + "|" + l.OriginalExpiresAt.UTC().Format(time.RFC3339)
	if l.SourcePartnerTenantID != "" {
		key += "|" + strings.ToLower(l.SourcePartnerTenantID)
	}
	return key
}

// overrides are the request's offerOverrides with the operator's mappings over them. A mapping replaces an
// override of the same SKU in any letter case (it is the later choice), and keeps the SKU's own spelling
// for the plan's notes.
func (t *transfer) overrides() map[string]string {
	out := map[string]string{}
	for _, k := range workflow.DeterministicKeys(t.req.OfferOverrides) {
		out[k] = t.req.OfferOverrides[k]
	}
	for _, k := range workflow.DeterministicKeys(t.state.Mappings) {
		for _, rk := range workflow.DeterministicKeys(out) {
			if strings.EqualFold(strings.TrimSpace(rk), k) {
				delete(out, rk)
			}
		}
		out[t.skuSpelling(k)] = t.state.Mappings[k]
	}
	return out
}

// skuSpelling is how the plan spells a source SKU stored in lower case: its part number as Graph writes it.
func (t *transfer) skuSpelling(sku string) string {
	for _, l := range t.state.Status.Lines {
		if strings.EqualFold(l.SourceSkuPartNumber, sku) {
			return l.SourceSkuPartNumber
		}
	}
	return sku
}

func (t *transfer) sourceSkus() []activities.SourceSku {
	seen := map[string]bool{}
	var out []activities.SourceSku
	for _, o := range t.state.Originals {
		key := strings.ToLower(o.SkuID + "|" + o.SkuPartNumber)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, activities.SourceSku{SkuID: o.SkuID, SkuPartNumber: o.SkuPartNumber})
	}
	return out
}

func (t *transfer) targets() []string {
	seen := map[string]bool{}
	var out []string
	overrides := t.overrides()
	for _, k := range workflow.DeterministicKeys(overrides) {
		v := overrides[k]
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// awaitApproval waits for approve-plan on the current version, or for set-offer-mapping, which re-plans.
func (t *transfer) awaitApproval(ctx workflow.Context) (csptransfer.Stage, error) {
	changes := t.changes
	what := fmt.Sprintf("an operator to approve plan v%d (approve-plan)", t.state.Status.PlanVersion)
	if t.unresolved() > 0 {
		what = fmt.Sprintf("an operator to choose offers for %d unresolved line(s) (set-offer-mapping)", t.unresolved())
	}
	if sku := t.dataLossToAccept(); sku != "" {
		what = fmt.Sprintf("an operator to accept the data-loss risk of moving the users of %s (approve-plan v%d; see lastError) or abort", sku, t.state.Status.PlanVersion)
	}
	t.await(ctx, what, time.Time{})
	err := workflow.Await(ctx, func() bool {
		return t.changes != changes || t.abort != nil || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	})
	if err != nil {
		return "", err
	}
	switch {
	case t.mappingsDirty():
		t.record(ctx, csptransfer.StagePlanning, "offer mapping changed")
		return csptransfer.StagePlanning, nil
	case t.state.ApprovedVersion == t.state.Status.PlanVersion && t.unresolved() == 0:
		t.state.Planned = true
		t.priceLines(workflow.Now(ctx).UTC())
		t.notWaiting(ctx)
		return t.fulfilStage(), nil
	}
	return csptransfer.StageAwaitingApproval, nil
}

func (t *transfer) unresolved() int {
	n := 0
	for _, l := range t.state.Status.Lines {
		if l.Unresolved && !l.Progress.Ordered {
			n++
		}
	}
	return n
}

// mappingsDirty reports whether a mapping was set since the plan was made, i.e. some override target has
// no catalog facts yet or some line does not follow its override.
func (t *transfer) mappingsDirty() bool {
	for _, src := range workflow.DeterministicKeys(t.state.Mappings) {
		target := t.state.Mappings[src]
		for _, l := range t.state.Status.Lines {
			if l.Progress.Ordered || (l.Transfers() && t.partnerTransfer() != nil) {
				continue
			}
			if strings.EqualFold(l.SourceSkuID, src) || strings.EqualFold(l.SourceSkuPartNumber, src) {
				if !sameCatalogItem(l.TargetCatalogItemID, target) {
					return true
				}
			}
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
