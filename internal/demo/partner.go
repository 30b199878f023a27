package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// partner tells the partner-to-partner story: a US customer whose Microsoft 365 Business Premium is sold by
// another CSP partner and whose Office 365 E1 was bought direct. The first moves by Microsoft's transfer
// request (nothing bought, no overlap), the second is bought and its original left to expire.
func (d *run) partner(ctx context.Context) (Result, error) {
	tenant := uuid.NewString()
	domain := "demo-p2p-" + tenant[:8] + ".onmicrosoft.com"
	expires := time.Now().Add(d.o.ExpiresIn).UTC().Truncate(time.Second)
	termEnd := time.Now().AddDate(0, 7, 0).UTC().Truncate(time.Second)
	if err := d.sb.CreateCustomer(ctx, PartnerCustomer(tenant, domain, termEnd, expires)); err != nil {
		return Result{}, err
	}
	d.say("1. Sandbox customer %s (%s, United States): 10 × Microsoft 365 Business Premium sold by CSP partner Contoso Cloud Partners (%s),\n"+
		"   term ending %s, and 5 × Office 365 E1 bought direct, ending %s.",
		domain, tenant, sandbox.OtherCSP, termEnd.Format("2006-01-02"), expires.Format(time.RFC3339))

	svc := transfers.Service{Client: d.o.Client}
	started, err := svc.Start(ctx, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "US", CustomerName: "Demo Publishing Inc.",
		ContactEmail: "it-admin@" + domain, RequestAdminAccess: true,
		SourcePartner: &csptransfer.SourcePartner{TenantID: sandbox.OtherCSP, Name: "Contoso Cloud Partners LLC", Email: "transfers@contoso-partners.example"},
	})
	if err != nil {
		return Result{}, fmt.Errorf("start transfer: %w", err)
	}
	id := started.WorkflowID
	d.say("2. Started transfer %s, naming the source partner.", id)

	st, err := d.waitFor(ctx, svc, id, func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.AdminRelationshipID != ""
	})
	if err != nil {
		return Result{}, err
	}
	d.say("3. Partner tenant %s chosen for the customer's region; invitation sent.", st.PartnerTenantID)
	if err := d.accept(ctx, tenant, id, st); err != nil {
		return Result{}, err
	}

	st, err = d.waitFor(ctx, svc, id, func(s csptransfer.TransferStatus) bool {
		return s.PartnerTransfer != nil || s.Stage.Terminal()
	})
	if err != nil {
		return Result{}, err
	}
	d.say("5. Acceptance verified; subscriptions discovered; plan v%d (nothing needed approval: no offer changes):", st.PlanVersion)
	for _, l := range st.Lines {
		d.say("   %-20s %3d seats  %-8s — %s", l.SourceSkuPartNumber, l.Quantity, l.Method, l.MethodReason)
	}
	d.money(st)
	pt := st.PartnerTransfer
	d.say("6. Partner-to-partner transfer request %s created (status %s, expires %s); the source partner was e-mailed.",
		pt.ID, pt.Status, dateOf(pt.ExpiresAt))

	views, err := d.sb.Transfers(ctx, tenant)
	if err != nil {
		return Result{}, err
	}
	if len(views) != 1 {
		return Result{}, fmt.Errorf("the sandbox holds %d transfer requests for the customer, want 1", len(views))
	}
	if err := d.sb.AcceptTransfer(ctx, tenant, pt.ID); err != nil {
		return Result{}, err
	}
	if d.o.WebhookDriven {
		d.say("7. Contoso Cloud Partners accepted the request in Partner Center; the sandbox sent the complete-transfer webhook,\n" +
			"   and the trigger service verified it and woke the transfer, which read the request back.")
	} else {
		if err := d.o.Client.SignalWorkflow(ctx, id, "", csptransfer.SignalPartnerTransferUpdated,
			csptransfer.PartnerTransferUpdated{CustomerTenantID: tenant, TransferID: pt.ID, Event: "complete-transfer", Source: "demo"}); err != nil {
			return Result{}, fmt.Errorf("signal transfer: %w", err)
		}
		d.say("7. Contoso Cloud Partners accepted the request in Partner Center.")
	}
	d.say("8. Business Premium is verified under this partner; E1 is bought and its original awaited (about %s)...", time.Until(expires).Round(time.Second))

	var rep csptransfer.TransferReport
	wctx, cancel := context.WithTimeout(ctx, time.Until(expires)+2*time.Minute)
	defer cancel()
	if err := d.o.Client.GetWorkflow(wctx, id, "").Get(wctx, &rep); err != nil {
		st, _ := svc.Status(ctx, id)
		return Result{}, fmt.Errorf("transfer result (stage %s, awaiting %+v, last error %q): %w", st.Stage, st.Awaiting, st.LastError, err)
	}
	d.report(rep)

	ledger, err := d.sb.Ledger(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Report: rep}
	for _, c := range ledger.Customers {
		if c.TenantID == tenant {
			res.Ledger = c
		}
	}
	l := res.Ledger
	d.say("\nSandbox ledger for %s: transfer requests %d, lines transferred %d, bought while transferred %d, orders %d, duplicate purchases %d, originals cancelled %d.",
		domain, l.Transfers, l.LinesTransferred, l.BoughtWhileTransferred, l.Orders, l.DuplicatePurchases, l.OriginalsCancelled)
	for _, o := range l.Overlap {
		d.say("  overlap: %-20s %-8s %3d seats  %d day(s) paid twice", o.SkuPartNumber, o.Method, o.Seats, o.Days)
	}
	transferredLine := false
	for _, ln := range rep.Lines {
		transferredLine = transferredLine || (ln.Transfers() && ln.Progress.Transferred && !ln.Progress.Ordered)
	}
	agrees, differ := overlapAgrees(rep, l)
	if !agrees {
		d.say("Overlap days differ between the transfer and the ledger: %s", differ)
	}
	res.OK = rep.Outcome == csptransfer.StageCompleted && transferredLine && l.Transfers == 1 && l.LinesTransferred == 1 &&
		l.BoughtWhileTransferred == 0 && l.DuplicatePurchases == 0 && l.OriginalsCancelled == 0 && len(l.UsersWithoutLicense) == 0 && agrees
	if !res.OK {
		return res, errors.New("the partner demo did not keep every invariant: see the ledger above")
	}
	d.say("Verdict: Business Premium moved by transfer request with nothing bought and no day paid twice; E1 bought once; nothing cancelled.")
	return res, nil
}

