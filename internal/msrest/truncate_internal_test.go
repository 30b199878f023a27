package msrest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestErrorTextIsCutOnCharacterBoundaries: Microsoft's messages are often localized; a long one is cut
// without splitting a character, so failure messages stay valid UTF-8 in Temporal and the UI.
func TestErrorTextIsCutOnCharacterBoundaries(t *testing.T) {
	long := strings.Repeat("é", 600) + strings.Repeat("語", 600) // two and three bytes each
	for _, n := range []int{1, 2, 3, 4, 5, 1023, 1024, 1025, 1500, 1501, 1502} {
		got := truncate(long, n)
		require.True(t, utf8.ValidString(got), "n=%d", n)
		require.True(t, strings.HasSuffix(got, "…"))
		require.LessOrEqual(t, len(strings.TrimSuffix(got, "…")), n)
	}
	require.Equal(t, "short", truncate("short", 10))
}
