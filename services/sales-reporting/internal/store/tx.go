package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// tx is the domain's transaction (ingest.Tx, ingest.ReadTx) over bbolt. A
// write transaction keeps its sales, their keys and the cells it changed
// in memory and writes them once, in key order, when fn returns (flush):
// bbolt inserts in order cheaply, and a cell or a block written twice in
// one transaction costs twice.
type tx struct {
	st                                       *Store
	btx                                      *bolt.Tx
	log                                      *saleLog
	keys                                     *keyIndex
	refunds, sessions, products, cells, tots *bolt.Bucket

	// Write state.
	pending  pendingNames
	newSales []*ingest.Sale // in id order; PutSale keeps the caller's sale
	newKeys  map[string]uint64
	touched  map[string]*report.Cell // by cell key
	// stream packs the sale blocks of a large group (bulk.go); nil: flush does.
	stream *streamPack
	// last is the session and product ids asked for last (ids): an
	// import's lines come a session at a time, and each line asks twice.
	last lastIDs
}

// lastIDs are the dictionary ids of a session and a product name. A name's
// id never changes while the transaction lives.
type lastIDs struct {
	session, product string
	sid, pid         uint32
	ok               bool
}

func (s *Store) newTx(btx *bolt.Tx) *tx {
	t := &tx{
		st: s, btx: btx, log: newSaleLog(btx.Bucket(bucketSaleBlocks)), keys: newKeyIndex(btx.Bucket(bucketSaleKeys)),
		refunds: btx.Bucket(bucketRefunds), sessions: btx.Bucket(bucketSessions), products: btx.Bucket(bucketProducts),
		cells: btx.Bucket(bucketCells), tots: btx.Bucket(bucketTotals),
	}
	if btx.Writable() {
		t.log.open = &s.open
		// Keys that only grow fill their pages.
		for _, b := range []*bolt.Bucket{t.log.b, t.sessions, t.products} {
			b.FillPercent = 1.0
		}
		t.pending = pendingNames{sessions: map[string]uint32{}, products: map[string]uint32{}}
		t.newKeys = map[string]uint64{}
		t.touched = map[string]*report.Cell{}
	}
	return t
}

// sessionName implements dictView: the dictionary, this transaction's new
// names (a write transaction stays open across many group commits, so
// the dictionary comes first), and, for a name committed after the
// dictionary was read, the record itself.
func (t *tx) sessionName(id uint32) (string, bool) {
	if name, ok := t.st.dict.sessionName(id); ok {
		return name, true
	}
	return pendingOrStored(id, t.pending.sessions, t.sessions, &storev1.SessionRecord{})
}

func (t *tx) productName(id uint32) (string, bool) {
	if name, ok := t.st.dict.productName(id); ok {
		return name, true
	}
	return pendingOrStored(id, t.pending.products, t.products, &storev1.ProductRecord{})
}

// pendingOrStored is the name of id that the dictionary does not hold yet:
// one of this transaction's new names, or else the record in b (read
// into r).
func pendingOrStored(id uint32, pending map[string]uint32, b *bolt.Bucket, r interface {
	proto.Message
	GetName() string
}) (string, bool) {
	for name, pid := range pending {
		if pid == id {
			return name, true
		}
	}
	if v := b.Get(u32(id)); v != nil && proto.Unmarshal(v, r) == nil {
		return r.GetName(), true
	}
	return "", false
}

func (t *tx) sessionID(name string) (uint32, bool) {
	if id, ok := t.pending.sessions[name]; ok {
		return id, true
	}
	return t.st.dict.sessionID(name)
}

func (t *tx) productID(name string) (uint32, bool) {
	if id, ok := t.pending.products[name]; ok {
		return id, true
	}
	return t.st.dict.productID(name)
}

func (t *tx) SaleByID(id uint64) (*ingest.Sale, error) {
	if n := len(t.newSales); n > 0 && id >= t.newSales[0].ID {
		if i := id - t.newSales[0].ID; i < uint64(n) {
			s := *t.newSales[i]
			return &s, nil
		}
		return nil, nil
	}
	r, b, err := t.log.get(id)
	if err != nil || r == nil {
		return nil, err
	}
	return saleOf(id, r, b, t)
}

