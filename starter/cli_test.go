package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/devstack"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// stack is a real Temporal dev server with a worker wired the way the worker program wires it (the
// CSPTransfer workflow, the real activities and clients) against an embedded Partner Center sandbox.
type stack struct {
	address    string
	sandboxURL string
}

// startStack runs the real worker program (internal/workerapp, as `make run` does) with its embedded sandbox.
func startStack(t *testing.T) *stack {
	t.Helper()
	s := devstack.Start(t)
	return &stack{address: s.Address, sandboxURL: s.SandboxURL}
}

// cliRun is one CLI run.
type cliRun struct {
	code   int
	stdout string
	stderr string
}

// cli runs the starter exactly as main does, against the stack, with stdin.
func (s *stack) cli(t *testing.T, stdin string, args ...string) cliRun {
	t.Helper()
	var out, errOut bytes.Buffer
	code := execute(context.Background(), s.app(), args, strings.NewReader(stdin), &out, &errOut)
	return cliRun{code: code, stdout: out.String(), stderr: errOut.String()}
}

func (s *stack) app() *app {
	return newApp(config.Map{"TEMPORAL_ADDRESS": s.address, "CSP_UI_URL": "http://ui.test"})
}

// ok runs the CLI and requires exit code 0.
func (s *stack) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := s.cli(t, "", args...)
	require.Equal(t, exitOK, r.code, "starter %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stdout
}

// status reads a transfer's status through `status --json`.
func (s *stack) status(t *testing.T, id string) csptransfer.TransferStatus {
	t.Helper()
	var st csptransfer.TransferStatus
	require.NoError(t, json.Unmarshal([]byte(s.ok(t, "status", id, "--json")), &st))
	return st
}

func (s *stack) waitFor(t *testing.T, id, what string, cond func(csptransfer.TransferStatus) bool) csptransfer.TransferStatus {
	t.Helper()
	var st csptransfer.TransferStatus
	require.Eventually(t, func() bool {
		st = s.status(t, id)
		return cond(st)
	}, 90*time.Second, 250*time.Millisecond, "waiting for %s; last status: stage %s, awaiting %+v, last error %q", what, st.Stage, st.Awaiting, st.LastError)
	return st
}

// sandbox is the admin API of the stack's sandbox, where the tests act as the customer.
func (s *stack) sandbox() sandbox.AdminClient {
	return sandbox.AdminClient{BaseURL: s.sandboxURL}
}

// TestCLIAgainstARealServer drives transfers only through CLI commands on a real dev server and worker.
func TestCLIAgainstARealServer(t *testing.T) {
	s := startStack(t)

	t.Run("a whole transfer", func(t *testing.T) {
		t.Parallel()
		wholeTransfer(t, s)
	})
	t.Run("a plan that changed after it was shown is not approved; abort", func(t *testing.T) {
		t.Parallel()
		staleApprovalAndAbort(t, s)
	})
	t.Run("import", func(t *testing.T) {
		t.Parallel()
		importIdempotent(t, s)
	})
	t.Run("errors and a failed transfer's report", func(t *testing.T) {
		t.Parallel()
		errorCodes(t, s)
	})
	t.Run("a partner-to-partner transfer request, shown, listed and cancelled", func(t *testing.T) {
		t.Parallel()
		partnerTransferCancelled(t, s)
	})
}

