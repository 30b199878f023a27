package pcwebhook_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/mscorpus"
	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// TestCorpusEvents decodes every webhook payload Microsoft publishes
// (internal/mscorpus, service webhook) into Event.
func TestCorpusEvents(t *testing.T) {
	examples := mscorpus.ByService(mscorpus.Webhook)
	require.GreaterOrEqual(t, len(examples), 20)
	documented := map[string]bool{}
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			var raw map[string]any
			require.NoError(t, json.Unmarshal(ex.Body, &raw))
			var ev pcwebhook.Event
			require.NoError(t, json.Unmarshal(ex.Body, &ev))
			documented[ev.EventName] = true

			require.Equal(t, raw["EventName"], ev.EventName)
			require.True(t, strings.HasSuffix(ex.Name, ev.EventName+".request"), "file %s holds %s", ex.Name, ev.EventName)
			str := func(k string) string {
				s, _ := raw[k].(string) // null and absent are ""
				return s
			}
			require.Equal(t, str("ResourceUri"), ev.ResourceURI)
			require.Equal(t, str("ResourceName"), ev.ResourceName)
			require.Equal(t, str("AuditUri"), ev.AuditURI)
			want, err := time.Parse(time.RFC3339Nano, str("ResourceChangeUtcDate"))
			require.NoError(t, err)
			require.True(t, want.Equal(ev.ResourceChangeUTCDate), "%s", ev.ResourceChangeUTCDate)
		})
	}

	// The events csptransfer acts on are documented, with the resource
	// names of the constants (the comparison ignores case: the
	// reseller-relationship example says "Customer", its table "customer").
	for _, name := range []string{
		pcwebhook.EventResellerRelationshipAccepted, pcwebhook.EventGranularAdminRelationshipApproved,
		pcwebhook.EventGranularAdminRelationshipActive, pcwebhook.EventSubscriptionUpdated, pcwebhook.EventTestCreated,
	} {
		require.True(t, documented[name], "%s is not among Microsoft's examples", name)
	}
	resources := map[string]string{
		"reseller-relationship-accepted-by-customer.request": pcwebhook.ResourceCustomer,
		"granular-admin-relationship-approved.request":       pcwebhook.ResourceGranularAdminRelationship,
		"granular-admin-relationship-activated.request":      pcwebhook.ResourceGranularAdminRelationship,
		"subscription-updated.request":                       pcwebhook.ResourceSubscription,
		"test-created.request":                               pcwebhook.ResourceTest,
	}
	for name, resource := range resources {
		var ev pcwebhook.Event
		require.NoError(t, json.Unmarshal(mscorpus.Get(mscorpus.Webhook, name).Body, &ev))
		require.True(t, ev.IsResource(resource), "%s: ResourceName %q, constant %q", name, ev.ResourceName, resource)
	}

	ev := decodeEvent(t, "reseller-relationship-accepted-by-customer.request")
	require.Equal(t, "https://api.partnercenter.microsoft.com/v1/customers/4b2a6e33-8791-4386-bd2b-0d55baf25039", ev.ResourceURI)
	require.Equal(t, "Customer", ev.ResourceName)
	require.True(t, time.Date(2023, 10, 18, 0, 26, 24, 15908800, time.UTC).Equal(ev.ResourceChangeUTCDate))
}

func decodeEvent(t *testing.T, name string) pcwebhook.Event {
	t.Helper()
	var ev pcwebhook.Event
	require.NoError(t, json.Unmarshal(mscorpus.Get(mscorpus.Webhook, name).Body, &ev))
	return ev
}

// TestCorpusEventDates checks the lenient date decoding the documented
// payloads need at their edges: null, "" and absent dates are zero.
func TestCorpusEventDates(t *testing.T) {
	for _, body := range []string{
		`{"EventName":"test-created","ResourceChangeUtcDate":null}`,
		`{"EventName":"test-created","ResourceChangeUtcDate":""}`,
		`{"EventName":"test-created"}`,
	} {
		var ev pcwebhook.Event
		require.NoError(t, json.Unmarshal([]byte(body), &ev), body)
		require.True(t, ev.ResourceChangeUTCDate.IsZero())
		require.Equal(t, "test-created", ev.EventName)
	}
	var ev pcwebhook.Event
	require.Error(t, json.Unmarshal([]byte(`{"ResourceChangeUtcDate":"yesterday"}`), &ev))
}

// TestCorpusCallbackVerifies signs Microsoft's documented callback body as
// Partner Center does and verifies the exact bytes.
func TestCorpusCallbackVerifies(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c := newChain(t, now)
	body := mscorpus.Get(mscorpus.Webhook, "callback-test-created.request").Body
	signer, err := pcwebhook.NewSigner(c.key, "https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.microsoft.com.cer")
	require.NoError(t, err)
	h, err := signer.Sign(body)
	require.NoError(t, err)
	require.NoError(t, pcwebhook.Verify(body, h, c.leaf, c.roots, nil, now))
	require.ErrorIs(t, pcwebhook.Verify(append(append([]byte(nil), body...), '\n'), h, c.leaf, c.roots, nil, now), pcwebhook.ErrInvalidSignature)
	ev := decodeEvent(t, "callback-test-created.request")
	require.Equal(t, pcwebhook.EventTestCreated, ev.EventName)
	require.True(t, ev.IsResource(pcwebhook.ResourceTest))
}
