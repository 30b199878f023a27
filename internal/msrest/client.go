// Package msrest is the HTTP core shared by the Partner Center and Microsoft
// Graph clients: it builds requests with the headers both services expect,
// retries what is safe to retry, bounds what it reads, and turns error
// responses into *Error values carrying Microsoft's error codes.
//
// # Retries
//
// A 429 is retried inside the call when its Retry-After is at most
// Config.MaxRetryWait and the context leaves time for it; otherwise the
// *Error is returned with RetryAfter set so a Temporal activity can schedule
// its own retry. 5xx, 408, Partner Center's 409 "being processed" and
// transport errors are retried with exponential backoff for GET requests, and
// for mutations only when the caller supplied an MS-RequestId: Partner Center
// recognises a repeated MS-RequestId and answers with the original result, so
// the retry cannot buy twice.
package msrest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

const (
	headerCorrelationID   = "MS-CorrelationId"
	headerRequestID       = "MS-RequestId"
	headerClientRequestID = "client-request-id"
)

// Defaults for Config's zero values.
const (
	DefaultCallTimeout  = 30 * time.Second
	DefaultMaxAttempts  = 4
	DefaultMaxRetryWait = 10 * time.Second
	DefaultBaseBackoff  = 500 * time.Millisecond
	DefaultMaxBodyBytes = 10 << 20
	DefaultUserAgent    = "csptransfer"
)

// maxBackoff caps the exponential backoff between transient failures.
const maxBackoff = 8 * time.Second

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Config configures a Client.
type Config struct {
	// Service selects service-specific headers (Graph gets
	// client-request-id, Partner Center MS-PartnerCenter-Application).
	Service Service
	// BaseURL is the root every Request.Path is appended to, for example
	// https://api.partnercenter.microsoft.com or
	// https://graph.microsoft.com/v1.0.
	BaseURL string
	// Optional: HTTPClient sends the requests.
	// default: NewHTTPClient()
	HTTPClient *http.Client
	// Optional: CallTimeout bounds one HTTP attempt.
	// default: 30s
	CallTimeout time.Duration
	// Optional: MaxAttempts bounds the attempts of one call, first included.
	// default: 4
	MaxAttempts int
	// Optional: MaxRetryWait is the longest wait (Retry-After or backoff)
	// spent inside a call before giving the error back to the caller.
	// default: 10s
	MaxRetryWait time.Duration
	// Optional: BaseBackoff is the first backoff after a transient failure;
	// it doubles with every attempt, up to 8s.
	// default: 500ms
	BaseBackoff time.Duration
	// Optional: MaxBodyBytes bounds a successful response body.
	// default: 10 MiB
	MaxBodyBytes int64
	// Optional: UserAgent is sent as User-Agent.
	// default: "csptransfer"
	UserAgent string
	// Optional: Now is the clock (used for Retry-After dates and deadlines).
	// default: time.Now
	Now func() time.Time
	// Optional: Sleep waits between attempts; it must return early with an
	// error when ctx is done.
	// default: a timer that honours ctx
	Sleep func(ctx context.Context, d time.Duration) error
	// Optional: NewID generates correlation and request IDs.
	// default: uuid.NewString
	NewID func() string
	// Optional: Observe is told about every HTTP attempt, for metrics. It must be cheap and must not block.
	// default: none
	Observe func(Call)
}

// Client sends requests to one Microsoft REST service. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New validates cfg, fills in defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Service != PartnerCenter && cfg.Service != Graph {
		return nil, fmt.Errorf("msrest: unknown service %q", cfg.Service)
	}
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient()
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	return &Client{cfg: cfg, base: base}, nil
}

// ParseBaseURL checks that raw is an absolute http(s) URL without query or
// fragment and returns it with any trailing slash removed.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("base url %q: %w", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("base url %q: want an absolute http or https URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("base url %q: must not carry a query, fragment or user info", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// NewHTTPClient returns an *http.Client with timeouts on every phase of a
// request. It does not follow redirects: a redirect from these APIs is
// unexpected, and following it could carry the bearer token elsewhere.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				Timeout:   10 * time.Second,
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   16,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Request describes one logical call.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is appended to the base URL ("/v1/customers/..."); callers escape
	// path segments. An absolute URL (a service's next-page link) is
	// accepted only when it lies under the base URL.
	Path string
	// Query is appended to the URL.
	Query url.Values
	// Header holds extra headers.
	Header http.Header
	// Body, when non-nil, is sent as JSON.
	Body any
	// Tokens supplies the bearer token.
	Tokens oauth2.TokenSource
	// RequestID is sent as MS-RequestId on mutations. Supplying it makes a
	// mutation safe to retry; without it one is generated and transient
	// failures are not retried.
	RequestID string
	// Expect lists the acceptable statuses. default: any 2xx.
	Expect []int
	// What names the result in decode errors ("decode <What>: ...").
	What string
}

