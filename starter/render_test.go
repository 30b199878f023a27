package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./starter -run %s -update to create it", t.Name())
	require.Equal(t, string(want), string(got))
}

var goldenNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return goldenNow.Add(d) }

func ptr(t time.Time) *time.Time { return &t }

const (
	goldenTenant  = "6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f"
	goldenPartner = "4a9e3f2c-1b7d-4e8a-9c6f-2d5b8e1a7c30"
)

func goldenStatuses() map[string]csptransfer.TransferStatus {
	base := csptransfer.TransferStatus{
		CustomerTenantID: goldenTenant,
		CustomerDomain:   "contoso.onmicrosoft.com",
		StartedAt:        at(-50 * time.Hour),
	}
	timeline := []csptransfer.TimelineEntry{
		{Stage: csptransfer.StageValidating, At: at(-50 * time.Hour)},
		{Stage: csptransfer.StageCheckingRegion, At: at(-50 * time.Hour)},
		{Stage: csptransfer.StageInviting, At: at(-50 * time.Hour)},
		{Stage: csptransfer.StageAwaitingAcceptance, At: at(-50*time.Hour + time.Second)},
	}

	accepting := base
	accepting.Stage = csptransfer.StageAwaitingAcceptance
	accepting.PartnerTenantID = goldenPartner
	accepting.Awaiting = &csptransfer.AwaitedThing{What: "the customer to accept the reseller relationship (invitation valid until 2026-12-17 10:00 UTC)",
		Until: ptr(at(24 * time.Hour)), Next: "remind the customer"}
	accepting.InvitationURL = "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=" + goldenPartner
	accepting.AdminRelationshipID = "0f5c7e3a-1111-4222-8333-444455556666-aaaa"
	accepting.AdminApprovalURL = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/0f5c7e3a"
	accepting.LastError = "Partner Center does not show the relationship yet;\nchecked again later"
	accepting.Timeline = timeline
	accepting.UpdatedAt = at(-2 * time.Hour)

	e4 := csptransfer.Line{PlanLine: csptransfer.PlanLine{
		SourceSkuID: "1392051d-0cb9-4b7a-88d5-621fee5e8711", SourceSkuPartNumber: "ENTERPRISEWITHSCAL",
		TargetCatalogItemID: "CFQ7TTC0LFLX:0001:DZH318Z0BQ3Q", TargetTitle: "Office 365 E3", Quantity: 12,
		ReassignmentNeeded: true, OriginalExpiresAt: at(30 * 24 * time.Hour),
		Notes: []string{"Office 365 E4 is retired; its successor Office 365 E3 has the same service plans"},
	}}
	e1 := csptransfer.Line{PlanLine: csptransfer.PlanLine{
		SourceSkuID: "18181a46-0d4e-45cd-891e-60aabd171b4e", SourceSkuPartNumber: "STANDARDPACK",
		TargetCatalogItemID: "CFQ7TTC0LF8Q:0001:DZH318Z0BQ4R", TargetTitle: "Office 365 E1", Quantity: 8,
		SameOffer: true, OriginalExpiresAt: at(30 * 24 * time.Hour),
	}}
	dyn := csptransfer.Line{PlanLine: csptransfer.PlanLine{
		SourceSkuID: "1e1a282c-9c54-43a2-9310-98ef728faace", Quantity: 3, Unresolved: true,
		OriginalExpiresAt: at(90 * 24 * time.Hour),
	}}
	planned := append(append([]csptransfer.TimelineEntry{}, timeline...),
		csptransfer.TimelineEntry{Stage: csptransfer.StageCheckingAgreement, At: at(-3 * time.Hour)},
		csptransfer.TimelineEntry{Stage: csptransfer.StageDiscovering, At: at(-3 * time.Hour)},
		csptransfer.TimelineEntry{Stage: csptransfer.StagePlanning, At: at(-3 * time.Hour)},
		csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingApproval, At: at(-3*time.Hour + 2*time.Second)},
	)

	approving := base
	approving.Stage = csptransfer.StageAwaitingApproval
	approving.PartnerTenantID = goldenPartner
	approving.Awaiting = &csptransfer.AwaitedThing{What: "an operator to approve plan v2"}
	approving.PlanVersion = 2
	approving.Lines = []csptransfer.Line{e4, e1, dyn}
	approving.Timeline = planned
	approving.UpdatedAt = at(-3 * time.Hour)

	e4done, e1done := e4, e1
	e4done.Progress = csptransfer.LineProgress{Ordered: true, OrderID: "o-1", SubscriptionID: "s-1", Provisioned: true,
		UsersToMove: 4, UsersMoved: 4, Moved: true, OriginalState: "expired"}
	e1done.Progress = csptransfer.LineProgress{Ordered: true, OrderID: "o-1", SubscriptionID: "s-2", Provisioned: true,
		OriginalState: "renewed", RenewedUntil: ptr(at(365 * 24 * time.Hour)), CheckAt: ptr(at(365*24*time.Hour + time.Hour))}
	expiring := base
	expiring.Stage = csptransfer.StageAwaitingExpiry
	expiring.PartnerTenantID = goldenPartner
	expiring.Awaiting = &csptransfer.AwaitedThing{What: "the original Office 365 E1 (renewed) to expire", Until: ptr(at(365*24*time.Hour + time.Hour))}
	expiring.PlanVersion = 1
	expiring.Lines = []csptransfer.Line{e4done, e1done}
	expiring.Timeline = append(append([]csptransfer.TimelineEntry{}, planned...),
		csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingApproval, At: at(-2 * time.Hour), Note: "plan v1 approved: checked with the customer"},
		csptransfer.TimelineEntry{Stage: csptransfer.StageProvisioning, At: at(-2 * time.Hour)},
		csptransfer.TimelineEntry{Stage: csptransfer.StageReassigningLicenses, At: at(-time.Hour)},
		csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingExpiry, At: at(-30 * time.Minute)},
	)
	expiring.UpdatedAt = at(-30 * time.Minute)

	inProgress := e4
	inProgress.Progress = csptransfer.LineProgress{Ordered: true, Provisioned: true, UsersToMove: 9, UsersMoved: 3,
		Attempts: 2, Error: "Graph answered 503; retrying"}
	pending := e1
	pending.Progress = csptransfer.LineProgress{ProvisionAt: ptr(at(23 * 24 * time.Hour))}
	moving := base
	moving.Stage = csptransfer.StageReassigningLicenses
	moving.PartnerTenantID = goldenPartner
	moving.PlanVersion = 1
	moving.Lines = []csptransfer.Line{inProgress, pending}
	moving.Timeline = planned
	moving.UpdatedAt = at(-time.Minute)

	failed := base
	failed.Stage = csptransfer.StageFailed
	failed.StartedAt = at(-time.Minute)
	failed.LastError = `invalid transfer request: country: "UK" is not an ISO 3166-1 alpha-2 code (the United Kingdom is GB)`
	failed.Timeline = []csptransfer.TimelineEntry{
		{Stage: csptransfer.StageValidating, At: at(-time.Minute)},
		{Stage: csptransfer.StageFailed, At: at(-time.Minute), Note: failed.LastError},
	}
	failed.UpdatedAt = at(-time.Minute)

	awaitingTransfer, transferDone := partnerTransferStatuses(base, planned)

	return map[string]csptransfer.TransferStatus{
		"awaiting-partner-transfer": awaitingTransfer,
		"partner-transfer-complete": transferDone,
		"awaiting-acceptance":       accepting,
		"awaiting-approval":         approving,
		"reassigning-licenses":      moving,
		"awaiting-expiry":           expiring,
		"failed":                    failed,
	}
}