func (t *tx) SaleByKey(platform, externalID string) (*ingest.Sale, error) {
	k := saleKey(platform, externalID)
	if id, ok := t.newKeys[string(k)]; ok {
		return t.SaleByID(id)
	}
	id, ok, err := t.keys.Get(k)
	if err != nil || !ok {
		return nil, err
	}
	s, err := t.SaleByID(id)
	if err != nil {
		return nil, err
	}
	if s == nil || s.Platform != platform || s.ExternalID != externalID {
		return nil, fmt.Errorf("sale key %q names sale %d, which is not its sale: %w", k, id, errCorrupt)
	}
	return s, nil
}

func (t *tx) NextID() (uint64, error) { return t.log.b.NextSequence() }

func (t *tx) PutSale(s *ingest.Sale) error {
	if n := len(t.newSales); n > 0 && s.ID != t.newSales[n-1].ID+1 {
		return fmt.Errorf("sale %d put after sale %d: ids of one transaction are put in order", s.ID, t.newSales[n-1].ID)
	}
	t.newSales = append(t.newSales, s)
	t.newKeys[string(saleKey(s.Platform, s.ExternalID))] = s.ID
	return nil
}

func (t *tx) Refunded(orderID uint64) (int64, int64, error) {
	v := t.refunds.Get(u64(orderID))
	if v == nil {
		return 0, 0, nil
	}
	var r storev1.Refunded
	if err := proto.Unmarshal(v, &r); err != nil {
		return 0, 0, fmt.Errorf("refunds of order %d: %w", orderID, err)
	}
	return r.GetQuantity(), r.GetAmount(), nil
}

func (t *tx) SetRefunded(orderID uint64, qty, amount int64) error {
	v, err := deterministic.Marshal(&storev1.Refunded{Quantity: qty, Amount: amount})
	if err != nil {
		return err
	}
	return t.refunds.Put(u64(orderID), v)
}

func (t *tx) Session(name string) (*ingest.Session, error) {
	id, ok := t.sessionID(name)
	return readNamed(t.sessions, id, ok, "session", name, sessionOf)
}

func (t *tx) Product(name string) (*ingest.Product, error) {
	id, ok := t.productID(name)
	return readNamed(t.products, id, ok, "product", name, productOf)
}

// readNamed reads the record of a name (its dictionary id, if ok) from b
// and converts it with of. A name without an id, or an id without a
// record, is not found: the zero value and no error. A record that does
// not decode is an error naming it.
func readNamed[R any, PR interface {
	*R
	proto.Message
}, T any](b *bolt.Bucket, id uint32, ok bool, what, name string, of func(PR) T) (T, error) {
	var zero T
	if !ok {
		return zero, nil
	}
	v := b.Get(u32(id))
	if v == nil {
		return zero, nil
	}
	r := PR(new(R))
	if err := proto.Unmarshal(v, r); err != nil {
		return zero, fmt.Errorf("%s record %s: %w", what, name, err)
	}
	return of(r), nil
}

// nameID returns the id of name in b, giving it the next one of b's
// sequence when it has none.
func (t *tx) nameID(b *bolt.Bucket, name string, known func(string) (uint32, bool), pending map[string]uint32) (uint32, error) {
	if id, ok := known(name); ok {
		return id, nil
	}
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	if seq > 1<<32-1 {
		return 0, fmt.Errorf("more than %d names in %s", uint64(1<<32-1), "the dictionary")
	}
	pending[name] = uint32(seq)
	return uint32(seq), nil
}

func (t *tx) PutSession(s *ingest.Session) error {
	if old, err := t.Session(s.Name); err != nil {
		return err
	} else if old != nil && (old.Attr != s.Attr || old.Platform != s.Platform) {
		t.st.spoiled.Store(true) // see image.go
	}
	return t.putNamed(t.sessions, s.Name, t.sessionID, t.pending.sessions, sessionRecord(s))
}

