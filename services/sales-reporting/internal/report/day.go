package report

import (
	"fmt"
	"time"
)

const secondsPerDay = 86400

// DayOf is the civil date of t in loc (the alliance time zone). Orders and
// refunds are bucketed by it, so a sale at 23:59 local time stays on its
// local day whatever UTC says.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return civil(y, m, d)
}

// civil is the Day of a calendar date; time.Date normalises overflowing
// months and days, which the period arithmetic relies on (month 13 is the
// next January).
func civil(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

// ParseDay parses a calendar date written YYYY-MM-DD, as docs/API.md's
// start_date and end_date are.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return 0, fmt.Errorf("invalid date %q: want a calendar date written YYYY-MM-DD", s)
	}
	return civil(t.Date()), nil
}

// Date is the calendar date of d.
func (d Day) Date() (year int, month time.Month, day int) {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Date()
}

// String is d as YYYY-MM-DD.
func (d Day) String() string {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Format(time.DateOnly)
}

// Start is the first instant of d in loc: what a period boundary means as
// a timestamp (e.g. for session-scheduling's CountSessions).
func (d Day) Start(loc *time.Location) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

func (g Granularity) valid() bool { return g >= Daily && g <= Total }

// Period is the period of g that holds d, clipped to the asked range
// [start, end): the first period of a report may begin after its calendar
// start, and the last may end before its calendar end. A TOTAL period is the
// whole range.
func Period(g Granularity, d, start, end Day) (Day, Day) {
	var ps, pe Day
	switch g {
	case Daily:
		ps, pe = d, d+1
	case Weekly:
		// 1970-01-01 was a Thursday, the fourth day of an ISO week.
		ps = d - Day(floorMod(int64(d)+3, 7))
		pe = ps + 7
	case Monthly:
		y, m, _ := d.Date()
		ps, pe = civil(y, m, 1), civil(y, m+1, 1)
	case Quarterly:
		y, m, _ := d.Date()
		first := (m-1)/3*3 + 1
		ps, pe = civil(y, first, 1), civil(y, first+3, 1)
	case Yearly:
		y, _, _ := d.Date()
		ps, pe = civil(y, 1, 1), civil(y+1, 1, 1)
	default:
		ps, pe = start, end
	}
	return max(ps, start), min(pe, end)
}

func floorMod(a, n int64) int64 {
	r := a % n
	if r < 0 {
		r += n
	}
	return r
}
