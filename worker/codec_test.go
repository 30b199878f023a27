package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/transfers"
	"github.com/csptransfer/csptransfer/workflows"
)

// TestPayloadsAreEncryptedAtRest starts a transfer through a worker with codec keys and reads the raw
// history from the server: neither the contact's e-mail nor the customer's name appears in it, while a
// client with the key ring reads the status as usual.
func TestPayloadsAreEncryptedAtRest(t *testing.T) {
	key, err := codec.NewKey("test-1")
	require.NoError(t, err)
	raw, _ := startWorker(t, "CSP_CODEC_KEYS", key)
	ring, err := codec.ParseRing(key)
	require.NoError(t, err)
	c, err := client.NewClientFromExisting(raw, client.Options{
		DataConverter: codec.DataConverter(ring), FailureConverter: codec.FailureConverter(ring),
	})
	require.NoError(t, err)

	tenant := uuid.NewString()
	domain := "enc-" + tenant[:8] + ".onmicrosoft.com"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started, err := transfers.Service{Client: c}.Start(ctx, workflows.TransferRequest{
		CustomerTenantID: tenant, CustomerDomain: domain, Country: "FR",
		ContactEmail: "ada.lovelace@enc.example", CustomerName: "Analytical Engines SARL",
	})
	require.NoError(t, err)
	var st workflows.TransferStatus
	require.Eventually(t, func() bool {
		st, err = transfers.Service{Client: c}.Status(ctx, started.WorkflowID)
		return err == nil && st.Stage == workflows.StageAwaitingAcceptance
	}, 30*time.Second, 200*time.Millisecond)

	// The raw bytes the server stores: payload data appears as-is in binary protobuf.
	var history []byte
	it := raw.GetWorkflowHistory(ctx, started.WorkflowID, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		b, err := proto.Marshal(e)
		require.NoError(t, err)
		history = append(history, b...)
	}
	require.True(t, bytes.Contains(history, []byte(codec.EncodingEncrypted)))
	require.True(t, bytes.Contains(history, []byte(domain)), "the domain is a search attribute, in plain text by design: the search sees plain text")
	for _, secret := range []string{"ada.lovelace", "enc.example", "Analytical Engines"} {
		require.False(t, bytes.Contains(history, []byte(secret)), "%q stored in plain text", secret)
	}
	// The raw client cannot read the query answer; the keyed client can.
	_, err = transfers.Service{Client: raw}.Status(ctx, started.WorkflowID)
	require.Error(t, err)
}
