// Package logging builds the process logger (zap) and bridges it into the Temporal SDK's logger, so the
// worker's own lines and the SDK's lines share one format and one sink.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// Format is how log lines are written.
type Format string

const (
	// FormatConsole is human-readable, for a terminal.
	FormatConsole Format = "console"
	// FormatJSON is one JSON object per line, for log collectors.
	FormatJSON Format = "json"
)

// Options configure New.
type Options struct {
	// Optional: console or json.
	// default: console
	Format Format
	// Optional: debug, info, warn or error.
	// default: info
	Level string
	// Optional: where lines go.
	// default: os.Stderr
	Out io.Writer
}

// New builds a zap logger.
func New(opts Options) (*zap.Logger, error) {
	level := zapcore.InfoLevel
	if opts.Level != "" {
		if err := level.Set(strings.ToLower(opts.Level)); err != nil {
			return nil, fmt.Errorf("log level %q: expected debug, info, warn or error", opts.Level)
		}
	}
	out := opts.Out
	if out == nil {
		out = os.Stderr
	}
	var enc zapcore.Encoder
	switch opts.Format {
	case "", FormatConsole:
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewConsoleEncoder(cfg)
	case FormatJSON:
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	default:
		return nil, fmt.Errorf("log format %q: expected console or json", opts.Format)
	}
	core := zapcore.NewCore(enc, zapcore.AddSync(out), level)
	return zap.New(core, zap.AddCaller()), nil
}

// SDKLogger adapts a zap logger to the Temporal SDK's log.Logger, keeping the caller of the workflow or
// activity line. Stack traces are left out: the SDK logs every failed activity attempt at error level
// and the failure already carries its own trace.
func SDKLogger(l *zap.Logger) log.Logger {
	h := zapslog.NewHandler(l.Core(), zapslog.WithCaller(true), zapslog.AddStacktraceAt(slog.Level(100)))
	return log.NewStructuredLogger(slog.New(h))
}

// Slog adapts a zap logger to log/slog for components that take a *slog.Logger.
func Slog(l *zap.Logger) *slog.Logger {
	return slog.New(zapslog.NewHandler(l.Core(), zapslog.WithCaller(true), zapslog.AddStacktraceAt(slog.Level(100))))
}
