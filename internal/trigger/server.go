// Package trigger is the trigger service behind `starter serve`: it turns signed Partner Center webhooks
// into workflow signals, lets CRMs and scripts start transfers through an authenticated onboarding API,
// answers health probes, and keeps the reconciliation schedule in place. Nothing here decides anything a
// transfer depends on: every signal only prompts the workflow to verify with Partner Center itself.
package trigger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/pcwebhook"
	"github.com/csptransfer/csptransfer/internal/transfers"
)

const (
	// MaxWebhookBody caps a webhook body; Partner Center's events are a few hundred bytes.
	MaxWebhookBody = 64 << 10
	// MaxTransferBody caps an onboarding request; a long explicit subscription list still fits.
	MaxTransferBody = 256 << 10
	// seenEventsSize bounds the memory of processed webhook events.
	seenEventsSize = 4096
	// temporalTimeout bounds every call to Temporal made while answering a request.
	temporalTimeout = 10 * time.Second
	// lookupParallelism bounds the status queries made to find a GDAP relationship's transfer.
	lookupParallelism = 8
)

// Options configure a Server.
type Options struct {
	// Client talks to Temporal. Required.
	Client client.Client
	// Transfers starts and queries transfers (validation, idempotency, UI links). Its Client is set
	// from Client when nil.
	Transfers transfers.Service
	// Verifier checks webhook signatures. Required.
	Verifier *Verifier
	// OnboardingToken is the bearer token of the onboarding API. Empty leaves the API open: sandbox mode
	// only, the configuration refuses it otherwise.
	OnboardingToken string
	// MaxEventAge rejects older webhook events. Optional; default 24h.
	MaxEventAge time.Duration
	// Optional: Log. default: no logging
	Log *zap.Logger
	// Optional: Now is the clock. default: time.Now
	Now func() time.Time
	// Optional: Codec serves /codec/encode and /codec/decode for the Temporal UI and CLI.
	// default: no codec endpoint
	Codec http.Handler
}

// Server is the trigger service's HTTP handler.
type Server struct {
	opts     Options
	tokenSum [sha256.Size]byte
	seen     *seenEvents
	mux      *http.ServeMux
}

// New builds a Server.
func New(opts Options) (*Server, error) {
	if opts.Client == nil {
		return nil, errors.New("trigger: a Temporal client is required")
	}
	if opts.Verifier == nil {
		return nil, errors.New("trigger: a webhook verifier is required")
	}
	if opts.Transfers.Client == nil {
		opts.Transfers.Client = opts.Client
	}
	if opts.MaxEventAge <= 0 {
		opts.MaxEventAge = 24 * time.Hour
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, seen: newSeenEvents(seenEventsSize), mux: http.NewServeMux()}
	if opts.OnboardingToken != "" {
		s.tokenSum = sha256.Sum256([]byte(opts.OnboardingToken))
	}
	s.mux.HandleFunc("/webhooks/partner-center", s.method(http.MethodPost, s.handleWebhook))
	s.mux.HandleFunc("/v1/transfers", s.method(http.MethodPost, s.authorized(s.handleStart)))
	s.mux.HandleFunc("/v1/transfers/{id}", s.method(http.MethodGet, s.authorized(s.handleStatus)))
	if opts.Codec != nil {
		s.mux.Handle("/codec/", opts.Codec)
	}
	s.mux.HandleFunc("/healthz", s.method(http.MethodGet, s.handleHealth))
	s.mux.HandleFunc("/readyz", s.method(http.MethodGet, s.handleReady))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint")
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && (m != http.MethodGet || r.Method != http.MethodHead) {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use "+m)
			return
		}
		h(w, r)
	}
}

// authorized checks the onboarding bearer token in constant time. Hashing first makes the comparison's
// time independent of the token's length, too.
func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.OnboardingToken == "" {
			h(w, r)
			return
		}
		scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], s.tokenSum[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="csptransfer"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		h(w, r)
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers 200 when Temporal answers a health check within two seconds.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.opts.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		s.opts.Log.Warn("not ready: Temporal unreachable", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "Temporal is not reachable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// readBody checks the content type and reads at most limit bytes. It writes the error answer itself and
// returns false when the request is refused.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return nil, false
	}
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", limit))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", limit))
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "body could not be read")
		return nil, false
	}
	return body, true
}

