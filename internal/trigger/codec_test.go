package trigger_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/trigger"
)

func TestCodecEndpoint(t *testing.T) {
	key, err := codec.NewKey("k1")
	require.NoError(t, err)
	ring, err := codec.ParseRing(key)
	require.NoError(t, err)
	srv := httptest.NewServer(trigger.CodecHandler(ring, "codec-token-0123456789", []string{"http://localhost:8233"}))
	defer srv.Close()

	p, err := codec.DataConverter(ring).ToPayload(map[string]string{"contactEmail": "ada@enc.example"})
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	require.NoError(t, err)

	post := func(path, token, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", "default")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}

	t.Run("DecodesForTheUI", func(t *testing.T) {
		resp := post("/codec/decode", "codec-token-0123456789", "http://localhost:8233")
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
		var out commonpb.Payloads
		buf := new(bytes.Buffer)
		_, _ = buf.ReadFrom(resp.Body)
		require.NoError(t, protojson.Unmarshal(buf.Bytes(), &out))
		require.Contains(t, string(out.Payloads[0].Data), "ada@enc.example")
	})
	t.Run("NamespacePath", func(t *testing.T) {
		resp := post("/codec/default/decode", "codec-token-0123456789", "")
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("NoTokenNoData", func(t *testing.T) {
		for _, tok := range []string{"", "wrong-token-0123456789"} {
			resp := post("/codec/decode", tok, "")
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		}
	})
	t.Run("UnknownOriginGetsNoCORS", func(t *testing.T) {
		resp := post("/codec/decode", "codec-token-0123456789", "https://evil.example")
		resp.Body.Close()
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("Preflight", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
		req.Header.Set("Origin", "http://localhost:8233")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	})
	t.Run("LoopbackHosts", func(t *testing.T) {
		for _, host := range []string{"localhost:8090", "LOCALHOST", "localhost.:8090", "127.0.0.1:8090", "127.8.9.10", "[::1]:8090", "[::1]"} {
			resp := postTo(t, srv.URL, host, "codec-token-0123456789")
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, host)
		}
	})
	t.Run("ForeignHostRefused", func(t *testing.T) {
		// A page on rebind.example that resolves its own name to this service still sends its own name.
		for _, host := range []string{"rebind.example:8090", "localhost.rebind.example", "127.0.0.1.nip.io:8090", "trigger:8090"} {
			resp := postTo(t, srv.URL, host, "codec-token-0123456789")
			resp.Body.Close()
			require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, host)
		}
	})
	t.Run("OnlyPost", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/codec/decode")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}

// TestCodecEndpointHosts: besides loopback, the endpoint answers under the configured names only, a name
// alone on any port, a name with a port on that port only; the token is checked under every name.
func TestCodecEndpointHosts(t *testing.T) {
	key, err := codec.NewKey("k1")
	require.NoError(t, err)
	ring, err := codec.ParseRing(key)
	require.NoError(t, err)
	const token = "codec-token-0123456789"
	srv := httptest.NewServer(trigger.CodecHandler(ring, token, nil, "codec.partner.example", "trigger:8090"))
	defer srv.Close()
	tests := []struct {
		host, token string
		want        int
	}{
		{host: "codec.partner.example", token: token, want: http.StatusOK},
		{host: "Codec.Partner.Example:443", token: token, want: http.StatusOK},
		{host: "trigger:8090", token: token, want: http.StatusOK},
		{host: "localhost:8090", token: token, want: http.StatusOK},
		{host: "trigger:9999", token: token, want: http.StatusMisdirectedRequest},
		{host: "trigger", token: token, want: http.StatusMisdirectedRequest},
		{host: "evil.codec.partner.example", token: token, want: http.StatusMisdirectedRequest},
		{host: "codec.partner.example.evil.example", token: token, want: http.StatusMisdirectedRequest},
		{host: "codec.partner.example", token: "", want: http.StatusUnauthorized},
		{host: "codec.partner.example", token: "wrong-token-0123456789", want: http.StatusUnauthorized},
		{host: "evil.example", token: "", want: http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.host+"/"+tt.token, func(t *testing.T) {
			resp := postTo(t, srv.URL, tt.host, tt.token)
			resp.Body.Close()
			require.Equal(t, tt.want, resp.StatusCode)
		})
	}
	t.Run("PreflightFromForeignHost", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodOptions, srv.URL+"/codec/decode", nil)
		require.NoError(t, err)
		req.Host = "evil.example"
		req.Header.Set("Origin", "http://evil.example")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	})
}

// postTo sends an (empty) decode request to base with the given Host header and bearer token.
func postTo(t *testing.T, base, host, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/codec/decode", strings.NewReader(`{"payloads":[]}`))
	require.NoError(t, err)
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}
