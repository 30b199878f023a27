package main

import (
	"bytes"
	"flag"
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
	accepting.Awaiting = &csptransfer.AwaitedThing{What: "customer to accept the reseller relationship", Until: ptr(at(26 * 24 * time.Hour))}
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

	return map[string]csptransfer.TransferStatus{
		"awaiting-acceptance":  accepting,
		"awaiting-approval":    approving,
		"reassigning-licenses": moving,
		"awaiting-expiry":      expiring,
		"failed":               failed,
	}
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
