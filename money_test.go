package csptransfer

import (
	"math"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin for the DST cases, whatever the machine has installed

	"github.com/stretchr/testify/require"
)

// Every expected value below is worked out by hand (the arithmetic is in the comments), never by calling
// the function under test.

// utc is y-m-d h:mi in UTC.
func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

// ymd is midnight UTC of y-m-d.
func ymd(y int, m time.Month, d int) time.Time { return utc(y, m, d, 0, 0) }

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

func TestAddTerm(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		name  string
		start time.Time
		iso   string
		want  time.Time
	}{
		// Years.
		{name: "P1Y", start: ymd(2026, 1, 1), iso: "P1Y", want: ymd(2027, 1, 1)},
		{name: "P1YFromLeapDayEndsFeb28", start: ymd(2028, 2, 29), iso: "P1Y", want: ymd(2029, 2, 28)},
		{name: "P4YFromLeapDayEndsOnLeapDay", start: ymd(2028, 2, 29), iso: "P4Y", want: ymd(2032, 2, 29)},
		{name: "P1YFromMarch1SpansLeapDay", start: ymd(2027, 3, 1), iso: "P1Y", want: ymd(2028, 3, 1)},
		{name: "P1YFromJune2027", start: ymd(2027, 6, 1), iso: "P1Y", want: ymd(2028, 6, 1)},
		{name: "P3Y", start: ymd(2027, 6, 1), iso: "P3Y", want: ymd(2030, 6, 1)},
		{name: "P3YFromLeapDay", start: ymd(2028, 2, 29), iso: "P3Y", want: ymd(2031, 2, 28)},

		// Months keep the day of the month, or take the month's last day.
		{name: "P1M", start: ymd(2027, 6, 15), iso: "P1M", want: ymd(2027, 7, 15)},
		{name: "Jan31PlusP1MIsFeb28", start: ymd(2027, 1, 31), iso: "P1M", want: ymd(2027, 2, 28)},
		{name: "Jan31PlusP1MIsFeb29InLeapYear", start: ymd(2028, 1, 31), iso: "P1M", want: ymd(2028, 2, 29)},
		{name: "Jan30PlusP1MIsFeb28", start: ymd(2027, 1, 30), iso: "P1M", want: ymd(2027, 2, 28)},
		{name: "Feb28PlusP1MIsMar28", start: ymd(2027, 2, 28), iso: "P1M", want: ymd(2027, 3, 28)},
		{name: "Mar31PlusP1MIsApr30", start: ymd(2027, 3, 31), iso: "P1M", want: ymd(2027, 4, 30)},
		{name: "Aug31PlusP1MIsSep30", start: ymd(2027, 8, 31), iso: "P1M", want: ymd(2027, 9, 30)},
		{name: "Dec31PlusP1MCrossesYear", start: ymd(2027, 12, 31), iso: "P1M", want: ymd(2028, 1, 31)},
		{name: "Nov30PlusP3MIsFeb29", start: ymd(2027, 11, 30), iso: "P3M", want: ymd(2028, 2, 29)},
		{name: "P11M", start: ymd(2027, 2, 15), iso: "P11M", want: ymd(2028, 1, 15)},
		{name: "P12MIsP1Y", start: ymd(2027, 6, 1), iso: "P12M", want: ymd(2028, 6, 1)},
		{name: "P13MFromDec31", start: ymd(2027, 12, 31), iso: "P13M", want: ymd(2029, 1, 31)},
		{name: "P36M", start: ymd(2027, 6, 1), iso: "P36M", want: ymd(2030, 6, 1)},

		// Days and weeks.
		{name: "P7D", start: ymd(2027, 6, 1), iso: "P7D", want: ymd(2027, 6, 8)},
		{name: "P1W", start: ymd(2027, 6, 1), iso: "P1W", want: ymd(2027, 6, 8)},
		{name: "P2W3D", start: ymd(2027, 6, 1), iso: "P2W3D", want: ymd(2027, 6, 18)},
		{name: "P30DFromJan31", start: ymd(2027, 1, 31), iso: "P30D", want: ymd(2027, 3, 2)},
		{name: "P1DOverLeapDay", start: ymd(2028, 2, 28), iso: "P1D", want: ymd(2028, 2, 29)},
		{name: "P365DInLeapYearStopsShort", start: ymd(2028, 1, 1), iso: "P365D", want: ymd(2028, 12, 31)},

		// Combinations: years and months first (with the last-day rule), then days.
		{name: "P1Y6M", start: ymd(2027, 1, 15), iso: "P1Y6M", want: ymd(2028, 7, 15)},
		{name: "P1Y6MFromAug31IsFeb28", start: ymd(2027, 8, 31), iso: "P1Y6M", want: ymd(2029, 2, 28)},
		{name: "P1M15DFromJan31", start: ymd(2027, 1, 31), iso: "P1M15D", want: ymd(2027, 3, 15)},
		{name: "P1Y1M1W1D", start: ymd(2027, 1, 1), iso: "P1Y1M1W1D", want: ymd(2028, 2, 9)},
		{name: "ZeroPartsBesideOthers", start: ymd(2027, 6, 1), iso: "P0Y1M0D", want: ymd(2027, 7, 1)},

		// Spelling.
		{name: "LowerCase", start: ymd(2026, 1, 1), iso: "p1y", want: ymd(2027, 1, 1)},
		{name: "MixedCase", start: ymd(2027, 1, 31), iso: "p1M", want: ymd(2027, 2, 28)},
		{name: "SurroundingSpaces", start: ymd(2027, 6, 1), iso: " P1M ", want: ymd(2027, 7, 1)},
		{name: "FourDigits", start: ymd(2027, 6, 1), iso: "P1000D", want: ymd(2030, 2, 25)},

		// Time of day, nanoseconds and location are kept.
		{name: "KeepsTimeOfDay", start: time.Date(2027, 1, 31, 23, 59, 59, 500, time.UTC), iso: "P1M",
			want: time.Date(2027, 2, 28, 23, 59, 59, 500, time.UTC)},
		{name: "KeepsLocation", start: time.Date(2027, 3, 31, 0, 30, 0, 0, ist), iso: "P1M",
			want: time.Date(2027, 4, 30, 0, 30, 0, 0, ist)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AddTerm(tt.start, tt.iso)
			require.True(t, ok)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.want.Location(), got.Location())
		})
	}

	t.Run("KeepsWallClockAcrossDST", func(t *testing.T) {
		loc := berlin(t)
		// 28 March 2027 is the EU spring-forward: a P1M term from 1 March 10:00 CET ends 1 April 10:00 CEST.
		got, ok := AddTerm(time.Date(2027, 3, 1, 10, 0, 0, 0, loc), "P1M")
		require.True(t, ok)
		require.Equal(t, time.Date(2027, 4, 1, 10, 0, 0, 0, loc), got)
		require.Equal(t, utc(2027, 4, 1, 8, 0), got.UTC())
	})

	for _, bad := range []string{
		"", " ", "P", "PD", "P1", "1Y", "Y", "PT1H", "P1DT1H", "P1H", "P-1M", "P+1M", "P0D", "P0Y0M0D",
		"P12345Y", "P1.5Y", "P1,5Y", "P1Y2", "PP1Y", "P 1Y", "P1X", "1 year", "monthly", "P١Y",
	} {
		t.Run("Rejects"+bad, func(t *testing.T) {
			got, ok := AddTerm(ymd(2027, 6, 1), bad)
			require.False(t, ok)
			require.True(t, got.IsZero())
		})
	}
}

