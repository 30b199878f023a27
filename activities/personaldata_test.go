package activities_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/activities"
	"github.com/csptransfer/csptransfer/internal/graph"
	"github.com/csptransfer/csptransfer/internal/identity"
	"github.com/csptransfer/csptransfer/internal/notify"
	"github.com/csptransfer/csptransfer/internal/notify/smtptest"
	"github.com/csptransfer/csptransfer/internal/partnercenter"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// Failure messages are stored in plain text (the Temporal UI shows them without the codec), so these
// tests run the activities whose input or whose Microsoft answers carry personal data against services
// that quote it back in their errors, and read every message Temporal would store.

// The personal data of the tests: a contact, as an attestation and a transfer request carry it.
const (
	contactFirst = "Jane"
	contactLast  = "Doe"
	contactEmail = "jane.doe@woodgrove.example"
	contactPhone = "+55 11 5555-0100"
	customerName = "Woodgrove Bank S.A."
)

// storedMessages is what Temporal keeps in plain text of an activity's error: the message and stack
// trace of every failure in its chain.
func storedMessages(err error) string {
	var b strings.Builder
	for f := temporal.GetDefaultFailureConverter().ErrorToFailure(err); f != nil; f = f.GetCause() {
		b.WriteString(f.GetMessage() + "\n" + f.GetStackTrace() + "\n")
	}
	return b.String() + err.Error()
}

func requireNoPersonalData(t *testing.T, err error, markers ...string) string {
	t.Helper()
	require.Error(t, err)
	text := storedMessages(err)
	for _, m := range append(markers, "@", "%40", "woodgrove.example") {
		require.NotContains(t, strings.ToLower(text), strings.ToLower(m), "personal data in a failure message")
	}
	return text
}

// faultyFixture is the sandbox fixture with a handler in front that may answer a request itself.
type faultyFixture struct {
	*fixture
	mu   sync.Mutex
	upns map[string]string // Graph user id → UPN, as the sandbox listed them
}

