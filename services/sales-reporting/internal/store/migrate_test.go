package store

import (
	"encoding/binary"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	bolt "go.etcd.io/bbolt"
)

// The schema 1 encodings, as the code before schema 2 wrote them: the same
// fields in the same walks, with times as UnixNano (0 for none). Only
// this test writes them.
type encV1 struct{ enc }

func (e *encV1) at(v *time.Time) {
	var n int64
	if !v.IsZero() {
		n = v.UnixNano()
	}
	e.varint(&n)
}

func encodeV1[T any](rec *T, walk func(field, *T)) []byte {
	e := &encV1{enc{b: []byte{1}}}
	walk(e, rec)
	return e.b
}

func encodeSaleV1(s *ingest.Sale) []byte       { return encodeV1(s, saleFields) }
func encodeSessionV1(s *ingest.Session) []byte { return encodeV1(s, sessionFields) }
func encodeCellV1(c *report.Cell) []byte       { return encodeV1(c, cellFields) }

// timeKeyV1 is schema 1's listing key: UnixNano, sign bit flipped.
func timeKeyV1(b []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixNano())^(1<<63))
}

// writeV1File writes a schema 1 sales.db holding the given records, with
// its listing indexes built, as a server of schema 1 left it.
func writeV1File(t *testing.T, path string, sales []*ingest.Sale, ses *ingest.Session, p *ingest.Product, cells []report.Cell) {
	t.Helper()
	v1 := boltdb.Schema{Version: 1, Buckets: [][]byte{v2Sales, v2SaleKeys, v2ByTime, v2BySession,
		v2IndexState, v2Refunded, v2Sessions, v2Products, v2Cells}}
	db, err := boltdb.Open(path, v1, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(btx *bolt.Tx) error {
		for _, s := range sales {
			id := u64(s.ID)
			if err := btx.Bucket(v2Sales).Put(id, encodeSaleV1(s)); err != nil {
				return err
			}
			if _, err := btx.Bucket(v2Sales).NextSequence(); err != nil {
				return err
			}
			if err := btx.Bucket(v2SaleKeys).Put(saleKey(s.Platform, s.ExternalID), id); err != nil {
				return err
			}
			if err := btx.Bucket(v2ByTime).Put(append(timeKeyV1(nil, s.EventTime), id...), nil); err != nil {
				return err
			}
			sk := append([]byte(s.Session), 0)
			if err := btx.Bucket(v2BySession).Put(append(timeKeyV1(sk, s.EventTime), id...), nil); err != nil {
				return err
			}
		}
		if err := btx.Bucket(v2IndexState).Put(v2IndexedThrough, u64(sales[len(sales)-1].ID)); err != nil {
			return err
		}
		if err := btx.Bucket(v2Sessions).Put([]byte(ses.Name), encodeSessionV1(ses)); err != nil {
			return err
		}
		if err := btx.Bucket(v2Products).Put([]byte(p.Name), encodeProduct(p)); err != nil {
			return err
		}
		for i := range cells {
			c := &cells[i]
			if err := btx.Bucket(v2Cells).Put(cellKey(c.Session, c.Product, c.Day), encodeCellV1(c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrationFromSchema1RewritesTimesExactly opens a file written by the
// schema 1 encoding: every sale, snapshot and cell reads back as it was
// written, the listing indexes are rebuilt with exact keys, and the
// totals are the sums of the cells.
func TestMigrationFromSchema1RewritesTimesExactly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sales.db")
	ses := &ingest.Session{Name: "sessions/a", State: ingest.Ended, Platform: "DOUYIN", ActualStart: base, ActualEnd: base.Add(3 * time.Hour),
		Products: []string{"members/m/products/p"}, Merchants: []string{"members/m"},
		Attr: ingest.SessionAttr{Host: "members/h", Base: "members/b", Studio: "members/b/studios/1", District: "banan"}}
	p := &ingest.Product{Name: "members/m/products/p", Merchant: "members/m", Category: "tea", OriginDistrict: "banan"}
	var sales []*ingest.Sale
	for i := range 25 { // more than one rewrite batch is not needed: order matters, not volume
		s := &ingest.Sale{ID: uint64(i + 1), Session: ses.Name, Product: p.Name, Kind: report.Order, Quantity: int64(1 + i%3),
			Amount: int64(100 + i), Currency: "CNY", Platform: "DOUYIN", ExternalID: ext(i),
			EventTime: base.Add(time.Duration(25-i) * time.Minute).Add(time.Duration(i) * time.Nanosecond), CreateTime: base.Add(time.Hour)}
		if i%5 == 4 {
			s.Kind, s.RefundOf = report.Refund, ext(i-1)
		}
		sales = append(sales, s)
	}
	attr := ingest.Attribution(ses, p)
	cells := []report.Cell{
		{Session: ses.Name, Product: p.Name, Attr: attr, Day: 20522, Orders: 20, Units: 40, Gross: 2400, Refunds: 500, RefundLines: 5,
			FirstEvent: base.Add(time.Minute), LastEvent: base.Add(25 * time.Minute)},
		{Session: ses.Name, Product: p.Name, Attr: attr, Day: 20523, Orders: 1, Units: 1, Gross: 7, FirstEvent: base.Add(25 * time.Hour), LastEvent: base.Add(25 * time.Hour)},
	}
	writeV1File(t, path, sales, ses, p, cells)

	st, err := Open(path, boltdb.Options{})
	if err != nil {
		t.Fatalf("open a schema 1 file: %v", err)
	}
	if v, err := boltdb.SchemaVersion(st.db); err != nil || v != 3 {
		t.Fatalf("schema version %d %v after migration, want 3", v, err)
	}
	err = st.View(func(tx ingest.ReadTx) error {
		for _, w := range sales {
			got, err := tx.SaleByKey(w.Platform, w.ExternalID)
			if err != nil || !reflect.DeepEqual(got, w) {
				t.Errorf("sale %s after migration: %+v %v, want %+v", w.ExternalID, got, err, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ss, ps, err := st.Snapshots()
	if err != nil || len(ss) != 1 || !reflect.DeepEqual(ss[0], ses) || len(ps) != 1 || !reflect.DeepEqual(ps[0], p) {
		t.Fatalf("snapshots after migration %+v %+v %v, want %+v %+v", ss, ps, err, ses, p)
	}
	var gotCells []report.Cell
	if err := st.Cells(func(c report.Cell) { gotCells = append(gotCells, c) }); err != nil || !reflect.DeepEqual(gotCells, cells) {
		t.Fatalf("cells after migration %+v %v, want %+v", gotCells, err, cells)
	}
	var totals report.Sums
	if err := st.Update(func(tx ingest.Tx) (err error) { totals, err = tx.Totals(); return err }); err != nil {
		t.Fatal(err)
	}
	if want := (report.Sums{Orders: 21, Units: 41, Gross: 2407, Refunds: 500, RefundLines: 5}); totals != want {
		t.Fatalf("totals %+v, want the cells' sums %+v", totals, want)
	}
	// The listing comes from indexes rebuilt with schema 2 keys: every sale, by event time.
	if err := st.SyncIndexes(); err != nil {
		t.Fatal(err)
	}
	var listed []string
	err = st.View(func(tx ingest.ReadTx) error {
		page, next, err := tx.ListSales(ses.Name, 0, nil, 100)
		for _, s := range page {
			listed = append(listed, s.ExternalID)
		}
		if next != nil {
			t.Error("a next page after every sale")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := len(sales) - 1; i >= 0; i-- {
		want = append(want, sales[i].ExternalID)
	}
	if !reflect.DeepEqual(listed, want) {
		t.Fatalf("listed %v, want by event time %v", listed, want)
	}
	err = st.db.View(func(btx *bolt.Tx) error {
		return newKeyIndex(btx.Bucket(bucketBySession)).scan(nil, nil, func(k []byte, _ uint64) (bool, error) {
			if len(k) != 4+12+8 {
				t.Errorf("index key %x is not session id, event time, sale id", k)
			}
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A second open finds schema 3 and changes nothing.
	st2, err := Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	var again []report.Cell
	if err := st2.Cells(func(c report.Cell) { again = append(again, c) }); err != nil || !reflect.DeepEqual(again, cells) {
		t.Fatalf("cells after a second open %+v %v", again, err)
	}
}

func ext(i int) string { return "x-" + string(rune('a'+i/26)) + string(rune('a'+i%26)) }
