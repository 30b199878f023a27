package msrest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/csptransfer/csptransfer/internal/msrest"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type sleeper struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sleeps = append(s.sleeps, d)
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.sleeps...)
}

func newClient(t *testing.T, svc msrest.Service, base string, mutate ...func(*msrest.Config)) (*msrest.Client, *sleeper) {
	t.Helper()
	s := &sleeper{}
	n := 0
	var mu sync.Mutex
	cfg := msrest.Config{
		Service:     svc,
		BaseURL:     base,
		HTTPClient:  &http.Client{Timeout: 5 * time.Second},
		Now:         func() time.Time { return t0 },
		Sleep:       s.sleep,
		CallTimeout: 2 * time.Second,
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return "00000000-0000-0000-0000-00000000000" + string(rune('0'+n%10))
		},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := msrest.New(cfg)
	require.NoError(t, err)
	return c, s
}

var tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-123", TokenType: "Bearer"})

func TestHeadersAndBody(t *testing.T) {
	tests := []struct {
		name      string
		svc       msrest.Service
		method    string
		requestID string
		ctxCorr   string
		body      any
	}{
		{name: "pc get", svc: msrest.PartnerCenter, method: http.MethodGet},
		{name: "pc get with correlation", svc: msrest.PartnerCenter, method: http.MethodGet, ctxCorr: "corr-1"},
		{name: "pc post", svc: msrest.PartnerCenter, method: http.MethodPost, requestID: "req-1", body: map[string]int{"quantity": 3}},
		{name: "pc patch without request id", svc: msrest.PartnerCenter, method: http.MethodPatch, body: map[string]string{"status": "deleted"}},
		{name: "graph get", svc: msrest.Graph, method: http.MethodGet},
		{name: "graph post", svc: msrest.Graph, method: http.MethodPost, requestID: "req-2", body: map[string]any{"addLicenses": []any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			var gotBody []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				gotBody, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"id":"x"}`))
			}))
			defer srv.Close()
			c, _ := newClient(t, tt.svc, srv.URL+"/base/")
			ctx := context.Background()
			if tt.ctxCorr != "" {
				ctx = msrest.WithCorrelationID(ctx, tt.ctxCorr)
			}
			var out struct{ ID string }
			resp, err := c.Do(ctx, msrest.Request{
				Method: tt.method, Path: "/v1/things/a b", Query: url.Values{"$filter": {"x eq 1"}},
				Body: tt.body, Tokens: tokens, RequestID: tt.requestID, What: "thing",
			}, &out)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "x", out.ID)

			require.Equal(t, tt.method, got.Method)
			require.Equal(t, "/base/v1/things/a b", got.URL.Path)
			require.Equal(t, "$filter=x%20eq%201", got.URL.RawQuery)
			require.Equal(t, "Bearer tok-123", got.Header.Get("Authorization"))
			require.Equal(t, "application/json", got.Header.Get("Accept"))
			require.Equal(t, "csptransfer", got.Header.Get("User-Agent"))
			require.NotEmpty(t, got.Header.Get("MS-CorrelationId"))
			if tt.ctxCorr != "" {
				require.Equal(t, tt.ctxCorr, got.Header.Get("MS-CorrelationId"))
			}
			if tt.method == http.MethodGet {
				require.Empty(t, got.Header.Get("MS-RequestId"))
				require.Empty(t, gotBody)
			} else {
				require.NotEmpty(t, got.Header.Get("MS-RequestId"))
				if tt.requestID != "" {
					require.Equal(t, tt.requestID, got.Header.Get("MS-RequestId"))
				}
				require.Equal(t, "application/json", got.Header.Get("Content-Type"))
				want, _ := json.Marshal(tt.body)
				require.JSONEq(t, string(want), string(gotBody))
			}
			if tt.svc == msrest.Graph {
				require.NotEmpty(t, got.Header.Get("client-request-id"))
				if tt.requestID != "" {
					require.Equal(t, tt.requestID, got.Header.Get("client-request-id"))
				}
			} else {
				require.Empty(t, got.Header.Get("client-request-id"))
				require.Equal(t, "csptransfer", got.Header.Get("MS-PartnerCenter-Application"))
			}
		})
	}
}

// scripted answers the n-th request with the n-th step.
type step struct {
	status int
	header map[string]string
	body   string
}

func scripted(t *testing.T, steps ...step) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(calls.Add(1)) - 1
		if i >= len(steps) {
			i = len(steps) - 1
		}
		s := steps[i]
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(s.status)
		_, _ = io.WriteString(w, s.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

const throttled = `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 2 seconds."}`

func TestRetries(t *testing.T) {
	ok := step{status: 200, body: `{"id":"done"}`}
	tests := []struct {
		name       string
		method     string
		requestID  string
		steps      []step
		wantCalls  int32
		wantSleeps []time.Duration
		wantErr    bool
		check      func(t *testing.T, e *msrest.Error)
	}{
		{
			name:       "429 short retry-after is waited out",
			method:     http.MethodGet,
			steps:      []step{{status: 429, header: map[string]string{"Retry-After": "2"}, body: throttled}, ok},
			wantCalls:  2,
			wantSleeps: []time.Duration{2 * time.Second},
		},
		{
			name:       "429 on a mutation without request id is still retried",
			method:     http.MethodPost,
			steps:      []step{{status: 429, header: map[string]string{"Retry-After": "1"}, body: throttled}, ok},
			wantCalls:  2,
			wantSleeps: []time.Duration{time.Second},
		},
		{
			name:      "429 long retry-after is returned typed",
			method:    http.MethodGet,
			steps:     []step{{status: 429, header: map[string]string{"Retry-After": "57"}, body: throttled}},
			wantCalls: 1,
			wantErr:   true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, 429, e.StatusCode)
				require.Equal(t, 57*time.Second, e.RetryAfter)
				require.True(t, e.Retryable)
				require.Equal(t, msrest.CodeThrottled, e.Code)
				require.Contains(t, e.Description, "Rate limit is exceeded")
			},
		},
		{
			name:       "5xx on GET retried then typed",
			method:     http.MethodGet,
			steps:      []step{{status: 503, body: `{"code":"800003","description":"Unexpected error","source":"PartnerFD"}`}},
			wantCalls:  4,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
			wantErr:    true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, 503, e.StatusCode)
				require.Equal(t, "800003", e.Code)
				require.True(t, e.Retryable)
			},
		},
		{
			name:       "5xx then success",
			method:     http.MethodGet,
			steps:      []step{{status: 500}, {status: 502}, ok},
			wantCalls:  3,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second},
		},
		{
			name:      "5xx on mutation without request id is not retried",
			method:    http.MethodPost,
			steps:     []step{{status: 500}, ok},
			wantCalls: 1,
			wantErr:   true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, msrest.CodeUnexpectedStatus, e.Code)
				require.True(t, e.Retryable)
			},
		},
		{
			name:       "5xx on mutation with request id is retried",
			method:     http.MethodPost,
			requestID:  "req-9",
			steps:      []step{{status: 500}, ok},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond},
		},
		{
			name:       "409 cart being processed is retried",
			method:     http.MethodPost,
			requestID:  "req-9",
			steps:      []step{{status: 409, body: `{"code":800064,"description":"Cart c1 is being processed by another request","source":"PartnerFD"}`}, ok},
			wantCalls:  2,
			wantSleeps: []time.Duration{500 * time.Millisecond},
		},
		{
			name:      "400 business error is final",
			method:    http.MethodPost,
			requestID: "req-9",
			steps:     []step{{status: 400, body: `{"code":800065,"description":"Cannot check out an already submitted cart c1","data":[],"source":"PartnerFD"}`}},
			wantCalls: 1,
			wantErr:   true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, "800065", e.Code)
				require.False(t, e.Retryable)
				require.Equal(t, "req-9", e.RequestID)
				require.NotEmpty(t, e.CorrelationID)
				require.Contains(t, e.Error(), "HTTP 400 code 800065: Cannot check out")
			},
		},
		{
			name:      "404 graph error",
			method:    http.MethodGet,
			steps:     []step{{status: 404, body: `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'u1' does not exist.","innerError":{"request-id":"rid-1","date":"2026-11-21T10:00:00"}}}`}},
			wantCalls: 1,
			wantErr:   true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, "Request_ResourceNotFound", e.Code)
				require.Equal(t, "rid-1", e.RequestID)
				require.False(t, e.Retryable)
			},
		},
		{
			name:      "503 with long retry-after is returned",
			method:    http.MethodGet,
			steps:     []step{{status: 503, header: map[string]string{"Retry-After": "30"}}},
			wantCalls: 1,
			wantErr:   true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, 30*time.Second, e.RetryAfter)
			},
		},
		{
			name:      "html error page",
			method:    http.MethodGet,
			steps:     []step{{status: 401, body: "<html>nope</html>"}},
			wantCalls: 1,
			wantErr:   true,
			check: func(t *testing.T, e *msrest.Error) {
				require.Equal(t, msrest.CodeUnexpectedStatus, e.Code)
				require.Equal(t, "<html>nope</html>", e.Description)
				require.False(t, e.Retryable)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scripted(t, tt.steps...)
			c, s := newClient(t, msrest.PartnerCenter, srv.URL)
			var out struct{ ID string }
			_, err := c.Do(context.Background(), msrest.Request{
				Method: tt.method, Path: "/v1/x", Tokens: tokens, RequestID: tt.requestID, What: "x",
			}, &out)
			require.Equal(t, tt.wantCalls, calls.Load())
			require.Equal(t, tt.wantSleeps, s.got())
			if !tt.wantErr {
				require.NoError(t, err)
				require.Equal(t, "done", out.ID)
				return
			}
			e, ok := msrest.AsError(err)
			require.True(t, ok, "want *msrest.Error, got %T %v", err, err)
			tt.check(t, e)
		})
	}
}

