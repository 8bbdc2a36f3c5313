package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// An image of the engine is its state written out whole (WriteImage) and
// read back (ReadImage) in place of merging every stored cell again: at
// the 2020 replay's size the merge is most of start-up, reading the image a
// fraction of it. The caller decides when an image is written and which
// stored state it covers (stamp); this file only makes the image exact.
//
// Layout: a header section (a magic line, the version, the caller's stamp
// and the time zone), then the sections of imageSections, each a run of
// parts opened by their names, then a table of where each section lies
// with its CRC-32C, and the table's own CRC-32C. Figures are fixed-width
// little-endian (imagecodec.go). Each part of the state is written and
// read by its own pair of functions (imageSections, dayParts); what can
// be derived from them (the maps that find a session, a day, an
// attribution, a name) is rebuilt by rebuild after reading. A new part of the state is one more entry in a table and
// a bump of imageVersion; TestImageHoldsTheWholeEngine fails for a field
// that no part writes.

// imageVersion changes whenever the layout or the meaning of a part does:
// an image of another version is not read.
const imageVersion = 2

var imageMagic = []byte("alliance sales-reporting engine image\n")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Reasons an image is not read. The caller falls back to the full load.
var (
	// ErrImageStale: the image covers another stored state (its stamp is
	// not the one asked for) or another time zone.
	ErrImageStale = errors.New("the engine image covers another state of the store")
	// ErrImageVersion: the image was written by another layout.
	ErrImageVersion = errors.New("the engine image has another version")
	// ErrImageCorrupt: the image does not read back (cut short, bytes
	// changed, a count out of bounds, a bad checksum).
	ErrImageCorrupt = errors.New("the engine image is corrupt")
)

// WriteImage writes the engine's state to w, stamped with stamp (what the
// state covers, in the caller's terms). Queries may run meanwhile; Apply
// waits until it is written.
func (e *Engine) WriteImage(w io.Writer, stamp []byte) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	iw := &imageWriter{w: w, crc: crc32.New(crcTable), buf: make([]byte, 0, 2*imageChunk), engine: e}
	var table [1 + len(imageSections)]sectionRef
	iw.raw(imageMagic)
	iw.u32(imageVersion)
	iw.bytes(stamp)
	iw.bytes([]byte(e.loc.String()))
	table[0] = iw.endSection()
	for i, parts := range imageSections {
		for _, p := range parts {
			iw.bytes([]byte(p.name))
			p.write(iw, e)
		}
		table[1+i] = iw.endSection()
	}
	for _, t := range table {
		b := iw.grab(sectionRefSize)
		le.PutUint64(b, uint64(t.offset))
		le.PutUint64(b[8:], uint64(t.length))
		le.PutUint32(b[16:], t.crc)
	}
	iw.flush()
	if iw.err != nil {
		return iw.err
	}
	_, err := w.Write(le.AppendUint32(nil, iw.crc.Sum32()))
	return err
}

// sectionRef locates a section of an image; the image ends with a table of
// them (and its own checksum), so that its sections can be read side by
// side.
type sectionRef struct {
	offset, length int64
	crc            uint32
}

const (
	sectionRefSize = 8 + 8 + 4
	tableSize      = (1+len(imageSections))*sectionRefSize + 4
)

