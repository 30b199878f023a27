package csptransfer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Duration is a time.Duration that reads and writes as text an operator can type: Go's duration syntax
// ("90m", "72h") plus whole days ("14d", "1d12h").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes whole days as "Nd" and the rest in Go's syntax.
func (d Duration) String() string {
	td := time.Duration(d)
	if td == 0 {
		return "0s"
	}
	const day = 24 * time.Hour
	if td > 0 && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	return td.String()
}

// ParseDuration reads Go duration syntax with an optional leading whole-days part ("3d", "1d12h").
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration: expected e.g. \"72h\" or \"14d\"")
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		// time.Duration holds about 106751 days; more would wrap around silently.
		if err != nil || n < 0 || n > maxDays {
			return 0, fmt.Errorf("invalid duration %q: expected whole days before 'd', e.g. \"14d\"", s)
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("invalid duration %q: expected e.g. \"72h\", \"90m\" or \"14d\"", s)
		}
	}
	return Duration(time.Duration(days)*24*time.Hour + rest), nil
}

const maxDays = 106751

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = 0 // null means "not set": the default applies
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"72h\" or \"14d\", got %s", Truncate(string(b), 32))
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Truncate shortens s to at most n characters (runes, never splitting one), marking a cut with "…".
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
