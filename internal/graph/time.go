package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// graphTime decodes a Graph DateTimeOffset leniently. Graph documents
// "activatedDateTime": "" for a delegated admin relationship that is not
// active yet and null for other unset dates; both mean "no date" here
// instead of failing the whole response. Dates without a zone are read as
// UTC.
type graphTime struct {
	t   time.Time
	set bool
}

var graphTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02",
}

// UnmarshalJSON implements json.Unmarshaler.
func (g *graphTime) UnmarshalJSON(b []byte) error {
	*g = graphTime{}
	if isNull(b) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date-time: %w", err)
	}
	compact := strings.Join(strings.Fields(s), "")
	if compact == "" {
		return nil
	}
	for _, layout := range graphTimeLayouts {
		if v, err := time.Parse(layout, compact); err == nil {
			*g = graphTime{t: v, set: true}
			return nil
		}
	}
	return fmt.Errorf("date-time %q: not ISO 8601", s)
}

// ptr returns the date, or nil when it was absent, null or "".
func (g graphTime) ptr() *time.Time {
	if !g.set {
		return nil
	}
	t := g.t
	return &t
}

// UnmarshalJSON implements json.Unmarshaler, accepting "" and null for
// the dates.
func (s *CompanySubscription) UnmarshalJSON(b []byte) error {
	type plain CompanySubscription
	aux := struct {
		*plain
		CreatedDateTime       graphTime `json:"createdDateTime"`
		NextLifecycleDateTime graphTime `json:"nextLifecycleDateTime"`
	}{plain: (*plain)(s)}
	if isNull(b) {
		return nil
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	s.CreatedDateTime = aux.CreatedDateTime.t
	s.NextLifecycleDateTime = aux.NextLifecycleDateTime.ptr()
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, accepting "" and null for
// the dates (Graph sends "activatedDateTime": "" before activation).
func (r *DelegatedAdminRelationship) UnmarshalJSON(b []byte) error {
	type plain DelegatedAdminRelationship
	aux := struct {
		*plain
		CreatedDateTime      graphTime `json:"createdDateTime"`
		LastModifiedDateTime graphTime `json:"lastModifiedDateTime"`
		ActivatedDateTime    graphTime `json:"activatedDateTime"`
		EndDateTime          graphTime `json:"endDateTime"`
	}{plain: (*plain)(r)}
	if isNull(b) {
		return nil
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	r.CreatedDateTime = aux.CreatedDateTime.ptr()
	r.LastModifiedDateTime = aux.LastModifiedDateTime.ptr()
	r.ActivatedDateTime = aux.ActivatedDateTime.ptr()
	r.EndDateTime = aux.EndDateTime.ptr()
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, accepting "" and null for
// the dates.
func (r *DelegatedAdminRelationshipRequest) UnmarshalJSON(b []byte) error {
	type plain DelegatedAdminRelationshipRequest
	aux := struct {
		*plain
		CreatedDateTime      graphTime `json:"createdDateTime"`
		LastModifiedDateTime graphTime `json:"lastModifiedDateTime"`
	}{plain: (*plain)(r)}
	if isNull(b) {
		return nil
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	r.CreatedDateTime = aux.CreatedDateTime.ptr()
	r.LastModifiedDateTime = aux.LastModifiedDateTime.ptr()
	return nil
}

// isNull reports a JSON null, which leaves a struct as it is.
func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }
