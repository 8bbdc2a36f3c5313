package report

// Totals kept up to date by merge, so that the reports that walk the most
// records read a few per period instead: a row's figures for each day,
// month and year, in total (the DAY report, say) and per key of each
// dimension (MONTH × CATEGORY, DAY × CATEGORY, TOTAL × HOST, the ranking
// of merchants over a year, the overview of a year). A row's sessions are
// distinct sessions with an order in the period, which do not add up over
// periods, so each kind of period keeps its own count: the first order
// cell (for a product dimension) or day record (for a session dimension)
// of a session in a period with the row's key counts it there.
//
// A query reads them only when every one of its periods is one whole day,
// month or year, it groups by nothing or by one dimension (two: pairs.go),
// and it has no filter; any other query walks the records as before. Rows of product
// dimensions carry no traffic; the others add the days' (months') traffic
// records, as the walk does. The report's own distinct sessions come from
// the totals of its one period when it has one, and from a walk of the
// session records otherwise. TestTotalsAnswerAsTheWalkDoes holds the two
// ways to one answer. They take about 60 bytes per key and day.

// Columns of dayData.tots: the row of no dimension, then one per product
// dimension, then one per session dimension, indexed by the key's id.
const (
	totNone = iota
	totMerchant
	totCategory
	totOrigin
	totDistrict // the first session dimension
	totHost
	totAgency
	totBase
	totPlatform
	totCols
)

var totDims = [totCols]Dimension{0, DimMerchant, DimCategory, DimOriginDistrict, DimDistrict, DimHost, DimAgency, DimBase, DimPlatform}

// totCol is the column of dimension d.
func totCol(d Dimension) int {
	for j, x := range totDims {
		if x == d {
			return j
		}
	}
	return totNone
}

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

// tally counts a cell's delta into the totals of its day, month and year:
// the columns of no dimension and of the product dimensions by the cell
// (newCell: it did not exist before), those of the session dimensions by
// its day record (newDay: that did not exist before).
func (e *Engine) tally(sa, pa int32, dd, md, yd *dayData, add *sums, newCell, newDay bool) {
	keys := e.totKeys(sa, pa)
	for _, b := range [3]*dayData{dd, md, yd} {
		for j, k := range keys {
			t := b.at(j, k)
			t.add(add)
			if j < totDistrict && newCell || j >= totDistrict && newDay {
				t.cells++
			}
		}
	}
}

// totKeys are the keys of each column for session attribution sa and
// product attribution pa; a negative one leaves its columns at 0 (traffic
// has no product, and may come before any sale has one).
func (e *Engine) totKeys(sa, pa int32) [totCols]int32 {
	var keys [totCols]int32
	for j := totMerchant; j < totCols; j++ {
		x := pa
		if j >= totDistrict {
			x = sa
		}
		if x >= 0 {
			keys[j] = e.col[totDims[j]][x]
		}
	}
	return keys
}

// periodBounds are the day, month and year of day, as [first, next first).
func periodBounds(day Day) [3][2]Day {
	y, m, _ := day.Date()
	return [3][2]Day{{day, day + 1}, {civil(y, m, 1), civil(y, m+1, 1)}, {civil(y, 1, 1), civil(y+1, 1, 1)}}
}

// countDaySessions counts session sid into the sessions of the session
// dimensions' rows of a day record of attribution sa on day whose first
// order has just come, where the session has no other day record with an
// order (see refs) in the row's period with the row's key. Call it before
// link files the record.
func (e *Engine) countDaySessions(sid, sa int32, day Day, dd, md, yd *dayData) {
	keys := e.totKeys(sa, -1)
	bounds := periodBounds(day)
	var found [3][totCols]bool
	for _, r := range e.refs[sid] {
		for p, b := range bounds {
			if r.day < b[0] || r.day >= b[1] {
				continue
			}
			for j := totDistrict; j < totCols; j++ {
				found[p][j] = found[p][j] || e.col[totDims[j]][r.sattr] == keys[j]
			}
		}
	}
	for p, b := range [3]*dayData{dd, md, yd} {
		for j := totDistrict; j < totCols; j++ {
			if !found[p][j] {
				b.at(j, keys[j]).sessions++
			}
		}
	}
}

// countSessions counts session sid into the sessions of the rows of a cell
// of product attribution pa on day whose first order has just come, where
// the session has no other cell with an order (see crefs) in the row's
// period with the row's key. Call it before linkCell files the cell.
func (e *Engine) countSessions(sid, pa int32, day Day, dd, md, yd *dayData) {
	keys := e.totKeys(-1, pa)
	bounds := periodBounds(day)
	var found [3][totDistrict]bool
	for _, r := range e.crefs[sid] {
		var same [totDistrict]bool
		same[totNone] = true
		for j := totMerchant; j < totDistrict; j++ {
			same[j] = e.col[totDims[j]][r.pattr] == keys[j]
		}
		for p, b := range bounds {
			if r.day >= b[0] && r.day < b[1] {
				for j := range totDistrict {
					found[p][j] = found[p][j] || same[j]
				}
			}
		}
	}
	for p, b := range [3]*dayData{dd, md, yd} {
		for j := range totDistrict {
			if !found[p][j] {
				b.at(j, keys[j]).sessions++
			}
		}
	}
}

