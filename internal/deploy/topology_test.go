package deploy

// TestProductionTopologyOnPostgreSQL runs docker-compose.yml's topology without Docker: PostgreSQL, the
// Temporal server at the version compose pins (built from tools/temporalserver) with its schema set up by
// compose's own deploy/temporal/setup-postgres.sh, the namespace and search attributes registered by
// compose's deploy/temporal/create-namespace.sh, two worker processes sharing one Partner Center sandbox,
// and the trigger service. `make topology` builds what it needs and runs it; see the Makefile.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

const (
	// topologyTransfers is how many transfers run at once.
	topologyTransfers = 8
	// topologyRate is CSP_PC_RATE and CSP_GRAPH_RATE (with bursts of 1): the partner tenant's budget, per
	// API and second, which the two workers share.
	topologyRate = 4
	// topologyExpiry is how far in the future the customers' originals end: long enough for every transfer
	// to reach AwaitingExpiry and for the server to be killed and restarted before the timers fire. The test
	// checks that this held instead of assuming it.
	topologyExpiry  = 100 * time.Second
	onboardingToken = "topology-onboarding-token-0123456789"
)

func TestProductionTopologyOnPostgreSQL(t *testing.T) {
	if os.Getenv("CSP_TOPOLOGY") != "1" {
		t.Skip("runs PostgreSQL, a Temporal server, two workers and the trigger service as processes for a few " +
			"minutes: run `make topology` (sets CSP_TOPOLOGY=1 and builds the binaries)")
	}
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	bin := os.Getenv("CSP_TOPOLOGY_BIN")
	if bin == "" {
		bin = filepath.Join(root, ".bin")
	}
	for _, b := range []string{"temporal-server", "temporal-sql-tool", "temporal", "worker", "starter"} {
		_, err := os.Stat(filepath.Join(bin, b))
		require.NoError(t, err, "%s/%s is missing: run `make topology`, which builds it", bin, b)
	}
	schemaDir := os.Getenv("CSP_TEMPORAL_SCHEMA_DIR")
	require.NotEmpty(t, schemaDir, "CSP_TEMPORAL_SCHEMA_DIR names the server module's schema/ directory (make topology sets it)")
	_, err = os.Stat(filepath.Join(schemaDir, "postgresql", "v12", "temporal", "versioned"))
	require.NoError(t, err, "CSP_TEMPORAL_SCHEMA_DIR")

	// Not t.TempDir(): PostgreSQL runs as another user when the test runs as root, and must reach its
	// directory; t.TempDir's parents are private to this user.
	work, err := os.MkdirTemp("", "csptransfer-topology-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(work, 0o755))
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("CSP_TOPOLOGY_KEEP") != "" {
			t.Logf("kept %s", work)
			return
		}
		_ = os.RemoveAll(work)
	})
	ports := topologyPorts(t, 14)
	pgPort := ports[0]
	// The server stores its services' membership ports in a SMALLINT column (cluster_membership.rpc_port):
	// they must be below 32768, where the kernel's ephemeral ports usually are not.
	copy(ports[1:10], lowPorts(t, 9))
	env := cleanEnv()

	// --- postgresql -----------------------------------------------------------------------------------
	start := time.Now()
	pgDir := filepath.Join(work, "pg")
	runCmd(t, 3*time.Minute, env, filepath.Join(root, "scripts", "pgstack.sh"), "start", pgDir, strconv.Itoa(pgPort))
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(root, "scripts", "pgstack.sh"), "stop", pgDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("stopping PostgreSQL: %v\n%s", err, out)
		}
	})
	t.Logf("PostgreSQL up on 127.0.0.1:%d after %s", pgPort, time.Since(start).Round(time.Millisecond))

	// --- temporal-admin-tools: compose's own script, twice (compose runs it on every `up`) ------------
	// The script expects the admin-tools image: temporal-sql-tool on PATH with the schema under
	// /etc/temporal/schema, and nc. Shims stand in for those two.
	shims := filepath.Join(work, "shims")
	require.NoError(t, os.Mkdir(shims, 0o755))
	writeExec(t, filepath.Join(shims, "temporal-sql-tool"), fmt.Sprintf("#!/usr/bin/env bash\n"+
		"# The admin-tools image keeps the schema in /etc/temporal/schema; here it is the server module's.\n"+
		"exec %q \"${@//\\/etc\\/temporal\\/schema/%s}\"\n", filepath.Join(bin, "temporal-sql-tool"), schemaDir))
	writeExec(t, filepath.Join(shims, "nc"), "#!/usr/bin/env bash\n"+
		"# nc -z -w SECS HOST PORT: whether HOST:PORT accepts a connection.\n"+
		"host=${@: -2:1} port=${@: -1}\n"+
		"timeout 5 bash -c \"exec 3<>/dev/tcp/$host/$port\" 2>/dev/null\n")
	setupEnv := append(withPath(env, shims), "POSTGRES_SEEDS=127.0.0.1", "DB_PORT="+strconv.Itoa(pgPort),
		"POSTGRES_USER=temporal", "SQL_PASSWORD=temporal")
	for i := range 2 {
		start := time.Now()
		out := runCmd(t, 3*time.Minute, setupEnv, "/bin/sh", filepath.Join(root, "deploy", "temporal", "setup-postgres.sh"))
		require.Contains(t, out, "Temporal schemas are up to date")
		t.Logf("setup-postgres.sh run %d: %s", i+1, time.Since(start).Round(time.Millisecond))
	}

	// --- temporal: the server of the pinned version on the schema above -------------------------------
	srv := newTemporalServer(t, work, filepath.Join(bin, "temporal-server"), root, pgPort, ports[1:10], env)
	start = time.Now()
	srv.start(t)
	waitHealthy(t, bin, srv, env)
	t.Logf("Temporal server healthy on %s after %s", srv.address, time.Since(start).Round(time.Millisecond))

	// --- temporal-create-namespace: compose's own script, twice ---------------------------------------
	nsEnv := append(withPath(env, bin), "TEMPORAL_ADDRESS="+srv.address, "TEMPORAL_NAMESPACE=default")
	for i := range 2 {
		out := runCmd(t, 3*time.Minute, nsEnv, "/bin/sh", filepath.Join(root, "deploy", "temporal", "create-namespace.sh"))
		require.Contains(t, out, "namespace default is ready")
		if i == 1 {
			require.Contains(t, out, "namespace default exists", "the second run keeps the namespace")
		}
	}
	c, err := client.Dial(client.Options{HostPort: srv.address, Namespace: "default"})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	// --- two workers on one sandbox, and the trigger service ------------------------------------------
	sbAddr := fmt.Sprintf("127.0.0.1:%d", ports[10])
	sbURL := "http://" + sbAddr
	triggerAddr := fmt.Sprintf("127.0.0.1:%d", ports[11])
	triggerURL := "http://" + triggerAddr
	metrics := []string{fmt.Sprintf("127.0.0.1:%d", ports[12]), fmt.Sprintf("127.0.0.1:%d", ports[13])}
	common := append(env, "TEMPORAL_ADDRESS="+srv.address, "TEMPORAL_NAMESPACE=default", "CSP_LOG_FORMAT=json",
		"CSP_WORKER_STOP_TIMEOUT=5s",
		"CSP_PC_RATE="+strconv.Itoa(topologyRate), "CSP_PC_BURST=1",
		"CSP_GRAPH_RATE="+strconv.Itoa(topologyRate), "CSP_GRAPH_BURST=1", "CSP_RATE_SHARE_EVERY=1s")
	worker1 := startProc(t, work, "worker-1", append(common, "CSP_METRICS_ADDR="+metrics[0],
		"CSP_SANDBOX_ADDR="+sbAddr, "CSP_SANDBOX_STATE="+filepath.Join(work, "sandbox.json"),
		"CSP_SANDBOX_WEBHOOK_URL="+triggerURL+"/webhooks/partner-center"), filepath.Join(bin, "worker"))
	waitHTTP(t, "http://"+metrics[0]+"/readyz", worker1)
	worker2 := startProc(t, work, "worker-2", append(common, "CSP_METRICS_ADDR="+metrics[1],
		"PARTNER_CENTER_CLIENT_ID="+sandbox.ClientID, "PARTNER_CENTER_CLIENT_SECRET="+sandbox.ClientSecret,
		"PARTNER_CENTER_REFRESH_TOKEN="+sandbox.RefreshToken,
		"PARTNER_CENTER_TENANT_IDS="+strings.Join([]string{sandbox.PartnerEU, sandbox.PartnerUS, sandbox.PartnerJP}, ","),
		"PARTNER_CENTER_BASE_URL="+sbURL, "GRAPH_BASE_URL="+sbURL+"/graph/v1.0", "IDENTITY_AUTHORITY="+sbURL+"/login",
		"CSP_PC_REFRESH_TOKEN_FILE="+filepath.Join(work, "worker-2-refresh-tokens.json")), filepath.Join(bin, "worker"))
	waitHTTP(t, "http://"+metrics[1]+"/readyz", worker2)
	trigger := startProc(t, work, "trigger", append(env, "TEMPORAL_ADDRESS="+srv.address, "TEMPORAL_NAMESPACE=default",
		"CSP_LOG_FORMAT=json", "CSP_TRIGGER_ADDR="+triggerAddr, "CSP_TRIGGER_MODE=sandbox",
		"CSP_ONBOARDING_TOKEN="+onboardingToken, "CSP_SANDBOX_URL="+sbURL), filepath.Join(bin, "starter"), "serve")
	waitHTTP(t, triggerURL+"/readyz", trigger)
	// Each worker counts the other before any transfer starts, so the budget is shared from the first call.
	for _, w := range []*proc{worker1, worker2} {
		w.waitLog(t, func(line map[string]any) bool {
			n, _ := line["workers"].(float64)
			return strings.Contains(fmt.Sprint(line["msg"]), "sharing the partner tenants' rate limits") && n == 2
		}, 2*time.Minute, "sharing the rate limits between 2 workers")
	}

	// --- transfers through the onboarding API; acceptance through the sandbox's signed webhooks -------
	admin := sandbox.AdminClient{BaseURL: sbURL}
	ctx := context.Background()
	expires := time.Now().Add(topologyExpiry).UTC().Truncate(time.Second)
	type transfer struct{ tenant, domain, id string }
	var all []transfer
	for i := range topologyTransfers {
		tenant := uuid.NewString()
		domain := fmt.Sprintf("topology-%d-%s.onmicrosoft.com", i, tenant[:8])
		require.NoError(t, admin.CreateCustomer(ctx, sandbox.CustomerInput{
			TenantID: tenant, Domain: domain, CompanyName: "Topology SAS", Country: "FR", AgreementSigned: true,
			Originals: []sandbox.OriginalInput{{SkuPartNumber: "STANDARDPACK", TotalLicenses: 3, ExpiresAt: &expires}},
			Users: []sandbox.UserInput{{UserPrincipalName: "u1@" + domain, DisplayName: "U1",
				Licenses: []sandbox.LicenseInput{{SkuPartNumber: "STANDARDPACK"}}}},
		}))
		body, _ := json.Marshal(map[string]any{"customerTenantId": tenant, "customerDomain": domain, "country": "FR",
			"contactEmail": "it@" + domain})
		code, answer := onboarding(t, http.MethodPost, triggerURL+"/v1/transfers", body)
		require.Equal(t, http.StatusCreated, code, "POST /v1/transfers: %s", answer)
		var started struct {
			WorkflowID string `json:"workflowId"`
		}
		require.NoError(t, json.Unmarshal(answer, &started))
		require.NotEmpty(t, started.WorkflowID, string(answer))
		all = append(all, transfer{tenant, domain, started.WorkflowID})
	}
	statusOf := func(id string) (csptransfer.TransferStatus, error) {
		var st csptransfer.TransferStatus
		code, answer := onboarding(t, http.MethodGet, triggerURL+"/v1/transfers/"+id, nil)
		if code != http.StatusOK {
			return st, fmt.Errorf("GET /v1/transfers/%s: %d %s", id, code, answer)
		}
		return st, json.Unmarshal(answer, &st)
	}
	waitStage := func(tr transfer, what string, timeout time.Duration, ok func(csptransfer.Stage) bool) csptransfer.TransferStatus {
		t.Helper()
		deadline := time.Now().Add(timeout)
		var st csptransfer.TransferStatus
		var err error
		for time.Now().Before(deadline) {
			st, err = statusOf(tr.id)
			if err == nil && ok(st.Stage) {
				return st
			}
			if err == nil && st.Stage.Terminal() {
				t.Fatalf("%s ended in %s before %s: %s", tr.id, st.Stage, what, st.LastError)
			}
			time.Sleep(500 * time.Millisecond)
		}
		t.Fatalf("%s did not reach %s within %s: stage %s, last error %q, err %v", tr.id, what, timeout, st.Stage, st.LastError, err)
		return st
	}
	for _, tr := range all {
		st := waitStage(tr, "AwaitingAcceptance", 3*time.Minute, func(s csptransfer.Stage) bool { return s == csptransfer.StageAwaitingAcceptance })
		require.Equal(t, sandbox.PartnerEU, st.PartnerTenantID)
		// The customer accepts in the (simulated) admin center; the sandbox sends the signed webhook to the
		// trigger service, which verifies it and signals the transfer.
		require.NoError(t, admin.Accept(ctx, tr.tenant, sandbox.AcceptInput{PartnerTenantID: st.PartnerTenantID}))
	}
	for _, tr := range all {
		waitStage(tr, "AwaitingExpiry", 4*time.Minute, func(s csptransfer.Stage) bool { return s == csptransfer.StageAwaitingExpiry })
	}
	t.Logf("all %d transfers sleep until the originals end at %s (in %s)", len(all), expires.Format(time.TimeOnly),
		time.Until(expires).Round(time.Second))

	// --- kill the server mid-wait and start it again on the same database -----------------------------
	require.Greater(t, time.Until(expires), 30*time.Second,
		"the transfers reached AwaitingExpiry too late to restart the server before their timers fire: raise topologyExpiry")
	srv.kill(t)
	t.Log("killed the Temporal server (SIGKILL)")
	time.Sleep(3 * time.Second) // the workers and the trigger service see it gone
	start = time.Now()
	srv.start(t)
	waitHealthy(t, bin, srv, env)
	t.Logf("Temporal server back after %s", time.Since(start).Round(time.Millisecond))
	for _, tr := range all {
		st := waitStage(tr, "AwaitingExpiry after the restart", 2*time.Minute, func(s csptransfer.Stage) bool { return s != "" })
		require.Equal(t, csptransfer.StageAwaitingExpiry, st.Stage, "%s still sleeps after the restart", tr.id)
	}
	require.True(t, time.Now().Before(expires), "the server was back before the originals' end, so the timers fired after the restart")

	// --- every transfer completes ----------------------------------------------------------------------
	for _, tr := range all {
		var rep csptransfer.TransferReport
		deadline := time.Now().Add(topologyExpiry + 5*time.Minute)
		for {
			gctx, cancel := context.WithTimeout(ctx, time.Until(deadline))
			err := c.GetWorkflow(gctx, tr.id, "").Get(gctx, &rep)
			cancel()
			if err == nil {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s: %v", tr.id, err)
			time.Sleep(time.Second)
		}
		require.Equal(t, csptransfer.StageCompleted, rep.Outcome, "%s: %s", tr.id, rep.Reason)
		desc, err := c.DescribeWorkflowExecution(ctx, tr.id, "")
		require.NoError(t, err)
		closed := desc.WorkflowExecutionInfo.GetCloseTime().AsTime()
		require.False(t, closed.Before(expires), "%s closed at %s, before the originals' end %s", tr.id, closed, expires)
	}
	t.Logf("all %d transfers completed", len(all))

	// --- both workers worked, within the partner tenant's budget ---------------------------------------
	for i, m := range metrics {
		n := apiCalls(t, "http://"+m+"/metrics")
		t.Logf("worker-%d sent %d Partner Center and Graph requests", i+1, n)
		require.Positive(t, n, "worker-%d called the sandbox: both workers share the work", i+1)
	}
	calls, err := admin.Calls(ctx, 600)
	require.NoError(t, err)
	var eu *sandbox.TenantCalls
	for i := range calls.Tenants {
		if strings.EqualFold(calls.Tenants[i].TenantID, sandbox.PartnerEU) {
			eu = &calls.Tenants[i]
		}
	}
	require.NotNil(t, eu, "the sandbox counted the partner tenant's calls")
	t.Logf("partner tenant: %d Partner Center calls (at most %d in a second), %d Graph calls (at most %d in a second); "+
		"limit %d/s per API across 2 workers with bursts of 1; %d throttled", eu.PartnerCenter, eu.MaxPartnerCenterPerSecond,
		eu.Graph, eu.MaxGraphPerSecond, topologyRate, eu.Throttled)
	require.LessOrEqual(t, eu.MaxPartnerCenterPerSecond, int64(topologyRate+2), "Partner Center calls within the shared budget every second")
	require.LessOrEqual(t, eu.MaxGraphPerSecond, int64(topologyRate+2), "Graph calls within the shared budget every second")
	require.Greater(t, eu.PartnerCenter, int64(4*topologyRate), "enough load for the limit to matter")
}

