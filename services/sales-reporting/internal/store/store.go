// Package store keeps sales, their idempotency index, refunded totals,
// attribution snapshots and rollup cells in one bbolt file. Each function
// that touches a bucket runs inside a transaction the caller owns, so the
// sales and the cells that count them always commit together.
package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
)

// Every bucket of sales.db, in one place.
var (
	// id (8 bytes BE) -> sale. Ids only grow, so inserts append.
	bucketSales = []byte("sales")
	// platform 0x00 external_id -> id: the idempotency key.
	bucketSaleKeys = []byte("sale_keys")
	// event time (timekey, 12) id (8) -> nothing: ListSales over every session.
	// Kept by the indexer, off the ingestion path (see IndexSales).
	bucketByTime = []byte("sales_by_time")
	// session 0x00 event time (12) id (8) -> nothing: ListSales of one session.
	// Kept by the indexer too.
	bucketBySession = []byte("sales_by_session")
	// "through" -> the last sale id the listing indexes cover.
	bucketIndexState = []byte("index_state")
	// order id -> refunded quantity and amount so far.
	bucketRefunded = []byte("refunded")
	// session name -> attribution snapshot.
	bucketSessions = []byte("session_snapshots")
	// product name -> attribution snapshot.
	bucketProducts = []byte("product_snapshots")
	// session 0x00 product 0x00 day (4 BE) -> report.Cell.
	bucketCells = []byte("cells")
	// "alliance" -> report.Sums of every stored sale: the bound that keeps
	// every figure of every report inside int64 (see ingest's TOTAL_OVERFLOW).
	bucketTotals = []byte("totals")
)

// Schema of sales.db. Version 2 stores times in kit/timekey's exact forms
// (version 1 used UnixNano) and adds the totals; migrateV1 moves a file.
var Schema = boltdb.Schema{
	Version: 2,
	Buckets: [][]byte{bucketSales, bucketSaleKeys, bucketByTime, bucketBySession, bucketIndexState,
		bucketRefunded, bucketSessions, bucketProducts, bucketCells, bucketTotals},
	Migrations: []boltdb.Migration{{From: 1, Run: migrateV1}},
}

// Versions of the records, in their first byte. Sales, session snapshots
// and cells hold times, so schema 2 gave them version 2.
const (
	saleVersion    = 2
	sessionVersion = 2
	cellVersion    = 2
	productVersion = 1
	totalsVersion  = 1
)

var totalsKey = []byte("alliance")

// Store is sales.db.
type Store struct {
	DB      *bolt.DB
	observe boltdb.CommitObserver // the commit metrics (o.Observe); nil: none
}

// Open opens (creating) the file.
func Open(path string, o boltdb.Options) (*Store, error) {
	db, err := boltdb.Open(path, Schema, o)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, observe: o.Observe}, nil
}

// WriteSnapshot writes a consistent copy of the file to w while writes go
// on (alliance-admin backup).
func (s *Store) WriteSnapshot(w io.Writer) (boltdb.Snapshot, error) {
	return boltdb.WriteSnapshot(s.DB, w)
}

// Close closes the file.
func (s *Store) Close() error { return s.DB.Close() }

// Update implements ingest.Repo. The commit loop's transactions are the
// group commits: each one is told to the observer with the sales it
// stored as its writes.
func (s *Store) Update(fn func(ingest.Tx) error) error {
	var t *tx
	start := time.Now()
	err := s.DB.Update(func(btx *bolt.Tx) error {
		t = newTx(btx)
		if err := fn(t); err != nil {
			return err
		}
		if err := t.flushKeys(); err != nil {
			return err
		}
		return t.flushCells()
	})
	if s.observe != nil && t != nil && (err != nil || len(t.newKeys) > 0) {
		s.observe(len(t.newKeys), time.Since(start), err)
	}
	return err
}

// View implements ingest.Repo.
func (s *Store) View(fn func(ingest.ReadTx) error) error {
	return s.DB.View(func(btx *bolt.Tx) error { return fn(newTx(btx)) })
}

