package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault kinds (FaultRule.Kind).
const (
	FaultHTTP            = "http"
	FaultPartialCheckout = "partialCheckout"
	FaultDropWebhook     = "dropWebhook"
	// FaultLostAnswer acts on a matching request and then answers 504, as a gateway that timed out after
	// the service acted: the caller cannot tell whether anything happened.
	FaultLostAnswer = "lostAnswer"
)

// FaultRules is the body of PUT /sandbox/faults and the answer of GET /sandbox/faults.
type FaultRules struct {
	// Seed reseeds the random source behind Probability when the rules are replaced.
	Seed  uint64      `json:"seed,omitempty"`
	Rules []FaultRule `json:"rules"`
}

// FaultRule is one injected misbehaviour. Count 0 means unlimited; Probability 0 means 1.
type FaultRule struct {
	Kind              string  `json:"kind,omitempty"`
	Match             string  `json:"match,omitempty"`
	Status            int     `json:"status,omitempty"`
	RetryAfterSeconds int     `json:"retryAfterSeconds,omitempty"`
	LatencyMs         int     `json:"latencyMs,omitempty"`
	Probability       float64 `json:"probability,omitempty"`
	Count             int     `json:"count,omitempty"`
	LineItems         []int   `json:"lineItems,omitempty"`
	Fired             int     `json:"fired"`
}

func (f *FaultRule) exhausted() bool { return f.Count > 0 && f.Fired >= f.Count }

func (f *FaultRule) kind() string {
	if f.Kind == "" {
		return FaultHTTP
	}
	return f.Kind
}

func validateFaults(cfg FaultRules) (field, msg string) {
	for i := range cfg.Rules {
		f := &cfg.Rules[i]
		at := "rules[" + strconv.Itoa(i) + "]"
		if f.Probability < 0 || f.Probability > 1 {
			return at + ".probability", "must be between 0 and 1"
		}
		if f.Count < 0 {
			return at + ".count", "must not be negative"
		}
		switch f.kind() {
		case FaultHTTP:
			if strings.TrimSpace(f.Match) == "" {
				return at + ".match", "is required, e.g. \"POST /v1/customers/*/carts/*/checkout\" or \"*\""
			}
			if f.Status == 0 && f.LatencyMs == 0 {
				return at + ".status", "give a status (400-599) or latencyMs"
			}
			if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
				return at + ".status", "must be between 400 and 599"
			}
			if f.LatencyMs < 0 || f.LatencyMs > 30000 {
				return at + ".latencyMs", "must be between 0 and 30000"
			}
			if f.RetryAfterSeconds < 0 {
				return at + ".retryAfterSeconds", "must not be negative"
			}
		case FaultPartialCheckout:
			if len(f.LineItems) == 0 {
				return at + ".lineItems", "name the cart line item ids to fail"
			}
		case FaultDropWebhook:
		case FaultLostAnswer:
			if strings.TrimSpace(f.Match) == "" {
				return at + ".match", "is required, e.g. \"POST /graph/v1.0/tenantRelationships/delegatedAdminRelationships\""
			}
		default:
			return at + ".kind", "must be http (default), partialCheckout, dropWebhook or lostAnswer"
		}
		f.Fired = 0
	}
	return "", ""
}

// matchRequest reports whether "METHOD /path/with/*/segments" matches a request. A bare
// path matches any method, "*" matches everything and a final "**" matches any rest.
func matchRequest(pattern, method, path string) bool {
	pattern = strings.TrimSpace(pattern)
	if pattern == "*" {
		return true
	}
	if m, p, ok := strings.Cut(pattern, " "); ok {
		if m != "*" && !strings.EqualFold(m, method) {
			return false
		}
		pattern = strings.TrimSpace(p)
	}
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	rs := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range ps {
		if seg == "**" {
			return true
		}
		if i >= len(rs) || (seg != "*" && !strings.EqualFold(seg, rs[i])) {
			return false
		}
	}
	return len(ps) == len(rs)
}

func (s *Sandbox) rollLocked(f *FaultRule) bool {
	if f.exhausted() {
		return false
	}
	if f.Probability > 0 && f.Probability < 1 && s.rng.Float64() >= f.Probability {
		return false
	}
	f.Fired++
	s.dirty = true
	return true
}

