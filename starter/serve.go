package main

import (
	"github.com/spf13/cobra"

	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/logging"
	"github.com/csptransfer/csptransfer/internal/trigger"
)

// newServeCmd runs the trigger service: Partner Center webhooks, the onboarding API, health probes and the
// reconciliation schedule. docs/triggers.md describes its endpoints and settings.
func newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the trigger service: Partner Center webhooks, the onboarding API (POST /v1/transfers), health probes",
		Long: `serve runs the trigger service (default 127.0.0.1:8090, CSP_TRIGGER_ADDR):

  POST /webhooks/partner-center  signed Partner Center events -> workflow signals
  POST /v1/transfers             start a transfer (Authorization: Bearer $CSP_ONBOARDING_TOKEN)
  GET  /v1/transfers/{id}        a transfer's status
  GET  /healthz, /readyz         process up; Temporal reachable

At start it creates or updates the Temporal Schedule csp-transfer-reconcile (CSP_RECONCILE_EVERY, default
15m) that catches acceptances whose webhook was lost. Outside sandbox mode (CSP_TRIGGER_MODE=sandbox) it
refuses to start without CSP_ONBOARDING_TOKEN. Settings: docs/triggers.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.LoadTrigger()
			if err != nil {
				return err
			}
			log, err := logging.New(logging.Options{Format: logging.Format(cfg.Log.Format), Level: cfg.Log.Level, Out: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			return (&trigger.Main{Config: cfg, Log: log.Named("trigger")}).Run(cmd.Context())
		},
	}
}
