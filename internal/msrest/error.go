package msrest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Service names the Microsoft API a client talks to. It selects the
// service-specific headers and appears in errors.
type Service string

// The services this package knows.
const (
	PartnerCenter Service = "partnercenter"
	Graph         Service = "graph"
)

// Codes this package puts into Error.Code when the service did not send one.
const (
	// CodeTransport means no HTTP response was received.
	CodeTransport = "Transport"
	// CodeUnexpectedStatus means the response status was not the one the
	// operation expects and the body carried no error code.
	CodeUnexpectedStatus = "UnexpectedStatus"
	// CodeThrottled means HTTP 429 without a service error code.
	CodeThrottled = "TooManyRequests"
)

// Error is a failed call to Partner Center or Microsoft Graph. It carries the
// service's own error code so callers can branch on it (for example Partner
// Center "800065", cart already submitted, or Graph "Request_ResourceNotFound")
// and the identifiers Microsoft support asks for.
//
// Retryable is false for business errors: every 4xx except 408, 429 and a 409
// that only says the resource is being processed by another request.
// RetryAfter is set when the service asked the caller to wait (429 or 503
// with a Retry-After header); a Temporal activity should use it as the
// next retry delay.
type Error struct {
	// Service is the API that answered.
	Service Service
	// Method and Path identify the call (path without query string).
	Method string
	Path   string
	// StatusCode is the HTTP status, 0 when no response was received.
	StatusCode int
	// Code is the service's error code (Partner Center codes are numbers
	// rendered as strings).
	Code string
	// Description is the service's error message.
	Description string
	// RequestID is the MS-RequestId sent, or Graph's request-id.
	RequestID string
	// CorrelationID is the MS-CorrelationId sent.
	CorrelationID string
	// RetryAfter is how long the service asked the caller to wait.
	RetryAfter time.Duration
	// Retryable reports whether the same call may succeed later.
	Retryable bool

	cause error
}

// Error implements error. It never contains credentials: requests carry
// them only in headers, which are not part of the message.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s: ", e.Service, e.Method, e.Path)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	} else {
		b.WriteString("no response")
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " code %s", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %v", e.cause)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " (correlation id %s)", e.CorrelationID)
	}
	return b.String()
}

// Unwrap returns the transport error behind a CodeTransport error.
func (e *Error) Unwrap() error { return e.cause }

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Code returns the service error code of err, or "" when err is not an *Error.
func Code(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return ""
}

// StatusCode returns the HTTP status of err, or 0.
func StatusCode(err error) int {
	if e, ok := AsError(err); ok {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err says the resource does not exist (HTTP 404,
// Partner Center code 1000, or a Graph *_ResourceNotFound code).
func IsNotFound(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return false
	}
	return e.StatusCode == http.StatusNotFound || e.Code == "1000" || strings.HasSuffix(e.Code, "ResourceNotFound")
}

// IsRetryable reports whether err may succeed when retried: an *Error with
// Retryable set, or an error reporting Temporary() true (token acquisition
// failures do). Errors of other types (decoding, validation, refused
// operations) are not.
func IsRetryable(err error) bool {
	if e, ok := AsError(err); ok {
		return e.Retryable
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// RetryAfter returns the wait the service asked for, if any.
func RetryAfter(err error) (time.Duration, bool) {
	e, ok := AsError(err)
	if !ok || e.RetryAfter <= 0 {
		return 0, false
	}
	return e.RetryAfter, true
}

// errorBody is the union of the error shapes Partner Center and Graph send:
// Partner Center {"code","description","data","source"}, its throttling
// answer {"statusCode","message"}, and Graph {"error":{"code","message",
// "innerError":{"request-id"}}}.
type errorBody struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
	Message     string          `json:"message"`
	Error       json.RawMessage `json:"error"`
}

type graphErrorBody struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	InnerError struct {
		RequestID string `json:"request-id"`
	} `json:"innerError"`
}

var tryAgainIn = regexp.MustCompile(`(?i)try again in (\d+) seconds?`)

// maxDescription bounds how much of an unparsed body ends up in an error.
const maxDescription = 512

// newHTTPError builds the *Error for a response whose status the operation
// did not expect.
func newHTTPError(svc Service, req *http.Request, resp *http.Response, body []byte, now time.Time) *Error {
	e := &Error{
		Service:       svc,
		Method:        req.Method,
		Path:          req.URL.Path,
		StatusCode:    resp.StatusCode,
		RequestID:     req.Header.Get(headerRequestID),
		CorrelationID: req.Header.Get(headerCorrelationID),
		RetryAfter:    parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
	parseErrorBody(e, body)
	if e.RetryAfter == 0 && resp.StatusCode == http.StatusTooManyRequests {
		// Partner Center also states the wait in the message ("Try again in
		// 57 seconds."); use it when a proxy dropped the header.
		if m := tryAgainIn.FindStringSubmatch(e.Description); m != nil {
			if secs, err := strconv.Atoi(m[1]); err == nil {
				e.RetryAfter = time.Duration(secs) * time.Second
			}
		}
	}
	if e.Code == "" {
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			e.Code = CodeThrottled
		default:
			e.Code = CodeUnexpectedStatus
		}
	}
	if e.Description == "" && e.Code == CodeUnexpectedStatus {
		e.Description = http.StatusText(resp.StatusCode)
	}
	if id := resp.Header.Get("request-id"); id != "" && e.RequestID == "" {
		e.RequestID = id
	}
	e.Retryable = retryableStatus(resp.StatusCode, e.Code)
	return e
}

func parseErrorBody(e *Error, body []byte) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return
	}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		// Not JSON (a gateway's HTML page, say): keep a bounded excerpt.
		e.Description = truncate(string(body), maxDescription)
		return
	}
	if len(eb.Error) > 0 && eb.Error[0] == '{' {
		var g graphErrorBody
		if json.Unmarshal(eb.Error, &g) == nil {
			e.Code = g.Code
			e.Description = g.Message
			if g.InnerError.RequestID != "" {
				e.RequestID = g.InnerError.RequestID
			}
			return
		}
	}
	e.Code = rawCode(eb.Code)
	e.Description = eb.Description
	if e.Description == "" {
		e.Description = eb.Message
	}
	e.Description = truncate(e.Description, 1024)
}

// rawCode renders a code sent as a JSON string or number as a string.
func rawCode(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// retryableStatus classifies a status/code pair. 409 is retryable only for
// Partner Center's "being processed by another request" (800064): the other
// request may finish, while other conflicts are business errors.
func retryableStatus(status int, code string) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status == http.StatusConflict:
		return code == "800064"
	case status >= 500:
		return true
	default:
		return false
	}
}

// maxRetryAfterSeconds caps Retry-After so the conversion to a Duration
// cannot overflow (a day is far beyond any wait Microsoft asks for).
const maxRetryAfterSeconds = 24 * 60 * 60

// parseRetryAfter reads a Retry-After header in seconds (whole or, as Graph
// documents, fractional) or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, maxRetryAfterSeconds)) * time.Second
	}
	// Microsoft Graph's throttling sample sends fractional seconds
	// ("Retry-After: 2.128"); honour them, rounded up to the millisecond.
	if secs, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "eEnNiI") {
		if secs <= 0 {
			return 0
		}
		return time.Duration(math.Ceil(min(secs, maxRetryAfterSeconds)*1000)) * time.Millisecond
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// truncate shortens s to at most n bytes without splitting a character (error text is often not
// ASCII: localized Microsoft messages), marking a cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + "…"
}
