package codec

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
)

func ring(t *testing.T, ids ...string) *Ring {
	t.Helper()
	var parts []string
	for _, id := range ids {
		k, err := NewKey(id)
		require.NoError(t, err)
		parts = append(parts, k)
	}
	r, err := ParseRing(strings.Join(parts, ","))
	require.NoError(t, err)
	return r
}

type secretish struct {
	ContactEmail string `json:"contactEmail"`
	CustomerName string `json:"customerName"`
}

func TestRoundTripHidesTheData(t *testing.T) {
	dc := DataConverter(ring(t, "k1"))
	p, err := dc.ToPayload(secretish{ContactEmail: "it-admin@contoso.example", CustomerName: "Contoso GmbH"})
	require.NoError(t, err)
	require.Equal(t, EncodingEncrypted, string(p.Metadata[MetadataEncoding]))
	require.Equal(t, "k1", string(p.Metadata[MetadataKeyID]))
	require.False(t, bytes.Contains(p.Data, []byte("contoso")))
	var back secretish
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, "it-admin@contoso.example", back.ContactEmail)
}

func TestRotationKeepsOldPayloadsReadable(t *testing.T) {
	oldKey, err := NewKey("2026-01")
	require.NoError(t, err)
	newKey, err := NewKey("2026-07")
	require.NoError(t, err)
	before, err := ParseRing(oldKey)
	require.NoError(t, err)
	after, err := ParseRing(oldKey + "," + newKey)
	require.NoError(t, err)

	p, err := DataConverter(before).ToPayload("written before rotation")
	require.NoError(t, err)
	var s string
	require.NoError(t, DataConverter(after).FromPayload(p, &s))
	require.Equal(t, "written before rotation", s)

	p2, err := DataConverter(after).ToPayload("written after rotation")
	require.NoError(t, err)
	require.Equal(t, "2026-07", string(p2.Metadata[MetadataKeyID]), "new payloads use the newest key")
	require.Error(t, DataConverter(before).FromPayload(p2, &s), "a ring without the new key cannot read it")
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	p, err := converter.GetDefaultDataConverter().ToPayload("from before encryption")
	require.NoError(t, err)
	var s string
	require.NoError(t, DataConverter(ring(t, "k1")).FromPayload(p, &s))
	require.Equal(t, "from before encryption", s)
}

func TestTamperedPayloadIsRejected(t *testing.T) {
	dc := DataConverter(ring(t, "k1"))
	p, err := dc.ToPayload("x")
	require.NoError(t, err)
	p.Data[len(p.Data)-1] ^= 1
	var s string
	require.ErrorContains(t, dc.FromPayload(p, &s), "authentication failed")
}

func TestParseRingErrorsNeverShowKeys(t *testing.T) {
	tests := []struct{ give, want string }{
		{"", "no keys"},
		{"k1", "key 1: expected id=base64key"},
		{"k1=c2hvcnQ=", `key "k1": must be 32 bytes (AES-256), got 5`},
		{"k1=***", `key "k1": not base64`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := ParseRing(tt.give)
			require.ErrorContains(t, err, tt.want)
		})
	}
	k, _ := NewKey("k1")
	_, err := ParseRing(k + "," + k)
	require.ErrorContains(t, err, `key "k1": listed twice`)
	require.NotContains(t, err.Error(), strings.TrimPrefix(k, "k1="))
}

func TestFailureMessagesAreEncoded(t *testing.T) {
	fc := FailureConverter(ring(t, "k1"))
	f := fc.ErrorToFailure(errorString("customer Contoso GmbH rejected"))
	require.NotContains(t, f.GetMessage(), "Contoso")
	require.Equal(t, "customer Contoso GmbH rejected", fc.FailureToError(f).Error())
}

type errorString string

func (e errorString) Error() string { return string(e) }
