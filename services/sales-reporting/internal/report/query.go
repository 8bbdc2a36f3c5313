package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

const (
	// maxGroupBy is API.md's limit on group_by.
	maxGroupBy = 2
	// maxSpan bounds a report's range (about 100 years), which bounds the
	// per-query day table.
	maxSpan = 36600
	// denseLimit is the largest periods × keys × keys grid a query indexes
	// with a flat array; beyond it (e.g. DAY × HOST × MERCHANT) rows are
	// found through a map.
	denseLimit = 1 << 18
	// Top's limit: 0 means defaultTop, more than maxTop is capped.
	defaultTop = 10
	maxTop     = 100
	// overviewTop is the number of districts in an overview.
	overviewTop = 5
)

// group is one group_by dimension resolved against the engine's key
// columns.
type group struct {
	dim     Dimension
	product bool
	col     []int32
	n       int32 // number of keys
}

// cond is one filter: the record's key in col must be id.
type cond struct {
	product bool
	col     []int32
	id      int32
}

// slot accumulates one row. stamp is the last session counted into it, so
// that a session is counted once per row although its records are many.
type slot struct {
	sums
	sessions int64
	stamp    int32
	period   int32
	k        [maxGroupBy]int32
}

// aggregate is the answer of one query before its rows are named and sorted.
type aggregate struct {
	periods []Day // period i is [periods[i], periods[i+1]); last ends at end
	end     Day
	groups  []group
	slots   []slot
	totals  sums
	// sessions with a sale in the whole report
	sessions int64
}

func validRange(start, end Day) error {
	if end <= start {
		return invalid("end_date", fmt.Sprintf("must be after start_date (got [%s, %s))", start, end))
	}
	if end-start > maxSpan {
		return invalid("end_date", fmt.Sprintf("range of %d days is longer than the limit of %d", end-start, maxSpan))
	}
	return nil
}

