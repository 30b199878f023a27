// Package devserver starts a real Temporal dev server for integration tests, from the Temporal CLI that
// `make tools` builds into .bin/ (pinned in tools/go.mod). Nothing is downloaded.
package devserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
)

// CLIEnv names the variable that points at the Temporal CLI binary; the Makefile sets it.
const CLIEnv = "CSP_TEMPORAL_CLI"

// Options configure Start.
type Options struct {
	// SearchAttributes maps custom search attribute names to their types (Keyword, Datetime, ...).
	SearchAttributes map[string]string
	// DBFilename keeps state in a SQLite file, e.g. to restart the server on the same history.
	DBFilename string
	// ClientOptions are the base options for the server's client; HostPort picks the port.
	ClientOptions *client.Options
	// DynamicConfig sets server dynamic configuration values, e.g.
	// "limit.historyCount.suggestContinueAsNew": "60" to make transfers continue as new early.
	DynamicConfig map[string]string
}

// CLIPath finds the Temporal CLI: $CSP_TEMPORAL_CLI, else .bin/temporal in the repository.
func CLIPath() (string, error) {
	if p := os.Getenv(CLIEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", CLIEnv, p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".bin", "temporal")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return "", fmt.Errorf("no Temporal CLI at %s: run `make tools` (or `make test`) first", p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no Temporal CLI found: run `make tools` or set %s", CLIEnv)
		}
		dir = parent
	}
}

// Start starts a dev server for the test and stops it when the test ends. Its output is shown only when
// the test fails.
func Start(tb testing.TB, opts Options) *testsuite.DevServer {
	tb.Helper()
	path, err := CLIPath()
	if err != nil {
		tb.Fatal(err)
	}
	var args []string
	for name, typ := range opts.SearchAttributes {
		args = append(args, "--search-attribute", name+"="+typ)
	}
	for key, value := range opts.DynamicConfig {
		args = append(args, "--dynamic-config-value", key+"="+value)
	}
	out := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  path,
		ClientOptions: opts.ClientOptions,
		DBFilename:    opts.DBFilename,
		LogLevel:      "error",
		ExtraArgs:     args,
		Stdout:        out,
		Stderr:        out,
	})
	if err != nil {
		tb.Fatalf("start Temporal dev server: %v\n%s", err, out.String())
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Logf("stop Temporal dev server: %v", err)
		}
		if tb.Failed() {
			tb.Logf("Temporal dev server output:\n%s", out.String())
		}
	})
	return srv
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
