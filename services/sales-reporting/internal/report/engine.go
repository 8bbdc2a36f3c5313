package report

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"
)

// dimCount sizes arrays indexed by Dimension (index 0 unused).
const dimCount = int(DimPlatform) + 1

// productDim tells the dimensions that depend on the product from those that
// depend on the session. Reports that group or filter only by session
// dimensions read the per-(session, day) and per-(session, month) records,
// which are several times fewer than the cells.
func productDim(d Dimension) bool {
	return d == DimOriginDistrict || d == DimMerchant || d == DimCategory
}

func (d Dimension) valid() bool { return d >= DimDistrict && d <= DimPlatform }

// sums are the additive metrics of a record.
type sums struct {
	orders, units, gross, refunds int64
}

// add saturates (see SatAdd): ingestion bounds every sum the engine can
// form, so this only guards against files from before that bound.
//
// Every figure is a sum of non-negative parts, so the plain sums are right
// unless one came out negative; only then are they taken again, saturated.
// This is the innermost step of every report.
func (s *sums) add(o *sums) {
	a, b, c, d := s.orders+o.orders, s.units+o.units, s.gross+o.gross, s.refunds+o.refunds
	if a|b|c|d < 0 || o.orders|o.units|o.gross|o.refunds < 0 {
		s.addSaturated(o)
		return
	}
	s.orders, s.units, s.gross, s.refunds = a, b, c, d
}

func (s *sums) addSaturated(o *sums) {
	s.orders = SatAdd(s.orders, o.orders)
	s.units = SatAdd(s.units, o.units)
	s.gross = SatAdd(s.gross, o.gross)
	s.refunds = SatAdd(s.refunds, o.refunds)
}

// rec is one record of a day: a cell (session, product, day), or in
// dayData.days the sum of one session's cells of that day (or month) with
// one session attribution (pattr -1). Attributions are interned: sattr and pattr index
// the key columns of Engine.col.
type rec struct {
	session int32
	sattr   int32
	pattr   int32
	// prev, in day and month records, is the latest earlier day on which
	// the session has a record with an order, noPrev if none, unlinked for
	// a record without an order, or mixed once the session has records
	// with orders under two session attributions. A record whose prev lies
	// before its period is the first of its session in the period, which
	// lets the common case count distinct sessions while streaming over the
	// records, without a per-session lookup. Cells are always mixed: the
	// several products of a session may fall into one row or into several.
	prev Day
	sums
}

const (
	noPrev Day = math.MinInt32
	mixed  Day = math.MaxInt32
	// unlinked is the prev (and pp) of a record without an ORDER: a
	// session counts in a row only by an order there (a refund of last
	// week's order does not make today a day of that session), so such a
	// record is never the first of its session and is left out of the
	// links until an order comes to it.
	unlinked Day = math.MaxInt32 - 1
)

// dayRef locates a day record of a session.
type dayRef struct {
	day   Day
	sattr int32
	idx   int32
}

// dayData holds the records of one day contiguously, so that a report reads
// the days of its range as a few flat arrays whatever their order of
// arrival, and never touches the days outside its range.
//
// The same type holds a month (day is then its first day): its days are the
// sums of a session's day records in the month, one per session attribution,
// with prev the session's latest day with a record before the month. Reports
// by month, quarter, year or in total read the months that lie wholly in
// their range instead of their days: a session that sells or refunds on
// twenty days of a month is one record there, so the cost of a year's
// report stops growing with the sales once every session has its months.
type dayData struct {
	day   Day
	cells []crec
	days  []rec
	// traffic: in a day, the latest snapshot of each session that started
	// on the day; in a month, their sums by session attribution (traffic.go).
	traffic []trec
	// tots are the day's (month's, year's) totals (totals.go), ttots
	// their traffic (for no dimension and the session dimensions), and
	// trafficStale says the traffic totals may hold a peak the records no
	// longer have (traffic.go).
	tots         [totCols][]tot
	ttots        [totCols][]tsums
	trafficStale bool
}

