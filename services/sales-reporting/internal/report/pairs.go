package report

import (
	"runtime"
	"sync"
)

// Pair totals: the rows of two-dimension groupings kept per month (a
// year's are its months', see pairTotals), as the totals (totals.go) keep
// those of one dimension, so that a report
// such as YEAR × DISTRICT × CATEGORY or TOTAL × MERCHANT × CATEGORY over a
// year reads a few thousand rows instead of walking the year's half a
// million month cells.
//
// Which pairs: every two dimensions of which one at least is a product
// dimension (MERCHANT, CATEGORY, ORIGIN_DISTRICT), in either order, while
// its keys stay within pairGridLimit. Those
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

// pairGridLimit bounds a pair's key pairs: a pair is kept while the
// product of its dimensions' key counts is at most this, so that a
// month's rows of it cost at most about 1 MB. On the 2020 replay that keeps
// every pair but HOST × MERCHANT and HOST × ORIGIN_DISTRICT (500 × 150 and
// 500 × 38 keys), whose reports are tens of thousands of rows, which cost
// more to build than the walk that finds them.
const pairGridLimit = 1 << 14

// prow is a row of a pair: its sessions and sums, and whether a cell of
// its keys exists (the row exists then, as the walk makes it).
type prow struct {
	sums
	sessions int32
	held     bool
}

// pairGrid holds a pair's rows of one month, indexed by key pair: row
// (ka, kb) at ka*nb + kb. Merge touches one row per pair without a hash
// lookup: a row it reads is a cache miss, and misses are what counting
// a sale costs.
type pairGrid struct {
	na, nb int32 // the keys it has room for
	rows   []prow
}

// at is the row of keys k, growing the grid to hold keys na × nb.
func (g *pairGrid) at(k [2]int32, na, nb int32) *prow {
	if k[0] >= g.na || k[1] >= g.nb {
		g.grow(max(na, k[0]+1), max(nb, k[1]+1))
	}
	return &g.rows[k[0]*g.nb+k[1]]
}

// grow makes room for na × nb keys and a quarter more of each, as keys
// come one at a time.
func (g *pairGrid) grow(na, nb int32) {
	na, nb = max(na+na/4+1, g.na), max(nb+nb/4+1, g.nb)
	rows := make([]prow, na*nb)
	for a := range g.na {
		copy(rows[a*nb:a*nb+g.nb], g.rows[a*g.nb:(a+1)*g.nb])
	}
	g.na, g.nb, g.rows = na, nb, rows
}

// each calls f with the keys and row of every row held.
func (g *pairGrid) each(f func(k [2]int32, r *prow)) {
	for at := range g.rows {
		if r := &g.rows[at]; r.held {
			f([2]int32{int32(at) / g.nb, int32(at) % g.nb}, r)
		}
	}
}

// pairMonth holds the pairs' rows of one month.
type pairMonth struct{ grids [nPairs]pairGrid }

// pairTotals are every month's pair rows, by the month's first day. A
// year's rows are the sums of its months' and their sessions too, less
// the sessions counted in more than one month of the year (a session on
// the night of the 31st, or one whose first order of a product came
// weeks after it ended): dups holds those, by year, pair and keys, few.
// Keeping months only halves the rows a sale touches. off says a pair
// has more key pairs than pairGridLimit and is not kept (its reports
// walk). The engine holds none (nil) while a load runs.
type pairTotals struct {
	months map[Day]*pairMonth
	dups   map[Day]*[nPairs]map[[2]int32]int32
	off    [nPairs]bool
	// pend are sums of the batch being applied, waiting to be counted
	// into the rows: a session's lines come together and fall on a few
	// (month, attributions) each, so that a batch touches each pair's
	// row once for many lines (flushPairs, at the end of Apply).
	pend  [pendSlots]pendingSums
	npend int
}

// pendSlots is how many (month, attributions) a batch keeps waiting at
// once: a session sells a handful of products.
const pendSlots = 8

type pendingSums struct {
	month  Day
	sa, pa int32
	sums
}

func newPairTotals() *pairTotals {
	return &pairTotals{months: make(map[Day]*pairMonth), dups: make(map[Day]*[nPairs]map[[2]int32]int32)}
}

// dup counts one more session of row k of pair i in year y that a month
// of the year had counted already.
func (p *pairTotals) dup(y Day, i int, k [2]int32, n int32) {
	d := p.dups[y]
	if d == nil {
		d = new([nPairs]map[[2]int32]int32)
		p.dups[y] = d
	}
	if d[i] == nil {
		d[i] = make(map[[2]int32]int32)
	}
	d[i][k] += n
}