// handleWebhook verifies a Partner Center callback and turns it into a signal. Every refusal happens
// before anything is signalled; a failure to reach Temporal answers 503 so Partner Center retries.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, MaxWebhookBody)
	if !ok {
		return
	}
	if err := s.opts.Verifier.Verify(r.Context(), body, r.Header); err != nil {
		status, msg := http.StatusUnauthorized, "invalid signature"
		switch {
		case errors.Is(err, ErrUnsigned):
			msg = "webhook is not signed"
		case errors.Is(err, ErrCertHostNotAllowed):
			status, msg = http.StatusForbidden, "certificate host is not allowed"
		case errors.Is(err, ErrCertUnavailable):
			status, msg = http.StatusServiceUnavailable, "signing certificate unavailable, retry later"
		}
		s.opts.Log.Warn("webhook refused", zap.Int("status", status), zap.Error(err))
		writeError(w, status, msg)
		return
	}
	var ev pcwebhook.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.EventName == "" {
		writeError(w, http.StatusBadRequest, "body is not a Partner Center event (EventName, ResourceUri, ResourceChangeUtcDate)")
		return
	}
	if ev.ResourceChangeUTCDate.IsZero() {
		writeError(w, http.StatusBadRequest, "ResourceChangeUtcDate: required")
		return
	}
	// Only old events are refused: a future date is accepted because the sandbox's clock may run ahead,
	// and the signature already proves who sent it.
	if age := s.opts.Now().Sub(ev.ResourceChangeUTCDate); age > s.opts.MaxEventAge {
		s.opts.Log.Warn("stale webhook refused", zap.String("event", ev.EventName), zap.Duration("age", age.Round(time.Second)))
		writeError(w, http.StatusBadRequest, fmt.Sprintf("ResourceChangeUtcDate: older than %s", s.opts.MaxEventAge))
		return
	}
	key := eventKey(ev)
	switch s.seen.claim(key) {
	case eventDone:
		s.opts.Log.Info("duplicate webhook answered without signalling", zap.String("event", ev.EventName))
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "duplicate", Event: ev.EventName})
		return
	case eventInFlight:
		// Not 200: should the copy being processed fail, Partner Center must still deliver again.
		s.opts.Log.Info("copy of a webhook being processed: asked to retry", zap.String("event", ev.EventName))
		writeJSON(w, http.StatusServiceUnavailable, webhookAnswer{Status: "in-progress", Event: ev.EventName, Error: "the same event is being processed, retry later"})
		return
	}
	status := http.StatusInternalServerError
	// Deferred so that even a panic does not leave the event in flight, refusing every redelivery.
	defer func() { s.seen.settle(key, status == http.StatusOK) }()
	var ans webhookAnswer
	ans, status = s.dispatch(r.Context(), ev)
	writeJSON(w, status, ans)
}

