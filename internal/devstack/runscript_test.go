package devstack_test

// Tests of scripts/run.sh (`make run`) as an operator uses it: on non-default ports, with a second shell
// that sources the env file it writes, a worker and a trigger service that are killed and come back, and
// Ctrl-C. The script runs from a copy of the checkout's layout (scripts/run.sh, .bin/) in a temporary
// directory, with worker and starter built from this tree, so the real .bin/ and .data/ are never touched.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/devserver"
)

// portVars are the variables run.sh takes its five ports from, in the order freePorts returns them.
var portVars = []string{"TEMPORAL_PORT", "TEMPORAL_UI_PORT", "CSP_SANDBOX_PORT", "CSP_TRIGGER_PORT", "CSP_METRICS_PORT"}

func TestRunScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	root := mustScriptRoot(t, true)
	ports := freePorts(t, len(portVars))
	tp, ui, sb, tr, met := ports[0], ports[1], ports[2], ports[3], ports[4]

	// A data directory an older run.sh left readable by others.
	data := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.Mkdir(data, 0o755))
	require.NoError(t, os.Chmod(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "temporal.log"), []byte("old\n"), 0o644))
	require.NoError(t, os.Chmod(filepath.Join(data, "temporal.log"), 0o644))

	p := mustStartScript(t, root, append(portEnv(ports), "CSP_DATA_DIR="+data))
	p.waitOutput(t, "Press Ctrl-C to stop everything.", 60*time.Second)

	t.Run("EnvFileNamesEveryVariable", func(t *testing.T) {
		got := sourceEnv(t, root, filepath.Join(data, "env"))
		want := map[string]string{
			"TEMPORAL_ADDRESS":     "127.0.0.1:" + tp,
			"TEMPORAL_NAMESPACE":   "default",
			"CSP_UI_URL":           "http://localhost:" + ui,
			"CSP_SANDBOX_URL":      "http://127.0.0.1:" + sb,
			"CSP_TRIGGER_URL":      "http://127.0.0.1:" + tr,
			"CSP_METRICS_URL":      "http://127.0.0.1:" + met + "/metrics",
			"CSP_CODEC_KEYS_FILE":  filepath.Join(data, "codec.keys"),
			"CSP_ONBOARDING_TOKEN": "local-dev-onboarding-token",
		}
		for name, value := range want {
			if got, want := got[name], value; got != want {
				t.Errorf("%s=%q after source env, want %q", name, got, want)
			}
			if line := "export " + name + "=" + value; !strings.Contains(p.output(), line) {
				t.Errorf("hint lacks %q", line)
			}
		}
		if v, ok := got["CSP_CODEC_KEYS"]; ok {
			t.Errorf("CSP_CODEC_KEYS=%q survives source env; it conflicts with CSP_CODEC_KEYS_FILE", v)
		}
		require.Contains(t, p.output(), "source "+data+"/env")
	})

	t.Run("DataIsPrivate", func(t *testing.T) {
		requirePrivate(t, data, "codec.keys", "env", "temporal.db", "temporal.log", "worker.pid", "trigger.pid", "temporal.pid")
	})

	server := readPid(t, data, "temporal")
	// A second shell whose environment points at another server and holds other keys: the env file wins.
	t.Run("SecondShellListsTransfers", func(t *testing.T) {
		requireStarterList(t, root, data)
	})

	t.Run("KilledWorkerIsRestarted", func(t *testing.T) {
		old := readPid(t, data, "worker")
		require.NoError(t, syscall.Kill(old, syscall.SIGKILL))
		p.waitOutput(t, fmt.Sprintf("the worker (pid %d) exited with status 137", old), 20*time.Second)
		requireRestarted(t, data, "worker", old)
		requireReady(t, met, 30*time.Second)
		require.Equal(t, server, readPid(t, data, "temporal"), "the Temporal server was restarted")
		require.NoError(t, syscall.Kill(server, 0), "the Temporal server is gone")
		requireStarterList(t, root, data)
	})

	t.Run("StoppedTriggerServiceIsRestarted", func(t *testing.T) {
		old := readPid(t, data, "trigger")
		require.NoError(t, syscall.Kill(old, syscall.SIGTERM))
		p.waitOutput(t, fmt.Sprintf("the trigger service (pid %d) exited with status 0", old), 20*time.Second)
		requireRestarted(t, data, "trigger", old)
		requireReady(t, tr, 30*time.Second)
		require.Equal(t, server, readPid(t, data, "temporal"), "the Temporal server was restarted")
	})

	t.Run("InterruptStopsEverything", func(t *testing.T) {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
		require.NoError(t, p.wait(60*time.Second), "run.sh after SIGINT")
		if err := syscall.Kill(-p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("processes of run.sh's group survive it (kill -0: %v)", err)
		}
		for i, port := range ports {
			l, err := net.Listen("tcp", "127.0.0.1:"+port)
			require.NoError(t, err, "%s=%s is still taken", portVars[i], port)
			require.NoError(t, l.Close())
		}
		for _, name := range []string{"env", "worker.pid", "trigger.pid", "temporal.pid"} {
			_, err := os.Stat(filepath.Join(data, name))
			require.ErrorIs(t, err, fs.ErrNotExist, "%s left behind", name)
		}
		requirePrivate(t, data, "codec.keys", "temporal.db", "sandbox.json")
	})
}