// tallyTraffic adds (or, with add false, takes away) a session's traffic
// ts in the totals of day, its month and its year, for no dimension and
// the session dimensions of session attribution sa. The peak is a
// maximum and stays when taken away, as in a month's traffic records.
func (e *Engine) tallyTraffic(day Day, sa int32, ts *tsums, add bool) {
	keys := e.totKeys(sa, -1)
	y, m, _ := day.Date()
	for _, b := range [3]*dayData{bucket(&e.byDay, e.dayOf, day), bucket(&e.byMonth, e.monthOf, civil(y, m, 1)), bucket(&e.byYear, e.yearOf, civil(y, 1, 1))} {
		for j := range totCols {
			if j != totNone && j < totDistrict {
				continue
			}
			k := keys[j]
			col := b.ttots[j]
			if int(k) >= len(col) {
				col = append(col, make([]tsums, int(k)+1-len(col))...)
				b.ttots[j] = col
			}
			if add {
				col[k].add(ts)
			} else {
				col[k].sub(ts)
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
	if e.noTotals || seen != nil || f != (Filter{}) || len(groupBy) > 2 {
		return false
	}
	if len(groupBy) == 2 {
		return e.fromPairs(a, start, end, g, groupBy) // pairs.go
	}
	col, keys := totNone, int64(1)
	if len(groupBy) == 1 {
		col, keys = totCol(groupBy[0]), int64(len(e.keys[groupBy[0]].names))
	}
	if int64(len(a.periods))*keys > denseLimit {
		return false
	}
	buckets := e.totalsFor(g, a.periods, end)
	if buckets == nil {
		return false
	}
	for _, b := range buckets {
		if b != nil && b.trafficStale && (col == totNone || col >= totDistrict) {
			return false
		}
	}
	for _, d := range groupBy {
		a.groups = append(a.groups, group{dim: d, product: productDim(d), col: e.col[d], n: int32(len(e.keys[d].names))})
	}
	dense := newGrid(int64(len(a.periods)) * keys) // slot + 1 of each period and key
	defer gridReuse.put(dense)
	// The rows with sales, counted first: growing the slots by appending
	// was a quarter of what a report of thousands of rows allocated, and
	// what a report allocates is what makes the collector run.
	n := 0
	for _, b := range buckets {
		if b != nil {
			for k := range b.tots[col] {
				n += int(b2i(b.tots[col][k].cells > 0))
			}
		}
	}
	a.slots = slotReuse.get(n)
	// row is the slot of period p and key k, made on first use.
	row := func(p, k int) *slot {
		at := int64(p)*keys + int64(k)
		if dense[at] == 0 {
			s := slot{period: int32(p)}
			s.k[0] = int32(k)
			a.slots = append(a.slots, s)
			dense[at] = int32(len(a.slots))
		}
		return &a.slots[dense[at]-1]
	}
	for p, b := range buckets {
		if b == nil {
			continue
		}
		for k := range b.tots[col] {
			if t := &b.tots[col][k]; t.cells > 0 {
				s := row(p, k)
				s.sums, s.sessions = t.sums, t.sessions
			}
		}
	}
	if col == totNone || col >= totDistrict {
		// The traffic of the periods, into their rows (made when a row
		// has traffic but no sale, as the walk makes them).
		for p, b := range buckets {
			if b == nil {
				continue
			}
			for k := range b.ttots[col] {
				if tr := &b.ttots[col][k]; tr.Sessions != 0 {
					row(p, k).traffic.add(tr)
				}
			}
		}
	}
	for i := range a.slots {
		a.totals.add(&a.slots[i].sums)
		a.ttotals.add(&a.slots[i].traffic)
	}
	a.sessions = e.reportSessions(buckets, start, end)
	return true
}

// reportSessions is the number of distinct sessions with an order in a
// report of [start, end) whose periods are buckets: the totals' of its one
// period, or sessionsIn.
func (e *Engine) reportSessions(buckets []*dayData, start, end Day) int64 {
	if len(buckets) != 1 {
		return e.sessionsIn(start, end)
	}
	if b := buckets[0]; b != nil && len(b.tots[totNone]) > 0 {
		return b.tots[totNone][0].sessions
	}
	return 0
}

// sessionsIn is the number of distinct sessions with an order in [start,
// end): the totals' when the range is one whole day, month or year, a walk
// of the session records grouped by nothing otherwise.
func (e *Engine) sessionsIn(start, end Day) int64 {
	if b := e.totalsFor(Total, []Day{start}, end); b != nil {
		// One whole year, say (a DAY report of a year): its totals.
		if b[0] == nil || len(b[0].tots[totNone]) == 0 {
			return 0
		}
		return b[0].tots[totNone][0].sessions
	}
	return e.aggregate(start, end, Total, nil, Filter{}, nil).sessions
}