func TestRetryHonoursDeadline(t *testing.T) {
	srv, calls := scripted(t, step{status: 429, header: map[string]string{"Retry-After": "5"}, body: throttled}, step{status: 200, body: `{}`})
	now := time.Now()
	c, s := newClient(t, msrest.PartnerCenter, srv.URL, func(cfg *msrest.Config) { cfg.Now = func() time.Time { return now } })
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(3*time.Second))
	defer cancel()
	_, err := c.Do(ctx, msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
	wait, ok := msrest.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 5*time.Second, wait)
	require.Equal(t, int32(1), calls.Load())
	require.Empty(t, s.got())
}

func TestDecodeAndBodyErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		expect  []int
		max     int64
		wantMsg string
		typed   bool
	}{
		{name: "malformed json", status: 200, body: `{"id":`, wantMsg: "decode customer: "},
		{name: "wrong type", status: 200, body: `{"id":5}`, wantMsg: "decode customer: "},
		{name: "empty body", status: 200, body: ``, wantMsg: "decode customer: empty body"},
		{name: "oversized body", status: 200, body: `{"id":"` + strings.Repeat("a", 200) + `"}`, max: 100, wantMsg: "response body exceeds 100 bytes"},
		{name: "unexpected status", status: 200, body: `{"id":"x"}`, expect: []int{201}, wantMsg: "HTTP 200 code UnexpectedStatus", typed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := scripted(t, step{status: tt.status, body: tt.body})
			c, _ := newClient(t, msrest.PartnerCenter, srv.URL, func(cfg *msrest.Config) { cfg.MaxBodyBytes = tt.max })
			var out struct{ ID string }
			_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/c", Tokens: tokens, Expect: tt.expect, What: "customer"}, &out)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.wantMsg)
			_, typed := msrest.AsError(err)
			require.Equal(t, tt.typed, typed)
			require.False(t, msrest.IsRetryable(err))
		})
	}
}

