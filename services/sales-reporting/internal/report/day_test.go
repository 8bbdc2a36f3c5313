package report

import (
	"errors"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Asia/Shanghai on any machine
)

// shanghai is one *time.Location for every test, so that the times a test
// makes carry the very zone its engine was made for (an engine's image
// keeps that zone by reference, see image.go).
func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := loadShanghai()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var loadShanghai = sync.OnceValues(func() (*time.Location, error) { return time.LoadLocation("Asia/Shanghai") })

func day(t testing.TB, s string) Day {
	t.Helper()
	d, err := ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDayOfUsesTheAllianceTimeZone(t *testing.T) {
	loc := shanghai(t)
	for _, tc := range []struct {
		name, utc, want string
	}{
		{"one second before local midnight stays on the local day", "2020-06-30T15:59:59Z", "2020-06-30"},
		{"local midnight starts the next day although UTC is still on the previous", "2020-06-30T16:00:00Z", "2020-07-01"},
		{"local new year starts at 16:00 UTC on 31 December", "2020-12-31T16:00:00Z", "2021-01-01"},
		{"UTC midnight is 08:00 local, same date", "2021-03-01T00:00:00Z", "2021-03-01"},
		{"before 1970 counts backwards", "1969-12-31T15:59:59Z", "1969-12-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tc.utc)
			if err != nil {
				t.Fatal(err)
			}
			if got := DayOf(at, loc).String(); got != tc.want {
				t.Fatalf("DayOf(%s) = %s, want %s", tc.utc, got, tc.want)
			}
		})
	}
}

func TestParseDay(t *testing.T) {
	if d := day(t, "1970-01-01"); d != 0 {
		t.Fatalf("1970-01-01 = %d, want day 0", d)
	}
	if d := day(t, "2020-02-29"); d.String() != "2020-02-29" {
		t.Fatalf("round trip gave %s", d)
	}
	for _, bad := range []string{"", "2020-1-01", "2020-01-1", "2021-02-29", "2020-13-01", "2020/01/01", "2020-01-01T00:00:00Z", " 2020-01-01", "20200101"} {
		t.Run("rejected: "+bad, func(t *testing.T) {
			if _, err := ParseDay(bad); err == nil {
				t.Fatalf("ParseDay(%q) accepted", bad)
			}
		})
	}
}

func TestPeriodBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		g          Granularity
		day        string
		start, end string // range of the report
		ps, pe     string // expected period [ps, pe)
	}{
		{"day: one day", Daily, "2020-03-01", "2020-01-01", "2021-01-01", "2020-03-01", "2020-03-02"},
		{"ISO week: Thursday 2020-12-31 is in the week of Monday 2020-12-28", Weekly, "2020-12-31", "2020-01-01", "2022-01-01", "2020-12-28", "2021-01-04"},
		{"ISO week: Sunday 2021-01-03 is still in week 53 of 2020", Weekly, "2021-01-03", "2020-01-01", "2022-01-01", "2020-12-28", "2021-01-04"},
		{"ISO week: Monday 2021-01-04 starts week 1 of 2021", Weekly, "2021-01-04", "2020-01-01", "2022-01-01", "2021-01-04", "2021-01-11"},
		{"ISO week: before 1970, Monday first", Weekly, "1969-12-31", "1960-01-01", "1980-01-01", "1969-12-29", "1970-01-05"},
		{"week clipped to the start of the report", Weekly, "2021-01-01", "2021-01-01", "2021-02-01", "2021-01-01", "2021-01-04"},
		{"week clipped to the end of the report", Weekly, "2021-01-29", "2021-01-01", "2021-01-30", "2021-01-25", "2021-01-30"},
		{"month: leap February", Monthly, "2020-02-29", "2020-01-01", "2021-01-01", "2020-02-01", "2020-03-01"},
		{"month: December ends at the next year", Monthly, "2020-12-31", "2020-01-01", "2022-01-01", "2020-12-01", "2021-01-01"},
		{"quarter: March is Q1", Quarterly, "2020-03-31", "2020-01-01", "2021-01-01", "2020-01-01", "2020-04-01"},
		{"quarter: April starts Q2", Quarterly, "2020-04-01", "2020-01-01", "2021-01-01", "2020-04-01", "2020-07-01"},
		{"quarter: Q4 ends at the next year", Quarterly, "2020-11-15", "2020-01-01", "2022-01-01", "2020-10-01", "2021-01-01"},
		{"quarter clipped to both ends", Quarterly, "2020-05-05", "2020-05-01", "2020-06-10", "2020-05-01", "2020-06-10"},
		{"year", Yearly, "2020-07-01", "2019-01-01", "2022-01-01", "2020-01-01", "2021-01-01"},
		{"year clipped", Yearly, "2020-07-01", "2020-03-15", "2020-09-01", "2020-03-15", "2020-09-01"},
		{"total is the whole range", Total, "2020-07-01", "2020-03-15", "2021-09-01", "2020-03-15", "2021-09-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, pe := Period(tc.g, day(t, tc.day), day(t, tc.start), day(t, tc.end))
			if ps.String() != tc.ps || pe.String() != tc.pe {
				t.Fatalf("Period = [%s, %s), want [%s, %s)", ps, pe, tc.ps, tc.pe)
			}
		})
	}
}