// crec is a record that depends on the product too: in a day, a cell
// (session, product, day); in a month, the sum of a session's cells of the
// month with one product attribution and one session attribution.
//
// pp does for the product dimensions what rec.prev does for the session's
// (cells without an order are unlinked and take no part):
// pp[mask] is the latest earlier day on which the session has a cell with
// the same keys of the product dimensions in mask (bit 1 MERCHANT, 2
// CATEGORY, 4 ORIGIN_DISTRICT; mask 0: any cell), or, for a record that is
// not the first of its keys on its day (or in its month), that day (or the
// month's first day); noPrev if none; mixed for a session with two session
// attributions. A report grouped or filtered by product dimensions then
// counts a session once per row while streaming over the records, as the
// session-only reports do, with the mask of those dimensions. For a month
// record the earlier day is a day before the month.
type crec struct {
	rec
	pp [8]Day
}

// Product dimension bits of crec.pp's masks.
const (
	maskMerchant = 1
	maskCategory = 2
	maskOrigin   = 4
)

// cref locates a crec of a session: its day (or month's first day), its
// product attribution and its index in that day's (month's) cells.
type cref struct {
	day   Day
	pattr int32
	idx   int32
}

type interner struct {
	ids   map[string]int32
	names []string
}

func (in *interner) id(s string) int32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	if in.ids == nil {
		in.ids = make(map[string]int32)
	}
	id := int32(len(in.names))
	in.ids[s] = id
	in.names = append(in.names, s)
	return id
}

// sessionAttr is the part of an attribution that a session decides. Studio
// and official are not report dimensions, so they do not split records.
type sessionAttr struct{ host, agency, base, district, platform string }

type productAttr struct{ merchant, category, origin string }

type dayKey struct {
	session, sattr int32
	day            Day
}

// Engine holds every rollup cell in memory and answers reports from them.
// Its methods are safe for concurrent use; Apply excludes queries for the
// time of one batch, so a query sees a commit whole or not at all.
type Engine struct {
	loc *time.Location

	mu       sync.RWMutex
	sessIDs  map[string]int32
	sessions []SessionSummary // by session id
	// byDay holds the days with records in ascending order; dayOf finds a
	// day's data when a sale arrives.
	byDay   []*dayData
	dayOf   map[Day]*dayData
	byMonth []*dayData
	monthOf map[Day]*dayData
	// byYear and yearOf hold the years, for their totals only.
	byYear   []*dayData
	yearOf   map[Day]*dayData
	noTotals bool // tests: answer every query by the walk
	products interner
	sattrs   map[sessionAttr]int32
	pattrs   map[productAttr]int32
	// keys interns the values of each dimension; col[d] maps an sattr (for
	// session dimensions) or a pattr (for product dimensions) to the id of
	// its key in keys[d].
	keys [dimCount]interner
	col  [dimCount][]int32
	// index finds each session's records (index.go): its cells (in
	// dayOf[day].cells), day records (dayOf[day].days), month records
	// (monthOf[first day].days) and month cells (monthOf[first day].cells);
	// counts are how many of each kind there are.
	index  []recIndex
	counts [kindCount]int
	// refs are the day records of each session in day order, to keep
	// rec.prev right whatever order the sales arrive in.
	refs [][]dayRef
	// crefs and mrefs are each session's cells and month cells, to keep crec.pp
	// right; firstSattr is each session's first session attribution, and
	// smixed says it has had a second one.
	crefs      [][]cref
	mrefs      [][]cref
	firstSattr []int32
	smixed     []bool
	// dataThrough is the newest event time of any sale held.
	dataThrough time.Time
	memo        attrMemo
	pmemo       []pattrMemo // by product id
	// trafficOf locates each session's traffic record (traffic.go), and
	// monthTraffic each (month, session attribution)'s sums.
	trafficOf    map[string]trafficRef
	monthTraffic map[dayKey]int32
	// pairs are the rows of two-dimension groupings (pairs.go), nil while
	// a load runs.
	pairs *pairTotals
}

// New makes an empty engine for the alliance time zone loc (Asia/Shanghai by
// default, chosen by the caller's flag).
func New(loc *time.Location) *Engine {
	if loc == nil {
		panic("report.New: nil time zone")
	}
	return &Engine{
		loc:     loc,
		sessIDs: make(map[string]int32),
		sattrs:  make(map[sessionAttr]int32),
		pattrs:  make(map[productAttr]int32),
		dayOf:   make(map[Day]*dayData),
		monthOf: make(map[Day]*dayData),
		yearOf:  make(map[Day]*dayData),
		pairs:   newPairTotals(),
	}
}

// Compact gives back the room that appending left unused in the records
// and their indexes; start-up calls it once the load is over. It builds
// the pair totals that the load left out.
func (e *Engine) Compact() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.compact()
	if e.pairs == nil {
		e.pairs = e.buildPairs()
	}
}

