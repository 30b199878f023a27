package sandbox

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
)

const maxReplays = 1000

func (s *Sandbox) routes() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("POST /login/{tenant}/oauth2/v2.0/token", s.handleToken)

	// Partner Center
	api.HandleFunc("GET /v1/profiles/legalbusiness", s.pc(false, s.pcLegalBusiness))
	api.HandleFunc("GET /v1/customers", s.pc(false, s.pcListCustomers))
	api.HandleFunc("GET /v1/customers/relationshiprequests", s.pc(true, s.pcRelationshipRequest))
	api.HandleFunc("GET /v1/customers/{customerId}", s.pcCustomer(false, s.pcGetCustomer))
	api.HandleFunc("GET /v1/customers/{customerId}/profiles/company", s.pcCustomer(false, s.pcCompanyProfile))
	api.HandleFunc("GET /v1/customers/{customerId}/profiles/billing", s.pcCustomer(false, s.pcBillingProfile))
	api.HandleFunc("GET /v1/agreements", s.pc(false, s.pcAgreementTemplates))
	api.HandleFunc("GET /v1/customers/{customerId}/agreements", s.pcCustomer(false, s.pcListAgreements))
	api.HandleFunc("POST /v1/customers/{customerId}/agreements", s.pcCustomer(false, s.pcCreateAgreement))
	api.HandleFunc("GET /v1/customers/{customerId}/directSignedMicrosoftCustomerAgreementStatus", s.pcCustomer(false, s.pcDirectSigned))
	for _, prefix := range []string{"/v1", "/v1/customers/{customerId}"} {
		api.HandleFunc("GET "+prefix+"/products", s.pc(false, s.pcProducts))
		api.HandleFunc("GET "+prefix+"/products/{productId}", s.pc(false, s.pcProduct))
		api.HandleFunc("GET "+prefix+"/products/{productId}/skus", s.pc(false, s.pcSkus))
		api.HandleFunc("GET "+prefix+"/products/{productId}/skus/{skuId}", s.pc(false, s.pcSku))
		api.HandleFunc("GET "+prefix+"/products/{productId}/skus/{skuId}/availabilities", s.pc(false, s.pcAvailabilities))
	}
	api.HandleFunc("POST /v1/customers/{customerId}/carts", s.pc(false, s.pcCreateCart))
	api.HandleFunc("GET /v1/customers/{customerId}/carts/{cartId}", s.pcCustomer(false, s.pcGetCart))
	api.HandleFunc("POST /v1/customers/{customerId}/carts/{cartId}/checkout", s.handleCheckout)
	api.HandleFunc("GET /v1/customers/{customerId}/orders", s.pcCustomer(false, s.pcListOrders))
	api.HandleFunc("GET /v1/customers/{customerId}/orders/{orderId}", s.pcCustomer(false, s.pcGetOrder))
	api.HandleFunc("GET /v1/customers/{customerId}/orders/{orderId}/provisioningstatus", s.pcCustomer(false, s.pcOrderProvisioningStatus))
	api.HandleFunc("GET /v1/customers/{customerId}/subscriptions", s.pcCustomer(false, s.pcListSubscriptions))
	api.HandleFunc("GET /v1/customers/{customerId}/subscriptions/{subscriptionId}", s.pcCustomer(false, s.pcGetSubscription))
	api.HandleFunc("PATCH /v1/customers/{customerId}/subscriptions/{subscriptionId}", s.pcCustomer(false, s.pcPatchSubscription))
	api.HandleFunc("GET /v1/customers/{customerId}/subscriptions/{subscriptionId}/provisioningstatus", s.pcCustomer(false, s.pcProvisioningStatus))
	api.HandleFunc("GET /v1/customers/{customerId}/subscribedskus", s.pcCustomer(true, s.pcSubscribedSkus))
	api.HandleFunc("POST /v1/customers/{customerId}/transfers", s.pcTransfer(s.pcCreateTransfer))
	api.HandleFunc("GET /v1/customers/{customerId}/transfers", s.pcTransfer(s.pcListTransfers))
	api.HandleFunc("GET /v1/customers/{customerId}/transfers/{transferId}", s.pcTransfer(s.pcGetTransfer))
	api.HandleFunc("PATCH /v1/customers/{customerId}/transfers/{transferId}", s.pcTransfer(s.pcPatchTransfer))
	api.HandleFunc("GET /v1/auditrecords", s.pc(false, s.pcAuditRecords))
	api.HandleFunc("GET /v1/auditrecords/{id}", s.pc(false, s.pcAuditRecord))
	api.HandleFunc("GET /webhooks/v1/registration/events", s.pc(false, s.pcWebhookEvents))
	api.HandleFunc("GET /webhooks/v1/registration", s.pc(false, s.pcGetRegistration))
	api.HandleFunc("POST /webhooks/v1/registration", s.pc(false, s.pcPutRegistration))
	api.HandleFunc("PUT /webhooks/v1/registration", s.pc(false, s.pcPutRegistration))
	api.HandleFunc("DELETE /webhooks/v1/registration", s.pc(false, s.pcDeleteRegistration))
	api.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		pcErr(http.StatusNotFound, 1000, "The sandbox does not serve "+r.Method+" "+r.URL.Path+".").write(w)
	})
	api.HandleFunc("/webhooks/", func(w http.ResponseWriter, r *http.Request) {
		pcErr(http.StatusNotFound, 1000, "The sandbox does not serve "+r.Method+" "+r.URL.Path+".").write(w)
	})

	// Microsoft Graph
	const g = "/graph/v1.0"
	api.HandleFunc("GET "+g+"/directory/subscriptions", s.graphCustomer(s.graphListSubscriptions))
	api.HandleFunc("GET "+g+"/directory/subscriptions/{id}", s.graphCustomer(s.graphGetSubscription))
	api.HandleFunc("GET "+g+"/subscribedSkus", s.graphCustomer(s.graphSubscribedSkus))
	api.HandleFunc("GET "+g+"/users", s.graphCustomer(s.graphListUsers))
	api.HandleFunc("GET "+g+"/users/{id}", s.graphCustomer(s.graphGetUser))
	api.HandleFunc("POST "+g+"/users/{id}/assignLicense", s.graphCustomer(s.graphAssignUserLicense))
	api.HandleFunc("GET "+g+"/groups", s.graphCustomer(s.graphListGroups))
	api.HandleFunc("GET "+g+"/groups/{id}", s.graphCustomer(s.graphGetGroup))
	api.HandleFunc("GET "+g+"/groups/{id}/members", s.graphCustomer(s.graphGroupMembers))
	api.HandleFunc("POST "+g+"/groups/{id}/assignLicense", s.graphCustomer(s.graphAssignGroupLicense))
	api.HandleFunc("GET "+g+"/tenantRelationships/delegatedAdminRelationships", s.graphPartner(s.gdapList))
	api.HandleFunc("POST "+g+"/tenantRelationships/delegatedAdminRelationships", s.graphPartner(s.gdapCreate))
	api.HandleFunc("GET "+g+"/tenantRelationships/delegatedAdminRelationships/{id}", s.graphPartner(s.gdapGet))
	api.HandleFunc("POST "+g+"/tenantRelationships/delegatedAdminRelationships/{id}/requests", s.graphPartner(s.gdapRequest))
	api.HandleFunc(g+"/", func(w http.ResponseWriter, r *http.Request) {
		s.graphErr(http.StatusNotFound, "Request_ResourceNotFound", "The sandbox does not serve "+r.Method+" "+r.URL.Path+".").write(w)
	})

	// Sandbox administration and the simulated admin center.
	admin := http.NewServeMux()
	admin.HandleFunc("GET /sandbox/admin-center/partner-invitation", s.handleInvitationPage)
	admin.HandleFunc("POST /sandbox/admin-center/partner-invitation", s.handleInvitationAccept)
	admin.HandleFunc("POST /sandbox/admin-center/gdap/{id}/approve", s.handleAdminCenterApprove)
	admin.HandleFunc("GET "+GDAPApprovalPath+"/{id}", s.handleGDAPPage)
	admin.HandleFunc("POST "+GDAPApprovalPath+"/{id}", s.handleGDAPPageApprove)
	admin.HandleFunc("GET /sandbox/catalog", s.handleListCatalog)
	admin.HandleFunc("POST /sandbox/catalog/items", s.handleAddCatalogItem)
	admin.HandleFunc("POST /sandbox/catalog/skus/{partNumber}/retire", s.handleRetireSku)
	admin.HandleFunc("GET /sandbox/customers", s.handleListCustomers)
	admin.HandleFunc("POST /sandbox/customers", s.handleCreateCustomer)
	admin.HandleFunc("GET /sandbox/customers/{tenantId}", s.handleGetCustomer)
	admin.HandleFunc("POST /sandbox/customers/{tenantId}/accept", s.handleAccept)
	admin.HandleFunc("POST /sandbox/customers/{tenantId}/sign-agreement", s.handleSignAgreement)
	admin.HandleFunc("GET /sandbox/customers/{tenantId}/transfers", s.handleListTransfers)
	admin.HandleFunc("POST /sandbox/customers/{tenantId}/transfers/{transferId}/accept", s.handleAcceptTransfer)
	admin.HandleFunc("POST /sandbox/customers/{tenantId}/transfers/{transferId}/reject", s.handleRejectTransfer)
	admin.HandleFunc("POST /sandbox/customers/{tenantId}/transfers/{transferId}/expire", s.handleExpireTransfer)
	admin.HandleFunc("POST /sandbox/gdap/{id}/approve", s.handleApproveGDAP)
	admin.HandleFunc("GET /sandbox/clock", s.handleGetClock)
	admin.HandleFunc("POST /sandbox/clock", s.handleSetClock)
	admin.HandleFunc("GET /sandbox/faults", s.handleGetFaults)
	admin.HandleFunc("PUT /sandbox/faults", s.handlePutFaults)
	admin.HandleFunc("DELETE /sandbox/faults", s.handleDeleteFaults)
	admin.HandleFunc("GET /sandbox/ledger", s.handleLedger)
	admin.HandleFunc("GET /sandbox/calls", s.handleGetCalls)
	admin.HandleFunc("DELETE /sandbox/calls", s.handleDeleteCalls)
	admin.HandleFunc("GET /sandbox/webhook", s.handleGetWebhook)
	admin.HandleFunc("PUT /sandbox/webhook", s.handlePutWebhook)
	admin.HandleFunc("GET /sandbox/settings", s.handleGetSettings)
	admin.HandleFunc("PUT /sandbox/settings", s.handlePutSettings)
	admin.HandleFunc("POST /sandbox/reset", s.handleReset)
	admin.HandleFunc("GET /sandbox/certs/root.pem", s.handleCert(func(*keyMaterial) []byte { return []byte(s.st.CACertPEM) }))
	admin.HandleFunc("GET /sandbox/certs/webhook.cer", s.handleCertDER)
	admin.HandleFunc("/sandbox/", func(w http.ResponseWriter, r *http.Request) {
		adminErr(http.StatusNotFound, "", "no sandbox endpoint "+r.Method+" "+r.URL.Path+"; see internal/sandbox/README.md").write(w)
	})

	root := http.NewServeMux()
	root.Handle("/sandbox/", admin)
	root.Handle("/", s.withCalls(api, s.withFaults(s.withReplay(api))))
	return s.withCommon(root)
}