const (
	goldenSourcePartner = "5d3c1e2a-7b4f-4c19-8e6d-9a0b1c2d3e4f"
	goldenTransferID    = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
)

// partnerTransferStatuses are a customer leaving the CSP partner Fabrikam Reseller: Microsoft 365 E3 and
// Office 365 E1 move by a partner-to-partner transfer request, Visio (bought direct) is bought again. The
// first waits for Fabrikam to accept; in the second Fabrikam has accepted, E1 failed at Microsoft and was
// bought instead.
func partnerTransferStatuses(base csptransfer.TransferStatus, planned []csptransfer.TimelineEntry) (awaiting, done csptransfer.TransferStatus) {
	e3 := csptransfer.Line{PlanLine: csptransfer.PlanLine{
		SourceSkuID: "05e9a617-0261-4cee-bb44-138d3ef5d965", SourceSkuPartNumber: "SPE_E3",
		TargetCatalogItemID: "CFQ7TTC0LFLZ:0001", TargetTitle: "Microsoft 365 E3", Quantity: 25, SameOffer: true,
		OriginalExpiresAt: at(100 * 24 * time.Hour), Method: csptransfer.MethodTransfer,
		MethodReason:          "sold by Fabrikam Reseller GmbH under new commerce: its term continues, nothing is bought",
		SourcePartnerTenantID: goldenSourcePartner,
		SourceSubscriptionIDs: []string{"b1a0c9d8-1111-4e2f-9a3b-5c6d7e8f9a0b"},
	}}
	e1 := csptransfer.Line{PlanLine: csptransfer.PlanLine{
		SourceSkuID: "18181a46-0d4e-45cd-891e-60aabd171b4e", SourceSkuPartNumber: "STANDARDPACK",
		TargetCatalogItemID: "CFQ7TTC0LF8Q:0001", TargetTitle: "Office 365 E1", Quantity: 5, SameOffer: true,
		OriginalExpiresAt: at(40 * 24 * time.Hour), Method: csptransfer.MethodTransfer,
		MethodReason:          "sold by Fabrikam Reseller GmbH under new commerce: its term continues, nothing is bought",
		SourcePartnerTenantID: goldenSourcePartner,
		SourceSubscriptionIDs: []string{"c2b1d0e9-2222-4f3a-8b4c-6d7e8f9a0b1c", "d3c2e1fa-3333-4a4b-9c5d-7e8f9a0b1c2d"},
	}}
	visio := csptransfer.Line{PlanLine: csptransfer.PlanLine{
		SourceSkuID: "c5928f49-12ba-48f7-ada3-0d743a3601d5", SourceSkuPartNumber: "VISIOCLIENT",
		TargetCatalogItemID: "CFQ7TTC0KXN9:0001", TargetTitle: "Visio Plan 2", Quantity: 2, SameOffer: true,
		OriginalExpiresAt: at(20 * 24 * time.Hour), Method: csptransfer.MethodBuy,
		MethodReason: "bought direct from Microsoft, not through a CSP partner: bought again, the original left to expire",
	}}
	waiting := append(append([]csptransfer.TimelineEntry{}, planned[:len(planned)-1]...),
		csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingPartnerTransfer, At: at(-3*time.Hour + 5*time.Second),
			Note: "transfer request " + goldenTransferID + " sent to Fabrikam Reseller GmbH"},
	)
	request := &csptransfer.PartnerTransferStatus{
		ID: goldenTransferID, Status: "InProgress", Outcome: csptransfer.PartnerTransferPending,
		SourcePartnerTenantID: goldenSourcePartner, SourcePartnerName: "Fabrikam Reseller GmbH", Lines: []int{0, 1},
		CreatedAt: at(-3*time.Hour + 5*time.Second), ExpiresAt: ptr(at(29*24*time.Hour + 21*time.Hour)),
		CheckedAt: ptr(at(-time.Hour)), NextCheckAt: ptr(at(5 * time.Hour)), Checks: 4,
	}

	awaiting = base
	awaiting.Stage = csptransfer.StageAwaitingPartnerTransfer
	awaiting.PartnerTenantID = goldenPartner
	awaiting.Awaiting = &csptransfer.AwaitedThing{What: "Fabrikam Reseller GmbH to accept transfer request " + goldenTransferID + " in Partner Center",
		Until: request.ExpiresAt}
	awaiting.PlanVersion = 1
	awaiting.Lines = []csptransfer.Line{e3, e1, visio}
	awaiting.Lines[2].Progress = csptransfer.LineProgress{Ordered: true, OrderID: "o-1", SubscriptionID: "s-3", Provisioned: true, OriginalState: "active"}
	awaiting.PartnerTransfer = request
	awaiting.Timeline = waiting
	awaiting.UpdatedAt = at(-time.Hour)

	e3done, e1bought, visioDone := e3, e1, visio
	e3done.Progress = csptransfer.LineProgress{Transferred: true, SubscriptionID: "e4d3f2ab-4444-4b5c-8d6e-8f9a0b1c2d3e",
		TermEndsAt: ptr(at(100 * 24 * time.Hour))}
	e1bought.Method = csptransfer.MethodBuy
	e1bought.MethodReason = "the transfer request did not move it (900103 at Microsoft): bought again, the original left to expire"
	e1bought.Progress = csptransfer.LineProgress{Ordered: true, OrderID: "o-2", SubscriptionID: "s-4", Provisioned: true, OriginalState: "active"}
	visioDone.Progress = csptransfer.LineProgress{Ordered: true, OrderID: "o-1", SubscriptionID: "s-3", Provisioned: true, OriginalState: "expired"}
	finished := *request
	finished.Status, finished.Outcome = "Complete", csptransfer.PartnerTransferComplete
	finished.CheckedAt, finished.NextCheckAt, finished.Checks = ptr(at(-20*time.Minute)), nil, 6
	finished.Items = []csptransfer.PartnerTransferItem{
		{SubscriptionID: "b1a0c9d8-1111-4e2f-9a3b-5c6d7e8f9a0b", OfferID: "CFQ7TTC0LFLZ:0001:CFQ7TTC0J0NS", Quantity: 25, Status: "Complete"},
		{SubscriptionID: "c2b1d0e9-2222-4f3a-8b4c-6d7e8f9a0b1c", OfferID: "CFQ7TTC0LF8Q:0001:CFQ7TTC0HKPN", Quantity: 3, Status: "Failed",
			ErrorCode: "900103", Error: "Transfer order failed: the source subscription is not in sync state.\nTry again later."},
	}

	done = base
	done.Stage = csptransfer.StageAwaitingExpiry
	done.PartnerTenantID = goldenPartner
	done.Awaiting = &csptransfer.AwaitedThing{What: "the original Office 365 E1 to expire", Until: ptr(at(40 * 24 * time.Hour))}
	done.PlanVersion = 1
	done.Lines = []csptransfer.Line{e3done, e1bought, visioDone}
	done.PartnerTransfer = &finished
	done.Timeline = append(append([]csptransfer.TimelineEntry{}, waiting...),
		csptransfer.TimelineEntry{Stage: csptransfer.StageProvisioning, At: at(-20 * time.Minute), Note: "transfer request complete: 1 line transferred, 1 bought instead"},
		csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingExpiry, At: at(-10 * time.Minute)},
	)
	done.UpdatedAt = at(-10 * time.Minute)
	return awaiting, done
}

