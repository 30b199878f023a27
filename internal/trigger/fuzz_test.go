package trigger

import (
	"strings"
	"testing"
	"time"
)

// FuzzDecodeRequest feeds hostile onboarding bodies to the decoder and the validation behind it: no panic,
// and whatever decodes either validates or names what is wrong.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"customerTenantId":"6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f","customerDomain":"contoso.onmicrosoft.com","country":"DE"}`))
	f.Add([]byte(`{"customerTenantId":1}`))
	f.Add([]byte(`{"invitationTtl":"99999999999d","subscriptions":[{"quantity":-1}]}`))
	f.Add([]byte(`{"continued":{"status":{"stage":"Completed"}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, problem := decodeRequest(body)
		if problem != nil {
			if problem.Message == "" {
				t.Fatal("decode problem without a message")
			}
			return
		}
		if err := req.WithDefaults().Validate(time.Now()); err != nil && err.Error() == "" {
			t.Fatal("validation error without a message")
		}
	})
}

// FuzzResourceURI: the customer id is taken only from a well-formed ResourceUri.
func FuzzResourceURI(f *testing.F) {
	f.Add("https://api.partnercenter.microsoft.com/v1/customers/6b1f0a52-3f5e-4a0e-9a9e-0a4f4c1d2e3f")
	f.Add("https://api.partnercenter.microsoft.com/v1/customers/")
	f.Add("customers/../customers/x?y=1#z")
	f.Fuzz(func(t *testing.T, uri string) {
		seg, ok := lastSegmentAfter(uri, "customers")
		if ok && strings.Contains(seg, "/") {
			t.Fatalf("segment %q contains a slash", seg)
		}
	})
}
