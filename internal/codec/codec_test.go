package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
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
	k1, err := NewKey("k1")
	require.NoError(t, err)
	k2, err := NewKey("k2")
	require.NoError(t, err)
	key1 := strings.TrimPrefix(k1, "k1=")
	// A raw 32-byte key in base64 ends in "=", so a key without its id looks like "id=" to a naive parser.
	raw := key1
	rawURL := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(key1), "=")
	short := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	long := base64.StdEncoding.EncodeToString(make([]byte, 48))
	tests := []struct {
		name, give, want string
		secrets          []string
	}{
		{"empty", "", "no keys (expected id=base64 of 32 random bytes", nil},
		{"id without key", "k1", "entry 1: no id=key pair", nil},
		{"key without id", raw, "entry 1: no id=key pair (is the id missing?) (expected id=base64 of 32 random bytes", []string{raw, strings.TrimRight(raw, "=")}},
		{"unpadded key without id", rawURL, "entry 1: no id=key pair", []string{rawURL}},
		{"key without id after a good one", k2 + ", " + raw, "entry 2: no id=key pair", []string{raw, strings.TrimRight(raw, "="), strings.TrimPrefix(k2, "k2=")}},
		{"id and padding only", "k1==", "entry 1: no id=key pair", nil},
		{"short key", "k1=" + short, "entry 1: key must be 32 bytes (AES-256), got 16", []string{short}},
		{"long key", k2 + ",k1=" + long, "entry 2: key must be 32 bytes (AES-256), got 48", []string{long}},
		{"not base64", "k1=" + key1[:20] + "*" + key1[21:], "entry 1: key is not base64", []string{key1[:20]}},
		{"listed twice", k1 + "," + k2 + "," + k1, "entry 3: same id as entry 1", []string{key1}},
		{"key as the id", key1 + "=" + key1, "", []string{key1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRing(tt.give)
			require.Error(t, err)
			require.ErrorContains(t, err, tt.want)
			for _, s := range tt.secrets {
				require.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestRingNeverPrintsKeys(t *testing.T) {
	k, err := NewKey("k1")
	require.NoError(t, err)
	r, err := ParseRing(k)
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{r, *r, r.Newest()} {
			out := fmt.Sprintf(format, v)
			require.Contains(t, out, "k1", format)
			require.NotContains(t, out, "secret", format)
			require.NotContains(t, out, "0x", format)
			require.NotContains(t, out, fmt.Sprint(r.Newest().secret), format)
		}
	}
}

// TestFailureMessagesArePlainDetailsEncrypted: the UI reads a failure's message and stack trace without
// the codec endpoint; what the error carries as details stays encrypted.
func TestFailureMessagesArePlainDetailsEncrypted(t *testing.T) {
	r := ring(t, "k1")
	fc := FailureConverter(r)
	err := temporal.NewNonRetryableApplicationError("planVersion 1 is stale", "InvalidInput",
		errorString("cause: region mismatch"), secretish{ContactEmail: "it-admin@contoso.example"})
	f := fc.ErrorToFailure(err)
	require.Equal(t, "planVersion 1 is stale", f.GetMessage())
	require.Nil(t, f.GetEncodedAttributes())
	require.Equal(t, "cause: region mismatch", f.GetCause().GetMessage())
	details := f.GetApplicationFailureInfo().GetDetails().GetPayloads()
	require.Len(t, details, 1)
	require.Equal(t, EncodingEncrypted, string(details[0].Metadata[MetadataEncoding]))
	require.False(t, bytes.Contains(details[0].Data, []byte("contoso")))

	back := fc.FailureToError(f)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(back, &appErr))
	require.Equal(t, "planVersion 1 is stale", appErr.Message())
	var got secretish
	require.NoError(t, appErr.Details(&got))
	require.Equal(t, "it-admin@contoso.example", got.ContactEmail)
}

// oldFailureConverter is how failures were written before messages became plain: messages and stack
// traces encrypted into the failure's encoded attributes, "Encoded failure" in their place.
func oldFailureConverter(r *Ring) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: DataConverter(r), EncodeCommonAttributes: true,
	})
}

// TestFailuresEncryptedBeforeStillDecode: histories recorded with encrypted failure messages (and with a
// key since rotated) read as before, cause by cause; plain failures read too.
func TestFailuresEncryptedBeforeStillDecode(t *testing.T) {
	oldKey, err := NewKey("2026-01")
	require.NoError(t, err)
	newKey, err := NewKey("2026-07")
	require.NoError(t, err)
	before, err := ParseRing(oldKey)
	require.NoError(t, err)
	after, err := ParseRing(oldKey + "," + newKey)
	require.NoError(t, err)

	tests := []struct {
		name  string
		write converter.FailureConverter
	}{
		{"encrypted messages", oldFailureConverter(before)},
		{"plain messages", FailureConverter(after)},
		{"no codec", temporal.GetDefaultFailureConverter()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := temporal.NewNonRetryableApplicationError("region mismatch: BR is in the Brazil market", "RegionMismatch",
				errorString("no partner for market"))
			f := tt.write.ErrorToFailure(err)
			if tt.name == "encrypted messages" {
				require.Equal(t, "Encoded failure", f.GetMessage())
				require.Equal(t, "Encoded failure", f.GetCause().GetMessage())
				require.Equal(t, EncodingEncrypted, string(f.GetEncodedAttributes().GetMetadata()[MetadataEncoding]))
			}
			back := FailureConverter(after).FailureToError(f)
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(back, &appErr))
			require.Equal(t, "region mismatch: BR is in the Brazil market", appErr.Message())
			require.Equal(t, "RegionMismatch", appErr.Type())
			require.NotNil(t, errors.Unwrap(back))
			require.Contains(t, errors.Unwrap(back).Error(), "no partner for market")
		})
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
