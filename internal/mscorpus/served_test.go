package mscorpus_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/mscorpus"
)

func TestCompareCoverage(t *testing.T) {
	doc := []byte(`{"id":"a","n":1,"items":[{"k":"x","tags":["t"]}],"links":{"offer":{"uri":"/o"}},"note":null,
		"activatedDateTime":"","creationDate":"2015-11-25T06: 41: 12Z"}`)
	full := `"note":null,"id":"b","n":2,"items":[{"k":"y","tags":[]}],"links":{"offer":{"uri":"/p"}},"activatedDateTime":"","creationDate":"2026-01-01T00:00:00Z"`
	tests := []struct {
		name   string
		served string
		opt    mscorpus.CoverageOptions
		want   []string
	}{
		{name: "same shape, extra keys", served: `{` + full + `,"extra":true}`},
		{name: "null in the example accepts anything", served: `{"note":{"a":1},` + full[len(`"note":null,`):] + `}`},
		{name: "a null key must be there", served: `{` + full[len(`"note":null,`):] + `}`, want: []string{"note: documented null, missing from the served body"}},
		{name: "missing key", served: `{"note":null,"id":"b","n":2,"items":[{"k":"y","tags":[]}],"activatedDateTime":"","creationDate":""}`,
			want: []string{"links: documented object, missing from the served body"}},
		{name: "skipped key", served: `{"note":null,"id":"b","n":2,"items":[{"k":"y","tags":[]}],"activatedDateTime":"","creationDate":""}`,
			opt: mscorpus.CoverageOptions{Skip: []string{"links"}}},
		{name: "wrong type in an element", served: `{"note":null,"id":"b","n":"2","items":[{"k":"y"},{"k":3,"tags":[]}],"links":{"offer":{"uri":"/p"}},"activatedDateTime":"","creationDate":""}`,
			want: []string{"items[].k: served number, documented string", "items[].tags: documented array, missing from the served body", "n: served string, documented number"}},
		{name: "empty array of objects", served: `{"note":null,"id":"b","n":2,"items":[],"links":{"offer":{"uri":"/p"}},"activatedDateTime":"","creationDate":""}`,
			want: []string{"items: documented with object elements, served empty (element shape not checked)"}},
		{name: "date keys hold dates or nothing", served: `{"note":null,"id":"b","n":2,"items":[{"k":"y","tags":[]}],"links":{"offer":{"uri":"/p"}},"activatedDateTime":"soon","creationDate":"2026-01-01"}`,
			want: []string{`activatedDateTime: served "soon", documented a date (or "")`}},
		{name: "null is not a string", served: `{"note":null,"id":"b","n":2,"items":[{"k":"y","tags":[]}],"links":{"offer":{"uri":"/p"}},"activatedDateTime":null,"creationDate":""}`,
			want: []string{"activatedDateTime: served null, documented string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mscorpus.CompareCoverage(doc, []byte(tt.served), tt.opt)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	_, err := mscorpus.CompareCoverage([]byte(`{}`), []byte(`{`), mscorpus.CoverageOptions{})
	require.Error(t, err)
}
