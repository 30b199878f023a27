package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/throttle"
)

// maxExtraWorkers bounds --workers: more processes than this on one machine measure the machine.
const maxExtraWorkers = 15

// workerSettings are the settings of a worker the load test starts: the Temporal connection and codec keys
// it was given itself (inherited from env), and the stack's sandbox as the worker's Partner Center and
// Graph, with the sandbox's app credentials, as a production worker calls Microsoft. The embedded
// sandbox is off, and the rates are those the report's ceiling assumes.
func workerSettings(env []string, sandboxURL, metricsAddr, tokenFile string, pcRate, graphRate float64) []string {
	set := []string{
		"PARTNER_CENTER_CLIENT_ID=" + sandbox.ClientID,
		"PARTNER_CENTER_CLIENT_SECRET=" + sandbox.ClientSecret,
		"PARTNER_CENTER_REFRESH_TOKEN=" + sandbox.RefreshToken,
		"PARTNER_CENTER_TENANT_IDS=" + strings.Join(sandbox.PartnerTenantIDs(), ","),
		"PARTNER_CENTER_BASE_URL=" + sandboxURL,
		"GRAPH_BASE_URL=" + sandboxURL + "/graph/v1.0",
		"IDENTITY_AUTHORITY=" + sandboxURL + "/login",
		"CSP_PC_REFRESH_TOKEN_FILE=" + tokenFile,
		"CSP_METRICS_ADDR=" + metricsAddr,
		"CSP_PC_RATE=" + strconv.FormatFloat(pcRate, 'f', -1, 64),
		"CSP_GRAPH_RATE=" + strconv.FormatFloat(graphRate, 'f', -1, 64),
		"CSP_LOG_FORMAT=json",
	}
	dropped := map[string]bool{"CSP_SANDBOX_ADDR": true, "CSP_SANDBOX_STATE": true}
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		dropped[name] = true
	}
	var out []string
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); !dropped[name] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

// extraWorkers are worker processes the load test started; stop ends them.
type extraWorkers struct {
	procs   []*exec.Cmd
	metrics []string
	dir     string
}

// startWorkers starts n worker processes of the binary at bin, each with a metrics listener of its own,
// and waits until each is ready and has its share of the partner tenants' budgets. Their logs go to files
// in a directory it names in the error, if any.
func startWorkers(ctx context.Context, n int, bin, sandboxURL string, pcRate, graphRate float64) (*extraWorkers, error) {
	dir, err := os.MkdirTemp("", "csp-loadtest-workers-")
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	w := &extraWorkers{dir: dir}
	for i := 1; i <= n; i++ {
		addr, err := freeAddr()
		if err != nil {
			w.stop()
			return nil, fmt.Errorf("workers: %w", err)
		}
		logPath := filepath.Join(dir, fmt.Sprintf("worker-%d.log", i))
		logFile, err := os.Create(logPath)
		if err != nil {
			w.stop()
			return nil, fmt.Errorf("workers: %w", err)
		}
		cmd := exec.Command(bin)
		cmd.Env = workerSettings(os.Environ(), sandboxURL, addr, filepath.Join(dir, fmt.Sprintf("worker-%d-tokens.json", i)), pcRate, graphRate)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			logFile.Close()
			w.stop()
			return nil, fmt.Errorf("start worker %s: %w", bin, err)
		}
		logFile.Close() // the child has its own descriptor
		w.procs = append(w.procs, cmd)
		url := "http://" + addr
		if err := waitReady(ctx, url+"/readyz", time.Minute); err != nil {
			w.stop()
			return nil, fmt.Errorf("worker %d not ready (log %s): %w", i, logPath, err)
		}
		w.metrics = append(w.metrics, url+"/metrics")
	}
	// A worker that joins others holds its calls until every worker has counted it (throttle.Share):
	// measuring before that would measure the hold.
	hold := throttle.JoinHold(config.DefaultRateShareEvery)
	if v, ok := os.LookupEnv("CSP_RATE_SHARE_EVERY"); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(v)); err == nil {
			hold = throttle.JoinHold(d)
		}
	}
	select {
	case <-ctx.Done():
		w.stop()
		return nil, ctx.Err()
	case <-time.After(hold):
	}
	return w, nil
}

// stop ends the workers as an operator would (SIGTERM: they finish their tasks), then removes their
// files; a worker still running after 30 s is killed.
func (w *extraWorkers) stop() {
	for _, p := range w.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range w.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	_ = os.RemoveAll(w.dir)
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls url until it answers 200 or within has passed.
func waitReady(ctx context.Context, url string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("no 200 from " + url)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// defaultWorkerBin is the worker binary next to this one, as make build puts them.
func defaultWorkerBin() string {
	self, err := os.Executable()
	if err != nil {
		return "worker"
	}
	return filepath.Join(filepath.Dir(self), "worker")
}