func TestStatusGolden(t *testing.T) {
	for name, st := range goldenStatuses() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			renderStatus(&b, csptransfer.WorkflowID(st.CustomerTenantID), st, "http://localhost:8233/namespaces/default/workflows/csp-transfer-"+goldenTenant, goldenNow)
			golden(t, "status-"+name+".golden", b.Bytes())
		})
	}
}

func TestReportGolden(t *testing.T) {
	st := goldenStatuses()["awaiting-expiry"]
	st.Stage = csptransfer.StageAborted
	st.Awaiting = nil
	rep := csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageAborted,
		Reason: "customer stays with its reseller; 2 new subscription(s) kept", CompletedAt: goldenNow}
	var b bytes.Buffer
	renderReport(&b, csptransfer.WorkflowID(goldenTenant), rep, "", goldenNow)
	golden(t, "report-aborted.golden", b.Bytes())

	// A transfer request the source partner withdrew from: its lines were bought instead.
	st = goldenStatuses()["awaiting-partner-transfer"]
	st.Stage, st.Awaiting = csptransfer.StageCompleted, nil
	pt := *st.PartnerTransfer
	pt.Status, pt.Outcome, pt.NextCheckAt = "Canceled", csptransfer.PartnerTransferCancelled, nil
	pt.Error = "withdrawn by an operator: the source partner will not release the subscriptions"
	st.PartnerTransfer = &pt
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	for i := range st.Lines {
		l := &st.Lines[i]
		l.Method = csptransfer.MethodBuy
		if i < 2 {
			l.MethodReason = "transfer request cancelled: bought again, the original left to expire"
		}
		l.Progress = csptransfer.LineProgress{Ordered: true, OrderID: "o-1", Provisioned: true, OriginalState: "expired"}
	}
	rep = csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted, CompletedAt: goldenNow}
	b.Reset()
	renderReport(&b, csptransfer.WorkflowID(goldenTenant), rep, "", goldenNow)
	golden(t, "report-partner-transfer-cancelled.golden", b.Bytes())

	// Completed after an operator skipped the wait for the renewed E1: the reason says what became of the
	// lines, the table has the order and subscription ids, the skipped original says so. The last error
	// left from the acceptance is no reason.
	st = goldenStatuses()["awaiting-expiry"]
	st.Stage, st.Awaiting = csptransfer.StageCompleted, nil
	st.LastError = "reminder not sent: SMTP 451"
	st.Timeline = append(append([]csptransfer.TimelineEntry{}, st.Timeline...),
		csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingExpiry, At: at(-20 * time.Minute),
			Note: "expiry wait skipped for 1 line(s); no refund is due: customer confirmed auto-renew is off"},
		csptransfer.TimelineEntry{Stage: csptransfer.StageCompleted, At: at(-20 * time.Minute)},
	)
	st.UpdatedAt = at(-20 * time.Minute)
	rep = csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted, Reason: st.LastError, CompletedAt: at(-20 * time.Minute)}
	b.Reset()
	renderReport(&b, csptransfer.WorkflowID(goldenTenant), rep, "", goldenNow)
	golden(t, "report-completed-wait-skipped.golden", b.Bytes())
}

