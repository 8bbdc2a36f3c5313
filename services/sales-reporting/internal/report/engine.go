package report

import (
	"math"
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

func (s *sums) add(o *sums) {
	s.orders += o.orders
	s.units += o.units
	s.gross += o.gross
	s.refunds += o.refunds
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
	// the session has a record, noPrev if none, or mixed once the session
	// has records under two session attributions. A record whose prev lies
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
	cells []rec
	days  []rec
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

type cellKey struct {
	session, product int32
	day              Day
}

// Engine holds every rollup cell in memory and answers reports from them.
// Its methods are safe for concurrent use; Apply excludes queries for the
// time of one batch, so a query sees a commit whole or not at all.
type Engine struct {
	loc *time.Location

	mu       sync.RWMutex
	sessIDs  map[string]int32
	sessions []SessionSummary // by session id
	// layers[0] sums cells by session attribution; the others also by one
	// product dimension each. The cells live in layers[0]'s days.
	layers   [1 + 3]layer
	products interner
	sattrs   map[sessionAttr]int32
	pattrs   map[productAttr]int32
	// keys interns the values of each dimension; col[d] maps an sattr (for
	// session dimensions) or a pattr (for product dimensions) to the id of
	// its key in keys[d].
	keys  [dimCount]interner
	col   [dimCount][]int32
	cells map[cellKey]int32 // index in layers[0].dayOf[day].cells
	// dataThrough is the newest event time of any sale held.
	dataThrough time.Time
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
		cells:   make(map[cellKey]int32),
		layers:  [...]layer{newLayer(0), newLayer(DimOriginDistrict), newLayer(DimMerchant), newLayer(DimCategory)},
	}
}

// layerOf is the layer that sums by product dimension d (0: none).
func (e *Engine) layerOf(d Dimension) *layer {
	for i := range e.layers {
		if e.layers[i].dim == d {
			return &e.layers[i]
		}
	}
	panic("report: no layer for dimension")
}

// Location is the alliance time zone the engine was made for.
func (e *Engine) Location() *time.Location { return e.loc }

// DayOf is the civil date of t in the engine's time zone: the Day a Delta
// for a sale at t must carry.
func (e *Engine) DayOf(t time.Time) Day { return DayOf(t, e.loc) }

// Load adds a stored cell, at start-up before serving. Loading the cells the
// store kept gives the same answers as applying the deltas that made them.
func (e *Engine) Load(c Cell) {
	e.mu.Lock()
	defer e.mu.Unlock()
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
}

// merge adds a cell's counts to the records; the rule of how a sale changes
// a cell stays in Cell.Add.
func (e *Engine) merge(c *Cell) {
	if c.empty() {
		return
	}
	sid, ok := e.sessIDs[c.Session]
	if !ok {
		sid = int32(len(e.sessions))
		e.sessIDs[c.Session] = sid
		e.sessions = append(e.sessions, SessionSummary{})
	}
	dd := bucket(&e.layers[0].byDay, e.layers[0].dayOf, c.Day)
	add := sums{orders: c.Orders, units: c.Units, gross: c.Gross, refunds: c.Refunds}
	key := cellKey{sid, e.products.id(c.Product), c.Day}
	var sa, pa int32
	if i, ok := e.cells[key]; ok {
		dd.cells[i].add(&add)
		sa, pa = dd.cells[i].sattr, dd.cells[i].pattr
	} else {
		sa, pa = e.sessionAttr(&c.Attr), e.productAttr(&c.Attr)
		e.cells[key] = int32(len(dd.cells))
		dd.cells = append(dd.cells, rec{session: sid, sattr: sa, pattr: pa, prev: mixed, sums: add})
	}
	// The layers follow the attribution of the cell, which its first sale
	// fixed (see Cell.Add).
	for i := range e.layers {
		l := &e.layers[i]
		pkey := int32(-1)
		if l.dim != 0 {
			pkey = e.col[l.dim][pa]
		}
		l.add(sid, sa, pkey, c.Day, &add)
	}

	sum := &e.sessions[sid]
	sum.Orders += c.Orders
	sum.Units += c.Units
	sum.Gross += c.Gross
	sum.Refunds += c.Refunds
	sum.RefundLines += c.RefundLines
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

func (e *Engine) sessionAttr(a *Attribution) int32 {
	k := sessionAttr{a.Host, a.Agency, a.Base, a.District, a.Platform}
	if id, ok := e.sattrs[k]; ok {
		return id
	}
	id := int32(len(e.sattrs))
	e.sattrs[k] = id
	e.col[DimHost] = append(e.col[DimHost], e.keys[DimHost].id(a.Host))
	e.col[DimAgency] = append(e.col[DimAgency], e.keys[DimAgency].id(a.Agency))
	e.col[DimBase] = append(e.col[DimBase], e.keys[DimBase].id(a.Base))
	e.col[DimDistrict] = append(e.col[DimDistrict], e.keys[DimDistrict].id(a.District))
	e.col[DimPlatform] = append(e.col[DimPlatform], e.keys[DimPlatform].id(a.Platform))
	return id
}

func (e *Engine) productAttr(a *Attribution) int32 {
	k := productAttr{a.Merchant, a.Category, a.OriginDistrict}
	if id, ok := e.pattrs[k]; ok {
		return id
	}
	id := int32(len(e.pattrs))
	e.pattrs[k] = id
	e.col[DimMerchant] = append(e.col[DimMerchant], e.keys[DimMerchant].id(a.Merchant))
	e.col[DimCategory] = append(e.col[DimCategory], e.keys[DimCategory].id(a.Category))
	e.col[DimOriginDistrict] = append(e.col[DimOriginDistrict], e.keys[DimOriginDistrict].id(a.OriginDistrict))
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
