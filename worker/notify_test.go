package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/demo"
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
	tenant := uuid.NewString()
	domain := "mail-" + tenant[:8] + ".onmicrosoft.com"
	expires := time.Now().Add(8 * time.Second).UTC().Truncate(time.Second)
	require.NoError(t, sb.CreateCustomer(context.Background(), demo.Customer(tenant, domain, expires)))
	require.NoError(t, sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))

	id := csptransfer.WorkflowID(tenant)
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: csptransfer.TaskQueue},
		csptransfer.WorkflowType, csptransfer.TransferRequest{
			CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR", Approval: csptransfer.ApprovalNever,
			ContactEmail:  "it@" + domain,
			Subscriptions: []csptransfer.OriginalSubscription{{SkuPartNumber: "STANDARDPACK", Quantity: 2, ExpiresAt: expires}},
		})
	require.NoError(t, err)
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
