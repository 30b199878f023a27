// Command starter is the operator CLI for csptransfer: it starts, steers and inspects transfers, imports
// customers in bulk, and runs the trigger service. It talks to Temporal through the same TEMPORAL_* settings
// and temporal.toml profiles as the worker.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/csptransfer/csptransfer"
)

// Exit codes. Scripts depend on them; docs/cli.md and `starter --help` list them.
const (
	exitOK             = 0
	exitError          = 1
	exitUsage          = 2
	exitNotFound       = 3
	exitRefused        = 4
	exitAlreadyRunning = 5
)

const exitCodesHelp = `Exit codes:
  0  ok
  1  error (Temporal unreachable, a failed call, a declined confirmation, import rows that failed to start)
  2  usage or validation error (bad flag, bad ID, invalid request or CSV; nothing was changed)
  3  not found (no such transfer)
  4  refused by the workflow (a rejected update such as a stale plan version, or the transfer has ended)
  5  already running (start --fail-if-running found an open transfer for the customer)`

const defaultUIURL = "http://localhost:8233"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, newApp(envconfig.EnvLookupOS), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the CLI with args and returns its exit code; errors are printed to errOut once, here.
func execute(ctx context.Context, a *app, args []string, in io.Reader, out, errOut io.Writer) int {
	root := a.root(out)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(errOut, "starter:", err)
	if strings.Contains(err.Error(), "binary/encrypted") {
		fmt.Fprintln(errOut, "starter: the transfer's data is encrypted: set CSP_CODEC_KEYS_FILE (or CSP_CODEC_KEYS) to the worker's key ring")
	}
	return exitCode(err)
}

// newRoot builds the command tree reading settings from the process environment.
func newRoot(out io.Writer) *cobra.Command {
	return newApp(envconfig.EnvLookupOS).root(out)
}

// app holds what every command shares: where settings come from, the clock, the global flags.
type app struct {
	env envconfig.EnvLookup
	now func() time.Time
	// interactive reports whether a stream is a terminal (redraws, progress bars, prompts).
	interactive func(any) bool

	jsonOut        bool
	uiURL          string
	timeout        time.Duration
	connectTimeout time.Duration
}

func newApp(env envconfig.EnvLookup) *app {
	return &app{env: env, now: time.Now, interactive: isTerminal}
}

func (a *app) root(out io.Writer) *cobra.Command {
	ui, uiErr := a.defaultUI()
	root := &cobra.Command{
		Use:   "starter",
		Short: "Start, steer and inspect csptransfer transfers",
		Long: `starter is the operator CLI for csptransfer. It starts transfers (one at a time or from a CSV file),
answers what a transfer waits for (acceptance, plan approval, offer choice, a partner-to-partner transfer
request, expiry), and shows where each transfer stands. Human tables by default, --json for scripts.

It connects like the worker: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE (temporal.toml). Links point at --ui, else CSP_UI_URL, else
http://localhost:$TEMPORAL_UI_PORT (the port make run gives the UI), else ` + defaultUIURL + `.

An ID is a workflow ID (csp-transfer-<customer tenant id>) or the customer tenant id itself.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			// A bad setting in the environment only matters when --ui does not replace it.
			if uiErr != nil && !cmd.Flags().Changed("ui") {
				return uiErr
			}
			return a.checkGlobals()
		},
	}
	root.SetOut(out)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	f := root.PersistentFlags()
	f.BoolVar(&a.jsonOut, "json", false, "print JSON instead of tables")
	f.StringVar(&a.uiURL, "ui", ui, "Temporal UI base URL for links (env CSP_UI_URL, or TEMPORAL_UI_PORT on localhost)")
	f.DurationVar(&a.timeout, "timeout", 30*time.Second, "how long one command may wait for Temporal")
	f.DurationVar(&a.connectTimeout, "connect-timeout", 5*time.Second, "how long to try reaching Temporal before giving up")

	root.AddCommand(
		newSearchAttributesCmd(),
		a.startCmd(),
		a.importCmd(),
		a.acceptCmd(),
		a.agreementCmd(),
		a.approveCmd(),
		a.mapOfferCmd(),
		a.skipWaitCmd(),
		a.cancelTransferCmd(),
		a.abortCmd(),
		a.statusCmd(),
		a.watchCmd(),
		a.listCmd(),
		a.reportCmd(),
	)
	// The trigger service (serve.go) registers itself here.
	root.AddCommand(newServeCmd())
	return root
}

// defaultUI is the Temporal UI base URL when --ui is not given: CSP_UI_URL, else the UI port make run
// was given (TEMPORAL_UI_PORT, which scripts/run.sh turns into CSP_UI_URL the same way), else the dev
// server's. The error names a bad setting.
func (a *app) defaultUI() (string, error) {
	if v, ok := a.env.LookupEnv("CSP_UI_URL"); ok && strings.TrimSpace(v) != "" {
		v = strings.TrimSpace(v)
		if !isUIURL(v) {
			return v, usagef("CSP_UI_URL: %q is not an absolute http(s) URL, e.g. %s", v, defaultUIURL)
		}
		return v, nil
	}
	if v, ok := a.env.LookupEnv("TEMPORAL_UI_PORT"); ok && strings.TrimSpace(v) != "" {
		port, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || port < 1 || port > 65535 {
			return defaultUIURL, usagef("TEMPORAL_UI_PORT: %q is not a port (1 to 65535)", v)
		}
		return "http://localhost:" + strconv.Itoa(port), nil
	}
	return defaultUIURL, nil
}

// isUIURL accepts an absolute http(s) URL without query or fragment: links are made by appending a path.
func isUIURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

func (a *app) checkGlobals() error {
	if !isUIURL(a.uiURL) {
		return usageError(fmt.Errorf("--ui: %q is not an absolute http(s) URL without query or fragment, e.g. %s", a.uiURL, defaultUIURL))
	}
	if a.timeout <= 0 || a.timeout > time.Hour {
		return usageError(fmt.Errorf("--timeout: %s is not between 1ns and 1h", a.timeout))
	}
	if a.connectTimeout <= 0 || a.connectTimeout > 5*time.Minute {
		return usageError(fmt.Errorf("--connect-timeout: %s is not between 1ns and 5m", a.connectTimeout))
	}
	return nil
}

// newSearchAttributesCmd prints the custom search attributes the workflow writes, one "Name Type" per line,
// so scripts register exactly the names the code uses.
func newSearchAttributesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "search-attributes",
		Short: "Print the custom search attributes to register on a namespace (name and type per line)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, sa := range csptransfer.SearchAttributes() {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", sa.Name, sa.Type); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// codeError carries an exit code with an error.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}

func usageError(err error) error { return withCode(exitUsage, err) }

func usagef(format string, args ...any) error { return usageError(fmt.Errorf(format, args...)) }

// problemsError lists every problem on its own line under a title, as a usage error.
func problemsError(title string, problems []string) error {
	return usageError(errors.New(title + ":\n  " + strings.Join(problems, "\n  ")))
}

// invalidRequest lists every field problem of a request, one per line.
func invalidRequest(verr *csptransfer.ValidationError) error {
	lines := make([]string, len(verr.Problems))
	for i, p := range verr.Problems {
		lines[i] = p.String()
	}
	return problemsError("invalid transfer request", lines)
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	// Cobra reports unknown subcommands as plain errors.
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return exitUsage
	}
	return exitError
}

// exactArgs is cobra.ExactArgs with a usage exit code and the argument's name in the message.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s takes %d argument(s) (%s), got %d", cmd.Name(), len(names), strings.Join(names, ", "), len(args))
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.Name(), args)
	}
	return nil
}
