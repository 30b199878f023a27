package sandbox

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIs counted by the call counters (EndpointCalls.API).
const (
	APIPartnerCenter = "partnercenter"
	APIGraph         = "graph"
	APIIdentity      = "identity"
)

// Tenant kinds of the call counters (TenantCalls.Kind).
const (
	CallerPartner       = "partner"
	CallerSourcePartner = "sourcePartner"
	CallerUnattributed  = "unattributed"
)

const (
	// callWindow is how many seconds of per-second counts each tenant keeps.
	callWindow = 600
	// defaultCallSeconds is how many seconds GET /sandbox/calls lists unless ?seconds= says otherwise.
	defaultCallSeconds = 60
)

// CallsView is the answer of GET /sandbox/calls: every Partner Center, Graph and identity-platform request
// the sandbox served since Since (its start or the last DELETE /sandbox/calls), per partner tenant and per
// endpoint, with per-second counts. Faults count too: an injected 429 is a request Microsoft would have
// answered, and it counts against the caller's budget the same way.
type CallsView struct {
	Since time.Time `json:"since"`
	Now   time.Time `json:"now"`
	// PartnerCenter, Graph and Identity are the totals over all tenants; Throttled the requests answered 429.
	PartnerCenter int64 `json:"partnerCenter"`
	Graph         int64 `json:"graph"`
	Identity      int64 `json:"identity"`
	Throttled     int64 `json:"throttled"`
	// Tenants are ordered by tenant id, the unattributed requests last.
	Tenants []TenantCalls `json:"tenants"`
}

// TenantCalls are one partner tenant's requests. The tenant is the one the caller's token was issued for:
// a partner tenant for Partner Center and for Graph's delegatedAdminRelationships; for Graph calls into a
// customer's directory (a token for the customer tenant), the partner the customer has a reseller
// relationship with (the most recently accepted one); for token requests, the tenant in the path,
// resolved the same way. Requests without a valid token, or for a customer with no partner, are
// "unattributed" (TenantID empty).
type TenantCalls struct {
	TenantID string `json:"tenantId"`
	Kind     string `json:"kind"`
	Name     string `json:"companyName,omitempty"`
	// Calls is PartnerCenter + Graph. Token requests are counted apart, in Identity, and not in the
	// per-second figures.
	Calls         int64 `json:"calls"`
	PartnerCenter int64 `json:"partnerCenter"`
	Graph         int64 `json:"graph"`
	Identity      int64 `json:"identity"`
	Throttled     int64 `json:"throttled"`
	// MaxPerSecond is the most Calls in one second (wall clock, whole seconds) since Since;
	// MaxPartnerCenterPerSecond and MaxGraphPerSecond the same for each API (each has its own budget).
	MaxPerSecond              int64     `json:"maxPerSecond"`
	MaxPerSecondAt            time.Time `json:"maxPerSecondAt,omitzero"`
	MaxPartnerCenterPerSecond int64     `json:"maxPartnerCenterPerSecond"`
	MaxGraphPerSecond         int64     `json:"maxGraphPerSecond"`
	// PerSecond lists the seconds with calls among the last ?seconds= (default 60, at most 600), oldest first.
	PerSecond []SecondCalls   `json:"perSecond"`
	Endpoints []EndpointCalls `json:"endpoints"`
}

// SecondCalls is one wall-clock second's calls.
type SecondCalls struct {
	At            time.Time `json:"at"`
	Calls         int64     `json:"calls"`
	PartnerCenter int64     `json:"partnerCenter"`
	Graph         int64     `json:"graph"`
}

// EndpointCalls are the requests of one endpoint: the method and route template, such as
// "GET /v1/customers/{customerId}/subscriptions". A path the sandbox does not serve counts under its
// catch-all, e.g. "DELETE /v1/ (not served)".
type EndpointCalls struct {
	API       string `json:"api"`
	Endpoint  string `json:"endpoint"`
	Calls     int64  `json:"calls"`
	Throttled int64  `json:"throttled"`
}

