package sandbox_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func TestHTTPFaults(t *testing.T) {
	e := newEnv(t)
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
	pc := e.token(sandbox.PartnerEU, scopePC, false)
	g := e.token(sandbox.CustomerDiscontinued, scopeGraph, false)
	r := e.do("PUT", "/sandbox/faults", "", map[string]any{"rules": []map[string]any{
		{"match": "POST /v1/customers/*/carts/*/checkout", "status": 429, "retryAfterSeconds": 2, "probability": 1.0, "count": 1},
		{"match": "GET /graph/v1.0/users", "status": 503, "count": 2},
		{"match": "GET /v1/profiles/**", "latencyMs": 20, "count": 1},
		{"match": "POST /login/**", "status": 500, "count": 1},
	}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))

	t.Run("ThrottledCheckoutThenSuccess", func(t *testing.T) {
		r := e.createCart(pc, sandbox.CustomerDiscontinued, line(0, e.catalogItem(pc, sandbox.CustomerDiscontinued, productO365E3, "0001"), 12))
		path := "/v1/customers/" + sandbox.CustomerDiscontinued + "/carts/" + r.json(t)["id"].(string) + "/checkout"
		r = e.do("POST", path, pc, nil, "MS-RequestId", "55555555-5555-5555-5555-555555555555")
		require.Equal(t, http.StatusTooManyRequests, r.status)
		require.Equal(t, "2", r.header.Get("Retry-After"))
		m := r.json(t)
		require.EqualValues(t, 429, m["statusCode"])
		require.Equal(t, "Rate limit is exceeded. Try again in 2 seconds.", m["message"])
		// A throttled answer is not remembered: the retry with the same MS-RequestId runs.
		r = e.do("POST", path, pc, nil, "MS-RequestId", "55555555-5555-5555-5555-555555555555")
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
	})
	t.Run("GraphUnavailableTwice", func(t *testing.T) {
		for range 2 {
			r := e.do("GET", "/graph/v1.0/users?$top=1", g, nil)
			require.Equal(t, http.StatusServiceUnavailable, r.status)
			require.Equal(t, "serviceNotAvailable", r.json(t)["error"].(map[string]any)["code"])
		}
		r := e.do("GET", "/graph/v1.0/users?$top=1", g, nil)
		require.Equal(t, http.StatusOK, r.status)
		r = e.do("GET", "/graph/v1.0/users/x", g, nil)
		require.Equal(t, http.StatusNotFound, r.status, "the users rule matches the collection only")
	})
	t.Run("Latency", func(t *testing.T) {
		start := time.Now()
		r := e.do("GET", "/v1/profiles/legalbusiness", pc, nil)
		require.Equal(t, http.StatusOK, r.status)
		require.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	})
	t.Run("TokenEndpoint", func(t *testing.T) {
		r := e.tokenResp(sandbox.PartnerEU, map[string][]string{"grant_type": {"client_credentials"}})
		require.Equal(t, http.StatusInternalServerError, r.status)
		require.Equal(t, "temporarily_unavailable", r.json(t)["error"])
	})
	t.Run("CountersVisible", func(t *testing.T) {
		r := e.do("GET", "/sandbox/faults", "", nil)
		for _, rule := range r.json(t)["rules"].([]any) {
			m := rule.(map[string]any)
			require.Equal(t, m["count"], m["fired"], m["match"])
		}
	})
	r = e.do("DELETE", "/sandbox/faults", "", nil)
	require.Equal(t, http.StatusNoContent, r.status)
}

func TestFaultProbabilityIsDeterministic(t *testing.T) {
	run := func() []int {
		e := newEnv(t)
		r := e.do("PUT", "/sandbox/faults", "", map[string]any{"seed": 42, "rules": []map[string]any{{"match": "GET /v1/profiles/legalbusiness", "status": 500, "probability": 0.5}}})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		tok := e.token(sandbox.PartnerEU, scopePC, false)
		var out []int
		for range 20 {
			out = append(out, e.do("GET", "/v1/profiles/legalbusiness", tok, nil).status)
		}
		return out
	}
	a, b := run(), run()
	require.Equal(t, a, b)
	require.Contains(t, a, 500)
	require.Contains(t, a, 200)
}

func TestDropWebhookFault(t *testing.T) {
	hook, events := receiver(t)
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	r := e.do("PUT", "/sandbox/faults", "", map[string]any{"rules": []map[string]any{{"kind": "dropWebhook", "count": 1}}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	e.accept(sandbox.CustomerSameOffer, sandbox.PartnerEU, false)
	e.accept(sandbox.CustomerDiscontinued, sandbox.PartnerEU, false)
	ev := waitEvent(t, events)
	require.Contains(t, string(ev.body), sandbox.CustomerDiscontinued)
	require.Eventually(t, func() bool {
		return customerLedger(t, e.ledger(), sandbox.CustomerDiscontinued).WebhooksSent == 1
	}, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, customerLedger(t, e.ledger(), sandbox.CustomerSameOffer).WebhooksDropped)
	r = e.do("GET", "/sandbox/webhook", "", nil)
	require.Contains(t, string(r.body), "injected fault")
}

func TestWebhookGivesUpAfterRetries(t *testing.T) {
	hook, _ := receiver(t, 500, 500, 500, 500)
	e := newEnv(t, func(o *sandbox.Options) { o.WebhookURL = hook.URL })
	e.accept(sandbox.CustomerSameOffer, sandbox.PartnerEU, false)
	require.Eventually(t, func() bool {
		return customerLedger(t, e.ledger(), sandbox.CustomerSameOffer).WebhooksDropped == 1
	}, 5*time.Second, 5*time.Millisecond)
}

func TestFaultValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		rule      map[string]any
		wantField string
	}{
		{name: "NoMatch", rule: map[string]any{"status": 500}, wantField: "rules[0].match"},
		{name: "StatusOutOfRange", rule: map[string]any{"match": "*", "status": 200}, wantField: "rules[0].status"},
		{name: "Probability", rule: map[string]any{"match": "*", "status": 500, "probability": 2}, wantField: "rules[0].probability"},
		{name: "Kind", rule: map[string]any{"kind": "meteor"}, wantField: "rules[0].kind"},
		{name: "PartialWithoutLines", rule: map[string]any{"kind": "partialCheckout"}, wantField: "rules[0].lineItems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("PUT", "/sandbox/faults", "", map[string]any{"rules": []map[string]any{tt.rule}})
			require.Equal(t, http.StatusBadRequest, r.status)
			require.Equal(t, tt.wantField, r.json(t)["error"].(map[string]any)["field"])
		})
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	big := `{"domain":"` + strings.Repeat("a", 2<<20) + `"}`
	r := e.do("POST", "/sandbox/customers", "", big)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, r.json(t)["error"].(map[string]any)["message"], "larger than")
}

func TestUnknownRoutesAnswerInTheirAPIsFormat(t *testing.T) {
	e := newEnv(t)
	pc := e.token(sandbox.PartnerEU, scopePC, false)
	r := e.do("GET", "/v1/nothing", pc, nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "PartnerFD", r.json(t)["source"])
	r = e.do("GET", "/graph/v1.0/nothing", pc, nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.NotNil(t, r.json(t)["error"])
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.json")
	require.NoError(t, os.WriteFile(file, templateState(t), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sandbox.ListenAndServe(ctx, "127.0.0.1:0", sandbox.Options{StateFile: file})
	}()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return")
	}
}
