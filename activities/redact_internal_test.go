package activities

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/msrest"
	"github.com/csptransfer/csptransfer/internal/notify"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name  string
		give  string
		known []string
		want  string
	}{
		{name: "SMTP reply quoting the recipient", give: "550 <jane@contoso.com> mailbox unavailable",
			want: "550 <<address>> mailbox unavailable"},
		{name: "UPN in a Graph path", give: "graph POST /users/jane.doe@woodgrove.example/assignLicense: HTTP 400 code Request_BadRequest",
			want: "graph POST /users/<address>/assignLicense: HTTP 400 code Request_BadRequest"},
		{name: "percent-encoded UPN in a URL", give: `Post "https://graph.microsoft.com/v1.0/users/jane.doe%40woodgrove.example/assignLicense": EOF`,
			want: `Post "https://graph.microsoft.com/v1.0/users/<address>/assignLicense": EOF`},
		{name: "escaped addresses", give: `users/jane%2540contoso.com, "jane\u0040contoso.com", jane&#64;contoso.com, JANE%40CONTOSO.COM`,
			want: `users/<address>, "<address>", <address>, <address>`},
		{name: "guest UPN", give: "user jane_contoso.com#EXT#@woodgrove.onmicrosoft.com has no usage location",
			want: "user <address> has no usage location"},
		{name: "international address", give: "Benutzer jörg.müller@bücher.example unbekannt", want: "Benutzer <address> unbekannt"},
		{name: "several addresses", give: "a@b.example, C.D+x@e-f.example.org; ok", want: "<address>, <address>; ok"},
		{name: "known names in any case, whole words only",
			give:  "Invalid primary contact JANE DOE (Jane) in Janet's agreement, phone +49 30 1234567",
			known: []string{"Jane Doe", "Jane", "Doe", "+49 30 1234567"},
			want:  "Invalid primary contact <redacted> (<redacted>) in Janet's agreement, phone <redacted>"},
		{name: "known names as in a URL", give: "GET /x?name=Jane+Doe and /y/Jane%20Doe", known: []string{"Jane Doe"},
			want: "GET /x?name=<redacted> and /y/<redacted>"},
		{name: "company name", give: "customerName Woodgrove Bank S.A. differs", known: []string{"Woodgrove Bank S.A."},
			want: "customerName <redacted> differs"},
		{name: "one-letter values are left alone", give: "J is not a name", known: []string{"J", " ", ""}, want: "J is not a name"},
		{name: "codes, statuses and ids stay",
			give: "partnercenter POST /v1/customers/a1b2c3d4-0006-4000-8000-000000000006/transfers: HTTP 400 code 800002: bad (correlation id 5b9c2f0e-1111-4222-8333-944455556666)",
			want: "partnercenter POST /v1/customers/a1b2c3d4-0006-4000-8000-000000000006/transfers: HTTP 400 code 800002: bad (correlation id 5b9c2f0e-1111-4222-8333-944455556666)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, scrub(tt.give, tt.known...))
		})
	}
}

// storedText is what Temporal stores in plain text for err: the message and stack trace of every failure
// in the chain the failure converter makes of it.
func storedText(err error) string {
	var b strings.Builder
	for f := temporal.GetDefaultFailureConverter().ErrorToFailure(err); f != nil; f = f.GetCause() {
		b.WriteString(f.GetMessage() + "\n" + f.GetStackTrace() + "\n")
	}
	return b.String()
}

func requireNoPersonalData(t *testing.T, err error, markers ...string) {
	t.Helper()
	require.Error(t, err)
	text := storedText(err) + err.Error()
	for _, m := range append(markers, "@", "%40") {
		require.NotContains(t, strings.ToLower(text), strings.ToLower(m))
	}
}