// partnerTransferCancelled: a customer leaving another CSP partner is started with --source-partner-*; the
// request shows in status and list; a cancel naming another request is refused (exit 4); the real one is
// cancelled and its line falls back to buying.
func partnerTransferCancelled(t *testing.T, s *stack) {
	tenant := uuid.NewString()
	domain := "cli-p2p-" + tenant[:8] + ".onmicrosoft.com"
	termEnd := time.Now().AddDate(0, 7, 0).UTC().Truncate(time.Second)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	require.NoError(t, s.sandbox().CreateCustomer(context.Background(), demo.PartnerCustomer(tenant, domain, termEnd, expires)))
	id := csptransfer.WorkflowID(tenant)

	s.ok(t, "start", "--tenant", tenant, "--domain", domain, "--country", "US", "--contact", "it@"+domain, "--admin-access",
		"--source-partner-tenant", strings.ToUpper(sandbox.OtherCSP), "--source-partner-name", "Contoso Cloud Partners LLC")
	st := s.waitFor(t, tenant, "the invitation", func(st csptransfer.TransferStatus) bool {
		return st.Stage == csptransfer.StageAwaitingAcceptance && st.AdminRelationshipID != ""
	})
	require.NoError(t, s.sandbox().Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: st.PartnerTenantID}))
	require.NoError(t, s.sandbox().ApproveGDAP(context.Background(), st.AdminRelationshipID))
	s.ok(t, "accept", tenant)

	st = s.waitFor(t, tenant, "the transfer request", func(st csptransfer.TransferStatus) bool {
		return st.Stage == csptransfer.StageAwaitingPartnerTransfer && st.PartnerTransfer != nil
	})
	pt := st.PartnerTransfer
	require.Equal(t, sandbox.OtherCSP, pt.SourcePartnerTenantID)
	human := s.ok(t, "status", tenant)
	require.Contains(t, human, "Partner-to-partner transfer request")
	require.Regexp(t, `Source partner +Contoso Cloud Partners LLC \(tenant `+sandbox.OtherCSP+`\)`, human)
	require.Regexp(t, `Outcome +pending`, human)
	require.Regexp(t, `SPB +\S+.* +10 +transfer`, human)
	require.Regexp(t, `STANDARDPACK +\S+.* +5 +buy`, human)

	var rows []listRow
	require.Eventually(t, func() bool {
		out := s.ok(t, "list", "--stage", "AwaitingPartnerTransfer", "--customer", tenant, "--json")
		return json.Unmarshal([]byte(out), &rows) == nil && len(rows) == 1
	}, 30*time.Second, 250*time.Millisecond, "list --stage AwaitingPartnerTransfer finds the transfer")

	wrong := s.cli(t, "", "cancel-transfer", tenant, "--reason", "buy instead", "--transfer-id", "not-the-pending-one")
	require.Equal(t, exitRefused, wrong.code, wrong.stderr)
	require.Contains(t, wrong.stderr, "is not the pending request")

	out := s.ok(t, "cancel-transfer", id, "--reason", "the source partner will not release it", "--transfer-id", pt.ID)
	require.Contains(t, out, "Transfer request "+pt.ID+" cancelled at Microsoft;", out)
	st = s.waitFor(t, tenant, "the line to fall back to buying", func(st csptransfer.TransferStatus) bool {
		return st.PartnerTransfer != nil && st.PartnerTransfer.Outcome == csptransfer.PartnerTransferCancelled && !st.Lines[0].Transfers()
	})
	require.Regexp(t, `Outcome +cancelled`, s.ok(t, "status", tenant))
	again := s.cli(t, "", "cancel-transfer", tenant, "--reason", "again")
	require.Equal(t, exitRefused, again.code, again.stderr)
	s.ok(t, "abort", tenant, "--reason", "test done")
}