func TestTermDays(t *testing.T) {
	tests := []struct {
		name  string
		start time.Time
		iso   string
		want  int
	}{
		{name: "P1YCommonYear", start: ymd(2026, 1, 1), iso: "P1Y", want: 365},
		// 2027-06-01 → 2028-06-01 holds 29 February 2028.
		{name: "P1YSpanningLeapDay", start: ymd(2027, 6, 1), iso: "P1Y", want: 366},
		{name: "P1YFromMarch2027SpansLeapDay", start: ymd(2027, 3, 1), iso: "P1Y", want: 366},
		{name: "P1YFromFeb28In2028SpansLeapDay", start: ymd(2028, 2, 28), iso: "P1Y", want: 366},
		// 2028-02-29 → 2029-02-28: 365 days.
		{name: "P1YFromLeapDay", start: ymd(2028, 2, 29), iso: "P1Y", want: 365},
		{name: "P1YFromMarch2028MissesLeapDay", start: ymd(2028, 3, 1), iso: "P1Y", want: 365},
		// 365 × 3 + 1 (2028-02-29).
		{name: "P3Y", start: ymd(2027, 6, 1), iso: "P3Y", want: 1096},
		{name: "P1MJanuary", start: ymd(2027, 1, 1), iso: "P1M", want: 31},
		{name: "P1MFebruary", start: ymd(2027, 2, 1), iso: "P1M", want: 28},
		{name: "P1MFebruaryLeap", start: ymd(2028, 2, 1), iso: "P1M", want: 29},
		{name: "P1MApril", start: ymd(2027, 4, 1), iso: "P1M", want: 30},
		{name: "P1MFromJan31", start: ymd(2027, 1, 31), iso: "P1M", want: 28},
		{name: "P1MFromJan31Leap", start: ymd(2028, 1, 31), iso: "P1M", want: 29},
		{name: "P1MFromMar31", start: ymd(2027, 3, 31), iso: "P1M", want: 30},
		{name: "P1MMidMonth", start: utc(2027, 6, 15, 13, 45), iso: "P1M", want: 30},
		{name: "P7D", start: utc(2027, 6, 1, 10, 0), iso: "P7D", want: 7},
		{name: "P1W", start: ymd(2027, 6, 1), iso: "P1W", want: 7},
		{name: "P1Y6M", start: ymd(2027, 1, 1), iso: "P1Y6M", want: 365 + 182}, // 2027-01-01 → 2028-07-01: 365 + Jan..Jun 2028 (31+29+31+30+31+30)
		{name: "LowerCase", start: ymd(2027, 6, 1), iso: "p1y", want: 366},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TermDays(tt.start, tt.iso)
			require.True(t, ok)
			require.Equal(t, tt.want, got)
		})
	}

	// A term counts calendar days where it starts: a month with a DST change is not a day shorter or longer.
	t.Run("DST", func(t *testing.T) {
		loc := berlin(t)
		for _, tt := range []struct {
			name  string
			start time.Time
			iso   string
			want  int
		}{
			// March 2027 has 31 days, one of them 23 hours long (28 March).
			{name: "SpringForwardMonth", start: time.Date(2027, 3, 1, 0, 0, 0, 0, loc), iso: "P1M", want: 31},
			{name: "SpringForwardMonthMidday", start: time.Date(2027, 3, 15, 12, 0, 0, 0, loc), iso: "P1M", want: 31},
			{name: "SpringForwardWeek", start: time.Date(2027, 3, 25, 9, 0, 0, 0, loc), iso: "P7D", want: 7},
			// October 2027 has 31 days, one of them 25 hours long (31 October).
			{name: "FallBackMonth", start: time.Date(2027, 10, 1, 0, 0, 0, 0, loc), iso: "P1M", want: 31},
			{name: "FallBackWeek", start: time.Date(2027, 10, 28, 9, 0, 0, 0, loc), iso: "P1W", want: 7},
			{name: "YearWithBoth", start: time.Date(2027, 1, 1, 0, 0, 0, 0, loc), iso: "P1Y", want: 365},
			{name: "YearFromSummer", start: time.Date(2027, 6, 1, 0, 0, 0, 0, loc), iso: "P1Y", want: 366},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, ok := TermDays(tt.start, tt.iso)
				require.True(t, ok)
				require.Equal(t, tt.want, got)
			})
		}
	})

	for _, bad := range []string{"", "P", "1Y", "PT1H", "P-1M", "P0D", "P12345Y"} {
		t.Run("Rejects"+bad, func(t *testing.T) {
			got, ok := TermDays(ymd(2027, 6, 1), bad)
			require.False(t, ok)
			require.Zero(t, got)
		})
	}
}