// Query answers a QuerySalesReport. Errors are *InvalidError.
func (e *Engine) Query(q Query) (Result, error) {
	if !q.Granularity.valid() {
		return Result{}, invalid("granularity", "must be DAY, WEEK, MONTH, QUARTER, YEAR or TOTAL")
	}
	if err := validRange(q.Start, q.End); err != nil {
		return Result{}, err
	}
	if len(q.GroupBy) > maxGroupBy {
		return Result{}, invalid("group_by", fmt.Sprintf("at most %d dimensions, got %d", maxGroupBy, len(q.GroupBy)))
	}
	for i, d := range q.GroupBy {
		if !d.valid() {
			return Result{}, invalid("group_by", fmt.Sprintf("unknown dimension %d", d))
		}
		if slices.Contains(q.GroupBy[:i], d) {
			return Result{}, invalid("group_by", fmt.Sprintf("dimension %d given twice", d))
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := e.aggregate(q.Start, q.End, q.Granularity, q.GroupBy, q.Filter)
	res := Result{DataThrough: e.dataThrough, Totals: metrics(&a.totals, a.sessions)}
	res.Rows = make([]Row, len(a.slots))
	for i := range a.slots {
		s := &a.slots[i]
		ps, pe := a.period(s.period)
		row := Row{PeriodStart: ps, PeriodEnd: pe, Metrics: metrics(&s.sums, s.sessions)}
		if len(a.groups) > 0 {
			row.Keys = make([]string, len(a.groups))
			for j, g := range a.groups {
				row.Keys[j] = e.keys[g.dim].names[s.k[j]]
			}
		}
		res.Rows[i] = row
	}
	slices.SortFunc(res.Rows, func(x, y Row) int {
		if c := cmp.Compare(x.PeriodStart, y.PeriodStart); c != 0 {
			return c
		}
		return slices.Compare(x.Keys, y.Keys)
	})
	return res, nil
}

func metrics(s *sums, sessions int64) Metrics {
	m := Metrics{Sessions: sessions, Orders: s.orders, Units: s.units, Gross: s.gross, Refunds: s.refunds}
	m.finish()
	return m
}

func (a *aggregate) period(i int32) (Day, Day) {
	if int(i)+1 < len(a.periods) {
		return a.periods[i], a.periods[i+1]
	}
	return a.periods[i], a.end
}

// aggregate walks the records of the sessions that have any in [start, end),
// session by session, so that a row counts each session once by comparing
// stamps, with no set per row. The caller holds the read lock and has
// validated the arguments.
func (e *Engine) aggregate(start, end Day, g Granularity, groupBy []Dimension, f Filter) aggregate {
	a := aggregate{end: end}
	periodOf := make([]int32, end-start)
	for d := start; d < end; {
		ps, pe := Period(g, d, start, end)
		for x := ps; x < pe; x++ {
			periodOf[x-start] = int32(len(a.periods))
		}
		a.periods = append(a.periods, ps)
		d = pe
	}

	useCells := false
	for _, d := range groupBy {
		gr := group{dim: d, product: productDim(d), col: e.col[d], n: int32(len(e.keys[d].names))}
		useCells = useCells || gr.product
		a.groups = append(a.groups, gr)
	}
	var conds []cond
	for _, fv := range []struct {
		d Dimension
		v string
	}{
		{DimDistrict, f.District}, {DimOriginDistrict, f.OriginDistrict}, {DimHost, f.Host},
		{DimAgency, f.Agency}, {DimBase, f.Base}, {DimMerchant, f.Merchant},
		{DimCategory, f.Category}, {DimPlatform, f.Platform},
	} {
		if fv.v == "" {
			continue
		}
		id, ok := e.keys[fv.d].ids[fv.v]
		if !ok {
			return a // no sale has that key
		}
		conds = append(conds, cond{product: productDim(fv.d), col: e.col[fv.d], id: id})
		useCells = useCells || productDim(fv.d)
	}

	// Row grid: period × key1 × key2, with unused dimensions of size 1.
	n1, n2 := int64(1), int64(1)
	var col1, col2 []int32
	var p1, p2 bool
	if len(a.groups) > 0 {
		n1, col1, p1 = int64(a.groups[0].n), a.groups[0].col, a.groups[0].product
	}
	if len(a.groups) > 1 {
		n2, col2, p2 = int64(a.groups[1].n), a.groups[1].col, a.groups[1].product
	}
	grid := int64(len(a.periods)) * n1 * n2
	var dense []int32 // slot index + 1, 0 for none
	var sparse map[int64]int32
	if grid <= denseLimit {
		dense = make([]int32, grid)
	} else {
		sparse = make(map[int64]int32)
	}

	for sid, sp := range e.spans {
		if sp.hi < start || sp.lo >= end {
			continue
		}
		s := &e.sessions[sid]
		recs := s.days
		if useCells {
			recs = s.cells
		}
		stamp := int32(sid) + 1
		counted := false
	records:
		for i := range recs {
			r := &recs[i]
			if r.day < start || r.day >= end {
				continue
			}
			for _, c := range conds {
				attr := r.sattr
				if c.product {
					attr = r.pattr
				}
				if c.col[attr] != c.id {
					continue records
				}
			}
			p := periodOf[r.day-start]
			var k1, k2 int32
			if col1 != nil {
				if p1 {
					k1 = col1[r.pattr]
				} else {
					k1 = col1[r.sattr]
				}
			}
			if col2 != nil {
				if p2 {
					k2 = col2[r.pattr]
				} else {
					k2 = col2[r.sattr]
				}
			}
			cell := (int64(p)*n1+int64(k1))*n2 + int64(k2)
			var idx int32
			if dense != nil {
				idx = dense[cell]
			} else {
				idx = sparse[cell]
			}
			if idx == 0 {
				a.slots = append(a.slots, slot{period: p, k: [maxGroupBy]int32{k1, k2}})
				idx = int32(len(a.slots))
				if dense != nil {
					dense[cell] = idx
				} else {
					sparse[cell] = idx
				}
			}
			sl := &a.slots[idx-1]
			sl.add(&r.sums)
			if sl.stamp != stamp {
				sl.stamp = stamp
				sl.sessions++
			}
			a.totals.add(&r.sums)
			counted = true
		}
		if counted {
			a.sessions++
		}
	}
	return a
}

// Top ranks the keys of dimension d over [start, end) by metric m,
// descending, ties broken by key ascending. limit 0 means 10 and more than
// 100 is capped at 100. The empty key (hosts without an agency, as a group)
// is no performer and is left out. The time is the data_through of the
// answer.
func (e *Engine) Top(d Dimension, m Metric, start, end Day, limit int) ([]TopEntry, time.Time, error) {
	if !d.valid() {
		return nil, time.Time{}, invalid("dimension", "must be one of DISTRICT, ORIGIN_DISTRICT, HOST, AGENCY, BASE, MERCHANT, CATEGORY, PLATFORM")
	}
	if m < MetricNet || m > MetricUnits {
		return nil, time.Time{}, invalid("metric", "must be NET, GROSS, ORDERS or UNITS")
	}
	if err := validRange(start, end); err != nil {
		return nil, time.Time{}, err
	}
	switch {
	case limit < 0:
		return nil, time.Time{}, invalid("limit", "must not be negative")
	case limit == 0:
		limit = defaultTop
	case limit > maxTop:
		limit = maxTop
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := e.aggregate(start, end, Total, []Dimension{d}, Filter{})
	return e.rank(&a, m, limit), e.dataThrough, nil
}

// rank turns the rows of a one-dimension aggregate into a ranking.
func (e *Engine) rank(a *aggregate, m Metric, limit int) []TopEntry {
	names := e.keys[a.groups[0].dim].names
	entries := make([]TopEntry, 0, len(a.slots))
	for i := range a.slots {
		s := &a.slots[i]
		key := names[s.k[0]]
		if key == "" {
			continue
		}
		mt := metrics(&s.sums, s.sessions)
		entries = append(entries, TopEntry{Key: key, Value: metricValue(&mt, m), Metrics: mt})
	}
	slices.SortFunc(entries, func(x, y TopEntry) int {
		if c := cmp.Compare(y.Value, x.Value); c != 0 {
			return c
		}
		return cmp.Compare(x.Key, y.Key)
	})
	entries = entries[:min(limit, len(entries))]
	for i := range entries {
		entries[i].Rank = i + 1
	}
	return entries
}

func metricValue(mt *Metrics, m Metric) int64 {
	switch m {
	case MetricGross:
		return mt.Gross
	case MetricOrders:
		return mt.Orders
	case MetricUnits:
		return mt.Units
	default:
		return mt.Net
	}
}

// Overview is the headline of [start, end); an empty or reversed range has
// only DataThrough. It walks the per-(session, day) records once, counting
// districts for the top 5 and marking active hosts, bases and agencies
// (hosts without an agency add no agency).
func (e *Engine) Overview(start, end Day) Overview {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := Overview{DataThrough: e.dataThrough}
	if validRange(start, end) != nil {
		return o
	}
	hostCol, baseCol, agencyCol, districtCol := e.col[DimHost], e.col[DimBase], e.col[DimAgency], e.col[DimDistrict]
	hostSeen := make([]bool, len(e.keys[DimHost].names))
	baseSeen := make([]bool, len(e.keys[DimBase].names))
	agencySeen := make([]bool, len(e.keys[DimAgency].names))
	districts := make([]slot, len(e.keys[DimDistrict].names))
	var total sums
	for sid, sp := range e.spans {
		if sp.hi < start || sp.lo >= end {
			continue
		}
		stamp := int32(sid) + 1
		counted := false
		days := e.sessions[sid].days
		for i := range days {
			r := &days[i]
			if r.day < start || r.day >= end {
				continue
			}
			total.add(&r.sums)
			d := &districts[districtCol[r.sattr]]
			d.add(&r.sums)
			if d.stamp != stamp {
				d.stamp = stamp
				d.sessions++
			}
			hostSeen[hostCol[r.sattr]] = true
			baseSeen[baseCol[r.sattr]] = true
			agencySeen[agencyCol[r.sattr]] = true
			counted = true
		}
		if counted {
			o.SessionsWithSales++
		}
	}
	o.Orders, o.Gross, o.Refunds = total.orders, total.gross, total.refunds
	o.Net = o.Gross - o.Refunds
	o.ActiveHosts = countActive(hostSeen, e.keys[DimHost].names)
	o.ActiveBases = countActive(baseSeen, e.keys[DimBase].names)
	o.ActiveAgencies = countActive(agencySeen, e.keys[DimAgency].names)

	a := aggregate{groups: []group{{dim: DimDistrict}}}
	for k := range districts {
		if districts[k].stamp != 0 {
			districts[k].k[0] = int32(k)
			a.slots = append(a.slots, districts[k])
		}
	}
	o.TopDistricts = e.rank(&a, MetricNet, overviewTop)
	return o
}

// countActive counts the keys seen, the empty key (no agency) excepted.
func countActive(seen []bool, names []string) int64 {
	var n int64
	for k, ok := range seen {
		if ok && names[k] != "" {
			n++
		}
	}
	return n
}