// wholeTransfer: start → customer accepts + accept → approve --yes → status → report once completed. The
// customer's retired Office 365 E4 is replaced by E3 (so the plan needs approval) and its users are moved.
func wholeTransfer(t *testing.T, s *stack) {
	tenant := uuid.NewString()
	domain := "cli-" + tenant[:8] + ".onmicrosoft.com"
	expires := time.Now().Add(25 * time.Second).UTC().Truncate(time.Second)
	lic := func(part string) []sandbox.LicenseInput { return []sandbox.LicenseInput{{SkuPartNumber: part}} }
	require.NoError(t, s.sandbox().CreateCustomer(context.Background(), sandbox.CustomerInput{
		TenantID: tenant, Domain: domain, CompanyName: "CLI Test SARL", Country: "FR", AgreementSigned: true,
		Originals: []sandbox.OriginalInput{
			{SkuPartNumber: "ENTERPRISEWITHSCAL", TotalLicenses: 2, ExpiresAt: &expires},
			{SkuPartNumber: "STANDARDPACK", TotalLicenses: 1, ExpiresAt: &expires},
		},
		Users: []sandbox.UserInput{
			{UserPrincipalName: "u1@" + domain, Licenses: lic("ENTERPRISEWITHSCAL")},
			{UserPrincipalName: "u2@" + domain, Licenses: lic("ENTERPRISEWITHSCAL")},
			{UserPrincipalName: "u3@" + domain, Licenses: lic("STANDARDPACK")},
		},
	}))

	var started transfers.Started
	out := s.ok(t, "start", "--tenant", tenant, "--domain", domain, "--country", "FR", "--contact", "it@"+domain,
		"--admin-access", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &started), out)
	require.False(t, started.Existing)
	id := csptransfer.WorkflowID(tenant)
	require.Equal(t, id, started.WorkflowID)
	require.Equal(t, "http://ui.test/namespaces/default/workflows/"+id, started.UILink)

	// A second start for the same customer starts nothing and shows the running one.
	again := s.cli(t, "", "start", "--tenant", strings.ToUpper(tenant), "--domain", domain)
	require.Equal(t, exitOK, again.code, again.stderr)
	require.Contains(t, again.stdout, "already exists")
	require.Contains(t, again.stdout, id)
	require.Contains(t, again.stdout, "http://ui.test/namespaces/default/workflows/"+id)
	strict := s.cli(t, "", "start", "--tenant", tenant, "--domain", domain, "--fail-if-running")
	require.Equal(t, exitAlreadyRunning, strict.code, strict.stderr)

	st := s.waitFor(t, tenant, "the invitation", func(st csptransfer.TransferStatus) bool {
		return st.Stage == csptransfer.StageAwaitingAcceptance && st.AdminRelationshipID != ""
	})
	require.Equal(t, sandbox.PartnerEU, st.PartnerTenantID)

	// The customer accepts in the (simulated) admin center and approves admin access; the operator reports it.
	require.NoError(t, s.sandbox().Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	require.NoError(t, s.sandbox().ApproveGDAP(context.Background(), st.AdminRelationshipID))
	require.Contains(t, s.ok(t, "accept", id), "verifies it with Partner Center")

	st = s.waitFor(t, tenant, "the plan", func(st csptransfer.TransferStatus) bool { return st.Stage == csptransfer.StageAwaitingApproval })
	require.Len(t, st.Lines, 2)

	// Answering anything but y approves nothing.
	no := s.cli(t, "n\n", "approve", tenant)
	require.Equal(t, exitError, no.code)
	require.Contains(t, no.stdout, "ENTERPRISEWITHSCAL")
	require.Contains(t, no.stdout, "substitute")
	require.Contains(t, no.stderr, "not approved")
	require.Equal(t, csptransfer.StageAwaitingApproval, s.status(t, tenant).Stage)

	human := s.ok(t, "status", tenant)
	require.Contains(t, human, "AwaitingApproval")
	require.Contains(t, human, "Plan v1")

	// Someone follows the transfer from here to its end; not on a terminal, each change is printed in turn.
	var watched syncBuffer
	watchDone := make(chan int, 1)
	go func() {
		watchDone <- execute(context.Background(), s.app(), []string{"watch", tenant, "--interval", "200ms"}, strings.NewReader(""), &watched, &watched)
	}()

	require.Contains(t, s.ok(t, "approve", tenant, "--yes", "--comment", "checked"), "Plan v1 approved")
	again = s.cli(t, "", "approve", tenant, "--yes")
	require.Equal(t, exitRefused, again.code, again.stderr)

	running := s.ok(t, "report", tenant)
	require.Contains(t, running, "still running")

	s.waitFor(t, tenant, "the end", func(st csptransfer.TransferStatus) bool { return st.Stage.Terminal() })
	select {
	case code := <-watchDone:
		require.Equal(t, exitOK, code, watched.String())
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not end with the transfer")
	}
	require.GreaterOrEqual(t, strings.Count(watched.String(), "--- "), 3, "one print per change:\n%s", watched.String())
	require.Contains(t, watched.String(), "plan v1 approved: checked")
	require.Regexp(t, `Stage +Completed`, watched.String())

	var rep reportOutput
	out = s.ok(t, "report", tenant, "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Equal(t, "Completed", rep.ExecutionStatus)
	require.NotNil(t, rep.Report)
	require.Equal(t, csptransfer.StageCompleted, rep.Report.Outcome, rep.Report.Reason)
	for _, l := range rep.Report.Lines {
		require.True(t, l.Progress.Provisioned, l.SourceSkuPartNumber)
		require.Equal(t, "expired", l.Progress.OriginalState, l.SourceSkuPartNumber)
	}
	human = s.ok(t, "report", id)
	require.Contains(t, human, "Outcome")
	require.Contains(t, human, "Completed")

	// The finished transfer is listed with --all, not among open ones; steering it is refused.
	var rows []listRow
	out = s.ok(t, "list", "--all", "--customer", tenant, "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Len(t, rows, 1)
	require.Equal(t, "Completed", rows[0].Stage)
	require.Equal(t, domain, rows[0].CustomerDomain)
	require.Equal(t, sandbox.PartnerEU, rows[0].PartnerTenantID)
	require.Contains(t, s.ok(t, "list", "--customer", tenant), "No transfers match")
	ended := s.cli(t, "", "accept", tenant)
	require.Equal(t, exitRefused, ended.code, ended.stderr)
	require.Contains(t, ended.stderr, "has ended")
}

// staleApprovalAndAbort: the operator is shown plan v1; the plan changes before they confirm; the workflow
// rejects the approval (exit 4). Then the transfer is aborted before anything was bought.
func staleApprovalAndAbort(t *testing.T, s *stack) {
	tenant := "a1b2c3d4-0002-4000-8000-000000000002" // seeded: retired E4 + E1, MCA signed
	s.ok(t, "start", "--tenant", tenant, "--domain", "fabrikam-fr.onmicrosoft.com", "--country", "FR")
	s.waitFor(t, tenant, "the invitation", func(st csptransfer.TransferStatus) bool { return st.Stage == csptransfer.StageAwaitingAcceptance })
	require.NoError(t, s.sandbox().Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	s.ok(t, "accept", tenant)
	st := s.waitFor(t, tenant, "the plan", func(st csptransfer.TransferStatus) bool { return st.Stage == csptransfer.StageAwaitingApproval })
	require.Equal(t, 1, st.PlanVersion)

	stdin, answer := io.Pipe()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- execute(context.Background(), s.app(), []string{"approve", tenant}, stdin, &out, &errOut)
	}()
	require.Eventually(t, func() bool { return strings.Contains(errOut.String(), "Approve plan v1?") }, 30*time.Second, 20*time.Millisecond)

	mapped := s.ok(t, "map-offer", tenant, "--source", "STANDARDPACK", "--target", "CFQ7TTC0LFLX:0001")
	require.Contains(t, mapped, "the plan is version 2")
	// The new plan is priced (a quote cart) before it waits for approval again; answer once it does, so the
	// refusal is about the version, not the stage.
	s.waitFor(t, tenant, "plan v2", func(st csptransfer.TransferStatus) bool {
		return st.Stage == csptransfer.StageAwaitingApproval && st.PlanVersion == 2
	})
	_, err := answer.Write([]byte("y\n"))
	require.NoError(t, err)
	select {
	case code := <-done:
		require.Equal(t, exitRefused, code, "stdout: %s\nstderr: %s", out.String(), errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("approve did not return")
	}
	require.Contains(t, errOut.String(), "stale")

	bad := s.cli(t, "", "abort", tenant)
	require.Equal(t, exitUsage, bad.code)
	require.Contains(t, bad.stderr, "--reason")
	s.ok(t, "abort", tenant, "--reason", "customer stays with its reseller")
	s.waitFor(t, tenant, "the abort", func(st csptransfer.TransferStatus) bool { return st.Stage == csptransfer.StageAborted })
	rep := s.ok(t, "report", tenant)
	require.Contains(t, rep, "Aborted")
	require.Contains(t, rep, "customer stays with its reseller")
}

// importIdempotent: a file with bad rows starts nothing; a good file starts every row once, and running it
// again starts nothing twice.
func importIdempotent(t *testing.T, s *stack) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("customerTenantId,customerDomain,country\n"+
		"a1b2c3d4-0001-4000-8000-000000000001,alpineskihouse-de.onmicrosoft.com,DE\n"+
		"not-a-guid,tailspintoys-us.onmicrosoft.com,US\n"), 0o600))
	r := s.cli(t, "", "import", bad)
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, "line 3: customerTenantId")
	require.Contains(t, s.ok(t, "list", "--customer", "a1b2c3d4-0001-4000-8000-000000000001"), "No transfers match", "nothing was started")

	good := filepath.Join(dir, "good.csv")
	require.NoError(t, os.WriteFile(good, []byte("CustomerTenantId,CustomerDomain,Country,RequestAdminAccess\n"+
		"a1b2c3d4-0001-4000-8000-000000000001,alpineskihouse-de.onmicrosoft.com,DE,true\n"+
		"A1B2C3D4-0004-4000-8000-000000000004,tailspintoys-us.onmicrosoft.com,US,false\n"+
		"a1b2c3d4-0005-4000-8000-000000000005,adatum-jp.onmicrosoft.com,JP,\n"), 0o600))
	var first importSummary
	out := s.ok(t, "import", good, "--json", "--concurrency", "2", "--rate", "50")
	require.NoError(t, json.Unmarshal([]byte(out), &first), out)
	require.Equal(t, 3, first.Started, out)
	require.Len(t, first.Rows, 3)
	require.Equal(t, []int{2, 3, 4}, []int{first.Rows[0].Line, first.Rows[1].Line, first.Rows[2].Line})
	require.Equal(t, csptransfer.WorkflowID("a1b2c3d4-0004-4000-8000-000000000004"), first.Rows[1].WorkflowID)

	second := s.ok(t, "import", good)
	require.Contains(t, second, "0 started, 0 restarted, 3 already running, 0 skipped, 0 ended earlier, 0 rejected")

	var rows []listRow
	out = s.ok(t, "list", "--json", "--customer", "a1b2c3d4-0004-4000-8000-000000000004")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Len(t, rows, 1, "one transfer per customer")
}

