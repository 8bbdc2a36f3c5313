package report

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Comparison with an earlier period.
type Comparison int

const (
	NoComparison Comparison = iota
	// PreviousPeriod: the range of the same length just before.
	PreviousPeriod
	// PreviousYear: the same calendar dates a year earlier (29 February
	// becomes 28 February).
	PreviousYear
)

// EarlierRange is the range [start, end) is compared with.
func EarlierRange(c Comparison, start, end Day) (Day, Day) {
	if c == PreviousYear {
		return yearEarlier(start), yearEarlier(end)
	}
	n := end - start
	return start - n, start
}

// counterpart is the day of the earlier range that day d of the current
// one is compared with.
func counterpart(c Comparison, d, start, end Day) Day {
	if c == PreviousYear {
		return yearEarlier(d)
	}
	return d - (end - start)
}

func yearEarlier(d Day) Day {
	y, m, dd := d.Date()
	last := time.Date(y-1, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return civil(y-1, m, min(dd, last))
}

// Change is (now - before) / before; false when before is 0, where no
// ratio says anything.
func Change(now, before int64) (float64, bool) {
	if before == 0 {
		return 0, false
	}
	return (float64(now) - float64(before)) / math.Abs(float64(before)), true
}

// compared joins the rows of a report with those of its earlier range:
// each current period is compared with the earlier period holding its
// counterpart day, rows by their keys. A row of only one of the two is
// kept: a current row without an earlier one has no Previous; an earlier
// row without a current one becomes a row of zeros with its Previous. An
// earlier period that no current period is compared with (the day a leap
// year has more, say) is left out.
func (e *Engine) compared(q Query, cur, prev *aggregate, res *Result) {
	c := q.Compare
	ps, pe := EarlierRange(c, q.Start, q.End)
	res.PreviousStart, res.PreviousEnd = ps, pe
	pt := metrics(&prev.totals, prev.sessions)
	pt.Traffic = prev.ttotals
	res.PreviousTotals = &pt
	// For each earlier period, the current periods compared with it.
	with := make([][]int32, len(prev.periods))
	for i, d := range cur.periods {
		x := counterpart(c, d, q.Start, q.End)
		j, found := slices.BinarySearch(prev.periods, x)
		if !found {
			j--
		}
		if j >= 0 && x < pe {
			with[j] = append(with[j], int32(i))
		}
	}
	type rowKey struct {
		period int32
		k      [maxGroupBy]int32
	}
	index := make(map[rowKey]int, len(cur.slots))
	for i := range cur.slots {
		index[rowKey{cur.slots[i].period, cur.slots[i].k}] = i
	}
	for i := range prev.slots {
		s := &prev.slots[i]
		m := metrics(&s.sums, s.sessions)
		m.Traffic = s.traffic
		for _, p := range with[s.period] {
			k := rowKey{p, s.k}
			if j, ok := index[k]; ok {
				res.Rows[j].Previous = &m
				continue
			}
			start, end := cur.period(p)
			row := Row{PeriodStart: start, PeriodEnd: end, Previous: &m}
			if len(cur.groups) > 0 {
				row.Keys = make([]string, len(cur.groups))
				for g, grp := range cur.groups {
					row.Keys[g] = e.keys[grp.dim].names[s.k[g]]
				}
			}
			index[k] = len(res.Rows)
			res.Rows = append(res.Rows, row)
		}
	}
}

// TopCompared is Top with the entries' figures and rank over the earlier
// range c gives (PreviousRank 0: no sale then).
func (e *Engine) TopCompared(d Dimension, m Metric, f Filter, start, end Day, limit int, c Comparison) ([]TopEntry, time.Time, error) {
	if c == NoComparison {
		return e.Top(d, m, f, start, end, limit)
	}
	if err := e.checkTop(d, m, start, end, limit); err != nil {
		return nil, time.Time{}, err
	}
	limit = topLimit(limit)
	ps, pe := EarlierRange(c, start, end)
	if err := validRange(ps, pe); err != nil {
		return nil, time.Time{}, invalid("compare_to", "the earlier range lies outside the dates a report takes")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var off offsets
	a := e.aggregateReusing(start, end, Total, []Dimension{d}, f, nil, &off)
	entries := e.rank(&a, m, limit)
	b := e.aggregateReusing(ps, pe, Total, []Dimension{d}, f, nil, &off)
	before := e.rank(&b, m, math.MaxInt)
	a.release()
	b.release()
	byKey := make(map[string]*TopEntry, len(before))
	for i := range before {
		byKey[before[i].Key] = &before[i]
	}
	for i := range entries {
		if p := byKey[entries[i].Key]; p != nil {
			pm := p.Metrics
			entries[i].Previous, entries[i].PreviousRank = &pm, p.Rank
		}
	}
	return entries, e.dataThrough, nil
}

// OverviewCompared is the overview of [start, end) and of the earlier
// range c gives, from one state of the engine (no commit between them).
func (e *Engine) OverviewCompared(start, end Day, c Comparison) (now, before Overview) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ps, pe := EarlierRange(c, start, end)
	return e.overview(start, end), e.overview(ps, pe)
}

// sortRows puts rows in report order: by period, then keys.
func sortRows(rows []Row) {
	slices.SortFunc(rows, func(x, y Row) int {
		if c := cmp.Compare(x.PeriodStart, y.PeriodStart); c != 0 {
			return c
		}
		return slices.Compare(x.Keys, y.Keys)
	})
}