// pairSize is the number of keys of each dimension of pair i.
func (e *Engine) pairSize(i int) (int32, int32) {
	d := pairList[i]
	return int32(len(e.keys[d[0]].names)), int32(len(e.keys[d[1]].names))
}

// checkLimits turns off the pairs whose key pairs outgrew pairGridLimit
// (a merge may have made new keys), for good, and gives back their rows.
func (e *Engine) checkLimits(p *pairTotals) {
	for i := range nPairs {
		if na, nb := e.pairSize(i); !p.off[i] && int64(na)*int64(nb) > pairGridLimit {
			p.off[i] = true
			for _, m := range p.months {
				m.grids[i] = pairGrid{}
			}
			for _, d := range p.dups {
				d[i] = nil
			}
		}
	}
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
// pa, on day) into its month's pair rows. first says the cell has just had
// its first order, self is the cell (which may already be among the
// session's crefs): the session then counts in every row where none of its
// other cells with an order in the month has the row's keys, and counts
// as a dup of its year where one in another month of the year has.
func (e *Engine) tallyPairs(sid, sa, pa int32, day Day, self cref, add *sums, first bool) {
	p := e.pairs
	if p == nil {
		return
	}
	month := monthStart(day)
	if !first {
		// Only sums: they wait, and add up, until the batch ends.
		for i := range p.npend {
			if x := &p.pend[i]; x.month == month && x.sa == sa && x.pa == pa {
				x.add(add)
				return
			}
		}
		if p.npend == pendSlots {
			e.flushPairs()
		}
		p.pend[p.npend] = pendingSums{month, sa, pa, *add}
		p.npend++
		return
	}
	e.countPairs(sid, sa, pa, month, self, add, true)
}

// flushPairs counts the sums waiting in pend into their rows.
func (e *Engine) flushPairs() {
	p := e.pairs
	if p == nil {
		return
	}
	for i := range p.npend {
		x := &p.pend[i]
		e.countPairs(-1, x.sa, x.pa, x.month, cref{}, &x.sums, false)
	}
	// Cleared, so that between batches the state is only the rows (an
	// image of the engine holds nothing pending).
	clear(p.pend[:p.npend])
	p.npend = 0
}

// countPairs adds add to the month's rows of attributions sa and pa, and,
// with first, counts session sid where tallyPairs says.
func (e *Engine) countPairs(sid, sa, pa int32, month Day, self cref, add *sums, first bool) {
	p := e.pairs
	e.checkLimits(p)
	year := yearStart(month)
	pm := p.months[month]
	if pm == nil {
		pm = &pairMonth{}
		p.months[month] = pm
	}
	var keys [nPairs][2]int32
	for i := range nPairs {
		keys[i] = e.pairKeys(i, sa, pa)
	}
	// inMonth[i], inYear[i]: the session has another cell with an order in
	// the month (in another month of the year) with pair i's keys.
	var inMonth, inYear [nPairs]bool
	if first {
		nextY, nextM := nextYear(year), nextMonth(month)
		for _, r := range e.crefs[sid] {
			if r.day < year || r.day >= nextY || r == self {
				continue
			}
			here := r.day >= month && r.day < nextM
			rsa := e.dayOf[r.day].cells[r.idx].sattr
			for i := range nPairs {
				if e.pairKeys(i, rsa, r.pattr) == keys[i] {
					inMonth[i] = inMonth[i] || here
					inYear[i] = inYear[i] || !here
				}
			}
		}
	}
	for i := range nPairs {
		if p.off[i] {
			continue
		}
		na, nb := e.pairSize(i)
		row := pm.grids[i].at(keys[i], na, nb)
		row.add(add)
		row.held = true
		if first && !inMonth[i] {
			row.sessions++
			if inYear[i] {
				p.dup(year, i, keys[i], 1)
			}
		}
	}
}

// buildPairs makes the pair totals from the engine's records: each pair's
// rows of each month are the walk's answer for that month grouped by the
// pair, and each year's dups what its months' sessions count over the
// walk's answer for the year. The pairs are independent, so the cores
// share them. The caller holds the write lock, and e.pairs is nil (so the
// walk walks).
func (e *Engine) buildPairs() *pairTotals {
	p := newPairTotals()
	e.checkLimits(p)
	for _, b := range e.byMonth {
		if len(b.cells) > 0 {
			p.months[b.day] = &pairMonth{}
		}
	}
	type yearDups struct {
		year Day
		i    int
		dups map[[2]int32]int32
	}
	var mu sync.Mutex
	var found []yearDups
	work := make(chan int, nPairs)
	for i := range nPairs {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nPairs) {
		wg.Go(func() {
			for i := range work {
				if p.off[i] {
					continue
				}
				by := pairList[i][:]
				na, nb := e.pairSize(i)
				for _, b := range e.byMonth {
					if pm := p.months[b.day]; pm != nil {
						a := e.aggregate(b.day, nextMonth(b.day), Total, by, Filter{}, nil)
						g := &pm.grids[i]
						for k := range a.slots {
							s := &a.slots[k]
							*g.at(s.k, na, nb) = prow{sums: s.sums, sessions: int32(s.sessions), held: true}
						}
					}
				}
				for _, y := range e.byYear {
					a := e.aggregate(y.day, nextYear(y.day), Total, by, Filter{}, nil)
					months := make(map[[2]int32]int32)
					for m := y.day; m < nextYear(y.day); m = nextMonth(m) {
						if pm := p.months[m]; pm != nil {
							pm.grids[i].each(func(k [2]int32, r *prow) { months[k] += r.sessions })
						}
					}
					dups := make(map[[2]int32]int32)
					for k := range a.slots {
						s := &a.slots[k]
						if n := months[s.k] - int32(s.sessions); n != 0 {
							dups[s.k] = n
						}
					}
					if len(dups) > 0 {
						mu.Lock()
						found = append(found, yearDups{y.day, i, dups})
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	for _, f := range found {
		for k, n := range f.dups {
			p.dup(f.year, f.i, k, n)
		}
	}
	return p
}

// fromPairs answers a with the pair totals when its grouping is a kept
// pair and every period one whole month or year (the caller has checked
// the filter), and reports whether it did.
func (e *Engine) fromPairs(a *aggregate, start, end Day, g Granularity, groupBy []Dimension) bool {
	if e.pairs == nil || len(a.periods) == 0 {
		return false
	}
	i := int(pairOf[groupBy[0]][groupBy[1]])
	if i < 0 || e.pairs.off[i] {
		return false
	}
	buckets := e.totalsFor(g, a.periods, end)
	if buckets == nil {
		return false
	}
	// The same choice as totalsFor's: a TOTAL of one day is a day, which
	// the pairs do not keep.
	years := false
	switch first := a.periods[0]; {
	case g == Daily || g == Total && end == first+1:
		return false
	case g == Monthly || g == Total && monthStart(first) == first && nextMonth(first) == end:
	default:
		years = true
	}
	swap := pairList[i][0] != groupBy[0]
	for _, d := range groupBy {
		a.groups = append(a.groups, group{dim: d, product: productDim(d), col: e.col[d], n: int32(len(e.keys[d].names))})
	}
	emit := func(p int, k [2]int32, r *prow) {
		s := slot{sums: r.sums, sessions: int64(r.sessions), period: int32(p), k: k}
		if swap {
			s.k[0], s.k[1] = k[1], k[0]
		}
		a.slots = append(a.slots, s)
		a.totals.add(&r.sums)
	}
	na, nb := e.pairSize(i)
	if years {
		a.slots = slotReuse.get(0) // the rows of a year are known once summed
	} else {
		n := 0
		for _, ps := range a.periods {
			if pm := e.pairs.months[ps]; pm != nil {
				pm.grids[i].each(func([2]int32, *prow) { n++ })
			}
		}
		a.slots = slotReuse.get(n)
	}
	var year []prow // a year's rows, summed from its months
	for p, ps := range a.periods {
		if !years {
			if pm := e.pairs.months[ps]; pm != nil {
				pm.grids[i].each(func(k [2]int32, r *prow) { emit(p, k, r) })
			}
			continue
		}
		if year == nil {
			year = yearReuse.get(int(na * nb))[:na*nb]
			defer yearReuse.put(year)
		}
		clear(year)
		for m := ps; m < nextYear(ps); m = nextMonth(m) {
			if pm := e.pairs.months[m]; pm != nil {
				pm.grids[i].each(func(k [2]int32, r *prow) {
					y := &year[k[0]*nb+k[1]]
					y.add(&r.sums)
					y.sessions += r.sessions
					y.held = true
				})
			}
		}
		if d := e.pairs.dups[ps]; d != nil {
			for k, n := range d[i] {
				year[k[0]*nb+k[1]].sessions -= n
			}
		}
		for at := range year {
			if r := &year[at]; r.held {
				emit(p, [2]int32{int32(at) / nb, int32(at) % nb}, r)
			}
		}
	}
	a.sessions = e.reportSessions(buckets, start, end)
	return true
}

// yearReuse holds the grids in which fromPairs sums a year's months (a
// grid of every key pair: 0.4 MB for MERCHANT × CATEGORY on the replay).
var yearReuse reuse[prow]

func init() {
	if len(pairList) != nPairs {
		panic("report: nPairs is not the number of pairs kept")
	}
}
