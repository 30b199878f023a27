package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/notify/smtptest"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// TestTransferCompletesAgainstAStartTLSRelayWithCredentials runs a whole transfer with the worker's
// notifier pointed at a real SMTP relay that offers STARTTLS and requires a login: the invitation and the
// renewal reminder go out over TLS, the login happens only after STARTTLS, and the transfer completes.
func TestTransferCompletesAgainstAStartTLSRelayWithCredentials(t *testing.T) {
	relay := smtptest.StartWith(t, smtptest.Options{Mode: smtptest.StartTLS, Username: "csp-relay", Password: "relay-secret"})
	c, m := startWorker(t,
		"CSP_SMTP_ADDR", relay.Addr, "CSP_SMTP_FROM", "transfers@partner.example",
		"CSP_SMTP_USERNAME", "csp-relay", "CSP_SMTP_PASSWORD", "relay-secret", "CSP_SMTP_CA_FILE", relay.CAFile)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	expires := time.Now().Add(8 * time.Second).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, "mail", expires, true)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", Approval: csptransfer.ApprovalNever,
		ContactEmail:  "it@" + domain,
		Subscriptions: []csptransfer.OriginalSubscription{{SkuPartNumber: "STANDARDPACK", Quantity: 2, ExpiresAt: expires}},
	})
	sendSignal(t, c, id, csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(ctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)
	require.NotContains(t, rep.LastError, "not reached")

	var subjects []string
	for _, msg := range relay.Messages() {
		require.True(t, msg.TLS, "every message went over TLS")
		require.Equal(t, "csp-relay", msg.User)
		require.Equal(t, []string{"it@" + domain}, msg.To)
		subjects = append(subjects, msg.Data)
	}
	all := strings.Join(subjects, "\n")
	require.Contains(t, all, "Please accept our reseller relationship")
	require.Contains(t, all, "recurring billing")
	for _, a := range relay.Auths() {
		require.True(t, a.TLS, "the login happened only over TLS")
	}
}

// TestAdminAccessSurvivesALostCreateAnswer: the sandbox's GDAP create acts and then times out, as a
// gateway can. The transfer finds the relationship it created by its name, the customer approves it, and
// the transfer completes with exactly one relationship.
func TestAdminAccessSurvivesALostCreateAnswer(t *testing.T) {
	c, m := startWorker(t)
	sb := sandbox.AdminClient{BaseURL: m.SandboxURL}
	ctx := context.Background()
	require.NoError(t, sb.PutFaults(ctx, sandbox.FaultRules{Rules: []sandbox.FaultRule{{
		Kind: sandbox.FaultLostAnswer, Match: "POST /graph/v1.0/tenantRelationships/delegatedAdminRelationships", Count: 1}}}))
	expires := time.Now().Add(10 * time.Second).UTC().Truncate(time.Second)
	tenant, domain := newDemoCustomer(t, sb, "gdap", expires, false)
	id, run := startTransfer(t, c, csptransfer.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", Approval: csptransfer.ApprovalNever,
		RequestAdminAccess: true,
		Subscriptions:      []csptransfer.OriginalSubscription{{SkuPartNumber: "STANDARDPACK", Quantity: 2, ExpiresAt: expires}},
	})
	st := waitFor(t, c, id, "the GDAP request", func(s csptransfer.TransferStatus) bool {
		return s.Stage == csptransfer.StageAwaitingAcceptance && s.AdminApprovalURL != ""
	})
	require.NoError(t, sb.Accept(ctx, tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
	require.NoError(t, sb.ApproveGDAP(ctx, st.AdminRelationshipID))
	sendSignal(t, c, id, csptransfer.SignalRelationshipAccepted, csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"})

	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var rep csptransfer.TransferReport
	require.NoError(t, run.Get(wctx, &rep))
	require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)

	faults, err := sb.Faults(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, faults.Rules[0].Fired, "the create's answer was lost once")
	ledger, err := sb.Ledger(ctx)
	require.NoError(t, err)
	for _, cl := range ledger.Customers {
		if cl.TenantID == tenant {
			require.Equal(t, 1, cl.GDAPRelationships)
			require.Zero(t, cl.DuplicatePurchases)
		}
	}
}
