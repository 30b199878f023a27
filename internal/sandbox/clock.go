package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	graceWarning   = 30 * 24 * time.Hour
	graceSuspended = 90 * 24 * time.Hour
	refundWindow   = 7 * 24 * time.Hour
	// refundWindowISO is refundWindow as availabilities' refund options state it.
	refundWindowISO = "P7D"
	cartLifetime    = 7 * 24 * time.Hour
	// maxClockYears bounds one clock move so that evaluating monthly renewals stays cheap.
	maxClockYears = 10
)

// MarshalJSON writes the duration as a Go duration string.
func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts a Go duration string (with an extra "d" unit for days) or nanoseconds.
func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return errors.New("duration must be a string such as \"90s\", \"36h\" or \"30d\"")
		}
		*d = duration(n)
		return nil
	}
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

var daysRE = regexp.MustCompile(`^(\d+)d(.*)$`)

// parseDuration is time.ParseDuration plus a leading whole-days unit ("30d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if m := daysRE.FindStringSubmatch(s); m != nil {
		days, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		rest := time.Duration(0)
		if m[2] != "" {
			if rest, err = time.ParseDuration(m[2]); err != nil {
				return 0, fmt.Errorf("invalid duration %q", s)
			}
		}
		return time.Duration(days)*24*time.Hour + rest, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use Go syntax such as \"90m\", \"720h\" or \"30d\"", s)
	}
	return d, nil
}

var isoRE = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$`)

// addISO adds an ISO 8601 date duration (P1M, P1Y, P3Y, P730D) to t.
func addISO(t time.Time, iso string) (time.Time, error) {
	m := isoRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(iso)))
	if m == nil || iso == "P" {
		return t, fmt.Errorf("invalid ISO 8601 duration %q", iso)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	out := t.AddDate(n(1), n(2), 7*n(3)+n(4))
	if !out.After(t) {
		return t, fmt.Errorf("ISO 8601 duration %q is empty", iso)
	}
	return out, nil
}

// evaluateLocked applies every lifecycle transition due up to the current sandbox time, in
// chronological order, so a clock jump of months behaves like months passing. The due transitions come
// from the index's heap (nextEventLocked), not from a scan of every customer.
func (s *Sandbox) evaluateLocked() {
	target := s.sandboxNowLocked()
	for {
		at, key, apply := s.nextEventLocked()
		if apply == nil || at.After(target) {
			break
		}
		if at.After(s.st.Evaluated) {
			s.st.Evaluated = at
		}
		apply()
		if key.kind == 1 {
			s.touchGDAPLocked(key.id)
		} else {
			s.touchCustomerLocked(key.id)
		}
		s.dirty = true
	}
	if target.After(s.st.Evaluated) {
		s.st.Evaluated = target
	}
}

func (s *Sandbox) advanceOriginalLocked(c *customer, o *companySub) {
	at := *o.NextLifecycle
	switch o.Status {
	case statusEnabled:
		if o.AutoRenew {
			next, err := addISO(at, o.Term)
			if err != nil {
				next = at.AddDate(1, 0, 0)
			}
			o.NextLifecycle = &next
			o.Renewals++
			c.Ledger.OriginalsRenewed++
			return
		}
		o.Status = statusWarning
		o.EndedAt = at
		next := at.Add(graceWarning)
		o.NextLifecycle = &next
	case statusWarning:
		o.Status = statusSuspended
		next := at.Add(graceSuspended)
		o.NextLifecycle = &next
	case statusSuspended, statusLockedOut:
		o.Status = statusDeleted
		o.NextLifecycle = nil
	default:
		o.NextLifecycle = nil
	}
	s.checkLicensesLocked(c, at)
}

func (s *Sandbox) endCSPTermLocked(c *customer, sub *cspSub) {
	at := sub.CommitmentEndDate
	sub.Etag++
	if sub.AutoRenewEnabled {
		next, err := addISO(at, sub.TermDuration)
		if err != nil {
			next = at.AddDate(1, 0, 0)
		}
		sub.CommitmentEndDate = next
		sub.CancellationUntil = at.Add(refundWindow)
		return
	}
	sub.Status = "expired"
	s.checkLicensesLocked(c, at)
}

type clockRequest struct {
	Advance string `json:"advance"`
	Set     string `json:"set"`
}

// ClockView is the answer of GET and POST /sandbox/clock: the sandbox's time, the wall clock, and how far
// the sandbox runs ahead.
type ClockView struct {
	Now       time.Time `json:"now"`
	WallClock time.Time `json:"wallClock"`
	Offset    string    `json:"offset"`
}

func (s *Sandbox) clockViewLocked() ClockView {
	return ClockView{Now: s.st.Evaluated, WallClock: s.now().UTC(), Offset: s.st.ClockOffset.String()}
}

func (s *Sandbox) handleGetClock(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply { return jsonReply(http.StatusOK, s.clockViewLocked()) })
}

func (s *Sandbox) handleSetClock(w http.ResponseWriter, r *http.Request) {
	var req clockRequest
	if err := decodeJSON(r, &req); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	s.locked(w, func(now time.Time) reply {
		var target time.Time
		switch {
		case req.Advance != "" && req.Set != "":
			return adminErr(http.StatusBadRequest, "advance", "give either advance or set, not both")
		case req.Advance != "":
			d, err := parseDuration(req.Advance)
			if err != nil {
				return adminErr(http.StatusBadRequest, "advance", err.Error())
			}
			if d < 0 {
				return adminErr(http.StatusBadRequest, "advance", "the sandbox clock never goes backwards")
			}
			target = now.Add(d)
		case req.Set != "":
			t, err := time.Parse(time.RFC3339, req.Set)
			if err != nil {
				return adminErr(http.StatusBadRequest, "set", "must be an RFC 3339 time such as 2027-01-31T00:00:00Z")
			}
			if t.Before(now) {
				return adminErr(http.StatusBadRequest, "set", "the sandbox clock never goes backwards; it is "+now.Format(time.RFC3339))
			}
			target = t
		default:
			return adminErr(http.StatusBadRequest, "advance", "give advance (e.g. \"720h\" or \"30d\") or set (RFC 3339)")
		}
		if target.After(now.AddDate(maxClockYears, 0, 0)) {
			return adminErr(http.StatusBadRequest, "advance", "the sandbox clock moves at most "+itoa(maxClockYears)+" years per call")
		}
		s.st.ClockOffset += target.Sub(now)
		s.dirty = true
		s.evaluateLocked()
		return jsonReply(http.StatusOK, s.clockViewLocked())
	})
}

func readAll(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("request body larger than %d bytes", mbe.Limit)
		}
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return data, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