func newFaultyFixture(t *testing.T, partner string, fault func(ff *faultyFixture, w http.ResponseWriter, r *http.Request) bool) *faultyFixture {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	sb, err := sandbox.New(sandbox.Options{PublicURL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	ff := &faultyFixture{upns: map[string]string{}}
	inner := sb.Handler()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fault(ff, w, r) {
			return
		}
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/graph/v1.0/users") {
			inner.ServeHTTP(w, r)
			return
		}
		// Remember the users' UPNs, so that a fault can name the user as Graph would.
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		var list struct {
			Value []graph.User `json:"value"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &list) == nil {
			ff.mu.Lock()
			for _, u := range list.Value {
				ff.upns[u.ID] = u.UserPrincipalName
			}
			ff.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})

	hc := &http.Client{Timeout: 5 * time.Second}
	ids, err := identity.New(identity.Config{Authority: srv.URL + "/login", ClientID: sandbox.ClientID,
		ClientSecret: sandbox.ClientSecret, RefreshToken: sandbox.RefreshToken, HTTPClient: hc})
	require.NoError(t, err)
	pc, err := partnercenter.New(partnercenter.Config{BaseURL: srv.URL, HTTPClient: hc,
		AppTokens: ids.AppOnly(partner, identity.ScopePartnerCenterApp), UserTokens: ids.AppUser(partner, identity.ScopePartnerCenterUser)})
	require.NoError(t, err)
	gr, err := graph.New(graph.Config{BaseURL: srv.URL + "/graph/v1.0", HTTPClient: hc, Tokens: ids.GraphTokens, PartnerTenantID: partner})
	require.NoError(t, err)
	acts := &activities.Activities{Partners: []activities.Partner{{TenantID: partner, PartnerCenter: pc, Graph: gr}}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	ff.fixture = &fixture{t: t, url: srv.URL, acts: acts, env: env, calls: &callLog{}}
	return ff
}

func (ff *faultyFixture) upn(userID string) string {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	return ff.upns[userID]
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// TestGraphErrorsNamingAUserAreScrubbed: Graph refuses assignLicense naming the user by UPN, in a URL and
// by display name; the error keeps Graph's code and the retry decision, and names no one.
func TestGraphErrorsNamingAUserAreScrubbed(t *testing.T) {
	var named []string
	ff := newFaultyFixture(t, sandbox.PartnerEU, func(ff *faultyFixture, w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/assignLicense") {
			return false
		}
		parts := strings.Split(r.URL.Path, "/")
		id := parts[len(parts)-2]
		upn := ff.upn(id)
		if upn == "" {
			upn = "licensing-owner@fabrikam-fr.onmicrosoft.com" // a group: Graph may still name a person
		}
		local, _, _ := strings.Cut(upn, "@")
		display := strings.ToUpper(local[:1]) + local[1:]
		named = append(named, upn, display)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code": "Request_BadRequest",
			"message": fmt.Sprintf("License assignment failed for user %s (%s): invalid usage location. See https://graph.microsoft.com/v1.0/users/%s",
				upn, display, strings.ReplaceAll(upn, "@", "%40")),
		}})
		return true
	})
	customer := sandbox.CustomerDiscontinued
	ff.admin("/sandbox/customers/"+customer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
	v, err := ff.env.ExecuteActivity(ff.acts.Discover, activities.DiscoverInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer})
	require.NoError(t, err)
	var disc activities.DiscoverResult
	require.NoError(t, v.Get(&disc))
	var e4 csptransfer.OriginalSubscription
	for _, o := range disc.Originals {
		if o.SkuPartNumber == "ENTERPRISEWITHSCAL" {
			e4 = o
		}
	}
	require.NotEmpty(t, e4.SkuID)

	_, err = ff.env.ExecuteActivity(ff.acts.MoveLicenses, activities.MoveLicensesInput{PartnerTenantID: sandbox.PartnerEU, CustomerTenantID: customer,
		FromSkuID: e4.SkuID, ToSkuID: "6fd2c87f-b296-42f0-b197-1e91e994b900", AcceptDataLoss: true})
	require.NotEmpty(t, named, "the fault answered")
	text := requireNoPersonalData(t, err, append(named, "fabrikam-fr.onmicrosoft.com")...)
	require.Contains(t, text, "Request_BadRequest")
	require.Contains(t, text, "HTTP 400")
	require.Contains(t, text, "invalid usage location")
	require.Equal(t, activities.ErrTypeLicenseMoveRejected, errType(t, err))
}

// TestPartnerCenterErrorsQuotingTheContactAreScrubbed: Partner Center refuses an attestation and a transfer
// request quoting back the personal data each call sent: the contact's name, e-mail and phone, the
// customer's e-mail and name.
func TestPartnerCenterErrorsQuotingTheContactAreScrubbed(t *testing.T) {
	refuse := func(w http.ResponseWriter, code int, quoted string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": code, "data": []string{}, "source": "PartnerFD",
			"description": quoted + " is not valid"})
	}
	t.Run("attestation", func(t *testing.T) {
		ff := newFaultyFixture(t, sandbox.PartnerEU, func(_ *faultyFixture, w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/agreements") {
				refuse(w, 600039, fmt.Sprintf("primaryContact %s %s <%s>, phone %s,", contactFirst, contactLast, contactEmail, contactPhone))
				return true
			}
			return false
		})
		ff.admin("/sandbox/customers/"+sandbox.CustomerSameOffer+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerEU})
		_, err := ff.env.ExecuteActivity(ff.acts.EnsureAgreement, activities.EnsureAgreementInput{PartnerTenantID: sandbox.PartnerEU,
			CustomerTenantID: sandbox.CustomerSameOffer, Attestation: &csptransfer.Attestation{FirstName: contactFirst, LastName: contactLast,
				Email: contactEmail, PhoneNumber: contactPhone, DateAgreed: time.Now().UTC()}})
		text := requireNoPersonalData(t, err, contactFirst, contactLast, "5555-0100")
		require.Contains(t, text, "code 600039")
		require.Equal(t, activities.ErrTypeBusiness, errType(t, err))
	})
	t.Run("partner transfer request", func(t *testing.T) {
		ff := newFaultyFixture(t, sandbox.PartnerUS, func(_ *faultyFixture, w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/transfers") {
				refuse(w, 800002, fmt.Sprintf("customerEmailId %s for customerName %s (%s)", contactEmail, customerName, url.QueryEscape(customerName)))
				return true
			}
			return false
		})
		ff.admin("/sandbox/customers/"+sandbox.CustomerPartnerMix+"/accept", map[string]string{"partnerTenantId": sandbox.PartnerUS})
		_, err := ff.env.ExecuteActivity(ff.acts.RequestPartnerTransfer, activities.RequestPartnerTransferInput{
			PartnerTenantID: sandbox.PartnerUS, CustomerTenantID: sandbox.CustomerPartnerMix, SourcePartnerTenantID: sandbox.OtherCSP,
			CustomerEmail: contactEmail, CustomerName: customerName, RequestID: "7e1d2c3b-1111-4222-8333-944455556666"})
		text := requireNoPersonalData(t, err, customerName, "Woodgrove+Bank")
		require.Contains(t, text, "code 800002")
	})
}

// TestRelayRepliesQuotingTheRecipientAreScrubbed: an SMTP relay refusing the message quotes the
// recipient in its reply, well-formed or not; the activity's error keeps the reply codes only.
func TestRelayRepliesQuotingTheRecipientAreScrubbed(t *testing.T) {
	tests := []struct {
		name      string
		replies   map[string]string
		wantType  string
		wantCodes string
	}{
		{"mailbox unavailable", map[string]string{"RCPT": "550 <" + contactEmail + "> mailbox unavailable"}, activities.ErrTypeInvalidInput, ""},
		{"relaying denied", map[string]string{"RCPT": "554 5.7.1 <" + contactEmail + ">: Relay access denied for Jane Doe"}, activities.ErrTypeBusiness, "554 5.7.1"},
		{"temporary", map[string]string{"RCPT": "451 4.3.0 <" + contactEmail + "> try again later"}, "", "451 4.3.0"},
		{"malformed reply", map[string]string{"RCPT": "5x0 <" + contactEmail + "> who is Jane Doe?"}, "", ""},
		{"message refused", map[string]string{"DATA": "554 5.6.0 message to " + contactEmail + " refused"}, activities.ErrTypeBusiness, "554 5.6.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			relay := smtptest.StartWith(t, smtptest.Options{Replies: tt.replies})
			acts := &activities.Activities{Notifier: notify.SMTP{Addr: relay.Addr, From: "transfers@partner.example", CAFile: relay.CAFile, Timeout: 5 * time.Second}}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(acts)
			_, err := env.ExecuteActivity(acts.Notify, activities.NotifyInput{Kind: "invitation", To: contactEmail,
				Reference: "csp-transfer-x", Subject: "Please accept", Body: "Dear Jane Doe, open the link"})
			text := requireNoPersonalData(t, err, "Jane Doe", "partner.example")
			if tt.wantCodes != "" {
				require.Contains(t, text, "(reply "+tt.wantCodes+")")
			}
			if tt.wantType != "" {
				require.Equal(t, tt.wantType, errType(t, err))
			}
		})
	}
}
