package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

const (
	webhookQueueSize = 256
	webhookAttempts  = 4
)

type delivery struct {
	URL        string
	Body       []byte
	CustomerID string
	EventName  string
}

// WebhookDelivery is what GET /sandbox/webhook shows about one recent delivery.
type WebhookDelivery struct {
	At         time.Time `json:"at"`
	EventName  string    `json:"eventName"`
	CustomerID string    `json:"customerTenantId"`
	Outcome    string    `json:"outcome"`
	Attempts   int       `json:"attempts"`
	StatusCode int       `json:"statusCode,omitempty"`
}

// deliverer posts signed events from a bounded queue on one goroutine, retrying a few
// times with backoff; Partner Center itself retries and then gives up, so receivers must
// tolerate both duplicates and losses.
type deliverer struct {
	s      *Sandbox
	client *http.Client
	retry  time.Duration
	queue  chan delivery
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu     sync.Mutex
	recent []WebhookDelivery
}

func newDeliverer(s *Sandbox, client *http.Client, retry time.Duration) *deliverer {
	ctx, cancel := context.WithCancel(context.Background())
	d := &deliverer{s: s, client: client, retry: retry, queue: make(chan delivery, webhookQueueSize), ctx: ctx, cancel: cancel}
	d.wg.Add(1)
	go d.run()
	return d
}

func (d *deliverer) stop() {
	d.once.Do(func() {
		d.cancel()
		d.wg.Wait()
	})
}

func (d *deliverer) run() {
	defer d.wg.Done()
	for {
		select {
		case <-d.ctx.Done():
			return
		case job := <-d.queue:
			d.deliver(job)
		}
	}
}

func (d *deliverer) deliver(job delivery) {
	var status, attempt int
	ok := false
	for attempt = 1; attempt <= webhookAttempts; attempt++ {
		status = d.post(job)
		if status >= 200 && status < 300 {
			ok = true
			break
		}
		if attempt == webhookAttempts {
			break
		}
		t := time.NewTimer(d.retry << (attempt - 1))
		select {
		case <-d.ctx.Done():
			t.Stop()
			d.finish(job, false, attempt, status)
			return
		case <-t.C:
		}
	}
	d.finish(job, ok, min(attempt, webhookAttempts), status)
}

func (d *deliverer) post(job delivery) int {
	h, err := d.s.signer.Sign(job.Body)
	if err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.URL, bytes.NewReader(job.Body))
	if err != nil {
		return 0
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		d.s.log.Warn("webhook delivery attempt", "event", job.EventName, "error", err)
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func (d *deliverer) finish(job delivery, ok bool, attempts, status int) {
	outcome := "delivered"
	if !ok {
		outcome = "failed"
	}
	d.s.mu.Lock()
	if c, found := d.s.customerLocked(job.CustomerID); found {
		if ok {
			c.Ledger.WebhooksSent++
		} else {
			c.Ledger.WebhooksDropped++
		}
		d.s.dirty = true
		if err := d.s.saveLocked(); err != nil {
			d.s.log.Error("save sandbox state", "error", err)
		}
	}
	at := d.s.st.Evaluated
	d.s.mu.Unlock()
	d.record(WebhookDelivery{At: at, EventName: job.EventName, CustomerID: job.CustomerID, Outcome: outcome, Attempts: attempts, StatusCode: status})
}

func (d *deliverer) record(r WebhookDelivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.recent = append(d.recent, r)
	if len(d.recent) > 50 {
		d.recent = slices.Delete(d.recent, 0, len(d.recent)-50)
	}
}

func (d *deliverer) history() []WebhookDelivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]WebhookDelivery{}, d.recent...)
}

// enqueueLocked queues an event for the partner's registered URL, or the sandbox-wide
// URL. Events with nowhere to go, dropped by fault or not fitting the queue count as dropped.
func (s *Sandbox) enqueueLocked(partnerID string, c *customer, ev pcwebhook.Event) {
	target := s.st.WebhookURL
	if p, ok := s.st.Partners[partnerID]; ok && p.Webhook != nil {
		if len(p.Webhook.Events) > 0 && !slices.Contains(p.Webhook.Events, ev.EventName) {
			return
		}
		target = p.Webhook.URL
	}
	drop := func(outcome string) {
		c.Ledger.WebhooksDropped++
		s.dirty = true
		s.hooks.record(WebhookDelivery{At: s.st.Evaluated, EventName: ev.EventName, CustomerID: c.TenantID, Outcome: outcome})
	}
	if target == "" {
		drop("dropped: no webhook URL configured")
		return
	}
	if s.dropWebhookLocked() {
		drop("dropped: injected fault")
		return
	}
	body, err := json.Marshal(ev)
	if err != nil {
		drop("dropped: encode event")
		return
	}
	select {
	case s.hooks.queue <- delivery{URL: target, Body: body, CustomerID: c.TenantID, EventName: ev.EventName}:
	default:
		drop("dropped: delivery queue full")
	}
}

// WebhookView is the answer of GET /sandbox/webhook: where events go, the certificates that sign them, and
// the last deliveries.
type WebhookView struct {
	URL                string            `json:"url"`
	CertificateURL     string            `json:"certificateUrl"`
	RootCertificateURL string            `json:"rootCertificateUrl"`
	RecentDeliveries   []WebhookDelivery `json:"recentDeliveries"`
}

// webhookInput is the body of PUT /sandbox/webhook; an empty URL stops deliveries.
type webhookInput struct {
	URL string `json:"url"`
}

func (s *Sandbox) handleGetWebhook(w http.ResponseWriter, _ *http.Request) {
	s.locked(w, func(time.Time) reply {
		return jsonReply(http.StatusOK, WebhookView{
			URL: s.st.WebhookURL, CertificateURL: s.publicURL + "/sandbox/certs/webhook.cer",
			RootCertificateURL: s.publicURL + "/sandbox/certs/root.pem", RecentDeliveries: s.hooks.history(),
		})
	})
}

func (s *Sandbox) handlePutWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	if err := decodeJSON(r, &in); err != nil {
		adminErr(http.StatusBadRequest, "", err.Error()).write(w)
		return
	}
	if in.URL != "" && !strings.HasPrefix(in.URL, "http://") && !strings.HasPrefix(in.URL, "https://") {
		adminErr(http.StatusBadRequest, "url", "must be an http(s) URL, or empty to stop deliveries").write(w)
		return
	}
	s.locked(w, func(time.Time) reply {
		s.st.WebhookURL = in.URL
		s.dirty = true
		return jsonReply(http.StatusOK, in)
	})
}

func (s *Sandbox) handleCert(pemData func(*keyMaterial) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		data := pemData(s.keys)
		s.mu.Unlock()
		reply{status: http.StatusOK, raw: data, ctype: "application/x-pem-file", header: map[string]string{"Content-Length": strconv.Itoa(len(data))}}.write(w)
	}
}
