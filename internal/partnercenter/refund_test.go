package partnercenter_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/csptransfer/csptransfer/internal/partnercenter"
)

func TestRefundableUntil(t *testing.T) {
	tests := []struct {
		name   string
		sub    string
		want   time.Time
		wantOK bool
	}{
		{
			name:   "cancellationAllowedUntilDate wins",
			sub:    `{"cancellationAllowedUntilDate":"2021-10-14T23:59:00Z","refundOptions":[{"type":"Full","expiresAt":"2021-12-01T00:00:00Z"}]}`,
			want:   time.Date(2021, 10, 14, 23, 59, 0, 0, time.UTC),
			wantOK: true,
		},
		{
			name:   "latest refund option expiresAt",
			sub:    `{"refundOptions":[{"type":"Full","expiresAt":"2021-01-15T00:00:00Z"},{"type":"Partial","expiresAt":"2021-01-21T00:00:00Z"}]}`,
			want:   time.Date(2021, 1, 21, 0, 0, 0, 0, time.UTC),
			wantOK: true,
		},
		{
			// The availability examples publish the window as a duration.
			name:   "expiresAfter duration from creationDate",
			sub:    `{"creationDate":"2021-01-14T16:57:15.0966728Z","effectiveStartDate":"2021-01-10T00:00:00Z","refundOptions":[{"sequenceId":0,"type":"Full","expiresAfter":"P1D"}]}`,
			want:   time.Date(2021, 1, 15, 16, 57, 15, 96672800, time.UTC),
			wantOK: true,
		},
		{
			name:   "expiresAfter duration from effectiveStartDate",
			sub:    `{"effectiveStartDate":"2021-01-14T00:00:00Z","refundOptions":[{"type":"Full","expiresAfter":"P7DT12H"}]}`,
			want:   time.Date(2021, 1, 21, 12, 0, 0, 0, time.UTC),
			wantOK: true,
		},
		{
			// The RefundOption table calls expiresAfter a UTC date-time.
			name:   "expiresAfter as a date-time",
			sub:    `{"refundOptions":[{"type":"Full","expiresAfter":"2021-01-15T00:00:00Z"}]}`,
			want:   time.Date(2021, 1, 15, 0, 0, 0, 0, time.UTC),
			wantOK: true,
		},
		{name: "duration without a start", sub: `{"refundOptions":[{"type":"Full","expiresAfter":"P1D"}]}`},
		{name: "unreadable duration", sub: `{"creationDate":"2021-01-14T00:00:00Z","refundOptions":[{"type":"Full","expiresAfter":"one day"}]}`},
		{name: "null and empty", sub: `{"cancellationAllowedUntilDate":"","refundOptions":[{"type":"Full","expiresAt":null}]}`},
		{name: "nothing", sub: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s partnercenter.Subscription
			require.NoError(t, json.Unmarshal([]byte(tt.sub), &s))
			got, ok := s.RefundableUntil()
			require.Equal(t, tt.wantOK, ok)
			require.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
		})
	}
}

func TestTimeAcceptsPublishedForms(t *testing.T) {
	for in, want := range map[string]time.Time{
		`"2015-11-25T06: 41: 12Z"`:            time.Date(2015, 11, 25, 6, 41, 12, 0, time.UTC),
		`"2019-08-26T00:00:00"`:               time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC),
		`"2018-03-06T17:37:05.253-08:00"`:     time.Date(2018, 3, 7, 1, 37, 5, 253000000, time.UTC),
		`"2019-01-16T00:45:41.6062996Z"`:      time.Date(2019, 1, 16, 0, 45, 41, 606299600, time.UTC),
		`"2018-06-14T00:00:00.000Z"`:          time.Date(2018, 6, 14, 0, 0, 0, 0, time.UTC),
		`""`:                                  {},
		`"  "`:                                {},
		`null`:                                {},
		`"2019-01-09T00:21:45.9263727+00:00"`: time.Date(2019, 1, 9, 0, 21, 45, 926372700, time.UTC),
	} {
		var got partnercenter.Time
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		require.True(t, want.Equal(got.Time), "%s: got %s", in, got)
	}
	var bad partnercenter.Time
	require.Error(t, json.Unmarshal([]byte(`"yesterday"`), &bad))
}
