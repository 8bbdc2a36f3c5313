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

// A record of schemas 1 and 2 is its fields in a fixed order. Each
// record's order is written once, as a walk over its fields (saleFields,
// sessionFields, ...): enc writes what the walk shows it and dec reads
// into it, so that the two directions cannot disagree.
type field interface {
	uvarint(*uint64)
	varint(*int64)
	str(*string)
	at(*time.Time)
	flag(*bool)
	list(*[]string)
}

// enum walks an integer-kinded field as a uvarint.
func enum[T ~int](f field, p *T) {
	v := uint64(*p)
	f.uvarint(&v)
	*p = T(v)
}

// enc writes a record; times in kit/timekey's exact form (schema 2).
type enc struct{ b []byte }

func (e *enc) uvarint(v *uint64) { e.b = binary.AppendUvarint(e.b, *v) }
func (e *enc) varint(v *int64)   { e.b = binary.AppendVarint(e.b, *v) }
func (e *enc) str(v *string)     { e.b = append(binary.AppendUvarint(e.b, uint64(len(*v))), *v...) }
func (e *enc) at(v *time.Time)   { e.b = timekey.AppendVarint(e.b, *v) }
func (e *enc) flag(v *bool) {
	if *v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) list(v *[]string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(*v)))
	for i := range *v {
		e.str(&(*v)[i])
	}
}

// encode writes rec as walk sees it: its version byte, then its fields.
func encode[T any](version byte, size int, rec *T, walk func(field, *T)) []byte {
	e := &enc{b: make([]byte, 0, size)}
	e.b = append(e.b, version)
	walk(e, rec)
	return e.b
}

type dec struct {
	b   []byte
	err error
	// legacy reads times as schema 1 wrote them (UnixNano, 0 for none).
	legacy bool
}

// decode reads a record of the given version into rec's fields, as walk
// orders them; legacy as dec's.
func decode[T any](b []byte, version byte, legacy bool, rec *T, walk func(field, *T)) error {
	d := &dec{b: b, legacy: legacy}
	d.version(version)
	walk(d, rec)
	return d.err
}

// decodeNamed is decode of a keyed record: rec, or nil and an error that
// names the record (name is called only then).
func decodeNamed[T any](b []byte, version byte, legacy bool, rec *T, walk func(field, *T), name func() string) (*T, error) {
	if err := decode(b, version, legacy, rec, walk); err != nil {
		return nil, fmt.Errorf("%s: %w", name(), err)
	}
	return rec, nil
}

func (d *dec) uvarint(p *uint64) { *p = d.u() }
func (d *dec) varint(p *int64)   { *p = d.i() }
func (d *dec) str(p *string)     { *p = d.s() }
func (d *dec) at(p *time.Time)   { *p = d.t() }
func (d *dec) flag(p *bool)      { *p = d.bool() }
func (d *dec) list(p *[]string)  { *p = d.strs() }

// readVarint is a varint of either sign read off the record; a corrupt
// one stops the record.
func readVarint[T uint64 | int64](d *dec, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	v, n := read(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) u() uint64 { return readVarint(d, binary.Uvarint) }
func (d *dec) i() int64  { return readVarint(d, binary.Varint) }
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

func saleFields(f field, s *ingest.Sale) {
	f.str(&s.Session)
	f.str(&s.Product)
	enum(f, &s.Kind)
	f.varint(&s.Quantity)
	f.varint(&s.Amount)
	f.str(&s.Currency)
	f.str(&s.Platform)
	f.str(&s.ExternalID)
	f.str(&s.RefundOf)
	f.at(&s.EventTime)
	f.at(&s.CreateTime)
}

func encodeSale(s *ingest.Sale) []byte {
	return encode(saleVersion, 64+len(s.Session)+len(s.Product)+len(s.ExternalID)+len(s.RefundOf), s, saleFields)
}

// decodeSaleAs reads a sale record of the given version.
func decodeSaleAs(id uint64, b []byte, version byte) (*ingest.Sale, error) {
	return decodeNamed(b, version, version == 1, &ingest.Sale{ID: id}, saleFields, func() string { return fmt.Sprintf("sale %d", id) })
}

func sessionFields(f field, s *ingest.Session) {
	enum(f, &s.State)
	f.str(&s.Platform)
	f.at(&s.ActualStart)
	f.at(&s.ActualEnd)
	f.list(&s.Products)
	f.list(&s.Merchants)
	f.str(&s.Attr.Host)
	f.str(&s.Attr.Agency)
	f.str(&s.Attr.Base)
	f.str(&s.Attr.Studio)
	f.str(&s.Attr.District)
	f.flag(&s.Attr.Official)
}

func encodeSession(s *ingest.Session) []byte { return encode(sessionVersion, 0, s, sessionFields) }

func decodeSessionAs(name string, b []byte, version byte) (*ingest.Session, error) {
	return decodeNamed(b, version, version == 1, &ingest.Session{Name: name}, sessionFields, func() string { return "session snapshot " + name })
}

func productFields(f field, p *ingest.Product) {
	f.str(&p.Merchant)
	f.str(&p.Category)
	f.str(&p.OriginDistrict)
}

func encodeProduct(p *ingest.Product) []byte { return encode(productVersion, 0, p, productFields) }

func decodeProduct(name string, b []byte) (*ingest.Product, error) {
	return decodeNamed(b, productVersion, false, &ingest.Product{Name: name}, productFields, func() string { return "product snapshot " + name })
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

// varints walks figures in order, each a varint.
func varints(f field, figures ...*int64) {
	for _, p := range figures {
		f.varint(p)
	}
}

func cellFields(f field, c *report.Cell) {
	varints(f, &c.Orders, &c.Units, &c.Gross, &c.Refunds, &c.RefundLines)
	f.at(&c.FirstEvent)
	f.at(&c.LastEvent)
}

func encodeCell(c *report.Cell) []byte { return encode(cellVersion, 0, c, cellFields) }

func decodeCellAs(c *report.Cell, b []byte, version byte) error {
	return decode(b, version, version == 1, c, cellFields)
}

func sumsFields(f field, s *report.Sums) {
	varints(f, &s.Orders, &s.Units, &s.Gross, &s.Refunds, &s.RefundLines)
}

func encodeSums(s report.Sums) []byte { return encode(totalsVersion, 0, &s, sumsFields) }

func decodeSums(b []byte) (report.Sums, error) {
	var s report.Sums
	err := decode(b, totalsVersion, false, &s, sumsFields)
	return s, err
}
