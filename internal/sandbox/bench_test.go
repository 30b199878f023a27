package sandbox_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// BenchmarkRequestCost measures what the sandbox spends on a transfer's kind of request mix — a Partner
// Center read, a Graph read and a change that is written to the state file — with 100 to 5,000 customers
// in the state (each with originals whose lifecycle events are pending). The cost per operation must not
// grow with the number of customers:
//
//	go test -run '^$' -bench RequestCost -benchtime 2000x ./internal/sandbox/
func BenchmarkRequestCost(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "state.json")
			sb, err := sandbox.New(sandbox.Options{StateFile: file})
			if err != nil {
				b.Fatal(err)
			}
			defer sb.Close()
			h := sb.Handler()
			serve := func(method, path, token string, body string) int {
				var req *http.Request
				if body != "" {
					req = httptest.NewRequest(method, path, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				} else {
					req = httptest.NewRequest(method, path, nil)
				}
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w.Code
			}
			ac := sandbox.AdminClient{BaseURL: "http://sandbox.invalid", HTTP: &http.Client{Transport: handlerTransport{h}}}
			expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
			var tenants []string
			for i := range n {
				tenant := uuid.NewString()
				if err := ac.CreateCustomer(b.Context(), demo.Customer(tenant, fmt.Sprintf("bench-%d-%s.onmicrosoft.com", i, tenant[:8]), expires)); err != nil {
					b.Fatal(err)
				}
				if i < 50 {
					if err := ac.Accept(b.Context(), tenant, sandbox.AcceptInput{PartnerTenantID: sandbox.PartnerEU}); err != nil {
						b.Fatal(err)
					}
					tenants = append(tenants, tenant)
				}
			}
			token := func(tenant, scope string) string {
				form := url.Values{"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}, "scope": {scope}, "grant_type": {"client_credentials"}}
				req := httptest.NewRequest("POST", "/login/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("token: %d %s", w.Code, w.Body)
				}
				return strings.Split(strings.Split(w.Body.String(), `"access_token":"`)[1], `"`)[0]
			}
			pc := token(sandbox.PartnerEU, scopePC)
			graph := make([]string, len(tenants))
			for i, t := range tenants {
				graph[i] = token(t, scopeGraph)
			}
			runtime.GC()
			if p := os.Getenv("SANDBOX_BENCH_PROFILE"); p != "" {
				f, _ := os.Create(fmt.Sprintf("%s.%d", p, n))
				_ = pprof.StartCPUProfile(f)
				defer pprof.StopCPUProfile()
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				k := i % len(tenants)
				if c := serve("GET", "/v1/customers/"+tenants[k]+"/subscriptions", pc, ""); c != http.StatusOK {
					b.Fatalf("subscriptions: %d", c)
				}
				if c := serve("GET", "/graph/v1.0/subscribedSkus", graph[k], ""); c != http.StatusOK {
					b.Fatalf("subscribedSkus: %d", c)
				}
				if c := serve("POST", "/sandbox/customers/"+tenants[k]+"/sign-agreement", "", ""); c != http.StatusOK {
					b.Fatalf("sign agreement: %d", c)
				}
			}
			b.StopTimer()
			// The process's CPU time (this loop and the background flusher), less sensitive than wall time to
			// whatever else the machine runs.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// handlerTransport serves an http.Client's requests with a handler, in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}
