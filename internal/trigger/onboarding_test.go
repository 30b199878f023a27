package trigger

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/csptransfer/csptransfer"
)

const sourcePartnerTenant = "5d3c1e2a-7b4f-4c19-8e6d-9a0b1c2d3e4f"

// onboard posts body to the onboarding API of a server over c (sandbox mode: no token).
func onboard(t *testing.T, c *mocks.Client, body string) (*httptest.ResponseRecorder, errorAnswer) {
	t.Helper()
	s, err := New(Options{Client: c, Verifier: newTestPKI(t).verifier(t)})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/v1/transfers", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var ans errorAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ans), rec.Body.String())
	return rec, ans
}

func fields(ans errorAnswer) []string {
	var out []string
	for _, p := range ans.Problems {
		out = append(out, p.Field)
	}
	return out
}

// A sourcePartner in the body reaches the workflow, normalized like every other field.
func TestOnboardingPassesTheSourcePartnerToTheWorkflow(t *testing.T) {
	c := &mocks.Client{}
	run := &mocks.WorkflowRun{}
	run.On("GetRunID").Return("run-1")
	c.On("ExecuteWorkflow", mock.Anything,
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == csptransfer.WorkflowID(testTenant) }),
		csptransfer.WorkflowType,
		mock.MatchedBy(func(req csptransfer.TransferRequest) bool {
			sp := req.SourcePartner
			return sp != nil && sp.TenantID == sourcePartnerTenant && sp.Name == "Fabrikam Reseller GmbH" &&
				sp.Email == "csp@fabrikam-reseller.example" && req.ContactEmail == "it@alpineskihouse.example"
		}),
	).Return(run, nil).Once()

	rec, _ := onboard(t, c, `{"customerTenantId":"`+testTenant+`","customerDomain":"alpineskihouse-de.onmicrosoft.com",
		"contactEmail":"it@alpineskihouse.example",
		"sourcePartner":{"tenantId":"`+strings.ToUpper(sourcePartnerTenant)+`","name":" Fabrikam Reseller GmbH ","email":"csp@fabrikam-reseller.example"}}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"workflowId":"`+csptransfer.WorkflowID(testTenant)+`"`)
	c.AssertExpectations(t)
}

// Every problem of a sourcePartner comes back in problems[].field, and nothing is started.
func TestOnboardingNamesSourcePartnerProblems(t *testing.T) {
	const customer = `"customerTenantId":"` + testTenant + `","customerDomain":"alpineskihouse-de.onmicrosoft.com"`
	for _, tt := range []struct {
		name string
		body string
		want []string
	}{
		{"bad tenant and e-mail, no contact", `{` + customer + `,"sourcePartner":{"tenantId":"fabrikam","email":"csp at fabrikam"}}`,
			[]string{"sourcePartner.tenantId", "sourcePartner.email", "contactEmail"}},
		{"empty object", `{` + customer + `,"contactEmail":"it@alpineskihouse.example","sourcePartner":{}}`, []string{"sourcePartner"}},
		{"wrong type", `{` + customer + `,"sourcePartner":{"tenantId":5}}`, []string{"sourcePartner.tenantId"}},
		{"misspelt field", `{` + customer + `,"sourcePartner":{"tennantId":"` + sourcePartnerTenant + `"}}`, []string{"sourcePartner.tennantId"}},
		{"misspelt field in any case", `{` + customer + `,"SourcePartner":{"mail":"x"}}`, []string{"sourcePartner.mail"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &mocks.Client{}
			rec, ans := onboard(t, c, tt.body)
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			require.Equal(t, "invalid transfer request", ans.Error)
			require.Equal(t, tt.want, fields(ans))
			require.NotContains(t, rec.Body.String(), "csp at fabrikam", "personal data is never echoed")
			c.AssertExpectations(t) // nothing started
		})
	}
}

func TestUnknownFieldPath(t *testing.T) {
	for _, tt := range []struct{ body, key, want string }{
		{`{"customerDomian":"x"}`, "customerDomian", "customerDomian"},
		{`{"provisioning":{"leadtme":"7d"}}`, "leadtme", "provisioning.leadtme"},
		{`{"subscriptions":[{"quantity":1},{"sku":"E3"}]}`, "sku", "subscriptions[1].sku"},
		{`{"sourcePartner":{"tenant":"x"}}`, "tenant", "sourcePartner.tenant"},
		{`not json`, "x", "x"},
		{`{"sourcePartner":"x"}`, "y", "y"},
	} {
		require.Equal(t, tt.want, unknownFieldPath([]byte(tt.body), tt.key), tt.body)
	}
}