// ReadImage reads an engine written by WriteImage from r, which holds size
// bytes; it must carry stamp and have been made for the time zone loc.
// Its sections are read side by side, on as many goroutines: start-up
// waits for nothing else. The error wraps ErrImageStale, ErrImageVersion
// or ErrImageCorrupt.
func ReadImage(r io.ReaderAt, size int64, loc *time.Location, stamp []byte) (*Engine, error) {
	if loc == nil {
		panic("report.ReadImage: nil time zone")
	}
	// The version first: another version may have another table.
	head := make([]byte, len(imageMagic)+4)
	if _, err := r.ReadAt(head, 0); err != nil || !bytes.Equal(head[:len(imageMagic)], imageMagic) {
		return nil, fmt.Errorf("%w: not an engine image (%d bytes)", ErrImageCorrupt, size)
	}
	if v := le.Uint32(head[len(imageMagic):]); v != imageVersion {
		return nil, fmt.Errorf("%w: version %d, this binary reads %d", ErrImageVersion, v, imageVersion)
	}
	table, err := readTable(r, size)
	if err != nil {
		return nil, err
	}
	e := New(loc)
	reader := func(t sectionRef) *imageReader {
		return &imageReader{r: io.NewSectionReader(r, t.offset, t.length), crc: crc32.New(crcTable), remain: t.length, want: t.crc, engine: e}
	}
	ir := reader(table[0])
	ir.take(len(head))
	if got := ir.bytes(); ir.err == nil && !bytes.Equal(got, stamp) {
		return nil, fmt.Errorf("%w: stamped %x, the store is at %x", ErrImageStale, got, stamp)
	}
	if zone := string(ir.bytes()); ir.err == nil && zone != loc.String() {
		return nil, fmt.Errorf("%w: made for the time zone %s, not %s", ErrImageStale, zone, loc)
	}
	if err := ir.finish(); err != nil {
		return nil, err
	}
	errs := make([]error, len(imageSections))
	var wg sync.WaitGroup
	for i, parts := range imageSections {
		wg.Go(func() {
			ir := reader(table[1+i])
			for _, p := range parts {
				if name := string(ir.bytes()); ir.err == nil && name != p.name {
					errs[i] = fmt.Errorf("%w: part %q where %q belongs", ErrImageCorrupt, name, p.name)
					return
				}
				p.read(ir, e)
			}
			errs[i] = ir.finish()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := e.rebuild(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImageCorrupt, err)
	}
	return e, nil
}

// readTable reads and checks the table of sections at the end of an image
// of size bytes: its checksum, and sections that follow one another from
// the start to the table.
func readTable(r io.ReaderAt, size int64) ([1 + len(imageSections)]sectionRef, error) {
	var table [1 + len(imageSections)]sectionRef
	if size < int64(tableSize) {
		return table, fmt.Errorf("%w: %d bytes", ErrImageCorrupt, size)
	}
	b := make([]byte, tableSize)
	if _, err := r.ReadAt(b, size-int64(tableSize)); err != nil {
		return table, fmt.Errorf("%w: %v", ErrImageCorrupt, err)
	}
	if crc32.Checksum(b[:tableSize-4], crcTable) != le.Uint32(b[tableSize-4:]) {
		return table, fmt.Errorf("%w: its table of sections does not match its checksum", ErrImageCorrupt)
	}
	at := int64(0)
	for i := range table {
		x := b[i*sectionRefSize:]
		t := sectionRef{int64(le.Uint64(x)), int64(le.Uint64(x[8:])), le.Uint32(x[16:])}
		if t.offset != at || t.length < 0 || t.length > size-int64(tableSize)-at {
			return table, fmt.Errorf("%w: section %d at %d, %d bytes", ErrImageCorrupt, i, t.offset, t.length)
		}
		table[i] = t
		at += t.length
	}
	if at != size-int64(tableSize) {
		return table, fmt.Errorf("%w: %d bytes past its last section", ErrImageCorrupt, size-int64(tableSize)-at)
	}
	return table, nil
}

type imagePart struct {
	name  string
	write func(*imageWriter, *Engine)
	read  func(*imageReader, *Engine)
}

// imageSections are the parts of the state, in the order written, in
// sections of about equal cost to read, which start-up reads side by
// side. Parts of one section may depend on each other; parts of two
// sections set different fields.
var imageSections = [...][]imagePart{
	{
		{"sessions", writeSessions, readSessions},
		{"attributions", writeAttributions, readAttributions},
		{"index", writeIndex, readIndex},
		{"links", writeLinks, readLinks},
		{"traffic", writeTrafficRefs, readTrafficRefs},
	},
	{
		{"days", func(w *imageWriter, e *Engine) { writeDays(w, e.byDay) }, func(r *imageReader, e *Engine) { e.byDay = readDays(r) }},
		{"months", func(w *imageWriter, e *Engine) { writeDays(w, e.byMonth) }, func(r *imageReader, e *Engine) { e.byMonth = readDays(r) }},
		{"years", func(w *imageWriter, e *Engine) { writeDays(w, e.byYear) }, func(r *imageReader, e *Engine) { e.byYear = readDays(r) }},
	},
	{
		{"pairs", writePairs, readPairs},
	},
}

// dayParts are the parts of a day's (month's, year's) data.
var dayParts = []struct {
	name  string
	write func(*imageWriter, *dayData)
	read  func(*imageReader, *dayData)
}{
	{"cells", func(w *imageWriter, d *dayData) { writeSlice(w, d.cells, crecSize, putCrec) },
		func(r *imageReader, d *dayData) { d.cells = readSlice(r, crecSize, getCrec) }},
	{"records", func(w *imageWriter, d *dayData) { writeSlice(w, d.days, recSize, putRec) },
		func(r *imageReader, d *dayData) { d.days = readSlice(r, recSize, getRec) }},
	{"traffic", func(w *imageWriter, d *dayData) { writeSlice(w, d.traffic, trecSize, w.trec) },
		func(r *imageReader, d *dayData) { d.traffic = readSlice(r, trecSize, r.trec) }},
	{"totals", func(w *imageWriter, d *dayData) {
		for j := range d.tots {
			writeSlice(w, d.tots[j], totSize, putTot)
		}
	}, func(r *imageReader, d *dayData) {
		for j := range d.tots {
			d.tots[j] = readSlice(r, totSize, getTot)
		}
	}},
	{"traffic totals", func(w *imageWriter, d *dayData) {
		for j := range d.ttots {
			writeSlice(w, d.ttots[j], tsumsSize, putTsums)
		}
		w.bool(d.trafficStale)
	}, func(r *imageReader, d *dayData) {
		for j := range d.ttots {
			d.ttots[j] = readSlice(r, tsumsSize, getTsums)
		}
		d.trafficStale = r.bool()
	}},
}

// writeSessions: the sessions' names in id order, their summaries and
// attribution state, the newest event held and the engine's switches.
func writeSessions(w *imageWriter, e *Engine) {
	names := make([]string, len(e.sessions))
	for name, id := range e.sessIDs {
		names[id] = name
	}
	w.u32(uint32(len(names)))
	for i, name := range names {
		w.bytes([]byte(name))
		s := &e.sessions[i]
		for _, x := range [...]int64{s.Orders, s.Units, s.Gross, s.Refunds, s.RefundLines} {
			w.i64(x)
		}
		w.time(e, s.FirstEvent)
		w.time(e, s.LastEvent)
		w.i32(e.firstSattr[i])
		w.bool(e.smixed[i])
	}
	w.time(e, e.dataThrough)
	w.bool(e.noTotals)
	for _, n := range e.counts {
		w.i64(int64(n))
	}
}

func readSessions(r *imageReader, e *Engine) {
	n := r.count(1)
	names := make([]string, n)
	e.sessions, e.firstSattr, e.smixed = makeN[SessionSummary](n), makeN[int32](n), makeN[bool](n)
	for i := range n {
		names[i] = string(r.bytes())
		s := &e.sessions[i]
		for _, x := range [...]*int64{&s.Orders, &s.Units, &s.Gross, &s.Refunds, &s.RefundLines} {
			*x = r.i64()
		}
		s.FirstEvent = r.time(e)
		s.LastEvent = r.time(e)
		e.firstSattr[i] = r.i32()
		e.smixed[i] = r.bool()
	}
	e.dataThrough = r.time(e)
	e.noTotals = r.bool()
	for i := range e.counts {
		e.counts[i] = int(r.i64())
	}
	e.sessIDs = make(map[string]int32, n)
	for i, name := range names {
		e.sessIDs[name] = int32(i)
	}
}

// writeAttributions: the products' names, every dimension's keys and the
// columns that map attributions to them.
func writeAttributions(w *imageWriter, e *Engine) {
	w.strings(e.products.names)
	for d := range e.keys {
		w.strings(e.keys[d].names)
		writeSlice(w, e.col[d], 4, putI32)
	}
}

func readAttributions(r *imageReader, e *Engine) {
	e.products.names = r.strings()
	for d := range e.keys {
		e.keys[d].names = r.strings()
		e.col[d] = readSlice(r, 4, getI32)
	}
}

func writeDays(w *imageWriter, list []*dayData) {
	w.u32(uint32(len(list)))
	for _, dd := range list {
		w.i32(int32(dd.day))
		for _, p := range dayParts {
			p.write(w, dd)
		}
	}
}

func readDays(r *imageReader) []*dayData {
	n := r.count(4)
	if n == 0 {
		return nil
	}
	list := make([]*dayData, n)
	for i := range list {
		dd := &dayData{day: Day(r.i32())}
		for _, p := range dayParts {
			p.read(r, dd)
		}
		list[i] = dd
	}
	return list
}

// writeIndex: each session's index entries; a map's in key order, so that
// one engine has one image.
func writeIndex(w *imageWriter, e *Engine) {
	w.u32(uint32(len(e.index)))
	var big []recEntry
	for i := range e.index {
		x := &e.index[i]
		list := x.list
		if x.big != nil {
			big = big[:0]
			for k, idx := range x.big {
				big = append(big, recEntry{k, idx})
			}
			slices.SortFunc(big, func(a, b recEntry) int {
				return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.a, b.a), cmp.Compare(a.b, b.b), cmp.Compare(a.c, b.c))
			})
			list = big
		}
		writeSlice(w, list, recEntrySize, putRecEntry)
	}
}