func TestOverlapDays(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{name: "TenDays", from: utc(2027, 6, 1, 10, 0), to: utc(2027, 6, 11, 10, 0), want: 10},
		{name: "FloorsPartialDay", from: utc(2027, 6, 1, 10, 0), to: utc(2027, 6, 11, 9, 59), want: 9},
		{name: "OneSecondShortOfADay", from: utc(2027, 6, 1, 10, 0), to: utc(2027, 6, 2, 9, 59).Add(59 * time.Second), want: 0},
		{name: "ExactlyOneDay", from: utc(2027, 6, 1, 10, 0), to: utc(2027, 6, 2, 10, 0), want: 1},
		{name: "Equal", from: utc(2027, 6, 1, 10, 0), to: utc(2027, 6, 1, 10, 0), want: 0},
		{name: "OriginalEndsFirst", from: utc(2027, 6, 11, 10, 0), to: utc(2027, 6, 1, 10, 0), want: 0},
		{name: "OriginalEndsOneNanosecondFirst", from: utc(2027, 6, 1, 10, 0), to: utc(2027, 6, 1, 10, 0).Add(-1), want: 0},
		// 28 Feb, 29 Feb.
		{name: "AcrossLeapDay", from: ymd(2028, 2, 28), to: ymd(2028, 3, 1), want: 2},
		{name: "AcrossNoLeapDay", from: ymd(2027, 2, 28), to: ymd(2027, 3, 1), want: 1},
		{name: "LeapYear", from: ymd(2027, 6, 1), to: ymd(2028, 6, 1), want: 366},
		// 28 March 2027 is the EU spring-forward; in UTC every day has 24 hours.
		{name: "UTCAcrossEUSpringForward", from: ymd(2027, 3, 27), to: ymd(2027, 3, 29), want: 2},
		{name: "UTCAcrossEUFallBack", from: ymd(2027, 10, 30), to: ymd(2027, 11, 1), want: 2},
		{name: "UTCAcrossUSSpringForward", from: ymd(2027, 3, 13), to: ymd(2027, 3, 15), want: 2},
		{name: "ZonesDoNotMatter", from: utc(2027, 6, 1, 10, 0).In(time.FixedZone("X", -7*3600)),
			to: utc(2027, 6, 4, 10, 0).In(time.FixedZone("Y", 9*3600)), want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, OverlapDays(tt.from, tt.to))
		})
	}
	t.Run("SameInstantsInADSTZone", func(t *testing.T) {
		loc := berlin(t)
		// The overlap is elapsed time: the same instants written in Berlin time give the UTC count.
		require.Equal(t, 2, OverlapDays(ymd(2027, 3, 27).In(loc), ymd(2027, 3, 29).In(loc)))
		require.Equal(t, 2, OverlapDays(ymd(2027, 10, 30).In(loc), ymd(2027, 11, 1).In(loc)))
	})
}