func TestNoContent(t *testing.T) {
	srv, _ := scripted(t, step{status: 204})
	c, _ := newClient(t, msrest.Graph, srv.URL)
	var out struct{ ID string }
	resp, err := c.Do(context.Background(), msrest.Request{Method: http.MethodDelete, Path: "/x", Tokens: tokens}, &out)
	require.NoError(t, err)
	require.Equal(t, 204, resp.StatusCode)
}

// TestAcceptedWithoutBody: a 202 (Graph's group assignLicense) may come without a body; the change was
// made, so it is not an error.
func TestAcceptedWithoutBody(t *testing.T) {
	srv, _ := scripted(t, step{status: 202})
	c, _ := newClient(t, msrest.Graph, srv.URL)
	var out struct{ ID string }
	resp, err := c.Do(context.Background(), msrest.Request{Method: http.MethodPost, Path: "/groups/g/assignLicense", Tokens: tokens}, &out)
	require.NoError(t, err)
	require.Equal(t, 202, resp.StatusCode)
}

func TestTransportError(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		hj, ok := w.(http.Hijacker)
		require.True(t, ok)
		conn, _, err := hj.Hijack()
		require.NoError(t, err)
		_ = conn.Close()
	}))
	defer srv.Close()
	c, s := newClient(t, msrest.PartnerCenter, srv.URL, func(cfg *msrest.Config) { cfg.MaxAttempts = 2 })
	_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x?skip=secret", Tokens: tokens}, nil)
	e, ok := msrest.AsError(err)
	require.True(t, ok, "%T %v", err, err)
	require.Equal(t, msrest.CodeTransport, e.Code)
	require.True(t, e.Retryable)
	require.Equal(t, 0, e.StatusCode)
	require.NotNil(t, errors.Unwrap(e))
	require.NotContains(t, err.Error(), "skip=secret")
	require.Equal(t, int32(2), calls.Load())
	require.Len(t, s.got(), 1)
}