type tx struct {
	btx                                                       *bolt.Tx
	sales, keys, byTime, bySession, refunded, sessions, prods *bolt.Bucket
	cells, totals                                             *bolt.Bucket
	touched                                                   map[string]*report.Cell
	// newKeys are the idempotency keys of this transaction, written sorted
	// at its end: bbolt inserts into an in-memory node with a copy of its
	// tail, so thousands of keys in random order into one node cost a
	// quadratic memmove, and the same keys in order cost next to nothing.
	newKeys map[string]uint64
}

func newTx(btx *bolt.Tx) *tx {
	t := &tx{
		btx: btx, sales: btx.Bucket(bucketSales), keys: btx.Bucket(bucketSaleKeys),
		byTime: btx.Bucket(bucketByTime), bySession: btx.Bucket(bucketBySession),
		refunded: btx.Bucket(bucketRefunded), sessions: btx.Bucket(bucketSessions),
		prods: btx.Bucket(bucketProducts), cells: btx.Bucket(bucketCells), totals: btx.Bucket(bucketTotals),
	}
	if btx.Writable() {
		// Append-mostly buckets: full pages waste nothing when keys only grow.
		t.sales.FillPercent = 1.0
		t.touched = map[string]*report.Cell{}
		t.newKeys = map[string]uint64{}
	}
	return t
}

func saleKey(platform, externalID string) []byte {
	k := make([]byte, 0, len(platform)+1+len(externalID))
	k = append(k, platform...)
	k = append(k, 0)
	return append(k, externalID...)
}

func encodeSale(s *ingest.Sale) []byte {
	e := enc{b: make([]byte, 0, 64+len(s.Session)+len(s.Product)+len(s.ExternalID)+len(s.RefundOf))}
	e.b = append(e.b, saleVersion)
	e.s(s.Session)
	e.s(s.Product)
	e.u(uint64(s.Kind))
	e.i(s.Quantity)
	e.i(s.Amount)
	e.s(s.Currency)
	e.s(s.Platform)
	e.s(s.ExternalID)
	e.s(s.RefundOf)
	e.t(s.EventTime)
	e.t(s.CreateTime)
	return e.b
}

func decodeSale(id uint64, b []byte) (*ingest.Sale, error) { return decodeSaleAs(id, b, saleVersion) }

// decodeSaleAs reads a sale record of the given version.
func decodeSaleAs(id uint64, b []byte, version byte) (*ingest.Sale, error) {
	d := dec{b: b, legacy: version == 1}
	d.version(version)
	s := &ingest.Sale{ID: id}
	s.Session = d.s()
	s.Product = d.s()
	s.Kind = report.Kind(d.u())
	s.Quantity = d.i()
	s.Amount = d.i()
	s.Currency = d.s()
	s.Platform = d.s()
	s.ExternalID = d.s()
	s.RefundOf = d.s()
	s.EventTime = d.t()
	s.CreateTime = d.t()
	if d.err != nil {
		return nil, fmt.Errorf("sale %d: %w", id, d.err)
	}
	return s, nil
}

func (t *tx) SaleByID(id uint64) (*ingest.Sale, error) {
	v := t.sales.Get(u64(id))
	if v == nil {
		return nil, nil
	}
	return decodeSale(id, v)
}

func (t *tx) SaleByKey(platform, externalID string) (*ingest.Sale, error) {
	k := saleKey(platform, externalID)
	if id, ok := t.newKeys[string(k)]; ok {
		return t.SaleByID(id)
	}
	v := t.keys.Get(k)
	if v == nil {
		return nil, nil
	}
	return t.SaleByID(binary.BigEndian.Uint64(v))
}

func (t *tx) NextID() (uint64, error) { return t.sales.NextSequence() }

func (t *tx) PutSale(s *ingest.Sale) error {
	id := u64(s.ID)
	if err := t.sales.Put(id, encodeSale(s)); err != nil {
		return err
	}
	t.newKeys[string(saleKey(s.Platform, s.ExternalID))] = s.ID
	return nil
}