// callCounter keeps the counters. It has its own lock, taken briefly per request.
type callCounter struct {
	now     func() time.Time
	mu      sync.Mutex
	since   time.Time
	tenants map[string]*tenantCounter
}

type tenantCounter struct {
	kind      string
	apis      map[string]int64
	throttled int64
	endpoints map[string]*EndpointCalls
	ring      [callWindow]struct{ sec, n, pc, graph int64 }
	max       int64
	maxAt     int64
	maxPC     int64
	maxGraph  int64
}

func newCallCounter(now func() time.Time) *callCounter {
	return &callCounter{now: now, since: now().UTC(), tenants: map[string]*tenantCounter{}}
}

func (c *callCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.since = c.now().UTC()
	c.tenants = map[string]*tenantCounter{}
}

func (c *callCounter) tenantLocked(tenant, kind string) *tenantCounter {
	t, ok := c.tenants[tenant]
	if !ok {
		t = &tenantCounter{kind: kind, apis: map[string]int64{}, endpoints: map[string]*EndpointCalls{}}
		c.tenants[tenant] = t
	}
	return t
}

// add counts one request as it arrives.
func (c *callCounter) add(tenant, kind, api, endpoint string) {
	sec := c.now().Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenantLocked(tenant, kind)
	t.apis[api]++
	e, ok := t.endpoints[endpoint]
	if !ok {
		e = &EndpointCalls{API: api, Endpoint: endpoint}
		t.endpoints[endpoint] = e
	}
	e.Calls++
	if api == APIIdentity {
		return
	}
	b := &t.ring[sec%callWindow]
	if b.sec != sec {
		b.sec, b.n, b.pc, b.graph = sec, 0, 0, 0
	}
	b.n++
	if api == APIGraph {
		b.graph++
	} else {
		b.pc++
	}
	if b.n > t.max {
		t.max, t.maxAt = b.n, sec
	}
	t.maxPC, t.maxGraph = max(t.maxPC, b.pc), max(t.maxGraph, b.graph)
}

// throttled counts a request answered 429.
func (c *callCounter) throttled(tenant, kind, endpoint string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenantLocked(tenant, kind)
	t.throttled++
	if e, ok := t.endpoints[endpoint]; ok {
		e.Throttled++
	}
}

// view reports the counters; names gives partner tenants' company names, seconds the per-second window.
func (c *callCounter) view(names map[string]string, seconds int) CallsView {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	v := CallsView{Since: c.since, Now: now.UTC(), Tenants: []TenantCalls{}}
	ids := make([]string, 0, len(c.tenants))
	for id := range c.tenants {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if (a == "") != (b == "") {
			if a == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	})
	nowSec := now.Unix()
	for _, id := range ids {
		t := c.tenants[id]
		tc := TenantCalls{TenantID: id, Kind: t.kind, Name: names[id], PartnerCenter: t.apis[APIPartnerCenter], Graph: t.apis[APIGraph],
			Identity: t.apis[APIIdentity], Throttled: t.throttled, MaxPerSecond: t.max,
			MaxPartnerCenterPerSecond: t.maxPC, MaxGraphPerSecond: t.maxGraph, PerSecond: []SecondCalls{}, Endpoints: []EndpointCalls{}}
		tc.Calls = tc.PartnerCenter + tc.Graph
		if t.max > 0 {
			tc.MaxPerSecondAt = time.Unix(t.maxAt, 0).UTC()
		}
		for sec := nowSec - int64(seconds) + 1; sec <= nowSec; sec++ {
			if b := t.ring[((sec%callWindow)+callWindow)%callWindow]; b.sec == sec && b.n > 0 {
				tc.PerSecond = append(tc.PerSecond, SecondCalls{At: time.Unix(sec, 0).UTC(), Calls: b.n, PartnerCenter: b.pc, Graph: b.graph})
			}
		}
		for _, e := range t.endpoints {
			tc.Endpoints = append(tc.Endpoints, *e)
		}
		slices.SortFunc(tc.Endpoints, func(a, b EndpointCalls) int {
			if a.Calls != b.Calls {
				return cmp.Compare(b.Calls, a.Calls)
			}
			return cmp.Compare(a.Endpoint, b.Endpoint)
		})
		v.PartnerCenter += tc.PartnerCenter
		v.Graph += tc.Graph
		v.Identity += tc.Identity
		v.Throttled += tc.Throttled
		v.Tenants = append(v.Tenants, tc)
	}
	return v
}