func (t *tx) PutProduct(p *ingest.Product) error {
	if old, err := t.Product(p.Name); err != nil {
		return err
	} else if old != nil && (old.Merchant != p.Merchant || old.Category != p.Category || old.OriginDistrict != p.OriginDistrict) {
		t.st.spoiled.Store(true) // see image.go
	}
	return t.putNamed(t.products, p.Name, t.productID, t.pending.products, productRecord(p))
}

// putNamed writes r as the record of name in b, under name's id (nameID).
func (t *tx) putNamed(b *bolt.Bucket, name string, known func(string) (uint32, bool), pending map[string]uint32, r proto.Message) error {
	id, err := t.nameID(b, name, known, pending)
	if err != nil {
		return err
	}
	v, err := deterministic.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(u32(id), v)
}

func (t *tx) Totals() (report.Sums, error) {
	v := t.tots.Get(totalsKey)
	if v == nil {
		return report.Sums{}, nil
	}
	var r storev1.Totals
	if err := proto.Unmarshal(v, &r); err != nil {
		return report.Sums{}, fmt.Errorf("totals: %w", err)
	}
	return sumsOf(&r), nil
}

func (t *tx) SetTotals(s report.Sums) error {
	v, err := deterministic.Marshal(totalsRecord(s))
	if err != nil {
		return err
	}
	return t.tots.Put(totalsKey, v)
}

// ids returns the dictionary ids of a delta's session and product, whose
// records ingestion puts before the sale.
func (t *tx) ids(session, product string) (uint32, uint32, error) {
	l := &t.last
	if l.ok && l.session == session && l.product == product {
		return l.sid, l.pid, nil
	}
	sid, ok := l.sid, l.ok && l.session == session
	if !ok {
		if sid, ok = t.sessionID(session); !ok {
			return 0, 0, fmt.Errorf("session %s has no record", session)
		}
	}
	pid, ok := t.productID(product)
	if !ok {
		return 0, 0, fmt.Errorf("product %s has no record", product)
	}
	*l = lastIDs{session: session, product: product, sid: sid, pid: pid, ok: true}
	return sid, pid, nil
}

func (t *tx) AddToCell(d report.Delta, attr report.Attribution) error {
	sid, pid, err := t.ids(d.Session, d.Product)
	if err != nil {
		return err
	}
	k := cellKeyOf(sid, pid, d.Day)
	c := t.touched[string(k)]
	if c == nil {
		c = &report.Cell{Session: d.Session, Product: d.Product, Attr: attr, Day: d.Day}
		if v := t.cells.Get(k); v != nil {
			var r storev1.Cell
			if err := proto.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("cell %x: %w", k, err)
			}
			setCell(c, &r)
		}
		t.touched[string(k)] = c
	}
	if !c.Add(d) {
		// Ingestion admits a line only if the alliance's totals, which
		// bound every cell, stay inside int64: this cannot happen.
		return fmt.Errorf("cell %x: %w", k, report.ErrOverflow)
	}
	return nil
}

// concurrentPack is the number of new sales from which flush packs their
// blocks on a goroutine of its own while it writes the keys and cells.
const concurrentPack = 1000

// flush writes what the transaction kept in memory.
func (t *tx) flush() error {
	if t.stream != nil {
		return t.flushStream()
	}
	if n := len(t.newSales); n > 0 {
		currency := t.newSales[0].Currency
		base := t.newSales[0].EventTime.Unix()
		recs := make([]*storev1.Sale, n)
		for i := range t.newSales {
			s := t.newSales[i]
			sid, pid, err := t.ids(s.Session, s.Product)
			if err != nil {
				return err
			}
			recs[i] = saleRecord(s, sid, pid, currency, base)
		}
		a, err := t.log.startAppend(t.newSales[0].ID, currency, recs, base)
		if err != nil {
			return err
		}
		// Packing (marshalling and compressing) the sale blocks is most of
		// a large flush's CPU and reads nothing of the transaction: it
		// runs beside the keys and cells, and the blocks are put after.
		if n < concurrentPack {
			a.pack()
		} else {
			packed := make(chan struct{})
			go func() { defer close(packed); a.pack() }()
			err := t.flushKeysAndCells()
			<-packed
			if err != nil {
				return err
			}
			return a.put()
		}
		if err := a.put(); err != nil {
			return err
		}
	}
	return t.flushKeysAndCells()
}