func (s *Sandbox) handleCertDER(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	der := s.keys.signCert.Raw
	s.mu.Unlock()
	reply{status: http.StatusOK, raw: der, ctype: "application/pkix-cert"}.write(w)
}

// withCommon bounds request bodies and echoes the correlation headers Microsoft echoes.
func (s *Sandbox) withCommon(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		for _, h := range []string{"MS-CorrelationId", "MS-RequestId", "client-request-id"} {
			if v := r.Header.Get(h); v != "" && len(v) <= 128 {
				w.Header().Set(h, v)
			}
		}
		if strings.HasPrefix(r.URL.Path, "/graph/") {
			w.Header().Set("request-id", s.newID())
		}
		next.ServeHTTP(w, r)
	})
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func isMutation(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// withReplay makes MS-RequestId an idempotency key for Partner Center: a mutation retried with
// the same MS-RequestId (same tenant, method and path) gets the first response again without
// acting twice, and a retry that arrives while the first is still running waits for it. Graph
// offers no such replay (a repeated create is refused, e.g. 409 for a GDAP display name), so
// neither does the sandbox for /graph.
func (s *Sandbox) withReplay(next http.Handler) http.Handler {
	inflight := map[string]chan struct{}{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := r.Header.Get("MS-RequestId")
		if rid == "" || !isMutation(r.Method) || strings.HasPrefix(r.URL.Path, "/login/") || strings.HasPrefix(r.URL.Path, "/graph/") {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		tenant := "anonymous"
		if c, msg := s.bearer(r); msg == "" {
			tenant = c.TenantID
		}
		key := tenant + " " + r.Method + " " + r.URL.Path + " " + rid
		for {
			if saved, ok := s.st.Replays[key]; ok {
				s.mu.Unlock()
				for k, v := range saved.Header {
					w.Header().Set(k, v)
				}
				w.Header().Set("X-Sandbox-Replayed", "true")
				w.WriteHeader(saved.Status)
				_, _ = w.Write(saved.Body)
				return
			}
			ch, busy := inflight[key]
			if !busy {
				break
			}
			s.mu.Unlock()
			select {
			case <-ch:
			case <-r.Context().Done():
				return
			}
			s.mu.Lock()
		}
		done := make(chan struct{})
		inflight[key] = done
		s.mu.Unlock()

		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}

		s.mu.Lock()
		// Only final answers are remembered. Server faults, throttling, authentication
		// failures and "cart in progress" are transient: a retry with the same id must run.
		if rememberable(rec.status) {
			hdr := map[string]string{}
			for _, k := range []string{"Content-Type", "Location", "Retry-After"} {
				if v := rec.header.Get(k); v != "" {
					hdr[k] = v
				}
			}
			s.st.Replays[key] = &savedResponse{Status: rec.status, Header: hdr, Body: slices.Clone(rec.body.Bytes())}
			s.st.ReplayOrder = append(s.st.ReplayOrder, key)
			if len(s.st.ReplayOrder) > maxReplays {
				delete(s.st.Replays, s.st.ReplayOrder[0])
				s.st.ReplayOrder = s.st.ReplayOrder[1:]
			}
			s.p.replaysAdded = append(s.p.replaysAdded, key)
			s.dirty = true
		}
		delete(inflight, key)
		close(done)
		commit := s.requestFlushLocked()
		s.mu.Unlock()
		// The replay is also kept in memory; a failed save only loses it on restart.
		_ = commit.wait()

		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

func rememberable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusConflict, http.StatusUnauthorized:
		return false
	}
	return status < 500
}

var _ http.ResponseWriter = (*recorder)(nil)