func TestReportReason(t *testing.T) {
	st := goldenStatuses()["partner-transfer-complete"]
	for i := range st.Lines {
		st.Lines[i].Progress.OriginalState = "expired"
	}
	st.Stage = csptransfer.StageCompleted
	for _, tc := range []struct {
		name string
		rep  csptransfer.TransferReport
		want string
	}{
		{"completed: what moved how", csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted},
			"all 3 line(s) moved: 2 bought, 1 transferred; the originals expired"},
		{"completed with a reason of its own", csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageCompleted, Reason: "done early"},
			"done early"},
		{"failed", csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageFailed, Reason: "region\nmismatch"}, "region mismatch"},
		{"aborted without a reason", csptransfer.TransferReport{TransferStatus: st, Outcome: csptransfer.StageAborted}, ""},
	} {
		require.Equal(t, tc.want, reportReason(tc.rep), tc.name)
	}
}

func TestUsersMoved(t *testing.T) {
	sub := csptransfer.PlanLine{ReassignmentNeeded: true}
	for _, tc := range []struct {
		line csptransfer.PlanLine
		p    csptransfer.LineProgress
		want string
	}{
		{csptransfer.PlanLine{SameOffer: true}, csptransfer.LineProgress{Provisioned: true}, "not needed"},
		{csptransfer.PlanLine{Unresolved: true}, csptransfer.LineProgress{}, "—"},
		{sub, csptransfer.LineProgress{}, "after provisioning"},
		{sub, csptransfer.LineProgress{Provisioned: true}, "to do"},
		{sub, csptransfer.LineProgress{Provisioned: true, UsersToMove: 9, UsersMoved: 3}, "3/9 so far"},
		{sub, csptransfer.LineProgress{Provisioned: true, Moved: true, UsersToMove: 4, UsersMoved: 4}, "4/4 done"},
		{sub, csptransfer.LineProgress{Provisioned: true, Moved: true, UsersToMove: 5, UsersMoved: 4}, "4/5, 1 left"},
		{sub, csptransfer.LineProgress{Provisioned: true, Moved: true}, "none to move"},
	} {
		require.Equal(t, tc.want, usersMoved(csptransfer.Line{PlanLine: tc.line, Progress: tc.p}), "%+v", tc.p)
	}
}