func TestRunScriptPortBusy(t *testing.T) {
	tests := []struct {
		name string
		busy []string
	}{
		{name: "Trigger", busy: []string{"CSP_TRIGGER_PORT"}},
		{name: "Temporal", busy: []string{"TEMPORAL_PORT"}},
		{name: "UIAndMetrics", busy: []string{"TEMPORAL_UI_PORT", "CSP_METRICS_PORT"}},
	}
	// The port check comes before anything else, so no binaries are needed and nothing may be created.
	root := mustScriptRoot(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ports := freePorts(t, len(portVars))
			for _, v := range tt.busy {
				l, err := net.Listen("tcp", "127.0.0.1:"+ports[slices.Index(portVars, v)])
				require.NoError(t, err)
				t.Cleanup(func() { _ = l.Close() })
			}
			data := filepath.Join(t.TempDir(), "state")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "run.sh"))
			cmd.Dir = root
			cmd.Env = append(baseEnv(t), append(portEnv(ports), "CSP_DATA_DIR="+data)...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "run.sh with a busy port:\n%s", out)
			if got, want := exit.ExitCode(), 1; got != want {
				t.Fatalf("exit code %d, want %d:\n%s", got, want, out)
			}
			for i, v := range portVars {
				busy := slices.Contains(tt.busy, v)
				if named := strings.Contains(string(out), v); named != busy {
					t.Errorf("output names %s: %v, want %v (port %s busy: %v):\n%s", v, named, busy, ports[i], busy, out)
				}
				if busy && !strings.Contains(string(out), "port "+ports[i]+" ("+v+",") {
					t.Errorf("output lacks %q:\n%s", "port "+ports[i]+" ("+v+",", out)
				}
			}
			_, err = os.Stat(data)
			require.ErrorIs(t, err, fs.ErrNotExist, "run.sh created its data directory although it stopped")
		})
	}
}

// script is a running run.sh in its own process group.
type script struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func mustStartScript(t *testing.T, root string, env []string) *script {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", "run.sh"))
	cmd.Dir = root
	cmd.Env = append(baseEnv(t), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	s := &script{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		// Whatever the test left running is killed with its whole group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = s.wait(10 * time.Second)
		if t.Failed() {
			t.Logf("run.sh output:\n%s", out.String())
		}
	})
	return s
}

func (s *script) output() string { return s.out.String() }

// waitOutput waits until the output holds want; it fails the test if run.sh ends first.
func (s *script) waitOutput(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(s.output(), want) {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("run.sh ended (%v) before printing %q", err, want)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("run.sh did not print %q within %s", want, within)
		}
	}
}