func TestNewSideCost(t *testing.T) {
	// Microsoft's example line: monthly billing, P1Y term, pricing.price 30.4 per seat and month, so
	// extendedPrice = 30.4 × 12 months = 364.8 per seat, here × 12 seats = 4377.6.
	monthlyP1Y := LinePrice{Currency: "EUR", UnitPrice: 30.4, TermPrice: 4377.6, Quantity: 12, BillingCycle: "monthly", TermDuration: "P1Y"}
	with := func(p LinePrice, mut func(*LinePrice)) LinePrice { mut(&p); return p }

	tests := []struct {
		name string
		p    LinePrice
		from time.Time
		days int
		want Money
	}{
		// 2026-01-01 + P1Y: 365 days. 4377.6 × 30 / 365 = 359.8027… → 359.80.
		{name: "MonthlyP1Y30Days", p: monthlyP1Y, from: ymd(2026, 1, 1), days: 30, want: Money{359.80, "EUR"}},
		// 2027-06-01 + P1Y spans 2028-02-29: 366 days. 4377.6 × 30 / 366 = 358.8196… → 358.82.
		{name: "MonthlyP1Y30DaysLeapTerm", p: monthlyP1Y, from: ymd(2027, 6, 1), days: 30, want: Money{358.82, "EUR"}},
		{name: "MonthlyP1YWholeTerm", p: monthlyP1Y, from: ymd(2026, 1, 1), days: 365, want: Money{4377.6, "EUR"}},
		{name: "MonthlyP1YWholeLeapTerm", p: monthlyP1Y, from: ymd(2027, 6, 1), days: 366, want: Money{4377.6, "EUR"}},
		{name: "ZeroDays", p: monthlyP1Y, from: ymd(2026, 1, 1), days: 0, want: Money{0, "EUR"}},
		// 4377.6 / 365 = 11.993… → 11.99.
		{name: "OneDay", p: monthlyP1Y, from: ymd(2026, 1, 1), days: 1, want: Money{11.99, "EUR"}},

		// P1M line at 30 for the term: June has 30 days, so 1.00 a day, and the rate holds past one month.
		{name: "P1MWithinMonth", p: LinePrice{Currency: "USD", TermPrice: 30, Quantity: 1, TermDuration: "P1M"},
			from: ymd(2027, 6, 1), days: 10, want: Money{10, "USD"}},
		{name: "P1MBeyondOneMonth", p: LinePrice{Currency: "USD", TermPrice: 30, Quantity: 1, TermDuration: "P1M"},
			from: ymd(2027, 6, 1), days: 45, want: Money{45, "USD"}},
		// January's term has 31 days: 30 × 45 / 31 = 43.548… → 43.55.
		{name: "P1MBeyondOneMonthFrom31DayMonth", p: LinePrice{Currency: "USD", TermPrice: 30, Quantity: 1, TermDuration: "P1M"},
			from: ymd(2027, 1, 1), days: 45, want: Money{43.55, "USD"}},
		// February 2028 has 29 days: 29 × 40 / 29 = 40.
		{name: "P1MLeapFebruary", p: LinePrice{Currency: "USD", TermPrice: 29, Quantity: 1, TermDuration: "P1M"},
			from: ymd(2028, 2, 1), days: 40, want: Money{40, "USD"}},

		// P3Y from 2027-06-01: 1096 days. 10960 / 1096 = 10 a day.
		{name: "P3Y", p: LinePrice{Currency: "EUR", TermPrice: 10960, Quantity: 5, TermDuration: "P3Y"},
			from: ymd(2027, 6, 1), days: 30, want: Money{300, "EUR"}},
		{name: "LowerCaseTerm", p: LinePrice{Currency: "EUR", TermPrice: 10960, Quantity: 5, TermDuration: "p3y"},
			from: ymd(2027, 6, 1), days: 1, want: Money{10, "EUR"}},

		// 12000 × 10 / 365 = 328.767… → 329 (no decimals).
		{name: "JPYRoundsToYen", p: LinePrice{Currency: "JPY", TermPrice: 12000, Quantity: 1, TermDuration: "P1Y"},
			from: ymd(2026, 1, 1), days: 10, want: Money{329, "JPY"}},
		// 100 × 7 / 365 = 1.917808… → 1.918 (three decimals).
		{name: "KWDRoundsToFils", p: LinePrice{Currency: "KWD", TermPrice: 100, Quantity: 1, TermDuration: "P1Y"},
			from: ymd(2026, 1, 1), days: 7, want: Money{1.918, "KWD"}},
		// June has 30 days: 10.35 × 3 / 30 = 1.035 exactly → 1.04, half away from zero.
		{name: "HalfCentRoundsUp", p: LinePrice{Currency: "EUR", UnitPrice: 10.35, TermPrice: 10.35, Quantity: 1, TermDuration: "P1M"},
			from: ymd(2027, 6, 1), days: 3, want: Money{1.04, "EUR"}},
		{name: "FreeLine", p: with(monthlyP1Y, func(p *LinePrice) { p.TermPrice = 0 }), from: ymd(2026, 1, 1), days: 30,
			want: Money{0, "EUR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NewSideCost(tt.p, tt.from, tt.days)
			require.True(t, ok)
			require.Equal(t, tt.want, got)
		})
	}

	for name, p := range map[string]LinePrice{
		"NoCurrency":   with(monthlyP1Y, func(p *LinePrice) { p.Currency = "" }),
		"NoTerm":       with(monthlyP1Y, func(p *LinePrice) { p.TermDuration = "" }),
		"BadTerm":      with(monthlyP1Y, func(p *LinePrice) { p.TermDuration = "1 year" }),
		"TimeTerm":     with(monthlyP1Y, func(p *LinePrice) { p.TermDuration = "PT720H" }),
		"ZeroTerm":     with(monthlyP1Y, func(p *LinePrice) { p.TermDuration = "P0D" }),
		"NothingKnown": {},
	} {
		t.Run("Unpriced"+name, func(t *testing.T) {
			got, ok := NewSideCost(p, ymd(2026, 1, 1), 30)
			require.False(t, ok)
			require.Equal(t, Money{}, got)
		})
	}
}

