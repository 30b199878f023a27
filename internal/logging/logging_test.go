package logging

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewRejectsUnknownSettings(t *testing.T) {
	tests := []struct {
		name string
		give Options
		want string
	}{
		{name: "BadFormat", give: Options{Format: "xml"}, want: `log format "xml": expected console or json`},
		{name: "BadLevel", give: Options{Level: "loud"}, want: `log level "loud": expected debug, info, warn or error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.give)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestSDKLoggerWritesJSONWithKeyValues(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(Options{Format: FormatJSON, Level: "debug", Out: &buf})
	require.NoError(t, err)

	SDKLogger(l).Info("worker started", "TaskQueue", "csp-transfer")

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, "worker started", line["msg"])
	require.Equal(t, "csp-transfer", line["TaskQueue"])
	require.Equal(t, "info", line["level"])
	require.Contains(t, line["caller"], "logging_test.go")
}

func TestLevelFiltersDebug(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(Options{Level: "warn", Out: &buf})
	require.NoError(t, err)
	SDKLogger(l).Info("hidden")
	require.Empty(t, buf.String())
}