// Location is the alliance time zone the engine was made for.
func (e *Engine) Location() *time.Location { return e.loc }

// DayOf is the civil date of t in the engine's time zone: the Day a Delta
// for a sale at t must carry.
func (e *Engine) DayOf(t time.Time) Day { return DayOf(t, e.loc) }

// Load adds a stored cell, at start-up before serving. Loading the cells the
// store kept gives the same answers as applying the deltas that made them.
//
// The load does not keep the pair totals cell by cell: Compact builds them
// from the records at its end, and queries until then walk.
func (e *Engine) Load(c Cell) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pairs = nil
	e.merge(&c)
}

// Apply counts the deltas of one committed batch. Queries see all of it or
// none of it. Call it after the bbolt commit succeeded, with exactly the
// deltas of the accepted sales of that commit (duplicates excluded).
func (e *Engine) Apply(batch []Delta) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range batch {
		var c Cell
		c.Add(batch[i])
		e.merge(&c)
	}
	e.flushPairs() // pairs.go
}

// merge adds a cell's counts to the records; the rule of how a sale changes
// a cell stays in Cell.Add.
func (e *Engine) merge(c *Cell) {
	if c.empty() {
		return
	}
	// Consecutive cells are mostly of one session (Load reads them in
	// session order, a batch of Apply holds a session's lines together):
	// the last one's ids are reused when the names are the same.
	m := &e.memo
	var sid int32
	var ok bool
	if m.valid && c.Session == m.session {
		sid, ok = m.sid, true
	} else {
		sid, ok = e.sessIDs[c.Session]
	}
	if !ok {
		sid = int32(len(e.sessions))
		e.sessIDs[c.Session] = sid
		e.sessions = append(e.sessions, SessionSummary{})
		e.refs = append(e.refs, nil)
		e.index = append(e.index, recIndex{})
		e.crefs = append(e.crefs, nil)
		e.mrefs = append(e.mrefs, nil)
		e.firstSattr = append(e.firstSattr, -1)
		e.smixed = append(e.smixed, false)
	}
	dd := bucket(&e.byDay, e.dayOf, c.Day)
	add := sums{orders: c.Orders, units: c.Units, gross: c.Gross, refunds: c.Refunds}
	var pid int32
	if m.valid && c.Product == m.product {
		pid = m.pid
	} else {
		pid = e.products.id(c.Product)
	}
	m.valid, m.session, m.sid, m.product, m.pid = true, c.Session, sid, c.Product, pid
	key := recKey{kindCell, pid, int32(c.Day), 0}
	var sa, pa int32
	y, mo, _ := c.Day.Date()
	month := civil(y, mo, 1)
	md := bucket(&e.byMonth, e.monthOf, month)
	yd := bucket(&e.byYear, e.yearOf, civil(y, 1, 1))
	// A record joins its session's links when its first order arrives
	// (see unlinked), whether it is new or held refunds until now.
	i, found := e.lookup(sid, key)
	newCell := !found
	first := false // the cell's first order
	if found {
		x := &dd.cells[i]
		had := x.orders > 0
		x.add(&add)
		sa, pa = x.sattr, x.pattr
		if !had && x.orders > 0 {
			first = true
			e.noteSattr(sid, sa)
			e.countSessions(sid, pa, c.Day, dd, md, yd)
			e.linkCell(sid, cref{c.Day, pa, i})
		}
	} else {
		sa, pa = e.sessionAttrMemo(&c.Attr), e.productAttrMemo(pid, &c.Attr)
		i = int32(len(dd.cells))
		e.file(sid, key, i)
		dd.cells = push(dd.cells, crec{rec: rec{session: sid, sattr: sa, pattr: pa, prev: mixed, sums: add}, pp: unlinkedPP})
		if add.orders > 0 {
			first = true
			e.noteSattr(sid, sa)
			e.countSessions(sid, pa, c.Day, dd, md, yd)
			e.linkCell(sid, cref{c.Day, pa, int32(len(dd.cells) - 1)})
		}
	}
	e.tallyPairs(sid, sa, pa, c.Day, cref{c.Day, pa, i}, &add, first)
	mck := recKey{kindMCell, sa, int32(month), pa}
	if i, ok := e.lookup(sid, mck); ok {
		x := &md.cells[i]
		had := x.orders > 0
		x.add(&add)
		if !had && x.orders > 0 {
			e.linkMonthCell(sid, cref{month, pa, i})
		}
	} else {
		e.file(sid, mck, int32(len(md.cells)))
		md.cells = push(md.cells, crec{rec: rec{session: sid, sattr: sa, pattr: pa, prev: mixed, sums: add}, pp: unlinkedPP})
		if add.orders > 0 {
			e.linkMonthCell(sid, cref{month, pa, int32(len(md.cells) - 1)})
		}
	}
	// The day record follows the attribution of the cell, which its first
	// sale fixed (see Cell.Add).
	// A month record's prev is set by link from its first linked day.
	mk := recKey{kindMonth, sa, int32(month), 0}
	if i, ok := e.lookup(sid, mk); ok {
		md.days[i].add(&add)
	} else {
		e.file(sid, mk, int32(len(md.days)))
		md.days = push(md.days, rec{session: sid, sattr: sa, pattr: -1, prev: unlinked, sums: add})
	}
	dk := recKey{kindDay, sa, int32(c.Day), 0}
	if i, ok := e.lookup(sid, dk); ok {
		x := &dd.days[i]
		had := x.orders > 0
		x.add(&add)
		e.tally(sa, pa, dd, md, yd, &add, newCell, false)
		if !had && x.orders > 0 {
			e.countDaySessions(sid, sa, c.Day, dd, md, yd)
			e.link(sid, dayRef{c.Day, sa, i})
		}
	} else {
		e.file(sid, dk, int32(len(dd.days)))
		dd.days = push(dd.days, rec{session: sid, sattr: sa, pattr: -1, prev: unlinked, sums: add})
		e.tally(sa, pa, dd, md, yd, &add, newCell, true)
		if add.orders > 0 {
			e.countDaySessions(sid, sa, c.Day, dd, md, yd)
			e.link(sid, dayRef{c.Day, sa, int32(len(dd.days) - 1)})
		}
	}

	sum := &e.sessions[sid]
	sum.Orders = SatAdd(sum.Orders, c.Orders)
	sum.Units = SatAdd(sum.Units, c.Units)
	sum.Gross = SatAdd(sum.Gross, c.Gross)
	sum.Refunds = SatAdd(sum.Refunds, c.Refunds)
	sum.RefundLines = SatAdd(sum.RefundLines, c.RefundLines)
	if !c.FirstEvent.IsZero() && (sum.FirstEvent.IsZero() || c.FirstEvent.Before(sum.FirstEvent)) {
		sum.FirstEvent = c.FirstEvent
	}
	if c.LastEvent.After(sum.LastEvent) {
		sum.LastEvent = c.LastEvent
	}
	if c.LastEvent.After(e.dataThrough) {
		e.dataThrough = c.LastEvent
	}
}