func TestOriginalSideCost(t *testing.T) {
	tests := []struct {
		name  string
		p     Price
		seats int
		from  time.Time
		days  int
		want  Money
	}{
		// June has 30 days: 20 × 10 seats × 15 / 30 = 100.
		{name: "Monthly", p: Price{Amount: 20, Currency: "EUR", Period: PeriodMonth}, seats: 10, from: ymd(2027, 6, 1), days: 15,
			want: Money{100, "EUR"}},
		{name: "EmptyPeriodIsMonthly", p: Price{Amount: 20, Currency: "EUR"}, seats: 10, from: ymd(2027, 6, 1), days: 15,
			want: Money{100, "EUR"}},
		{name: "LowerCasePeriod", p: Price{Amount: 20, Currency: "EUR", Period: "p1m"}, seats: 10, from: ymd(2027, 6, 1), days: 15,
			want: Money{100, "EUR"}},
		// July has 31 days: 20 × 10 × 15 / 31 = 96.774… → 96.77.
		{name: "Monthly31DayMonth", p: Price{Amount: 20, Currency: "EUR"}, seats: 10, from: ymd(2027, 7, 1), days: 15,
			want: Money{96.77, "EUR"}},
		// Beyond one month the daily rate of the month starting at from holds: 20 × 10 × 45 / 30 = 300.
		{name: "MonthlyBeyondOneMonth", p: Price{Amount: 20, Currency: "EUR"}, seats: 10, from: ymd(2027, 6, 1), days: 45,
			want: Money{300, "EUR"}},
		// February 2028 has 29 days: 29 × 1 × 10 / 29 = 10.
		{name: "LeapFebruary", p: Price{Amount: 29, Currency: "EUR"}, seats: 1, from: ymd(2028, 2, 1), days: 10,
			want: Money{10, "EUR"}},
		// February 2027 has 28 days: 29 × 1 × 10 / 28 = 10.357… → 10.36.
		{name: "CommonFebruary", p: Price{Amount: 29, Currency: "EUR"}, seats: 1, from: ymd(2027, 2, 1), days: 10,
			want: Money{10.36, "EUR"}},
		// 2026 has 365 days: 240 × 10 × 73 / 365 = 480.
		{name: "Yearly", p: Price{Amount: 240, Currency: "EUR", Period: PeriodYear}, seats: 10, from: ymd(2026, 1, 1), days: 73,
			want: Money{480, "EUR"}},
		// 2027-06-01 + P1Y spans 2028-02-29: 366 × 1 × 61 / 366 = 61.
		{name: "YearlyLeap", p: Price{Amount: 366, Currency: "EUR", Period: PeriodYear}, seats: 1, from: ymd(2027, 6, 1), days: 61,
			want: Money{61, "EUR"}},
		{name: "P1YVsP1MSameAmount", p: Price{Amount: 240, Currency: "EUR", Period: PeriodMonth}, seats: 10, from: ymd(2026, 1, 1), days: 73,
			// January 2026 has 31 days: 240 × 10 × 73 / 31 = 175200 / 31 = 5651.6129… → 5651.61.
			want: Money{5651.61, "EUR"}},
		// June: 1.35 × 1 × 23 / 30 = 1.035 exactly → 1.04, half away from zero.
		{name: "HalfCentRoundsUp", p: Price{Amount: 1.35, Currency: "EUR"}, seats: 1, from: ymd(2027, 6, 1), days: 23,
			want: Money{1.04, "EUR"}},
		// February 2027: 1.63 × 10 × 7 / 28 = 4.075 exactly → 4.08.
		{name: "HalfCentRoundsUpManySeats", p: Price{Amount: 1.63, Currency: "EUR"}, seats: 10, from: ymd(2027, 2, 1), days: 7,
			want: Money{4.08, "EUR"}},
		// 1001 × 1 × 1 / 30 = 33.37 → 33 yen.
		{name: "JPY", p: Price{Amount: 1001, Currency: "JPY"}, seats: 1, from: ymd(2027, 6, 1), days: 1,
			want: Money{33, "JPY"}},
		{name: "ZeroSeats", p: Price{Amount: 20, Currency: "EUR"}, seats: 0, from: ymd(2027, 6, 1), days: 15,
			want: Money{0, "EUR"}},
		// A period it cannot read (Validate rejects one) falls back to 30 days: 30 × 1 × 10 / 30 = 10.
		{name: "UnreadablePeriodIs30Days", p: Price{Amount: 30, Currency: "EUR", Period: "P1X"}, seats: 1, from: ymd(2027, 7, 1), days: 10,
			want: Money{10, "EUR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, OriginalSideCost(tt.p, tt.seats, tt.from, tt.days))
		})
	}
}