func (t *tx) flushKeys() error {
	keys := make([]string, 0, len(t.newKeys))
	for k := range t.newKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := t.keys.Put([]byte(k), u64(t.newKeys[k])); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Refunded(orderID uint64) (int64, int64, error) {
	v := t.refunded.Get(u64(orderID))
	if v == nil {
		return 0, 0, nil
	}
	d := dec{b: v}
	q, a := d.i(), d.i()
	return q, a, d.err
}

func (t *tx) SetRefunded(orderID uint64, qty, amount int64) error {
	e := enc{}
	e.i(qty)
	e.i(amount)
	return t.refunded.Put(u64(orderID), e.b)
}

func encodeSession(s *ingest.Session) []byte {
	e := enc{}
	e.b = append(e.b, sessionVersion)
	e.u(uint64(s.State))
	e.s(s.Platform)
	e.t(s.ActualStart)
	e.t(s.ActualEnd)
	e.strs(s.Products)
	e.strs(s.Merchants)
	e.s(s.Attr.Host)
	e.s(s.Attr.Agency)
	e.s(s.Attr.Base)
	e.s(s.Attr.Studio)
	e.s(s.Attr.District)
	e.bool(s.Attr.Official)
	return e.b
}

func decodeSession(name string, b []byte) (*ingest.Session, error) {
	return decodeSessionAs(name, b, sessionVersion)
}

func decodeSessionAs(name string, b []byte, version byte) (*ingest.Session, error) {
	d := dec{b: b, legacy: version == 1}
	d.version(version)
	s := &ingest.Session{Name: name}
	s.State = ingest.SessionState(d.u())
	s.Platform = d.s()
	s.ActualStart = d.t()
	s.ActualEnd = d.t()
	s.Products = d.strs()
	s.Merchants = d.strs()
	s.Attr.Host = d.s()
	s.Attr.Agency = d.s()
	s.Attr.Base = d.s()
	s.Attr.Studio = d.s()
	s.Attr.District = d.s()
	s.Attr.Official = d.bool()
	if d.err != nil {
		return nil, fmt.Errorf("session snapshot %s: %w", name, d.err)
	}
	return s, nil
}

func (t *tx) Session(name string) (*ingest.Session, error) {
	v := t.sessions.Get([]byte(name))
	if v == nil {
		return nil, nil
	}
	return decodeSession(name, v)
}

func (t *tx) Product(name string) (*ingest.Product, error) {
	v := t.prods.Get([]byte(name))
	if v == nil {
		return nil, nil
	}
	return decodeProduct(name, v)
}

func (t *tx) PutSession(s *ingest.Session) error {
	return t.sessions.Put([]byte(s.Name), encodeSession(s))
}

func encodeProduct(p *ingest.Product) []byte {
	e := enc{}
	e.b = append(e.b, productVersion)
	e.s(p.Merchant)
	e.s(p.Category)
	e.s(p.OriginDistrict)
	return e.b
}

func decodeProduct(name string, b []byte) (*ingest.Product, error) {
	d := dec{b: b}
	d.version(productVersion)
	p := &ingest.Product{Name: name, Merchant: d.s(), Category: d.s(), OriginDistrict: d.s()}
	if d.err != nil {
		return nil, fmt.Errorf("product snapshot %s: %w", name, d.err)
	}
	return p, nil
}

func (t *tx) PutProduct(p *ingest.Product) error {
	return t.prods.Put([]byte(p.Name), encodeProduct(p))
}

func cellKey(session, product string, day report.Day) []byte {
	k := make([]byte, 0, len(session)+len(product)+6)
	k = append(k, session...)
	k = append(k, 0)
	k = append(k, product...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(day))
}

func parseCellKey(k []byte) (session, product string, day report.Day, ok bool) {
	if len(k) < 6 {
		return "", "", 0, false
	}
	rest, dayb := k[:len(k)-5], k[len(k)-4:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 || k[len(k)-5] != 0 {
		return "", "", 0, false
	}
	return string(rest[:i]), string(rest[i+1:]), report.Day(int32(binary.BigEndian.Uint32(dayb))), true
}

func encodeCell(c *report.Cell) []byte {
	e := enc{}
	e.b = append(e.b, cellVersion)
	e.i(c.Orders)
	e.i(c.Units)
	e.i(c.Gross)
	e.i(c.Refunds)
	e.i(c.RefundLines)
	e.t(c.FirstEvent)
	e.t(c.LastEvent)
	return e.b
}

func decodeCell(c *report.Cell, b []byte) error { return decodeCellAs(c, b, cellVersion) }

func decodeCellAs(c *report.Cell, b []byte, version byte) error {
	d := dec{b: b, legacy: version == 1}
	d.version(version)
	c.Orders = d.i()
	c.Units = d.i()
	c.Gross = d.i()
	c.Refunds = d.i()
	c.RefundLines = d.i()
	c.FirstEvent = d.t()
	c.LastEvent = d.t()
	return d.err
}

func (t *tx) AddToCell(d report.Delta, attr report.Attribution) error {
	k := cellKey(d.Session, d.Product, d.Day)
	c := t.touched[string(k)]
	if c == nil {
		c = &report.Cell{Session: d.Session, Product: d.Product, Attr: attr, Day: d.Day}
		if v := t.cells.Get(k); v != nil {
			if err := decodeCell(c, v); err != nil {
				return fmt.Errorf("cell %q: %w", k, err)
			}
		}
		t.touched[string(k)] = c
	}
	if !c.Add(d) {
		// Ingestion admits a line only if the alliance's totals, which
		// bound every cell, stay inside int64: this cannot happen.
		return fmt.Errorf("cell %q: %w", k, report.ErrOverflow)
	}
	return nil
}

func encodeSums(s report.Sums) []byte {
	e := enc{}
	e.b = append(e.b, totalsVersion)
	e.i(s.Orders)
	e.i(s.Units)
	e.i(s.Gross)
	e.i(s.Refunds)
	e.i(s.RefundLines)
	return e.b
}

func decodeSums(b []byte) (report.Sums, error) {
	d := dec{b: b}
	d.version(totalsVersion)
	s := report.Sums{Orders: d.i(), Units: d.i(), Gross: d.i(), Refunds: d.i(), RefundLines: d.i()}
	return s, d.err
}

func (t *tx) Totals() (report.Sums, error) {
	v := t.totals.Get(totalsKey)
	if v == nil {
		return report.Sums{}, nil
	}
	return decodeSums(v)
}

func (t *tx) SetTotals(s report.Sums) error { return t.totals.Put(totalsKey, encodeSums(s)) }

// flushCells writes the cells this transaction changed, once each.
func (t *tx) flushCells() error {
	for k, c := range t.touched {
		if err := t.cells.Put([]byte(k), encodeCell(c)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) ListSales(session string, kind report.Kind, cursor []byte, limit int) ([]*ingest.Sale, []byte, error) {
	b, prefix := t.byTime, []byte(nil)
	if session != "" {
		b, prefix = t.bySession, append([]byte(session), 0)
	}
	c := b.Cursor()
	var k []byte
	if len(cursor) > 0 {
		if !bytes.HasPrefix(cursor, prefix) {
			return nil, nil, nil
		}
		k, _ = c.Seek(cursor)
		if bytes.Equal(k, cursor) {
			k, _ = c.Next()
		}
	} else {
		k, _ = c.Seek(prefix)
	}
	var out []*ingest.Sale
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(out) == limit {
			return out, append([]byte(nil), last...), nil
		}
		id := binary.BigEndian.Uint64(k[len(k)-8:])
		s, err := t.SaleByID(id)
		if err != nil {
			return nil, nil, err
		}
		last = k
		if s == nil || (kind != 0 && s.Kind != kind) {
			continue
		}
		out = append(out, s)
	}
	return out, nil, nil
}

var indexedKey = []byte("through")

// IndexSales extends the listing indexes (by time, by session) over at
// most max sales committed since the last run, in one transaction, and
// reports whether they now cover every sale. Ingestion does not write these
// indexes: in large batches they cost a fraction of what they cost one
// sale at a time, and a crash between the two only leaves work for the
// next run, since the position is saved with the entries.
func (s *Store) IndexSales(max int) (done bool, err error) {
	err = s.DB.Update(func(btx *bolt.Tx) error {
		state := btx.Bucket(bucketIndexState)
		var through uint64
		if v := state.Get(indexedKey); v != nil {
			through = binary.BigEndian.Uint64(v)
		}
		byTime, bySession := btx.Bucket(bucketByTime), btx.Bucket(bucketBySession)
		var timeKeys, sessionKeys [][]byte
		c := btx.Bucket(bucketSales).Cursor()
		var k, v []byte
		for k, v = c.Seek(u64(through + 1)); k != nil && len(timeKeys) < max; k, v = c.Next() {
			sale, err := decodeSale(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			timeKeys = append(timeKeys, append(timeKey(make([]byte, 0, timekey.Size+8), sale.EventTime), k...))
			sk := append(make([]byte, 0, len(sale.Session)+1+timekey.Size+8), sale.Session...)
			sessionKeys = append(sessionKeys, append(timeKey(append(sk, 0), sale.EventTime), k...))
			through = binary.BigEndian.Uint64(k)
		}
		done = k == nil
		if len(timeKeys) == 0 {
			return nil
		}
		// In key order: see newKeys.
		for _, idx := range []struct {
			b    *bolt.Bucket
			keys [][]byte
		}{{byTime, timeKeys}, {bySession, sessionKeys}} {
			slices.SortFunc(idx.keys, bytes.Compare)
			for _, key := range idx.keys {
				if err := idx.b.Put(key, nil); err != nil {
					return err
				}
			}
		}
		return state.Put(indexedKey, u64(through))
	})
	return done, err
}

// indexed reports whether the listing indexes cover every committed sale.
func (s *Store) indexed() (bool, error) {
	var ok bool
	err := s.DB.View(func(btx *bolt.Tx) error {
		var through uint64
		if v := btx.Bucket(bucketIndexState).Get(indexedKey); v != nil {
			through = binary.BigEndian.Uint64(v)
		}
		ok = btx.Bucket(bucketSales).Sequence() <= through
		return nil
	})
	return ok, err
}

// indexBatch bounds one indexing transaction.
const indexBatch = 50000

// SyncIndexes implements ingest.Repo: it brings the listing indexes up to
// every committed sale.
func (s *Store) SyncIndexes() error {
	if ok, err := s.indexed(); ok || err != nil {
		return err
	}
	for {
		done, err := s.IndexSales(indexBatch)
		if done || err != nil {
			return err
		}
	}
}

// RunIndexer keeps the listing indexes close behind ingestion until stop
// is closed.
func (s *Store) RunIndexer(stop <-chan struct{}, every time.Duration, log func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := s.SyncIndexes(); err != nil {
				log(err)
			}
		}
	}
}

// Snapshots returns every stored session and product snapshot.
func (s *Store) Snapshots() ([]*ingest.Session, []*ingest.Product, error) {
	var ss []*ingest.Session
	var ps []*ingest.Product
	err := s.DB.View(func(btx *bolt.Tx) error {
		if err := btx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			x, err := decodeSession(string(k), v)
			ss = append(ss, x)
			return err
		}); err != nil {
			return err
		}
		return btx.Bucket(bucketProducts).ForEach(func(k, v []byte) error {
			x, err := decodeProduct(string(k), v)
			ps = append(ps, x)
			return err
		})
	})
	return ss, ps, err
}

