package trigger

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"

	"github.com/csptransfer/csptransfer/internal/codec"
)

// maxCodecBody bounds one encode or decode request: a page of history payloads.
const maxCodecBody = 4 << 20

// CodecHandler serves Temporal's remote codec protocol at <prefix>/encode and <prefix>/decode (also with a
// namespace segment, <prefix>/<namespace>/decode), so the Temporal UI and CLI show decrypted payloads while
// the history on the server stays encrypted. Browsers from the allowed origins may call it (CORS); a
// non-empty token is required as "Authorization: Bearer <token>", compared in constant time.
//
// It answers only requests whose Host header is a loopback name or address (any port) or one of hosts
// ("name" for any port, "name:port" for that port only), and refuses others with 421 Misdirected Request:
// a web page that rebinds its own DNS name to this service's address still sends its own name, so it can
// neither read decrypted payloads nor have the endpoint encrypt for it.
func CodecHandler(ring *codec.Ring, token string, origins []string, hosts ...string) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(codec.Codec{Ring: ring})
	sum := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !codecHostAllowed(r.Host, hosts) {
			writeError(w, http.StatusMisdirectedRequest, "the codec endpoint answers only under a loopback name or a host in CSP_CODEC_HOSTS")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(origins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Headers", "Authorization,Content-Type,X-Namespace")
			h.Set("Access-Control-Allow-Methods", "POST,OPTIONS")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return
		}
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "the codec endpoint takes POST")
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/encode") && !strings.HasSuffix(r.URL.Path, "/decode") {
			writeError(w, http.StatusNotFound, "codec paths end in /encode or /decode")
			return
		}
		if token != "" {
			given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			givenSum := sha256.Sum256([]byte(given))
			if !ok || subtle.ConstantTimeCompare(givenSum[:], sum[:]) != 1 {
				writeError(w, http.StatusUnauthorized, "the codec endpoint needs Authorization: Bearer <CSP_CODEC_TOKEN>")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxCodecBody)
		inner.ServeHTTP(w, r)
	})
}

// codecHostAllowed reports whether a Host header names this service: localhost or a loopback address on
// any port, or an entry of hosts.
func codecHostAllowed(host string, hosts []string) bool {
	name, port := splitHost(host)
	if name == "" {
		return false
	}
	if name == "localhost" {
		return true
	}
	if ip, err := netip.ParseAddr(name); err == nil && ip.Unmap().IsLoopback() {
		return true
	}
	for _, h := range hosts {
		if n, p := splitHost(h); n == name && (p == "" || p == port) {
			return true
		}
	}
	return false
}

// splitHost splits "name", "name:port", "[v6]" or "[v6]:port" into a lower-case name without brackets or
// a trailing dot, and the port ("" when none).
func splitHost(hostport string) (name, port string) {
	name = strings.ToLower(strings.TrimSpace(hostport))
	if n, p, err := net.SplitHostPort(name); err == nil {
		name, port = n, p
	}
	name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]"), ".")
	return name, port
}
