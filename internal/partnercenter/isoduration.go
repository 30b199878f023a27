package partnercenter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// isoDuration matches the ISO 8601 durations Partner Center uses for
// terms and refund windows: PnYnMnWnD with an optional TnHnMnS part.
var isoDuration = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// addISODuration adds an ISO 8601 duration to t, calendar parts (years,
// months, weeks, days) by the calendar and the time part exactly.
func addISODuration(t time.Time, d string) (time.Time, error) {
	m := isoDuration.FindStringSubmatch(d)
	if m == nil || d == "P" || d == "PT" {
		return time.Time{}, fmt.Errorf("duration %q: not ISO 8601", d)
	}
	n := func(i int) int {
		if m[i] == "" {
			return 0
		}
		v, err := strconv.Atoi(m[i])
		if err != nil {
			return 0
		}
		return v
	}
	const maxPart = 10000
	for i := 1; i <= 6; i++ {
		if n(i) > maxPart {
			return time.Time{}, fmt.Errorf("duration %q: out of range", d)
		}
	}
	t = t.AddDate(n(1), n(2), 7*n(3)+n(4))
	t = t.Add(time.Duration(n(5))*time.Hour + time.Duration(n(6))*time.Minute)
	if m[7] != "" {
		secs, err := strconv.ParseFloat(m[7], 64)
		if err != nil || secs > maxPart*3600 {
			return time.Time{}, fmt.Errorf("duration %q: out of range", d)
		}
		t = t.Add(time.Duration(secs * float64(time.Second)))
	}
	return t, nil
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