// cleanEnv is this process's environment without the settings of the programs under test, so a
// developer's shell does not leak into the stack.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CSP_") || strings.HasPrefix(k, "TEMPORAL_") || strings.HasPrefix(k, "PARTNER_CENTER_") ||
			strings.HasPrefix(k, "POSTGRES_") || strings.HasPrefix(k, "SQL_") || strings.HasPrefix(k, "PG") ||
			k == "GRAPH_BASE_URL" || k == "IDENTITY_AUTHORITY" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func withPath(env []string, dir string) []string {
	out := make([]string, 0, len(env)+1)
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+dir+string(os.PathListSeparator)+path)
}

func writeExec(t *testing.T, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, []byte(content), 0o755))
}

// topologyPorts returns n distinct free TCP ports on 127.0.0.1.
func topologyPorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	return ports
}

// lowPorts returns n distinct free TCP ports on 127.0.0.1 between 20000 and 32767, chosen at random.
func lowPorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for try := 0; len(ports) < n && try < 10000; try++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12768)))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	require.Len(t, ports, n, "free ports below 32768")
	return ports
}

// runCmd runs a command to completion and returns its combined output, failing the test on an error.
func runCmd(t *testing.T, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// proc is a long-running program of the stack, its output in <work>/<name>.log.
type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
}

