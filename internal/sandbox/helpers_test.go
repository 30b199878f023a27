package sandbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

const (
	scopePC     = "https://api.partnercenter.microsoft.com/.default"
	scopePCUser = "https://api.partnercenter.microsoft.com/user_impersonation"
	scopeGraph  = "https://graph.microsoft.com/.default"
)

type wallClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *wallClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *wallClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	t     testing.TB
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	clock *wallClock
	opts  sandbox.Options
}

var testStart = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

var template struct {
	once sync.Once
	data []byte
	err  error
}

// templateState is a seeded state file made once per test binary, so that each test
// skips generating the CA and signing keys (slow on a loaded machine).
func templateState(t testing.TB) []byte {
	t.Helper()
	template.once.Do(func() {
		dir, err := os.MkdirTemp("", "sandbox-template-")
		if err != nil {
			template.err = err
			return
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "state.json")
		sb, err := sandbox.New(sandbox.Options{StateFile: file, Now: func() time.Time { return testStart }})
		if err != nil {
			template.err = err
			return
		}
		if template.err = sb.Close(); template.err != nil {
			return
		}
		template.data, template.err = os.ReadFile(file)
	})
	require.NoError(t, template.err)
	return template.data
}

func newEnv(t testing.TB, mod ...func(*sandbox.Options)) *env {
	t.Helper()
	clock := &wallClock{now: testStart}
	e := &env{t: t, clock: clock}
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.Start()
	opts := sandbox.Options{PublicURL: e.srv.URL, Now: clock.Now, HTTPClient: &http.Client{Timeout: 5 * time.Second}, WebhookRetryDelay: time.Millisecond}
	for _, m := range mod {
		m(&opts)
	}
	if opts.StateFile == "" {
		opts.StateFile = filepath.Join(t.TempDir(), "state.json")
	}
	if _, err := os.Stat(opts.StateFile); errors.Is(err, os.ErrNotExist) {
		require.NoError(t, os.MkdirAll(filepath.Dir(opts.StateFile), 0o700))
		require.NoError(t, os.WriteFile(opts.StateFile, templateState(t), 0o600))
	}
	e.opts = opts
	sb, err := sandbox.New(opts)
	require.NoError(t, err)
	e.sb = sb
	e.srv.Config.Handler = sb.Handler()
	t.Cleanup(func() {
		e.srv.Close()
		_ = e.sb.Close()
	})
	return e
}

// restart closes the sandbox and builds a new one from the same options (state file).
func (e *env) restart() {
	e.t.Helper()
	require.NoError(e.t, e.sb.Close())
	sb, err := sandbox.New(e.opts)
	require.NoError(e.t, err)
	e.sb = sb
	e.srv.Config.Handler = sb.Handler()
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

func (e *env) do(method, path, token string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

func (e *env) tokenResp(tenant string, form url.Values) resp {
	e.t.Helper()
	res, err := e.srv.Client().PostForm(e.srv.URL+"/login/"+tenant+"/oauth2/v2.0/token", form)
	require.NoError(e.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// token gets an app-only token, or an App+User one when user is true.
func (e *env) token(tenant, scope string, user bool) string {
	e.t.Helper()
	form := url.Values{"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}, "scope": {scope}, "grant_type": {"client_credentials"}}
	if user {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", sandbox.RefreshToken)
	}
	r := e.tokenResp(tenant, form)
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
	return r.json(e.t)["access_token"].(string)
}

func (e *env) accept(customer, partner string, agreement bool) {
	e.t.Helper()
	r := e.do("POST", "/sandbox/customers/"+customer+"/accept", "", map[string]any{"partnerTenantId": partner, "acceptAgreement": agreement})
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
}

func (e *env) advance(d string) {
	e.t.Helper()
	r := e.do("POST", "/sandbox/clock", "", map[string]string{"advance": d})
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
}

// catalogItem looks up the purchasable catalog item id of a product/sku for a customer.
func (e *env) catalogItem(tok, customer, product, sku string) string {
	e.t.Helper()
	r := e.do("GET", "/v1/customers/"+customer+"/products/"+product+"/skus/"+sku+"/availabilities", tok, nil)
	require.Equal(e.t, http.StatusOK, r.status, string(r.body))
	items := r.json(e.t)["items"].([]any)
	require.Len(e.t, items, 1)
	return items[0].(map[string]any)["catalogItemId"].(string)
}

func (e *env) createCart(tok, customer string, lines ...map[string]any) resp {
	e.t.Helper()
	return e.do("POST", "/v1/customers/"+customer+"/carts", tok, map[string]any{"lineItems": lines})
}

func line(id int, item string, qty int) map[string]any {
	return map[string]any{"id": id, "catalogItemId": item, "quantity": qty, "billingCycle": "monthly", "termDuration": "P1Y"}
}

func (e *env) ledger() sandbox.Ledger {
	e.t.Helper()
	r := e.do("GET", "/sandbox/ledger", "", nil)
	require.Equal(e.t, http.StatusOK, r.status)
	var l sandbox.Ledger
	require.NoError(e.t, json.Unmarshal(r.body, &l))
	return l
}

func customerLedger(t testing.TB, l sandbox.Ledger, tenant string) sandbox.CustomerLedger {
	t.Helper()
	for _, c := range l.Customers {
		if c.TenantID == tenant {
			return c
		}
	}
	t.Fatalf("customer %s not in ledger", tenant)
	return sandbox.CustomerLedger{}
}