func errorCodes(t *testing.T, s *stack) {
	missing := uuid.NewString()
	r := s.cli(t, "", "status", missing)
	require.Equal(t, exitNotFound, r.code, r.stderr)
	r = s.cli(t, "", "accept", missing)
	require.Equal(t, exitNotFound, r.code, r.stderr)
	r = s.cli(t, "", "skip-wait", missing, "--acknowledge", "I understand")
	require.Equal(t, exitUsage, r.code, r.stderr)
	r = s.cli(t, "", "skip-wait", missing, "--acknowledge", csptransfer.NoRefundAcknowledgement)
	require.Equal(t, exitNotFound, r.code, r.stderr)
	r = s.cli(t, "", "start", "--tenant", "nope", "--domain", "x")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "customerTenantId")
	require.Contains(t, r.stderr, "customerDomain")

	// A request file for a Brazilian customer no partner tenant may serve: the transfer fails before inviting,
	// and report explains why.
	tenant := "a1b2c3d4-0006-4000-8000-000000000006"
	file := filepath.Join(t.TempDir(), "request.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"customerTenantId":"`+tenant+`","customerDomain":"woodgrove-br.onmicrosoft.com","country":"BR"}`), 0o600))
	s.ok(t, "start", "--file", file)
	s.waitFor(t, tenant, "the failure", func(st csptransfer.TransferStatus) bool { return st.Stage == csptransfer.StageFailed })
	rep := s.ok(t, "report", tenant)
	require.Regexp(t, `Outcome +Failed`, rep)
	require.Contains(t, rep, "Brazil")
	var rows []listRow
	out := s.ok(t, "list", "--all", "--stage", "failed", "--customer", tenant, "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Len(t, rows, 1)
	require.Equal(t, "Failed", rows[0].ExecutionStatus)
	r = s.cli(t, "", "approve", tenant, "--yes")
	require.Equal(t, exitRefused, r.code, r.stderr)
}

func TestUnreachableTemporalIsNamedQuickly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	a := newApp(config.Map{"TEMPORAL_ADDRESS": addr})
	var out, errOut bytes.Buffer
	began := time.Now()
	code := execute(context.Background(), a, []string{"list", "--connect-timeout", "2s"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, exitError, code)
	require.Contains(t, errOut.String(), "cannot reach Temporal at "+addr)
	require.Less(t, time.Since(began), 5*time.Second)
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