// Cells calls fn with every stored cell, attributed from the snapshots.
func (s *Store) Cells(fn func(report.Cell)) error {
	ss, ps, err := s.Snapshots()
	if err != nil {
		return err
	}
	sessions := make(map[string]*ingest.Session, len(ss))
	for _, x := range ss {
		sessions[x.Name] = x
	}
	products := make(map[string]*ingest.Product, len(ps))
	for _, p := range ps {
		products[p.Name] = p
	}
	return s.DB.View(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketCells).ForEach(func(k, v []byte) error {
			session, product, day, ok := parseCellKey(k)
			if !ok {
				return fmt.Errorf("cell key %q: %w", k, errCorrupt)
			}
			ses, p := sessions[session], products[product]
			if ses == nil || p == nil {
				return fmt.Errorf("cell %q has no snapshot of its session or product", k)
			}
			c := report.Cell{Session: session, Product: product, Day: day, Attr: ingest.Attribution(ses, p)}
			if err := decodeCell(&c, v); err != nil {
				return fmt.Errorf("cell %q: %w", k, err)
			}
			fn(c)
			return nil
		})
	})
}

// ForEachSale calls fn with every stored sale, in id order (for checks and recounts).
func (s *Store) ForEachSale(fn func(*ingest.Sale) error) error {
	return s.DB.View(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketSales).ForEach(func(k, v []byte) error {
			sale, err := decodeSale(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			return fn(sale)
		})
	})
}
