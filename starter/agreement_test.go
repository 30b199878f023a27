package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
)

// Every attestation problem is named by its flag before anything connects, and no message repeats a
// personal value.
func TestAgreementFlagsBeforeConnecting(t *testing.T) {
	const name, email, phone = "Zoë-Personal", "zoe.personal@contoso", "+49 30 PERSONAL"
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"personal flags without --attest", []string{"agreement", goldenTenant, "--email", email, "--first-name", name}, exitUsage,
			[]string{"--first-name, --email: only with --attest", "nothing was sent"}},
		{"attest without the person", []string{"agreement", goldenTenant, "--attest"}, exitUsage,
			[]string{"invalid attestation (nothing was sent)", "--first-name: required with --attest", "--last-name: required with --attest", "--email: required with --attest"}},
		{"bad e-mail, phone and date", []string{"agreement", goldenTenant, "--attest", "--first-name", name, "--last-name", name,
			"--email", email, "--phone", phone, "--date", "yesterday " + name}, exitUsage,
			[]string{"--email: not an e-mail address", "--phone: not a phone number", "--date: not an RFC 3339 time or a date"}},
		{"display name in the e-mail", []string{"agreement", goldenTenant, "--attest", "--first-name", name, "--last-name", name,
			"--email", name + " <zoe@contoso.example>"}, exitUsage, []string{"--email: not an e-mail address"}},
		{"control characters", []string{"agreement", goldenTenant, "--attest", "--first-name", name + "\n", "--last-name", "a\x1bb",
			"--email", "zoe@contoso.example"}, exitUsage, []string{"--last-name: must not contain control characters"}},
		{"a date in the future", []string{"agreement", goldenTenant, "--attest", "--first-name", name, "--last-name", name,
			"--email", "zoe@contoso.example", "--date", "2026-11-23"}, exitUsage, []string{"--date: is in the future"}},
		{"bad ID", []string{"agreement", "contoso"}, exitUsage, []string{"neither a workflow ID"}},
		{"a re-check reaches for Temporal", []string{"agreement", goldenTenant}, exitError, []string{"cannot reach Temporal at 127.0.0.1:1"}},
		{"an attestation reaches for Temporal", []string{"agreement", goldenTenant, "--attest", "--first-name", name, "--last-name", name,
			"--email", "zoe@contoso.example", "--phone", "+49 (30) 123-456", "--date", "2026-11-22"}, exitError, []string{"cannot reach Temporal at 127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := offline(t, "", tc.args...)
			require.Equal(t, tc.code, code, stderr)
			for _, s := range tc.stderr {
				require.Contains(t, stderr, s)
			}
			for _, personal := range []string{"Zoë", "PERSONAL", "zoe.personal", "zoe@"} {
				require.NotContains(t, stderr+stdout, personal, "personal data is never echoed")
			}
		})
	}
}

func TestAttestationDefaultsToNow(t *testing.T) {
	a := newApp(nil)
	cmd := a.agreementCmd()
	require.NoError(t, cmd.ParseFlags([]string{"--attest", "--first-name", " Jana ", "--last-name", "Novak", "--email", "jana@contoso.example"}))
	f := attestationFlags{attest: true, firstName: " Jana ", lastName: "Novak", email: "jana@contoso.example"}
	att, err := f.attestation(cmd, goldenNow.Add(500*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, &csptransfer.Attestation{FirstName: "Jana", LastName: "Novak", Email: "jana@contoso.example", DateAgreed: goldenNow}, att)
}

func TestAgreementPhase(t *testing.T) {
	for _, tc := range []struct {
		stage csptransfer.Stage
		err   string
		want  agreementPhase
	}{
		{csptransfer.StageValidating, "", agreementAhead},
		{csptransfer.StageAwaitingAcceptance, "", agreementAhead},
		{csptransfer.StageCheckingAgreement, "", agreementChecking},
		{csptransfer.StageAwaitingApproval, "", agreementInPlace},
		{csptransfer.StageProvisioning, "needs an operator: the Microsoft Customer Agreement is not in place (13605); send agreement-accepted once it is", agreementRefused},
		{csptransfer.StageProvisioning, "needs an operator: offer not available", agreementInPlace},
	} {
		st := csptransfer.TransferStatus{Stage: tc.stage, Lines: []csptransfer.Line{{Progress: csptransfer.LineProgress{Error: tc.err}}}}
		require.Equal(t, tc.want, phaseOf(st), "%s %q", tc.stage, tc.err)
	}
	id := csptransfer.WorkflowID(goldenTenant)
	require.Equal(t, "The transfer checks Partner Center again for the customer's acceptance of the Microsoft Customer Agreement. Follow it with `starter status "+id+"`.\n",
		agreementSentence(id, csptransfer.StageCheckingAgreement, agreementChecking, false))
	require.Equal(t, "Your attestation that the customer accepted the Microsoft Customer Agreement was sent: the transfer records it in Partner Center, "+
		"unless the customer's own acceptance shows there first. Follow it with `starter status "+id+"`.\n",
		agreementSentence(id, csptransfer.StageCheckingAgreement, agreementChecking, true))
	require.Equal(t, "Sent to "+id+", as the transfer asked: a purchase was refused because the Microsoft Customer Agreement was not in place (13605). "+
		"Follow it with `starter status "+id+"`: the refused lines show there until they are bought.\n",
		agreementSentence(id, csptransfer.StageProvisioning, agreementRefused, false))
}
