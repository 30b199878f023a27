package main

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// chaosSize is how many transfers a chaos test runs: small in `make test`, larger in `make chaos`.
func chaosSize(t *testing.T) int {
	if v := os.Getenv("CSP_CHAOS_TRANSFERS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "CSP_CHAOS_TRANSFERS")
		return n
	}
	return 3
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// workerProcess runs the real worker binary so it can be killed with SIGKILL and started again.
type workerProcess struct {
	t    *testing.T
	bin  string
	env  []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *os.File
}

func buildWorker(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "worker")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func (w *workerProcess) start() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	cmd := exec.Command(w.bin)
	cmd.Env = append(os.Environ(), w.env...)
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	if err := cmd.Start(); err != nil {
		return err
	}
	w.cmd = cmd
	return nil
}

func (w *workerProcess) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	_ = w.cmd.Wait()
	w.cmd = nil
}

func (w *workerProcess) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	_ = w.cmd.Wait()
	w.cmd = nil
}

// chaosRun drives transfers like an operator and a customer would, tolerating a worker or server that
// is down for a moment: every call is retried until it works.
type chaosRun struct {
	t       *testing.T
	c       client.Client
	sb      sandbox.AdminClient
	tenants []string
}

// admin repeats a sandbox admin call until it succeeds.
func (r *chaosRun) admin(what string, call func(ctx context.Context) error) {
	r.t.Helper()
	require.Eventually(r.t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return call(ctx) == nil
	}, time.Minute, 200*time.Millisecond, "sandbox %s", what)
}

func (r *chaosRun) startAll(n int, expiresIn time.Duration) {
	svc := transfers.Service{Client: r.c}
	for i := 0; i < n; i++ {
		tenant := uuid.NewString()
		domain := "chaos-" + tenant[:8] + ".onmicrosoft.com"
		r.admin("create customer", func(ctx context.Context) error {
			return r.sb.CreateCustomer(ctx, demo.Customer(tenant, domain, time.Now().Add(expiresIn).UTC()))
		})
		_, err := svc.Start(context.Background(), csptransfer.TransferRequest{CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR"})
		require.NoError(r.t, err)
		r.tenants = append(r.tenants, tenant)
	}
}

// status answers the query, or false while no worker can answer it.
func (r *chaosRun) status(tenant string) (csptransfer.TransferStatus, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st, err := transfers.Service{Client: r.c}.Status(ctx, csptransfer.WorkflowID(tenant))
	return st, err == nil
}

// drive accepts, approves and waits until every transfer has ended, acting on each as it reaches a
// stage that needs the customer or an operator.
func (r *chaosRun) drive(deadline time.Duration) map[string]csptransfer.TransferReport {
	accepted := map[string]bool{}
	approved := map[string]int{}
	reports := map[string]csptransfer.TransferReport{}
	end := time.Now().Add(deadline)
	for len(reports) < len(r.tenants) {
		require.True(r.t, time.Now().Before(end), "transfers not finished within %s: %d of %d done", deadline, len(reports), len(r.tenants))
		for _, tenant := range r.tenants {
			if _, done := reports[tenant]; done {
				continue
			}
			id := csptransfer.WorkflowID(tenant)
			desc, err := r.c.DescribeWorkflow(context.Background(), id, "")
			if err == nil && desc.Status.String() != "Running" {
				var rep csptransfer.TransferReport
				require.NoError(r.t, r.c.GetWorkflow(context.Background(), id, "").Get(context.Background(), &rep), tenant)
				reports[tenant] = rep
				continue
			}
			st, ok := r.status(tenant)
			if !ok {
				continue
			}
			switch {
			case st.Stage == csptransfer.StageAwaitingAcceptance && !accepted[tenant]:
				r.admin("accept", func(ctx context.Context) error {
					return r.sb.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: st.PartnerTenantID})
				})
				if r.c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalRelationshipAccepted,
					csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "chaos"}) == nil {
					accepted[tenant] = true
				}
			case st.Stage == csptransfer.StageAwaitingApproval && approved[tenant] != st.PlanVersion:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				h, err := r.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: csptransfer.UpdateApprovePlan,
					WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{csptransfer.ApprovePlan{PlanVersion: st.PlanVersion}}})
				if err == nil && h.Get(ctx, nil) == nil {
					approved[tenant] = st.PlanVersion
				}
				cancel()
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return reports
}