// Response is what a successful call returns besides the decoded body.
type Response struct {
	StatusCode int
	Header     http.Header
}

type correlationKey struct{}

// WithCorrelationID returns a context whose calls send id as
// MS-CorrelationId, so that every request of one logical operation (an
// activity, say) can be traced together.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation ID set by WithCorrelationID, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

func isMutation(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	default:
		return true
	}
}

// Do sends r, retrying as described in the package documentation, and
// decodes a successful JSON body into out (unless out is nil). Failures are
// *Error for HTTP and transport problems, or plain errors for encoding,
// decoding and token problems.
func (c *Client) Do(ctx context.Context, r Request, out any) (Response, error) {
	target, err := c.resolve(r.Path, r.Query)
	if err != nil {
		return Response{}, err
	}
	var body []byte
	if r.Body != nil {
		if body, err = json.Marshal(r.Body); err != nil {
			return Response{}, fmt.Errorf("encode %s request: %w", r.What, err)
		}
	}
	correlationID := CorrelationID(ctx)
	if correlationID == "" {
		correlationID = c.cfg.NewID()
	}
	mutation := isMutation(r.Method)
	requestID := r.RequestID
	if mutation && requestID == "" {
		requestID = c.cfg.NewID()
	}
	// A GET may always be repeated; a mutation only under the caller's
	// idempotency key.
	idempotent := !mutation || r.RequestID != ""

	for attempt := 1; ; attempt++ {
		started := c.cfg.Now()
		resp, respBody, err := c.once(ctx, r, target, body, correlationID, requestID)
		c.observe(r, resp.StatusCode, err, c.cfg.Now().Sub(started))
		if err == nil {
			return resp, c.decode(r, respBody, resp.StatusCode, out)
		}
		var e *Error
		if !errors.As(err, &e) || !e.Retryable || attempt >= c.cfg.MaxAttempts {
			return Response{}, err
		}
		wait, ok := c.retryWait(e, attempt, idempotent)
		if !ok || !c.fits(ctx, wait) {
			return Response{}, err
		}
		if serr := c.cfg.Sleep(ctx, wait); serr != nil {
			return Response{}, err
		}
	}
}

// Call describes one HTTP attempt for Config.Observe. Path is the request path with identifiers replaced
// by "{id}", so it can label a metric without unbounded cardinality.
type Call struct {
	Service  Service
	Method   string
	Path     string
	Status   int // 0 when no response arrived
	Duration time.Duration
	// RetryAfter is the wait the service asked for (429, 503), 0 when none.
	RetryAfter time.Duration
}

func (c *Client) observe(r Request, status int, err error, d time.Duration) {
	if c.cfg.Observe == nil {
		return
	}
	var wait time.Duration
	if e, ok := AsError(err); ok {
		status, wait = e.StatusCode, e.RetryAfter
	}
	c.cfg.Observe(Call{Service: c.cfg.Service, Method: r.Method, Path: PathTemplate(r.Path), Status: status, Duration: d, RetryAfter: wait})
}

// PathTemplate replaces the identifiers in a request path (GUIDs, numbers, catalog ids, anything with a
// digit) with "{id}": /v1/customers/6b1f.../carts/abc1 becomes /v1/customers/{id}/carts/{id}.
func PathTemplate(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if i > 0 && p != "" && strings.ContainsAny(p, "0123456789") && p != "v1" && p != "v1.0" && p != "v2.0" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// retryWait decides whether e is retried inside the call and after how long.
func (c *Client) retryWait(e *Error, attempt int, idempotent bool) (time.Duration, bool) {
	if e.StatusCode == http.StatusTooManyRequests {
		// The service rejected the request before doing anything, so even
		// a mutation without an idempotency key may be repeated.
		wait := e.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		return wait, wait <= c.cfg.MaxRetryWait
	}
	if !idempotent {
		return 0, false
	}
	wait := c.backoff(attempt)
	if e.RetryAfter > 0 {
		wait = e.RetryAfter
	}
	return wait, wait <= c.cfg.MaxRetryWait
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BaseBackoff << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d
}

// fits reports whether waiting d still leaves the context time for another
// attempt.
func (c *Client) fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || c.cfg.Now().Add(d).Before(deadline)
}