func TestCancelledContextIsNotRetried(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, s := newClient(t, msrest.PartnerCenter, srv.URL)
	_, err := c.Do(ctx, msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, msrest.IsRetryable(err))
	require.Empty(t, s.got())
}

func TestTokenError(t *testing.T) {
	srv, calls := scripted(t, step{status: 200, body: `{}`})
	c, _ := newClient(t, msrest.PartnerCenter, srv.URL)
	_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: failingTokens{}}, nil)
	require.ErrorContains(t, err, "partnercenter token: no token")
	require.Equal(t, int32(0), calls.Load())

	_, err = c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x"}, nil)
	require.ErrorContains(t, err, "no token source")
}

type failingTokens struct{}

func (failingTokens) Token() (*oauth2.Token, error) { return nil, errors.New("no token") }

func TestNextLinks(t *testing.T) {
	var gotURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotURL = r.URL.RequestURI()
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, _ := newClient(t, msrest.Graph, srv.URL+"/graph/v1.0")
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{name: "under base", path: srv.URL + "/graph/v1.0/users?$skiptoken=abc", want: "/graph/v1.0/users?$skiptoken=abc"},
		{name: "other host", path: "https://evil.example/graph/v1.0/users", wantErr: "outside"},
		{name: "other path", path: srv.URL + "/other/users", wantErr: "outside"},
		{name: "prefix trick", path: srv.URL + "/graph/v1.0evil/users", wantErr: "outside"},
		{name: "relative with query", path: "/users?$top=5", want: "/graph/v1.0/users?$top=5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotURL = ""
			_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: tt.path, Tokens: tokens}, nil)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Empty(t, gotURL)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, gotURL)
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  msrest.Config
	}{
		{name: "no service", cfg: msrest.Config{BaseURL: "https://x"}},
		{name: "no base", cfg: msrest.Config{Service: msrest.Graph}},
		{name: "relative base", cfg: msrest.Config{Service: msrest.Graph, BaseURL: "/v1"}},
		{name: "ftp base", cfg: msrest.Config{Service: msrest.Graph, BaseURL: "ftp://x"}},
		{name: "query base", cfg: msrest.Config{Service: msrest.Graph, BaseURL: "https://x/?a=b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := msrest.New(tt.cfg)
			require.Error(t, err)
		})
	}
	_, err := msrest.New(msrest.Config{Service: msrest.PartnerCenter, BaseURL: "https://api.partnercenter.microsoft.com"})
	require.NoError(t, err)
}

func TestDefaultClientDoesNotFollowRedirects(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	srv, _ := scripted(t, step{status: 302, header: map[string]string{"Location": target.URL}})
	c, err := msrest.New(msrest.Config{Service: msrest.PartnerCenter, BaseURL: srv.URL})
	require.NoError(t, err)
	_, err = c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
	require.Equal(t, 302, msrest.StatusCode(err))
	require.Equal(t, int32(0), hits.Load())
}

