package main

import (
	"bytes"
	"testing"
	"time"
)

// FuzzImport feeds hostile CSV files to the importer's parser: it never panics, and every row it accepts
// is a request that validates.
func FuzzImport(f *testing.F) {
	f.Add([]byte("customerTenantId,customerDomain,country\n6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f,contoso.onmicrosoft.com,DE\n"))
	f.Add([]byte("customerTenantId,customerDomain\n\"unterminated,x\n"))
	f.Add([]byte("CUSTOMERTENANTID;customerDomain\n1;2\n"))
	f.Add([]byte("customerTenantId,customerDomain,subscriptions\nx,y,ENTERPRISEPACK:0:2026-13-01;;\n"))
	f.Add([]byte("\xef\xbb\xbfcustomerTenantId,customerDomain\n"))
	f.Add([]byte("customerTenantId,customerDomain,contactEmail,sourcePartnerTenantId,sourcePartnerName,sourcePartnerEmail\n" +
		"6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f,contoso.onmicrosoft.com,it@contoso.example,5d3c1e2a-7b4f-4c19-8e6d-9a0b1c2d3e4f,Fabrikam,\n"))
	f.Add([]byte("customerTenantId,customerDomain,subscriptions,originalPrice,originalCurrency,originalPeriod,originalSku\n" +
		"6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f,contoso.onmicrosoft.com,SPE_E3:25:2027-03-01;STANDARDPACK:5:2027-03-01,20.60,eur,P1Y,standardpack\n" +
		"a1b2c3d4-0001-4000-8000-000000000001,alpine.onmicrosoft.com,,999999.99,USD,,SPE_E3\n"))
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, problems, err := parseImport(bytes.NewReader(data), now)
		if err != nil || len(problems) > 0 {
			return
		}
		for _, r := range rows {
			if verr := r.req.WithDefaults().Validate(now); verr != nil {
				t.Fatalf("accepted row validates with %v", verr)
			}
		}
	})
}