// flushKeysAndCells writes the new sales' idempotency keys and the cells
// the transaction changed.
func (t *tx) flushKeysAndCells() error {
	if len(t.newKeys) > 0 {
		for _, e := range t.sortedNewKeys() {
			if err := t.keys.Put(e.key, e.val); err != nil {
				return err
			}
		}
		if err := t.keys.flush(); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(t.touched))
	for k := range t.touched {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := deterministic.Marshal(cellRecord(t.touched[k]))
		if err != nil {
			return err
		}
		if err := t.cells.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// sortedNewKeys returns newKeys in key order. When they are the keys of
// newSales, one each (always, unless a key was put twice), they are read
// from newSales, in the order they came (a session's lines together,
// which sorts faster than the map's order), into one arena, with no
// lookup in the map; otherwise from the map.
func (t *tx) sortedNewKeys() []kv {
	out := make([]kv, 0, len(t.newKeys))
	if len(t.newKeys) != len(t.newSales) {
		for k, id := range t.newKeys {
			out = append(out, kv{key: []byte(k), val: id})
		}
	} else {
		size := 0
		for _, s := range t.newSales {
			size += saleKeyLen(s.Platform, s.ExternalID)
		}
		arena := make([]byte, 0, size)
		for _, s := range t.newSales {
			start := len(arena)
			arena = appendSaleKey(arena, s.Platform, s.ExternalID)
			out = append(out, kv{key: arena[start:len(arena):len(arena)], val: s.ID})
		}
	}
	byKey := func(a, b kv) int { return bytes.Compare(a.key, b.key) }
	if !slices.IsSortedFunc(out, byKey) {
		slices.SortFunc(out, byKey)
	}
	return out
}

// listingKey is what ListSales orders by: event time, then id.
func listingKey(b []byte, s *ingest.Sale) []byte {
	return binary.BigEndian.AppendUint64(timekey.AppendKey(b, s.EventTime), s.ID)
}

// cursorSize is a ListSales cursor's: a listing key.
const cursorSize = timekey.Size + 8

func (t *tx) ListSales(session string, kind report.Kind, cursor []byte, limit int) ([]*ingest.Sale, []byte, error) {
	if len(cursor) != 0 && len(cursor) != cursorSize {
		return nil, nil, nil
	}
	idx, prefix := newKeyIndex(t.btx.Bucket(bucketByTime)), []byte(nil)
	if session != "" {
		sid, ok := t.sessionID(session)
		if !ok {
			return nil, nil, nil
		}
		idx, prefix = newKeyIndex(t.btx.Bucket(bucketBySession)), u32(sid)
	}
	from := append(bytes.Clone(prefix), cursor...)
	var out []*ingest.Sale
	var next, last []byte
	err := idx.scan(prefix, from, func(key []byte, _ uint64) (bool, error) {
		if len(cursor) > 0 && bytes.Equal(key, from) {
			return true, nil
		}
		if len(out) == limit {
			next = bytes.Clone(last)
			return false, nil
		}
		if len(key) != len(prefix)+cursorSize {
			return false, fmt.Errorf("listing key %x: %w", key, errCorrupt)
		}
		id := binary.BigEndian.Uint64(key[len(key)-8:])
		s, err := t.SaleByID(id)
		if err != nil {
			return false, err
		}
		last = key[len(prefix):]
		if s != nil && (kind == 0 || s.Kind == kind) {
			out = append(out, s)
		}
		return true, nil
	})
	return out, next, err
}
