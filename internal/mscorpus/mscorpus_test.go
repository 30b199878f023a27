package mscorpus_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/mscorpus"
)

// TestIndexCoversEveryFile keeps index.json, SOURCES.md and the files in
// step: every body is indexed and cited, every index entry has its file.
func TestIndexCoversEveryFile(t *testing.T) {
	sources, err := os.ReadFile(filepath.Join("testdata", "SOURCES.md"))
	require.NoError(t, err)
	indexed := map[string]bool{}
	for _, e := range mscorpus.Examples() {
		indexed[e.File] = true
	}
	for _, s := range mscorpus.Skipped() {
		indexed[s.File] = true
	}
	var onDisk []string
	require.NoError(t, filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata", path)
		rel = filepath.ToSlash(rel)
		if rel == "index.json" || rel == "SOURCES.md" {
			return nil
		}
		onDisk = append(onDisk, rel)
		return nil
	}))
	require.Len(t, indexed, len(onDisk))
	for _, f := range onDisk {
		require.True(t, indexed[f], "%s is not in index.json", f)
		require.Contains(t, string(sources), "`"+filepath.Base(f)+"`", "%s is not cited in SOURCES.md", f)
	}
}

func TestExamplesAreValidAndSkippedAreNot(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range mscorpus.Examples() {
		require.True(t, json.Valid(e.Body), "%s", e)
		require.False(t, seen[e.String()], "duplicate %s", e)
		seen[e.String()] = true
		require.Contains(t, []string{mscorpus.PartnerCenter, mscorpus.Graph, mscorpus.Identity, mscorpus.Webhook}, e.Service)
		require.Contains(t, []string{mscorpus.KindRequest, mscorpus.KindResponse, mscorpus.KindError}, e.Kind, "%s", e)
		require.True(t, strings.HasPrefix(e.Name, strings.TrimSuffix(filepath.Base(e.File), ".json")), "%s", e)
		require.NotEmpty(t, e.Method, "%s", e)
		require.NotEmpty(t, e.Path, "%s", e)
		require.NotEmpty(t, e.Source.Repo, "%s", e)
		require.Len(t, e.Source.Commit, 40, "%s", e)
		require.NotEmpty(t, e.Source.Path, "%s", e)
		require.NotEmpty(t, e.Source.Heading, "%s", e)
		if e.Kind == mscorpus.KindRequest {
			require.Zero(t, e.Status, "%s", e)
		}
	}
	for _, s := range mscorpus.Skipped() {
		require.False(t, json.Valid(s.Body), "%s is valid JSON: move it to Examples", s.Example)
		require.True(t, strings.HasSuffix(s.File, ".invalid.txt"), "%s", s.File)
		require.NotEmpty(t, s.Reason)
	}
}

func TestEveryServiceIsCovered(t *testing.T) {
	for _, svc := range []string{mscorpus.PartnerCenter, mscorpus.Graph, mscorpus.Identity, mscorpus.Webhook} {
		require.NotEmpty(t, mscorpus.ByService(svc), svc)
	}
	e := mscorpus.Get(mscorpus.Graph, "create-delegated-admin-relationship.response")
	require.Equal(t, "POST", e.Method)
	require.Equal(t, 201, e.Status)
	e.Body[0] = 'x'
	require.True(t, json.Valid(mscorpus.Get(mscorpus.Graph, "create-delegated-admin-relationship.response").Body), "Get must return a copy")
	_, ok := mscorpus.Lookup(mscorpus.Graph, "no-such-example")
	require.False(t, ok)
	require.Panics(t, func() { mscorpus.Get(mscorpus.Graph, "no-such-example") })
}

func TestCompareShape(t *testing.T) {
	doc := []byte(`{"LineItems":[{"CatalogItemId":"x","Quantity":1,"TermDuration":"P1M"}],"note":null}`)
	tests := []struct {
		name string
		sent string
		opt  mscorpus.ShapeOptions
		want []string
	}{
		{name: "same shape, other case", sent: `{"lineItems":[{"catalogItemId":"y","quantity":2}]}`, opt: mscorpus.ShapeOptions{IgnoreCase: true}},
		{name: "case matters by default", sent: `{"lineItems":[]}`, want: []string{"lineItems: sent, not in the documented example"}},
		{name: "wrong type", sent: `{"LineItems":[{"Quantity":"2"}]}`, want: []string{"LineItems[].Quantity: sent string, documented number"}},
		{name: "extra key", sent: `{"LineItems":[{"id":0}]}`, want: []string{"LineItems[].id: sent, not in the documented example"}},
		{name: "allowed extra key", sent: `{"LineItems":[{"id":0}]}`, opt: mscorpus.ShapeOptions{Allow: []string{"LineItems[].id"}}},
		{name: "ignored extra key", sent: `{"LineItems":[{"id":0,"Quantity":true}]}`, opt: mscorpus.ShapeOptions{IgnoreExtra: true}, want: []string{"LineItems[].Quantity: sent bool, documented number"}},
		{name: "null in the example accepts anything", sent: `{"note":{"a":1}}`},
		{name: "body type", sent: `[]`, want: []string{"(body): sent array, documented object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mscorpus.CompareShape(doc, []byte(tt.sent), tt.opt)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	_, err := mscorpus.CompareShape([]byte(`{`), []byte(`{}`), mscorpus.ShapeOptions{})
	require.Error(t, err)
}
