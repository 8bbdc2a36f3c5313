package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	// maxGroupBy is the limit on group_by (docs/API.md).
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

// slot accumulates one row.
type slot struct {
	sums
	sessions int64
	traffic  tsums
	period   int32
	k        [maxGroupBy]int32
}

// scratch is a query's state per session id, pooled: a query needs it
// whole, but only while it runs. It counts the sessions of mixed records
// (cells, and sessions with several attributions), which prev cannot.
type scratch struct {
	gen   []int32 // 1 + the period in which the session was last counted
	cnt   []uint8 // how many of its inline slots are used in that period
	slots []int32 // inlineSlots per session: the rows it was counted in
	extra map[uint64]struct{}
	inAll []bool
}

// inlineSlots is how many rows of one period a session is remembered in
// without a map: a session sells a handful of products.
const inlineSlots = 4

var scratchPool sync.Pool

func getScratch(n int) *scratch {
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{extra: make(map[uint64]struct{})}
	}
	if cap(sc.gen) < n {
		c := n + n/4
		sc.gen, sc.cnt, sc.inAll = make([]int32, n, c), make([]uint8, n, c), make([]bool, n, c)
		sc.slots = make([]int32, n*inlineSlots, c*inlineSlots)
	} else {
		sc.gen, sc.cnt, sc.inAll, sc.slots = sc.gen[:n], sc.cnt[:n], sc.inAll[:n], sc.slots[:n*inlineSlots]
		clear(sc.gen)
		clear(sc.inAll)
	}
	clear(sc.extra)
	return sc
}

// count counts session sid once into the sessions of slot idx, in the
// period numbered gen.
func (sc *scratch) count(sid, gen, idx int32, sessions *int64) {
	if sc.gen[sid] != gen {
		sc.gen[sid], sc.cnt[sid], sc.slots[sid*inlineSlots] = gen, 1, idx
		*sessions++
		return
	}
	slots := sc.slots[sid*inlineSlots : sid*inlineSlots+inlineSlots]
	c := sc.cnt[sid]
	for _, s := range slots[:c] {
		if s == idx {
			return
		}
	}
	if c < inlineSlots {
		slots[c] = idx
		sc.cnt[sid]++
		*sessions++
		return
	}
	k := uint64(sid)<<32 | uint64(uint32(idx))
	if _, ok := sc.extra[k]; !ok {
		sc.extra[k] = struct{}{}
		*sessions++
	}
}

// reuse hands out slices that a query needs only while it runs (the
// slots of its answer, the keys it sorts them by), so that a report of
// thousands of rows does not allocate them again at every call: a page of
// 1,000 rows allocated some 0.6 MB of them, and what reports allocate is
// what sets how often the collector runs over the engine's heap. The
// slices hold no pointers, so that the collector need not read them.
type reuse[T any] struct{ p sync.Pool }

// get is an empty slice with room for n.
func (r *reuse[T]) get(n int) []T {
	if s, _ := r.p.Get().(*[]T); s != nil && cap(*s) >= n {
		return (*s)[:0]
	}
	return make([]T, 0, n)
}

// put takes s back; nothing may use it after.
func (r *reuse[T]) put(s []T) {
	if cap(s) > 0 {
		s = s[:0]
		r.p.Put(&s)
	}
}

var (
	slotReuse  reuse[slot]
	orderReuse reuse[sortKey]
	gridReuse  reuse[int32]
	rowReuse   reuse[Row]
)

// Recycle gives the rows of a QueryPage answer back for the pages of the
// next queries, once the caller has copied out what it needs (the RPC
// adapter writes them to the wire): a page of 1,000 rows is 0.15 MB. The
// caller must not use rows, nor anything of them, after.
func Recycle(rows []Row) {
	clear(rows) // their keys and earlier figures are not kept alive
	rowReuse.put(rows)
}

