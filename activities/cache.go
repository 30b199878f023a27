package activities

import (
	"strings"
	"sync"
	"time"

	"github.com/csptransfer/csptransfer/internal/graph"
)

// Every Partner Center and Graph call spends the partner tenant's throttle budget, so what one transfer
// reads twice within moments is read once and kept here, in memory, per worker. Nothing kept here is a
// promise: a cache miss (another worker, an expired entry) reads again, and nothing that decides a
// purchase, a verified acceptance or a license move is taken from another transfer's answer.

// tenantSkusTTL is how long the SKUs Discover found in a customer's directory answer for Catalog, the
// activity the workflow runs next (seconds later). Which SKUs a tenant holds changes with purchases, so a
// later planning (a new offer mapping, after a purchase) reads subscribedSkus again.
const tenantSkusTTL = 2 * time.Minute

// directoryTTL is how long CheckOriginal reuses a customer's directory subscriptions: long enough for the
// originals of one transfer that end on the same date (checked one after the other at one wake-up), far
// shorter than the day after which a still active original is checked again.
const directoryTTL = 30 * time.Second

// tenantSkus are the SKUs a customer tenant holds: the service plan names of each (by lower-case Graph
// skuId) and the skuId of each part number (upper case).
type tenantSkus struct {
	plans map[string][]string
	parts map[string]string
}

func tenantSkusFromSubscribed(skus []graph.SubscribedSku) tenantSkus {
	t := tenantSkus{plans: map[string][]string{}, parts: map[string]string{}}
	for _, s := range skus {
		id := strings.ToLower(s.SkuID)
		t.parts[strings.ToUpper(s.SkuPartNumber)] = id
		for _, sp := range s.ServicePlans {
			t.plans[id] = append(t.plans[id], sp.ServicePlanName)
		}
	}
	return t
}

// tenantSkusFromDirectory is the same from the directory's subscriptions: each subscription lists its
// SKU's service plans (serviceStatus), and several subscriptions of one SKU list the same plans once.
func tenantSkusFromDirectory(subs []graph.CompanySubscription) tenantSkus {
	t := tenantSkus{plans: map[string][]string{}, parts: map[string]string{}}
	for _, s := range subs {
		id := strings.ToLower(s.SkuID)
		t.parts[strings.ToUpper(s.SkuPartNumber)] = id
		if _, seen := t.plans[id]; seen {
			continue
		}
		for _, sp := range s.ServiceStatus {
			t.plans[id] = append(t.plans[id], sp.ServicePlanName)
		}
	}
	return t
}

type timed[T any] struct {
	v    T
	read time.Time
}

// customerCache keeps one value per partner tenant and customer tenant for a while.
type customerCache[T any] struct {
	mu sync.Mutex
	m  map[string]timed[T]
}

func customerKey(partner, customer string) string {
	return strings.ToLower(partner) + "/" + strings.ToLower(customer)
}

func (c *customerCache[T]) get(partner, customer string, now time.Time, ttl time.Duration) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[customerKey(partner, customer)]
	if !ok || now.Sub(e.read) >= ttl || now.Before(e.read) {
		var zero T
		return zero, false
	}
	return e.v, true
}

func (c *customerCache[T]) put(partner, customer string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]timed[T]{}
	}
	// A worker meets each customer a few times per transfer; entries past any TTL are dropped as it goes.
	if len(c.m) > 4096 {
		for k, e := range c.m {
			if now.Sub(e.read) > time.Hour {
				delete(c.m, k)
			}
		}
	}
	c.m[customerKey(partner, customer)] = timed[T]{v: v, read: now}
}
