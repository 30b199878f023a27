package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/devserver"
)

const standInTransferID = "1234"

// Customer names that make standIn end at once, the way CSPTransfer ends: a failed workflow, a completed
// one, and one that completes as Aborted.
const (
	standInFail     = "stand-in fails"
	standInComplete = "stand-in completes"
	standInAbort    = "stand-in aborts"
	// standInPriced shows bought lines with money (boughtLines as of the workflow's now) and stays open.
	standInPriced = "stand-in priced"
	// standInPricedPlan waits for approval of pricedApproval's plan.
	standInPricedPlan = "stand-in priced plan"
)

// queryAgreements answers the agreement-accepted signals standIn received.
const queryAgreements = "agreements"

// standIn plays CSPTransfer for the CLI without Partner Center. Started with a sourcePartner, it shows a
// pending partner-to-partner transfer request for two lines and answers cancel-transfer as the contract
// says: its validator refuses when no request is pending or the id is not the pending one. It keeps the
// agreement-accepted signals it receives, and ends at once for the customer names above.
func standIn(ctx workflow.Context, req csptransfer.TransferRequest) (csptransfer.TransferReport, error) {
	st := csptransfer.TransferStatus{CustomerTenantID: req.CustomerTenantID, CustomerDomain: req.CustomerDomain,
		Stage: csptransfer.StageAwaitingAcceptance, StartedAt: workflow.Now(ctx), UpdatedAt: workflow.Now(ctx)}
	switch req.CustomerName {
	case standInFail:
		st.Stage = csptransfer.StageFailed
	case standInComplete:
		st.Stage = csptransfer.StageCompleted
	case standInAbort:
		st.Stage = csptransfer.StageAborted
	}
	if sp := req.SourcePartner; sp != nil {
		st.Stage = csptransfer.StageAwaitingPartnerTransfer
		st.PlanVersion = 1
		for _, part := range []string{"SPE_E3", "STANDARDPACK"} {
			st.Lines = append(st.Lines, csptransfer.Line{PlanLine: csptransfer.PlanLine{SourceSkuPartNumber: part, Quantity: 5, SameOffer: true,
				OriginalExpiresAt: workflow.Now(ctx).Add(90 * 24 * time.Hour), Method: csptransfer.MethodTransfer, SourcePartnerTenantID: sp.TenantID}})
		}
		expires := workflow.Now(ctx).Add(30 * 24 * time.Hour)
		st.PartnerTransfer = &csptransfer.PartnerTransferStatus{ID: standInTransferID, Status: "InProgress", Outcome: csptransfer.PartnerTransferPending,
			SourcePartnerTenantID: sp.TenantID, SourcePartnerName: sp.Name, Lines: []int{0, 1}, CreatedAt: workflow.Now(ctx), ExpiresAt: &expires}
		st.Awaiting = &csptransfer.AwaitedThing{What: "the source partner to accept transfer request " + standInTransferID, Until: &expires}
	}
	if req.CustomerName == standInPriced {
		now := workflow.Now(ctx)
		st.Stage, st.PlanVersion = csptransfer.StageAwaitingExpiry, 1
		st.Lines = boughtLines(goldenStatuses()["partner-transfer-complete"].Lines, now)
		st = withTotals(st, now, csptransfer.MoneyView{Advice: []string{"as planned the overlap is 72 days (≈ 2 months) ≈ 83.12 EUR"}})
	}
	if req.CustomerName == standInPricedPlan {
		plan := pricedApproval()
		st.Stage, st.PlanVersion, st.Lines, st.Money = plan.Stage, plan.PlanVersion, plan.Lines, plan.Money
	}
	st.Timeline = []csptransfer.TimelineEntry{{Stage: st.Stage, At: workflow.Now(ctx)}}
	if err := workflow.UpsertTypedSearchAttributes(ctx, csptransfer.SearchAttributeStage.ValueSet(string(st.Stage))); err != nil {
		return csptransfer.TransferReport{}, err
	}
	switch st.Stage {
	case csptransfer.StageFailed:
		return csptransfer.TransferReport{}, temporal.NewNonRetryableApplicationError("the stand-in failed", csptransfer.ErrTypeTransferFailed, nil)
	case csptransfer.StageCompleted, csptransfer.StageAborted:
		return csptransfer.TransferReport{TransferStatus: st, Outcome: st.Stage}, nil
	}
	if err := workflow.SetQueryHandler(ctx, csptransfer.QueryStatus, func() (csptransfer.TransferStatus, error) { return st, nil }); err != nil {
		return csptransfer.TransferReport{}, err
	}
	var agreements []csptransfer.AgreementAccepted
	if err := workflow.SetQueryHandler(ctx, queryAgreements, func() ([]csptransfer.AgreementAccepted, error) { return agreements, nil }); err != nil {
		return csptransfer.TransferReport{}, err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, csptransfer.SignalAgreementAccepted)
		for {
			var s csptransfer.AgreementAccepted
			ch.Receive(ctx, &s)
			agreements = append(agreements, s)
		}
	})
	err := workflow.SetUpdateHandlerWithOptions(ctx, csptransfer.UpdateCancelTransfer,
		func(ctx workflow.Context, in csptransfer.CancelTransfer) (csptransfer.CancelTransferResult, error) {
			pt := st.PartnerTransfer
			pt.Status, pt.Outcome = "Canceled", csptransfer.PartnerTransferCancelled
			for i := range st.Lines {
				st.Lines[i].Method, st.Lines[i].MethodReason = csptransfer.MethodBuy, "transfer request cancelled: "+in.Reason
			}
			return csptransfer.CancelTransferResult{TransferID: pt.ID, Status: pt.Status, LinesToBuy: len(pt.Lines)}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, in csptransfer.CancelTransfer) error {
			pt := st.PartnerTransfer
			switch {
			case pt == nil || pt.Outcome != csptransfer.PartnerTransferPending:
				return errors.New("no partner-to-partner transfer request is pending")
			case in.TransferID != "" && !strings.EqualFold(in.TransferID, pt.ID):
				return fmt.Errorf("transfer request %s is not the pending one (%s)", in.TransferID, pt.ID)
			case strings.TrimSpace(in.Reason) == "":
				return errors.New("reason: required")
			}
			return nil
		}})
	if err != nil {
		return csptransfer.TransferReport{}, err
	}
	_ = workflow.Await(ctx, func() bool { return false })
	return csptransfer.TransferReport{}, nil
}