// A skipped wait is known from the timeline only when its skips account for every line that could have
// been skipped; a completed transfer skipped every line whose original did not expire.
func TestSkippedWaits(t *testing.T) {
	st := goldenStatuses()["awaiting-expiry"] // line 1 expired, line 2 renewed and waiting
	require.Empty(t, skippedWaits(st), "no skip recorded")

	skip := func(n int) csptransfer.TimelineEntry {
		return csptransfer.TimelineEntry{Stage: csptransfer.StageAwaitingExpiry, At: goldenNow,
			Note: fmt.Sprintf("expiry wait skipped for %d line(s); no refund is due", n)}
	}
	st.Timeline = append(append([]csptransfer.TimelineEntry{}, st.Timeline...), skip(1))
	require.Equal(t, map[int]bool{1: true}, skippedWaits(st))

	// Two lines could have been skipped, one was: which is unknown.
	st.Lines = append([]csptransfer.Line{}, st.Lines...)
	st.Lines[0].Progress.OriginalState = "active"
	require.Empty(t, skippedWaits(st))
	st.Timeline = append(st.Timeline, skip(1))
	require.Equal(t, map[int]bool{0: true, 1: true}, skippedWaits(st))

	// Completed: every line whose original did not expire was skipped, recorded or not.
	done := goldenStatuses()["awaiting-expiry"]
	done.Stage = csptransfer.StageCompleted
	require.Equal(t, map[int]bool{1: true}, skippedWaits(done))
	var b bytes.Buffer
	renderPlan(&b, done, goldenNow)
	require.Regexp(t, `2 +STANDARDPACK .* skipped \(renewed until 2027-11-21 10:00:00Z\)\n`, b.String())
	require.NotContains(t, b.String(), "checked again", "a skipped original is not checked again")
}

