package mscorpus_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/mscorpus"
)

// TestRepairedExamples: every listed repair applies to a skipped example, yields JSON and changes only
// punctuation and whitespace: the repaired body keeps every key and value the published text has.
func TestRepairedExamples(t *testing.T) {
	require.NotEmpty(t, mscorpus.Repairs())
	for _, key := range mscorpus.Repairs() {
		service, name, _ := strings.Cut(key, "/")
		ex, edits, err := mscorpus.Repaired(service, name)
		require.NoError(t, err, key)
		require.True(t, json.Valid(ex.Body), key)
		require.NotEmpty(t, edits, key)
		for _, e := range edits {
			require.NotEmpty(t, e.Why, key)
			require.Equal(t, strip(e.Old), strip(e.New), "%s: edit %q → %q may change only punctuation and whitespace", key, e.Old, e.New)
		}
		var skipped mscorpus.Skip
		for _, s := range mscorpus.Skipped() {
			if s.String() == key {
				skipped = s
			}
		}
		require.Equal(t, strip(string(skipped.Body)), strip(string(ex.Body)), key)
		require.Equal(t, skipped.Method, ex.Method)
		require.Equal(t, skipped.Status, ex.Status)
	}
	_, _, err := mscorpus.Repaired(mscorpus.PartnerCenter, "get-order.response")
	require.Error(t, err, "a valid example has no repair")
}

// strip drops whitespace (including U+00A0) and commas.
func strip(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ',' || r == '\u00a0' || r == ' ' || r == '\n' || r == '\t' || r == '\r' {
			return -1
		}
		return r
	}, s)
}