func TestAverageOrderValueRoundsHalfToEven(t *testing.T) {
	for _, tc := range []struct {
		name                string
		gross, orders, want int64
	}{
		{"no orders is 0", 1000, 0, 0},
		{"exact", 1000, 4, 250},
		{"below half rounds down", 10, 3, 3},
		{"above half rounds up", 20, 3, 7},
		{"half rounds to even (down)", 5, 2, 2},
		{"half rounds to even (up)", 7, 2, 4},
		{"half of a large sum", 1<<62 + 1, 2, 1 << 61},
		{"remainder near a huge divisor does not overflow", 1<<62 + (1<<62 - 1), 1<<62 + 1, 2},
		{"negative half to even", -7, 2, -4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AverageOrderValue(tc.gross, tc.orders); got != tc.want {
				t.Fatalf("AverageOrderValue(%d, %d) = %d, want %d", tc.gross, tc.orders, got, tc.want)
			}
		})
	}
}

func TestCellAdd(t *testing.T) {
	t0 := time.Date(2020, 6, 1, 10, 0, 0, 0, time.UTC)
	var c Cell
	c.Add(Delta{Session: "sessions/a", Product: "members/m/products/p", Day: 7, Kind: Order, Quantity: 3, Amount: 300, EventTime: t0})
	c.Add(Delta{Session: "sessions/a", Product: "members/m/products/p", Day: 7, Kind: Refund, Quantity: 1, Amount: 100, EventTime: t0.Add(-time.Hour)})
	c.Add(Delta{Session: "sessions/a", Product: "members/m/products/p", Day: 7, Kind: Order, Quantity: 2, Amount: 50, EventTime: t0.Add(time.Hour)})
	want := Cell{Session: "sessions/a", Product: "members/m/products/p", Day: 7, Orders: 2, Units: 5, Gross: 350,
		Refunds: 100, RefundLines: 1, FirstEvent: t0.Add(-time.Hour), LastEvent: t0.Add(time.Hour)}
	if c != want {
		t.Fatalf("cell = %+v\nwant %+v", c, want)
	}
}

func TestInvalidRequests(t *testing.T) {
	e := New(time.UTC)
	s, en := day(t, "2020-01-01"), day(t, "2021-01-01")
	for _, tc := range []struct {
		name  string
		q     Query
		field string
	}{
		{"group_by: at most two dimensions", Query{Start: s, End: en, Granularity: Monthly, GroupBy: []Dimension{DimDistrict, DimHost, DimBase}}, "group_by"},
		{"group_by: a dimension only once", Query{Start: s, End: en, Granularity: Monthly, GroupBy: []Dimension{DimHost, DimHost}}, "group_by"},
		{"group_by: known dimensions only", Query{Start: s, End: en, Granularity: Monthly, GroupBy: []Dimension{99}}, "group_by"},
		{"granularity: must be given", Query{Start: s, End: en}, "granularity"},
		{"end_date: after start_date", Query{Start: en, End: s, Granularity: Monthly}, "end_date"},
		{"end_date: an empty range is no range", Query{Start: s, End: s, Granularity: Monthly}, "end_date"},
		{"end_date: at most about 100 years", Query{Start: s, End: s + maxSpan + 1, Granularity: Yearly}, "end_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Query(tc.q)
			var ie *InvalidError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) || ie.Field != tc.field {
				t.Fatalf("err = %v, want an InvalidError on %s", err, tc.field)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		d     Dimension
		m     Metric
		limit int
		field string
	}{
		{"top: known dimension", 0, MetricNet, 0, "dimension"},
		{"top: known metric", DimHost, 9, 0, "metric"},
		{"top: limit not negative", DimHost, MetricNet, -1, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.Top(tc.d, tc.m, Filter{}, s, en, tc.limit)
			var ie *InvalidError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want an InvalidError on %s", err, tc.field)
			}
		})
	}
}
