package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/pcwebhook"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/workerapp"
)

const testToken = "integration-test-onboarding-token"

// stack is a real Temporal dev server, a worker with the real activities talking to the sandbox, and the
// trigger service program, wired the way `make run` wires them.
type stack struct {
	c          client.Client
	sandboxURL string
	sb         sandbox.AdminClient
	triggerURL string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	c := srv.Client()
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))

	// Both listeners first: the sandbox must know where to deliver webhooks, the trigger service where to
	// fetch the sandbox's root.
	sbl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	trl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &stack{c: c, sandboxURL: "http://" + sbl.Addr().String(), triggerURL: "http://" + trl.Addr().String()}
	s.sb = sandbox.AdminClient{BaseURL: s.sandboxURL}
	trAddr := trl.Addr().String()
	require.NoError(t, trl.Close()) // the trigger program listens on it itself

	require.NoError(t, sbl.Close()) // the worker's sandbox listens on it itself
	wcfg, err := config.LoadWorkerFrom(config.Map{
		"TEMPORAL_ADDRESS": srv.FrontendHostPort(), "CSP_METRICS_ADDR": "off",
		"CSP_SANDBOX_ADDR": sbl.Addr().String(), "CSP_SANDBOX_WEBHOOK_URL": s.triggerURL + "/webhooks/partner-center",
	})
	require.NoError(t, err)
	wm := &workerapp.Main{Config: wcfg, Log: log}
	stop, err := wm.Start(context.Background(), time.Minute)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stop()) })

	cfg, err := config.LoadTriggerFrom(config.Map{
		"TEMPORAL_ADDRESS":     srv.FrontendHostPort(),
		"CSP_TRIGGER_ADDR":     trAddr,
		"CSP_TRIGGER_MODE":     "sandbox",
		"CSP_SANDBOX_URL":      s.sandboxURL,
		"CSP_ONBOARDING_TOKEN": testToken,
		"CSP_UI_URL":           "http://localhost:8233",
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- (&Main{Config: cfg, Log: log, Ready: ready}).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "the trigger service stops cleanly")
		case <-time.After(20 * time.Second):
			t.Error("trigger service did not stop")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("trigger service stopped early: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("trigger service not ready within a minute")
	}
	return s
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func (s *stack) call(t *testing.T, method, url, token string, in any) answer {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, ok := in.([]byte)
		if !ok {
			var err error
			b, err = json.Marshal(in)
			require.NoError(t, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	resp, err := cl.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &a.body)
	}
	return a
}

func (s *stack) newCustomer(t *testing.T) (tenant, domain string) {
	t.Helper()
	tenant = uuid.NewString()
	domain = "trg-" + tenant[:8] + ".onmicrosoft.com"
	require.NoError(t, s.sb.CreateCustomer(context.Background(), sandbox.CustomerInput{
		TenantID: tenant, Domain: domain, CompanyName: "Trigger Test SARL", Country: "FR", AgreementSigned: true,
		Originals: []sandbox.OriginalInput{{SkuPartNumber: "STANDARDPACK", TotalLicenses: 2, ExpiresIn: "30d"}},
		Users:     []sandbox.UserInput{{UserPrincipalName: "u1@" + domain, Licenses: []sandbox.LicenseInput{{SkuPartNumber: "STANDARDPACK"}}}},
	}))
	return tenant, domain
}

func (s *stack) status(t *testing.T, id string) csptransfer.TransferStatus {
	t.Helper()
	v, err := s.c.QueryWorkflow(context.Background(), id, "", csptransfer.QueryStatus)
	require.NoError(t, err)
	var st csptransfer.TransferStatus
	require.NoError(t, v.Get(&st))
	return st
}

func (s *stack) waitFor(t *testing.T, id, what string, cond func(csptransfer.TransferStatus) bool) csptransfer.TransferStatus {
	t.Helper()
	var st csptransfer.TransferStatus
	require.Eventually(t, func() bool {
		st = s.status(t, id)
		return cond(st)
	}, 45*time.Second, 100*time.Millisecond, "waiting for %s; last: stage %s, last error %q", what, st.Stage, st.LastError)
	return st
}

// signals lists the sources of the relationship signals a transfer received.
func (s *stack) signals(t *testing.T, id string) []string {
	t.Helper()
	it := s.c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []string
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			var p struct {
				Source string `json:"source"`
			}
			if len(a.GetInput().GetPayloads()) == 1 {
				_ = json.Unmarshal(a.GetInput().GetPayloads()[0].GetData(), &p)
			}
			out = append(out, a.GetSignalName()+"/"+p.Source)
		}
	}
	return out
}

