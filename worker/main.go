// Command worker runs the csptransfer Temporal worker: it polls the csp-transfer task queue and executes
// CSPTransfer workflows and their activities. With no Partner Center credentials configured it serves the
// built-in Partner Center and Graph sandbox and talks to that instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/logging"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/workerapp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	runDemo := fs.Bool("demo", false, "run one complete sandbox transfer end to end, print its report and exit")
	demoScenario := fs.String("demo-scenario", demo.ScenarioOffer, "the -demo story: "+strings.Join(demo.Scenarios(), ", "))
	sandboxOnly := fs.Bool("sandbox-only", false, "serve only the Partner Center and Graph sandbox on CSP_SANDBOX_ADDR (no Temporal), for exploring the API")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if !slices.Contains(demo.Scenarios(), *demoScenario) {
		return fmt.Errorf("-demo-scenario %s: expected one of %s", csptransfer.Quote(*demoScenario), strings.Join(demo.Scenarios(), ", "))
	}

	cfg, err := config.LoadWorker()
	if err != nil {
		return err
	}
	log, err := logging.New(logging.Options{Format: logging.Format(cfg.Log.Format), Level: cfg.Log.Level})
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	if *sandboxOnly {
		url := "http://" + cfg.Sandbox.Addr
		if cfg.Sandbox.PublicURL != "" {
			url = cfg.Sandbox.PublicURL
		}
		log.Info("serving only the sandbox; see internal/sandbox/README.md for its admin API", zap.String("url", url))
		return sandbox.ListenAndServe(ctx, cfg.Sandbox.Addr, sandbox.Options{
			PublicURL: url, StateFile: cfg.Sandbox.StateFile, WebhookURL: cfg.Sandbox.WebhookURL, Logger: logging.Slog(log.Named("sandbox")),
		})
	}
	return (&workerapp.Main{Config: cfg, Log: log, Demo: *runDemo, DemoScenario: *demoScenario, Out: os.Stdout}).Run(ctx)
}
