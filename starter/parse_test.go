package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/config"
)

// offline runs the CLI with Temporal settings pointing nowhere: commands that get past validation fail to
// connect (exit 1) instead of reaching a server.
func offline(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	a := newApp(config.Map{"TEMPORAL_ADDRESS": "127.0.0.1:1"})
	a.now = func() time.Time { return goldenNow }
	var out, errOut bytes.Buffer
	code := execute(t.Context(), a, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodesBeforeConnecting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr []string
	}{
		{"unknown command", "", []string{"bogus"}, exitUsage, []string{"unknown command"}},
		{"unknown flag", "", []string{"status", "--bogus", goldenTenant}, exitUsage, []string{"unknown flag"}},
		{"missing ID", "", []string{"status"}, exitUsage, []string{"status takes 1 argument(s) (ID)"}},
		{"bad ID", "", []string{"accept", "contoso"}, exitUsage, []string{"neither a workflow ID"}},
		{"quote in ID", "", []string{"status", "csp-transfer-x' OR 'a'='a"}, exitUsage, []string{"must not contain quotes"}},
		{"bad ui", "", []string{"status", goldenTenant, "--ui", "localhost"}, exitUsage, []string{"--ui"}},
		{"every start problem at once", "", []string{"start", "--tenant", "nope", "--domain", "bad", "--country", "UK",
			"--lead-time", "3q", "--subscription", "E3:two:2027-01-01", "--override", "E4", "--approval", "sometimes"}, exitUsage,
			[]string{"--lead-time", "--subscription", "--override", "customerTenantId", "customerDomain", "country", "approval"}},
		{"file and flags", "", []string{"start", "--file", "x.json", "--tenant", goldenTenant}, exitUsage, []string{"--file excludes --tenant"}},
		{"map-offer bad values", "", []string{"map-offer", goldenTenant, "--source", "a b", "--target", "E3"}, exitUsage, []string{"--source", "--target"}},
		{"abort without reason", "", []string{"abort", goldenTenant}, exitUsage, []string{"--reason: required"}},
		{"abort --cancel-refundable --yes reaches for Temporal", "", []string{"abort", goldenTenant, "--reason", "x", "--cancel-refundable", "--yes"}, exitError,
			[]string{"cannot reach Temporal at 127.0.0.1:1"}},
		{"skip-wait wrong typed acknowledgement", "I agree\n", []string{"skip-wait", goldenTenant}, exitUsage, []string{"nothing was sent"}},
		{"skip-wait acknowledgement with extra words", "", []string{"skip-wait", goldenTenant, "--acknowledge", csptransfer.NoRefundAcknowledgement + "!"}, exitUsage, []string{"exactly"}},
		{"skip-wait typed acknowledgement accepted", csptransfer.NoRefundAcknowledgement + "\n", []string{"skip-wait", goldenTenant}, exitError, []string{"cannot reach Temporal at 127.0.0.1:1"}},
		{"list filter", "", []string{"list", "--domain", "x'y.com", "--customer", "abc", "--stage", "Done"}, exitUsage, []string{"--domain", "--customer", "--stage"}},
		{"list open and all", "", []string{"list", "--open", "--all"}, exitUsage, []string{"exclude each other"}},
		{"import concurrency", "", []string{"import", "x.csv", "--concurrency", "0"}, exitUsage, []string{"--concurrency"}},
		{"watch interval", "", []string{"watch", goldenTenant, "--interval", "1ms"}, exitUsage, []string{"--interval"}},
		{"valid start reaches for Temporal", "", []string{"start", "--tenant", goldenTenant, "--domain", "contoso.onmicrosoft.com"}, exitError, []string{"cannot reach Temporal at 127.0.0.1:1"}},
		{"source partner problems named by field", "", []string{"start", "--tenant", goldenTenant, "--domain", "contoso.onmicrosoft.com",
			"--source-partner-tenant", "fabrikam", "--source-partner-email", "csp at fabrikam"}, exitUsage,
			[]string{`sourcePartner.tenantId: "fabrikam" is not a GUID`, "sourcePartner.email: not an e-mail address", "contactEmail: required with sourcePartner"}},
		{"an empty source partner flag is not ignored", "", []string{"start", "--tenant", goldenTenant, "--domain", "contoso.onmicrosoft.com",
			"--contact", "it@contoso.example", "--source-partner-name", " "}, exitUsage, []string{"sourcePartner: give at least tenantId, name or email"}},
		{"valid source partner reaches for Temporal", "", []string{"start", "--tenant", goldenTenant, "--domain", "contoso.onmicrosoft.com",
			"--contact", "it@contoso.example", "--source-partner-tenant", strings.ToUpper(goldenSourcePartner), "--source-partner-name", "Fabrikam Reseller GmbH",
			"--source-partner-email", "csp@fabrikam-reseller.example"}, exitError, []string{"cannot reach Temporal at 127.0.0.1:1"}},
		{"file excludes source partner flags", "", []string{"start", "--file", "x.json", "--source-partner-tenant", goldenSourcePartner}, exitUsage,
			[]string{"--file excludes --source-partner-tenant"}},
		{"cancel-transfer without reason, bad transfer id", "", []string{"cancel-transfer", goldenTenant, "--transfer-id", "12 34"}, exitUsage,
			[]string{"--reason: required", `--transfer-id: "12 34" is not a Partner Center transfer id`}},
		{"cancel-transfer empty transfer id", "", []string{"cancel-transfer", goldenTenant, "--transfer-id", "", "--reason", "x"}, exitUsage, []string{"--transfer-id"}},
		{"cancel-transfer bad ID", "", []string{"cancel-transfer", "contoso", "--reason", "x"}, exitUsage, []string{"neither a workflow ID"}},
		{"cancel-transfer reaches for Temporal", "", []string{"cancel-transfer", goldenTenant, "--reason", "buy instead", "--transfer-id", goldenTransferID}, exitError,
			[]string{"cannot reach Temporal at 127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := offline(t, tc.stdin, tc.args...)
			require.Equal(t, tc.code, code, stderr)
			for _, s := range tc.stderr {
				require.Contains(t, stderr, s)
			}
		})
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	code, out, _ := offline(t, "", "--help")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "5  already running")
	require.Contains(t, out, "4  refused by the workflow")
}

