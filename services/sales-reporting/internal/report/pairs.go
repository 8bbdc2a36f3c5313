package report

import (
	"runtime"
	"sync"
)

// Pair totals: the rows of two-dimension groupings kept per month and year,
// as the totals (totals.go) keep those of one dimension, so that a report
// such as YEAR × DISTRICT × CATEGORY or TOTAL × MERCHANT × CATEGORY over a
// year reads a few thousand rows instead of walking the year's half a
// million month cells.
//
// Which pairs: every two dimensions of which one at least is a product
// dimension (MERCHANT, CATEGORY, ORIGIN_DISTRICT), in either order. Those
// are the groupings that walk the cells; two session dimensions walk the
// session records, several times fewer, and carry traffic, which the pairs
// do not keep (rows of a product dimension have none). Days are not kept:
// a day × pair report of a year is tens of thousands of rows and a day's
// rows would cost as much memory as the cells themselves.
//
// A row's sessions are the distinct sessions with an order in a cell of
// the row's keys in the period, as the walk counts them. The pair totals
// are built from the engine's records by running the walk once per pair
// and month or year (buildPairs: the end of a load, which does not keep
// them cell by cell), and kept from then on by merge, which counts a
// session into a row when the first order of one of its cells comes and
// none of its other cells with an order in the period has the row's keys.
// A query reads them when every one of its periods is one whole month or
// year, it groups by a kept pair, and it has no filter; any other query
// walks. TestTotalsAnswerAsTheWalkDoes holds both ways to one answer.

// pairList is the pairs kept, each in one order; pairOf finds a pair
// given in either order.
var pairList, pairOf = func() ([][2]Dimension, [dimCount][dimCount]int8) {
	var list [][2]Dimension
	var of [dimCount][dimCount]int8
	for i := range of {
		for j := range of[i] {
			of[i][j] = -1
		}
	}
	for a := DimDistrict; a <= DimPlatform; a++ {
		for b := a + 1; b <= DimPlatform; b++ {
			if productDim(a) || productDim(b) {
				of[a][b], of[b][a] = int8(len(list)), int8(len(list))
				list = append(list, [2]Dimension{a, b})
			}
		}
	}
	return list, of
}()

// nPairs is len(pairList): 3 pairs of product dimensions and 15 of a
// session and a product dimension.
const nPairs = 18

// prow is a row of a pair: its keys (in pairList's order), sessions and
// sums. A row exists once a cell of its keys does, as the walk makes it.
type prow struct {
	k        [2]int32
	sessions int64
	sums
}

type pairCol struct {
	rows []prow
	// index finds the row of a key pair (ka<<32 | kb); merge makes it on
	// its first visit, so that after a load only the months (years) that
	// sales still reach hold one.
	index map[uint64]int32
}

// row is the row of keys k, made on first use.
func (c *pairCol) row(k [2]int32) *prow {
	if c.index == nil {
		c.index = make(map[uint64]int32, len(c.rows))
		for i := range c.rows {
			c.index[pairKey(c.rows[i].k)] = int32(i)
		}
	}
	at := pairKey(k)
	i, ok := c.index[at]
	if !ok {
		i = int32(len(c.rows))
		c.rows = append(c.rows, prow{k: k})
		c.index[at] = i
	}
	return &c.rows[i]
}

func pairKey(k [2]int32) uint64 { return uint64(uint32(k[0]))<<32 | uint64(uint32(k[1])) }

// pairBucket holds the pairs' rows of one month or year.
type pairBucket struct{ cols [nPairs]pairCol }

// pairTotals are every month's and year's pair rows, by the period's
// first day. The engine holds none (nil) while a load runs.
type pairTotals struct {
	months, years map[Day]*pairBucket
}

func newPairTotals() *pairTotals {
	return &pairTotals{months: make(map[Day]*pairBucket), years: make(map[Day]*pairBucket)}
}

func pairBucketOf(m map[Day]*pairBucket, d Day) *pairBucket {
	b := m[d]
	if b == nil {
		b = &pairBucket{}
		m[d] = b
	}
	return b
}

// pairKeys are the keys of pair i for session attribution sa and product
// attribution pa.
func (e *Engine) pairKeys(i int, sa, pa int32) [2]int32 {
	var k [2]int32
	for j, d := range pairList[i] {
		x := sa
		if productDim(d) {
			x = pa
		}
		k[j] = e.col[d][x]
	}
	return k
}

