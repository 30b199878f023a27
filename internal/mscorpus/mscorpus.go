// Package mscorpus is a conformance corpus: the example request, response and
// error bodies Microsoft publishes in its Partner Center, Microsoft Graph and
// identity platform REST documentation, and the Partner Center webhook event
// payloads, copied verbatim. Tests of the clients (and of the sandbox) decode
// them so that the code agrees with Microsoft's documents rather than with
// itself.
//
// Every body lives under testdata/<service>/<name>.json; testdata/index.json
// maps each file to the request it belongs to, and testdata/SOURCES.md names
// the repository, commit, file and section each one was copied from. Bodies
// Microsoft published as invalid JSON are kept as *.invalid.txt and reported by
// Skipped, never by Examples. Repaired parses a few of them after listed
// punctuation-only edits, in memory (the files stay as published).
package mscorpus

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

// Services of the corpus.
const (
	PartnerCenter = "partnercenter"
	Graph         = "graph"
	Identity      = "identity"
	Webhook       = "webhook"
)

// Kinds of example.
const (
	KindRequest  = "request"
	KindResponse = "response"
	KindError    = "error"
)

//go:embed testdata
var files embed.FS

// Source says where an example was copied from.
type Source struct {
	// Repo is the GitHub repository (owner/name).
	Repo string
	// Commit is the commit the file was read at.
	Commit string
	// Path is the documentation file inside Repo.
	Path string
	// Line is the line of the code block in Path, 0 when not recorded.
	Line int
	// Heading is the section heading above the code block.
	Heading string
	// Note adds what the heading does not say (query string, quirks).
	Note string
}

// Example is one published body.
type Example struct {
	// Service is PartnerCenter, Graph, Identity or Webhook.
	Service string
	// Name is unique within the service: the file name without its
	// extension, for example "get-subscription-nce-2021.response".
	Name string
	// Method and Path are the request the body belongs to; Path is the
	// documented template, for example
	// "/v1/customers/{customer-tenant-id}/subscriptions/{subscription-id}".
	Method string
	Path   string
	// Kind is KindRequest, KindResponse or KindError.
	Kind string
	// Status is the documented HTTP status of a response or error, 0 when
	// the document does not state it (and for requests).
	Status int
	// Headers are response headers the document shows and a client must
	// honour (Retry-After on throttling, Location on creation).
	Headers map[string]string
	// File is the path under testdata.
	File string
	// Body is the file's content, exactly as published.
	Body []byte
	// Source names the document.
	Source Source
}

// Skip is a published body that is not valid JSON and is therefore not
// part of Examples.
type Skip struct {
	Example
	// Reason is the JSON parser's complaint.
	Reason string
}

type indexEntry struct {
	Service       string            `json:"service"`
	Name          string            `json:"name"`
	Kind          string            `json:"kind"`
	File          string            `json:"file"`
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	Status        int               `json:"status"`
	Valid         bool              `json:"valid"`
	InvalidReason string            `json:"invalidReason"`
	Repo          string            `json:"repo"`
	Commit        string            `json:"commit"`
	Source        string            `json:"source"`
	Line          int               `json:"line"`
	Heading       string            `json:"heading"`
	Note          string            `json:"note"`
	Headers       map[string]string `json:"headers"`
}

var load = sync.OnceValues(func() ([]Example, []Skip) {
	raw, err := files.ReadFile("testdata/index.json")
	if err != nil {
		panic(fmt.Sprintf("mscorpus: %v", err))
	}
	var idx []indexEntry
	if err := json.Unmarshal(raw, &idx); err != nil {
		panic(fmt.Sprintf("mscorpus: index.json: %v", err))
	}
	var ok []Example
	var skipped []Skip
	for _, e := range idx {
		body, err := fs.ReadFile(files, "testdata/"+e.File)
		if err != nil {
			panic(fmt.Sprintf("mscorpus: %s: %v", e.File, err))
		}
		ex := Example{
			Service: e.Service, Name: e.Name, Method: e.Method, Path: e.Path, Kind: e.Kind,
			Status: e.Status, Headers: e.Headers, File: e.File, Body: body,
			Source: Source{Repo: e.Repo, Commit: e.Commit, Path: e.Source, Line: e.Line, Heading: e.Heading, Note: e.Note},
		}
		if e.Valid {
			ok = append(ok, ex)
		} else {
			skipped = append(skipped, Skip{Example: ex, Reason: e.InvalidReason})
		}
	}
	return ok, skipped
})

// Examples returns every valid example, in index order. The Body slices
// are copies: callers may modify them.
func Examples() []Example {
	ok, _ := load()
	out := make([]Example, len(ok))
	for i, e := range ok {
		out[i] = e.clone()
	}
	return out
}

// ByService returns the valid examples of one service.
func ByService(service string) []Example {
	var out []Example
	for _, e := range Examples() {
		if e.Service == service {
			out = append(out, e)
		}
	}
	return out
}

// Skipped returns the published bodies that are not valid JSON.
func Skipped() []Skip {
	_, skipped := load()
	out := make([]Skip, len(skipped))
	for i, s := range skipped {
		s.Example = s.Example.clone()
		out[i] = s
	}
	return out
}

// Lookup returns the valid example service/name.
func Lookup(service, name string) (Example, bool) {
	ok, _ := load()
	for _, e := range ok {
		if e.Service == service && e.Name == name {
			return e.clone(), true
		}
	}
	return Example{}, false
}

// Get returns the valid example service/name and panics when there is
// none; it is meant for tests, where a missing example is a bug.
func Get(service, name string) Example {
	e, ok := Lookup(service, name)
	if !ok {
		panic(fmt.Sprintf("mscorpus: no valid example %s/%s (names: %v)", service, name, Names(service)))
	}
	return e
}

// Names lists the valid example names of a service, sorted.
func Names(service string) []string {
	var names []string
	for _, e := range ByService(service) {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	return names
}

// String returns "service/name".
func (e Example) String() string { return e.Service + "/" + e.Name }

func (e Example) clone() Example {
	e.Body = append([]byte(nil), e.Body...)
	if e.Headers != nil {
		h := make(map[string]string, len(e.Headers))
		for k, v := range e.Headers {
			h[k] = v
		}
		e.Headers = h
	}
	return e
}