// webhookAnswer is the body of a webhook answer.
type webhookAnswer struct {
	Status    string   `json:"status"`
	Event     string   `json:"event,omitempty"`
	Signalled []string `json:"signalled,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// Partner-to-partner transfer events. UNCONFIRMED: a live client registers for these names, but they are
// missing from Microsoft's published event list, so the transfer polls its request and these only make it
// look sooner. They belong with the other event names in internal/pcwebhook.
const (
	EventCompleteTransfer = "complete-transfer"
	EventFailTransfer     = "fail-transfer"
)

func (s *Server) dispatch(ctx context.Context, ev pcwebhook.Event) (webhookAnswer, int) {
	log := s.opts.Log.With(zap.String("event", ev.EventName))
	switch ev.EventName {
	case pcwebhook.EventResellerRelationshipAccepted:
		tenant, ok := lastSegmentAfter(ev.ResourceURI, "customers")
		if !ok || !csptransfer.IsGUID(tenant) {
			return webhookAnswer{Status: "rejected", Event: ev.EventName, Error: "ResourceUri: expected .../customers/{customer tenant id}"}, http.StatusBadRequest
		}
		return s.signalCustomer(ctx, log, ev, tenant, csptransfer.SignalRelationshipAccepted,
			csptransfer.RelationshipAccepted{CustomerTenantID: strings.ToLower(tenant), Source: "webhook"}, "signalled relationship accepted")

	case EventCompleteTransfer, EventFailTransfer:
		tenant, transferID, ok := transferResource(ev.ResourceURI)
		if !ok {
			return webhookAnswer{Status: "rejected", Event: ev.EventName, Error: "ResourceUri: expected .../customers/{customer tenant id}/transfers/{transfer id}"}, http.StatusBadRequest
		}
		log = log.With(zap.String("transferId", transferID))
		return s.signalCustomer(ctx, log, ev, tenant, csptransfer.SignalPartnerTransferUpdated,
			csptransfer.PartnerTransferUpdated{CustomerTenantID: strings.ToLower(tenant), TransferID: transferID, Event: ev.EventName, Source: "webhook"},
			"signalled partner transfer updated")

	case pcwebhook.EventGranularAdminRelationshipApproved, pcwebhook.EventGranularAdminRelationshipActive:
		relID, ok := lastSegmentAfter(ev.ResourceURI, "granularAdminRelationships")
		if !ok || !isRelationshipID(relID) {
			return webhookAnswer{Status: "rejected", Event: ev.EventName, Error: "ResourceUri: expected .../granularAdminRelationships/{relationship id}"}, http.StatusBadRequest
		}
		ids, err := s.signalAdminApproved(ctx, relID)
		if err != nil {
			log.Error("signal GDAP approval", zap.String("relationshipId", relID), zap.Error(err))
			return webhookAnswer{Status: "error", Event: ev.EventName, Error: "Temporal unavailable, retry later"}, http.StatusServiceUnavailable
		}
		if len(ids) == 0 {
			log.Info("no transfer awaiting this GDAP relationship: nothing to do", zap.String("relationshipId", relID))
			return webhookAnswer{Status: "no-transfer", Event: ev.EventName}, http.StatusOK
		}
		log.Info("signalled admin access approved", zap.String("relationshipId", relID), zap.Strings("workflowIds", ids))
		return webhookAnswer{Status: "signalled", Event: ev.EventName, Signalled: ids}, http.StatusOK
	}
	log.Info("webhook event not handled: nothing to do")
	return webhookAnswer{Status: "ignored", Event: ev.EventName}, http.StatusOK
}

// signalCustomer sends signal with payload to the transfer of the customer tenant an event names. No open
// transfer for the customer is nothing to do (200); Temporal unreachable asks Partner Center to retry (503).
func (s *Server) signalCustomer(ctx context.Context, log *zap.Logger, ev pcwebhook.Event, tenant, signal string, payload any, done string) (webhookAnswer, int) {
	id := csptransfer.WorkflowID(tenant)
	sctx, cancel := context.WithTimeout(ctx, temporalTimeout)
	defer cancel()
	err := s.opts.Client.SignalWorkflow(sctx, id, "", signal, payload)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		log.Info("no open transfer for the customer: nothing to do", zap.String("workflowId", id))
		return webhookAnswer{Status: "no-transfer", Event: ev.EventName}, http.StatusOK
	case err != nil:
		log.Error("signal transfer", zap.String("workflowId", id), zap.String("signal", signal), zap.Error(err))
		return webhookAnswer{Status: "error", Event: ev.EventName, Error: "Temporal unavailable, retry later"}, http.StatusServiceUnavailable
	}
	log.Info(done, zap.String("workflowId", id))
	return webhookAnswer{Status: "signalled", Event: ev.EventName, Signalled: []string{id}}, http.StatusOK
}

// signalAdminApproved finds the open transfers awaiting acceptance whose GDAP relationship is relID and
// signals them. The event does not name the customer, so the transfers' status is asked; visibility
// only narrows the search to the transfers in AwaitingAcceptance.
func (s *Server) signalAdminApproved(ctx context.Context, relID string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*temporalTimeout)
	defer cancel()
	var candidates []string
	var token []byte
	for len(candidates) < 1000 {
		page, err := s.opts.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: csptransfer.AwaitingAcceptanceQuery(), PageSize: 100, NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list transfers awaiting acceptance: %w", err)
		}
		for _, e := range page.GetExecutions() {
			candidates = append(candidates, e.GetExecution().GetWorkflowId())
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	type found struct {
		id     string
		status csptransfer.TransferStatus
		err    error
	}
	results := make([]found, len(candidates))
	sem := make(chan struct{}, lookupParallelism)
	var wg sync.WaitGroup
	for i, id := range candidates {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			st, err := s.opts.Transfers.Status(ctx, id)
			results[i] = found{id: id, status: st, err: err}
		}()
	}
	wg.Wait()
	var signalled []string
	var failed error
	for _, f := range results {
		if f.err != nil {
			failed = errors.Join(failed, f.err)
			continue
		}
		if !strings.EqualFold(f.status.AdminRelationshipID, relID) {
			continue
		}
		err := s.opts.Client.SignalWorkflow(ctx, f.id, "", csptransfer.SignalAdminAccessApproved, csptransfer.AdminAccessApproved{
			CustomerTenantID: f.status.CustomerTenantID, RelationshipID: relID, Source: "webhook",
		})
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
		case err != nil:
			return signalled, fmt.Errorf("signal %s: %w", f.id, err)
		default:
			signalled = append(signalled, f.id)
		}
	}
	// A transfer whose status could not be read may be the one: let Partner Center deliver again.
	if len(signalled) == 0 && failed != nil {
		return nil, failed
	}
	return signalled, nil
}

// handleStart starts a transfer from a TransferRequest, validated exactly like every other surface.
func (s *Server) handleStart(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r, MaxTransferBody)
	if !ok {
		return
	}
	req, problem := decodeRequest(body)
	if problem != nil {
		writeJSON(w, http.StatusBadRequest, errorAnswer{Error: "invalid transfer request", Problems: []csptransfer.FieldProblem{*problem}})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), temporalTimeout)
	defer cancel()
	started, err := s.opts.Transfers.Start(ctx, req)
	var verr *csptransfer.ValidationError
	switch {
	case errors.As(err, &verr):
		writeJSON(w, http.StatusBadRequest, errorAnswer{Error: "invalid transfer request", Problems: verr.Problems})
		return
	case err != nil:
		s.opts.Log.Error("start transfer", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "Temporal unavailable, retry later")
		return
	}
	status := http.StatusCreated
	if started.Existing {
		status = http.StatusOK
	}
	s.opts.Log.Info("onboarding request", zap.String("workflowId", started.WorkflowID), zap.Bool("existing", started.Existing))
	writeJSON(w, status, started)
}

// decodeRequest reads exactly one JSON TransferRequest and refuses unknown fields, so a misspelt option
// is reported rather than silently defaulted.
func decodeRequest(body []byte) (csptransfer.TransferRequest, *csptransfer.FieldProblem) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req csptransfer.TransferRequest
	if err := dec.Decode(&req); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return req, &csptransfer.FieldProblem{Message: fmt.Sprintf("body is not valid JSON (at byte %d)", syn.Offset)}
		case errors.As(err, &typ):
			return req, &csptransfer.FieldProblem{Field: typ.Field, Message: "expected a JSON " + typ.Type.String()}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return req, &csptransfer.FieldProblem{Field: csptransfer.Truncate(unknownFieldPath(body, field), 64), Message: "unknown field: not part of a TransferRequest"}
		}
		return req, &csptransfer.FieldProblem{Message: "body: " + err.Error()}
	}
	if dec.More() {
		return req, &csptransfer.FieldProblem{Message: "body holds more than one JSON value"}
	}
	return req, nil
}

// unknownFieldPath names where an unknown field sits, e.g. sourcePartner.tenantID: encoding/json reports
// only its key, so the objects of a TransferRequest that hold fields of their own are searched for it. A
// key found nowhere else is named as it is.
func unknownFieldPath(body []byte, key string) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return key
	}
	if _, ok := top[key]; ok {
		return key
	}
	// encoding/json matches field names in any letter case.
	field := func(m map[string]json.RawMessage, name string) json.RawMessage {
		for k, v := range m {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return nil
	}
	for _, obj := range []string{"sourcePartner", "provisioning"} {
		var m map[string]json.RawMessage
		if json.Unmarshal(field(top, obj), &m) == nil {
			if _, ok := m[key]; ok {
				return obj + "." + key
			}
		}
	}
	var subs []map[string]json.RawMessage
	if json.Unmarshal(field(top, "subscriptions"), &subs) == nil {
		for i, m := range subs {
			if _, ok := m[key]; ok {
				return "subscriptions[" + strconv.Itoa(i) + "]." + key
			}
		}
	}
	return key
}

// handleStatus answers a transfer's status by workflow ID or customer tenant id.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	raw := strings.ToLower(strings.TrimSpace(r.PathValue("id")))
	tenant := raw
	if t, ok := csptransfer.CustomerTenantIDFromWorkflowID(raw); ok {
		tenant = t
	}
	if !csptransfer.IsGUID(tenant) {
		writeError(w, http.StatusBadRequest, "id: expected a customer tenant id (GUID) or a workflow ID csp-transfer-<tenant id>")
		return
	}
	id := csptransfer.WorkflowID(tenant)
	ctx, cancel := context.WithTimeout(r.Context(), temporalTimeout)
	defer cancel()
	st, err := s.opts.Transfers.Status(ctx, id)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, "no transfer "+id)
		return
	case err != nil:
		s.opts.Log.Error("transfer status", zap.String("workflowId", id), zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "Temporal unavailable, retry later")
		return
	}
	writeJSON(w, http.StatusOK, statusAnswer{WorkflowID: id, UILink: s.opts.Transfers.UILink(id), TransferStatus: st})
}

// statusAnswer is the body of GET /v1/transfers/{id}.
type statusAnswer struct {
	WorkflowID string `json:"workflowId"`
	UILink     string `json:"uiLink,omitempty"`
	csptransfer.TransferStatus
}

// errorAnswer is the body of every refusal.
type errorAnswer struct {
	Error    string                     `json:"error"`
	Problems []csptransfer.FieldProblem `json:"problems,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorAnswer{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// lastSegmentAfter returns the path segment following parent in a resource URI, e.g. the customer id in
// https://api.partnercenter.microsoft.com/v1/customers/{id}.
func lastSegmentAfter(resourceURI, parent string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(resourceURI))
	if err != nil {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || !strings.EqualFold(parts[len(parts)-2], parent) {
		return "", false
	}
	return parts[len(parts)-1], true
}

// transferResource reads the customer tenant id and the transfer id from a transfer event's resource URI,
// .../customers/{customer tenant id}/transfers/{transfer id}. The event's shape is UNCONFIRMED, so a URI
// naming only the customer (.../customers/{id}) is accepted too, with no transfer id: the signal only wakes
// the transfer, which reads its request back from Partner Center either way.
func transferResource(resourceURI string) (tenant, transferID string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(resourceURI))
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	n := len(parts)
	switch {
	case n >= 4 && strings.EqualFold(parts[n-4], "customers") && strings.EqualFold(parts[n-2], "transfers"):
		tenant, transferID = parts[n-3], parts[n-1]
		if !transfers.IsPartnerTransferID(transferID) {
			return "", "", false
		}
	case n >= 2 && strings.EqualFold(parts[n-2], "customers"):
		tenant = parts[n-1]
	default:
		return "", "", false
	}
	if !csptransfer.IsGUID(tenant) {
		return "", "", false
	}
	return tenant, transferID, true
}

// isRelationshipID accepts GDAP relationship ids: Graph's are a GUID, or two GUIDs joined by a hyphen.
func isRelationshipID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF-", c) {
			return false
		}
	}
	return true
}
