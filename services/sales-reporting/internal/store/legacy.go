package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// The records of schemas 1 and 2, which only the migrations read (and the
// first migration writes): a version byte, then varints and
// length-prefixed strings in a fixed order, with names in full.
//
// Times of schema 2 are kit/timekey's exact forms. Records of version 1
// (schema 1) held UnixNano, which wraps outside 1677–2262 (dec.legacy).

// Versions of the records of schema 2, in their first byte.
const (
	saleVersion    = 2
	sessionVersion = 2
	cellVersion    = 2
	productVersion = 1
	totalsVersion  = 1
)

// Buckets of schemas 1 and 2 that schema 3 replaces.
var (
	v2Sales          = []byte("sales")
	v2SaleKeys       = []byte("sale_keys")
	v2ByTime         = []byte("sales_by_time")
	v2BySession      = []byte("sales_by_session")
	v2IndexState     = []byte("index_state")
	v2Refunded       = []byte("refunded")
	v2Sessions       = []byte("session_snapshots")
	v2Products       = []byte("product_snapshots")
	v2Cells          = []byte("cells")
	v2Totals         = []byte("totals")
	v2TotalsKey      = []byte("alliance")
	v2IndexedThrough = []byte("through")
)

var errCorrupt = errors.New("store: corrupt record")

type enc struct{ b []byte }

func (e *enc) u(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) s(v string)    { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) t(v time.Time) { e.b = timekey.AppendVarint(e.b, v) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) strs(v []string) {
	e.u(uint64(len(v)))
	for _, x := range v {
		e.s(x)
	}
}

type dec struct {
	b   []byte
	err error
	// legacy reads times as schema 1 wrote them (UnixNano, 0 for none).
	legacy bool
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) s() string {
	n := d.u()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}
func (d *dec) t() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	if d.legacy {
		v := d.i()
		if v == 0 {
			return time.Time{}
		}
		return time.Unix(0, v).UTC()
	}
	t, rest, err := timekey.ReadVarint(d.b)
	if err != nil {
		d.err = errCorrupt
		return time.Time{}
	}
	d.b = rest
	return t
}
func (d *dec) bool() bool {
	if d.err != nil || len(d.b) < 1 {
		d.err = errCorrupt
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}
func (d *dec) strs() []string {
	n := d.u()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	out := make([]string, 0, n)
	for range n {
		out = append(out, d.s())
	}
	return out
}
func (d *dec) version(want byte) {
	if len(d.b) < 1 || d.b[0] != want {
		d.err = errCorrupt
		return
	}
	d.b = d.b[1:]
}

// u64 is a big-endian key, so ids sort in bbolt as numbers.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

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