func TestHelpers(t *testing.T) {
	notFound := &msrest.Error{StatusCode: 404, Code: "1000"}
	wrapped := errors.Join(errors.New("ctx"), notFound)
	require.True(t, msrest.IsNotFound(wrapped))
	require.Equal(t, "1000", msrest.Code(wrapped))
	require.Equal(t, 404, msrest.StatusCode(wrapped))
	require.True(t, msrest.IsNotFound(&msrest.Error{StatusCode: 400, Code: "1000"}))
	require.True(t, msrest.IsNotFound(&msrest.Error{StatusCode: 404, Code: "Request_ResourceNotFound"}))
	require.False(t, msrest.IsNotFound(errors.New("x")))
	require.Equal(t, "", msrest.Code(errors.New("x")))
	_, ok := msrest.RetryAfter(errors.New("x"))
	require.False(t, ok)
}

func TestRetryAfterFromThrottlingMessage(t *testing.T) {
	srv, calls := scripted(t, step{status: 429, body: `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 57 seconds."}`})
	c, s := newClient(t, msrest.PartnerCenter, srv.URL)
	_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
	wait, ok := msrest.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, 57*time.Second, wait)
	require.Equal(t, int32(1), calls.Load())
	require.Empty(t, s.got())
}

type temporary struct{ temp bool }

func (t temporary) Error() string   { return "token" }
func (t temporary) Temporary() bool { return t.temp }

func TestIsRetryableHonoursTemporary(t *testing.T) {
	require.True(t, msrest.IsRetryable(fmt.Errorf("get token: %w", temporary{temp: true})))
	require.False(t, msrest.IsRetryable(fmt.Errorf("get token: %w", temporary{temp: false})))
	require.False(t, msrest.IsRetryable(errors.New("plain")))
}

func TestRetryAfterHTTPDate(t *testing.T) {
	date := t0.Add(4 * time.Second).Format(http.TimeFormat)
	srv, calls := scripted(t, step{status: 429, header: map[string]string{"Retry-After": date}}, step{status: 200, body: `{}`})
	c, s := newClient(t, msrest.PartnerCenter, srv.URL)
	_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/x", Tokens: tokens}, nil)
	require.NoError(t, err)
	require.Equal(t, int32(2), calls.Load())
	require.Equal(t, []time.Duration{4 * time.Second}, s.got())
}

func TestPathTemplate(t *testing.T) {
	tests := []struct{ give, want string }{
		{"/v1/customers/6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f/carts/abc1/checkout", "/v1/customers/{id}/carts/{id}/checkout"},
		{"/v1/profiles/legalbusiness", "/v1/profiles/legalbusiness"},
		{"/graph/v1.0/users/u1/assignLicense?x=1", "/graph/v1.0/users/{id}/assignLicense"},
		{"/v1/customers/relationshiprequests", "/v1/customers/relationshiprequests"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) { require.Equal(t, tt.want, msrest.PathTemplate(tt.give)) })
	}
}

// TestObservedCallsCarryRetryAfter: a throttled attempt is observed with its status and the wait the
// service asked for, so the worker can log it; the path is the template, without ids.
func TestObservedCallsCarryRetryAfter(t *testing.T) {
	srv, _ := scripted(t, step{status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"code":429,"description":"throttled"}`},
		step{status: 200, body: `{"id":"x"}`})
	var mu sync.Mutex
	var calls []msrest.Call
	c, _ := newClient(t, msrest.PartnerCenter, srv.URL, func(cfg *msrest.Config) {
		cfg.Observe = func(call msrest.Call) { mu.Lock(); calls = append(calls, call); mu.Unlock() }
	})
	var out struct{ ID string }
	_, err := c.Do(context.Background(), msrest.Request{Method: http.MethodGet, Path: "/v1/customers/6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f", Tokens: tokens}, &out)
	require.NoError(t, err)
	require.Len(t, calls, 2)
	require.Equal(t, 429, calls[0].Status)
	require.Equal(t, 3*time.Second, calls[0].RetryAfter)
	require.NotContains(t, calls[0].Path, "6b1f0a52")
	require.Zero(t, calls[1].RetryAfter)
}