func (s *script) wait(within time.Duration) error {
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(within):
		return fmt.Errorf("still running after %s", within)
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// mustScriptRoot lays out a checkout in a temporary directory: scripts/run.sh and, withBinaries, a .bin/
// with the Temporal CLI (linked) and worker and starter built from this tree. It skips the test when the
// Temporal CLI has not been built (make tools).
func mustScriptRoot(t *testing.T, withBinaries bool) string {
	t.Helper()
	repo := mustRepoRoot(t)
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "scripts"), 0o755))
	script, err := os.ReadFile(filepath.Join(repo, "scripts", "run.sh"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "scripts", "run.sh"), script, 0o755))
	if !withBinaries {
		return root
	}
	cli, err := devserver.CLIPath()
	if err != nil {
		t.Skipf("no Temporal CLI: %v", err)
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "runscript-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir+"/", "./worker", "./starter")
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	bin := filepath.Join(root, ".bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for name, target := range map[string]string{
		"temporal": cli, "worker": filepath.Join(binDir, "worker"), "starter": filepath.Join(binDir, "starter"),
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(bin, name)))
	}
	return root
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func mustRepoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "run.sh")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no scripts/run.sh above the test's directory")
		dir = parent
	}
}

// baseEnv is a clean environment: nothing of the developer's TEMPORAL_* or CSP_* settings, and a HOME
// without a temporal.toml.
func baseEnv(t *testing.T) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CSP_LOG_LEVEL=warn"}
}

func portEnv(ports []string) []string {
	env := make([]string, len(ports))
	for i, p := range ports {
		env[i] = portVars[i] + "=" + p
	}
	return env
}

// freePorts returns n distinct free ports, none of them a default of run.sh.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		p := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		switch p {
		case "7233", "8233", "8089", "8090", "9090":
			continue
		}
		ports = append(ports, p)
	}
	return ports
}

// sourceEnv sources file in a shell whose environment names another server and other keys, as an
// operator's second terminal might, and returns the environment it ends with.
func sourceEnv(t *testing.T, root, file string) map[string]string {
	t.Helper()
	cmd := exec.Command("bash", "-c", `source "$1" && env`, "bash", file)
	cmd.Dir = root
	cmd.Env = append(baseEnv(t), "TEMPORAL_ADDRESS=127.0.0.1:7233", "CSP_CODEC_KEYS=old=c2VjcmV0")
	out, err := cmd.Output()
	require.NoError(t, err)
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env
}

// requireStarterList runs the README's second-shell steps: source the env file, then .bin/starter list.
func requireStarterList(t *testing.T, root, data string) {
	t.Helper()
	cmd := exec.Command("bash", "-c", `source "$1" && exec .bin/starter list --connect-timeout 5s`, "bash", filepath.Join(data, "env"))
	cmd.Dir = root
	cmd.Env = append(baseEnv(t), "TEMPORAL_ADDRESS=127.0.0.1:7233", "CSP_CODEC_KEYS=old=c2VjcmV0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "source env && .bin/starter list:\n%s", out)
	require.Contains(t, string(out), "No transfers match.")
}

// requirePrivate checks that dir is 0700 and that every regular file in it is readable by its owner only;
// names must exist.
func requirePrivate(t *testing.T, dir string, names ...string) {
	t.Helper()
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	if got, want := fi.Mode().Perm(), fs.FileMode(0o700); got != want {
		t.Errorf("%s has mode %v, want %v", dir, got, want)
	}
	for _, name := range names {
		_, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, "%s missing", name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // a pid file replaced meanwhile
		}
		require.NoError(t, err)
		if info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", e.Name(), info.Mode().Perm())
		}
	}
}

func readPid(t *testing.T, data, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, name+".pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err, "%s.pid", name)
	return pid
}

// requireRestarted waits until <name>.pid names a live process other than old.
func requireRestarted(t *testing.T, data, name string, old int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(data, name+".pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != old && syscall.Kill(pid, 0) == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s was not restarted within 20s", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requireReady waits until GET http://127.0.0.1:<port>/readyz answers 200.
func requireReady(t *testing.T, port string, within time.Duration) {
	t.Helper()
	c := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(within)
	for {
		resp, err := c.Get("http://127.0.0.1:" + port + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("http://127.0.0.1:%s/readyz not ready within %s (last: %v)", port, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

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