// link files a new day record among its session's and sets the prev of it,
// of the record that follows it, and of their months when they open them.
// A second session attribution marks every record of the session mixed,
// for good.
func (e *Engine) link(sid int32, ref dayRef) {
	refs := e.refs[sid]
	at := func(r dayRef) *rec { return &e.dayOf[r.day].days[r.idx] }
	monthRec := func(r dayRef) *rec {
		m := monthStart(r.day)
		i, _ := e.lookup(sid, recKey{kindMonth, r.sattr, int32(m), 0})
		return &e.monthOf[m].days[i]
	}
	setPrev := func(refs []dayRef, i int, prev Day) {
		at(refs[i]).prev = prev
		if i == 0 || monthStart(refs[i-1].day) != monthStart(refs[i].day) {
			monthRec(refs[i]).prev = prev
		}
	}
	isMixed := len(refs) > 0 && at(refs[0]).prev == mixed
	if !isMixed && len(refs) > 0 && refs[0].sattr != ref.sattr {
		isMixed = true
		for _, r := range refs {
			at(r).prev = mixed
			monthRec(r).prev = mixed
		}
	}
	i, _ := slices.BinarySearchFunc(refs, ref.day, func(r dayRef, d Day) int { return cmp.Compare(r.day, d) })
	refs = slices.Insert(refs, i, ref)
	e.refs[sid] = refs
	switch {
	case isMixed:
		at(ref).prev = mixed
		monthRec(ref).prev = mixed
	case i > 0:
		setPrev(refs, i, refs[i-1].day)
	default:
		setPrev(refs, i, noPrev)
	}
	if !isMixed && i+1 < len(refs) {
		setPrev(refs, i+1, ref.day)
	}
}

