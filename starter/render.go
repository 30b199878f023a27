package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/csptransfer/csptransfer"
)

// timeLayout is how every time is shown: UTC, to the second, so operators in different places agree.
const timeLayout = "2006-01-02 15:04:05Z"

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeLayout)
}

// fmtWhen writes a time with how far it is from now: "2026-11-22 10:00:00Z (in 23h59m)".
func fmtWhen(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return fmtTime(t) + " (" + relative(t, now) + ")"
}

// relative says "in 3h5m", "4d2h ago" or "now", coarse enough to read at a glance.
func relative(t, now time.Time) string {
	d := t.Sub(now)
	past := d < 0
	if past {
		d = -d
	}
	var s string
	switch {
	case d < time.Second:
		return "now"
	case d < time.Minute:
		s = strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		s = strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		s = fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
	if past {
		return s + " ago"
	}
	return "in " + s
}

// oneLine keeps a value from breaking the table layout or forging lines (errors can carry newlines).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// renderStatus writes where a transfer stands: the summary, what it waits for, the plan with per-line
// progress and its money, the last error and the timeline.
func renderStatus(w io.Writer, id string, st csptransfer.TransferStatus, uiLink string, now time.Time) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Transfer\t%s\n", id)
	fmt.Fprintf(tw, "Customer\t%s  %s\n", orDash(st.CustomerTenantID), orDash(st.CustomerDomain))
	fmt.Fprintf(tw, "Partner\t%s\n", orDash(st.PartnerTenantID))
	fmt.Fprintf(tw, "Stage\t%s, since %s\n", st.Stage, fmtWhen(stageSince(st), now))
	if st.Awaiting != nil {
		fmt.Fprintf(tw, "Waiting for\t%s\n", orDash(oneLine(st.Awaiting.What)))
		if next := nextAction(st.Awaiting, now); next != "" {
			fmt.Fprintf(tw, "Next action\t%s\n", next)
		}
	}
	if st.InvitationURL != "" && stageBefore(st.Stage, csptransfer.StageCheckingAgreement) {
		fmt.Fprintf(tw, "Invitation\t%s\n", st.InvitationURL)
	}
	if st.AdminRelationshipID != "" {
		fmt.Fprintf(tw, "Admin access\t%s\n", st.AdminRelationshipID)
		if st.AdminApprovalURL != "" && stageBefore(st.Stage, csptransfer.StageDiscovering) {
			fmt.Fprintf(tw, "Admin approval\t%s\n", st.AdminApprovalURL)
		}
	}
	if st.LastError != "" {
		fmt.Fprintf(tw, "Last error\t%s\n", oneLine(st.LastError))
	}
	fmt.Fprintf(tw, "Started\t%s\n", fmtTime(st.StartedAt))
	fmt.Fprintf(tw, "Updated\t%s\n", fmtWhen(st.UpdatedAt, now))
	if uiLink != "" {
		fmt.Fprintf(tw, "UI\t%s\n", uiLink)
	}
	_ = tw.Flush()

	if st.PartnerTransfer != nil {
		fmt.Fprintln(w)
		renderPartnerTransfer(w, st, now)
	}

	fmt.Fprintln(w)
	if len(st.Lines) == 0 {
		fmt.Fprintln(w, "Plan: none yet")
	} else {
		fmt.Fprintf(w, "Plan v%d\n", st.PlanVersion)
		renderPlan(w, st, now)
		if hasMoney(st) {
			fmt.Fprintln(w)
			renderMoney(w, st, now)
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Timeline")
	tw = newTable(w)
	for _, e := range st.Timeline {
		// No empty last cell: tabwriter would pad it with trailing spaces.
		if note := oneLine(e.Note); note != "" {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", fmtTime(e.At), e.Stage, note)
		} else {
			fmt.Fprintf(tw, "  %s\t%s\n", fmtTime(e.At), e.Stage)
		}
	}
	_ = tw.Flush()
}

// nextAction is the "Next action" line: when the transfer next acts by itself (Awaiting.Until, the same
// instant list shows from CspNextActionAt) and what it does then, or "" when nothing is scheduled.
func nextAction(aw *csptransfer.AwaitedThing, now time.Time) string {
	if aw == nil || aw.Until == nil {
		return ""
	}
	when := fmtWhen(*aw.Until, now)
	if next := oneLine(aw.Next); next != "" {
		return when + ": " + next
	}
	return when
}

// renderPlan writes the plan lines with their progress, then each line's method, notes and errors. Lines
// moved by the partner-to-partner transfer request have a table of their own: nothing is ordered,
// provisioned or reassigned for them; they are transferred, and their term goes on to its own end.
func renderPlan(w io.Writer, st csptransfer.TransferStatus, now time.Time) {
	skipped := skippedWaits(st)
	var transferred, bought []int
	for i, l := range st.Lines {
		if l.Transfers() {
			transferred = append(transferred, i)
		} else {
			bought = append(bought, i)
		}
	}
	if len(transferred) > 0 {
		tw := newTable(w)
		fmt.Fprintln(tw, "  #\tSOURCE\tTARGET\tSEATS\tMETHOD\tORIGINAL ENDS\tTRANSFERRED\tSUBSCRIPTION\tTERM ENDS")
		for _, i := range transferred {
			l := st.Lines[i]
			sub, termEnds := "—", "—"
			if l.Progress.SubscriptionID != "" {
				sub = oneLine(l.Progress.SubscriptionID)
			}
			if l.Progress.TermEndsAt != nil {
				termEnds = fmtTime(*l.Progress.TermEndsAt)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", i+1, sourceName(l.PlanLine), planTarget(l.PlanLine),
				l.Quantity, csptransfer.MethodTransfer, fmtTime(l.OriginalExpiresAt), yesNo(l.Progress.Transferred), sub, termEnds)
		}
		_ = tw.Flush()
		if len(bought) > 0 {
			fmt.Fprintln(w)
		}
	}
	if len(bought) > 0 {
		tw := newTable(w)
		fmt.Fprintln(tw, "  #\tSOURCE\tTARGET\tSEATS\tMETHOD\tOFFER\tORIGINAL ENDS\tPROVISION AT\tORDER\tPROVISIONED\tSUBSCRIPTION\tUSERS MOVED\tORIGINAL")
		for _, i := range bought {
			l := st.Lines[i]
			offer := "same"
			if !l.SameOffer {
				offer = "substitute"
			}
			provisionAt := "—"
			if l.Progress.ProvisionAt != nil {
				provisionAt = fmtTime(*l.Progress.ProvisionAt)
			}
			order := yesNo(l.Progress.Ordered)
			if l.Progress.OrderID != "" {
				order = oneLine(l.Progress.OrderID)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, sourceName(l.PlanLine), planTarget(l.PlanLine),
				l.Quantity, csptransfer.MethodBuy, offer, fmtTime(l.OriginalExpiresAt), provisionAt, order,
				yesNo(l.Progress.Provisioned), orDash(oneLine(l.Progress.SubscriptionID)), usersMoved(l), originalCell(l.Progress, skipped[i]))
		}
		_ = tw.Flush()
	}
	for i, l := range st.Lines {
		if l.MethodReason != "" {
			fmt.Fprintf(w, "  %d: %s: %s\n", i+1, lineMethod(l.PlanLine), oneLine(l.MethodReason))
		}
		if l.Transfers() && len(l.SourceSubscriptionIDs) > 0 {
			fmt.Fprintf(w, "  %d: original subscription(s) %s\n", i+1, oneLine(strings.Join(l.SourceSubscriptionIDs, ", ")))
		}
		for _, n := range l.Notes {
			fmt.Fprintf(w, "  %d: %s\n", i+1, oneLine(n))
		}
		if l.Progress.Error != "" {
			fmt.Fprintf(w, "  %d: error (attempt %d): %s\n", i+1, l.Progress.Attempts, oneLine(l.Progress.Error))
		}
		if l.Progress.CheckAt != nil && !skipped[i] {
			fmt.Fprintf(w, "  %d: original still active; checked again %s\n", i+1, fmtWhen(*l.Progress.CheckAt, now))
		}
	}
}

// usersMoved is a bought line's USERS MOVED cell: moved/total once counted, or why there is nothing to count.
// The workflow counts a line's users when it moves them (usersMoved of usersMoved+remaining).
func usersMoved(l csptransfer.Line) string {
	p := l.Progress
	switch {
	case l.Unresolved:
		return "—" // known once an offer is chosen
	case !l.ReassignmentNeeded:
		return "not needed" // the same SKU: users keep their licenses
	case p.Moved && p.UsersToMove == 0:
		return "none to move"
	case p.Moved && p.UsersMoved >= p.UsersToMove:
		return fmt.Sprintf("%d/%d done", p.UsersMoved, p.UsersToMove)
	case p.Moved:
		return fmt.Sprintf("%d/%d, %d left", p.UsersMoved, p.UsersToMove, p.UsersToMove-p.UsersMoved)
	case p.UsersToMove > 0:
		return fmt.Sprintf("%d/%d so far", p.UsersMoved, p.UsersToMove)
	case p.Provisioned:
		return "to do"
	}
	return "after provisioning"
}

// originalCell is a bought line's ORIGINAL cell: the original's state, and "skipped" once an operator
// ended the wait for it (skip-wait).
func originalCell(p csptransfer.LineProgress, skipped bool) string {
	state := p.OriginalState
	if p.RenewedUntil != nil && state != "" {
		state += " until " + fmtTime(*p.RenewedUntil)
	}
	switch {
	case skipped && state != "":
		return "skipped (" + state + ")"
	case skipped:
		return "skipped"
	}
	return orDash(state)
}

// skipNotePrefix starts the timeline note the workflow writes for skip-expiry-wait:
// "expiry wait skipped for N line(s); no refund is due[: reason]".
const skipNotePrefix = "expiry wait skipped for "

// skippedWaits says which bought lines no longer wait for their original because an operator skipped the
// wait: the lines' expiryWaitSkipped flag. Transfers that skipped before the flag existed have none, so for
// them it is inferred. A line is a candidate once it is
// provisioned, its users moved, and its original not expired. A completed transfer skipped every candidate (it
// completes only when each original expired or its wait was skipped). Otherwise the skips the timeline
// records (each counts lines no earlier skip covered) must account for every candidate; when they account
// for fewer, which lines they were is unknown and none is marked.
func skippedWaits(st csptransfer.TransferStatus) map[int]bool {
	flagged := map[int]bool{}
	for i, l := range st.Lines {
		if l.Progress.ExpiryWaitSkipped {
			flagged[i] = true
		}
	}
	if len(flagged) > 0 {
		return flagged
	}
	var candidates []int
	for i, l := range st.Lines {
		p := l.Progress
		if !l.Transfers() && p.Provisioned && (!l.ReassignmentNeeded || p.Moved) && p.OriginalState != "expired" {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	count := 0
	for _, e := range st.Timeline {
		if rest, ok := strings.CutPrefix(e.Note, skipNotePrefix); ok {
			digits := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
			n, _ := strconv.Atoi(digits)
			count += n
		}
	}
	if st.Stage != csptransfer.StageCompleted && (count == 0 || count < len(candidates)) {
		return nil
	}
	skipped := make(map[int]bool, len(candidates))
	for _, i := range candidates {
		skipped[i] = true
	}
	return skipped
}

// lineMethod is how a line moves; plans made before transfers existed say nothing, and buy.
func lineMethod(l csptransfer.PlanLine) csptransfer.LineMethod {
	if l.Transfers() {
		return csptransfer.MethodTransfer
	}
	return csptransfer.MethodBuy
}

// planTarget is the TARGET cell: the catalog item with its title, or what an operator has to do.
func planTarget(l csptransfer.PlanLine) string {
	target := l.TargetCatalogItemID
	if l.TargetTitle != "" {
		target += " (" + l.TargetTitle + ")"
	}
	if l.Unresolved {
		target = "? choose with map-offer"
	}
	return oneLine(orDash(strings.TrimSpace(target)))
}

// renderPartnerTransfer writes the partner-to-partner transfer request: whom it waits on and until when,
// how often Partner Center is read, what came of it, and what Microsoft reported per item.
func renderPartnerTransfer(w io.Writer, st csptransfer.TransferStatus, now time.Time) {
	pt := st.PartnerTransfer
	fmt.Fprintln(w, "Partner-to-partner transfer request")
	tw := newTable(w)
	fmt.Fprintf(tw, "  ID\t%s\n", orDash(oneLine(pt.ID)))
	fmt.Fprintf(tw, "  Microsoft status\t%s\n", orDash(oneLine(pt.Status)))
	fmt.Fprintf(tw, "  Outcome\t%s\n", partnerTransferOutcome(pt.Outcome))
	fmt.Fprintf(tw, "  Source partner\t%s\n", sourcePartner(pt))
	fmt.Fprintf(tw, "  Lines\t%s\n", requestLines(st, pt.Lines))
	fmt.Fprintf(tw, "  Created\t%s\n", fmtWhen(pt.CreatedAt, now))
	pending := pt.Outcome == "" || pt.Outcome == csptransfer.PartnerTransferPending
	// Once the source partner acted or the request was withdrawn, its expiry no longer matters.
	if pt.ExpiresAt != nil && (pending || pt.Outcome == csptransfer.PartnerTransferExpired) {
		expires := "Expires"
		if !pt.ExpiresAt.After(now) {
			expires = "Expired"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", expires, fmtDays(*pt.ExpiresAt, now))
	}
	checked := "not yet"
	if pt.CheckedAt != nil {
		checked = fmtWhen(*pt.CheckedAt, now)
	}
	if pt.Checks > 0 {
		checked += fmt.Sprintf(", %d check(s) so far", pt.Checks)
	}
	fmt.Fprintf(tw, "  Last checked\t%s\n", checked)
	if pt.NextCheckAt != nil && pending {
		fmt.Fprintf(tw, "  Next check\t%s, sooner when Partner Center sends a webhook\n", fmtWhen(*pt.NextCheckAt, now))
	}
	if pt.Error != "" {
		fmt.Fprintf(tw, "  Error\t%s\n", oneLine(pt.Error))
	}
	_ = tw.Flush()
	if len(pt.Items) == 0 {
		return
	}
	fmt.Fprintln(w, "  Items Microsoft reports")
	tw = newTable(w)
	fmt.Fprintln(tw, "    SUBSCRIPTION\tOFFER\tSEATS\tSTATUS\tERROR")
	for _, it := range pt.Items {
		seats := "—"
		if it.Quantity > 0 {
			seats = strconv.Itoa(it.Quantity)
		}
		problem := it.Error
		if it.ErrorCode != "" {
			problem = strings.TrimSuffix(it.ErrorCode+": "+it.Error, ": ")
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", orDash(oneLine(it.SubscriptionID)), orDash(oneLine(it.OfferID)), seats,
			orDash(oneLine(it.Status)), orDash(oneLine(problem)))
	}
	_ = tw.Flush()
}

// partnerTransferOutcome says what an outcome means for the transfer.
func partnerTransferOutcome(outcome string) string {
	switch outcome {
	case "", csptransfer.PartnerTransferPending:
		return "pending: the source partner has to accept it in Partner Center"
	case csptransfer.PartnerTransferComplete:
		return "complete: what it moved now belongs to this partner, nothing bought; a line it did not move is bought"
	case csptransfer.PartnerTransferExpired:
		return "expired: nobody acted on it in time; its lines are bought instead"
	case csptransfer.PartnerTransferCancelled:
		return "cancelled: withdrawn; its lines are bought instead"
	case csptransfer.PartnerTransferRejected:
		return "rejected by the source partner; its lines are bought instead"
	}
	return oneLine(outcome)
}

// sourcePartner names the source partner by name and tenant id.
func sourcePartner(pt *csptransfer.PartnerTransferStatus) string {
	name, tenant := oneLine(pt.SourcePartnerName), oneLine(pt.SourcePartnerTenantID)
	switch {
	case name != "" && tenant != "":
		return name + " (tenant " + tenant + ")"
	case tenant != "":
		return "tenant " + tenant
	}
	return orDash(name)
}

// requestLines lists the plan lines a request is for by their number in the plan and their source SKU.
func requestLines(st csptransfer.TransferStatus, idx []int) string {
	if len(idx) == 0 {
		return "—"
	}
	parts := make([]string, len(idx))
	for j, i := range idx {
		parts[j] = strconv.Itoa(i + 1)
		if i >= 0 && i < len(st.Lines) {
			parts[j] += " " + sourceName(st.Lines[i].PlanLine)
		}
	}
	return strings.Join(parts, ", ")
}

// fmtDays writes a time with how many whole days away it is, "in 29 days"; within two days, as relative.
func fmtDays(t, now time.Time) string {
	d := t.Sub(now)
	days := int(d.Abs() / (24 * time.Hour))
	switch {
	case days < 2:
		return fmtWhen(t, now)
	case d < 0:
		return fmt.Sprintf("%s (%d days ago)", fmtTime(t), days)
	}
	return fmt.Sprintf("%s (in %d days)", fmtTime(t), days)
}

func sourceName(l csptransfer.PlanLine) string {
	if l.SourceSkuPartNumber != "" {
		return l.SourceSkuPartNumber
	}
	return orDash(l.SourceSkuID)
}

// stageSince is when the transfer entered its current stage, from the timeline.
func stageSince(st csptransfer.TransferStatus) time.Time {
	since := st.UpdatedAt
	for i := len(st.Timeline) - 1; i >= 0 && st.Timeline[i].Stage == st.Stage; i-- {
		since = st.Timeline[i].At
	}
	return since
}

// stageBefore reports whether s comes before other in the normal order of stages.
func stageBefore(s, other csptransfer.Stage) bool {
	for _, st := range csptransfer.Stages() {
		switch st {
		case s:
			return true
		case other:
			return false
		}
	}
	return false
}

// renderReport writes a finished transfer's outcome and why, what it spent, the overlap that happened and
// the refunds expected, then its final status.
func renderReport(w io.Writer, id string, rep csptransfer.TransferReport, uiLink string, now time.Time) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Outcome\t%s\n", orDash(string(rep.Outcome)))
	if reason := reportReason(rep); reason != "" {
		fmt.Fprintf(tw, "Reason\t%s\n", reason)
	}
	fmt.Fprintf(tw, "Ended\t%s\n", fmtTime(rep.CompletedAt))
	for _, row := range reportMoney(rep, now) {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	renderStatus(w, id, rep.TransferStatus, uiLink, now)
}

// reportReason explains the outcome: the workflow's reason for a failed or aborted transfer; for a
// completed one, what became of its lines. A completed report carries the status's last error as its
// reason, which is old news the status block shows as "Last error", not why it completed.
func reportReason(rep csptransfer.TransferReport) string {
	if rep.Outcome != csptransfer.StageCompleted {
		return oneLine(rep.Reason)
	}
	if rep.Reason != "" && rep.Reason != rep.LastError {
		return oneLine(rep.Reason)
	}
	if len(rep.Lines) == 0 {
		return "nothing to move"
	}
	bought, transferred := 0, 0
	for _, l := range rep.Lines {
		switch {
		case l.Transfers() && l.Progress.Transferred:
			transferred++
		case !l.Transfers() && l.Progress.Provisioned:
			bought++
		}
	}
	var parts []string
	if bought > 0 {
		parts = append(parts, fmt.Sprintf("%d bought", bought))
	}
	if transferred > 0 {
		parts = append(parts, fmt.Sprintf("%d transferred", transferred))
	}
	reason := fmt.Sprintf("all %d line(s) done", len(rep.Lines))
	if len(parts) > 0 {
		reason = fmt.Sprintf("all %d line(s) moved: %s", len(rep.Lines), strings.Join(parts, ", "))
	}
	switch skipped := len(skippedWaits(rep.TransferStatus)); {
	case skipped > 0 && skipped == bought:
		reason += fmt.Sprintf("; the wait for the originals was skipped (%d, no refund is due)", skipped)
	case skipped > 0:
		reason += fmt.Sprintf("; the originals expired, except %d whose wait was skipped (no refund is due)", skipped)
	case bought > 0:
		reason += "; the originals expired"
	}
	return reason
}