func TestResolveID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{goldenTenant, "csp-transfer-" + goldenTenant},
		{strings.ToUpper(goldenTenant), "csp-transfer-" + goldenTenant},
		{"csp-transfer-" + goldenTenant, "csp-transfer-" + goldenTenant},
		{" CSP-TRANSFER-" + strings.ToUpper(goldenTenant) + " ", "csp-transfer-" + goldenTenant},
		{"csp-transfer-contoso", "csp-transfer-contoso"},
	} {
		got, err := resolveID(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
	}
	for _, bad := range []string{"", "contoso", "csp-transfer-", "csp-transfer-a'b", "6b1f0a52"} {
		_, err := resolveID(bad)
		require.Error(t, err, bad)
		require.Equal(t, exitUsage, exitCode(err))
	}
}

func TestParseSubscription(t *testing.T) {
	sub, err := parseSubscription("ENTERPRISEPACK:25:2027-03-01T00:00:00Z")
	require.NoError(t, err)
	require.Equal(t, csptransfer.OriginalSubscription{SkuPartNumber: "ENTERPRISEPACK", Quantity: 25, ExpiresAt: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}, sub)
	sub, err = parseSubscription("05e9a617-0261-4cee-bb44-138d3ef5d965:3:2027-03-01")
	require.NoError(t, err)
	require.Equal(t, "05e9a617-0261-4cee-bb44-138d3ef5d965", sub.SkuID)
	require.Equal(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), sub.ExpiresAt)
	for _, bad := range []string{"E3", "E3:2", "E3:x:2027-03-01", "E3:2:next year"} {
		_, err := parseSubscription(bad)
		require.Error(t, err, bad)
	}
}