func TestNextAction(t *testing.T) {
	require.Equal(t, "", nextAction(nil, goldenNow))
	require.Equal(t, "", nextAction(&csptransfer.AwaitedThing{What: "an operator to approve plan v2"}, goldenNow))
	require.Equal(t, "2026-11-24 10:00:00Z (in 3d0h): remind the customer",
		nextAction(&csptransfer.AwaitedThing{What: "x", Until: ptr(at(72 * time.Hour)), Next: "remind\nthe customer"}, goldenNow))
	require.Equal(t, "2026-11-21 11:00:00Z (in 1h0m)", nextAction(&csptransfer.AwaitedThing{What: "x", Until: ptr(at(time.Hour))}, goldenNow))
}

func TestListStatusColumn(t *testing.T) {
	for _, tc := range []struct{ stage, exec, want string }{
		{"Aborted", "Completed", "Aborted"},
		{"Completed", "Completed", "Completed"},
		{"AwaitingExpiry", "Completed", "Completed"}, // the stage attribute lagged: the workflow completed
		{"", "Completed", "Completed"},
		{"Failed", "Failed", "Failed"},
		{"AwaitingApproval", "Terminated", "Terminated"},
		{"AwaitingApproval", "Running", "Running"},
	} {
		require.Equal(t, tc.want, listRow{Stage: tc.stage, ExecutionStatus: tc.exec}.status(), "%+v", tc)
	}
}

func TestListGolden(t *testing.T) {
	rows := []listRow{
		{WorkflowID: "csp-transfer-" + goldenTenant, Stage: "AwaitingApproval", CustomerTenantID: goldenTenant,
			CustomerDomain: "contoso.onmicrosoft.com", PartnerTenantID: goldenPartner, ExecutionStatus: "Running", StartedAt: at(-50 * time.Hour)},
		{WorkflowID: "csp-transfer-a1b2c3d4-0001-4000-8000-000000000001", Stage: "AwaitingAcceptance",
			CustomerTenantID: "a1b2c3d4-0001-4000-8000-000000000001", CustomerDomain: "alpineskihouse-de.onmicrosoft.com",
			PartnerTenantID: goldenPartner, NextActionAt: ptr(at(3*24*time.Hour + 4*time.Hour)), ExecutionStatus: "Running", StartedAt: at(-time.Hour)},
		{WorkflowID: "csp-transfer-a1b2c3d4-0006-4000-8000-000000000006", Stage: "Failed",
			CustomerTenantID: "a1b2c3d4-0006-4000-8000-000000000006", CustomerDomain: "woodgrove-br.onmicrosoft.com",
			ExecutionStatus: "Failed", StartedAt: at(-10 * time.Minute), ClosedAt: ptr(at(-10 * time.Minute))},
		{WorkflowID: "csp-transfer-a1b2c3d4-0003-4000-8000-000000000003", Stage: "AwaitingPartnerTransfer",
			CustomerTenantID: "a1b2c3d4-0003-4000-8000-000000000003", CustomerDomain: "litware-de.onmicrosoft.com",
			PartnerTenantID: goldenPartner, NextActionAt: ptr(at(5 * time.Hour)), ExecutionStatus: "Running", StartedAt: at(-26 * time.Hour)},
		// An aborted transfer's workflow completes normally: the list says Aborted, not Completed.
		{WorkflowID: "csp-transfer-a1b2c3d4-0007-4000-8000-000000000007", Stage: "Aborted",
			CustomerTenantID: "a1b2c3d4-0007-4000-8000-000000000007", CustomerDomain: "tailspin-fr.onmicrosoft.com",
			ExecutionStatus: "Completed", StartedAt: at(-20 * time.Minute), ClosedAt: ptr(at(-5 * time.Minute))},
	}
	var b bytes.Buffer
	renderList(&b, rows, goldenNow)
	golden(t, "list.golden", b.Bytes())

	b.Reset()
	renderList(&b, nil, goldenNow)
	golden(t, "list-empty.golden", b.Bytes())
}