func TestExpectedRefund(t *testing.T) {
	ordered := utc(2027, 6, 1, 10, 0)
	until := utc(2027, 6, 8, 10, 0) // P7D
	// Monthly billing: the first charge is pricing.price × quantity = 30.4 × 12 = 364.8 for June's 30 days.
	monthly := LinePrice{Currency: "EUR", UnitPrice: 30.4, TermPrice: 4377.6, Quantity: 12, BillingCycle: "monthly", TermDuration: "P1Y", RefundWindow: "P7D"}
	// Annual billing: one seat-year is 364.8, × 12 = 4377.6 charged up front for 2026-06-01 → 2027-06-01 (365 days).
	annual := LinePrice{Currency: "EUR", UnitPrice: 364.8, TermPrice: 4377.6, Quantity: 12, BillingCycle: "Annual", TermDuration: "P1Y", RefundWindow: "P7D"}
	annualOrdered, annualUntil := utc(2026, 6, 1, 10, 0), utc(2026, 6, 8, 10, 0)
	with := func(p LinePrice, mut func(*LinePrice)) LinePrice { mut(&p); return p }

	tests := []struct {
		name                 string
		p                    LinePrice
		orderedAt, until, at time.Time
		want                 Money
	}{
		// No day begun yet: the whole first charge comes back.
		{name: "CancelAtPurchase", p: monthly, orderedAt: ordered, until: until, at: ordered, want: Money{364.8, "EUR"}},
		// A day begun is a day used: 364.8 × 29 / 30 = 352.64.
		{name: "OneSecondInIsOneDayUsed", p: monthly, orderedAt: ordered, until: until, at: ordered.Add(time.Second), want: Money{352.64, "EUR"}},
		{name: "SameDayIsOneDayUsed", p: monthly, orderedAt: ordered, until: until, at: utc(2027, 6, 1, 23, 59), want: Money{352.64, "EUR"}},
		{name: "ExactlyOneDay", p: monthly, orderedAt: ordered, until: until, at: utc(2027, 6, 2, 10, 0), want: Money{352.64, "EUR"}},
		// 3 days into June (30 days): 364.8 × 27 / 30 = 328.32.
		{name: "ThreeDaysIn", p: monthly, orderedAt: ordered, until: until, at: utc(2027, 6, 4, 10, 0), want: Money{328.32, "EUR"}},
		{name: "JustOverTwoDaysIsThree", p: monthly, orderedAt: ordered, until: until, at: utc(2027, 6, 3, 10, 1), want: Money{328.32, "EUR"}},
		// 6 days and a minute: 7 begun, 364.8 × 23 / 30 = 279.68.
		{name: "LastMinuteOfWindow", p: monthly, orderedAt: ordered, until: until, at: until.Add(-time.Minute), want: Money{279.68, "EUR"}},
		{name: "WindowClosed", p: monthly, orderedAt: ordered, until: until, at: until, want: Money{0, "EUR"}},
		{name: "LongAfterWindow", p: monthly, orderedAt: ordered, until: until, at: utc(2027, 9, 1, 0, 0), want: Money{0, "EUR"}},
		{name: "BeforePurchaseIsFull", p: monthly, orderedAt: ordered, until: until, at: ordered.Add(-time.Hour), want: Money{364.8, "EUR"}},
		// February 2028 has 29 days: 29 × 2 = 58 charged, 3 days used, 58 × 26 / 29 = 52.
		{name: "LeapFebruaryMonth", p: LinePrice{Currency: "USD", UnitPrice: 29, Quantity: 2, BillingCycle: "monthly", TermDuration: "P1Y"},
			orderedAt: ymd(2028, 2, 1), until: ymd(2028, 2, 8), at: ymd(2028, 2, 4), want: Money{52, "USD"}},

		// 3 days into a 365-day year: 4377.6 × 362 / 365 = 4341.6197… → 4341.62.
		{name: "AnnualThreeDaysIn", p: annual, orderedAt: annualOrdered, until: annualUntil, at: utc(2026, 6, 4, 10, 0), want: Money{4341.62, "EUR"}},
		{name: "AnnualAtPurchase", p: annual, orderedAt: annualOrdered, until: annualUntil, at: annualOrdered, want: Money{4377.6, "EUR"}},
		// A P1M term billed monthly: 30.4 × 12 = 364.8 over June, 3 days used → 328.32.
		{name: "P1MTerm", p: with(monthly, func(p *LinePrice) { p.TermDuration = "P1M" }), orderedAt: ordered, until: until,
			at: utc(2027, 6, 4, 10, 0), want: Money{328.32, "EUR"}},
		// Triennial: one charge for 2027-06-01 → 2030-06-01 (1096 days); 1096 × 1 − 4 days = 1092.
		{name: "Triennial", p: LinePrice{Currency: "EUR", UnitPrice: 1096, Quantity: 1, BillingCycle: "triennial", TermDuration: "P3Y"},
			orderedAt: ordered, until: until, at: utc(2027, 6, 5, 10, 0), want: Money{1092, "EUR"}},
		// A cycle it does not know bills the term once: a P1M term in June, 30 × 1 − 3 days = 27.
		{name: "OneTimeBillsTheTerm", p: LinePrice{Currency: "EUR", UnitPrice: 30, Quantity: 1, BillingCycle: "none", TermDuration: "P1M"},
			orderedAt: ordered, until: until, at: utc(2027, 6, 4, 10, 0), want: Money{27, "EUR"}},
		// No readable period at all: the whole charge, unprorated: 30.4 × 12 = 364.8.
		{name: "NoPeriodRefundsTheCharge", p: LinePrice{Currency: "EUR", UnitPrice: 30.4, Quantity: 12},
			orderedAt: ordered, until: until, at: utc(2027, 6, 4, 10, 0), want: Money{364.8, "EUR"}},
		// JPY: 1000 × 3 = 3000 for June, 1 day used: 3000 × 29 / 30 = 2900.
		{name: "JPY", p: LinePrice{Currency: "JPY", UnitPrice: 1000, Quantity: 3, BillingCycle: "monthly", TermDuration: "P1Y"},
			orderedAt: ordered, until: until, at: ordered.Add(time.Hour), want: Money{2900, "JPY"}},
		// Missing currency: nothing can be said.
		{name: "NoCurrency", p: with(monthly, func(p *LinePrice) { p.Currency = "" }), orderedAt: ordered, until: until, at: ordered,
			want: Money{}},
		{name: "ZeroQuantity", p: with(monthly, func(p *LinePrice) { p.Quantity = 0 }), orderedAt: ordered, until: until, at: ordered,
			want: Money{0, "EUR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ExpectedRefund(tt.p, tt.orderedAt, tt.until, tt.at))
		})
	}
}

func TestRefundDeadline(t *testing.T) {
	p := LinePrice{Currency: "EUR", RefundWindow: "P7D"}
	got, ok := RefundDeadline(p, utc(2027, 6, 1, 10, 30))
	require.True(t, ok)
	require.Equal(t, utc(2027, 6, 8, 10, 30), got)

	p.RefundWindow = "p7d"
	got, ok = RefundDeadline(p, utc(2028, 2, 25, 0, 0))
	require.True(t, ok)
	require.Equal(t, utc(2028, 3, 3, 0, 0), got) // 26, 27, 28, 29 Feb, 1, 2, 3 Mar

	p.RefundWindow = "P1W"
	got, ok = RefundDeadline(p, utc(2027, 12, 28, 23, 0))
	require.True(t, ok)
	require.Equal(t, utc(2028, 1, 4, 23, 0), got)

	for _, bad := range []string{"", "7d", "PT168H", "P0D"} {
		t.Run("Rejects"+bad, func(t *testing.T) {
			p.RefundWindow = bad
			got, ok := RefundDeadline(p, utc(2027, 6, 1, 10, 30))
			require.False(t, ok)
			require.True(t, got.IsZero())
		})
	}
}

func TestMinorUnits(t *testing.T) {
	for c, want := range map[string]int{
		"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "": 2, "XYZ": 2,
		"JPY": 0, "jpy": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
		"KWD": 3, "kwd": 3, "BHD": 3, "OMR": 3, "TND": 3, "JOD": 3,
	} {
		require.Equal(t, want, MinorUnits(c), c)
	}
}

