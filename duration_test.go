package csptransfer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name    string
		give    string
		want    time.Duration
		wantErr string
	}{
		{name: "Days", give: "14d", want: 14 * day},
		{name: "DaysAndHours", give: "1d12h", want: 36 * time.Hour},
		{name: "DaysHoursMinutes", give: "2d3h4m", want: 2*day + 3*time.Hour + 4*time.Minute},
		{name: "Minutes", give: "90m", want: 90 * time.Minute},
		{name: "Hours", give: "72h", want: 72 * time.Hour},
		{name: "FractionalHours", give: "1.5h", want: 90 * time.Minute},
		{name: "ZeroSeconds", give: "0s", want: 0},
		{name: "ZeroDays", give: "0d", want: 0},
		{name: "PlusSignDays", give: "+1d", want: day},
		{name: "SurroundingSpaces", give: " 3d ", want: 3 * day},
		// Negative Go durations parse; Validate rejects them with the field's allowed range.
		{name: "NegativeHoursParse", give: "-1h", want: -time.Hour},
		{name: "NegativeRestAfterDays", give: "1d-2h", want: 22 * time.Hour},
		{name: "LargestDays", give: "106751d", want: 106751 * day},

		{name: "ErrEmpty", give: "", wantErr: "empty duration"},
		{name: "ErrBlank", give: "   ", wantErr: "empty duration"},
		{name: "ErrNegativeDays", give: "-1d", wantErr: `invalid duration "-1d": expected whole days before 'd'`},
		{name: "ErrFractionalDays", give: "1.5d", wantErr: `invalid duration "1.5d": expected whole days before 'd'`},
		{name: "ErrBareD", give: "d", wantErr: `invalid duration "d"`},
		{name: "ErrTwoDayParts", give: "1d1d", wantErr: `invalid duration "1d"`},
		{name: "ErrDaysAfterHours", give: "1h30d", wantErr: `invalid duration "1h30d"`},
		{name: "ErrUpperCaseUnit", give: "3D", wantErr: `invalid duration "3D"`},
		{name: "ErrNoUnit", give: "14", wantErr: `invalid duration "14"`},
		{name: "ErrWords", give: "two weeks", wantErr: `invalid duration "two weeks"`},
		{name: "ErrISO8601", give: "P14D", wantErr: `invalid duration "P14D"`},
		{name: "ErrUnicodeDigits", give: "١٤d", wantErr: `invalid duration "١٤d"`},
		{name: "ErrDaysBeyondInt32", give: "99999999999d", wantErr: `invalid duration "99999999999d"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDuration(tt.give)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got.D())
		})
	}
}

func TestDurationString(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		give time.Duration
		want string
	}{
		{name: "Zero", give: 0, want: "0s"},
		{name: "WholeDays", give: 14 * day, want: "14d"},
		{name: "OneDay", give: day, want: "1d"},
		{name: "DaysAndHoursUseGoSyntax", give: 36 * time.Hour, want: "36h0m0s"},
		{name: "Minutes", give: 90 * time.Minute, want: "1h30m0s"},
		{name: "NegativeWholeDaysUseGoSyntax", give: -day, want: "-24h0m0s"},
		{name: "Nanoseconds", give: 1, want: "1ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Duration(tt.give).String())
		})
	}
}

func TestDurationStringParsesBack(t *testing.T) {
	day := 24 * time.Hour
	for _, d := range []time.Duration{0, 1, time.Second, 90 * time.Minute, 36 * time.Hour, day, 30 * day, -time.Hour, -day, 106751 * day} {
		t.Run(Duration(d).String(), func(t *testing.T) {
			got, err := ParseDuration(Duration(d).String())
			require.NoError(t, err)
			require.Equal(t, d, got.D())
		})
	}
}

func TestDurationJSON(t *testing.T) {
	type holder struct {
		D Duration `json:"d,omitempty"`
	}
	t.Run("MarshalsDays", func(t *testing.T) {
		b, err := json.Marshal(holder{D: Duration(14 * 24 * time.Hour)})
		require.NoError(t, err)
		require.JSONEq(t, `{"d":"14d"}`, string(b))
	})
	t.Run("MarshalsGoSyntax", func(t *testing.T) {
		b, err := json.Marshal(holder{D: Duration(90 * time.Minute)})
		require.NoError(t, err)
		require.JSONEq(t, `{"d":"1h30m0s"}`, string(b))
	})
	t.Run("OmitsZero", func(t *testing.T) {
		b, err := json.Marshal(holder{})
		require.NoError(t, err)
		require.JSONEq(t, `{}`, string(b))
	})
	t.Run("MissingFieldIsZero", func(t *testing.T) {
		var h holder
		require.NoError(t, json.Unmarshal([]byte(`{}`), &h))
		require.Zero(t, h.D)
	})

	tests := []struct {
		name    string
		give    string
		want    time.Duration
		wantErr string
	}{
		{name: "UnmarshalsDaysAndHours", give: `{"d":"1d12h"}`, want: 36 * time.Hour},
		{name: "UnmarshalsMinutes", give: `{"d":"90m"}`, want: 90 * time.Minute},
		{name: "UnmarshalsNegativeForValidateToReject", give: `{"d":"-1h"}`, want: -time.Hour},
		{name: "ErrNumber", give: `{"d":3600}`, wantErr: `duration must be a string such as "72h" or "14d", got 3600`},
		{name: "ErrObjectIsTruncated", give: `{"d":{"days":14,"hours":12,"minutes":30,"seconds":0}}`,
			wantErr: `got {"days":14,"hours":12,"minutes":…`},
		{name: "ErrBadText", give: `{"d":"soon"}`, wantErr: `invalid duration "soon"`},
		{name: "ErrEmptyString", give: `{"d":""}`, wantErr: "empty duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h holder
			err := json.Unmarshal([]byte(tt.give), &h)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, h.D.D())
		})
	}
}

func TestTransferRequestDurationsRoundTrip(t *testing.T) {
	in := validRequest()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	require.Contains(t, string(b), `"invitationTtl":"14d"`)
	require.Contains(t, string(b), `"leadTime":"14d"`)
	var out TransferRequest
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, in.InvitationTTL, out.InvitationTTL)
	require.Equal(t, in.ReminderEvery, out.ReminderEvery)
	require.Equal(t, in.Provisioning, out.Provisioning)
}

func TestNegativeDurationsRejectedByValidate(t *testing.T) {
	var r TransferRequest
	require.NoError(t, json.Unmarshal([]byte(`{
		"customerTenantId": "`+testTenantID+`", "customerDomain": "contoso.com",
		"invitationTtl": "-1h", "reminderEvery": "-1h", "provisioning": {"leadTime": "-1h"}}`), &r))
	var got []string
	for _, p := range problemsOf(t, r.Validate(testNow)) {
		got = append(got, p.Field)
	}
	require.Equal(t, []string{"provisioning.leadTime", "invitationTtl", "reminderEvery"}, got)
}

func TestDurationRejectsOverflowAndAcceptsNull(t *testing.T) {
	_, err := ParseDuration("2147483647d")
	require.Error(t, err)
	_, err = ParseDuration("106752d")
	require.Error(t, err)
	d, err := ParseDuration("106751d")
	require.NoError(t, err)
	require.Positive(t, int64(d))

	var r TransferRequest
	require.NoError(t, json.Unmarshal([]byte(`{"invitationTtl": null}`), &r))
	require.Zero(t, r.InvitationTTL)
}