func startProc(t *testing.T, work, name string, env []string, path string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(work, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.Dir = work
	require.NoError(t, p.cmd.Start(), name)
	go func() { _ = p.cmd.Wait(); _ = f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(30 * time.Second)
		if t.Failed() {
			p.dump(t, 40)
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and kills the program when it has not exited within grace.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) dump(t *testing.T, lines int) {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	t.Logf("last lines of %s (%s):\n%s", p.name, p.log, strings.Join(all, "\n"))
}

// waitLog waits for a JSON log line that ok accepts.
func (p *proc) waitLog(t *testing.T, ok func(map[string]any) bool, timeout time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		require.False(t, p.exited(), "%s exited while waiting for %s", p.name, what)
		if f, err := os.Open(p.log); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var line map[string]any
				if json.Unmarshal(sc.Bytes(), &line) == nil && ok(line) {
					_ = f.Close()
					return
				}
			}
			_ = f.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: no log line about %s within %s", p.name, what, timeout)
}

// waitHTTP waits until url answers 200 while p runs.
func waitHTTP(t *testing.T, url string, p *proc) {
	t.Helper()
	hc := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		require.False(t, p.exited(), "%s exited before %s answered", p.name, url)
		if resp, err := hc.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 2 minutes", url)
}

// waitHealthy waits until the Temporal CLI reports the server SERVING.
func waitHealthy(t *testing.T, bin string, srv *temporalServer, env []string) {
	t.Helper()
	address := srv.address
	deadline := time.Now().Add(3 * time.Minute)
	var out []byte
	for time.Now().Before(deadline) {
		require.False(t, srv.p.exited(), "the Temporal server exited before it was healthy")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "temporal"), "operator", "cluster", "health", "--address", address)
		cmd.Env = env
		var err error
		out, err = cmd.CombinedOutput()
		cancel()
		if err == nil && bytes.Contains(out, []byte("SERVING")) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("the Temporal server on %s was not healthy within 3 minutes: %s", address, out)
}

// onboarding calls the trigger service's onboarding API with its token.
func onboarding(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+onboardingToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer func() { _ = resp.Body.Close() }()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// apiCalls sums a worker's csp_api_calls counter from its Prometheus endpoint.
func apiCalls(t *testing.T, url string) int64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var n float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "csp_api_calls_total") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			n += v
		}
	}
	return int64(n)
}

