package report

// Totals kept up to date by merge, so that the reports that walk the most
// records read a few per period instead: a row's figures for each day,
// month and year, in total (the DAY report, say) and per key of each
// product dimension (MONTH × CATEGORY, DAY × CATEGORY, the ranking of
// merchants over a year). A row's sessions are distinct sessions with an
// order in the period, which do not add up over periods, so each kind of
// period keeps its own count: the first order cell of a session in a
// period (and, for a dimension, with that key) counts it there.
//
// A query reads them only when every one of its periods is one whole day,
// month or year, it groups by nothing or by one product dimension, and it
// has no filter; any other query walks the records as before. Sessions of
// product-dimension rows carry no traffic; a report grouped by nothing
// adds the days' (months') traffic records, as the walk does. The
// report's own distinct sessions come from the totals of its one period
// when it has one, and from a walk of the session records otherwise.
// TestTotalsAnswerAsTheWalkDoes holds the two ways to one answer.

// Columns of dayData.tots: the row of no dimension, then one per product
// dimension, indexed by the key's id.
const (
	totNone = iota
	totMerchant
	totCategory
	totOrigin
	totCols
)

var totDims = [totCols]Dimension{0, DimMerchant, DimCategory, DimOriginDistrict}

// tot is a row of the totals: its sums, its sessions, and how many cells
// it holds (a row exists when it holds one, as a walk would make it).
type tot struct {
	sums
	sessions int64
	cells    int64
}

// at is the row of key k in column j, grown on first use.
func (dd *dayData) at(j int, k int32) *tot {
	col := dd.tots[j]
	if int(k) >= len(col) {
		col = append(col, make([]tot, int(k)+1-len(col))...)
		dd.tots[j] = col
	}
	return &col[k]
}

// tally counts a cell's delta into the totals of its day, month and year;
// newCell says the cell did not exist before.
func (e *Engine) tally(pa int32, dd, md, yd *dayData, add *sums, newCell bool) {
	keys := e.totKeys(pa)
	for _, b := range [3]*dayData{dd, md, yd} {
		for j, k := range keys {
			t := b.at(j, k)
			t.add(add)
			if newCell {
				t.cells++
			}
		}
	}
}

func (e *Engine) totKeys(pa int32) [totCols]int32 {
	return [totCols]int32{0, e.col[DimMerchant][pa], e.col[DimCategory][pa], e.col[DimOriginDistrict][pa]}
}

// countSessions counts session sid into the sessions of the rows of a cell
// of product attribution pa on day whose first order has just come, where
// the session has no other cell with an order (see crefs) in the row's
// period with the row's key. Call it before linkCell files the cell.
func (e *Engine) countSessions(sid, pa int32, day Day, dd, md, yd *dayData) {
	keys := e.totKeys(pa)
	y, m, _ := day.Date()
	bounds := [3][2]Day{{day, day + 1}, {civil(y, m, 1), civil(y, m+1, 1)}, {civil(y, 1, 1), civil(y+1, 1, 1)}}
	var found [3][totCols]bool
	for _, r := range e.crefs[sid] {
		var same [totCols]bool
		same[totNone] = true
		for j := totMerchant; j < totCols; j++ {
			same[j] = e.col[totDims[j]][r.pattr] == keys[j]
		}
		for p, b := range bounds {
			if r.day >= b[0] && r.day < b[1] {
				for j := range totCols {
					found[p][j] = found[p][j] || same[j]
				}
			}
		}
	}
	for p, b := range [3]*dayData{dd, md, yd} {
		for j, k := range keys {
			if !found[p][j] {
				b.at(j, k).sessions++
			}
		}
	}
}

func yearStart(d Day) Day {
	y, _, _ := d.Date()
	return civil(y, 1, 1)
}