// standInCLI runs the CLI as main does against a dev server whose worker runs standIn.
type standInCLI struct {
	address string
	client  client.Client
}

func startStandIn(t *testing.T) standInCLI {
	t.Helper()
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	w := worker.New(srv.Client(), csptransfer.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(standIn, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return standInCLI{address: srv.FrontendHostPort(), client: srv.Client()}
}

func (c standInCLI) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return c.runIn(t, "", args...)
}

// runIn runs the CLI with stdin, the operator's answers.
func (c standInCLI) runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := execute(context.Background(), newApp(config.Map{"TEMPORAL_ADDRESS": c.address}), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func (c standInCLI) ok(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := c.run(t, args...)
	require.Equal(t, exitOK, code, "starter %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	return out
}

// The source partner flags reach the workflow; status shows the request, list finds the stage, and
// cancel-transfer is refused with the workflow's reason (exit 4) or answered in plain words.
func TestPartnerTransferCommands(t *testing.T) {
	cli := startStandIn(t)
	tenant := uuid.NewString()
	id := csptransfer.WorkflowID(tenant)
	cli.ok(t, "start", "--tenant", tenant, "--domain", "p2p-"+tenant[:8]+".onmicrosoft.com", "--contact", "it@contoso.example",
		"--source-partner-tenant", strings.ToUpper(goldenSourcePartner), "--source-partner-name", " Fabrikam Reseller GmbH ",
		"--source-partner-email", "csp@fabrikam-reseller.example")

	var st csptransfer.TransferStatus
	require.Eventually(t, func() bool {
		code, out, _ := cli.run(t, "status", tenant, "--json")
		return code == exitOK && json.Unmarshal([]byte(out), &st) == nil && st.PartnerTransfer != nil
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, goldenSourcePartner, st.PartnerTransfer.SourcePartnerTenantID, "normalized before the start")
	require.Equal(t, "Fabrikam Reseller GmbH", st.PartnerTransfer.SourcePartnerName)

	human := cli.ok(t, "status", tenant)
	require.Contains(t, human, "Partner-to-partner transfer request")
	require.Regexp(t, `Source partner +Fabrikam Reseller GmbH \(tenant `+goldenSourcePartner+`\)`, human)
	require.Regexp(t, `Expires +\S+ \S+ \(in 29 days\)`, human)
	require.Regexp(t, `1 +SPE_E3 +— +5 +transfer`, human)

	var rows []listRow
	require.Eventually(t, func() bool {
		out := cli.ok(t, "list", "--stage", "awaitingpartnertransfer", "--customer", tenant, "--json")
		return json.Unmarshal([]byte(out), &rows) == nil && len(rows) == 1
	}, 30*time.Second, 200*time.Millisecond, "visibility lists the transfer by its stage")
	require.Equal(t, string(csptransfer.StageAwaitingPartnerTransfer), rows[0].Stage)

	code, _, stderr := cli.run(t, "cancel-transfer", tenant, "--reason", "buy instead", "--transfer-id", "9999")
	require.Equal(t, exitRefused, code, stderr)
	require.Contains(t, stderr, "refused it")
	require.Contains(t, stderr, "9999 is not the pending one")

	out := cli.ok(t, "cancel-transfer", id, "--reason", "the source partner will not release the subscriptions", "--transfer-id", standInTransferID)
	require.Equal(t, "Transfer request 1234 cancelled at Microsoft; 2 line(s) will be bought instead and their originals left to expire. "+
		"Follow it with `starter status "+id+"`.\n", out)
	require.Regexp(t, `Outcome +cancelled`, cli.ok(t, "status", tenant))

	code, _, stderr = cli.run(t, "cancel-transfer", tenant, "--reason", "again")
	require.Equal(t, exitRefused, code, stderr)
	require.Contains(t, stderr, "no partner-to-partner transfer request is pending")

	// --json prints the update's result.
	other := uuid.NewString()
	cli.ok(t, "start", "--tenant", other, "--domain", "p2p-"+other[:8]+".onmicrosoft.com", "--contact", "it@contoso.example",
		"--source-partner-tenant", goldenSourcePartner)
	var res csptransfer.CancelTransferResult
	require.Eventually(t, func() bool {
		code, out, _ := cli.run(t, "cancel-transfer", other, "--reason", "buy instead", "--json")
		return code == exitOK && json.Unmarshal([]byte(out), &res) == nil
	}, 30*time.Second, 200*time.Millisecond)
	require.Equal(t, csptransfer.CancelTransferResult{TransferID: standInTransferID, Status: "Canceled", LinesToBuy: 2}, res)

	// A transfer without a request, and no transfer at all.
	plain := uuid.NewString()
	cli.ok(t, "start", "--tenant", plain, "--domain", "plain-"+plain[:8]+".onmicrosoft.com")
	require.Eventually(t, func() bool {
		code, _, stderr = cli.run(t, "cancel-transfer", plain, "--reason", "x")
		return code == exitRefused
	}, 30*time.Second, 200*time.Millisecond, stderr)
	require.Contains(t, stderr, "no partner-to-partner transfer request is pending")
	code, _, stderr = cli.run(t, "cancel-transfer", uuid.NewString(), "--reason", "x")
	require.Equal(t, exitNotFound, code, stderr)
}

// agreement sends agreement-accepted only while the agreement can still matter, with the attestation the
// flags describe, and says so in plain words; the personal fields never show in its output.
func TestAgreementCommand(t *testing.T) {
	cli := startStandIn(t)
	tenant := uuid.NewString()
	id := csptransfer.WorkflowID(tenant)
	cli.ok(t, "start", "--tenant", tenant, "--domain", "mca-"+tenant[:8]+".onmicrosoft.com")

	var out string
	require.Eventually(t, func() bool {
		code, o, _ := cli.run(t, "agreement", tenant)
		out = o
		return code == exitOK
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, "Sent to "+id+". The transfer is in stage AwaitingAcceptance and has not reached its agreement check; it checks Partner Center when it gets there. "+
		"See `starter status "+id+"`.\n", out)

	out = cli.ok(t, "agreement", id, "--attest", "--first-name", " Jana ", "--last-name", "Novak", "--email", "jana.novak@contoso.example",
		"--phone", "+49 30 1234567", "--date", "2026-11-20", "--json")
	for _, personal := range []string{"Jana", "Novak", "jana.novak", "1234567"} {
		require.NotContains(t, out, personal)
	}
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Equal(t, map[string]any{"workflowId": id, "signal": csptransfer.SignalAgreementAccepted, "attested": true, "stage": "AwaitingAcceptance"}, res)

	var got []csptransfer.AgreementAccepted
	require.Eventually(t, func() bool {
		v, err := cli.client.QueryWorkflow(context.Background(), id, "", queryAgreements)
		return err == nil && v.Get(&got) == nil && len(got) == 2
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, csptransfer.AgreementAccepted{CustomerTenantID: tenant, Source: operatorSource}, got[0], "without --attest: a re-check")
	require.Equal(t, &csptransfer.Attestation{FirstName: "Jana", LastName: "Novak", Email: "jana.novak@contoso.example", PhoneNumber: "+49 30 1234567",
		DateAgreed: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}, got[1].Attestation)

	// Past the agreement check, with nothing refused for it, nothing is sent.
	p2p := uuid.NewString()
	cli.ok(t, "start", "--tenant", p2p, "--domain", "p2p-"+p2p[:8]+".onmicrosoft.com", "--contact", "it@contoso.example",
		"--source-partner-tenant", goldenSourcePartner)
	var code int
	var stderr string
	require.Eventually(t, func() bool {
		code, _, stderr = cli.run(t, "agreement", p2p)
		return code == exitRefused
	}, 30*time.Second, 100*time.Millisecond, stderr)
	require.Contains(t, stderr, "already in place (the transfer is in stage AwaitingPartnerTransfer, past its agreement check): nothing was sent")

	code, _, stderr = cli.run(t, "agreement", uuid.NewString())
	require.Equal(t, exitNotFound, code, stderr)
}

// Running a file again restarts a customer whose transfer failed only with --restart-failed, never one
// whose transfer completed or was aborted, and says so per row.
func TestImportRestartsFailedOnlyWhenAsked(t *testing.T) {
	cli := startStandIn(t)
	failing, done, aborted, running := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	file := filepath.Join(t.TempDir(), "customers.csv")
	require.NoError(t, os.WriteFile(file, []byte("customerTenantId,customerDomain,customerName\n"+
		failing+",failing.onmicrosoft.com,"+standInFail+"\n"+
		done+",done.onmicrosoft.com,"+standInComplete+"\n"+
		aborted+",aborted.onmicrosoft.com,"+standInAbort+"\n"+
		running+",running.onmicrosoft.com,\n"), 0o600))

	var first importSummary
	require.NoError(t, json.Unmarshal([]byte(cli.ok(t, "import", file, "--json", "--rate", "50")), &first))
	require.Equal(t, 4, first.Started)
	require.Equal(t, &importMoney{Sent: 4, OriginalPrices: []importPriceTotal{}, Note: importMoneyNote}, first.Money)
	for _, tenant := range []string{failing, done, aborted} {
		require.Eventually(t, func() bool {
			desc, err := cli.client.DescribeWorkflow(context.Background(), csptransfer.WorkflowID(tenant), "")
			return err == nil && desc.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		}, 30*time.Second, 100*time.Millisecond)
	}

	again := cli.ok(t, "import", file, "--rate", "50")
	require.Regexp(t, `2 +`+failing+` +skipped: earlier transfer failed; use --restart-failed +Failed`, again)
	require.Regexp(t, `3 +`+done+` +not started: earlier transfer completed +Completed`, again)
	require.Regexp(t, `4 +`+aborted+` +not started: earlier transfer was aborted +Aborted`, again)
	require.Regexp(t, `5 +`+running+` +already running +AwaitingAcceptance`, again)
	require.Contains(t, again, "0 started, 0 restarted, 1 already running, 1 skipped, 2 ended earlier, 0 rejected\n")
	require.Contains(t, again, "run the same file with --restart-failed")
	require.True(t, strings.HasSuffix(again, "Money: nothing started in this run, no price sent.\n"), again)

	var restarted importSummary
	require.NoError(t, json.Unmarshal([]byte(cli.ok(t, "import", file, "--json", "--rate", "50", "--restart-failed")), &restarted))
	require.Equal(t, importSummary{Restarted: 1, Existing: 1, Ended: 2}, importSummary{Restarted: restarted.Restarted, Existing: restarted.Existing, Ended: restarted.Ended})
	require.Equal(t, outcomeRestarted, restarted.Rows[0].Outcome)
	require.Equal(t, "Failed", restarted.Rows[0].Earlier)
	require.Equal(t, "restarted (the earlier transfer failed)", importOutcome(restarted.Rows[0]))
}

// The money the workflow puts in its status comes through Temporal to status --json unchanged and to the
// human status; abort --cancel-refundable says what it expects back and what is past its window before it
// asks, and sends nothing unless the answer is yes.
func TestMoneyThroughTemporal(t *testing.T) {
	cli := startStandIn(t)
	tenant := uuid.NewString()
	cli.ok(t, "start", "--tenant", tenant, "--domain", "money-"+tenant[:8]+".onmicrosoft.com", "--name", standInPriced)

	var st csptransfer.TransferStatus
	require.Eventually(t, func() bool {
		code, out, _ := cli.run(t, "status", tenant, "--json")
		return code == exitOK && json.Unmarshal([]byte(out), &st) == nil && st.Money != nil
	}, 30*time.Second, 100*time.Millisecond)
	require.Len(t, st.Money.Totals, 1)
	eur := st.Money.Totals[0]
	require.Equal(t, "EUR", eur.Currency)
	require.InDelta(t, 370.0, eur.Spent, 0.001)
	require.Equal(t, []string{"as planned the overlap is 72 days (≈ 2 months) ≈ 83.12 EUR"}, st.Money.Advice)
	e1 := st.Lines[1]
	require.Equal(t, "P1M", e1.Progress.Price.TermDuration)
	require.Equal(t, &csptransfer.Price{Amount: 7.5, Currency: "EUR", Period: "P1M"}, e1.OriginalPrice)
	require.NotNil(t, e1.Progress.OrderedAt)
	require.NotNil(t, e1.Progress.RefundableUntil)
	require.NotNil(t, e1.Progress.Overlap.OriginalCost)
	require.Equal(t, &csptransfer.Overlap{}, st.Lines[0].Overlap, "the transfer line's overlap: 0 days")

	// watch redraws the same status, money included (piped: each change after a "---" line).
	wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var watched, watchErr bytes.Buffer
	require.Equal(t, exitOK, execute(wctx, newApp(config.Map{"TEMPORAL_ADDRESS": cli.address}), []string{"watch", tenant, "--interval", "200ms"},
		strings.NewReader(""), &watched, &watchErr), watchErr.String())
	require.Contains(t, watched.String(), "--- ")
	require.Regexp(t, `\nMoney\n(.*\n)+ +EUR +370\.00 EUR +370\.00 EUR`, watched.String())

	human := cli.ok(t, "status", tenant)
	require.Contains(t, human, "\nMoney\n")
	require.Regexp(t, `1 +SPE_E3 +transfer +nothing bought +— +0 days \(transfer\)`, human)
	require.Regexp(t, `2 +STANDARDPACK +bought +8\.00 EUR/seat monthly +40\.00 EUR for 1 month .* open until `, human)
	require.Regexp(t, `3 +VISIOCLIENT +bought .* closed\n`, human)

	code, out, stderr := cli.runIn(t, "n\n", "abort", tenant, "--reason", "customer withdrew", "--cancel-refundable")
	require.Equal(t, exitError, code, stderr)
	require.Regexp(t, `^Cancelling the new subscriptions still inside their refund window is expected to return ≈ \d+\.\d\d EUR: `, out)
	require.Contains(t, out, "Inside the refund window, cancelled: 2 STANDARDPACK (until ")
	require.Contains(t, out, "Past the refund window, kept and paid for: 3 VISIOCLIENT (closed ")
	require.Contains(t, stderr, "Abort and cancel the new subscriptions still inside their refund window? [y/N]")
	require.Contains(t, stderr, "not sent: nothing was cancelled")

	code, out, stderr = cli.runIn(t, "", "abort", tenant, "--reason", "customer withdrew", "--cancel-refundable", "--yes", "--json")
	require.Equal(t, exitOK, code, stderr)
	require.Empty(t, stderr, "--json --yes: nothing but the JSON")
	var res struct {
		WorkflowID     string              `json:"workflowId"`
		ExpectedRefund []csptransfer.Money `json:"expectedRefund"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Equal(t, csptransfer.WorkflowID(tenant), res.WorkflowID)
	require.Len(t, res.ExpectedRefund, 1)
	require.Equal(t, "EUR", res.ExpectedRefund[0].Currency)
	require.Greater(t, res.ExpectedRefund[0].Amount, 30.0)

	// approve shows the money under the plan before it asks.
	plan := uuid.NewString()
	cli.ok(t, "start", "--tenant", plan, "--domain", "plan-"+plan[:8]+".onmicrosoft.com", "--name", standInPricedPlan)
	require.Eventually(t, func() bool {
		code, out, stderr = cli.runIn(t, "n\n", "approve", plan)
		return code == exitError
	}, 30*time.Second, 100*time.Millisecond, stderr)
	require.Contains(t, out, "Plan v2 of plan-"+plan[:8])
	require.Contains(t, out, "\nMoney\n")
	require.Regexp(t, `1 +ENTERPRISEWITHSCAL +quote +20\.60 EUR/seat monthly +2,966\.40 EUR for 1 year +30 days +243\.81 EUR +unknown +until \S+ \S+ if bought as planned`, out)
	require.Regexp(t, `EUR +3,030\.40 EUR`, out)
	require.Regexp(t, `USD +— +— +— +— +80\.00 USD`, out)
	require.Contains(t, out, "    - buying now costs 60 days")
	require.Contains(t, stderr, "Approve plan v2? [y/N]")
	require.Contains(t, stderr, "plan v2 not approved: nothing was sent")
}
