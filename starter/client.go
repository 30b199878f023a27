package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/term"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/temporalconn"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// session is one command's connection to Temporal.
type session struct {
	c         client.Client
	namespace string
	address   string
	svc       transfers.Service
}

// connect dials Temporal once, failing fast: a CLI names the unreachable address instead of retrying forever.
func (a *app) connect(ctx context.Context, errOut io.Writer) (*session, error) {
	conn, err := temporalconn.DialOnce(ctx, a.env, errOut, a.connectTimeout)
	var serr *temporalconn.SettingsError
	if errors.As(err, &serr) {
		return nil, usageError(err)
	}
	if err != nil {
		return nil, err
	}
	return &session{
		c: conn.Client, namespace: conn.Namespace, address: conn.Address,
		svc: transfers.Service{Client: conn.Client, Namespace: conn.Namespace, UIBaseURL: a.uiURL, Now: a.now},
	}, nil
}

// withSession runs fn with a connected session. A bounded fn runs under --timeout; an unbounded one (it
// waits for a person or watches) sets its own deadline per call.
func (a *app) withSession(cmd *cobra.Command, bounded bool, fn func(ctx context.Context, s *session) error) error {
	ctx := cmd.Context()
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	s, err := a.connect(ctx, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer s.c.Close()
	return fn(ctx, s)
}

// onTransfer is the RunE of a command about one transfer: it resolves the ID argument and runs fn in a
// session, bounded by --timeout when bounded is set.
func (a *app) onTransfer(bounded bool, fn func(ctx context.Context, cmd *cobra.Command, s *session, id string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		id, err := resolveID(args[0])
		if err != nil {
			return err
		}
		return a.withSession(cmd, bounded, func(ctx context.Context, s *session) error { return fn(ctx, cmd, s, id) })
	}
}

// resolveID turns an operator's ID argument into a workflow ID: a workflow ID as it is, a bare customer
// tenant id through the workflow-ID scheme.
func resolveID(arg string) (string, error) {
	s := strings.TrimSpace(arg)
	if strings.ContainsAny(s, "'\"\\` \t\r\n") {
		return "", usagef("ID %q: must not contain quotes, backslashes or spaces", arg)
	}
	if tenant, ok := csptransfer.CustomerTenantIDFromWorkflowID(strings.ToLower(s)); ok {
		return csptransfer.WorkflowID(tenant), nil
	}
	if csptransfer.IsGUID(s) {
		return csptransfer.WorkflowID(s), nil
	}
	return "", usagef("ID %q is neither a workflow ID (csp-transfer-<customer tenant id>) nor a customer tenant id (GUID)", arg)
}

// explain turns a Temporal error about transfer id into one that names what happened, with an exit code:
// not found (3), ended or refused by the workflow (4), or a plain error.
func (s *session) explain(ctx context.Context, id, what string, err error) error {
	if err == nil {
		return nil
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// Temporal answers signals and updates to a closed workflow with NotFound too: say which it is.
		if desc, derr := s.c.DescribeWorkflowExecution(ctx, id, ""); derr == nil {
			status := desc.GetWorkflowExecutionInfo().GetStatus()
			if status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return withCode(exitRefused, fmt.Errorf("%s %s: the transfer has ended (%s)", what, id, executionStatus(status)))
			}
		}
		return withCode(exitNotFound, fmt.Errorf("%s: no transfer %s in namespace %s", what, id, s.namespace))
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return withCode(exitRefused, fmt.Errorf("transfer %s refused it: %s", id, appErr.Error()))
	}
	var deadline *serviceerror.DeadlineExceeded
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) || ctx.Err() != nil {
		return fmt.Errorf("%s %s: no answer in time (is a worker polling task queue %s?): %w", what, id, csptransfer.TaskQueue, err)
	}
	return fmt.Errorf("%s %s: %w", what, id, err)
}

// requireOpen fails with exit code 3 or 4 unless the transfer is running.
func (s *session) requireOpen(ctx context.Context, id, what string) error {
	desc, err := s.c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return s.explain(ctx, id, what, err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return withCode(exitRefused, fmt.Errorf("%s %s: the transfer has ended (%s)", what, id, executionStatus(st)))
	}
	return nil
}

// executionStatus names a Temporal execution status the way the UI does: Running, Completed, Failed, ...
func executionStatus(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "Running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "Completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "Failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "Canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "Terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "ContinuedAsNew"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "TimedOut"
	}
	return "Unknown"
}

// isTerminal reports whether v is an *os.File attached to a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
