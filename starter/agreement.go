package main

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/csptransfer/csptransfer"
)

// attestationFlags are agreement's flags. Names, e-mail address and phone number are personal data: they
// go into the signal and nowhere else, and no message ever repeats them.
type attestationFlags struct {
	attest    bool
	firstName string
	lastName  string
	email     string
	phone     string
	date      string
}

// personalFlags are the flags that only mean something with --attest.
var personalFlags = []string{"first-name", "last-name", "email", "phone", "date"}

// agreementDateSlack lets a date typed in a time zone ahead of UTC be "today"; Partner Center refuses a
// date agreed later than that.
const agreementDateSlack = 24 * time.Hour

func (a *app) agreementCmd() *cobra.Command {
	var f attestationFlags
	cmd := &cobra.Command{
		Use:   "agreement ID [--attest --first-name NAME --last-name NAME --email ADDRESS [--phone NUMBER] [--date DATE]]",
		Short: "Report that the customer accepted the Microsoft Customer Agreement, or attest their acceptance",
		Long: `Tell the transfer about the Microsoft Customer Agreement (signal agreement-accepted).

Without --attest the transfer checks Partner Center again for the customer's own acceptance (signed in the
Microsoft 365 admin center) instead of waiting for its next check; nothing is recorded for the customer.

With --attest you, the partner, state that the customer accepted the agreement: the person who accepted it
(--first-name, --last-name, --email, optionally --phone) and when (--date, default now). Unless Partner
Center already shows the customer's own acceptance, the transfer records this attestation there in your
partner's name. Names, e-mail address and phone number are never printed back or indexed.

Before the transfer reaches its agreement check, the signal waits for it there. Once the agreement is in
place nothing is sent (exit code 4), unless a purchase was refused for a missing agreement.`,
		Example: `  starter agreement 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f
  starter agreement 6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f --attest \
    --first-name Jana --last-name Novak --email jana.novak@contoso.example --date 2026-11-20`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := resolveID(args[0])
			if err != nil {
				return err
			}
			att, err := f.attestation(cmd, a.now())
			if err != nil {
				return err
			}
			return a.withSession(cmd, true, func(ctx context.Context, s *session) error {
				return a.sendAgreement(ctx, cmd, s, id, att)
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.attest, "attest", false, "attest that the customer accepted the agreement (needs --first-name, --last-name, --email)")
	fl.StringVar(&f.firstName, "first-name", "", "with --attest: first name of the person who accepted (never printed back)")
	fl.StringVar(&f.lastName, "last-name", "", "with --attest: last name of the person who accepted (never printed back)")
	fl.StringVar(&f.email, "email", "", "with --attest: their e-mail address (never printed back)")
	fl.StringVar(&f.phone, "phone", "", "with --attest: their phone number, optional (never printed back)")
	fl.StringVar(&f.date, "date", "", "with --attest: when they accepted, RFC 3339 or a date (default now)")
	return cmd
}

// attestation checks the flags before anything connects and returns the attestation to send, nil without
// --attest. Problems name the flag and what is wrong, never the value.
func (f attestationFlags) attestation(cmd *cobra.Command, now time.Time) (*csptransfer.Attestation, error) {
	if !f.attest {
		var given []string
		for _, name := range personalFlags {
			if cmd.Flags().Changed(name) {
				given = append(given, "--"+name)
			}
		}
		if len(given) > 0 {
			return nil, usagef("%s: only with --attest (without it the transfer only checks Partner Center again): nothing was sent", strings.Join(given, ", "))
		}
		return nil, nil
	}
	var problems []string
	text := func(flag, v string, required bool) string {
		v = strings.TrimSpace(v)
		if msg := personalProblem(v, required); msg != "" {
			problems = append(problems, "--"+flag+": "+msg)
			return ""
		}
		return v
	}
	att := csptransfer.Attestation{
		FirstName:   text("first-name", f.firstName, true),
		LastName:    text("last-name", f.lastName, true),
		Email:       text("email", f.email, true),
		PhoneNumber: text("phone", f.phone, false),
		DateAgreed:  now.UTC().Truncate(time.Second),
	}
	if att.Email != "" && !isEmailAddress(att.Email) {
		problems = append(problems, "--email: not an e-mail address (expected name@domain, without a display name)")
	}
	if att.PhoneNumber != "" && !isPhoneNumber(att.PhoneNumber) {
		problems = append(problems, "--phone: not a phone number (digits, spaces and + - ( ) . /, at least 3 digits, at most 32 characters)")
	}
	if strings.TrimSpace(f.date) != "" {
		d, err := parseTime(f.date)
		switch {
		case err != nil:
			problems = append(problems, "--date: not an RFC 3339 time or a date (e.g. 2026-11-20T14:30:00Z or 2026-11-20)")
		case d.After(now.Add(agreementDateSlack)):
			problems = append(problems, "--date: is in the future: give the date the customer accepted the agreement")
		default:
			att.DateAgreed = d.UTC()
		}
	}
	if len(problems) > 0 {
		return nil, problemsError("invalid attestation (nothing was sent)", problems)
	}
	return &att, nil
}

// personalProblem says what is wrong with a personal field, or "". It never includes the value.
func personalProblem(v string, required bool) string {
	switch {
	case v == "" && required:
		return "required with --attest"
	case !utf8.ValidString(v):
		return "not valid UTF-8"
	case utf8.RuneCountInString(v) > csptransfer.MaxStringLength:
		return fmt.Sprintf("must be at most %d characters", csptransfer.MaxStringLength)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// isEmailAddress accepts a bare address whose domain is a domain name, as a TransferRequest's
// contactEmail must be.
func isEmailAddress(s string) bool {
	if len(s) > 254 {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at <= 64 && csptransfer.IsDomainName(s[at+1:])
}

// isPhoneNumber accepts what people write as a phone number; Partner Center documents no format.
func isPhoneNumber(s string) bool {
	if len(s) > 32 {
		return false
	}
	digits := 0
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case strings.ContainsRune(" +-().", c), c == '/':
		default:
			return false
		}
	}
	return digits >= 3
}

// agreementPhase is where a transfer stands with respect to the agreement.
type agreementPhase int

const (
	// agreementAhead: the transfer has not reached its agreement check; the signal waits for it.
	agreementAhead agreementPhase = iota + 1
	// agreementChecking: the transfer waits for the agreement now.
	agreementChecking
	// agreementRefused: past the check, a purchase was refused because the agreement is missing.
	agreementRefused
	// agreementInPlace: past the check, nothing asks for the agreement.
	agreementInPlace
)

// phaseOf reads the agreement phase from a status. A purchase refused for a missing agreement is known only
// by its message, which names Partner Center's error code 13605.
func phaseOf(st csptransfer.TransferStatus) agreementPhase {
	switch {
	case st.Stage == csptransfer.StageCheckingAgreement:
		return agreementChecking
	case stageBefore(st.Stage, csptransfer.StageCheckingAgreement):
		return agreementAhead
	}
	for _, l := range st.Lines {
		if strings.Contains(l.Progress.Error, "13605") && !l.Progress.Ordered {
			return agreementRefused
		}
	}
	return agreementInPlace
}

func (a *app) sendAgreement(ctx context.Context, cmd *cobra.Command, s *session, id string, att *csptransfer.Attestation) error {
	const signal = csptransfer.SignalAgreementAccepted
	if err := s.requireOpen(ctx, id, signal); err != nil {
		return err
	}
	st, err := s.svc.Status(ctx, id)
	if err != nil {
		return s.explain(ctx, id, "status", err)
	}
	phase := phaseOf(st)
	if phase == agreementInPlace {
		return withCode(exitRefused, fmt.Errorf("agreement %s: the Microsoft Customer Agreement is already in place (the transfer is in stage %s, past its agreement check): nothing was sent",
			id, st.Stage))
	}
	tenant, _ := csptransfer.CustomerTenantIDFromWorkflowID(id)
	err = s.c.SignalWorkflow(ctx, id, "", signal, csptransfer.AgreementAccepted{CustomerTenantID: tenant, Source: operatorSource, Attestation: att})
	if err != nil {
		return s.explain(ctx, id, signal, err)
	}
	return a.done(cmd, map[string]any{"workflowId": id, "signal": signal, "attested": att != nil, "stage": st.Stage},
		"%s", agreementSentence(id, st.Stage, phase, att != nil))
}

// agreementSentence says in plain words what the transfer does with the signal just sent.
func agreementSentence(id string, stage csptransfer.Stage, phase agreementPhase, attested bool) string {
	what := "The transfer checks Partner Center again for the customer's acceptance of the Microsoft Customer Agreement"
	if attested {
		what = "Your attestation that the customer accepted the Microsoft Customer Agreement was sent: the transfer records it in Partner Center, unless the customer's own acceptance shows there first"
	}
	switch phase {
	case agreementAhead:
		if attested {
			return fmt.Sprintf("Your attestation was sent to %s. The transfer is in stage %s and has not reached its agreement check; it records the attestation in Partner Center when it gets there, unless the customer's own acceptance shows there first. See `starter status %s`.\n",
				id, stage, id)
		}
		return fmt.Sprintf("Sent to %s. The transfer is in stage %s and has not reached its agreement check; it checks Partner Center when it gets there. See `starter status %s`.\n",
			id, stage, id)
	case agreementRefused:
		sent := "Sent"
		if attested {
			sent = "Your attestation was sent"
		}
		return fmt.Sprintf("%s to %s, as the transfer asked: a purchase was refused because the Microsoft Customer Agreement was not in place (13605). Follow it with `starter status %s`: the refused lines show there until they are bought.\n",
			sent, id, id)
	}
	return fmt.Sprintf("%s. Follow it with `starter status %s`.\n", what, id)
}