func TestListQuery(t *testing.T) {
	now := goldenNow
	for _, tc := range []struct {
		name string
		f    listFilter
		want string
	}{
		{"default: open transfers", listFilter{}, "WorkflowType = 'CSPTransfer' AND ExecutionStatus = 'Running'"},
		{"all", listFilter{all: true}, "WorkflowType = 'CSPTransfer' AND ExecutionStatus != 'ContinuedAsNew'"},
		{"one stage any case", listFilter{stages: []string{"awaitingapproval"}},
			"WorkflowType = 'CSPTransfer' AND CspStage = 'AwaitingApproval' AND ExecutionStatus = 'Running'"},
		{"awaiting a partner transfer", listFilter{stages: []string{"awaitingPartnerTransfer"}},
			"WorkflowType = 'CSPTransfer' AND CspStage = 'AwaitingPartnerTransfer' AND ExecutionStatus = 'Running'"},
		{"several stages", listFilter{stages: []string{"Failed", "Aborted"}, all: true},
			"WorkflowType = 'CSPTransfer' AND CspStage IN ('Failed', 'Aborted') AND ExecutionStatus != 'ContinuedAsNew'"},
		{"identity", listFilter{customer: strings.ToUpper(goldenTenant), partner: goldenPartner, domain: "Contoso.onmicrosoft.com"},
			"WorkflowType = 'CSPTransfer' AND CspCustomerTenantId = '" + goldenTenant + "' AND CspPartnerTenantId = '" + goldenPartner +
				"' AND CspCustomerDomain = 'contoso.onmicrosoft.com' AND ExecutionStatus = 'Running'"},
		{"next action window", listFilter{nextAfter: "-2h", nextBefore: "7d"},
			"WorkflowType = 'CSPTransfer' AND CspNextActionAt < '2026-11-28T10:00:00Z' AND CspNextActionAt > '2026-11-21T08:00:00Z' AND ExecutionStatus = 'Running'"},
		{"next action before a time", listFilter{nextBefore: "2026-12-01T12:00:00+01:00"},
			"WorkflowType = 'CSPTransfer' AND CspNextActionAt < '2026-12-01T11:00:00Z' AND ExecutionStatus = 'Running'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f.query(now)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []listFilter{
		{domain: "contoso.com' OR CspStage != 'x"},
		{domain: `contoso.com"`},
		{domain: `contoso\.com`},
		{customer: "' OR 1=1"},
		{partner: "x"},
		{stages: []string{"Running'"}},
		{nextBefore: "soon"},
	} {
		_, err := bad.query(now)
		require.Error(t, err, "%+v", bad)
		require.Equal(t, exitUsage, exitCode(err))
	}
}

func TestReadRequestFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := write("good.json", `{"customerTenantId":"`+goldenTenant+`","customerDomain":"contoso.onmicrosoft.com",
		"provisioning":{"mode":"beforeExpiry","leadTime":"7d"},"invitationTtl":"14d","offerOverrides":{"ENTERPRISEWITHSCAL":"CFQ7TTC0LFLX:0001"}}`)
	req, err := readRequestFile(good, nil)
	require.NoError(t, err)
	require.Equal(t, csptransfer.ProvisionBeforeExpiry, req.Provisioning.Mode)
	require.Equal(t, csptransfer.Duration(14*24*time.Hour), req.InvitationTTL)

	_, err = readRequestFile(write("typo.json", `{"customerTenantId":"`+goldenTenant+`","customerDomian":"x"}`), nil)
	require.ErrorContains(t, err, `unknown field "customerDomian"`)
	require.Equal(t, exitUsage, exitCode(err))

	_, err = readRequestFile(write("two.json", `{} {}`), nil)
	require.ErrorContains(t, err, "more than one JSON value")
	_, err = readRequestFile(write("continued.json", `{"continued":{}}`), nil)
	require.ErrorContains(t, err, "continued")
	_, err = readRequestFile(filepath.Join(dir, "missing.json"), nil)
	require.Equal(t, exitUsage, exitCode(err))
	_, err = readRequestFile(write("big.json", `{"customerName":"`+strings.Repeat("x", maxRequestFile)+`"}`), nil)
	require.ErrorContains(t, err, "larger than")

	req, err = readRequestFile("-", strings.NewReader(`{"customerTenantId":"`+goldenTenant+`"}`))
	require.NoError(t, err)
	require.Equal(t, goldenTenant, req.CustomerTenantID)
}

