package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
)

// operatorSource marks signals an operator sent through this CLI, as opposed to a webhook or the reconciler.
const operatorSource = "operator"

func (a *app) acceptCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "accept ID",
		Short: "Report that the customer accepted the reseller relationship (the transfer verifies it)",
		Long: `Report that the customer accepted the reseller relationship invitation. The transfer does not trust
the report: it checks Partner Center and goes on only once the relationship shows there.`,
		Example: "  starter accept 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f",
		Args:    exactArgs("ID"),
		RunE: a.onTransfer(true, func(ctx context.Context, cmd *cobra.Command, s *session, id string) error {
			if err := s.requireOpen(ctx, id, csptransfer.SignalRelationshipAccepted); err != nil {
				return err
			}
			tenant, _ := csptransfer.CustomerTenantIDFromWorkflowID(id)
			err := s.c.SignalWorkflow(ctx, id, "", csptransfer.SignalRelationshipAccepted,
				csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: operatorSource})
			if err != nil {
				return s.explain(ctx, id, csptransfer.SignalRelationshipAccepted, err)
			}
			return a.done(cmd, map[string]any{"workflowId": id, "signal": csptransfer.SignalRelationshipAccepted},
				"Acceptance reported for %s. The transfer verifies it with Partner Center before it goes on; see `starter status %s`.\n", id, id)
		}),
	}
}

func (a *app) approveCmd() *cobra.Command {
	var yes bool
	var comment string
	cmd := &cobra.Command{
		Use:   "approve ID",
		Short: "Show the plan and approve exactly that version",
		Long: `Show the transfer's plan and, after you answer y (or with --yes), approve that plan version. If the
plan changed after it was shown (e.g. an offer mapping), the workflow rejects the approval (exit code 4):
review it again.`,
		Example: "  starter approve 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f\n  starter approve csp-transfer-6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --yes --comment \"checked with the customer\"",
		Args:    exactArgs("ID"),
		RunE: a.onTransfer(false, func(ctx context.Context, cmd *cobra.Command, s *session, id string) error {
			qctx, cancel := context.WithTimeout(ctx, a.timeout)
			st, err := s.svc.Status(qctx, id)
			cancel()
			if err != nil {
				return s.explain(ctx, id, "status", err)
			}
			if st.Stage != csptransfer.StageAwaitingApproval {
				return withCode(exitRefused, fmt.Errorf("approve %s: the transfer is in stage %s, not %s", id, st.Stage, csptransfer.StageAwaitingApproval))
			}
			if !a.jsonOut || !yes {
				w := cmd.OutOrStdout()
				if a.jsonOut {
					w = cmd.ErrOrStderr()
				}
				fmt.Fprintf(w, "Plan v%d of %s (%s)\n", st.PlanVersion, st.CustomerDomain, id)
				renderPlan(w, st, a.now())
			}
			if !yes {
				ok, err := a.confirm(cmd, fmt.Sprintf("Approve plan v%d? [y/N] ", st.PlanVersion))
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("plan v%d not approved: nothing was sent", st.PlanVersion)
				}
			}
			uctx, cancel := context.WithTimeout(ctx, a.timeout)
			defer cancel()
			var res csptransfer.ApprovePlanResult
			if err := s.update(uctx, id, csptransfer.UpdateApprovePlan, csptransfer.ApprovePlan{PlanVersion: st.PlanVersion, Comment: comment}, &res); err != nil {
				return err
			}
			return a.done(cmd, res, "Plan v%d approved.\n", res.PlanVersion)
		}),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "approve without asking (for scripts)")
	cmd.Flags().StringVar(&comment, "comment", "", "note recorded in the transfer's timeline")
	return cmd
}

func (a *app) mapOfferCmd() *cobra.Command {
	var source, target string
	cmd := &cobra.Command{
		Use:   "map-offer ID --source SKU --target CATALOGITEM",
		Short: "Choose the catalog item that replaces an original SKU (the plan is made again)",
		Long: `Choose the catalog item (productId:skuId[:availabilityId]) bought for an original SKU (Graph skuId or
skuPartNumber). The transfer makes its plan again and answers with the new plan version; approve that one.
A line already ordered cannot change (exit code 4).`,
		Example: "  starter map-offer 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --source ENTERPRISEWITHSCAL --target CFQ7TTC0LFLX:0001",
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			var problems []string
			if err := csptransfer.ValidateSourceSku(strings.TrimSpace(source)); err != nil {
				problems = append(problems, "--source: "+err.Error())
			}
			if err := csptransfer.ValidateCatalogItemID(strings.TrimSpace(target)); err != nil {
				problems = append(problems, "--target: "+err.Error())
			}
			if len(problems) > 0 {
				return problemsError("invalid mapping", problems)
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				var res csptransfer.SetOfferMappingResult
				in := csptransfer.SetOfferMapping{SourceSku: strings.TrimSpace(source), TargetCatalogItemID: strings.TrimSpace(target)}
				if err := s.update(ctx, id, csptransfer.UpdateSetOfferMapping, in, &res); err != nil {
					return err
				}
				return a.done(cmd, res, "%s now maps to %s; the plan is version %d. Review it with `starter approve %s`.\n",
					in.SourceSku, in.TargetCatalogItemID, res.PlanVersion, id)
			})
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "original SKU: Graph skuId or skuPartNumber (required)")
	cmd.Flags().StringVar(&target, "target", "", "catalog item id productId:skuId[:availabilityId] (required)")
	return cmd
}

