package mscorpus

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Edit is one textual change that makes a body Microsoft published as
// invalid JSON parse: every occurrence of Old becomes New. Why says what
// the published text got wrong.
type Edit struct {
	Old, New, Why string
}

// repairs lists, per skipped example ("service/name"), the edits that make it
// JSON without changing what it documents: only punctuation and whitespace,
// never a key or a value. The files themselves stay as published.
var repairs = map[string][]Edit{
	// Microsoft's only new-commerce order body with line pricing and the order
	// currency (developer/checkout-a-cart.md, "Response example for a new
	// commerce license-based subscription"): a single Order.
	PartnerCenter + "/checkout-cart-nce.response": {
		{Old: "\u00a0", New: " ", Why: "indented with non-breaking spaces (U+00A0), which JSON does not allow between tokens"},
		{Old: "\"currencyCode\": \"USD\"\n", New: "\"currencyCode\": \"USD\",\n", Why: "comma missing after currencyCode"},
	},
	// The 2023 new-commerce subscription (developer/get-a-subscription-by-id.md):
	// the 2021 example plus commitmentEndDateTime and refundableQuantity.
	PartnerCenter + "/get-subscription-nce.response": {
		{Old: "        ]\n    }\n    \"orderId\"", New: "        ]\n    },\n    \"orderId\"", Why: "comma missing after refundableQuantity"},
	},
}

// Repaired returns the skipped example service/name with its listed edits
// applied, and the edits. It fails when the example is not skipped, has no
// repair, an edit no longer matches, or the result is still not JSON.
func Repaired(service, name string) (Example, []Edit, error) {
	key := service + "/" + name
	edits, ok := repairs[key]
	if !ok {
		return Example{}, nil, fmt.Errorf("mscorpus: no repair for %s", key)
	}
	for _, s := range Skipped() {
		if s.Service != service || s.Name != name {
			continue
		}
		body := string(s.Body)
		for _, e := range edits {
			if !strings.Contains(body, e.Old) {
				return Example{}, nil, fmt.Errorf("mscorpus: %s: edit %q (%s) matches nothing", key, e.Old, e.Why)
			}
			body = strings.ReplaceAll(body, e.Old, e.New)
		}
		if !json.Valid([]byte(body)) {
			return Example{}, nil, fmt.Errorf("mscorpus: %s is still not JSON after its repairs", key)
		}
		ex := s.Example
		ex.Body = []byte(body)
		return ex, append([]Edit(nil), edits...), nil
	}
	return Example{}, nil, fmt.Errorf("mscorpus: %s is not a skipped example", key)
}

// Repairs lists the skipped examples Repaired can repair, as "service/name".
func Repairs() []string {
	out := make([]string, 0, len(repairs))
	for k := range repairs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
