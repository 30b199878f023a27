package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

// maxRequestFile bounds --file: a TransferRequest with 100 subscriptions and 100 overrides is far smaller.
const maxRequestFile = 1 << 20

// startFlags are the start command's request flags, kept as text so every problem can be reported at once.
type startFlags struct {
	file          string
	tenant        string
	domain        string
	country       string
	contact       string
	name          string
	approval      string
	provisioning  string
	leadTime      string
	invitationTTL string
	reminderEvery string
	adminAccess   bool
	overrides     []string
	subscriptions []string
	// The CSP partner the customer leaves; any of the three given makes a sourcePartner.
	sourceTenant  string
	sourceName    string
	sourceEmail   string
	failIfRunning bool
}

func (a *app) startCmd() *cobra.Command {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "start (--tenant ID --domain DOMAIN [flags] | --file request.json)",
		Short: "Start a customer's transfer (one open transfer per customer tenant)",
		Long: `Start a customer's transfer, from flags or from a TransferRequest JSON file (the payload the Temporal UI
start form takes; "-" reads standard input). The request is validated first and every problem is listed.
If a transfer for the customer already exists, nothing is started and that transfer is shown; with
--fail-if-running this exits with code 5.

A customer leaving another CSP partner: name that partner with --source-partner-tenant (and
--source-partner-name, --source-partner-email). The new-commerce originals it sells then move by one
partner-to-partner transfer request (nothing bought, the term continues); every other line, and every line
the source partner does not transfer, is bought and its original left to expire. --contact is required
then: Microsoft e-mails the customer the request. Without these flags the originals' owner is read from
Microsoft Graph.`,
		Example: `  starter start --tenant 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --domain contoso.onmicrosoft.com \
    --country DE --contact it-admin@contoso.example --admin-access \
    --subscription ENTERPRISEPACK:25:2027-03-01T00:00:00Z --override ENTERPRISEWITHSCAL=CFQ7TTC0LFLX:0001
  starter start --tenant 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --domain contoso.onmicrosoft.com \
    --contact it-admin@contoso.example --source-partner-tenant 5d3c1e2a-7b4f-4c19-8e6d-9a0b1c2d3e4f \
    --source-partner-name "Fabrikam Reseller GmbH" --source-partner-email csp@fabrikam-reseller.example
  starter start --file request.json --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := f.request(cmd, a.now())
			if err != nil {
				return err
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				return a.start(ctx, cmd, s, req, f.failIfRunning)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", `TransferRequest JSON file ("-" for stdin); excludes the request flags`)
	fl.StringVar(&f.tenant, "tenant", "", "customer tenant id (GUID), required")
	fl.StringVar(&f.domain, "domain", "", "customer primary domain, e.g. contoso.onmicrosoft.com, required")
	fl.StringVar(&f.country, "country", "", "customer billing country, ISO 3166 alpha-2 (looked up when empty)")
	fl.StringVar(&f.contact, "contact", "", "contact e-mail address for the invitation and reminders")
	fl.StringVar(&f.name, "name", "", "customer name shown to operators (never indexed)")
	fl.StringVar(&f.approval, "approval", "", "when the plan needs approval: auto (default), always, never")
	fl.StringVar(&f.provisioning, "provisioning", "", "when lines are bought: immediately (default) or beforeExpiry")
	fl.StringVar(&f.leadTime, "lead-time", "", `with beforeExpiry: how long before an original ends its line is bought (e.g. "7d")`)
	fl.StringVar(&f.invitationTTL, "invitation-ttl", "", `how long the customer has to accept (default "30d")`)
	fl.StringVar(&f.reminderEvery, "reminder-every", "", `how often the contact is reminded (default "3d")`)
	fl.BoolVar(&f.adminAccess, "admin-access", false, "also request GDAP admin access")
	fl.StringArrayVar(&f.overrides, "override", nil, "SOURCE=CATALOGITEM: buy this catalog item for an original SKU (repeatable)")
	fl.StringArrayVar(&f.subscriptions, "subscription", nil, "SKU:QUANTITY:EXPIRES_AT original subscription, SKU a skuId or part number (repeatable; discovered when none)")
	fl.StringVar(&f.sourceTenant, "source-partner-tenant", "", "tenant id (GUID) of the CSP partner the customer leaves: its originals move by partner-to-partner transfer (needs --contact)")
	fl.StringVar(&f.sourceName, "source-partner-name", "", "company name of the CSP partner the customer leaves, sent with the transfer request")
	fl.StringVar(&f.sourceEmail, "source-partner-email", "", "contact e-mail of the CSP partner the customer leaves, reminded while the request waits (never indexed)")
	fl.BoolVar(&f.failIfRunning, "fail-if-running", false, "exit 5 when a transfer for the customer already exists")
	return cmd
}

// request builds the TransferRequest from the file or the flags and validates it, reporting every problem.
func (f *startFlags) request(cmd *cobra.Command, now time.Time) (csptransfer.TransferRequest, error) {
	if f.file != "" {
		var used []string
		cmd.Flags().Visit(func(fl *pflag.Flag) {
			switch fl.Name {
			case "file", "fail-if-running", "json", "ui", "timeout", "connect-timeout":
			default:
				used = append(used, "--"+fl.Name)
			}
		})
		if len(used) > 0 {
			return csptransfer.TransferRequest{}, usagef("--file excludes %s: put those fields in the file", strings.Join(used, ", "))
		}
		req, err := readRequestFile(f.file, cmd.InOrStdin())
		if err != nil {
			return csptransfer.TransferRequest{}, err
		}
		return req, validateRequest(req, nil, now)
	}
	var problems []csptransfer.FieldProblem
	add := func(field string, err error) {
		problems = append(problems, csptransfer.FieldProblem{Field: field, Message: err.Error()})
	}
	req := csptransfer.TransferRequest{
		CustomerTenantID:   f.tenant,
		CustomerDomain:     f.domain,
		Country:            f.country,
		ContactEmail:       f.contact,
		CustomerName:       f.name,
		Approval:           csptransfer.ApprovalPolicy(f.approval),
		Provisioning:       csptransfer.Provisioning{Mode: csptransfer.ProvisioningMode(f.provisioning)},
		RequestAdminAccess: f.adminAccess,
	}
	// A flag given, even empty, asks for a source partner: an empty one is then reported, not ignored.
	fl := cmd.Flags()
	if fl.Changed("source-partner-tenant") || fl.Changed("source-partner-name") || fl.Changed("source-partner-email") {
		req.SourcePartner = &csptransfer.SourcePartner{TenantID: f.sourceTenant, Name: f.sourceName, Email: f.sourceEmail}
	}
	for _, d := range []struct {
		flag, value string
		into        *csptransfer.Duration
	}{
		{"--lead-time", f.leadTime, &req.Provisioning.LeadTime},
		{"--invitation-ttl", f.invitationTTL, &req.InvitationTTL},
		{"--reminder-every", f.reminderEvery, &req.ReminderEvery},
	} {
		if d.value == "" {
			continue
		}
		v, err := csptransfer.ParseDuration(d.value)
		if err != nil {
			add(d.flag, err)
			continue
		}
		*d.into = v
	}
	for _, o := range f.overrides {
		src, target, ok := strings.Cut(o, "=")
		if !ok || strings.TrimSpace(src) == "" {
			add("--override", fmt.Errorf("%q: expected SOURCE=CATALOGITEM, e.g. ENTERPRISEWITHSCAL=CFQ7TTC0LFLX:0001", o))
			continue
		}
		if req.OfferOverrides == nil {
			req.OfferOverrides = map[string]string{}
		}
		if _, dup := req.OfferOverrides[src]; dup {
			add("--override", fmt.Errorf("%q is given twice", src))
			continue
		}
		req.OfferOverrides[src] = target
	}
	for _, s := range f.subscriptions {
		sub, err := parseSubscription(s)
		if err != nil {
			add("--subscription", err)
			continue
		}
		req.Subscriptions = append(req.Subscriptions, sub)
	}
	return req, validateRequest(req, problems, now)
}

// validateRequest merges parse problems with the check every surface applies (transfers.Service.Prepare)
// into one usage error, before anything connects to Temporal.
func validateRequest(req csptransfer.TransferRequest, problems []csptransfer.FieldProblem, now time.Time) error {
	var verr *csptransfer.ValidationError
	if _, err := (transfers.Service{Now: func() time.Time { return now }}).Prepare(req); errors.As(err, &verr) {
		problems = append(problems, verr.Problems...)
	} else if err != nil {
		return usageError(err)
	}
	if len(problems) == 0 {
		return nil
	}
	return invalidRequest(&csptransfer.ValidationError{Problems: problems})
}

// readRequestFile decodes one TransferRequest, refusing unknown fields (a typo would otherwise silently
// fall back to a default) and anything after the object.
func readRequestFile(path string, stdin io.Reader) (csptransfer.TransferRequest, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		file, err := os.Open(path)
		if err != nil {
			return csptransfer.TransferRequest{}, usagef("--file: %w", err)
		}
		defer file.Close()
		r = file
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxRequestFile+1))
	if err != nil {
		return csptransfer.TransferRequest{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(raw) > maxRequestFile {
		return csptransfer.TransferRequest{}, usagef("--file %s: larger than %d bytes", path, maxRequestFile)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var req csptransfer.TransferRequest
	if err := dec.Decode(&req); err != nil {
		return csptransfer.TransferRequest{}, usagef("--file %s: %w", path, err)
	}
	if dec.More() {
		return csptransfer.TransferRequest{}, usagef("--file %s: more than one JSON value; expected one TransferRequest object", path)
	}
	return req, nil
}

// parseSubscription reads SKU:QUANTITY:EXPIRES_AT. The expiry (RFC 3339 or a date) may itself contain colons,
// so only the first two separate fields.
func parseSubscription(s string) (csptransfer.OriginalSubscription, error) {
	parts := strings.SplitN(strings.TrimSpace(s), ":", 3)
	if len(parts) != 3 {
		return csptransfer.OriginalSubscription{}, fmt.Errorf("%q: expected SKU:QUANTITY:EXPIRES_AT, e.g. ENTERPRISEPACK:25:2027-03-01", s)
	}
	sku := strings.TrimSpace(parts[0])
	qty, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil {
		return csptransfer.OriginalSubscription{}, fmt.Errorf("%q: quantity %q is not a whole number", s, parts[1])
	}
	exp, err := parseTime(parts[2])
	if err != nil {
		return csptransfer.OriginalSubscription{}, fmt.Errorf("%q: expiry: %w", s, err)
	}
	sub := csptransfer.OriginalSubscription{Quantity: qty, ExpiresAt: exp}
	if csptransfer.IsGUID(sku) {
		sub.SkuID = sku
	} else {
		sub.SkuPartNumber = sku
	}
	return sub, nil
}

// parseTime accepts RFC 3339 or a plain date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time or a date (e.g. 2027-03-01T00:00:00Z or 2027-03-01)", s)
}

func (a *app) start(ctx context.Context, cmd *cobra.Command, s *session, req csptransfer.TransferRequest, failIfRunning bool) error {
	started, err := s.svc.Start(ctx, req)
	var verr *csptransfer.ValidationError
	if errors.As(err, &verr) {
		return invalidRequest(verr)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if a.jsonOut {
		if err := writeJSON(out, started); err != nil {
			return err
		}
	} else {
		printStarted(out, started)
	}
	if started.Existing && failIfRunning {
		return withCode(exitAlreadyRunning, fmt.Errorf("a transfer for this customer already exists: %s (stage %s)", started.WorkflowID, started.Stage))
	}
	return nil
}

func printStarted(w io.Writer, st transfers.Started) {
	if st.Existing {
		fmt.Fprintf(w, "Not started: a transfer for this customer already exists.\n")
	} else {
		fmt.Fprintf(w, "Started.\n")
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "Transfer\t%s\n", st.WorkflowID)
	fmt.Fprintf(tw, "Stage\t%s\n", orDash(string(st.Stage)))
	if st.UILink != "" {
		fmt.Fprintf(tw, "UI\t%s\n", st.UILink)
	}
	_ = tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
