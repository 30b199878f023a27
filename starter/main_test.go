package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/config"
)

func TestSearchAttributesListsTheContract(t *testing.T) {
	var out bytes.Buffer
	root := newRoot(&out)
	root.SetArgs([]string{"search-attributes"})
	require.NoError(t, root.Execute())
	require.Equal(t, "CspCustomerTenantId Keyword\nCspCustomerDomain Keyword\nCspPartnerTenantId Keyword\nCspStage Keyword\nCspNextActionAt Datetime\n", out.String())
}

// Links point at --ui, else CSP_UI_URL, else the UI port make run was given, else the dev server's UI.
func TestUIBaseURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  config.Map
		args []string
		want string
		err  string
	}{
		{"default", config.Map{}, nil, "http://localhost:8233", ""},
		{"CSP_UI_URL", config.Map{"CSP_UI_URL": " https://temporal.example.com/ui ", "TEMPORAL_UI_PORT": "18233"}, nil, "https://temporal.example.com/ui", ""},
		{"TEMPORAL_UI_PORT", config.Map{"TEMPORAL_UI_PORT": "18233"}, nil, "http://localhost:18233", ""},
		{"--ui wins", config.Map{"CSP_UI_URL": "http://a.example", "TEMPORAL_UI_PORT": "18233"}, []string{"--ui", "http://b.example:8080"}, "http://b.example:8080", ""},
		{"--ui replaces a bad setting", config.Map{"CSP_UI_URL": "localhost:8080"}, []string{"--ui", "http://localhost:8080"}, "http://localhost:8080", ""},
		{"bad CSP_UI_URL", config.Map{"CSP_UI_URL": "localhost:8080"}, nil, "", "CSP_UI_URL"},
		{"bad TEMPORAL_UI_PORT", config.Map{"TEMPORAL_UI_PORT": "eighty"}, nil, "", "TEMPORAL_UI_PORT"},
		{"a query cannot take a path", config.Map{}, []string{"--ui", "http://localhost:8233/?x=1"}, "", "--ui"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(tc.env)
			var out, errOut bytes.Buffer
			code := execute(t.Context(), a, append([]string{"search-attributes"}, tc.args...), nil, &out, &errOut)
			if tc.err != "" {
				require.Equal(t, exitUsage, code)
				require.Contains(t, errOut.String(), tc.err)
				return
			}
			require.Equal(t, exitOK, code, errOut.String())
			require.Equal(t, tc.want, a.uiURL)
		})
	}
}
