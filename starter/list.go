package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/csptransfer/csptransfer"
)

// listFilter is what list narrows transfers by. Every value ends up inside a visibility query.
type listFilter struct {
	stages     []string
	customer   string
	domain     string
	partner    string
	nextBefore string
	nextAfter  string
	all        bool
}

// maxListLimit keeps one list call from paging through a whole namespace.
const maxListLimit = 10000

func (a *app) listCmd() *cobra.Command {
	var f listFilter
	var open bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List transfers, filtered by stage, customer, domain, partner or next action time",
		Long: `List transfers through a Temporal visibility query over the search attributes CspStage,
CspCustomerTenantId, CspCustomerDomain, CspPartnerTenantId and CspNextActionAt. Open transfers only unless
--all. --next-before/--next-after take an RFC 3339 time or a duration from now (24h, 7d; -2h is in the past).`,
		Example: `  starter list
  starter list --stage AwaitingApproval,AwaitingAcceptance
  starter list --stage AwaitingPartnerTransfer   # a source partner has a transfer request to act on
  starter list --next-before 24h            # transfers that act or time out within a day
  starter list --all --domain contoso.onmicrosoft.com --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if open && f.all {
				return usagef("--open and --all exclude each other")
			}
			if limit < 1 || limit > maxListLimit {
				return usagef("--limit: %d is not between 1 and %d", limit, maxListLimit)
			}
			query, err := f.query(a.now())
			if err != nil {
				return err
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				rows, err := listTransfers(ctx, s, query, limit)
				if err != nil {
					return err
				}
				if a.jsonOut {
					if rows == nil {
						rows = []listRow{}
					}
					return writeJSON(cmd.OutOrStdout(), rows)
				}
				renderList(cmd.OutOrStdout(), rows, a.now())
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.stages, "stage", nil, "only these stages (comma separated or repeated), e.g. AwaitingApproval")
	fl.StringVar(&f.customer, "customer", "", "customer tenant id (GUID)")
	fl.StringVar(&f.domain, "domain", "", "customer domain")
	fl.StringVar(&f.partner, "partner", "", "partner tenant id (GUID)")
	fl.StringVar(&f.nextBefore, "next-before", "", "next action (timeout, expiry, check) before this time or duration from now")
	fl.StringVar(&f.nextAfter, "next-after", "", "next action after this time or duration from now")
	fl.BoolVar(&open, "open", false, "only running transfers (the default)")
	fl.BoolVar(&f.all, "all", false, "include ended transfers")
	fl.IntVar(&limit, "limit", 200, "at most this many transfers")
	return cmd
}

// query builds the visibility query. Values are checked and quoted: input holding quotes or backslashes is
// refused rather than escaped, so no value can change the query's meaning.
func (f listFilter) query(now time.Time) (string, error) {
	var problems []string
	clauses := []string{"WorkflowType = " + quote(csptransfer.WorkflowType)}
	if len(f.stages) > 0 {
		var vals []string
		for _, s := range f.stages {
			st, err := csptransfer.ParseStage(s)
			if err != nil {
				problems = append(problems, "--stage: "+err.Error())
				continue
			}
			vals = append(vals, quote(string(st)))
		}
		if len(vals) == 1 {
			clauses = append(clauses, csptransfer.SearchAttributeStage.GetName()+" = "+vals[0])
		} else if len(vals) > 1 {
			clauses = append(clauses, csptransfer.SearchAttributeStage.GetName()+" IN ("+strings.Join(vals, ", ")+")")
		}
	}
	for _, g := range []struct{ flag, value, attr string }{
		{"--customer", f.customer, csptransfer.SearchAttributeCustomerTenantID.GetName()},
		{"--partner", f.partner, csptransfer.SearchAttributePartnerTenantID.GetName()},
	} {
		v := strings.ToLower(strings.TrimSpace(g.value))
		if v == "" {
			continue
		}
		if !csptransfer.IsGUID(v) {
			problems = append(problems, fmt.Sprintf("%s: %q is not a tenant id (GUID)", g.flag, g.value))
			continue
		}
		clauses = append(clauses, g.attr+" = "+quote(v))
	}
	if d := strings.ToLower(strings.TrimSpace(f.domain)); d != "" {
		if !safeValue(d) || len(d) > 253 {
			problems = append(problems, fmt.Sprintf("--domain: %q must be a domain name without quotes, backslashes or spaces", f.domain))
		} else {
			clauses = append(clauses, csptransfer.SearchAttributeCustomerDomain.GetName()+" = "+quote(d))
		}
	}
	for _, b := range []struct{ flag, value, op string }{
		{"--next-before", f.nextBefore, "<"},
		{"--next-after", f.nextAfter, ">"},
	} {
		if strings.TrimSpace(b.value) == "" {
			continue
		}
		t, err := parseWhen(b.value, now)
		if err != nil {
			problems = append(problems, b.flag+": "+err.Error())
			continue
		}
		clauses = append(clauses, csptransfer.SearchAttributeNextActionAt.GetName()+" "+b.op+" "+quote(t.UTC().Format(time.RFC3339)))
	}
	if f.all {
		// A transfer that continued as new is one transfer: its earlier runs, closed as ContinuedAsNew with
		// the stage they stood in then, would list it again.
		clauses = append(clauses, "ExecutionStatus != 'ContinuedAsNew'")
	} else {
		clauses = append(clauses, "ExecutionStatus = 'Running'")
	}
	if len(problems) > 0 {
		return "", problemsError("invalid filter", problems)
	}
	return strings.Join(clauses, " AND "), nil
}

// parseWhen reads an RFC 3339 time, a date, or a duration from now such as "24h", "7d" or "-2h".
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := parseTime(s); err == nil {
		return t, nil
	}
	neg := strings.HasPrefix(s, "-")
	d, err := csptransfer.ParseDuration(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+"))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-01T00:00:00Z), a date, nor a duration from now (24h, 7d, -2h)", s)
	}
	if neg {
		return now.Add(-d.D()), nil
	}
	return now.Add(d.D()), nil
}

func safeValue(s string) bool { return !strings.ContainsAny(s, "'\"`\\ \t\r\n") }

// quote writes a value the checks above have made safe as a query string literal.
func quote(s string) string { return "'" + s + "'" }

// listRow is one transfer in list's output.
type listRow struct {
	WorkflowID       string     `json:"workflowId"`
	Stage            string     `json:"stage"`
	CustomerTenantID string     `json:"customerTenantId,omitempty"`
	CustomerDomain   string     `json:"customerDomain,omitempty"`
	PartnerTenantID  string     `json:"partnerTenantId,omitempty"`
	NextActionAt     *time.Time `json:"nextActionAt,omitempty"`
	ExecutionStatus  string     `json:"executionStatus"`
	StartedAt        time.Time  `json:"startedAt"`
	ClosedAt         *time.Time `json:"closedAt,omitempty"`
}

func listTransfers(ctx context.Context, s *session, query string, limit int) ([]listRow, error) {
	var rows []listRow
	var token []byte
	for {
		resp, err := s.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace:     s.namespace,
			PageSize:      int32(min(limit-len(rows), 1000)),
			NextPageToken: token,
			Query:         query,
		})
		if err != nil {
			return nil, fmt.Errorf("list transfers (%s): %w", query, err)
		}
		for _, e := range resp.GetExecutions() {
			fields := e.GetSearchAttributes().GetIndexedFields()
			row := listRow{
				WorkflowID:       e.GetExecution().GetWorkflowId(),
				Stage:            csptransfer.KeywordOf(fields, csptransfer.SearchAttributeStage),
				CustomerTenantID: csptransfer.KeywordOf(fields, csptransfer.SearchAttributeCustomerTenantID),
				CustomerDomain:   csptransfer.KeywordOf(fields, csptransfer.SearchAttributeCustomerDomain),
				PartnerTenantID:  csptransfer.KeywordOf(fields, csptransfer.SearchAttributePartnerTenantID),
				ExecutionStatus:  executionStatus(e.GetStatus()),
				StartedAt:        e.GetStartTime().AsTime().UTC(),
			}
			if t, ok := csptransfer.TimeOf(fields, csptransfer.SearchAttributeNextActionAt); ok {
				row.NextActionAt = &t
			}
			if e.GetCloseTime() != nil {
				t := e.GetCloseTime().AsTime().UTC()
				row.ClosedAt = &t
			}
			rows = append(rows, row)
			if len(rows) >= limit {
				return rows, nil
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return rows, nil
		}
	}
}

// status is what the STATUS column shows: Temporal's execution status, except that an aborted transfer
// (its workflow completes normally, with an Aborted report) shows Aborted, never Completed next to it.
// Any other stage of a completed workflow is one the search attributes had not caught up with: the
// workflow completed.
func (r listRow) status() string {
	if r.ExecutionStatus == "Completed" && r.Stage == string(csptransfer.StageAborted) {
		return string(csptransfer.StageAborted)
	}
	return r.ExecutionStatus
}

// renderList writes one line per transfer, the next action with how far away it is.
func renderList(w io.Writer, rows []listRow, now time.Time) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No transfers match.")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "WORKFLOW ID\tSTAGE\tDOMAIN\tPARTNER\tNEXT ACTION\tSTARTED\tSTATUS")
	for _, r := range rows {
		next := "—"
		if r.NextActionAt != nil {
			next = fmtWhen(*r.NextActionAt, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.WorkflowID, orDash(r.Stage), orDash(r.CustomerDomain),
			orDash(r.PartnerTenantID), next, fmtTime(r.StartedAt), r.status())
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d transfer(s)\n", len(rows))
}