// readIndex puts the short lists side by side in one array (as compact
// does) and makes a map of each long one (as recIndex.add does).
func readIndex(r *imageReader, e *Engine) {
	e.index = makeN[recIndex](r.count(4))
	var all []recEntry
	for i := range e.index {
		list := readSlice(r, recEntrySize, getRecEntry)
		if len(list) > indexBig {
			x := make(map[recKey]int32, 2*len(list))
			for _, en := range list {
				x[en.recKey] = en.idx
			}
			e.index[i].big = x
			continue
		}
		if len(list) == 0 {
			continue
		}
		if cap(all)-len(all) < len(list) {
			all = make([]recEntry, 0, max(1<<16, len(list)))
		}
		at := len(all)
		all = append(all, list...)
		e.index[i].list = all[at:len(all):len(all)]
	}
}

// writeLinks: each session's day records, cells and month cells in the
// order their links keep them.
func writeLinks(w *imageWriter, e *Engine) {
	w.u32(uint32(len(e.refs)))
	for i := range e.refs {
		writeSlice(w, e.refs[i], dayRefSize, putDayRef)
		writeSlice(w, e.crefs[i], crefSize, putCref)
		writeSlice(w, e.mrefs[i], crefSize, putCref)
	}
}

func readLinks(r *imageReader, e *Engine) {
	n := r.count(12)
	e.refs, e.crefs, e.mrefs = makeN[[]dayRef](n), makeN[[]cref](n), makeN[[]cref](n)
	for i := range n {
		e.refs[i] = readSlice(r, dayRefSize, getDayRef)
		e.crefs[i] = readSlice(r, crefSize, getCref)
		e.mrefs[i] = readSlice(r, crefSize, getCref)
	}
}