func (s *Sandbox) partialCheckoutLinesLocked() []int {
	for i := range s.st.Faults.Rules {
		f := &s.st.Faults.Rules[i]
		if f.kind() == FaultPartialCheckout && s.rollLocked(f) {
			return f.LineItems
		}
	}
	return nil
}

func (s *Sandbox) dropWebhookLocked() bool {
	for i := range s.st.Faults.Rules {
		f := &s.st.Faults.Rules[i]
		if f.kind() == FaultDropWebhook && s.rollLocked(f) {
			return true
		}
	}
	return false
}

// withFaults injects latency and error responses into the emulated APIs.
func (s *Sandbox) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		var latency time.Duration
		var hit *FaultRule
		lost := false
		for i := range s.st.Faults.Rules {
			f := &s.st.Faults.Rules[i]
			kind := f.kind()
			if (kind != FaultHTTP && kind != FaultLostAnswer) || f.exhausted() || !matchRequest(f.Match, r.Method, r.URL.Path) {
				continue
			}
			if !s.rollLocked(f) {
				continue
			}
			if kind == FaultLostAnswer {
				lost = true
				continue
			}
			latency += time.Duration(f.LatencyMs) * time.Millisecond
			if hit == nil && f.Status != 0 {
				cp := *f
				hit = &cp
			}
		}
		if hit != nil || latency > 0 || lost {
			_ = s.saveLocked() // fault counters are best-effort state
		}
		s.mu.Unlock()
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch {
		case hit != nil:
			s.faultReply(r.URL.Path, hit).write(w)
		case lost:
			next.ServeHTTP(&recorder{header: http.Header{}}, r) // it acts; its answer is lost
			s.faultReply(r.URL.Path, &FaultRule{Status: http.StatusGatewayTimeout}).write(w)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Sandbox) faultReply(path string, f *FaultRule) reply {
	retry := f.RetryAfterSeconds
	if f.Status == http.StatusTooManyRequests && retry == 0 {
		retry = 1
	}
	var rep reply
	switch {
	case strings.HasPrefix(path, "/login/"):
		code := "temporarily_unavailable"
		if f.Status < 500 && f.Status != http.StatusTooManyRequests {
			code = "invalid_request"
		}
		rep = s.entraErr(f.Status, code, 90033, "A transient error has occurred (injected fault). Please try again.")
	case strings.HasPrefix(path, "/graph/"):
		code := "generalException"
		switch f.Status {
		case http.StatusTooManyRequests:
			code = "TooManyRequests"
		case http.StatusServiceUnavailable:
			code = "serviceNotAvailable"
		case http.StatusGatewayTimeout:
			code = "gatewayTimeout"
		}
		rep = s.graphErr(f.Status, code, fmt.Sprintf("Injected fault: HTTP %d.", f.Status))
		if f.Status == http.StatusTooManyRequests {
			body := rep.body.(graphErrorBody)
			body.Error.InnerError.Code, body.Error.InnerError.Status = "429", "429"
			body.Error.InnerError.Message = "Please retry after"
			rep.body = body
		}
	case f.Status == http.StatusTooManyRequests:
		rep = jsonReply(f.Status, map[string]any{"statusCode": 429, "message": fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", retry)})
	default:
		rep = pcErr(f.Status, 800003, fmt.Sprintf("An unexpected error occurred (injected fault, HTTP %d).", f.Status))
	}
	if retry > 0 {
		rep.header = map[string]string{"Retry-After": strconv.Itoa(retry)}
	}
	return rep
}

func (s *Sandbox) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply {
		cfg := s.st.Faults
		if cfg.Rules == nil {
			cfg.Rules = []FaultRule{}
		}
		return jsonReply(http.StatusOK, cfg)
	})
}

func (s *Sandbox) handlePutFaults(w http.ResponseWriter, r *http.Request) {
	var cfg FaultRules
	if err := decodeJSON(r, &cfg); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	if field, msg := validateFaults(cfg); field != "" {
		adminErr(http.StatusBadRequest, field, msg).write(w)
		return
	}
	s.locked(w, func(time.Time) reply {
		s.st.Faults = cfg
		if cfg.Seed != 0 {
			s.rng = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))
		}
		s.dirty = true
		return jsonReply(http.StatusOK, s.st.Faults)
	})
}

func (s *Sandbox) handleDeleteFaults(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply {
		s.st.Faults = FaultRules{}
		s.dirty = true
		return reply{status: http.StatusNoContent}
	})
}
