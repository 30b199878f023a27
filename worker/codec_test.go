package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/csptransfer/csptransfer"
	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/demo"
	"github.com/csptransfer/csptransfer/internal/transfers"
	"github.com/csptransfer/csptransfer/internal/trigger"
	"github.com/csptransfer/csptransfer/workflows"
)

// goldenKeys is the test-only key ring of the encrypted golden history (never used outside tests).
const goldenKeys = "../workflows/testdata/encrypted.keys"

// TestPayloadsAreEncryptedAtRest runs a whole sandbox transfer through a worker with codec keys and reads
// the raw history from the server: neither the contact's e-mail nor the customer's name appears in it.
// The same history decodes through the trigger service's codec endpoint, and replays with the key ring.
func TestPayloadsAreEncryptedAtRest(t *testing.T) {
	keys, err := os.ReadFile(goldenKeys)
	require.NoError(t, err)
	ring, err := codec.ParseRing(strings.TrimSpace(string(keys)))
	require.NoError(t, err)
	raw, m := startWorker(t, "CSP_CODEC_KEYS_FILE", goldenKeys)
	c, err := client.NewClientFromExisting(raw, client.Options{
		DataConverter: codec.DataConverter(ring), FailureConverter: codec.FailureConverter(ring),
	})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var story bytes.Buffer
	res, err := demo.Run(ctx, demo.Options{Client: c, SandboxURL: m.SandboxURL, Out: &story, ExpiresIn: 20 * time.Second})
	require.NoError(t, err, story.String())
	require.True(t, res.OK)
	id := csptransfer.WorkflowID(res.Report.CustomerTenantID)

	// The raw bytes the server stores: payload data appears as-is in binary protobuf.
	var stored []byte
	var events []*historypb.HistoryEvent
	it := raw.GetWorkflowHistory(ctx, id, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
		b, err := proto.Marshal(e)
		require.NoError(t, err)
		stored = append(stored, b...)
	}
	require.True(t, bytes.Contains(stored, []byte(codec.EncodingEncrypted)))
	require.True(t, bytes.Contains(stored, []byte(res.Report.CustomerDomain)), "the domain is a search attribute, plain by design: the search sees plain text")
	for _, secret := range []string{"it-admin@", "Demo SARL"} {
		require.False(t, bytes.Contains(stored, []byte(secret)), "%q stored in plain text", secret)
	}
	_, err = transfers.Service{Client: raw}.Status(ctx, id)
	require.Error(t, err, "without the keys the answer cannot be read")

	// The trigger service's codec endpoint decodes the stored input for the UI.
	srv := httptest.NewServer(trigger.CodecHandler(ring, "", nil))
	defer srv.Close()
	input := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
	body, err := protojson.Marshal(input)
	require.NoError(t, err)
	resp, err := http.Post(srv.URL+"/codec/decode", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var decoded commonpb.Payloads
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	require.NoError(t, protojson.Unmarshal(buf.Bytes(), &decoded), buf.String())
	require.Contains(t, string(decoded.Payloads[0].Data), "it-admin@")

	// The encrypted history replays with the key ring (and is kept as a golden history).
	h := &historypb.History{Events: events}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter: codec.DataConverter(ring), FailureConverter: codec.FailureConverter(ring),
	})
	require.NoError(t, err)
	r.RegisterWorkflowWithOptions(workflows.Transfer, workflow.RegisterOptions{Name: csptransfer.WorkflowType})
	require.NoError(t, r.ReplayWorkflowHistory(nil, h))
	if os.Getenv(goldenEnv) == "1" {
		path := filepath.Join("..", "workflows", "testdata", "transfer-encrypted.json")
		if _, err := os.Stat(path); err != nil {
			b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, b, 0o644))
		}
	}
}