// noteSattr records that session sid has a cell with session attribution
// sa; a second attribution makes every crec of the session mixed, for good.
func (e *Engine) noteSattr(sid, sa int32) {
	switch {
	case e.firstSattr[sid] < 0:
		e.firstSattr[sid] = sa
	case e.firstSattr[sid] != sa && !e.smixed[sid]:
		e.smixed[sid] = true
		for _, r := range e.crefs[sid] {
			e.dayOf[r.day].cells[r.idx].pp = mixedPP
		}
		for _, r := range e.mrefs[sid] {
			e.monthOf[r.day].cells[r.idx].pp = mixedPP
		}
	}
}

var (
	mixedPP    = [8]Day{mixed, mixed, mixed, mixed, mixed, mixed, mixed, mixed}
	unlinkedPP = [8]Day{unlinked, unlinked, unlinked, unlinked, unlinked, unlinked, unlinked, unlinked}
)

// sameKeys reports whether product attributions a and b have the same key
// in every product dimension of mask.
func (e *Engine) sameKeys(a, b int32, mask int) bool {
	return (mask&maskMerchant == 0 || e.col[DimMerchant][a] == e.col[DimMerchant][b]) &&
		(mask&maskCategory == 0 || e.col[DimCategory][a] == e.col[DimCategory][b]) &&
		(mask&maskOrigin == 0 || e.col[DimOriginDistrict][a] == e.col[DimOriginDistrict][b])
}

// linkCell files a new cell of session sid and sets its pp, the pp of the
// first cell of each of its keys on the next day that has them, and the
// pp of the first month cell of each of its keys in the next month that
// has them (whose latest earlier day this cell may now be).
func (e *Engine) linkCell(sid int32, ref cref) {
	refs := e.crefs[sid]
	e.crefs[sid] = append(refs, ref)
	c := &e.dayOf[ref.day].cells[ref.idx]
	if e.smixed[sid] {
		c.pp = mixedPP
		return
	}
	month := monthStart(ref.day)
	for m := range 8 {
		prev, same := noPrev, false
		next := Day(mixed)
		for _, r := range refs {
			if !e.sameKeys(r.pattr, ref.pattr, m) {
				continue
			}
			switch {
			case r.day < ref.day:
				prev = max(prev, r.day)
			case r.day == ref.day:
				same = true
			default:
				next = min(next, r.day)
			}
		}
		if same {
			c.pp[m] = ref.day
			continue
		}
		c.pp[m] = prev
		if next != mixed {
			for _, r := range refs {
				if r.day == next && e.sameKeys(r.pattr, ref.pattr, m) {
					if x := &e.dayOf[r.day].cells[r.idx]; x.pp[m] < next {
						x.pp[m] = ref.day
					}
				}
			}
		}
		nextMonth := Day(mixed)
		for _, r := range e.mrefs[sid] {
			if r.day > month && e.sameKeys(r.pattr, ref.pattr, m) {
				nextMonth = min(nextMonth, r.day)
			}
		}
		if nextMonth != mixed {
			for _, r := range e.mrefs[sid] {
				if r.day == nextMonth && e.sameKeys(r.pattr, ref.pattr, m) {
					if x := &e.monthOf[r.day].cells[r.idx]; x.pp[m] < nextMonth {
						x.pp[m] = max(x.pp[m], ref.day)
					}
				}
			}
		}
	}
}

// linkMonthCell files a new month cell of session sid (its day is the
// month's first) and sets its pp from the session's cells before the month.
func (e *Engine) linkMonthCell(sid int32, ref cref) {
	refs := e.mrefs[sid]
	e.mrefs[sid] = append(refs, ref)
	c := &e.monthOf[ref.day].cells[ref.idx]
	if e.smixed[sid] {
		c.pp = mixedPP
		return
	}
	for m := range 8 {
		same := false
		for _, r := range refs {
			if r.day == ref.day && e.sameKeys(r.pattr, ref.pattr, m) {
				same = true
				break
			}
		}
		if same {
			c.pp[m] = ref.day
			continue
		}
		prev := noPrev
		for _, r := range e.crefs[sid] {
			if r.day < ref.day && e.sameKeys(r.pattr, ref.pattr, m) {
				prev = max(prev, r.day)
			}
		}
		c.pp[m] = prev
	}
}

func monthStart(d Day) Day {
	y, m, _ := d.Date()
	return civil(y, m, 1)
}