func TestParseImport(t *testing.T) {
	const header = "customerTenantId,customerDomain,country,contactEmail,customerName,approval,provisioning,leadTime,requestAdminAccess,subscriptions\n"
	t.Run("good rows with every column", func(t *testing.T) {
		rows, problems, err := parseImport(strings.NewReader(header+
			goldenTenant+",contoso.onmicrosoft.com,DE,it@contoso.example,Contoso GmbH,always,beforeExpiry,7d,yes,ENTERPRISEPACK:25:2027-03-01;STANDARDPACK:5:2027-03-01T00:00:00Z\n"+
			"\n"+
			"a1b2c3d4-0001-4000-8000-000000000001,alpineskihouse-de.onmicrosoft.com,,,,,,,,\n"), goldenNow)
		require.NoError(t, err)
		require.Empty(t, problems)
		require.Len(t, rows, 2)
		require.Equal(t, 2, rows[0].line)
		require.Equal(t, 4, rows[1].line, "blank lines still count")
		r := rows[0].req
		require.Equal(t, csptransfer.ApprovalAlways, r.Approval)
		require.True(t, r.RequestAdminAccess)
		require.Equal(t, csptransfer.Duration(7*24*time.Hour), r.Provisioning.LeadTime)
		require.Len(t, r.Subscriptions, 2)
		require.Equal(t, "Contoso GmbH", r.CustomerName)
	})
	t.Run("every bad row with line and field; duplicates", func(t *testing.T) {
		_, problems, err := parseImport(strings.NewReader(header+
			goldenTenant+",contoso.onmicrosoft.com,DE,,,,,,,\n"+ // 2: fine
			"not-a-guid,contoso,XX,nobody,,sometimes,later,3q,perhaps,E3:x:2027-01-01\n"+ // 3: everything wrong
			strings.ToUpper(goldenTenant)+",contoso2.onmicrosoft.com,DE,,,,,,,\n"+ // 4: duplicate of 2
			"\"a1b2c3d4-0001-4000-8000-000000000001\",\"multi\nline.com\",DE,,,,,,,\n"+ // 5-6: domain with a newline
			"a1b2c3d4-0002-4000-8000-000000000002,fabrikam-fr.onmicrosoft.com\n"), // 7: too few fields
			goldenNow)
		require.NoError(t, err)
		got := map[int][]string{}
		for _, p := range problems {
			got[p.Line] = append(got[p.Line], p.Field)
		}
		require.Equal(t, map[int][]string{
			3: {"leadTime", "requestAdminAccess", "subscriptions[0]", "customerTenantId", "customerDomain", "contactEmail", "country", "provisioning", "approval"},
			4: {"customerTenantId"},
			5: {"customerDomain"},
			7: {"row"},
		}, got)
		for _, p := range problems {
			require.NotContains(t, p.Message, "nobody", "personal data is never echoed")
		}
	})
	t.Run("source partner columns", func(t *testing.T) {
		const hdr = "customerTenantId,customerDomain,contactEmail,sourcePartnerTenantId,SourcePartnerName,sourcepartneremail\n"
		rows, problems, err := parseImport(strings.NewReader(hdr+
			goldenTenant+",contoso.onmicrosoft.com,it@contoso.example,"+strings.ToUpper(goldenSourcePartner)+", Fabrikam Reseller GmbH ,csp@fabrikam-reseller.example\n"+
			"a1b2c3d4-0001-4000-8000-000000000001,alpineskihouse-de.onmicrosoft.com,,,,\n"+ // no source partner
			"a1b2c3d4-0002-4000-8000-000000000002,fabrikam-fr.onmicrosoft.com,it@fabrikam.example,,Fabrikam Reseller GmbH,\n"), goldenNow) // name only
		require.NoError(t, err)
		require.Empty(t, problems)
		require.Len(t, rows, 3)
		require.Equal(t, &csptransfer.SourcePartner{TenantID: goldenSourcePartner, Name: "Fabrikam Reseller GmbH", Email: "csp@fabrikam-reseller.example"},
			rows[0].req.SourcePartner, "normalized like every other field")
		require.Nil(t, rows[1].req.SourcePartner, "empty cells: no source partner")
		require.Equal(t, &csptransfer.SourcePartner{Name: "Fabrikam Reseller GmbH"}, rows[2].req.SourcePartner)

		_, problems, err = parseImport(strings.NewReader(hdr+
			goldenTenant+",contoso.onmicrosoft.com,,fabrikam,,csp at fabrikam\n"+ // 2: bad tenant and e-mail, no contact
			"a1b2c3d4-0001-4000-8000-000000000001,alpineskihouse-de.onmicrosoft.com,it@alpineskihouse.example,"+goldenSourcePartner+",,\n"), goldenNow) // 3: fine
		require.NoError(t, err)
		got := map[int][]string{}
		for _, p := range problems {
			got[p.Line] = append(got[p.Line], p.Field)
			require.NotContains(t, p.Message, "csp at fabrikam", "personal data is never echoed")
		}
		require.Equal(t, map[int][]string{2: {"sourcePartnerTenantId", "sourcePartnerEmail", "contactEmail"}}, got)

		p := filepath.Join(t.TempDir(), "partners.csv")
		require.NoError(t, os.WriteFile(p, []byte("customerTenantId,customerDomain,sourcePartnerTenantId\n"+goldenTenant+",contoso.onmicrosoft.com,nope\n"), 0o600))
		code, _, stderr := offline(t, "", "import", p)
		require.Equal(t, exitUsage, code, stderr)
		require.Contains(t, stderr, `line 2: sourcePartnerTenantId: "nope" is not a GUID`)
		require.Contains(t, stderr, "line 2: contactEmail: required with sourcePartner")
	})
	t.Run("broken files", func(t *testing.T) {
		for _, tc := range []struct{ name, body, want string }{
			{"empty", "", "empty file"},
			{"header only", header, "no data rows"},
			{"unknown column", "customerTenantId,customerDomain,colour\n", `unknown column "colour"`},
			{"unknown column names the source partner columns", "customerTenantId,customerDomain,sourcePartner\n", "sourcePartnerTenantId, sourcePartnerName, sourcePartnerEmail"},
			{"missing column", "customerTenantId,country\n", "customerDomain is missing"},
			{"twice", "customerTenantId,customerDomain,CustomerDomain\n", "appears twice"},
			{"bad quoting", "customerTenantId,customerDomain\n\"x,y\n", "line 2"},
		} {
			_, _, err := parseImport(strings.NewReader(tc.body), goldenNow)
			require.ErrorContains(t, err, tc.want, tc.name)
		}
	})
	t.Run("too many rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("customerTenantId,customerDomain\n")
		for range maxImportRows + 1 {
			b.WriteString(goldenTenant + ",contoso.onmicrosoft.com\n")
		}
		_, _, err := parseImport(strings.NewReader(b.String()), goldenNow)
		require.ErrorContains(t, err, "more than 10000 rows")
	})
	t.Run("too large", func(t *testing.T) {
		body := "customerTenantId,customerDomain,customerName\n" + goldenTenant + ",contoso.onmicrosoft.com," + strings.Repeat("x", maxImportBytes) + "\n"
		_, _, err := parseImport(strings.NewReader(body), goldenNow)
		require.ErrorContains(t, err, "10 MiB")
	})
	t.Run("a bad file starts nothing and lists every problem", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.csv")
		require.NoError(t, os.WriteFile(p, []byte("customerTenantId,customerDomain\nx,contoso.onmicrosoft.com\n"+goldenTenant+",y\n"), 0o600))
		code, _, stderr := offline(t, "", "import", p)
		require.Equal(t, exitUsage, code, stderr)
		require.Contains(t, stderr, "nothing was started")
		require.Contains(t, stderr, "line 2: customerTenantId")
		require.Contains(t, stderr, "line 3: customerDomain")
		require.NotContains(t, stderr, "cannot reach", "validation comes before connecting")
	})
}
