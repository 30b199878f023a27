// Package demo runs one complete transfer against the Partner Center sandbox and tells the story as it
// goes: a customer holding a retired offer (Office 365 E4, users assigned directly and through a
// licensing group) and a current one (Office 365 E1), originals that end a minute from now, the
// invitation, the customer's acceptance in the simulated admin center, the plan and its approval, the
// purchase, the license move, the originals' expiry, and the sandbox ledger's verdict.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// Options configure Run.
type Options struct {
	Client client.Client
	// SandboxURL is the sandbox's base URL, e.g. http://127.0.0.1:8089.
	SandboxURL string
	// Out receives the narration and the final report.
	Out io.Writer
	// Optional: ExpiresIn is how far ahead the originals end. default: 45s
	ExpiresIn time.Duration
	// Optional: HTTPClient talks to the sandbox admin API. default: a client with a 10 s timeout
	HTTPClient *http.Client
	// WebhookDriven leaves the acceptance to the sandbox's signed webhook and the trigger service that
	// verifies it; otherwise the demo signals the acceptance itself, as an operator would.
	WebhookDriven bool
	// Optional: Scenario is the story to tell: ScenarioOffer, ScenarioPartner or ScenarioAll.
	// default: ScenarioOffer
	Scenario string
}

// The demo's scenarios.
const (
	// ScenarioOffer: a customer bought direct, with a retired offer, moves by buying and letting expire.
	ScenarioOffer = "offer"
	// ScenarioPartner: a customer leaving another CSP partner moves by partner-to-partner transfer.
	ScenarioPartner = "partner"
	// ScenarioAll tells both, one after the other.
	ScenarioAll = "all"
)

// Scenarios lists the accepted Scenario values.
func Scenarios() []string { return []string{ScenarioOffer, ScenarioPartner, ScenarioAll} }

// Result is what the demo proved.
type Result struct {
	Report csptransfer.TransferReport
	Ledger sandbox.CustomerLedger
	OK     bool
}

// Run performs the demo transfer and returns its report and the ledger entry of the demo customer.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.ExpiresIn == 0 {
		o.ExpiresIn = 45 * time.Second
	}
	d := &run{o: o, sb: sandbox.AdminClient{BaseURL: o.SandboxURL, HTTP: o.HTTPClient},
		say: func(format string, args ...any) { fmt.Fprintf(o.Out, format+"\n", args...) }}
	switch o.Scenario {
	case "", ScenarioOffer:
		return d.do(ctx)
	case ScenarioPartner:
		return d.partner(ctx)
	case ScenarioAll:
		d.say("=== Scenario 1 of 2: a customer bought direct, with a retired offer ===\n")
		if res, err := d.do(ctx); err != nil {
			return res, err
		}
		d.say("\n=== Scenario 2 of 2: a customer leaving another CSP partner ===\n")
		return d.partner(ctx)
	}
	return Result{}, fmt.Errorf("demo scenario %s: expected one of %v", csptransfer.Quote(o.Scenario), Scenarios())
}

type run struct {
	o   Options
	sb  sandbox.AdminClient
	say func(format string, args ...any)
}

func (d *run) do(ctx context.Context) (Result, error) {
	tenant := uuid.NewString()
	domain := "demo-" + tenant[:8] + ".onmicrosoft.com"
	expires := time.Now().Add(d.o.ExpiresIn).UTC().Truncate(time.Second)
	if err := d.sb.CreateCustomer(ctx, Customer(tenant, domain, expires)); err != nil {
		return Result{}, err
	}
	d.say("1. Sandbox customer %s (%s, France): 4 × Office 365 E4 (retired) and 2 × Office 365 E1, bought direct, ending %s.",
		domain, tenant, expires.Format(time.RFC3339))

	svc := transfers.Service{Client: d.o.Client}
	started, err := svc.Start(ctx, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", CustomerName: "Demo SARL",
		ContactEmail: "it-admin@" + domain, RequestAdminAccess: true,
	})
	if err != nil {
		return Result{}, fmt.Errorf("start transfer: %w", err)
	}
	id := started.WorkflowID
	d.say("2. Started transfer %s.", id)

	st, err := d.waitFor(ctx, svc, id, func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.AdminRelationshipID != ""
	})
	if err != nil {
		return Result{}, err
	}
	d.say("3. Partner tenant %s chosen for the customer's region; invitation sent:\n   %s\n   GDAP admin access requested: %s",
		st.PartnerTenantID, st.InvitationURL, st.AdminRelationshipID)

	if err := d.accept(ctx, tenant, id, st); err != nil {
		return Result{}, err
	}

	st, err = d.waitFor(ctx, svc, id, func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingApproval || s.Stage.Terminal()
	})
	if err != nil {
		return Result{}, err
	}
	d.say("5. Acceptance verified with Partner Center; subscriptions discovered; plan v%d:", st.PlanVersion)
	for _, l := range st.Lines {
		d.say("   %-20s → %-22s %3d seats  same offer: %-5t  move users: %t", l.SourceSkuPartNumber, l.TargetCatalogItemID, l.Quantity, l.SameOffer, l.ReassignmentNeeded)
		for _, n := range l.Notes {
			d.say("      note: %s", n)
		}
	}
	d.money(st)
	if st.Stage == csptransfer.StageAwaitingApproval {
		h, err := d.o.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: csptransfer.UpdateApprovePlan, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{csptransfer.ApprovePlan{PlanVersion: st.PlanVersion, Comment: "approved by the demo"}},
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			return Result{}, fmt.Errorf("approve plan: %w", err)
		}
		d.say("6. Plan approved (an offer changes, so policy \"auto\" asked for approval).")
	}

	d.say("7. Buying, moving licenses, then sleeping until the originals end (about %s)...", time.Until(expires).Round(time.Second))
	var rep csptransfer.TransferReport
	if err := d.o.Client.GetWorkflow(ctx, id, "").Get(ctx, &rep); err != nil {
		return Result{}, fmt.Errorf("transfer result: %w", err)
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
	agrees, differ := overlapAgrees(rep, res.Ledger)
	res.OK = rep.Outcome == csptransfer.StageCompleted && res.Ledger.DuplicatePurchases == 0 && res.Ledger.OriginalsCancelled == 0 &&
		len(res.Ledger.LicenseShortfalls) == 0 && len(res.Ledger.UsersWithoutLicense) == 0 && agrees
	d.say("\nSandbox ledger for %s: orders %d, duplicate purchases %d, originals cancelled %d, license shortfalls %d, users left without a license %d.",
		domain, res.Ledger.Orders, res.Ledger.DuplicatePurchases, res.Ledger.OriginalsCancelled, len(res.Ledger.LicenseShortfalls), len(res.Ledger.UsersWithoutLicense))
	if !agrees {
		d.say("Overlap days differ between the transfer and the ledger: %s", differ)
	}
	if !res.OK {
		return res, errors.New("the demo transfer did not keep every invariant: see the ledger above")
	}
	d.say("Verdict: no double purchase, nothing cancelled, no user ever without a license; the overlap paid is the one planned.")
	return res, nil
}