func (a *app) skipWaitCmd() *cobra.Command {
	var source, ack, reason string
	cmd := &cobra.Command{
		Use:   "skip-wait ID [--source SKU]",
		Short: "Stop waiting for originals to expire (no refund is due; requires an acknowledgement)",
		Long: `Stop waiting for the originals (all, or one with --source) to reach their end date. The originals
are not cancelled and no refund is due. You must type the sentence

  ` + csptransfer.NoRefundAcknowledgement + `

or pass it exactly with --acknowledge.`,
		Example: `  starter skip-wait 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --source STANDARDPACK \
    --acknowledge "` + csptransfer.NoRefundAcknowledgement + `" --reason "customer confirmed"`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			if source != "" {
				if err := csptransfer.ValidateSourceSku(strings.TrimSpace(source)); err != nil {
					return usagef("--source: %w", err)
				}
			}
			if !cmd.Flags().Changed("acknowledge") {
				fmt.Fprintf(cmd.ErrOrStderr(), "The originals are not cancelled and no refund is due. To go on, type exactly:\n  %s\n> ", csptransfer.NoRefundAcknowledgement)
				line, err := a.answer(cmd)
				if err != nil {
					return err
				}
				ack = line
			}
			if ack != csptransfer.NoRefundAcknowledgement {
				return usagef("acknowledgement must be exactly %q: nothing was sent", csptransfer.NoRefundAcknowledgement)
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				var res csptransfer.SkipExpiryWaitResult
				in := csptransfer.SkipExpiryWait{SourceSku: strings.TrimSpace(source), Acknowledgement: ack, Reason: reason}
				if err := s.update(ctx, id, csptransfer.UpdateSkipExpiryWait, in, &res); err != nil {
					return err
				}
				return a.done(cmd, res, "The wait for %d original(s) was skipped.\n", res.Skipped)
			})
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "only this original SKU (Graph skuId or skuPartNumber); default all")
	cmd.Flags().StringVar(&ack, "acknowledge", "", "the exact sentence: "+csptransfer.NoRefundAcknowledgement)
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the timeline")
	return cmd
}

func (a *app) abortCmd() *cobra.Command {
	var reason string
	var cancelRefundable bool
	cmd := &cobra.Command{
		Use:   "abort ID --reason TEXT [--cancel-refundable]",
		Short: "Stop a transfer (after purchase new subscriptions are kept unless --cancel-refundable)",
		Long: `Stop a transfer. Before anything was bought it simply ends. After purchase the new subscriptions are
kept, unless --cancel-refundable asks to cancel those still inside their refund window. Originals are
never cancelled.`,
		Example: `  starter abort 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --reason "customer stays with its reseller"`,
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason: required: say why the transfer stops (it is recorded in the timeline)")
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				if err := s.requireOpen(ctx, id, csptransfer.SignalAbort); err != nil {
					return err
				}
				err := s.c.SignalWorkflow(ctx, id, "", csptransfer.SignalAbort, csptransfer.Abort{Reason: strings.TrimSpace(reason), CancelRefundable: cancelRefundable})
				if err != nil {
					return s.explain(ctx, id, csptransfer.SignalAbort, err)
				}
				return a.done(cmd, map[string]any{"workflowId": id, "signal": csptransfer.SignalAbort},
					"Abort requested for %s; follow it with `starter watch %s`.\n", id, id)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the transfer stops (required)")
	cmd.Flags().BoolVar(&cancelRefundable, "cancel-refundable", false, "cancel new subscriptions still inside their refund window")
	return cmd
}

// update runs a workflow update to completion; a validator's rejection comes back with exit code 4.
func (s *session) update(ctx context.Context, id, name string, arg, result any) error {
	h, err := s.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   name,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{arg},
	})
	if err == nil {
		err = h.Get(ctx, result)
	}
	return s.explain(ctx, id, name, err)
}

// done prints v as JSON with --json, else the human sentence.
func (a *app) done(cmd *cobra.Command, v any, format string, args ...any) error {
	if a.jsonOut {
		return writeJSON(cmd.OutOrStdout(), v)
	}
	_, err := fmt.Fprintf(cmd.OutOrStdout(), format, args...)
	return err
}

// confirm asks a yes/no question on stderr; anything but y or yes is no.
func (a *app) confirm(cmd *cobra.Command, question string) (bool, error) {
	fmt.Fprint(cmd.ErrOrStderr(), question)
	line, err := a.answer(cmd)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// answer reads the operator's answer to a prompt. A terminal echoes the typed line ending; piped input does
// not, so the next message would start on the prompt's line.
func (a *app) answer(cmd *cobra.Command) (string, error) {
	line, err := readLine(cmd.InOrStdin())
	if !a.interactive(cmd.InOrStdin()) {
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	return line, err
}

// readLine reads one line without its line ending; end of input counts as an empty answer.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
