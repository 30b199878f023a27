package mscorpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ShapeOptions tunes CompareShape.
type ShapeOptions struct {
	// IgnoreCase matches object keys case-insensitively. Partner Center's
	// documents spell the same field "lineItems" on one page and "LineItems"
	// on another, and the service reads either.
	IgnoreCase bool
	// IgnoreExtra skips keys the example does not have, comparing only the
	// types of the keys both bodies share (for a PATCH that sends back the
	// whole resource it read, checked against a documented resource of
	// another kind of subscription).
	IgnoreExtra bool
	// Allow lists paths (as CompareShape reports them, for example
	// "lineItems[].id") that the sent body may carry although the example
	// does not; callers say why next to each entry.
	Allow []string
}

// CompareShape checks a body a client sent against Microsoft's example of
// the same request: every key the client sends must appear in the example
// with the same JSON type (string, number, bool, object, array); an example
// value of null accepts any type. Keys of the example the client does not
// send are not reported: most request fields are optional. Array elements
// are compared with the example's first element. It returns one line per
// difference, sorted, or an error when either body is not JSON.
func CompareShape(documented, sent []byte, opt ShapeOptions) ([]string, error) {
	return compareBodies(documented, sent, "sent", func(doc, got any, diffs *[]string) {
		compareShape(doc, got, "", opt, setOf(opt.Allow), diffs)
	})
}

func decodeNumber(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// sameType reports whether doc and got are to be compared further: not when the example's value is null
// (anything goes) nor when the types differ, which it reports as "path: <verb> <type>, documented <type>".
func sameType(doc, got any, path, verb string, diffs *[]string) bool {
	if doc == nil {
		return false
	}
	dt, gt := jsonType(doc), jsonType(got)
	if dt != gt {
		*diffs = append(*diffs, fmt.Sprintf("%s: %s %s, documented %s", orRoot(path), verb, gt, dt))
		return false
	}
	return true
}

func compareShape(doc, got any, path string, opt ShapeOptions, allowed map[string]bool, diffs *[]string) {
	if !sameType(doc, got, path, "sent", diffs) {
		return
	}
	switch d := doc.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, gv := range g {
			p := join(path, k)
			dk, ok := findKey(d, k, opt.IgnoreCase)
			if !ok {
				if !allowed[p] && !opt.IgnoreExtra {
					*diffs = append(*diffs, fmt.Sprintf("%s: sent, not in the documented example", p))
				}
				continue
			}
			compareShape(d[dk], gv, p, opt, allowed, diffs)
		}
	case []any:
		g := got.([]any)
		if len(d) == 0 {
			return
		}
		for _, gv := range g {
			compareShape(d[0], gv, path+"[]", opt, allowed, diffs)
		}
	}
}

func findKey(m map[string]any, k string, ignoreCase bool) (string, bool) {
	if _, ok := m[k]; ok {
		return k, true
	}
	if !ignoreCase {
		return "", false
	}
	for dk := range m {
		if strings.EqualFold(dk, k) {
			return dk, true
		}
	}
	return "", false
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orRoot(path string) string {
	if path == "" {
		return "(body)"
	}
	return path
}