// once performs one HTTP attempt. A non-nil error is either an *Error or a
// non-retryable plain error.
func (c *Client) once(ctx context.Context, r Request, target string, body []byte, correlationID, requestID string) (Response, []byte, error) {
	if r.Tokens == nil {
		return Response{}, nil, fmt.Errorf("%s %s: no token source configured", c.cfg.Service, r.What)
	}
	tok, err := r.Tokens.Token()
	if err != nil {
		return Response{}, nil, fmt.Errorf("%s token: %w", c.cfg.Service, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, target, rd)
	if err != nil {
		return Response{}, nil, fmt.Errorf("build %s request: %w", r.What, err)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set(headerCorrelationID, correlationID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if isMutation(r.Method) {
		req.Header.Set(headerRequestID, requestID)
	}
	switch c.cfg.Service {
	case Graph:
		clientRequestID := requestID
		if clientRequestID == "" {
			clientRequestID = c.cfg.NewID()
		}
		req.Header.Set(headerClientRequestID, clientRequestID)
	case PartnerCenter:
		req.Header.Set("MS-PartnerCenter-Application", c.cfg.UserAgent)
	}

	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up; retrying would be pointless.
			return Response{}, nil, fmt.Errorf("%s %s %s: %w", c.cfg.Service, r.Method, req.URL.Path, ctx.Err())
		}
		return Response{}, nil, &Error{
			Service:       c.cfg.Service,
			Method:        r.Method,
			Path:          req.URL.Path,
			Code:          CodeTransport,
			RequestID:     req.Header.Get(headerRequestID),
			CorrelationID: correlationID,
			Retryable:     true,
			cause:         stripURL(err),
		}
	}
	defer resp.Body.Close()

	if !c.expected(r.Expect, resp.StatusCode) {
		errBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return Response{}, nil, newHTTPError(c.cfg.Service, req, resp, errBody, c.cfg.Now())
	}
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	if err != nil {
		return Response{}, nil, &Error{
			Service:       c.cfg.Service,
			Method:        r.Method,
			Path:          req.URL.Path,
			StatusCode:    resp.StatusCode,
			Code:          CodeTransport,
			RequestID:     req.Header.Get(headerRequestID),
			CorrelationID: correlationID,
			Retryable:     true,
			cause:         fmt.Errorf("read response: %w", err),
		}
	}
	if int64(len(respBody)) > c.cfg.MaxBodyBytes {
		return Response{}, nil, fmt.Errorf("%s %s %s: response body exceeds %d bytes", c.cfg.Service, r.Method, req.URL.Path, c.cfg.MaxBodyBytes)
	}
	return Response{StatusCode: resp.StatusCode, Header: resp.Header}, respBody, nil
}

func (c *Client) expected(expect []int, status int) bool {
	if len(expect) == 0 {
		return status >= 200 && status < 300
	}
	return slices.Contains(expect, status)
}

func (c *Client) decode(r Request, body []byte, status int, out any) error {
	if out == nil || status == http.StatusNoContent {
		return nil
	}
	what := r.What
	if what == "" {
		what = "response"
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if status == http.StatusAccepted {
			// Accepted for processing: Microsoft may or may not describe the result. The change was
			// made, so failing here would only make the caller repeat it.
			return nil
		}
		return fmt.Errorf("decode %s: empty body", what)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// resolve turns a request path (or an absolute next-page link) into a URL
// under the base URL. Links pointing elsewhere are refused so a tampered or
// unexpected link cannot receive the bearer token.
func (c *Client) resolve(path string, query url.Values) (string, error) {
	var u url.URL
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		abs, err := url.Parse(path)
		if err != nil {
			return "", fmt.Errorf("next link: %w", err)
		}
		if abs.Scheme != c.base.Scheme || abs.Host != c.base.Host ||
			(abs.Path != c.base.Path && !strings.HasPrefix(abs.Path, c.base.Path+"/")) {
			return "", fmt.Errorf("link %s://%s%s is outside %s", abs.Scheme, abs.Host, abs.Path, c.base.Redacted())
		}
		u = *abs
	} else {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		rel, err := url.Parse(path)
		if err != nil {
			return "", fmt.Errorf("request path: %w", err)
		}
		u = *c.base
		u.Path = c.base.Path + rel.Path
		u.RawPath = ""
		if rel.RawPath != "" {
			u.RawPath = c.base.EscapedPath() + rel.RawPath
		}
		u.RawQuery = rel.RawQuery
	}
	if len(query) > 0 {
		enc := EncodeQuery(query)
		if u.RawQuery != "" {
			u.RawQuery += "&" + enc
		} else {
			u.RawQuery = enc
		}
	}
	return u.String(), nil
}

// EncodeQuery encodes q like url.Values.Encode but with spaces as %20 and
// '$' left literal, the form OData services ($filter, $select) document.
func EncodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(escapeQuery(k))
			b.WriteByte('=')
			b.WriteString(escapeQuery(v))
		}
	}
	return b.String()
}

func escapeQuery(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	return strings.ReplaceAll(e, "%24", "$")
}

// stripURL drops the URL from a *url.Error: the message stays useful and
// no query string (which could hold a skip token) reaches the logs.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