func (d *run) report(rep csptransfer.TransferReport) {
	d.say("\nFinal report: %s", rep.Outcome)
	for _, l := range rep.Lines {
		if l.Transfers() {
			d.say("  %-20s → %-22s %3d seats  transferred %t  subscription %s  term ends %s  (nothing bought)",
				l.SourceSkuPartNumber, l.TargetCatalogItemID, l.Quantity, l.Progress.Transferred, l.Progress.SubscriptionID, dateOf(l.Progress.TermEndsAt))
			continue
		}
		d.say("  %-20s → %-22s %3d seats  ordered %t  provisioned %t  users moved %d  original %s",
			l.SourceSkuPartNumber, l.TargetCatalogItemID, l.Quantity, l.Progress.Ordered, l.Progress.Provisioned, l.Progress.UsersMoved, l.Progress.OriginalState)
	}
	d.spent(rep)
	d.say("  Timeline:")
	for _, e := range rep.Timeline {
		note := ""
		if e.Note != "" {
			note = " — " + e.Note
		}
		d.say("    %s  %-20s%s", e.At.Format("15:04:05"), e.Stage, note)
	}
}

func (d *run) waitFor(ctx context.Context, svc transfers.Service, id string, cond func(csptransfer.TransferStatus) bool) (csptransfer.TransferStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		st, err := svc.Status(ctx, id)
		if err == nil && cond(st) {
			return st, nil
		}
		if err == nil && st.Stage.Terminal() {
			return st, fmt.Errorf("transfer ended in stage %s: %s", st.Stage, st.LastError)
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("waiting for transfer %s (stage %s, last error %q): %w", id, st.Stage, st.LastError, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Customer is the demo's sandbox customer, for POST /sandbox/customers: a French company holding 4 seats
// of the retired Office 365 E4 (two users directly, one with Teams disabled; two through a licensing
// group) and 2 of Office 365 E1 (one user), all bought direct and ending at expires. Tests use it too.
func Customer(tenant, domain string, expires time.Time) sandbox.CustomerInput {
	lic := func(part string, disabled ...string) []sandbox.LicenseInput {
		return []sandbox.LicenseInput{{SkuPartNumber: part, DisabledPlans: disabled}}
	}
	return sandbox.CustomerInput{
		TenantID: tenant, Domain: domain, CompanyName: "Demo SARL", Country: "FR", AgreementSigned: true,
		Scenario: "demo: retired Office 365 E4 moved to its successor, Office 365 E1 bought again",
		Originals: []sandbox.OriginalInput{
			{SkuPartNumber: "ENTERPRISEWITHSCAL", TotalLicenses: 4, ExpiresAt: &expires},
			{SkuPartNumber: "STANDARDPACK", TotalLicenses: 2, ExpiresAt: &expires},
		},
		Groups: []sandbox.GroupInput{{DisplayName: "Licensing E4", Licenses: lic("ENTERPRISEWITHSCAL")}},
		Users: []sandbox.UserInput{
			{UserPrincipalName: "user1@" + domain, DisplayName: "User 1", Licenses: lic("ENTERPRISEWITHSCAL")},
			{UserPrincipalName: "user2@" + domain, DisplayName: "User 2", Licenses: lic("ENTERPRISEWITHSCAL", "TEAMS1")},
			{UserPrincipalName: "user3@" + domain, DisplayName: "User 3", Groups: []string{"Licensing E4"}},
			{UserPrincipalName: "user4@" + domain, DisplayName: "User 4", Groups: []string{"Licensing E4"}},
			{UserPrincipalName: "user5@" + domain, DisplayName: "User 5", Licenses: lic("STANDARDPACK")},
		},
	}
}