// accept has the customer accept the reseller relationship and approve admin access in the simulated
// admin center, and signals the transfer unless the webhooks do.
func (d *run) accept(ctx context.Context, tenant, id string, st csptransfer.TransferStatus) error {
	if err := d.sb.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: st.PartnerTenantID}); err != nil {
		return err
	}
	if err := d.sb.ApproveGDAP(ctx, st.AdminRelationshipID); err != nil {
		return err
	}
	if d.o.WebhookDriven {
		d.say("4. The customer accepted the reseller relationship and approved admin access in the (simulated) admin center;\n" +
			"   the sandbox sent Partner Center's signed webhooks, and the trigger service verified them and signalled the transfer.")
		return nil
	}
	if err := d.o.Client.SignalWorkflow(ctx, id, "", csptransfer.SignalRelationshipAccepted,
		csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "demo"}); err != nil {
		return fmt.Errorf("signal acceptance: %w", err)
	}
	d.say("4. The customer accepted the reseller relationship and approved admin access in the (simulated) admin center.")
	return nil
}

func dateOf(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.Format("2006-01-02")
}

// PartnerCustomer is the partner scenario's sandbox customer: 10 seats of Microsoft 365 Business Premium
// sold by sandbox.OtherCSP with its term ending at termEnd, and 5 of Office 365 E1 bought direct, ending at
// expires. Tests use it too.
func PartnerCustomer(tenant, domain string, termEnd, expires time.Time) sandbox.CustomerInput {
	lic := func(part string) []sandbox.LicenseInput { return []sandbox.LicenseInput{{SkuPartNumber: part}} }
	return sandbox.CustomerInput{
		TenantID: tenant, Domain: domain, CompanyName: "Demo Publishing Inc.", Country: "US", AgreementSigned: true,
		Scenario: "demo: Business Premium moved from another CSP partner by transfer request, Office 365 E1 bought again",
		Originals: []sandbox.OriginalInput{
			{SkuPartNumber: "SPB", TotalLicenses: 10, ExpiresAt: &termEnd, OwnerTenantID: sandbox.OtherCSP, BillingCycle: "annual"},
			{SkuPartNumber: "STANDARDPACK", TotalLicenses: 5, ExpiresAt: &expires},
		},
		Users: []sandbox.UserInput{
			{UserPrincipalName: "user1@" + domain, DisplayName: "User 1", Licenses: lic("SPB")},
			{UserPrincipalName: "user2@" + domain, DisplayName: "User 2", Licenses: lic("SPB")},
			{UserPrincipalName: "user3@" + domain, DisplayName: "User 3", Licenses: lic("STANDARDPACK")},
		},
	}
}
