package temporalconn

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"

	"github.com/csptransfer/csptransfer/internal/codec"
	"github.com/csptransfer/csptransfer/internal/config"
)

// SettingsError is a Temporal or codec setting that cannot be used; nothing was dialled. Command-line
// programs report it as a usage error.
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Conn is a command-line program's connection to Temporal.
type Conn struct {
	Client    client.Client
	Address   string
	Namespace string
}

// DialOnce connects a command-line program to Temporal, failing fast: within timeout, or an error naming
// the address it could not reach, instead of retrying forever. It reads the settings the worker reads:
// TEMPORAL_* and temporal.toml profiles through envconfig, and the payload keys (CSP_CODEC_KEYS or
// CSP_CODEC_KEYS_FILE) so the program reads and writes payloads the worker encrypts. The SDK's warnings
// go to logOut.
func DialOnce(ctx context.Context, env envconfig.EnvLookup, logOut io.Writer, timeout time.Duration) (Conn, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: env})
	if err != nil {
		//lint:ignore ST1005 Temporal is a name
		return Conn{}, &SettingsError{Err: fmt.Errorf("Temporal settings (TEMPORAL_* or temporal.toml): %w", err)}
	}
	addr := opts.HostPort
	if addr == "" {
		addr = client.DefaultHostPort
	}
	ns := namespace(opts)
	ring, err := config.LoadCodec(env)
	if err != nil {
		return Conn{}, &SettingsError{Err: err}
	}
	opts.DataConverter = codec.DataConverter(ring)
	opts.FailureConverter = codec.FailureConverter(ring)
	// The SDK logs at info level by default; a person at a terminal only needs its warnings.
	opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn})))
	opts.ConnectionOptions.GetSystemInfoTimeout = timeout
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		return Conn{}, fmt.Errorf("cannot reach Temporal at %s (namespace %s) within %s: %w (is the server running? set TEMPORAL_ADDRESS or TEMPORAL_PROFILE)",
			addr, ns, timeout, err)
	}
	return Conn{Client: c, Address: addr, Namespace: ns}, nil
}
