package sandbox

import (
	"container/heap"
	"strings"
	"time"
)

// index holds what the sandbox looks up per request so that no request scans every customer: customers
// by domain, delegated admin relationships by customer and by partner and name, audit records by id, and
// the lifecycle events that are due (a heap of each customer's and relationship's next transition). It is
// derived from the state, never persisted, and rebuilt after a load or a reset (reindexLocked).
//
// Code that changes a customer or a relationship reaches it through customerLocked, addCustomerLocked,
// gdapLocked or addGDAPLocked, which mark it touched: the next evaluateLocked recomputes its next event,
// and the next flush writes it to the journal.
type index struct {
	byDomain map[string]string // lower-case domain → customer tenant id
	// gdapByCustomer and gdapByPartner list relationship ids; gdapByName is partner + "\x00" + lower-case
	// display name → ids (Graph refuses a second relationship with the same name, case-insensitively).
	gdapByCustomer map[string][]string
	gdapByPartner  map[string][]string
	gdapByName     map[string][]string
	auditByID      map[string]int // audit record id → position in state.Audit

	events     eventHeap
	next       map[eventKey]time.Time // each entity's earliest pending transition (absent: none)
	evTouched  map[eventKey]struct{}  // entities whose next transition must be recomputed
	jCustomers map[string]struct{}    // customers changed since the last flush
	jGDAP      map[string]struct{}    // relationships changed since the last flush
}

// eventKey names a customer (kind 0) or a delegated admin relationship (kind 1). Customers sort before
// relationships, and each kind by id, as the full scan this replaced visited them.
type eventKey struct {
	kind int
	id   string
}

type eventEntry struct {
	at  time.Time
	key eventKey
}

type eventHeap []eventEntry

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	if h[i].key.kind != h[j].key.kind {
		return h[i].key.kind < h[j].key.kind
	}
	return h[i].key.id < h[j].key.id
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(eventEntry)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// reindexLocked rebuilds the index from the state; every entity counts as touched.
func (s *Sandbox) reindexLocked() {
	s.ix = index{
		byDomain: map[string]string{}, gdapByCustomer: map[string][]string{}, gdapByPartner: map[string][]string{},
		gdapByName: map[string][]string{}, auditByID: map[string]int{},
		next: map[eventKey]time.Time{}, evTouched: map[eventKey]struct{}{},
		jCustomers: map[string]struct{}{}, jGDAP: map[string]struct{}{},
	}
	for _, id := range sortedKeys(s.st.Customers) {
		c := s.st.Customers[id]
		s.ix.byDomain[strings.ToLower(c.Domain)] = id
		s.touchCustomerLocked(id)
	}
	for _, id := range sortedKeys(s.st.GDAP) {
		s.indexGDAPLocked(s.st.GDAP[id])
	}
	for i, a := range s.st.Audit {
		s.ix.auditByID[a.ID] = i
	}
}

func (s *Sandbox) touchCustomerLocked(id string) {
	s.ix.evTouched[eventKey{0, id}] = struct{}{}
	s.ix.jCustomers[id] = struct{}{}
}

func (s *Sandbox) touchGDAPLocked(id string) {
	s.ix.evTouched[eventKey{1, id}] = struct{}{}
	s.ix.jGDAP[id] = struct{}{}
}

// customerLocked looks a customer up by its (lower-case) tenant id and marks it touched: the caller may
// change it.
func (s *Sandbox) customerLocked(id string) (*customer, bool) {
	c, ok := s.st.Customers[id]
	if ok {
		s.touchCustomerLocked(id)
	}
	return c, ok
}

// addCustomerLocked stores a new customer.
func (s *Sandbox) addCustomerLocked(c *customer) {
	s.st.Customers[c.TenantID] = c
	s.ix.byDomain[strings.ToLower(c.Domain)] = c.TenantID
	s.touchCustomerLocked(c.TenantID)
	s.dirty = true
}

// customerByDomainLocked finds a customer by domain, case-insensitively.
func (s *Sandbox) customerByDomainLocked(domain string) (*customer, bool) {
	id, ok := s.ix.byDomain[strings.ToLower(domain)]
	if !ok {
		return nil, false
	}
	c, ok := s.st.Customers[id]
	return c, ok
}

// gdapLocked looks a relationship up by id and marks it touched.
func (s *Sandbox) gdapLocked(id string) (*gdapRel, bool) {
	g, ok := s.st.GDAP[id]
	if ok {
		s.touchGDAPLocked(id)
	}
	return g, ok
}

// addGDAPLocked stores a new relationship.
func (s *Sandbox) addGDAPLocked(g *gdapRel) {
	s.st.GDAP[g.ID] = g
	s.indexGDAPLocked(g)
	s.dirty = true
}