// TestClassifiedErrorsCarryNoPersonalData: whatever path classify takes, no message in the stored chain
// quotes the user Graph named or the contact the call carried; Microsoft's code and the retry decision
// stay, and errors.As still finds Microsoft's error in this process.
func TestClassifiedErrorsCarryNoPersonalData(t *testing.T) {
	graphErr := func(status int) *msrest.Error {
		return &msrest.Error{Service: msrest.Graph, Method: http.MethodPost, Path: "/users/jane.doe@woodgrove.example/assignLicense",
			StatusCode: status, Code: "Request_BadRequest", Retryable: status >= 500,
			Description: "License assignment failed for user jane.doe@woodgrove.example (Jane Doe)"}
	}
	tests := []struct {
		name     string
		err      error
		wantType string
	}{
		{"business rejection", classify("move user license", graphErr(http.StatusBadRequest), "Jane Doe"), ErrTypeBusiness},
		{"transient", classify("users", graphErr(http.StatusServiceUnavailable), "Jane Doe"), ""},
		{"throttled", classify("users", &msrest.Error{StatusCode: http.StatusTooManyRequests, Code: msrest.CodeThrottled, Retryable: true,
			Description: "slow down, jane.doe@woodgrove.example"}), ErrTypeThrottled},
		{"transport", classify("users", fmt.Errorf(`Get "https://graph.microsoft.com/v1.0/users/jane.doe%%40woodgrove.example": %w`, errors.New("EOF"))), ""},
		{"app user access lost", classify("customer agreements",
			fmt.Errorf("token for admin@northwind.example: %w", identity.ErrAppUserAccessLost)), ErrTypeAppUserAccessLost},
		{"license move rejected", licenseMoveFailed("move user license", graphErr(http.StatusBadRequest), userData("jane.doe@woodgrove.example")...), ErrTypeLicenseMoveRejected},
		{"agreement attestation", classify("agreement attestation", &msrest.Error{Service: msrest.PartnerCenter, StatusCode: http.StatusBadRequest, Code: "600039",
			Description: "primary contact Jane Doe, phone +55 11 5555-0100, is invalid"},
			attestationData(&csptransfer.Attestation{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@woodgrove.example", PhoneNumber: "+55 11 5555-0100"})...),
			ErrTypeBusiness},
		{"relay refused", classifyNotify(fmt.Errorf("smtp data: %w (reply 554 5.7.1) for jane.doe@woodgrove.example", notify.ErrRejected), "jane.doe@woodgrove.example"), ErrTypeBusiness},
		{"relay unreachable", classifyNotify(errors.New("smtp dial: Jane Doe's relay is down"), "Jane Doe"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireNoPersonalData(t, tt.err, "jane", "doe", "woodgrove.example", "5555-0100", "northwind.example")
			var appErr *temporal.ApplicationError
			if tt.wantType == "" {
				require.False(t, errors.As(tt.err, &appErr) && appErr.NonRetryable(), "stays retryable")
				return
			}
			require.True(t, errors.As(tt.err, &appErr))
			require.Equal(t, tt.wantType, appErr.Type())
		})
	}

	err := classify("move user license", graphErr(http.StatusBadRequest), "Jane Doe")
	require.Contains(t, err.Error(), "HTTP 400 code Request_BadRequest")
	require.Contains(t, err.Error(), "/users/<address>/assignLicense")
	e, ok := msrest.AsError(err)
	require.True(t, ok, "errors.As reaches Microsoft's error in this process")
	require.Equal(t, "Request_BadRequest", e.Code)
	require.True(t, errors.Is(classify("x", fmt.Errorf("t: %w", identity.ErrAppUserAccessLost)), identity.ErrAppUserAccessLost))

	// The stored chain ends at the scrubbed stand-in: Temporal never sees the original error.
	var chain []*failurepb.Failure
	for f := temporal.GetDefaultFailureConverter().ErrorToFailure(err); f != nil; f = f.GetCause() {
		chain = append(chain, f)
	}
	require.Len(t, chain, 2)
	require.Equal(t, "graph POST /users/<address>/assignLicense: HTTP 400 code Request_BadRequest: License assignment failed for user <address> (<redacted>)",
		chain[1].GetMessage())
}

func TestUserData(t *testing.T) {
	require.Equal(t, []string{"jane.doe@woodgrove.example", "jane", "doe", "jane doe"}, userData("jane.doe@woodgrove.example"))
	require.Equal(t, []string{"jane_contoso.com#EXT#@woodgrove.onmicrosoft.com", "jane", "contoso", "com", "jane contoso com"},
		userData("jane_contoso.com#EXT#@woodgrove.onmicrosoft.com"))
	require.Equal(t, []string{"user01@fabrikam-fr.onmicrosoft.com", "user01"}, userData("user01@fabrikam-fr.onmicrosoft.com"))
	require.Nil(t, userData(""))
}
