// Package store keeps sales, their idempotency index, refunded totals,
// attribution snapshots and rollup cells in one bbolt file. Each function
// that touches a bucket runs inside a transaction the caller owns, so the
// sales and the cells that count them always commit together.
package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cqlive/alliance/services/kit/boltdb"
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
	// event time (8) id (8) -> nothing: ListSales over every session.
	bucketByTime = []byte("sales_by_time")
	// session 0x00 event time (8) id (8) -> nothing: ListSales of one session.
	bucketBySession = []byte("sales_by_session")
	// order id -> refunded quantity and amount so far.
	bucketRefunded = []byte("refunded")
	// session name -> attribution snapshot.
	bucketSessions = []byte("session_snapshots")
	// product name -> attribution snapshot.
	bucketProducts = []byte("product_snapshots")
	// session 0x00 product 0x00 day (4 BE) -> report.Cell.
	bucketCells = []byte("cells")
)

// Schema of sales.db.
var Schema = boltdb.Schema{
	Version: 1,
	Buckets: [][]byte{bucketSales, bucketSaleKeys, bucketByTime, bucketBySession, bucketRefunded,
		bucketSessions, bucketProducts, bucketCells},
}

// Store is sales.db.
type Store struct{ DB *bolt.DB }

// Open opens (creating) the file.
func Open(path string, o boltdb.Options) (*Store, error) {
	db, err := boltdb.Open(path, Schema, o)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.DB.Close() }

// Update implements ingest.Repo.
func (s *Store) Update(fn func(ingest.Tx) error) error {
	return s.DB.Update(func(btx *bolt.Tx) error {
		t := newTx(btx)
		if err := fn(t); err != nil {
			return err
		}
		return t.flushCells()
	})
}

// View implements ingest.Repo.
func (s *Store) View(fn func(ingest.ReadTx) error) error {
	return s.DB.View(func(btx *bolt.Tx) error { return fn(newTx(btx)) })
}

type tx struct {
	btx                                                       *bolt.Tx
	sales, keys, byTime, bySession, refunded, sessions, prods *bolt.Bucket
	cells                                                     *bolt.Bucket
	touched                                                   map[string]*report.Cell
}

func newTx(btx *bolt.Tx) *tx {
	t := &tx{
		btx: btx, sales: btx.Bucket(bucketSales), keys: btx.Bucket(bucketSaleKeys),
		byTime: btx.Bucket(bucketByTime), bySession: btx.Bucket(bucketBySession),
		refunded: btx.Bucket(bucketRefunded), sessions: btx.Bucket(bucketSessions),
		prods: btx.Bucket(bucketProducts), cells: btx.Bucket(bucketCells),
	}
	if btx.Writable() {
		// Append-mostly buckets: full pages waste nothing when keys only grow.
		t.sales.FillPercent = 1.0
		t.byTime.FillPercent = 0.9
		t.touched = map[string]*report.Cell{}
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
	e.b = append(e.b, 1)
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

func decodeSale(id uint64, b []byte) (*ingest.Sale, error) {
	d := dec{b: b}
	d.version(1)
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
	v := t.keys.Get(saleKey(platform, externalID))
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
	if err := t.keys.Put(saleKey(s.Platform, s.ExternalID), id); err != nil {
		return err
	}
	if err := t.byTime.Put(append(timeKey(nil, s.EventTime), id...), nil); err != nil {
		return err
	}
	k := append([]byte(s.Session), 0)
	return t.bySession.Put(append(timeKey(k, s.EventTime), id...), nil)
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
	e.b = append(e.b, 1)
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
	d := dec{b: b}
	d.version(1)
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

func (t *tx) PutSession(s *ingest.Session) error {
	return t.sessions.Put([]byte(s.Name), encodeSession(s))
}

func encodeProduct(p *ingest.Product) []byte {
	e := enc{}
	e.b = append(e.b, 1)
	e.s(p.Merchant)
	e.s(p.Category)
	e.s(p.OriginDistrict)
	return e.b
}

func decodeProduct(name string, b []byte) (*ingest.Product, error) {
	d := dec{b: b}
	d.version(1)
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
	e.b = append(e.b, 1)
	e.i(c.Orders)
	e.i(c.Units)
	e.i(c.Gross)
	e.i(c.Refunds)
	e.i(c.RefundLines)
	e.t(c.FirstEvent)
	e.t(c.LastEvent)
	return e.b
}

func decodeCell(c *report.Cell, b []byte) error {
	d := dec{b: b}
	d.version(1)
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
	c.Add(d)
	return nil
}

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
