package store

import (
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// The sales testdata/schema2.db holds, as its writer sent them (see
// testdata/README.md); ids are in that order, the repeat of dy-1 was not
// stored.
func schema2Sales() []*ingest.Sale {
	fixT := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	far := time.Date(2300, 6, 1, 8, 0, 0, 123456789, time.UTC)
	tea, hotpot := "members/farm/products/tea", "members/shop/products/hotpot"
	sale := func(ses, platform, prod, ext string, kind report.Kind, q, a int64, at time.Time, refundOf string) *ingest.Sale {
		return &ingest.Sale{Session: "sessions/" + ses, Product: prod, Kind: kind, Quantity: q, Amount: a, Currency: "CNY",
			Platform: platform, ExternalID: ext, RefundOf: refundOf, EventTime: at}
	}
	out := []*ingest.Sale{
		sale("douyin-a", "DOUYIN", tea, "dy-1", report.Order, 2, 25600, fixT.Add(-2*time.Hour), ""),
		sale("douyin-a", "DOUYIN", tea, "dy-2", report.Order, 1, 12800, fixT.Add(-2*time.Hour+time.Minute+7), ""),
		sale("douyin-a", "DOUYIN", tea, "dy-r1", report.Refund, 1, 12800, fixT.Add(time.Hour), "dy-1"),
		sale("taobao-b", "TAOBAO_LIVE", tea, "tb-1", report.Order, 3, 9900, fixT.Add(-49*time.Hour), ""),
		sale("taobao-b", "TAOBAO_LIVE", hotpot, "tb-2", report.Order, ingest.MaxLineQuantity, ingest.MaxLineAmount, fixT.Add(-49*time.Hour+time.Second), ""),
		sale("taobao-b", "TAOBAO_LIVE", hotpot, "tb-3", report.Order, ingest.MaxLineQuantity, ingest.MaxLineAmount, fixT.Add(-48*time.Hour-time.Second), ""),
		sale("taobao-b", "TAOBAO_LIVE", hotpot, "tb-r2", report.Refund, ingest.MaxLineQuantity, ingest.MaxLineAmount, fixT.Add(-40*time.Hour), "tb-2"),
		sale("kuaishou-far", "KUAISHOU", hotpot, "ks-1", report.Order, 5, 50000, far.Add(time.Minute), ""),
		sale("kuaishou-far", "KUAISHOU", hotpot, "ks-2", report.Order, 1, 999, far.Add(90*time.Minute+1), ""),
		sale("kuaishou-far", "KUAISHOU", hotpot, "ks-r1", report.Refund, 2, 20000, far.Add(30*24*time.Hour), "ks-1"),
	}
	for i, s := range out {
		s.ID = uint64(i + 1)
	}
	return out
}

// TestMigrationFromSchema2 opens a file that main's code wrote in schema 2
// (testdata/schema2.db) and finds every record as it was: sales by key and
// by id with their exact times (the year 2300 too), the refunded totals of
// each order, the snapshots, the cells and the totals near the line
// bounds, the page-token secret, and a listing rebuilt in time order.
func TestMigrationFromSchema2(t *testing.T) {
	st, err := Open(bolttest.Fixture(t, "testdata/schema2.db", "sales.db"), boltdb.Options{})
	if err != nil {
		t.Fatalf("open a schema 2 file: %v", err)
	}
	defer st.Close()
	if v, err := boltdb.SchemaVersion(st.db); err != nil || v != 3 {
		t.Fatalf("schema version %d %v after migration, want 3", v, err)
	}
	want := schema2Sales()
	err = st.View(func(tx ingest.ReadTx) error {
		for _, w := range want {
			got, err := tx.SaleByKey(w.Platform, w.ExternalID)
			if err != nil || got == nil {
				t.Fatalf("sale %s after migration: %v %v", w.ExternalID, got, err)
			}
			if got.CreateTime.IsZero() {
				t.Errorf("sale %s lost its create time", w.ExternalID)
			}
			got.CreateTime = time.Time{}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("sale %s after migration:\n got %+v\nwant %+v", w.ExternalID, got, w)
			}
			byID, err := tx.SaleByID(w.ID)
			if err != nil || byID == nil || byID.ExternalID != w.ExternalID {
				t.Errorf("sale %d by id: %+v %v", w.ID, byID, err)
			}
		}
		if s, err := tx.SaleByID(uint64(len(want) + 1)); s != nil || err != nil {
			t.Errorf("a sale past the last: %+v %v", s, err)
		}
		ses, err := tx.Session("sessions/kuaishou-far")
		if err != nil || ses == nil || ses.Platform != "KUAISHOU" || ses.Attr.District != "dazu" || ses.Attr.Agency != "members/agency-x" ||
			!ses.ActualStart.Equal(time.Date(2300, 6, 1, 8, 0, 0, 123456789, time.UTC)) {
			t.Errorf("session snapshot of the year 2300: %+v %v", ses, err)
		}
		if p, err := tx.Product("members/shop/products/hotpot"); err != nil || p == nil || p.Category != "hotpot" || p.OriginDistrict != "yuzhong" {
			t.Errorf("product snapshot: %+v %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var totals report.Sums
	err = st.Update(func(tx ingest.Tx) error {
		for id, w := range map[uint64][2]int64{1: {1, 12800}, 5: {ingest.MaxLineQuantity, ingest.MaxLineAmount}, 8: {2, 20000}, 2: {0, 0}} {
			q, a, err := tx.Refunded(id)
			if err != nil || q != w[0] || a != w[1] {
				t.Errorf("refunded of order %d: %d units, %d minor units, %v; want %v", id, q, a, err, w)
			}
		}
		totals, err = tx.Totals()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantTotals := report.Sums{Orders: 7, Units: 2 + 1 + 3 + 2*ingest.MaxLineQuantity + 5 + 1, Gross: 25600 + 12800 + 9900 + 2*ingest.MaxLineAmount + 50000 + 999,
		Refunds: 12800 + ingest.MaxLineAmount + 20000, RefundLines: 3}
	if totals != wantTotals {
		t.Fatalf("totals %+v, want %+v", totals, wantTotals)
	}
	var cells report.Sums
	n := 0
	if err := st.Cells(func(c report.Cell) {
		n++
		cells.Merge(c.Sums())
		if c.Attr.Platform == "" || c.Attr.Category == "" {
			t.Errorf("cell %+v lost its attribution", c)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if cells != wantTotals {
		t.Fatalf("%d cells sum to %+v, want %+v", n, cells, wantTotals)
	}
	secret, err := st.Secret("page-token")
	if err != nil || hex.EncodeToString(secret) != "6c2f9a10ec57373b9eb738799c80fc9620136a8434d96db45e4ee7aedcbe06c1" {
		t.Fatalf("the page-token secret did not survive: %x %v", secret, err)
	}
	if err := st.SyncIndexes(); err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := st.View(func(tx ingest.ReadTx) error {
		for cursor := []byte(nil); ; {
			page, next, err := tx.ListSales("", 0, cursor, 3)
			if err != nil {
				return err
			}
			for _, s := range page {
				listed = append(listed, s.ExternalID)
			}
			if next == nil {
				return nil
			}
			cursor = next
		}
	}); err != nil {
		t.Fatal(err)
	}
	if got, w := listed, []string{"tb-1", "tb-2", "tb-3", "tb-r2", "dy-1", "dy-2", "dy-r1", "ks-1", "ks-2", "ks-r1"}; !reflect.DeepEqual(got, w) {
		t.Fatalf("listed in pages of 3: %v, want by event time %v", got, w)
	}
	if err := st.Check(); err != nil {
		t.Fatalf("bbolt check after migration: %v", err)
	}
}