// writeTrafficRefs: where each session's traffic record is, by name (a
// session may have traffic and no sale), in name order.
func writeTrafficRefs(w *imageWriter, e *Engine) {
	names := make([]string, 0, len(e.trafficOf))
	for name := range e.trafficOf {
		names = append(names, name)
	}
	slices.Sort(names)
	w.u32(uint32(len(names)))
	for _, name := range names {
		ref := e.trafficOf[name]
		w.bytes([]byte(name))
		w.i32(int32(ref.day))
		w.i32(ref.idx)
	}
}

func readTrafficRefs(r *imageReader, e *Engine) {
	n := r.count(12)
	if n == 0 {
		return
	}
	e.trafficOf = make(map[string]trafficRef, n)
	for range n {
		name := string(r.bytes())
		e.trafficOf[name] = trafficRef{Day(r.i32()), r.i32()}
	}
}

// writePairs: the pair totals (pairs.go) whole, or that there are none
// (a load was running): the pairs turned off, each month's grids and each
// year's sessions counted in two months. What a batch holds pending is
// empty between batches, and Apply waits while an image is written.
func writePairs(w *imageWriter, e *Engine) {
	p := e.pairs
	w.bool(p != nil)
	if p == nil {
		return
	}
	for _, off := range p.off {
		w.bool(off)
	}
	months := slices.Sorted(maps.Keys(p.months))
	w.u32(uint32(len(months)))
	for _, m := range months {
		w.i32(int32(m))
		for i := range p.months[m].grids {
			g := &p.months[m].grids[i]
			w.i32(g.na)
			w.i32(g.nb)
			writeSlice(w, g.rows, prowSize, putProw)
		}
	}
	years := slices.Sorted(maps.Keys(p.dups))
	w.u32(uint32(len(years)))
	for _, y := range years {
		w.i32(int32(y))
		for _, d := range p.dups[y] {
			w.bool(d != nil)
			keys := slices.SortedFunc(maps.Keys(d), func(a, b [2]int32) int {
				return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
			})
			w.u32(uint32(len(keys)))
			for _, k := range keys {
				w.i32(k[0])
				w.i32(k[1])
				w.i32(d[k])
			}
		}
	}
}

