package sandbox_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/sandbox"
)

// TestReadmeExamplesUseSeededCustomers: the README's CLI and Temporal UI examples name a customer the
// sandbox has, with its domain and country, so a new user's first transfer does not fail at once.
func TestReadmeExamplesUseSeededCustomers(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	e := newEnv(t)
	seeded := map[string]sandbox.CustomerLedger{}
	for _, c := range e.ledger().Customers {
		seeded[c.TenantID] = c
	}

	guids := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	starts := regexp.MustCompile(`starter start --tenant (\S+) --domain (\S+) --country (\S+)`).FindAllSubmatch(readme, -1)
	require.NotEmpty(t, starts)
	for _, m := range starts {
		c, ok := seeded[string(m[1])]
		require.True(t, ok, "starter start example names tenant %s, which the sandbox does not have", m[1])
		require.Equal(t, c.Domain, string(m[2]))
		require.Equal(t, c.Country, string(m[3]))
	}

	block := regexp.MustCompile("(?s)with one JSON payload:\n\n```json\n(.*?)\n```").FindSubmatch(readme)
	require.NotNil(t, block, "the Temporal UI start payload is in the README")
	dec := json.NewDecoder(bytes.NewReader(block[1]))
	dec.DisallowUnknownFields()
	var req csptransfer.TransferRequest
	require.NoError(t, dec.Decode(&req))
	require.NoError(t, req.WithDefaults().Validate(time.Now()))
	c, ok := seeded[req.CustomerTenantID]
	require.True(t, ok, "the UI example names tenant %s, which the sandbox does not have", req.CustomerTenantID)
	require.Equal(t, c.Domain, req.CustomerDomain)
	require.Equal(t, c.Country, req.Country)

	for _, id := range guids.FindAll(readme, -1) {
		if _, ok := seeded[string(id)]; !ok && bytes.Contains(readme, append([]byte("starter status "), id...)) {
			t.Errorf("README shows `starter status %s` for a tenant the sandbox does not have", id)
		}
	}
}