// apiOf names the API a path belongs to; "" for paths that are not counted.
func apiOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1/"), strings.HasPrefix(path, "/webhooks/"):
		return APIPartnerCenter
	case strings.HasPrefix(path, "/graph/"):
		return APIGraph
	case strings.HasPrefix(path, "/login/"):
		return APIIdentity
	}
	return ""
}

// endpointOf is the method and route template router would serve r with.
func endpointOf(router *http.ServeMux, r *http.Request) string {
	_, pattern := router.Handler(r)
	switch {
	case pattern == "":
		return r.Method + " (no route)"
	case strings.HasPrefix(pattern, r.Method+" "):
		return pattern
	case strings.HasSuffix(pattern, "/"):
		return r.Method + " " + pattern + " (not served)"
	}
	return r.Method + " " + pattern
}

// callerLocked is the partner tenant a request counts for, and its kind (see TenantCalls).
func (s *Sandbox) callerLocked(r *http.Request, api string) (string, string) {
	tid := ""
	if api == APIIdentity {
		// /login/{tenant}/oauth2/v2.0/token
		if parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/login/"), "/", 2); len(parts) > 0 {
			tid, _ = s.resolveTenantLocked(parts[0])
		}
	} else if cl, msg := s.bearer(r); msg == "" {
		tid = cl.TenantID
	}
	if tid == "" {
		return "", CallerUnattributed
	}
	if _, ok := s.st.Partners[tid]; ok {
		return tid, CallerPartner
	}
	if _, ok := s.sources[tid]; ok {
		return tid, CallerSourcePartner
	}
	if c, ok := s.st.Customers[tid]; ok {
		best, at := "", time.Time{}
		for pid, when := range c.Relationships {
			if _, ok := s.st.Partners[pid]; !ok {
				continue
			}
			if best == "" || when.After(at) || (when.Equal(at) && pid < best) {
				best, at = pid, when
			}
		}
		if best != "" {
			return best, CallerPartner
		}
	}
	return "", CallerUnattributed
}

// withCalls counts every Partner Center, Graph and token request before next serves it (faults included).
func (s *Sandbox) withCalls(router *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := apiOf(r.URL.Path)
		if api == "" {
			next.ServeHTTP(w, r)
			return
		}
		endpoint := endpointOf(router, r)
		s.mu.Lock()
		tenant, kind := s.callerLocked(r, api)
		s.mu.Unlock()
		s.calls.add(tenant, kind, api, endpoint)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == http.StatusTooManyRequests {
			s.calls.throttled(tenant, kind, endpoint)
		}
	})
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Sandbox) handleGetCalls(w http.ResponseWriter, r *http.Request) {
	seconds := defaultCallSeconds
	if v := r.URL.Query().Get("seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > callWindow {
			adminErr(http.StatusBadRequest, "seconds", "must be a whole number of seconds between 1 and "+itoa(callWindow)).write(w)
			return
		}
		seconds = n
	}
	s.mu.Lock()
	names := map[string]string{}
	for id, p := range s.st.Partners {
		names[id] = p.CompanyName
	}
	for id, p := range s.sources {
		names[id] = p.CompanyName
	}
	s.mu.Unlock()
	jsonReply(http.StatusOK, s.calls.view(names, seconds)).write(w)
}

func (s *Sandbox) handleDeleteCalls(w http.ResponseWriter, _ *http.Request) {
	s.calls.reset()
	w.WriteHeader(http.StatusNoContent)
}