func readPairs(r *imageReader, e *Engine) {
	if !r.bool() {
		e.pairs = nil
		return
	}
	p := newPairTotals()
	for i := range p.off {
		p.off[i] = r.bool()
	}
	for range r.count(4) {
		pm := &pairMonth{}
		p.months[Day(r.i32())] = pm
		for i := range pm.grids {
			g := &pm.grids[i]
			g.na, g.nb = r.i32(), r.i32()
			g.rows = readSlice(r, prowSize, getProw)
			if g.na < 0 || g.nb < 0 || int64(len(g.rows)) != int64(g.na)*int64(g.nb) {
				r.fail(fmt.Errorf("%w: a grid of %d × %d keys holds %d rows", ErrImageCorrupt, g.na, g.nb, len(g.rows)))
				return
			}
		}
	}
	for range r.count(4) {
		d := new([nPairs]map[[2]int32]int32)
		p.dups[Day(r.i32())] = d
		for i := range d {
			held := r.bool()
			n := r.count(12)
			if held {
				d[i] = make(map[[2]int32]int32, n)
			}
			for range n {
				k := [2]int32{r.i32(), r.i32()}
				if n := r.i32(); held {
					d[i][k] = n
				}
			}
		}
	}
	e.pairs = p
}

// checkPairs checks that every row the pair totals hold names keys that
// the engine has, so that naming a row never indexes out of range.
func (e *Engine) checkPairs() error {
	if e.pairs == nil {
		return nil
	}
	for m, pm := range e.pairs.months {
		for i := range pm.grids {
			na, nb := e.pairSize(i)
			var err error
			pm.grids[i].each(func(k [2]int32, _ *prow) {
				if err == nil && (k[0] >= na || k[1] >= nb) {
					err = fmt.Errorf("a row of pair %d in %s names keys %v of %d × %d", i, m, k, na, nb)
				}
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// rebuild makes what the parts imply: the maps of days, months and
// years, of names to ids, of attributions to ids and of months' traffic
// records; and checks that every id the records hold points inside its
// table, so that a query never indexes out of range.
func (e *Engine) rebuild() error {
	for _, l := range []struct {
		list  []*dayData
		index map[Day]*dayData
	}{{e.byDay, e.dayOf}, {e.byMonth, e.monthOf}, {e.byYear, e.yearOf}} {
		for i, dd := range l.list {
			if i > 0 && l.list[i-1].day >= dd.day {
				return fmt.Errorf("days out of order at %s", dd.day)
			}
			l.index[dd.day] = dd
		}
	}
	e.products.rebuild()
	for d := range e.keys {
		e.keys[d].rebuild()
		for _, k := range e.col[d] {
			if k < 0 || int(k) >= len(e.keys[d].names) {
				return fmt.Errorf("dimension %d: key %d of %d", d, k, len(e.keys[d].names))
			}
		}
	}
	ns, np := len(e.col[DimHost]), len(e.col[DimMerchant])
	for _, d := range sessionDims {
		if len(e.col[d]) != ns {
			return fmt.Errorf("session attributions: %d keys of dimension %d, %d of hosts", len(e.col[d]), d, ns)
		}
	}
	for _, d := range productDims {
		if len(e.col[d]) != np {
			return fmt.Errorf("product attributions: %d keys of dimension %d, %d of merchants", len(e.col[d]), d, np)
		}
	}
	name := func(d Dimension, id int32) string { return e.keys[d].names[e.col[d][id]] }
	for i := range ns {
		id := int32(i)
		e.sattrs[sessionAttr{name(DimHost, id), name(DimAgency, id), name(DimBase, id), name(DimDistrict, id), name(DimPlatform, id)}] = id
	}
	for i := range np {
		id := int32(i)
		e.pattrs[productAttr{name(DimMerchant, id), name(DimCategory, id), name(DimOriginDistrict, id)}] = id
	}
	if len(e.sattrs) != ns || len(e.pattrs) != np {
		return errors.New("an attribution is listed twice")
	}
	sessions := len(e.sessions)
	if len(e.index) != sessions || len(e.refs) != sessions {
		return fmt.Errorf("%d sessions, %d indexes, %d links", sessions, len(e.index), len(e.refs))
	}
	check := func(r *rec, cell bool) error {
		if r.session < 0 || int(r.session) >= sessions || r.sattr < 0 || int(r.sattr) >= ns ||
			cell && (r.pattr < 0 || int(r.pattr) >= np) || !cell && r.pattr != -1 {
			return fmt.Errorf("a record of session %d, attributions %d and %d", r.session, r.sattr, r.pattr)
		}
		return nil
	}
	for _, list := range [][]*dayData{e.byDay, e.byMonth} {
		for _, dd := range list {
			for i := range dd.cells {
				if err := check(&dd.cells[i].rec, true); err != nil {
					return err
				}
			}
			for i := range dd.days {
				if err := check(&dd.days[i], false); err != nil {
					return err
				}
			}
			for i := range dd.traffic {
				if s := dd.traffic[i].sattr; s < 0 || int(s) >= ns {
					return fmt.Errorf("traffic of attribution %d", s)
				}
			}
		}
	}
	// The links and the index name records by day and position.
	for sid := range sessions {
		for _, r := range e.refs[sid] {
			if dd := e.dayOf[r.day]; dd == nil || r.idx < 0 || int(r.idx) >= len(dd.days) {
				return fmt.Errorf("session %d links a day record at %s #%d", sid, r.day, r.idx)
			}
		}
		for _, rs := range [2]struct {
			refs  []cref
			index map[Day]*dayData
		}{{e.crefs[sid], e.dayOf}, {e.mrefs[sid], e.monthOf}} {
			for _, r := range rs.refs {
				if dd := rs.index[r.day]; dd == nil || r.idx < 0 || int(r.idx) >= len(dd.cells) {
					return fmt.Errorf("session %d links a cell at %s #%d", sid, r.day, r.idx)
				}
			}
		}
	}
	for _, ref := range e.trafficOf {
		if dd := e.dayOf[ref.day]; dd == nil || ref.idx < 0 || int(ref.idx) >= len(dd.traffic) {
			return fmt.Errorf("traffic at %s #%d", ref.day, ref.idx)
		}
	}
	if err := e.checkPairs(); err != nil {
		return err
	}
	if e.trafficOf != nil {
		e.monthTraffic = make(map[dayKey]int32)
		for _, md := range e.byMonth {
			for i := range md.traffic {
				e.monthTraffic[dayKey{session: -1, sattr: md.traffic[i].sattr, day: md.day}] = int32(i)
			}
		}
	}
	return nil
}

func (in *interner) rebuild() {
	if len(in.names) == 0 {
		in.names = nil
		return
	}
	in.ids = make(map[string]int32, len(in.names))
	for i, s := range in.names {
		in.ids[s] = int32(i)
	}
}
