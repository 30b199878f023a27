package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	audPartnerCenter = "https://api.partnercenter.microsoft.com"
	audGraph         = "https://graph.microsoft.com"
	tokenPrefix      = "sbx1."
	tokenLifetime    = 3599 * time.Second
)

// claims is what a sandbox token carries. Expiry is measured on the wall clock, not the
// sandbox clock, so advancing the sandbox clock does not invalidate tokens clients cached.
type claims struct {
	TenantID string `json:"tid"`
	AppID    string `json:"appid"`
	Audience string `json:"aud"`
	// User is true for App+User (refresh token) tokens.
	User    bool  `json:"usr"`
	Refresh bool  `json:"rt,omitempty"`
	Expires int64 `json:"exp"`
	Issued  int64 `json:"iat"`
}

func (s *Sandbox) issue(c claims) string {
	payload, _ := json.Marshal(c) // claims has only plain fields
	p := base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.st.TokenKey)
	mac.Write([]byte(tokenPrefix + p))
	return tokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

var errBadToken = errors.New("token is malformed or its signature is invalid")

func (s *Sandbox) parseToken(tok string) (claims, error) {
	var c claims
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return c, errBadToken
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return c, errBadToken
	}
	mac := hmac.New(sha256.New, s.st.TokenKey)
	mac.Write([]byte(tokenPrefix + p))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return c, errBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, errBadToken
	}
	return c, nil
}

// bearer extracts and checks the bearer token of r. Callers hold the lock.
func (s *Sandbox) bearer(r *http.Request) (claims, string) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return claims{}, "the request has no bearer token in the Authorization header"
	}
	c, err := s.parseToken(strings.TrimSpace(tok))
	if err != nil || c.Refresh {
		return claims{}, "the bearer token is not a token issued by this sandbox"
	}
	if s.now().Unix() >= c.Expires {
		return claims{}, "the bearer token has expired"
	}
	return c, ""
}

type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	ErrorCodes  []int  `json:"error_codes"`
	Timestamp   string `json:"timestamp"`
	TraceID     string `json:"trace_id"`
	Correlation string `json:"correlation_id"`
}

type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (s *Sandbox) entraErr(status int, code string, aadsts int, desc string) reply {
	return jsonReply(status, entraError{
		Error:       code,
		Description: "AADSTS" + itoa(aadsts) + ": " + desc,
		ErrorCodes:  []int{aadsts},
		Timestamp:   s.now().UTC().Format("2006-01-02 15:04:05Z"),
		TraceID:     s.newID(),
		Correlation: s.newID(),
	})
}

// handleToken emulates {authority}/{tenant}/oauth2/v2.0/token for the client-credentials
// and refresh-token grants.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	body, err := readAll(r)
	if err != nil {
		s.entraErr(http.StatusBadRequest, "invalid_request", 900144, err.Error()).write(w)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.entraErr(http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.").write(w)
		return
	}
	s.locked(w, func(time.Time) reply { return s.tokenLocked(tenant, form) })
}

func (s *Sandbox) tokenLocked(tenant string, form url.Values) reply {
	tid, ok := s.resolveTenantLocked(tenant)
	if !ok {
		return s.entraErr(http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
	}
	grant := form.Get("grant_type")
	if grant != "client_credentials" && grant != "refresh_token" {
		return s.entraErr(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'.")
	}
	if form.Get("client_id") == "" {
		return s.entraErr(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
	}
	if form.Get("client_id") != ClientID {
		return s.entraErr(http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+form.Get("client_id")+"' was not found in the directory.")
	}
	if form.Get("client_secret") == "" {
		return s.entraErr(http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
	}
	if !hmac.Equal([]byte(form.Get("client_secret")), []byte(ClientSecret)) {
		return s.entraErr(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
	}
	aud, user, msg := parseScope(form.Get("scope"))
	if msg != "" {
		return s.entraErr(http.StatusBadRequest, "invalid_scope", 70011, msg)
	}
	now := s.now()
	c := claims{TenantID: tid, AppID: ClientID, Audience: aud, Issued: now.Unix(), Expires: now.Add(tokenLifetime).Unix()}
	resp := tokenResponse{TokenType: "Bearer", ExpiresIn: int(tokenLifetime / time.Second), ExtExpiresIn: int(tokenLifetime / time.Second)}
	switch grant {
	case "client_credentials":
		if user {
			return s.entraErr(http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		}
	case "refresh_token":
		rt := form.Get("refresh_token")
		if rt == "" {
			return s.entraErr(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
		}
		if !hmac.Equal([]byte(rt), []byte(RefreshToken)) {
			rc, err := s.parseToken(rt)
			if err != nil || !rc.Refresh || rc.TenantID != tid || s.now().Unix() >= rc.Expires {
				return s.entraErr(http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
			}
		}
		c.User = true
		resp.RefreshToken = s.issue(claims{TenantID: tid, AppID: ClientID, Refresh: true, Issued: now.Unix(), Expires: now.AddDate(0, 0, 90).Unix()})
		resp.Scope = form.Get("scope")
	}
	resp.AccessToken = s.issue(c)
	return jsonReply(http.StatusOK, resp)
}

// parseScope maps the requested scopes to one audience and reports whether a delegated
// (user_impersonation) scope was asked for.
func parseScope(scope string) (aud string, user bool, msg string) {
	for _, sc := range strings.Fields(scope) {
		switch strings.ToLower(sc) {
		case "offline_access", "openid", "profile":
			continue
		case "https://api.partnercenter.microsoft.com/.default":
			aud = join(aud, audPartnerCenter)
		case "https://api.partnercenter.microsoft.com/user_impersonation":
			aud, user = join(aud, audPartnerCenter), true
		case "https://graph.microsoft.com/.default":
			aud = join(aud, audGraph)
		default:
			return "", false, "The provided request must include a 'scope' input parameter of a known resource; '" + sc + "' is not one the sandbox serves."
		}
	}
	if aud == "" {
		return "", false, "The provided request must include a 'scope' input parameter."
	}
	if strings.Contains(aud, " ") {
		return "", false, "Scopes for more than one resource were requested; ask for one resource per token."
	}
	return aud, user, ""
}

func join(a, b string) string {
	if a == "" || a == b {
		return b
	}
	return a + " " + b
}

// resolveTenantLocked accepts a partner (transacting or source) or customer tenant id, or a customer domain.
func (s *Sandbox) resolveTenantLocked(t string) (string, bool) {
	t = strings.ToLower(t)
	if _, ok := s.st.Partners[t]; ok {
		return t, true
	}
	if _, ok := s.sources[t]; ok {
		return t, true
	}
	if _, ok := s.st.Customers[t]; ok {
		return t, true
	}
	if c, ok := s.customerByDomainLocked(t); ok {
		return c.TenantID, true
	}
	return "", false
}
