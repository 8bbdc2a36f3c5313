package report

import (
	"sync"
	"time"
)

// dimCount sizes arrays indexed by Dimension (index 0 unused).
const dimCount = int(DimPlatform) + 1

// productDim tells the dimensions that depend on the product from those that
// depend on the session. Reports that group or filter only by session
// dimensions read the per-(session, day) records, which are several times
// fewer than the cells.
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

// rec is one record of a session: a cell (session, product, day), or in
// session.days the sum of a session's cells of one day and one session
// attribution (pattr -1). Attributions are interned: sattr and pattr index
// the key columns of Engine.col.
type rec struct {
	day   Day
	sattr int32
	pattr int32
	sums
}

type session struct {
	cells []rec
	days  []rec
	sum   SessionSummary
}

// span is the range of days a session has records on, kept apart from the
// records so a query can skip the sessions outside its range by reading
// 8 bytes each.
type span struct{ lo, hi Day }

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
	sessions []session
	spans    []span
	products interner
	sattrs   map[sessionAttr]int32
	pattrs   map[productAttr]int32
	// keys interns the values of each dimension; col[d] maps an sattr (for
	// session dimensions) or a pattr (for product dimensions) to the id of
	// its key in keys[d].
	keys  [dimCount]interner
	col   [dimCount][]int32
	cells map[cellKey]int32 // index in sessions[session].cells
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
	}
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
		e.sessions = append(e.sessions, session{})
		e.spans = append(e.spans, span{c.Day, c.Day})
	}
	s := &e.sessions[sid]
	sp := &e.spans[sid]
	sp.lo, sp.hi = min(sp.lo, c.Day), max(sp.hi, c.Day)

	add := sums{orders: c.Orders, units: c.Units, gross: c.Gross, refunds: c.Refunds}
	pid := e.products.id(c.Product)
	key := cellKey{sid, pid, c.Day}
	if i, ok := e.cells[key]; ok {
		s.cells[i].add(&add)
	} else {
		sa, pa := e.sessionAttr(&c.Attr), e.productAttr(&c.Attr)
		e.cells[key] = int32(len(s.cells))
		s.cells = append(s.cells, rec{day: c.Day, sattr: sa, pattr: pa, sums: add})
	}
	// The day record follows the attribution of the cell, whose first sale
	// fixed it (see Cell.Add).
	sa := s.cells[e.cells[key]].sattr
	found := false
	for i := range s.days {
		if r := &s.days[i]; r.day == c.Day && r.sattr == sa {
			r.add(&add)
			found = true
			break
		}
	}
	if !found {
		s.days = append(s.days, rec{day: c.Day, sattr: sa, pattr: -1, sums: add})
	}

	sum := &s.sum
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
	return e.sessions[sid].sum, true
}

// DataThrough is the newest event time of any sale held (zero when none).
func (e *Engine) DataThrough() time.Time {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dataThrough
}
