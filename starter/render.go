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
// progress, the last error and the timeline.
func renderStatus(w io.Writer, id string, st csptransfer.TransferStatus, uiLink string, now time.Time) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Transfer\t%s\n", id)
	fmt.Fprintf(tw, "Customer\t%s  %s\n", orDash(st.CustomerTenantID), orDash(st.CustomerDomain))
	fmt.Fprintf(tw, "Partner\t%s\n", orDash(st.PartnerTenantID))
	fmt.Fprintf(tw, "Stage\t%s, since %s\n", st.Stage, fmtWhen(stageSince(st), now))
	if st.Awaiting != nil {
		until := ""
		if st.Awaiting.Until != nil {
			until = ", until " + fmtWhen(*st.Awaiting.Until, now)
		}
		fmt.Fprintf(tw, "Waiting for\t%s%s\n", oneLine(st.Awaiting.What), until)
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

	fmt.Fprintln(w)
	if len(st.Lines) == 0 {
		fmt.Fprintln(w, "Plan: none yet")
	} else {
		fmt.Fprintf(w, "Plan v%d\n", st.PlanVersion)
		renderPlan(w, st, now)
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

// renderPlan writes the plan lines with their progress, then each line's notes and errors.
func renderPlan(w io.Writer, st csptransfer.TransferStatus, now time.Time) {
	tw := newTable(w)
	fmt.Fprintln(tw, "  #\tSOURCE\tTARGET\tSEATS\tOFFER\tORIGINAL ENDS\tPROVISION AT\tORDERED\tPROVISIONED\tUSERS MOVED\tORIGINAL")
	for i, l := range st.Lines {
		target := l.TargetCatalogItemID
		if l.TargetTitle != "" {
			target += " (" + l.TargetTitle + ")"
		}
		if l.Unresolved {
			target = "? choose with map-offer"
		}
		offer := "same"
		if !l.SameOffer {
			offer = "substitute"
		}
		moved := "—"
		if l.ReassignmentNeeded {
			switch {
			case l.Progress.Moved:
				moved = fmt.Sprintf("%d/%d done", l.Progress.UsersMoved, l.Progress.UsersToMove)
			case l.Progress.UsersToMove == 0:
				moved = "to do" // counted once the new subscription serves
			default:
				moved = fmt.Sprintf("%d/%d", l.Progress.UsersMoved, l.Progress.UsersToMove)
			}
		}
		provisionAt := "—"
		if l.Progress.ProvisionAt != nil {
			provisionAt = fmtTime(*l.Progress.ProvisionAt)
		}
		original := orDash(l.Progress.OriginalState)
		if l.Progress.RenewedUntil != nil {
			original += " until " + fmtTime(*l.Progress.RenewedUntil)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, sourceName(l.PlanLine), oneLine(orDash(target)),
			l.Quantity, offer, fmtTime(l.OriginalExpiresAt), provisionAt, yesNo(l.Progress.Ordered), yesNo(l.Progress.Provisioned),
			moved, original)
	}
	_ = tw.Flush()
	for i, l := range st.Lines {
		for _, n := range l.Notes {
			fmt.Fprintf(w, "  %d: %s\n", i+1, oneLine(n))
		}
		if l.Progress.Error != "" {
			fmt.Fprintf(w, "  %d: error (attempt %d): %s\n", i+1, l.Progress.Attempts, oneLine(l.Progress.Error))
		}
		if l.Progress.CheckAt != nil {
			fmt.Fprintf(w, "  %d: original still active; checked again %s\n", i+1, fmtWhen(*l.Progress.CheckAt, now))
		}
	}
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

// renderReport writes a finished transfer's outcome, then its final status.
func renderReport(w io.Writer, id string, rep csptransfer.TransferReport, uiLink string, now time.Time) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Outcome\t%s\n", orDash(string(rep.Outcome)))
	if rep.Reason != "" {
		fmt.Fprintf(tw, "Reason\t%s\n", oneLine(rep.Reason))
	}
	fmt.Fprintf(tw, "Ended\t%s\n", fmtTime(rep.CompletedAt))
	_ = tw.Flush()
	fmt.Fprintln(w)
	renderStatus(w, id, rep.TransferStatus, uiLink, now)
}