// verdict checks the sandbox ledger for every chaos customer.
func (r *chaosRun) verdict(reports map[string]csptransfer.TransferReport) {
	for tenant, rep := range reports {
		require.Equal(r.t, csptransfer.StageCompleted, rep.Outcome, "%s: %s", tenant, rep.Reason)
	}
	var ledger sandbox.Ledger
	r.admin("ledger", func(ctx context.Context) (err error) {
		ledger, err = r.sb.Ledger(ctx)
		return err
	})
	seen := 0
	for _, c := range ledger.Customers {
		if !contains(r.tenants, c.TenantID) {
			continue
		}
		seen++
		require.Zero(r.t, c.DuplicatePurchases, c.TenantID)
		require.Zero(r.t, c.OriginalsCancelled, c.TenantID)
		require.Empty(r.t, c.LicenseShortfalls, c.TenantID)
		require.Empty(r.t, c.UsersWithoutLicense, c.TenantID)
		require.Equal(r.t, 1, c.Orders, "%s: one order, however often the worker died", c.TenantID)
		total := 0
		for _, n := range c.Acceptances {
			total += n
		}
		require.Equal(r.t, 1, total, "%s: the acceptance was not lost", c.TenantID)
	}
	require.Equal(r.t, len(r.tenants), seen)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// TestChaosWorkerKilledWhileTransfersRun kills the worker process with SIGKILL at random moments while
// transfers run against a sandbox that also throttles (429), fails (503) and slows down, and restarts it
// each time. Every transfer must complete, and the ledger must show one order per customer, no original
// cancelled, nobody ever unlicensed and no acceptance lost.
func TestChaosWorkerKilledWhileTransfersRun(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	sbAddr := freePort(t)
	logs, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
	require.NoError(t, err)
	w := &workerProcess{t: t, bin: buildWorker(t), logs: logs, env: []string{
		"TEMPORAL_ADDRESS=" + srv.FrontendHostPort(), "TEMPORAL_NAMESPACE=default",
		"CSP_SANDBOX_ADDR=" + sbAddr, "CSP_SANDBOX_STATE=" + filepath.Join(t.TempDir(), "sandbox.json"),
		"CSP_METRICS_ADDR=off", "CSP_LOG_LEVEL=warn", "CSP_WORKER_STOP_TIMEOUT=1s", "PARTNER_CENTER_CLIENT_ID=",
	}}
	require.NoError(t, w.start())
	t.Cleanup(w.stop)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("worker log (last 4 KiB):\n%s", tail(b, 4096))
		}
	})

	run := &chaosRun{t: t, c: dial(t, srv.FrontendHostPort()), sb: sandbox.AdminClient{BaseURL: "http://" + sbAddr}}
	run.admin("put faults", func(ctx context.Context) error {
		return run.sb.PutFaults(ctx, sandbox.FaultRules{Seed: 7, Rules: []sandbox.FaultRule{
			{Match: "* /v1/*", Status: 429, RetryAfterSeconds: 1, Probability: 0.15},
			{Match: "* /graph/*", Status: 503, Probability: 0.1},
			{Match: "*", LatencyMs: 15},
		}})
	})
	run.startAll(chaosSize(t), 45*time.Second)

	stop := make(chan struct{})
	kills := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		rnd := rand.New(rand.NewPCG(42, 7))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(3000+rnd.IntN(5000)) * time.Millisecond):
			}
			w.kill()
			kills++
			if err := w.start(); err != nil {
				t.Errorf("restart worker: %v", err)
				return
			}
		}
	}()
	reports := run.drive(4 * time.Minute)
	close(stop)
	<-done
	t.Logf("%d transfers completed; the worker was killed %d times", len(reports), kills)
	require.Positive(t, kills)
	run.verdict(reports)
}

// TestChaosServerRestartedWhileTransfersWait restarts the Temporal dev server (same SQLite file, same
// port) while transfers wait for acceptance and for their originals' expiry: they all resume and complete.
func TestChaosServerRestartedWhileTransfersWait(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	db := filepath.Join(t.TempDir(), "temporal.db")
	hostPort := freePort(t)
	opts := devserver.Options{SearchAttributes: sas, DBFilename: db, ClientOptions: &client.Options{HostPort: hostPort}}
	srv := devserver.Start(t, opts)
	m := startWorkerOn(t, srv.FrontendHostPort())
	c := dial(t, srv.FrontendHostPort())

	run := &chaosRun{t: t, c: c, sb: sandbox.AdminClient{BaseURL: m.SandboxURL}}
	run.startAll(chaosSize(t), 40*time.Second)
	for _, tenant := range run.tenants {
		require.Eventually(t, func() bool {
			st, ok := run.status(tenant)
			return ok && st.Stage == csptransfer.StageAwaitingAcceptance
		}, time.Minute, 200*time.Millisecond)
	}

	restart := func() {
		require.NoError(t, srv.Stop())
		srv = devserver.Start(t, opts)
	}
	restart() // while they wait for acceptance
	var once sync.Once
	go func() {
		// …and again while they sleep until their originals end.
		for {
			waiting := 0
			for _, tenant := range run.tenants {
				if st, ok := run.status(tenant); ok && st.Stage == csptransfer.StageAwaitingExpiry {
					waiting++
				}
			}
			if waiting == len(run.tenants) {
				once.Do(restart)
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}()
	reports := run.drive(3 * time.Minute)
	run.verdict(reports)
}

// dial makes a client of the test's own that outlives a dev server restart on the same port.
func dial(t *testing.T, hostPort string) client.Client {
	c, err := client.Dial(client.Options{HostPort: hostPort})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
