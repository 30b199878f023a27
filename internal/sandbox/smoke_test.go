package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/sandbox"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	tok := e.token(sandbox.PartnerEU, scopePC, false)
	r := e.do("GET", "/v1/profiles/legalbusiness", tok, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	t.Log(string(r.body))
	r = e.do("GET", "/sandbox/customers", "", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.Len(t, r.json(t)["customers"], 6)
}