func TestTriggerServiceEndToEnd(t *testing.T) {
	s := startStack(t)
	start := s.triggerURL + "/v1/transfers"

	t.Run("health and readiness", func(t *testing.T) {
		require.Equal(t, http.StatusOK, s.call(t, http.MethodGet, s.triggerURL+"/healthz", "", nil).status)
		a := s.call(t, http.MethodGet, s.triggerURL+"/readyz", "", nil)
		require.Equal(t, http.StatusOK, a.status, a.raw)
		require.Equal(t, "ready", a.body["status"])
	})

	t.Run("onboarding API refuses without the right token", func(t *testing.T) {
		req := map[string]any{"customerTenantId": uuid.NewString(), "customerDomain": "x.onmicrosoft.com"}
		for _, token := range []string{"", "wrong", testToken[:len(testToken)-1], testToken + "x"} {
			a := s.call(t, http.MethodPost, start, token, req)
			require.Equal(t, http.StatusUnauthorized, a.status, "token %q", token)
			require.NotEmpty(t, a.body["error"])
			require.NotContains(t, a.raw, testToken)
		}
	})

	t.Run("onboarding API names every field problem", func(t *testing.T) {
		a := s.call(t, http.MethodPost, start, testToken, map[string]any{"customerTenantId": "contoso", "country": "XX"})
		require.Equal(t, http.StatusBadRequest, a.status, a.raw)
		for _, field := range []string{"customerTenantId", "customerDomain", "country"} {
			require.Contains(t, a.raw, `"field":"`+field+`"`)
		}
		a = s.call(t, http.MethodPost, start, testToken, []byte(`{"customerTenantId":"6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f","customerDomian":"x.onmicrosoft.com"}`))
		require.Equal(t, http.StatusBadRequest, a.status)
		require.Contains(t, a.raw, "customerDomian")
		a = s.call(t, http.MethodPost, start, testToken, []byte(`{"customerTenantId":`))
		require.Equal(t, http.StatusBadRequest, a.status)
		a = s.call(t, http.MethodPost, start, testToken, []byte(`{"customerTenantId":"6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f","continued":{}}`))
		require.Equal(t, http.StatusBadRequest, a.status)
		require.Contains(t, a.raw, `"field":"continued"`)
		a = s.call(t, http.MethodGet, start+"/not-a-tenant", testToken, nil)
		require.Equal(t, http.StatusBadRequest, a.status)
		a = s.call(t, http.MethodGet, start+"/"+uuid.NewString(), testToken, nil)
		require.Equal(t, http.StatusNotFound, a.status, a.raw)
	})

	t.Run("webhooks move a transfer on without a manual signal", func(t *testing.T) {
		tenant, domain := s.newCustomer(t)
		req := map[string]any{"customerTenantId": strings.ToUpper(tenant), "customerDomain": domain, "country": "FR", "requestAdminAccess": true}
		first := s.call(t, http.MethodPost, start, testToken, req)
		require.Equal(t, http.StatusCreated, first.status, first.raw)
		id := csptransfer.WorkflowID(tenant)
		require.Equal(t, id, first.body["workflowId"])
		require.Equal(t, "http://localhost:8233/namespaces/default/workflows/"+id, first.body["uiLink"])
		second := s.call(t, http.MethodPost, start, testToken, req)
		require.Equal(t, http.StatusOK, second.status, second.raw)
		require.Equal(t, true, second.body["existing"])
		require.Equal(t, first.body["runId"], second.body["runId"], "the same request twice starts one workflow")

		st := s.waitFor(t, id, "the invitation", func(st csptransfer.TransferStatus) bool {
			return st.Stage == csptransfer.StageAwaitingAcceptance && st.AdminRelationshipID != ""
		})
		a := s.call(t, http.MethodGet, start+"/"+tenant, testToken, nil)
		require.Equal(t, http.StatusOK, a.status, a.raw)
		require.Equal(t, string(csptransfer.StageAwaitingAcceptance), a.body["stage"])

		// The customer accepts and approves admin access; the sandbox delivers both signed events.
		require.NoError(t, s.sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
		s.waitFor(t, id, "the acceptance to be verified", func(st csptransfer.TransferStatus) bool {
			for _, e := range st.Timeline {
				if strings.Contains(e.Note, "reseller relationship verified") {
					return true
				}
			}
			return false
		})
		// Visibility must show the stage before the GDAP event can find the transfer; it does long before
		// a customer approves in real life.
		s.waitVisible(t, id)
		require.NoError(t, s.sb.ApproveGDAP(context.Background(), st.AdminRelationshipID))
		s.waitFor(t, id, "the transfer to move past acceptance", func(st csptransfer.TransferStatus) bool {
			return st.Stage != csptransfer.StageAwaitingAcceptance
		})
		require.Equal(t, []string{csptransfer.SignalRelationshipAccepted + "/webhook", csptransfer.SignalAdminAccessApproved + "/webhook"}, s.signals(t, id))

		hooks, err := s.sb.Webhook(context.Background())
		require.NoError(t, err)
		var delivered []string
		for _, d := range hooks.RecentDeliveries {
			if d.CustomerID == tenant {
				require.Equal(t, "delivered", d.Outcome, "%+v", hooks.RecentDeliveries)
				require.Equal(t, http.StatusOK, d.StatusCode)
				delivered = append(delivered, d.EventName)
			}
		}
		require.Equal(t, []string{pcwebhook.EventResellerRelationshipAccepted, pcwebhook.EventGranularAdminRelationshipApproved}, delivered)
	})

	t.Run("a source partner from the onboarding API; its complete-transfer webhook moves the transfer on", func(t *testing.T) {
		tenant := uuid.NewString()
		domain := "trg-p2p-" + tenant[:8] + ".onmicrosoft.com"
		termEnd := time.Now().AddDate(0, 7, 0).UTC().Truncate(time.Second)
		require.NoError(t, s.sb.CreateCustomer(context.Background(), demo.PartnerCustomer(tenant, domain, termEnd, time.Now().Add(time.Hour).UTC())))
		a := s.call(t, http.MethodPost, start, testToken, map[string]any{"customerTenantId": tenant, "customerDomain": domain, "country": "US",
			"contactEmail": "it@" + domain, "requestAdminAccess": true,
			"sourcePartner": map[string]any{"tenantId": strings.ToUpper(sandbox.OtherCSP), "name": "Contoso Cloud Partners LLC"}})
		require.Equal(t, http.StatusCreated, a.status, a.raw)
		id := csptransfer.WorkflowID(tenant)
		st := s.waitFor(t, id, "the invitation", func(st csptransfer.TransferStatus) bool {
			return st.Stage == csptransfer.StageAwaitingAcceptance && st.AdminRelationshipID != ""
		})
		s.waitVisible(t, id)
		require.NoError(t, s.sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: st.PartnerTenantID}))
		require.NoError(t, s.sb.ApproveGDAP(context.Background(), st.AdminRelationshipID))

		st = s.waitFor(t, id, "the transfer request", func(st csptransfer.TransferStatus) bool {
			return st.Stage == csptransfer.StageAwaitingPartnerTransfer && st.PartnerTransfer != nil
		})
		pt := st.PartnerTransfer
		require.Equal(t, sandbox.OtherCSP, pt.SourcePartnerTenantID, "the onboarding body's sourcePartner reached the workflow")
		require.NotNil(t, pt.NextCheckAt)
		require.Greater(t, time.Until(*pt.NextCheckAt), time.Minute, "the next poll is far: only the webhook can move it on in time")

		// The source partner accepts; the sandbox delivers a signed complete-transfer event, and the transfer
		// reads the request back long before its next poll.
		require.NoError(t, s.sb.AcceptTransfer(context.Background(), tenant, pt.ID))
		st = s.waitFor(t, id, "the completed request to be read back", func(st csptransfer.TransferStatus) bool {
			return st.PartnerTransfer != nil && st.PartnerTransfer.Outcome == csptransfer.PartnerTransferComplete
		})
		require.Equal(t, "Complete", st.PartnerTransfer.Status)
		require.Contains(t, s.signals(t, id), csptransfer.SignalPartnerTransferUpdated+"/webhook")
		st = s.waitFor(t, id, "the line to be verified under this partner", func(st csptransfer.TransferStatus) bool {
			for _, l := range st.Lines {
				if l.Transfers() && l.Progress.Transferred {
					return true
				}
			}
			return false
		})
		for _, l := range st.Lines {
			if l.SourceSkuPartNumber == "SPB" {
				require.Equal(t, csptransfer.MethodTransfer, l.Method, "never both for one line")
				require.False(t, l.Progress.Ordered, "nothing bought for the transferred line")
			}
		}

		hooks, err := s.sb.Webhook(context.Background())
		require.NoError(t, err)
		var delivered []string
		for _, d := range hooks.RecentDeliveries {
			if d.CustomerID == tenant && d.EventName == EventCompleteTransfer {
				require.Equal(t, http.StatusOK, d.StatusCode, "%+v", d)
				delivered = append(delivered, d.Outcome)
			}
		}
		require.Equal(t, []string{"delivered"}, delivered)
		a = s.call(t, http.MethodGet, start+"/"+tenant, testToken, nil)
		require.Equal(t, http.StatusOK, a.status, a.raw)
		require.NotNil(t, a.body["partnerTransfer"])
	})

	t.Run("the reconciler catches an acceptance whose webhook was lost", func(t *testing.T) {
		require.NoError(t, s.sb.SetWebhook(context.Background(), ""))
		t.Cleanup(func() {
			require.NoError(t, s.sb.SetWebhook(context.Background(), s.triggerURL+"/webhooks/partner-center"))
		})
		tenant, domain := s.newCustomer(t)
		a := s.call(t, http.MethodPost, start, testToken, map[string]any{"customerTenantId": tenant, "customerDomain": domain, "country": "FR"})
		require.Equal(t, http.StatusCreated, a.status, a.raw)
		id := csptransfer.WorkflowID(tenant)
		s.waitFor(t, id, "the invitation", func(st csptransfer.TransferStatus) bool { return st.Stage == csptransfer.StageAwaitingAcceptance })
		s.waitVisible(t, id)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		reconcile := func() csptransfer.ReconcileReport {
			run, err := s.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: csptransfer.ReconcileWorkflowID + "-" + uuid.NewString(), TaskQueue: csptransfer.TaskQueue},
				csptransfer.ReconcileWorkflowType, csptransfer.ReconcileInput{})
			require.NoError(t, err)
			var rep csptransfer.ReconcileReport
			require.NoError(t, run.Get(ctx, &rep))
			return rep
		}
		// Not accepted yet: checked, not signalled.
		rep := reconcile()
		require.GreaterOrEqual(t, rep.Checked, 1)
		require.NotContains(t, rep.Signalled, id)
		require.Empty(t, rep.Errors)

		require.NoError(t, s.sb.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
		rep = reconcile()
		require.Contains(t, rep.Signalled, id, "%+v", rep)
		s.waitFor(t, id, "the transfer to move past acceptance", func(st csptransfer.TransferStatus) bool {
			return st.Stage != csptransfer.StageAwaitingAcceptance
		})
		require.Equal(t, []string{csptransfer.SignalRelationshipAccepted + "/" + csptransfer.ReconcileSource}, s.signals(t, id))
	})

	t.Run("the reconciliation schedule is created once and kept current", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		desc, err := s.c.ScheduleClient().GetHandle(ctx, csptransfer.ReconcileScheduleID).Describe(ctx)
		require.NoError(t, err)
		require.Equal(t, 15*time.Minute, desc.Schedule.Spec.Intervals[0].Every, "started by the service with the default interval")
		action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
		require.True(t, ok)
		require.Equal(t, csptransfer.TaskQueue, action.TaskQueue)

		created, err := EnsureSchedule(ctx, s.c, 5*time.Minute)
		require.NoError(t, err)
		require.False(t, created)
		desc, err = s.c.ScheduleClient().GetHandle(ctx, csptransfer.ReconcileScheduleID).Describe(ctx)
		require.NoError(t, err)
		require.Len(t, desc.Schedule.Spec.Intervals, 1)
		require.Equal(t, 5*time.Minute, desc.Schedule.Spec.Intervals[0].Every)
		_, err = EnsureSchedule(ctx, s.c, 0)
		require.Error(t, err)
	})
}

// waitVisible waits until visibility lists the transfer as awaiting acceptance.
func (s *stack) waitVisible(t *testing.T, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := s.c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: csptransfer.AwaitingAcceptanceQuery() + " AND WorkflowId = '" + id + "'"})
		if err != nil {
			require.False(t, errors.Is(err, context.Canceled))
			return false
		}
		return len(resp.GetExecutions()) == 1
	}, 30*time.Second, 100*time.Millisecond, "visibility never listed %s as awaiting acceptance", id)
}