// tallyPairs counts a delta add of a cell (session sid, attributions sa and
// pa, on day) into its month's and year's pair rows. first says the cell
// has just had its first order, self is the cell (which may already be
// among the session's crefs): the session then counts in every row where
// none of its other cells with an order in the period has the row's keys.
func (e *Engine) tallyPairs(sid, sa, pa int32, day Day, self cref, add *sums, first bool) {
	p := e.pairs
	if p == nil {
		return
	}
	month, year := monthStart(day), yearStart(day)
	buckets := [2]*pairBucket{pairBucketOf(p.months, month), pairBucketOf(p.years, year)}
	var keys [nPairs][2]int32
	for i := range nPairs {
		keys[i] = e.pairKeys(i, sa, pa)
	}
	// found[0][i]: the session has another cell with an order in the month
	// with pair i's keys; found[1][i] in the year.
	var found [2][nPairs]bool
	if first {
		nextY := nextYear(year)
		nextM := nextMonth(month)
		for _, r := range e.crefs[sid] {
			if r.day < year || r.day >= nextY || r == self {
				continue
			}
			inMonth := r.day >= month && r.day < nextM
			rsa := e.dayOf[r.day].cells[r.idx].sattr
			for i := range nPairs {
				if e.pairKeys(i, rsa, r.pattr) == keys[i] {
					found[1][i] = true
					found[0][i] = found[0][i] || inMonth
				}
			}
		}
	}
	for b, pb := range buckets {
		for i := range nPairs {
			row := pb.cols[i].row(keys[i])
			row.add(add)
			if first && !found[b][i] {
				row.sessions++
			}
		}
	}
}

// buildPairs makes the pair totals from the engine's records: each pair's
// rows of each month and year are the walk's answer for that period,
// grouped by the pair. The pairs are independent, so the cores share them.
// The caller holds the write lock, and e.pairs is nil (so the walk walks).
func (e *Engine) buildPairs() *pairTotals {
	p := newPairTotals()
	type job struct {
		list  []*dayData
		next  func(Day) Day
		store map[Day]*pairBucket
	}
	for _, b := range e.byMonth {
		if len(b.cells) > 0 {
			p.months[b.day] = &pairBucket{}
		}
	}
	for _, b := range e.byYear {
		p.years[b.day] = &pairBucket{}
	}
	jobs := []job{{e.byMonth, nextMonth, p.months}, {e.byYear, nextYear, p.years}}
	work := make(chan int, nPairs)
	for i := range nPairs {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nPairs) {
		wg.Go(func() {
			for i := range work {
				by := pairList[i][:]
				for _, j := range jobs {
					for _, b := range j.list {
						pb := j.store[b.day]
						if pb == nil {
							continue
						}
						a := e.aggregate(b.day, j.next(b.day), Total, by, Filter{}, nil)
						rows := make([]prow, len(a.slots))
						for k := range a.slots {
							s := &a.slots[k]
							rows[k] = prow{k: s.k, sessions: s.sessions, sums: s.sums}
						}
						pb.cols[i].rows = rows
					}
				}
			}
		})
	}
	wg.Wait()
	return p
}

// fromPairs answers a with the pair totals when its grouping is a kept
// pair and every period one whole month or year (the caller has checked
// the filter), and reports whether it did.
func (e *Engine) fromPairs(a *aggregate, start, end Day, g Granularity, groupBy []Dimension) bool {
	if e.pairs == nil || len(a.periods) == 0 {
		return false
	}
	i := pairOf[groupBy[0]][groupBy[1]]
	if i < 0 {
		return false
	}
	buckets := e.totalsFor(g, a.periods, end)
	if buckets == nil {
		return false
	}
	// The same choice as totalsFor's: a TOTAL of one day is a day, which
	// the pairs do not keep.
	var store map[Day]*pairBucket
	switch first := a.periods[0]; {
	case g == Daily || g == Total && end == first+1:
		return false
	case g == Monthly || g == Total && monthStart(first) == first && nextMonth(first) == end:
		store = e.pairs.months
	default:
		store = e.pairs.years
	}
	swap := pairList[i][0] != groupBy[0]
	for _, d := range groupBy {
		a.groups = append(a.groups, group{dim: d, product: productDim(d), col: e.col[d], n: int32(len(e.keys[d].names))})
	}
	for p, ps := range a.periods {
		pb := store[ps]
		if pb == nil {
			continue
		}
		for _, r := range pb.cols[i].rows {
			s := slot{sums: r.sums, sessions: r.sessions, period: int32(p), k: r.k}
			if swap {
				s.k[0], s.k[1] = r.k[1], r.k[0]
			}
			a.slots = append(a.slots, s)
			a.totals.add(&r.sums)
		}
	}
	a.sessions = e.reportSessions(buckets, start, end)
	return true
}

func init() {
	if len(pairList) != nPairs {
		panic("report: nPairs is not the number of pairs kept")
	}
}
