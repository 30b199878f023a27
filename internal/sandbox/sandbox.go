// Package sandbox emulates the parts of Partner Center REST, Microsoft Graph and the
// Microsoft identity platform that csptransfer uses, over HTTP and with realistic state:
// partner tenants per region, customers with subscriptions bought in other channels,
// a regional catalog, carts and orders, license assignment, GDAP, signed webhooks, an
// adjustable clock, fault injection and a ledger of the transfer invariants.
//
// The real clients talk to it unchanged; only base URLs and credentials differ. See
// README.md in this directory for the admin endpoints and the seeded data.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/csptransfer/csptransfer/internal/pcwebhook"
)

// Documented sandbox credentials.
const (
	ClientID     = "sandbox-app"
	ClientSecret = "sandbox-secret"
	RefreshToken = "sandbox-refresh-token"
	// DefaultPublicURL is where the sandbox listens unless told otherwise.
	DefaultPublicURL = "http://127.0.0.1:8089"
	// maxBody bounds every request body.
	maxBody = 1 << 20
)

// Options configures a Sandbox. The zero value is usable.
type Options struct {
	// Addr is informative only; the caller owns the listener.
	Addr string
	// PublicURL is the base URL used in links the sandbox returns (invitation link,
	// webhook ResourceUri, certificate URL, Graph nextLink) and of its simulated admin
	// center's GDAP approval pages (GDAPApprovalURLBase).
	// default: http://127.0.0.1:8089
	PublicURL string
	// StateFile, when set, is loaded by New and kept up to date, so a restart keeps customers,
	// carts, tokens, the CA, the webhook URL and catalog changes. It is a snapshot (replaced
	// with temp file + rename) continued by a journal, StateFile + ".journal", to which each
	// flush appends only what changed; a request that changed the state is answered once its
	// change is written (see persist.go). Both hold keys and tokens' signing secret: they are
	// written 0600, and a directory New has to create is made 0700.
	StateFile string
	// SaveInterval is the least time between two writes of the state file: changes made in
	// between are written together (and their requests wait for that write).
	// default: 0, each write starts as soon as the previous one is done
	SaveInterval time.Duration
	// WebhookURL receives Partner Center webhook events for partners that did not
	// register their own URL. It can also be set at runtime with PUT /sandbox/webhook; the
	// state file keeps that URL across restarts, and WebhookURL replaces it only when it
	// differs from the WebhookURL of the previous start (a changed configuration).
	WebhookURL string
	// Now is the wall clock. The sandbox clock is Now plus an adjustable offset.
	// default: time.Now
	Now func() time.Time
	// HTTPClient delivers webhooks.
	// default: a client with a 10 s timeout
	HTTPClient *http.Client
	// Logger receives operational messages; it never sees secrets or personal data.
	// default: discard
	Logger *slog.Logger
	// Seed seeds the random source used by fault probabilities.
	// default: 1
	Seed uint64
	// WebhookRetryDelay is the wall-clock delay before the first retry of a failed
	// webhook delivery; later retries double it.
	// default: 200ms
	WebhookRetryDelay time.Duration
}

// Sandbox is the emulator. Its methods are safe for concurrent use.
type Sandbox struct {
	opts      Options
	publicURL string
	now       func() time.Time
	log       *slog.Logger
	cat       *catalog
	handler   http.Handler
	// sources are the source partners of partner-to-partner transfers (seedSourcePartners): fixed
	// data like the catalog, so they are not in the state file.
	sources map[string]*partner

	mu     sync.Mutex
	st     *state
	ix     index
	p      persister
	calls  *callCounter
	dirty  bool
	rng    *rand.Rand
	keys   *keyMaterial
	signer *pcwebhook.Signer
	hooks  *deliverer
	closed bool
}