func TestRoundAmount(t *testing.T) {
	tests := []struct {
		amount   float64
		currency string
		want     float64
	}{
		{1234.5, "EUR", 1234.5},
		{1234.567, "EUR", 1234.57},
		{1234.564, "EUR", 1234.56},
		{1234567.891, "USD", 1234567.89},
		{0, "EUR", 0},
		{-1234.567, "EUR", -1234.57},
		{0.1 + 0.2, "EUR", 0.3},
		// Half away from zero, on the decimal the amount stands for (1.005 is stored as 1.00499999…).
		{0.125, "EUR", 0.13},
		{-0.125, "EUR", -0.13},
		{1.005, "EUR", 1.01},
		{-1.005, "EUR", -1.01},
		{0.285, "EUR", 0.29},
		{2.675, "EUR", 2.68},
		{1.0049, "EUR", 1},
		{999.995, "EUR", 1000},
		{1234.5, "JPY", 1235},
		{1234.4, "JPY", 1234},
		{-1234.5, "JPY", -1235},
		{0.5, "JPY", 1},
		{1.2345, "KWD", 1.235},
		{1.0005, "KWD", 1.001},
		{1.23449, "KWD", 1.234},
		{12.345, "eur", 12.35},
		// The largest sum validation allows: 1,000,000 per seat × 1,000,000 seats.
		{1e12 + 0.125, "EUR", 1e12 + 0.13},
		{4_503_599_627_370_495.5, "JPY", 4_503_599_627_370_496},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, RoundAmount(tt.amount, tt.currency), "%v %s", tt.amount, tt.currency)
	}
	require.True(t, math.IsNaN(RoundAmount(math.NaN(), "EUR")))
	require.True(t, math.IsInf(RoundAmount(math.Inf(1), "EUR"), 1))
	require.Zero(t, RoundAmount(-0.001, "EUR"))
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount   float64
		currency string
		want     string
	}{
		{1234.5, "EUR", "1,234.50"},
		{1234567.891, "USD", "1,234,567.89"},
		{1234.5, "JPY", "1,235"},
		{1234.4, "JPY", "1,234"},
		{0, "EUR", "0.00"},
		{0, "JPY", "0"},
		{0, "KWD", "0.000"},
		{-0.001, "EUR", "0.00"},
		{-0.004, "EUR", "0.00"},
		{-0.005, "EUR", "-0.01"},
		{-0.4, "JPY", "0"},
		{-1234.5, "EUR", "-1,234.50"},
		{-1234567.891, "USD", "-1,234,567.89"},
		{-1234.5, "JPY", "-1,235"},
		{0.5, "EUR", "0.50"},
		{7, "EUR", "7.00"},
		{99.999, "EUR", "100.00"},
		{999.995, "EUR", "1,000.00"},
		{999, "EUR", "999.00"},
		{1000, "EUR", "1,000.00"},
		{12345.6789, "EUR", "12,345.68"},
		{100000, "EUR", "100,000.00"},
		{999999.999, "EUR", "1,000,000.00"},
		{1e12, "USD", "1,000,000,000,000.00"},
		{1.2345, "KWD", "1.235"},
		{1234.5678, "KWD", "1,234.568"},
		{1.005, "EUR", "1.01"},
		{1234.5, "eur", "1,234.50"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, FormatAmount(tt.amount, tt.currency), "%v %s", tt.amount, tt.currency)
	}
}

func TestMoneyString(t *testing.T) {
	require.Equal(t, "1,234.50 EUR", Money{Amount: 1234.5, Currency: "EUR"}.String())
	require.Equal(t, "1,235 JPY", Money{Amount: 1234.5, Currency: "JPY"}.String())
	require.Equal(t, "-0.125 KWD", Money{Amount: -0.125, Currency: "KWD"}.String())
	require.Equal(t, "0.00 USD", Money{Currency: "USD"}.String())
}

func TestFormatDays(t *testing.T) {
	tests := []struct {
		days int
		want string
	}{
		{0, "0 days"},
		{1, "1 day"},
		{2, "2 days"},
		{7, "7 days"},
		{45, "45 days"},
		{59, "59 days"},
		{60, "60 days (≈ 2 months)"},    // 60 / 30.44 = 1.97
		{91, "91 days (≈ 3 months)"},    // 2.99
		{334, "334 days (≈ 11 months)"}, // 10.97
		{365, "365 days (≈ 12 months)"}, // 11.99
		{366, "366 days (≈ 12 months)"}, // 12.02
		{1096, "1096 days (≈ 36 months)"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, FormatDays(tt.days), tt.days)
	}
}

func TestIsCurrencyCode(t *testing.T) {
	for _, ok := range []string{"EUR", "USD", "JPY", "KWD", "XXX"} {
		require.True(t, IsCurrencyCode(ok), ok)
	}
	for _, bad := range []string{"", "EU", "EURO", "eur", "Eur", "E1R", "EU ", " EU", "€", "ÉUR", "E\x00R"} {
		require.False(t, IsCurrencyCode(bad), bad)
	}
}

