package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSearchAttributesListsTheContract(t *testing.T) {
	var out bytes.Buffer
	root := newRoot(&out)
	root.SetArgs([]string{"search-attributes"})
	require.NoError(t, root.Execute())
	require.Equal(t, "CspCustomerTenantId Keyword\nCspCustomerDomain Keyword\nCspPartnerTenantId Keyword\nCspStage Keyword\nCspNextActionAt Datetime\n", out.String())
}