// newGrid is a zeroed grid of n slot indexes (slot + 1, 0 for none), to
// give back to gridReuse when done.
func newGrid(n int64) []int32 {
	g := gridReuse.get(int(n))[:n]
	clear(g)
	return g
}

// release gives a's slots back for another query; a is done.
func (a *aggregate) release() {
	slotReuse.put(a.slots)
	a.slots = nil
}

// aggregate is the answer of one query before its rows are named and sorted.
type aggregate struct {
	periods []Day // period i is [periods[i], periods[i+1]); last ends at end
	end     Day
	groups  []group
	slots   []slot
	totals  sums
	ttotals tsums
	// sessions with an order in the whole report
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
	res, _, err := e.QueryPage(q, 0, -1)
	return res, err
}

// QueryPage is Query with only the rows [offset, offset+limit) of the
// answer in Result.Rows (limit < 0: to the end), and the number of rows of
// the whole answer: a page of a report of thousands of rows builds its own
// rows only, which were most of what such a report allocated.
func (e *Engine) QueryPage(q Query, offset, limit int) (Result, int, error) {
	if !q.Granularity.valid() {
		return Result{}, 0, invalid("granularity", "must be DAY, WEEK, MONTH, QUARTER, YEAR or TOTAL")
	}
	if err := validRange(q.Start, q.End); err != nil {
		return Result{}, 0, err
	}
	if len(q.GroupBy) > maxGroupBy {
		return Result{}, 0, invalid("group_by", fmt.Sprintf("at most %d dimensions, got %d", maxGroupBy, len(q.GroupBy)))
	}
	for i, d := range q.GroupBy {
		if !d.valid() {
			return Result{}, 0, invalid("group_by", fmt.Sprintf("unknown dimension %d", d))
		}
		if slices.Contains(q.GroupBy[:i], d) {
			return Result{}, 0, invalid("group_by", fmt.Sprintf("dimension %d given twice", d))
		}
	}
	if q.Compare < NoComparison || q.Compare > PreviousYear {
		return Result{}, 0, invalid("compare_to", "must be PREVIOUS_PERIOD or PREVIOUS_YEAR")
	}
	if q.Compare != NoComparison {
		if ps, pe := EarlierRange(q.Compare, q.Start, q.End); validRange(ps, pe) != nil {
			return Result{}, 0, invalid("compare_to", "the earlier range lies outside the dates a report takes")
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var off offsets // the earlier range's walk reuses the current one's
	a := e.aggregateReusing(q.Start, q.End, q.Granularity, q.GroupBy, q.Filter, nil, &off)
	res := Result{DataThrough: e.dataThrough, Totals: metrics(&a.totals, a.sessions)}
	res.Totals.Traffic = a.ttotals
	order := e.order(&a)
	defer orderReuse.put(order)
	if q.Compare != NoComparison {
		// compared pairs a's slots with the rows by index.
		sorted := slotReuse.get(len(a.slots))[:len(a.slots)]
		for i, x := range order {
			sorted[i] = a.slots[x.i]
		}
		a.release()
		a.slots = sorted
		for i := range order {
			order[i].i = int32(i)
		}
	}
	// The page's rows, or every row with a comparison, whose earlier
	// range's rows may come between them.
	count := len(a.slots)
	lo, hi := 0, count
	if q.Compare == NoComparison {
		lo, hi = pageBounds(count, offset, limit)
	}
	res.Rows = rowReuse.get(hi - lo)[:hi-lo]
	// One array holds every row's keys.
	keys := make([]string, (hi-lo)*len(a.groups))
	for i := range res.Rows {
		s := &a.slots[order[lo+i].i]
		ps, pe := a.period(s.period)
		row := Row{PeriodStart: ps, PeriodEnd: pe, Metrics: metrics(&s.sums, s.sessions)}
		row.Metrics.Traffic = s.traffic
		if n := len(a.groups); n > 0 {
			row.Keys = keys[i*n : (i+1)*n : (i+1)*n]
			for j, g := range a.groups {
				row.Keys[j] = e.keys[g.dim].names[s.k[j]]
			}
		}
		res.Rows[i] = row
	}
	if q.Compare != NoComparison {
		ps, pe := EarlierRange(q.Compare, q.Start, q.End)
		b := e.aggregateReusing(ps, pe, q.Granularity, q.GroupBy, q.Filter, nil, &off)
		e.compared(q, &a, &b, &res)
		b.release()
		sortRows(res.Rows) // the earlier range's own rows came last
		count = len(res.Rows)
		lo, hi = pageBounds(count, offset, limit)
		res.Rows = res.Rows[lo:hi]
	}
	a.release()
	return res, count, nil
}

// pageBounds are the rows [lo, hi) of an answer of count rows that a page
// of limit rows from offset holds (limit < 0: to the end).
func pageBounds(count, offset, limit int) (lo, hi int) {
	lo, hi = min(max(offset, 0), count), count
	if limit >= 0 {
		hi = lo + min(limit, count-lo)
	}
	return lo, hi
}

// order is the report order of a's slots, by period, then by the names
// of their keys, as sortRows orders rows: the names of each dimension
// grouped by are ranked once, and each slot's period and ranks packed in
// one integer, so that the sort moves and compares 16 bytes a slot, not
// the slot (about 110) nor its names. The slots' indexes in order are the
// answer's i; it goes back to orderReuse when done.
func (e *Engine) order(a *aggregate) []sortKey {
	var rank [maxGroupBy][]int32
	packed := true
	for j, g := range a.groups {
		names := e.keys[g.dim].names
		ids := make([]int32, len(names))
		for i := range ids {
			ids[i] = int32(i)
		}
		slices.SortFunc(ids, func(x, y int32) int { return strings.Compare(names[x], names[y]) })
		rank[j] = make([]int32, len(names))
		for pos, id := range ids {
			rank[j][id] = int32(pos)
		}
		packed = packed && len(names) < 1<<rankBits
	}
	keys := orderReuse.get(len(a.slots))[:len(a.slots)]
	for i := range a.slots {
		s := &a.slots[i]
		k := uint64(s.period) << (2 * rankBits)
		for j := range a.groups {
			if packed {
				k |= uint64(rank[j][s.k[j]]) << (rankBits * (1 - j))
			}
		}
		keys[i] = sortKey{k, int32(i)}
	}
	slices.SortFunc(keys, func(x, y sortKey) int {
		if c := cmp.Compare(x.k, y.k); c != 0 || packed {
			return c
		}
		// More keys than rankBits holds: compare the ranks themselves.
		sx, sy := &a.slots[x.i], &a.slots[y.i]
		for j := range a.groups {
			if c := cmp.Compare(rank[j][sx.k[j]], rank[j][sy.k[j]]); c != 0 {
				return c
			}
		}
		return 0
	})
	return keys
}

// sortKey is a slot's place in the report order (k), and the slot (i).
type sortKey struct {
	k uint64
	i int32
}

// rankBits is the room for a key's rank in order's packed integers; the
// period (at most maxSpan) takes the bits above two of them.
const rankBits = 21

func metrics(s *sums, sessions int64) Metrics {
	m := Metrics{Sessions: sessions, Orders: s.orders, Units: s.units, Gross: s.gross, Refunds: s.refunds}
	m.finish()
	return m
}

// makePeriods sets the periods of g in [start, end) and returns the
// period of each day of the range.
func (a *aggregate) makePeriods(g Granularity, start, end Day) []int32 {
	periodOf := make([]int32, end-start)
	for d := start; d < end; {
		ps, pe := Period(g, d, start, end)
		for x := ps; x < pe; x++ {
			periodOf[x-start] = int32(len(a.periods))
		}
		a.periods = append(a.periods, ps)
		d = pe
	}
	return periodOf
}

func (a *aggregate) period(i int32) (Day, Day) {
	if int(i)+1 < len(a.periods) {
		return a.periods[i], a.periods[i+1]
	}
	return a.periods[i], a.end
}

// aggregate walks the records of [start, end) day by day, or month by month
// where whole months fit the periods: each day's (month's) records are one
// flat array. A session is counted once per row by the prev of its records,
// or by scratch.count when they are mixed. seen, if not nil, gets true for
// every session attribution counted. The caller holds the read lock and has
// validated the arguments.
func (e *Engine) aggregate(start, end Day, g Granularity, groupBy []Dimension, f Filter, seen []bool) aggregate {
	return e.aggregateReusing(start, end, g, groupBy, f, seen, nil)
}

// offsets are a query's sOff and pOff, which depend on its groups and
// filters only: the walk of a comparison's earlier range (compare.go)
// reuses those of the current one instead of building them again.
type offsets struct {
	sOff, pOff []int64
	set, none  bool // none: a filter names a key no sale has
}

// aggregateReusing is aggregate with the offsets of reuse when they are
// set, or setting them.
func (e *Engine) aggregateReusing(start, end Day, g Granularity, groupBy []Dimension, f Filter, seen []bool, reuse *offsets) aggregate {
	a := aggregate{end: end}
	periodOf := a.makePeriods(g, start, end)
	if e.fromTotals(&a, start, end, g, groupBy, f, seen) {
		return a
	}

	a.slots = slotReuse.get(0) // grows as the walk finds rows
	for _, d := range groupBy {
		a.groups = append(a.groups, group{dim: d, product: productDim(d), col: e.col[d], n: int32(len(e.keys[d].names))})
	}
	// Row grid: period × key1 × key2, with unused dimensions of size 1. A
	// record's place in a period is the sum of what its session attribution
	// and its product attribution contribute, each looked up once per query
	// in sOff and pOff (-1 when a filter rejects it), so the walk does two
	// loads per record whatever the grouping and filters.
	n := [maxGroupBy]int64{1, 1}
	for i, g := range a.groups {
		n[i] = int64(g.n)
	}
	stride := [maxGroupBy]int64{n[1], 1}
	reused := reuse != nil && reuse.set
	if reused && reuse.none {
		return a
	}
	var sOff, pOff []int64
	if reused {
		sOff, pOff = reuse.sOff, reuse.pOff
	} else {
		sOff = make([]int64, len(e.sattrs))
	}
	useCells := false
	for _, g := range a.groups {
		useCells = useCells || g.product
	}
	for _, fv := range []struct {
		d Dimension
		v string
	}{
		{DimOriginDistrict, f.OriginDistrict}, {DimMerchant, f.Merchant}, {DimCategory, f.Category},
	} {
		useCells = useCells || fv.v != ""
	}
	if useCells && !reused {
		pOff = make([]int64, len(e.pattrs))
	}
	// The product dimensions a row's sessions are told apart by (those
	// grouped or filtered by), and the report's total's (those filtered by).
	rowMask, totMask := 0, 0
	for _, fv := range []struct {
		v    string
		mask int
	}{{f.Merchant, maskMerchant}, {f.Category, maskCategory}, {f.OriginDistrict, maskOrigin}} {
		if fv.v != "" {
			rowMask |= fv.mask
			totMask |= fv.mask
		}
	}
	for _, g := range a.groups {
		switch g.dim {
		case DimMerchant:
			rowMask |= maskMerchant
		case DimCategory:
			rowMask |= maskCategory
		case DimOriginDistrict:
			rowMask |= maskOrigin
		}
	}
	for _, fv := range []struct {
		d Dimension
		v string
	}{
		{DimDistrict, f.District}, {DimOriginDistrict, f.OriginDistrict}, {DimHost, f.Host},
		{DimAgency, f.Agency}, {DimBase, f.Base}, {DimMerchant, f.Merchant},
		{DimCategory, f.Category}, {DimPlatform, f.Platform},
	} {
		if fv.v == "" || reused {
			continue
		}
		id, ok := e.keys[fv.d].ids[fv.v]
		if !ok {
			if reuse != nil {
				reuse.set, reuse.none = true, true
			}
			return a // no sale has that key
		}
		off := sOff
		if productDim(fv.d) {
			off = pOff
		}
		for x, k := range e.col[fv.d] {
			if k != id {
				off[x] = -1
			}
		}
	}
	for i, g := range a.groups {
		if reused {
			break
		}
		off := sOff
		if g.product {
			off = pOff
		}
		for x, k := range g.col {
			if off[x] >= 0 {
				off[x] += int64(k) * stride[i]
			}
		}
	}
	if reuse != nil && !reused {
		reuse.set, reuse.sOff, reuse.pOff = true, sOff, pOff
	}
	w := walker{a: &a, e: e, start: start, sOff: sOff, pOff: pOff, useCells: useCells, rowMask: rowMask, totMask: totMask,
		periodOf: periodOf, n2: n[1], perPeriod: n[0] * n[1], seen: seen}
	grid := int64(len(a.periods)) * w.perPeriod
	if grid <= denseLimit {
		w.dense = newGrid(grid)
	} else {
		w.sparse = make(map[int64]int32)
	}
	defer func() {
		if w.sc != nil {
			scratchPool.Put(w.sc)
		}
		gridReuse.put(w.dense)
	}()

	// Whole months inside the range are read from the month records when
	// no period splits a month; the days before the first and after the
	// last whole month from the day records.
	m0, m1 := end, end
	if g != Daily && g != Weekly {
		if m0 = monthStart(start); m0 < start {
			y, m, _ := start.Date()
			m0 = civil(y, m+1, 1)
		}
		if m1 = monthStart(end); m1 < m0 {
			m0, m1 = end, end
		}
	}
	w.walk(e.byDay, start, m0)
	w.walk(e.byMonth, m0, m1)
	w.walk(e.byDay, m1, end)
	if e.trafficOf != nil {
		w.walkTraffic(e.byDay, start, m0)
		w.walkTraffic(e.byMonth, m0, m1)
		w.walkTraffic(e.byDay, m1, end)
	}

	// Every record went into one slot: the totals are the slots' sum, which
	// spares the walk a second accumulator.
	a.sessions = w.sessions
	for i := range a.slots {
		a.totals.add(&a.slots[i].sums)
		a.ttotals.add(&a.slots[i].traffic)
	}
	return a
}

// walker is the state of one aggregate's walk.
type walker struct {
	a          *aggregate
	e          *Engine
	start      Day
	sOff, pOff []int64
	useCells   bool
	// rowMask and totMask pick crec.pp for the rows and for the total.
	rowMask, totMask int
	periodOf         []int32
	n2               int64
	perPeriod        int64
	dense            []int32 // slot index + 1, 0 for none
	sparse           map[int64]int32
	seen             []bool
	sc               *scratch // only for mixed records
	sessions         int64
}

// periodAt is the period of the bucket (day or month) that starts on day d,
// and where that period's cells begin in the grid.
func (w *walker) periodAt(d Day) (p int32, base int64) {
	p = w.periodOf[d-w.start]
	return p, int64(p) * w.perPeriod
}

// walk counts the records of the buckets (days or months) of list that
// start in [from, to).
func (w *walker) walk(list []*dayData, from, to Day) {
	if from >= to {
		return
	}
	if w.useCells {
		w.walkCells(list, from, to)
		return
	}
	a, sOff, seen, start := w.a, w.sOff, w.seen, w.start
	sessions := w.sessions
	for _, dd := range span(list, from, to) {
		p, base := w.periodAt(dd.day)
		ps := a.periods[p]
		gen := p + 1
		recs := dd.days
		for i := range recs {
			r := &recs[i]
			off := sOff[r.sattr]
			if off < 0 {
				continue
			}
			idx := w.slotOf(base+off, p, off)
			sl := &a.slots[idx-1]
			sl.add(&r.sums)
			if seen != nil {
				seen[r.sattr] = true
			}
			if r.prev != mixed {
				// Branch-free: whether a record is its session's first in
				// a period is a coin toss the CPU cannot predict.
				sl.sessions += b2i(r.prev < ps)
				sessions += b2i(r.prev < start)
				continue
			}
			sessions += w.mixed(r, gen, idx, sl)
		}
	}
	w.sessions = sessions
}

// mixed counts record r of a mixed session once into the sessions of its
// slot sl (number idx) in the period numbered gen, and returns 1 if the
// session is new to the total (the walks add it to theirs, which stays in
// a register) and 0 if not. A record without an order counts nothing:
// only an order makes a session count (see unlinked).
func (w *walker) mixed(r *rec, gen, idx int32, sl *slot) int64 {
	if r.orders == 0 {
		return 0
	}
	if w.sc == nil {
		w.sc = getScratch(len(w.e.sessions))
	}
	w.sc.count(r.session, gen, idx, &sl.sessions)
	if w.sc.inAll[r.session] {
		return 0
	}
	w.sc.inAll[r.session] = true
	return 1
}

// slotOf is the slot of grid cell cell (period p, row offset off), made on
// first use.
func (w *walker) slotOf(cell int64, p int32, off int64) int32 {
	var idx int32
	if w.dense != nil {
		idx = w.dense[cell]
	} else {
		idx = w.sparse[cell]
	}
	if idx == 0 {
		w.a.slots = append(w.a.slots, slot{period: p, k: [maxGroupBy]int32{int32(off / w.n2), int32(off % w.n2)}})
		idx = int32(len(w.a.slots))
		if w.dense != nil {
			w.dense[cell] = idx
		} else {
			w.sparse[cell] = idx
		}
	}
	return idx
}

// walkCells is walk over the product records (cells, month cells): a
// session is counted once per row by pp[rowMask], and once in the total by
// pp[totMask], unless it is mixed.
func (w *walker) walkCells(list []*dayData, from, to Day) {
	a, sOff, pOff, seen, start := w.a, w.sOff, w.pOff, w.seen, w.start
	rowMask, totMask := w.rowMask, w.totMask
	sessions := w.sessions
	for _, dd := range span(list, from, to) {
		p, base := w.periodAt(dd.day)
		ps := a.periods[p]
		gen := p + 1
		for i := range dd.cells {
			r := &dd.cells[i]
			off := sOff[r.sattr]
			po := pOff[r.pattr]
			if off < 0 || po < 0 {
				continue
			}
			off += po
			idx := w.slotOf(base+off, p, off)
			sl := &a.slots[idx-1]
			sl.add(&r.sums)
			if seen != nil {
				seen[r.sattr] = true
			}
			if rp := r.pp[rowMask]; rp != mixed {
				sl.sessions += b2i(rp < ps)
				sessions += b2i(r.pp[totMask] < start)
				continue
			}
			sessions += w.mixed(&r.rec, gen, idx, sl)
		}
	}
	w.sessions = sessions
}

// Top ranks the keys of dimension d over [start, end) by metric m,
// descending, ties broken by key ascending, counting only the cells f
// keeps (a member's ranking stays inside its own data). limit 0 means 10 and more than
// 100 is capped at 100. The empty key (hosts without an agency, as a group)
// is no performer and is left out. The time is the data_through of the
// answer.
func (e *Engine) Top(d Dimension, m Metric, f Filter, start, end Day, limit int) ([]TopEntry, time.Time, error) {
	if err := e.checkTop(d, m, start, end, limit); err != nil {
		return nil, time.Time{}, err
	}
	limit = topLimit(limit)
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := e.aggregate(start, end, Total, []Dimension{d}, f, nil)
	defer a.release()
	return e.rank(&a, m, limit), e.dataThrough, nil
}

func (e *Engine) checkTop(d Dimension, m Metric, start, end Day, limit int) error {
	if !d.valid() {
		return invalid("dimension", "must be one of DISTRICT, ORIGIN_DISTRICT, HOST, AGENCY, BASE, MERCHANT, CATEGORY, PLATFORM")
	}
	if m < MetricNet || m > MetricUnits {
		return invalid("metric", "must be NET, GROSS, ORDERS or UNITS")
	}
	if err := validRange(start, end); err != nil {
		return err
	}
	if limit < 0 {
		return invalid("limit", "must not be negative")
	}
	return nil
}

// topLimit: 0 means defaultTop, more than maxTop is capped.
func topLimit(limit int) int {
	switch {
	case limit == 0:
		return defaultTop
	case limit > maxTop:
		return maxTop
	}
	return limit
}

// rank turns the rows of a one-dimension aggregate into a ranking.
func (e *Engine) rank(a *aggregate, m Metric, limit int) []TopEntry {
	names := e.keys[a.groups[0].dim].names
	entries := make([]TopEntry, 0, len(a.slots))
	for i := range a.slots {
		s := &a.slots[i]
		key := names[s.k[0]]
		if key == "" || s.orders == 0 && s.refunds == 0 {
			continue // no performer: no key, or traffic without a sale
		}
		mt := metrics(&s.sums, s.sessions)
		mt.Traffic = s.traffic
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
// only DataThrough. It is a TOTAL report by district that also marks the
// session attributions seen, from which come the active hosts, bases and
// agencies (hosts without an agency add no agency).
func (e *Engine) Overview(start, end Day) Overview {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.overview(start, end)
}

// overview is Overview under the caller's read lock.
func (e *Engine) overview(start, end Day) Overview {
	o := Overview{DataThrough: e.dataThrough}
	if validRange(start, end) != nil {
		return o
	}
	a, active, ok := e.overviewTotals(start, end)
	if !ok {
		seen := make([]bool, len(e.sattrs))
		a = e.aggregate(start, end, Total, []Dimension{DimDistrict}, Filter{}, seen)
		active = func(d Dimension) int64 { return e.countActive(seen, d) }
	}
	o.SessionsWithSales = a.sessions
	o.Orders, o.Units, o.Gross, o.Refunds = a.totals.orders, a.totals.units, a.totals.gross, a.totals.refunds
	o.Net = o.Gross - o.Refunds
	o.Traffic = a.ttotals
	o.ActiveHosts = active(DimHost)
	o.ActiveBases = active(DimBase)
	o.ActiveAgencies = active(DimAgency)
	o.TopDistricts = e.rank(&a, MetricNet, overviewTop)
	a.release()
	return o
}

// overviewTotals is the overview's aggregate from the totals (totals.go)
// when [start, end) is one whole day, month or year, with the count of
// active keys of a dimension: those with a record in the period (the
// empty key, no agency, is no member).
func (e *Engine) overviewTotals(start, end Day) (aggregate, func(Dimension) int64, bool) {
	a := aggregate{end: end}
	a.makePeriods(Total, start, end)
	buckets := e.totalsFor(Total, a.periods, end)
	if buckets == nil || !e.fromTotals(&a, start, end, Total, []Dimension{DimDistrict}, Filter{}, nil) {
		return aggregate{}, nil, false
	}
	b := buckets[0]
	return a, func(d Dimension) int64 {
		if b == nil {
			return 0
		}
		var n int64
		for k, t := range b.tots[totCol(d)] {
			if t.cells > 0 && e.keys[d].names[k] != "" {
				n++
			}
		}
		return n
	}, true
}

// countActive counts the keys of d with a sale, given the session
// attributions seen; the empty key (no agency) is no member.
func (e *Engine) countActive(seen []bool, d Dimension) int64 {
	keys := make([]bool, len(e.keys[d].names))
	for sattr, ok := range seen {
		if ok {
			keys[e.col[d][sattr]] = true
		}
	}
	var n int64
	for k, ok := range keys {
		if ok && e.keys[d].names[k] != "" {
			n++
		}
	}
	return n
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