// push appends x to s, doubling s when it is full: the days' and months'
// records grow to thousands each, and append's slower growth of long
// slices would copy them over and over (compact gives the room back).
func push[T any](s []T, x T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 8))
	}
	return append(s, x)
}

// bucket is the data of day (or month) d in list and index, made and put
// in order on first use.
func bucket(list *[]*dayData, index map[Day]*dayData, d Day) *dayData {
	if dd, ok := index[d]; ok {
		return dd
	}
	dd := &dayData{day: d}
	index[d] = dd
	i, _ := slices.BinarySearchFunc(*list, d, byDay)
	*list = slices.Insert(*list, i, dd)
	return dd
}

// byDay compares a bucket with a day, for binary searches of a list of
// buckets, which is in order of day.
func byDay(x *dayData, d Day) int { return cmp.Compare(x.day, d) }

// span is the buckets of list that start in [from, to).
func span(list []*dayData, from, to Day) []*dayData {
	i, _ := slices.BinarySearchFunc(list, from, byDay)
	j, _ := slices.BinarySearchFunc(list[i:], to, byDay)
	return list[i : i+j]
}

// attrMemo remembers the ids of the last names and attributions merge met.
type attrMemo struct {
	valid            bool
	session, product string
	sid, pid         int32
	sattr            sessionAttr
	sa               int32
	haveS            bool
}

func (e *Engine) sessionAttrMemo(a *Attribution) int32 {
	k := sessionAttr{a.Host, a.Agency, a.Base, a.District, a.Platform}
	if m := &e.memo; m.haveS && m.sattr == k {
		return m.sa
	}
	id := e.sessionAttr(a)
	e.memo.sattr, e.memo.sa, e.memo.haveS = k, id, true
	return id
}

// productAttrMemo is the product attribution of a cell of product pid: a
// product keeps its attribution from cell to cell, so the last one of
// each product is compared first (equal strings are mostly the same
// strings, which compare without reading them), before the map.
func (e *Engine) productAttrMemo(pid int32, a *Attribution) int32 {
	k := productAttr{a.Merchant, a.Category, a.OriginDistrict}
	for int(pid) >= len(e.pmemo) {
		e.pmemo = append(e.pmemo, pattrMemo{id: -1})
	}
	if m := &e.pmemo[pid]; m.id >= 0 && m.key == k {
		return m.id
	}
	id := e.productAttr(a)
	e.pmemo[pid] = pattrMemo{k, id}
	return id
}

type pattrMemo struct {
	key productAttr
	id  int32
}

// The dimensions of a session's attribution and of a product's, in the
// order of the fields of sessionAttr and productAttr.
var (
	sessionDims = []Dimension{DimHost, DimAgency, DimBase, DimDistrict, DimPlatform}
	productDims = []Dimension{DimMerchant, DimCategory, DimOriginDistrict}
)

func (e *Engine) sessionAttr(a *Attribution) int32 {
	return attrID(e, e.sattrs, sessionAttr{a.Host, a.Agency, a.Base, a.District, a.Platform},
		sessionDims, a.Host, a.Agency, a.Base, a.District, a.Platform)
}

func (e *Engine) productAttr(a *Attribution) int32 {
	return attrID(e, e.pattrs, productAttr{a.Merchant, a.Category, a.OriginDistrict},
		productDims, a.Merchant, a.Category, a.OriginDistrict)
}

// attrID is the id of attribution k in ids. A new one takes the next id,
// and the ids of its keys (keys[i] of dimension dims[i]) go to the end of
// their columns, where index id finds them: the attributions and their
// columns grow together.
func attrID[K comparable](e *Engine, ids map[K]int32, k K, dims []Dimension, keys ...string) int32 {
	if id, ok := ids[k]; ok {
		return id
	}
	id := int32(len(ids))
	ids[k] = id
	for i, d := range dims {
		e.col[d] = append(e.col[d], e.keys[d].id(keys[i]))
	}
	return id
}

// SessionSummary is a session's totals over all days; false when the engine
// holds no sale of it.
func (e *Engine) SessionSummary(name string) (SessionSummary, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	sid, ok := e.sessIDs[name]
	if !ok {
		return SessionSummary{}, false
	}
	return e.sessions[sid], true
}

// DataThrough is the newest event time of any sale held (zero when none).
func (e *Engine) DataThrough() time.Time {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dataThrough
}