// temporalServer is the Temporal server process, restartable on the same configuration and database.
type temporalServer struct {
	bin, config, work string
	address           string
	env               []string
	p                 *proc
}

func newTemporalServer(t *testing.T, work, bin, root string, pgPort int, ports []int, env []string) *temporalServer {
	t.Helper()
	require.Len(t, ports, 9)
	s := &temporalServer{bin: bin, work: work, env: env, config: filepath.Join(work, "temporal.yaml"),
		address: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	// The server's config/development-postgres12.yaml with free ports, no metrics or pprof listeners, and
	// compose's dynamic config.
	ds := func(db string, conns int) string {
		return fmt.Sprintf(`      sql:
        pluginName: postgres12
        databaseName: %s
        connectAddr: "127.0.0.1:%d"
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: %d
        maxIdleConns: %d
        maxConnLifetime: 1h
`, db, pgPort, conns, conns)
	}
	svc := func(name string, grpc, membership int, extra string) string {
		return fmt.Sprintf("  %s:\n    rpc:\n      grpcPort: %d\n      membershipPort: %d\n      bindOnLocalHost: true\n%s",
			name, grpc, membership, extra)
	}
	cfg := "log:\n  stdout: true\n  level: warn\n\n" +
		"persistence:\n  defaultStore: postgres-default\n  visibilityStore: postgres-visibility\n  numHistoryShards: 4\n" +
		"  datastores:\n    postgres-default:\n" + ds("temporal", 20) + "    postgres-visibility:\n" + ds("temporal_visibility", 10) +
		"\nglobal:\n  membership:\n    maxJoinDuration: 30s\n    broadcastAddress: 127.0.0.1\n\n" +
		"services:\n" +
		svc("frontend", ports[0], ports[1], fmt.Sprintf("      httpPort: %d\n", ports[2])) +
		svc("matching", ports[3], ports[4], "") +
		svc("history", ports[5], ports[6], "") +
		svc("worker", ports[7], ports[8], "") +
		fmt.Sprintf(`
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:%d"
      httpAddress: "127.0.0.1:%d"

dcRedirectionPolicy:
  policy: noop

dynamicConfigClient:
  filepath: %q
  pollInterval: 10s
`, ports[0], ports[2], filepath.Join(root, "deploy", "temporal", "dynamicconfig", "development-sql.yaml"))
	require.NoError(t, os.WriteFile(s.config, []byte(cfg), 0o644))
	return s
}

func (s *temporalServer) start(t *testing.T) {
	t.Helper()
	s.p = startProc(t, s.work, "temporal-server", s.env, s.bin, "--config-file", s.config, "--allow-no-auth", "start")
}

// kill ends the server without a chance to clean up, as a crash or an OOM kill would.
func (s *temporalServer) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, s.p.cmd.Process.Kill())
	select {
	case <-s.p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the killed Temporal server did not exit")
	}
}

// TestTemporalServerPinMatchesCompose: make topology proves the server compose runs, not another one.
func TestTemporalServerPinMatchesCompose(t *testing.T) {
	m := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server (v\S+)`).FindStringSubmatch(readRepoFile(t, "tools/temporalserver/go.mod"))
	require.NotNil(t, m, "tools/temporalserver/go.mod requires go.temporal.io/server")
	f := loadCompose(t)
	for _, svc := range []string{svcTemporal, svcAdminTools, svcCreateNamespace} {
		require.Equal(t, m[1], "v"+imageTag(f.Services[svc].Image),
			"tools/temporalserver/go.mod pins the Temporal server of %s's image %s: change them together", svc, f.Services[svc].Image)
	}
}