// totalsFor is which totals answer a query: the list of buckets whose
// every period is one whole bucket, or nil when none do.
func (e *Engine) totalsFor(g Granularity, periods []Day, end Day) []*dayData {
	if len(periods) == 0 {
		return nil
	}
	start := periods[0]
	var index map[Day]*dayData
	var next func(Day) Day
	switch {
	case g == Daily || g == Total && end == start+1:
		index, next = e.dayOf, func(d Day) Day { return d + 1 }
	case g == Monthly || g == Total && monthStart(start) == start && nextMonth(start) == end:
		index, next = e.monthOf, nextMonth
	case g == Yearly || g == Total && yearStart(start) == start && nextYear(start) == end:
		index, next = e.yearOf, nextYear
	default:
		return nil
	}
	out := make([]*dayData, len(periods))
	for i, ps := range periods {
		pe := end
		if i+1 < len(periods) {
			pe = periods[i+1]
		}
		if next(ps) != pe || (g == Monthly && monthStart(ps) != ps) || (g == Yearly && yearStart(ps) != ps) {
			return nil // a period cut by the range
		}
		out[i] = index[ps]
	}
	return out
}

func nextMonth(d Day) Day {
	y, m, _ := d.Date()
	return civil(y, m+1, 1)
}

func nextYear(d Day) Day {
	y, _, _ := d.Date()
	return civil(y+1, 1, 1)
}

// fromTotals answers the aggregate a from the totals when it can (see the
// top of this file), and reports whether it did. a has its periods.
func (e *Engine) fromTotals(a *aggregate, start, end Day, g Granularity, groupBy []Dimension, f Filter, seen []bool) bool {
	if e.noTotals || seen != nil || f != (Filter{}) || len(groupBy) > 1 {
		return false
	}
	col := totNone
	if len(groupBy) == 1 {
		switch groupBy[0] {
		case DimMerchant:
			col = totMerchant
		case DimCategory:
			col = totCategory
		case DimOriginDistrict:
			col = totOrigin
		default:
			return false
		}
	}
	buckets := e.totalsFor(g, a.periods, end)
	if buckets == nil {
		return false
	}
	for _, d := range groupBy {
		a.groups = append(a.groups, group{dim: d, product: true, col: e.col[d], n: int32(len(e.keys[d].names))})
	}
	for p, b := range buckets {
		if b == nil {
			continue
		}
		for k := range b.tots[col] {
			t := &b.tots[col][k]
			if t.cells == 0 {
				continue
			}
			s := slot{sums: t.sums, sessions: t.sessions, period: int32(p)}
			if col != totNone {
				s.k[0] = int32(k)
			}
			a.slots = append(a.slots, s)
		}
	}
	if col == totNone && e.trafficOf != nil {
		// The traffic of the periods, into their rows (made when a period
		// has traffic but no sale, as the walk makes them).
		var periods aggregate
		periodOf := periods.makePeriods(g, start, end)
		w := walker{a: a, e: e, start: start, sOff: make([]int64, len(e.sattrs)), periodOf: periodOf, n2: 1, perPeriod: 1,
			dense: make([]int32, len(a.periods))}
		for i := range a.slots {
			w.dense[a.slots[i].period] = int32(i + 1)
		}
		if g == Daily || end == start+1 {
			w.walkTraffic(e.byDay, start, end)
		} else { // whole months
			w.walkTraffic(e.byMonth, start, end)
		}
	}
	for i := range a.slots {
		a.totals.add(&a.slots[i].sums)
		a.ttotals.add(&a.slots[i].traffic)
	}
	if len(buckets) == 1 {
		if b := buckets[0]; b != nil && len(b.tots[totNone]) > 0 {
			a.sessions = b.tots[totNone][0].sessions
		}
	} else {
		a.sessions = e.sessionsIn(start, end)
	}
	return true
}

// sessionsIn is the number of distinct sessions with an order in [start,
// end), by a walk of the session records grouped by nothing (a range of
// several days, months or years: no totals answer it, so this walks).
func (e *Engine) sessionsIn(start, end Day) int64 {
	return e.aggregate(start, end, Total, nil, Filter{}, nil).sessions
}