func (s *Sandbox) indexGDAPLocked(g *gdapRel) {
	s.ix.gdapByCustomer[g.CustomerTenantID] = append(s.ix.gdapByCustomer[g.CustomerTenantID], g.ID)
	s.ix.gdapByPartner[g.PartnerID] = append(s.ix.gdapByPartner[g.PartnerID], g.ID)
	nk := g.PartnerID + "\x00" + strings.ToLower(g.DisplayName)
	s.ix.gdapByName[nk] = append(s.ix.gdapByName[nk], g.ID)
	s.touchGDAPLocked(g.ID)
}

// gdapOfLocked returns the relationships whose ids are listed, sorted by id.
func (s *Sandbox) gdapOfLocked(ids []string) []*gdapRel {
	sorted := make(map[string]*gdapRel, len(ids))
	for _, id := range ids {
		if g, ok := s.st.GDAP[id]; ok {
			sorted[id] = g
		}
	}
	out := make([]*gdapRel, 0, len(sorted))
	for _, id := range sortedKeys(sorted) {
		out = append(out, sorted[id])
	}
	return out
}

// addAuditLocked appends an audit record.
func (s *Sandbox) addAuditLocked(rec auditRecord) {
	s.ix.auditByID[rec.ID] = len(s.st.Audit)
	s.st.Audit = append(s.st.Audit, rec)
	s.dirty = true
}

// nextOfLocked is the earliest pending transition of one entity and the function that applies it. The
// order of the checks within a customer is that of the full scan it replaced, so ties resolve the same way.
func (s *Sandbox) nextOfLocked(k eventKey) (time.Time, func()) {
	var best time.Time
	var bestFn func()
	consider := func(t time.Time, fn func()) {
		if t.IsZero() {
			return
		}
		if bestFn == nil || t.Before(best) {
			best, bestFn = t, fn
		}
	}
	if k.kind == 1 {
		if g, ok := s.st.GDAP[k.id]; ok && g.Status == "active" {
			consider(g.End, func() {
				g.Status = "expired"
				g.LastModified = g.End
			})
		}
		return best, bestFn
	}
	c, ok := s.st.Customers[k.id]
	if !ok {
		return best, nil
	}
	for _, o := range c.Originals {
		if o.NextLifecycle != nil && o.Status != statusDeleted && o.TransferredTo == "" {
			consider(*o.NextLifecycle, func() { s.advanceOriginalLocked(c, o) })
		}
	}
	for _, sub := range c.CSPSubs {
		switch sub.Status {
		case "pending":
			consider(sub.ActivateAt, func() {
				sub.Status = "active"
				sub.Etag++
			})
		case "active":
			consider(sub.CommitmentEndDate, func() { s.endCSPTermLocked(c, sub) })
		}
	}
	for _, ct := range c.Carts {
		if ct.Status == "Active" && !ct.CheckingOut {
			consider(ct.Expiration, func() { ct.Status = "Expired" })
		}
	}
	for _, t := range c.Transfers {
		if t.Status == transferInProgress {
			consider(t.Expiration, func() {
				t.Status = transferExpired
				t.LastModified = t.Expiration
			})
		}
	}
	return best, bestFn
}

// refreshEventLocked recomputes one entity's next transition and files it in the heap.
func (s *Sandbox) refreshEventLocked(k eventKey) {
	at, fn := s.nextOfLocked(k)
	old, had := s.ix.next[k]
	if fn == nil {
		delete(s.ix.next, k)
		return
	}
	s.ix.next[k] = at
	if !had || !old.Equal(at) {
		heap.Push(&s.ix.events, eventEntry{at: at, key: k})
	}
}

// refreshTouchedLocked recomputes the next transition of every touched entity.
func (s *Sandbox) refreshTouchedLocked() {
	for k := range s.ix.evTouched {
		s.refreshEventLocked(k)
	}
	clear(s.ix.evTouched)
	// Entries go stale when an entity's next transition moves; drop them when they outnumber the live ones.
	if len(s.ix.events) > 4*len(s.ix.next)+64 {
		live := make(eventHeap, 0, len(s.ix.next))
		for k, at := range s.ix.next {
			live = append(live, eventEntry{at: at, key: k})
		}
		heap.Init(&live)
		s.ix.events = live
	}
}

// nextEventLocked finds the earliest pending transition of all: the heap's first entry that is still
// current. Its cost does not depend on the number of customers.
func (s *Sandbox) nextEventLocked() (time.Time, eventKey, func()) {
	s.refreshTouchedLocked()
	for len(s.ix.events) > 0 {
		e := s.ix.events[0]
		if at, ok := s.ix.next[e.key]; !ok || !at.Equal(e.at) {
			heap.Pop(&s.ix.events) // stale
			continue
		}
		at, fn := s.nextOfLocked(e.key)
		if fn == nil || !at.Equal(e.at) {
			// Changed without being touched: file it again.
			heap.Pop(&s.ix.events)
			delete(s.ix.next, e.key)
			s.refreshEventLocked(e.key)
			continue
		}
		return at, e.key, fn
	}
	return time.Time{}, eventKey{}, nil
}