// New builds a sandbox, loading Options.StateFile when it has content and seeding the
// demo data otherwise.
func New(opts Options) (*Sandbox, error) {
	s := &Sandbox{
		opts:      opts,
		publicURL: strings.TrimRight(opts.PublicURL, "/"),
		now:       opts.Now,
		log:       opts.Logger,
		cat:       newCatalog(),
		sources:   map[string]*partner{},
		p: persister{path: opts.StateFile, interval: opts.SaveInterval, wake: make(chan struct{}, 1),
			stop: make(chan struct{}), done: make(chan struct{})},
	}
	for _, p := range seedSourcePartners() {
		s.sources[p.TenantID] = p
	}
	if s.publicURL == "" {
		s.publicURL = DefaultPublicURL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	s.rng = rand.New(rand.NewPCG(seed, seed^0x5eed))
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	retry := opts.WebhookRetryDelay
	if retry <= 0 {
		retry = 200 * time.Millisecond
	}

	st, err := loadState(opts.StateFile)
	if err != nil {
		return nil, err
	}
	fresh := st == nil
	if fresh {
		st = newState()
	}
	// Options.WebhookURL applies when it is new to the state file (first start, or configured differently
	// than at the last start); otherwise the URL last set, possibly by PUT /sandbox/webhook, stays.
	if fresh || opts.WebhookURL != st.WebhookURLOption {
		st.WebhookURL, st.WebhookURLOption = opts.WebhookURL, opts.WebhookURL
	}
	s.st = st
	s.reindexLocked()
	s.setCatalogLocked()
	if err := s.ensureKeys(); err != nil {
		return nil, err
	}
	if st.Evaluated.IsZero() {
		st.Evaluated = s.sandboxNowLocked()
	}
	if fresh {
		s.seedLocked()
	}
	if err := s.flush(true); err != nil {
		return nil, err
	}
	s.calls = newCallCounter(s.now)
	s.hooks = newDeliverer(s, client, retry)
	s.handler = s.routes()
	s.startPersister()
	return s, nil
}

// ListenAndServe runs a sandbox on addr until ctx ends, then closes it.
func ListenAndServe(ctx context.Context, addr string, opts Options) error {
	if opts.Addr == "" {
		opts.Addr = addr
	}
	sb, err := New(opts)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           sb.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, sb.Close())
}

// Handler serves everything: /login, /v1, /webhooks/v1, /graph/v1.0 and /sandbox.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Seed adds the demo partners and customers that are missing. Existing data is kept, so
// calling it again is harmless.
func (s *Sandbox) Seed() error {
	s.mu.Lock()
	s.seedLocked()
	s.dirty = true
	s.mu.Unlock()
	return s.flush(false)
}

// Ledger reports the transfer invariants as of the current sandbox time.
func (s *Sandbox) Ledger() Ledger {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evaluateLocked()
	l := s.ledgerLocked()
	_ = s.saveLocked() // a failed save only loses the evaluation, which is re-done next time
	return l
}

// Close stops webhook delivery and writes the whole state file one last time (a snapshot, with
// an empty journal). Changes made after Close are not persisted.
func (s *Sandbox) Close() error {
	s.hooks.stop()
	s.stopPersister()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.flush(true)
}

func newState() *state {
	return &state{
		Partners:  map[string]*partner{},
		Customers: map[string]*customer{},
		GDAP:      map[string]*gdapRel{},
		Replays:   map[string]*savedResponse{},
	}
}

func loadState(path string) (*state, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(strings.TrimSpace(string(data))) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state file: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("decode state file %s: %w", path, err)
	}
	if st.Partners == nil {
		st.Partners = map[string]*partner{}
	}
	if st.Customers == nil {
		st.Customers = map[string]*customer{}
	}
	if st.GDAP == nil {
		st.GDAP = map[string]*gdapRel{}
	}
	if st.Replays == nil {
		st.Replays = map[string]*savedResponse{}
	}
	if err := applyJournal(path, st); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *Sandbox) sandboxNowLocked() time.Time {
	return s.now().Add(s.st.ClockOffset).UTC().Truncate(time.Millisecond)
}

func (s *Sandbox) newID() string { return uuid.NewString() }

func (s *Sandbox) nextSeq() int64 {
	s.st.Seq++
	return s.st.Seq
}

// reply is what a handler computes under the lock; it is written after unlocking.
type reply struct {
	status int
	body   any
	header map[string]string
	raw    []byte
	ctype  string
}

func jsonReply(status int, body any) reply { return reply{status: status, body: body} }

func (r reply) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header().Set(k, v)
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.raw != nil {
		if r.ctype != "" {
			w.Header().Set("Content-Type", r.ctype)
		}
		w.WriteHeader(r.status)
		_, _ = w.Write(r.raw)
		return
	}
	if r.body == nil {
		w.WriteHeader(r.status)
		return
	}
	data, err := json.Marshal(r.body)
	if err != nil {
		http.Error(w, `{"error":"encode response"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(r.status)
	_, _ = w.Write(data)
}

// locked runs fn with the state lock held after bringing lifecycles up to date, and writes fn's
// reply once the state fn changed is written (a group commit with the other requests, persist.go).
func (s *Sandbox) locked(w http.ResponseWriter, fn func(now time.Time) reply) {
	s.mu.Lock()
	s.evaluateLocked()
	r := fn(s.st.Evaluated)
	c := s.requestFlushLocked()
	s.mu.Unlock()
	if err := c.wait(); err != nil {
		s.log.Error("save sandbox state", "error", err)
	}
	r.write(w)
}

// decodeJSON reads a bounded JSON body into v.
func decodeJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("request body larger than %d bytes", mbe.Limit)
		}
		return fmt.Errorf("read request body: %w", err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return errors.New("request body is empty")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("request body is not valid JSON: %w", err)
	}
	return nil
}
