package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/devserver"
	"github.com/csptransfer/csptransfer/internal/sandbox"
	"github.com/csptransfer/csptransfer/internal/workerapp"
)

// TestWorkersShareThePartnerTenantsBudget: three workers calling one partner tenant together stay within
// its limits, Partner Center's and Graph's apart, as counted by the sandbox they call, and the 429s
// Partner Center answers meanwhile are retried after their Retry-After.
func TestWorkersShareThePartnerTenantsBudget(t *testing.T) {
	sas := map[string]string{}
	for _, sa := range csptransfer.SearchAttributes() {
		sas[sa.Name] = sa.Type
	}
	srv := devserver.Start(t, devserver.Options{SearchAttributes: sas})
	c := srv.Client()

	// One sandbox for all three workers, counting what it serves.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	sb, err := sandbox.New(sandbox.Options{Addr: ln.Addr().String(), PublicURL: url})
	require.NoError(t, err)
	hs := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); _ = sb.Close() })

	const rate = 4 // calls per second to the partner tenant, for each API, across all workers
	env := []string{
		"PARTNER_CENTER_CLIENT_ID", sandbox.ClientID, "PARTNER_CENTER_CLIENT_SECRET", sandbox.ClientSecret,
		"PARTNER_CENTER_REFRESH_TOKEN", sandbox.RefreshToken, "PARTNER_CENTER_TENANT_IDS", sandbox.PartnerEU,
		"PARTNER_CENTER_BASE_URL", url, "GRAPH_BASE_URL", url + "/graph/v1.0", "IDENTITY_AUTHORITY", url + "/login",
		"CSP_PC_RATE", fmt.Sprint(rate), "CSP_PC_BURST", "1", "CSP_GRAPH_RATE", fmt.Sprint(rate), "CSP_GRAPH_BURST", "1",
		"CSP_RATE_SHARE_EVERY", "1s",
	}
	var workers []*workerapp.Main
	for range 3 {
		workers = append(workers, startWorkerOn(t, srv.FrontendHostPort(), env...))
	}
	require.Eventually(t, func() bool {
		for _, w := range workers {
			if w.RateShare() != 3 {
				return false
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "every worker counts the three")

	admin := sandbox.AdminClient{BaseURL: url}
	// Partner Center throttles now and then: each 429 is retried after its Retry-After, inside the budget.
	const throttled = 6
	require.NoError(t, admin.PutFaults(context.Background(), sandbox.FaultRules{Seed: 7, Rules: []sandbox.FaultRule{
		{Match: "/v1/**", Status: http.StatusTooManyRequests, RetryAfterSeconds: 1, Probability: 0.1, Count: throttled},
	}}))
	expires := time.Now().Add(20 * time.Second).UTC().Truncate(time.Second)
	var runs []client.WorkflowRun
	for i := range 12 {
		tenant := uuid.NewString()
		domain := fmt.Sprintf("budget-%d-%s.onmicrosoft.com", i, tenant[:8])
		require.NoError(t, admin.CreateCustomer(context.Background(), sandbox.CustomerInput{
			TenantID: tenant, Domain: domain, CompanyName: "Budget SAS", Country: "FR", AgreementSigned: true,
			Originals: []sandbox.OriginalInput{{SkuPartNumber: "STANDARDPACK", TotalLicenses: 3, ExpiresAt: &expires}},
			Users:     []sandbox.UserInput{{UserPrincipalName: "u1@" + domain, DisplayName: "U1", Licenses: []sandbox.LicenseInput{{SkuPartNumber: "STANDARDPACK"}}}},
		}))
		require.NoError(t, admin.Accept(context.Background(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}))
		id, run := startTransfer(t, c, csptransfer.TransferRequest{CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR",
			ContactEmail: "it@" + domain})
		require.NoError(t, c.SignalWorkflow(context.Background(), id, "", csptransfer.SignalRelationshipAccepted,
			csptransfer.RelationshipAccepted{CustomerTenantID: tenant, Source: "test"}))
		runs = append(runs, run)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, run := range runs {
		var rep csptransfer.TransferReport
		if err := run.Get(ctx, &rep); err != nil {
			st := status(t, c, run.GetID())
			t.Fatalf("%s: %v; stage %s, awaiting %+v, last error %q", run.GetID(), err, st.Stage, st.Awaiting, st.LastError)
		}
		require.Equal(t, csptransfer.StageCompleted, rep.Outcome, rep.Reason)
	}

	// Each worker sends at a third of the rate, with a burst of one: the sandbox's own counters for the
	// partner tenant see at most the rate and the three workers' bursts in any second, and at most
	// 5 × rate and the bursts in any 5 seconds.
	calls, err := admin.Calls(context.Background(), 600)
	require.NoError(t, err)
	require.Equal(t, int64(throttled), calls.Throttled, "every injected 429 was answered, and the transfers completed all the same")
	var eu *sandbox.TenantCalls
	for i := range calls.Tenants {
		if strings.EqualFold(calls.Tenants[i].TenantID, sandbox.PartnerEU) {
			eu = &calls.Tenants[i]
		}
	}
	require.NotNil(t, eu, "the sandbox counted the partner tenant's calls")
	for _, api := range []struct {
		name  string
		count func(sandbox.SecondCalls) int64
		max   int64
	}{
		{"Partner Center", func(s sandbox.SecondCalls) int64 { return s.PartnerCenter }, eu.MaxPartnerCenterPerSecond},
		{"Graph", func(s sandbox.SecondCalls) int64 { return s.Graph }, eu.MaxGraphPerSecond},
	} {
		var peak5 int64
		for i := range eu.PerSecond {
			var sum int64
			for _, sec := range eu.PerSecond[i:] {
				if sec.At.Sub(eu.PerSecond[i].At) >= 5*time.Second {
					break
				}
				sum += api.count(sec)
			}
			peak5 = max(peak5, sum)
		}
		t.Logf("%s: at most %d calls in a second and %d in 5 seconds (limit %d/s across 3 workers)", api.name, api.max, peak5, rate)
		require.LessOrEqual(t, api.max, int64(rate+3), "%s calls stay within the tenant's budget every second", api.name)
		require.LessOrEqual(t, peak5, int64(5*rate+3), "%s calls stay within the tenant's budget", api.name)
	}
	// 12 transfers make about 100 Partner Center calls: three times what any 5 seconds may carry, so the
	// limit, not a lack of work, is what the peaks show.
	require.Greater(t, eu.PartnerCenter, int64(3*(5*rate+3)), "enough load for the limit to matter")
}
