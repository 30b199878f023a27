package trigger

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
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
func CodecHandler(ring *codec.Ring, token string, origins []string) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(codec.Codec{Ring: ring})
	sum := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
