package trigger_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
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
	t.Run("OnlyPost", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/codec/decode")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}
