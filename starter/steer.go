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
	"github.com/csptransfer/csptransfer/internal/transfers"
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
		Short: "Show the plan and its money and approve exactly that version",
		Long: `Show the transfer's plan with its money (prices, overlap and its cost, refund deadlines, totals per
currency, advice) and, after you answer y (or with --yes), approve that plan version. If the
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
				if hasMoney(st) {
					fmt.Fprintln(w)
					renderMoney(w, st, a.now())
				}
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
	var cancelRefundable, yes bool
	cmd := &cobra.Command{
		Use:   "abort ID --reason TEXT [--cancel-refundable [--yes]]",
		Short: "Stop a transfer (after purchase new subscriptions are kept unless --cancel-refundable)",
		Long: `Stop a transfer. Before anything was bought it simply ends. After purchase the new subscriptions are
kept, unless --cancel-refundable asks to cancel those still inside their refund window. Originals are
never cancelled.

With --cancel-refundable the transfer's status is read first: the command says what it expects back per
currency (the first billing period's charge, prorated by day) and which subscriptions are past their
refund window and stay paid for, then asks before it sends anything; --yes skips the question.`,
		Example: `  starter abort 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --reason "customer stays with its reseller"
  starter abort 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --reason "wrong tenant" --cancel-refundable`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason: required: say why the transfer stops (it is recorded in the timeline)")
			}
			// Unbounded: the question waits for a person; each call has its own --timeout.
			return a.withSession(cmd, false, func(ctx context.Context, s *session) error {
				cctx, cancel := context.WithTimeout(ctx, a.timeout)
				err := s.requireOpen(cctx, id, csptransfer.SignalAbort)
				cancel()
				if err != nil {
					return err
				}
				out := map[string]any{"workflowId": id, "signal": csptransfer.SignalAbort}
				if cancelRefundable {
					qctx, cancel := context.WithTimeout(ctx, a.timeout)
					st, err := s.svc.Status(qctx, id)
					cancel()
					statement := ""
					if err != nil {
						statement = "What cancelling returns is unknown: " + oneLine(s.explain(ctx, id, "status", err).Error()) + ".\n"
					} else {
						statement = refundStatement(st, a.now())
						expected := outlookRefunds(st, a.now()).Expected
						if expected == nil {
							expected = []csptransfer.Money{}
						}
						out["expectedRefund"] = expected
					}
					if !a.jsonOut || !yes {
						w := cmd.OutOrStdout()
						if a.jsonOut {
							w = cmd.ErrOrStderr()
						}
						fmt.Fprint(w, statement)
					}
					if !yes {
						ok, err := a.confirm(cmd, "Abort and cancel the new subscriptions still inside their refund window? [y/N] ")
						if err != nil {
							return err
						}
						if !ok {
							return fmt.Errorf("abort of %s not sent: nothing was cancelled", id)
						}
					}
				}
				sctx, cancel := context.WithTimeout(ctx, a.timeout)
				defer cancel()
				err = s.c.SignalWorkflow(sctx, id, "", csptransfer.SignalAbort, csptransfer.Abort{Reason: strings.TrimSpace(reason), CancelRefundable: cancelRefundable})
				if err != nil {
					return s.explain(sctx, id, csptransfer.SignalAbort, err)
				}
				return a.done(cmd, out, "Abort requested for %s; follow it with `starter watch %s`.\n", id, id)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the transfer stops (required)")
	cmd.Flags().BoolVar(&cancelRefundable, "cancel-refundable", false, "cancel new subscriptions still inside their refund window (says what it expects back, then asks)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "with --cancel-refundable: cancel without asking (for scripts)")
	return cmd
}

func (a *app) cancelTransferCmd() *cobra.Command {
	var reason, transferID string
	cmd := &cobra.Command{
		Use:   "cancel-transfer ID --reason TEXT [--transfer-id TRANSFER]",
		Short: "Withdraw the pending partner-to-partner transfer request; its lines are bought instead",
		Long: `Withdraw the partner-to-partner transfer request the source partner has not acted on yet (update
cancel-transfer). The transfer cancels it at Microsoft; its lines are then bought and their originals left
to expire, as for a customer coming from outside CSP. With --transfer-id the update is refused (exit code
4) unless that is the pending request, so a request shown earlier is not confused with a newer one. If the
source partner completed the request first, nothing is cancelled and nothing is bought for its lines.
Refused (exit code 4) when no request is pending.`,
		Example: `  starter cancel-transfer 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --reason "the source partner will not release the subscriptions"
  starter cancel-transfer 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --transfer-id 7c9e6679-7425-40de-944b-e07fc1f90ae7 --reason "customer asked to buy new"`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			var problems []string
			if strings.TrimSpace(reason) == "" {
				problems = append(problems, "--reason: required: say why the request is withdrawn (it is recorded in the timeline)")
			}
			if t := strings.TrimSpace(transferID); cmd.Flags().Changed("transfer-id") && !transfers.IsPartnerTransferID(t) {
				problems = append(problems, fmt.Sprintf("--transfer-id: %s is not a Partner Center transfer id (1 to %d letters, digits, - or _)",
					csptransfer.Quote(transferID), transfers.MaxPartnerTransferIDLength))
			}
			if len(problems) > 0 {
				return problemsError("invalid cancel-transfer", problems)
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				var res csptransfer.CancelTransferResult
				in := csptransfer.CancelTransfer{TransferID: strings.TrimSpace(transferID), Reason: strings.TrimSpace(reason)}
				if err := s.update(ctx, id, csptransfer.UpdateCancelTransfer, in, &res); err != nil {
					return err
				}
				return a.done(cmd, res, "%s", cancelledSentence(res, id))
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the request is withdrawn (required)")
	cmd.Flags().StringVar(&transferID, "transfer-id", "", "only if this is the pending request (Partner Center transfer id)")
	return cmd
}

// cancelledSentence says in plain words what cancel-transfer did. Microsoft's status after a cancel is
// UNCONFIRMED, so each spelling seen in its documents is read for what it means.
func cancelledSentence(res csptransfer.CancelTransferResult, id string) string {
	request := "Transfer request " + orDash(res.TransferID)
	buy := "no line is bought instead"
	if res.LinesToBuy > 0 {
		buy = fmt.Sprintf("%d line(s) will be bought instead and their originals left to expire", res.LinesToBuy)
	}
	status := oneLine(res.Status)
	switch {
	case isCompleteStatus(status):
		return fmt.Sprintf("%s was already complete at Microsoft: nothing was cancelled, its lines moved by transfer and nothing is bought for them. See `starter status %s`.\n",
			request, id)
	case equalsAny(status, "InProgress", "Active", "Pending"):
		return fmt.Sprintf("%s: the cancel was sent, but Microsoft still shows it %s; the transfer keeps checking it. See `starter status %s`.\n",
			request, status, id)
	case equalsAny(status, "Expired"):
		return fmt.Sprintf("%s had already expired at Microsoft; %s. Follow it with `starter status %s`.\n", request, buy, id)
	case equalsAny(status, "Reject", "Rejected"):
		return fmt.Sprintf("%s had been rejected by the source partner; %s. Follow it with `starter status %s`.\n", request, buy, id)
	case status == "" || isCancelledStatus(status):
		return fmt.Sprintf("%s cancelled at Microsoft; %s. Follow it with `starter status %s`.\n", request, buy, id)
	}
	return fmt.Sprintf("%s: Microsoft status %s; %s. Follow it with `starter status %s`.\n", request, status, buy, id)
}

// isCompleteStatus reports a Partner Center transfer status meaning the source partner completed it (new
// commerce says Complete, the legacy API Completed).
func isCompleteStatus(s string) bool { return equalsAny(s, "Complete", "Completed") }

// isCancelledStatus reports the status of a withdrawn request: the value stored after a cancel is
// UNCONFIRMED (Cancel is what the target sends; Canceled or Cancelled may come back).
func isCancelledStatus(s string) bool { return equalsAny(s, "Cancel", "Canceled", "Cancelled") }

// equalsAny reports whether s is one of values in any letter case.
func equalsAny(s string, values ...string) bool {
	for _, v := range values {
		if strings.EqualFold(strings.TrimSpace(s), v) {
			return true
		}
	}
	return false
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
