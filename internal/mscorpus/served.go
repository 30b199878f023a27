package mscorpus

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// CoverageOptions tunes CompareCoverage.
type CoverageOptions struct {
	// Skip lists paths (as CompareCoverage reports them, for example
	// "items[].entitlementId") that are not checked, with everything under
	// them: the served body may lack them or carry another type. Callers say
	// why next to each entry.
	Skip []string
}

// CompareCoverage checks a body an emulator of Microsoft's service answered
// against Microsoft's example of the same answer, the other way round from
// CompareShape: every key the example has must be in the served body with
// the same JSON type (string, number, bool, object, array), recursively.
// Keys the served body adds are not reported.
//
//   - An example value of null accepts any value, but the key must be there
//     (Microsoft sends null for unset properties, and the example does not
//     say what a set one is).
//   - Arrays are compared element by element with the example's first
//     element. When the example's array holds objects or arrays and the
//     served one is empty, that is reported: the element shape could not be
//     checked. An empty served array of scalars is accepted.
//   - A string under a date-like key (…Date, …DateTime, …At, …Timestamp,
//     date, timestamp) must be empty or a date in the served body, whatever
//     the example shows (Microsoft writes "" for a date not yet set).
//
// It returns one line per difference, sorted, or an error when either body
// is not JSON.
func CompareCoverage(documented, served []byte, opt CoverageOptions) ([]string, error) {
	return compareBodies(documented, served, "served", func(doc, got any, diffs *[]string) {
		compareCoverage(doc, got, "", "", setOf(opt.Skip), diffs)
	})
}

// compareBodies decodes a documented body and the one compared with it (named other in errors), keeping
// numbers as json.Number, and returns the differences walk finds, sorted.
func compareBodies(documented, body []byte, other string, walk func(doc, got any, diffs *[]string)) ([]string, error) {
	var doc, got any
	if err := decodeNumber(documented, &doc); err != nil {
		return nil, fmt.Errorf("documented body: %w", err)
	}
	if err := decodeNumber(body, &got); err != nil {
		return nil, fmt.Errorf("%s body: %w", other, err)
	}
	var diffs []string
	walk(doc, got, &diffs)
	sort.Strings(diffs)
	return diffs, nil
}

func setOf(list []string) map[string]bool {
	set := make(map[string]bool, len(list))
	for _, s := range list {
		set[s] = true
	}
	return set
}

func compareCoverage(doc, got any, path, key string, skip map[string]bool, diffs *[]string) {
	if !sameType(doc, got, path, "served", diffs) {
		return
	}
	switch d := doc.(type) {
	case map[string]any:
		for k, dv := range d {
			coverKey(dv, got.(map[string]any), path, k, skip, diffs)
		}
	case []any:
		g := got.([]any)
		if len(d) == 0 {
			return
		}
		if len(g) == 0 {
			if t := jsonType(d[0]); t == "object" || t == "array" {
				*diffs = append(*diffs, fmt.Sprintf("%s: documented with %s elements, served empty (element shape not checked)", orRoot(path), t))
			}
			return
		}
		for _, gv := range g {
			compareCoverage(d[0], gv, path+"[]", key, skip, diffs)
		}
	case string:
		if s := got.(string); dateKey(key) && s != "" && !isDate(s) {
			*diffs = append(*diffs, fmt.Sprintf("%s: served %q, documented a date (or \"\")", orRoot(path), s))
		}
	}
}

// coverKey checks the documented key k, of value dv, of the object at path.
func coverKey(dv any, served map[string]any, path, k string, skip map[string]bool, diffs *[]string) {
	p := join(path, k)
	gv, ok := served[k]
	switch {
	case skip[p]:
	case !ok:
		*diffs = append(*diffs, fmt.Sprintf("%s: documented %s, missing from the served body", p, jsonType(dv)))
	default:
		compareCoverage(dv, gv, p, k, skip, diffs)
	}
}

// dateKey reports whether a key names a date in Microsoft's bodies.
func dateKey(k string) bool {
	l := strings.ToLower(k)
	return strings.HasSuffix(l, "date") || strings.HasSuffix(l, "datetime") ||
		strings.HasSuffix(k, "At") || strings.HasSuffix(l, "timestamp")
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05Z",
	"2006-01-02",
}

func isDate(s string) bool {
	for _, layout := range dateLayouts {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
