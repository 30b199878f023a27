package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
)

func (a *app) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status ID",
		Short: "Show where a transfer stands: stage, what it waits for, the plan with progress and money, last error, timeline",
		Example: "  starter status 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f\n" +
			"  starter status csp-transfer-6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --json",
		Args: exactArgs("ID"),
		RunE: a.onTransfer(true, func(ctx context.Context, cmd *cobra.Command, s *session, id string) error {
			st, err := s.svc.Status(ctx, id)
			if err != nil {
				return s.explain(ctx, id, "status", err)
			}
			if a.jsonOut {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			renderStatus(cmd.OutOrStdout(), id, st, s.svc.UILink(id), a.now())
			return nil
		}),
	}
}

func (a *app) watchCmd() *cobra.Command {
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "watch ID",
		Short: "Follow a transfer until it ends (or Ctrl-C), showing its status whenever it changes",
		Long: `Follow a transfer: its status is checked every --interval and shown again whenever it changed, until
the transfer ends or you press Ctrl-C. On a terminal the screen is redrawn; otherwise (a pipe, a log file)
each change is printed after the previous one. With --json each change is one JSON line.`,
		Example: "  starter watch 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --interval 5s",
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			if interval < 100*time.Millisecond || interval > 10*time.Minute {
				return usagef("--interval: %s is not between 100ms and 10m", interval)
			}
			return a.withSession(cmd, false, func(ctx context.Context, s *session) error {
				return a.watch(ctx, cmd, s, id, interval)
			})
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 3*time.Second, "how often to check")
	return cmd
}

// clearScreen moves the cursor home and clears the terminal, so each redraw replaces the last.
const clearScreen = "\x1b[H\x1b[2J"

func (a *app) watch(ctx context.Context, cmd *cobra.Command, s *session, id string, interval time.Duration) error {
	out := cmd.OutOrStdout()
	redraw := a.interactive(out) && !a.jsonOut
	var last []byte
	for {
		qctx, cancel := context.WithTimeout(ctx, a.timeout)
		st, err := s.svc.Status(qctx, id)
		cancel()
		if ctx.Err() != nil {
			return nil // Ctrl-C ends watching, not the transfer
		}
		if err != nil {
			return s.explain(ctx, id, "status", err)
		}
		cur, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encode status: %w", err)
		}
		if !bytes.Equal(cur, last) {
			last = cur
			switch {
			case a.jsonOut:
				if _, err := fmt.Fprintf(out, "%s\n", cur); err != nil {
					return err
				}
			case redraw:
				var b bytes.Buffer
				b.WriteString(clearScreen)
				renderStatus(&b, id, st, s.svc.UILink(id), a.now())
				fmt.Fprintf(&b, "\nChecked %s; every %s, Ctrl-C to stop watching.\n", fmtTime(a.now()), interval)
				if _, err := out.Write(b.Bytes()); err != nil {
					return err
				}
			default:
				fmt.Fprintf(out, "--- %s\n", fmtTime(a.now()))
				renderStatus(out, id, st, s.svc.UILink(id), a.now())
			}
		}
		if st.Stage.Terminal() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func (a *app) reportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report ID",
		Short: "Show a finished transfer's report (outcome, reason, final plan), or the status while it runs",
		Example: "  starter report 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f\n" +
			"  starter report 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --json > report.json",
		Args: exactArgs("ID"),
		RunE: a.onTransfer(true, func(ctx context.Context, cmd *cobra.Command, s *session, id string) error {
			return a.report(ctx, cmd, s, id)
		}),
	}
}

// reportOutput is report's JSON: the report of a finished transfer, or the status of a running one.
type reportOutput struct {
	WorkflowID      string                      `json:"workflowId"`
	ExecutionStatus string                      `json:"executionStatus"`
	Report          *csptransfer.TransferReport `json:"report,omitempty"`
	Status          *csptransfer.TransferStatus `json:"status,omitempty"`
	Note            string                      `json:"note,omitempty"`
}

func (a *app) report(ctx context.Context, cmd *cobra.Command, s *session, id string) error {
	desc, err := s.c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return s.explain(ctx, id, "report", err)
	}
	exec := desc.GetWorkflowExecutionInfo().GetStatus()
	out := reportOutput{WorkflowID: id, ExecutionStatus: executionStatus(exec)}
	switch exec {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		st, err := s.svc.Status(ctx, id)
		if err != nil {
			return s.explain(ctx, id, "status", err)
		}
		out.Status, out.Note = &st, "the transfer is still running; this is its current status"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		rep, err := result(ctx, s, id)
		if err != nil {
			return err
		}
		out.Report = &rep
	default:
		// Terminated or timed out by Temporal itself: the workflow wrote no report; its last status is the best account.
		out.Note = fmt.Sprintf("the transfer was %s by Temporal and wrote no report; this is its last status", executionStatus(exec))
		if st, err := s.svc.Status(ctx, id); err == nil {
			out.Status = &st
		}
	}
	w := cmd.OutOrStdout()
	if a.jsonOut {
		return writeJSON(w, out)
	}
	if out.Note != "" {
		fmt.Fprintf(w, "Note: %s.\n\n", out.Note)
	}
	switch {
	case out.Report != nil:
		renderReport(w, id, *out.Report, s.svc.UILink(id), a.now())
	case out.Status != nil:
		renderStatus(w, id, *out.Status, s.svc.UILink(id), a.now())
	}
	return nil
}

// result reads a closed transfer's TransferReport: the result of a completed run, or the details of the
// error a failed or cancelled run ended with.
func result(ctx context.Context, s *session, id string) (csptransfer.TransferReport, error) {
	var rep csptransfer.TransferReport
	err := s.c.GetWorkflow(ctx, id, "").Get(ctx, &rep)
	if err == nil {
		return rep, nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.HasDetails() {
		if derr := appErr.Details(&rep); derr == nil {
			return rep, nil
		}
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) && canceled.HasDetails() {
		if derr := canceled.Details(&rep); derr == nil {
			return rep, nil
		}
	}
	return csptransfer.TransferReport{}, s.explain(ctx, id, "report", err)
}