func TestAddTotals(t *testing.T) {
	a := []MoneyTotal{
		{Currency: "USD", Term: 1000.004, Spent: 500, OverlapDays: 10, OverlapNew: 33.333, OverlapOriginal: 11.111, OriginalUnknown: 1, Refundable: 0.004},
		{Currency: "EUR", Term: 100.1, Spent: 0.1, OverlapDays: 3, OverlapNew: 1.005, OverlapOriginal: 2.5, Refundable: 10, Refunded: 1},
	}
	b := []MoneyTotal{
		{Currency: "EUR", Term: 0.2, Spent: 0.2, OverlapDays: 4, OverlapNew: 1.005, OverlapOriginal: 0.25, OriginalUnknown: 2, Refunded: 0.125},
		{Currency: "JPY", Term: 1000.4, Spent: 1000.4, OverlapDays: 1, OverlapNew: 0.4, Refundable: 0.5},
	}
	c := []MoneyTotal{
		{Currency: "JPY", Term: 0.4, OverlapDays: 2, OverlapNew: 0.4},
		{Currency: "USD", Term: 0.002, OverlapDays: 5, OverlapNew: 0.001, Refundable: 0.002},
	}
	got := AddTotals(a, b, nil, c)
	require.Equal(t, []MoneyTotal{
		// 100.1 + 0.2 = 100.3; 0.1 + 0.2 = 0.3; 3 + 4 days; 1.005 + 1.005 = 2.01; 2.5 + 0.25 = 2.75; 1 + 0.125 = 1.125 → 1.13.
		{Currency: "EUR", Term: 100.3, Spent: 0.3, OverlapDays: 7, OverlapNew: 2.01, OverlapOriginal: 2.75, OriginalUnknown: 2, Refundable: 10, Refunded: 1.13},
		// 1000.4 + 0.4 = 1000.8 → 1001; 1000.4 → 1000; 0.4 + 0.4 = 0.8 → 1; 0.5 → 1.
		{Currency: "JPY", Term: 1001, Spent: 1000, OverlapDays: 3, OverlapNew: 1, Refundable: 1},
		// 1000.004 + 0.002 = 1000.006 → 1000.01; 33.333 + 0.001 = 33.334 → 33.33; 0.004 + 0.002 = 0.006 → 0.01.
		{Currency: "USD", Term: 1000.01, Spent: 500, OverlapDays: 15, OverlapNew: 33.33, OverlapOriginal: 11.11, OriginalUnknown: 1, Refundable: 0.01},
	}, got)
	// The inputs are not changed.
	require.Equal(t, 100.1, a[1].Term)
	require.Equal(t, 0.2, b[0].Term)

	t.Run("OneSetIsRoundedAndSorted", func(t *testing.T) {
		require.Equal(t, []MoneyTotal{{Currency: "CHF", Term: 1.01}, {Currency: "EUR", Term: 2}},
			AddTotals([]MoneyTotal{{Currency: "EUR", Term: 1.999}, {Currency: "CHF", Term: 1.005}}))
	})
	t.Run("SameCurrencyTwiceInOneSet", func(t *testing.T) {
		require.Equal(t, []MoneyTotal{{Currency: "EUR", Term: 3, OverlapDays: 2}},
			AddTotals([]MoneyTotal{{Currency: "EUR", Term: 1, OverlapDays: 1}, {Currency: "EUR", Term: 2, OverlapDays: 1}}))
	})
	t.Run("Empty", func(t *testing.T) {
		require.Len(t, AddTotals(), 0)
		require.Len(t, AddTotals(nil, []MoneyTotal{}), 0)
	})
}

func TestMoneyViewTotal(t *testing.T) {
	v := &MoneyView{Totals: []MoneyTotal{{Currency: "EUR", Term: 1}, {Currency: "USD", Term: 2}}}
	got, ok := v.Total("USD")
	require.True(t, ok)
	require.Equal(t, MoneyTotal{Currency: "USD", Term: 2}, got)

	got, ok = v.Total("GBP")
	require.False(t, ok)
	require.Equal(t, MoneyTotal{}, got)

	got, ok = v.Total("usd") // codes are compared as given: totals carry canonical codes
	require.False(t, ok)
	require.Equal(t, MoneyTotal{}, got)

	var nilView *MoneyView
	got, ok = nilView.Total("EUR")
	require.False(t, ok)
	require.Equal(t, MoneyTotal{}, got)

	got, ok = (&MoneyView{}).Total("EUR")
	require.False(t, ok)
	require.Equal(t, MoneyTotal{}, got)
}

func TestLineTotals(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ordered := now.Add(-2 * 24 * time.Hour)
	until := ordered.Add(7 * 24 * time.Hour)
	// 10 seats at 30 EUR a month: 300 EUR charged for the month from 27 February (28 days in 2026).
	price := &LinePrice{Currency: "EUR", UnitPrice: 30, TermPrice: 3600, Quantity: 10, BillingCycle: "monthly", TermDuration: "P1Y"}
	overlap := &Overlap{Days: 20, NewCost: &Money{Amount: 197.26, Currency: "EUR"}}
	for _, tc := range []struct {
		name   string
		line   Line
		totals []MoneyTotal
		priced bool
	}{
		{"transfer", Line{PlanLine: PlanLine{Method: MethodTransfer, Overlap: &Overlap{}}}, nil, true},
		{"no target yet", Line{PlanLine: PlanLine{Unresolved: true}}, nil, true},
		{"to buy, not priced", Line{PlanLine: PlanLine{Overlap: &Overlap{Days: 20}}}, nil, false},
		{"to buy, priced, original price unknown", Line{PlanLine: PlanLine{Price: price, Overlap: overlap}},
			[]MoneyTotal{{Currency: "EUR", Term: 3600}, {Currency: "EUR", OverlapDays: 20, OverlapNew: 197.26}, {Currency: "EUR", OriginalUnknown: 1}}, true},
		{"to buy, original in another currency", Line{PlanLine: PlanLine{Price: price,
			Overlap: &Overlap{Days: 20, NewCost: overlap.NewCost, OriginalCost: &Money{Amount: 180, Currency: "USD"}}}},
			[]MoneyTotal{{Currency: "EUR", Term: 3600}, {Currency: "EUR", OverlapDays: 20, OverlapNew: 197.26}, {Currency: "USD", OverlapOriginal: 180}}, true},
		{"bought, refund window open", Line{Progress: LineProgress{Ordered: true, OrderedAt: &ordered, RefundableUntil: &until, Price: price, Overlap: overlap}},
			// 300 × (28 − 2) / 28 = 278.57
			[]MoneyTotal{{Currency: "EUR", Term: 3600, Spent: 3600, Refundable: 278.57}, {Currency: "EUR", OverlapDays: 20, OverlapNew: 197.26}, {Currency: "EUR", OriginalUnknown: 1}}, true},
		{"bought and cancelled", Line{Progress: LineProgress{Ordered: true, OrderedAt: &ordered, Price: price, Refund: &Money{Amount: 278.57, Currency: "EUR"}}},
			[]MoneyTotal{{Currency: "EUR", Refunded: 278.57}, {Currency: "EUR", Term: 3600, Spent: 3600}}, true},
		{"bought before pricing existed", Line{Progress: LineProgress{Ordered: true}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			totals, priced := LineTotals(tc.line, now)
			require.Equal(t, tc.totals, totals)
			require.Equal(t, tc.priced, priced)
		})
	}
}