func TestRelative(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{45 * time.Second, "in 45s"},
		{-5 * time.Minute, "5m ago"},
		{3*time.Hour + 5*time.Minute, "in 3h5m"},
		{-(50 * time.Hour), "2d2h ago"},
	} {
		require.Equal(t, tc.want, relative(goldenNow.Add(tc.d), goldenNow), tc.d)
	}
}

func TestFmtDays(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{29*24*time.Hour + 21*time.Hour, "2026-12-21 07:00:00Z (in 29 days)"},
		{2 * 24 * time.Hour, "2026-11-23 10:00:00Z (in 2 days)"},
		{47 * time.Hour, "2026-11-23 09:00:00Z (in 47h0m)"},
		{-3 * time.Hour, "2026-11-21 07:00:00Z (3h0m ago)"},
		{-(3*24*time.Hour + time.Hour), "2026-11-18 09:00:00Z (3 days ago)"},
	} {
		require.Equal(t, tc.want, fmtDays(goldenNow.Add(tc.d), goldenNow), tc.d)
	}
}

// An expired request says so, with no next check; a request with no checks yet says "not yet".
func TestPartnerTransferBlock(t *testing.T) {
	st := goldenStatuses()["awaiting-partner-transfer"]
	pt := *st.PartnerTransfer
	pt.Status, pt.Outcome = "Expired", csptransfer.PartnerTransferExpired
	pt.ExpiresAt = ptr(at(-3 * 24 * time.Hour))
	st.PartnerTransfer = &pt
	var b bytes.Buffer
	renderPartnerTransfer(&b, st, goldenNow)
	out := b.String()
	require.Regexp(t, `Expired +2026-11-18 10:00:00Z \(3 days ago\)`, out)
	require.Contains(t, out, "expired: nobody acted on it in time; its lines are bought instead")
	require.NotContains(t, out, "Next check")

	pt = csptransfer.PartnerTransferStatus{ID: goldenTransferID, SourcePartnerTenantID: goldenSourcePartner, Lines: []int{0, 7}, CreatedAt: goldenNow}
	st.PartnerTransfer = &pt
	b.Reset()
	renderPartnerTransfer(&b, st, goldenNow)
	out = b.String()
	require.Regexp(t, `Last checked +not yet`, out)
	require.Regexp(t, `Source partner +tenant `+goldenSourcePartner, out)
	require.Regexp(t, `Lines +1 SPE_E3, 8\n`, out, "an index the plan does not have is still shown")
	require.Contains(t, out, "pending: the source partner has to accept it")
}

func TestCancelledSentence(t *testing.T) {
	id := csptransfer.WorkflowID(goldenTenant)
	for _, tc := range []struct {
		res  csptransfer.CancelTransferResult
		want string
	}{
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "Canceled", LinesToBuy: 2},
			"Transfer request 1234 cancelled at Microsoft; 2 line(s) will be bought instead and their originals left to expire. Follow it with `starter status " + id + "`.\n"},
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "Complete"},
			"Transfer request 1234 was already complete at Microsoft: nothing was cancelled, its lines moved by transfer and nothing is bought for them. See `starter status " + id + "`.\n"},
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "Expired", LinesToBuy: 1},
			"Transfer request 1234 had already expired at Microsoft; 1 line(s) will be bought instead and their originals left to expire. Follow it with `starter status " + id + "`.\n"},
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "InProgress"},
			"Transfer request 1234: the cancel was sent, but Microsoft still shows it InProgress; the transfer keeps checking it. See `starter status " + id + "`.\n"},
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "Reject", LinesToBuy: 2},
			"Transfer request 1234 had been rejected by the source partner; 2 line(s) will be bought instead and their originals left to expire. Follow it with `starter status " + id + "`.\n"},
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "cancelled", LinesToBuy: 1},
			"Transfer request 1234 cancelled at Microsoft; 1 line(s) will be bought instead and their originals left to expire. Follow it with `starter status " + id + "`.\n"},
		{csptransfer.CancelTransferResult{TransferID: "1234", Status: "Withdrawn\nnow"},
			"Transfer request 1234: Microsoft status Withdrawn now; no line is bought instead. Follow it with `starter status " + id + "`.\n"},
	} {
		require.Equal(t, tc.want, cancelledSentence(tc.res, id))
	}
}
