package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/boltdb/bolttest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

func open(t *testing.T) *Store {
	return bolttest.Open(t, "sales.db", func(path string, o boltdb.Options) (*Store, error) { return Open(path, o) })
}

var base = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// records puts the snapshots a test's sales name: ingestion always stores
// them before a sale.
func records(tx ingest.Tx, sessions ...string) error {
	for _, name := range sessions {
		if err := tx.PutSession(&ingest.Session{Name: name, State: ingest.Ended, Platform: "DOUYIN"}); err != nil {
			return err
		}
	}
	return tx.PutProduct(&ingest.Product{Name: "members/m/products/p", Merchant: "members/m"})
}

// put stores sales for two sessions with event times in reverse of id order.
func put(t *testing.T, st *Store, n int) []*ingest.Sale {
	t.Helper()
	var out []*ingest.Sale
	err := st.Update(func(tx ingest.Tx) error {
		if err := records(tx, "sessions/s0", "sessions/s1"); err != nil {
			return err
		}
		for i := range n {
			id, err := tx.NextID()
			if err != nil {
				return err
			}
			s := &ingest.Sale{ID: id, Session: fmt.Sprintf("sessions/s%d", i%2), Product: "members/m/products/p",
				Kind: report.Order, Quantity: 1, Amount: int64(100 + i), Currency: "CNY", Platform: "DOUYIN",
				ExternalID: fmt.Sprintf("x-%d", i), EventTime: base.Add(time.Duration(n-i) * time.Minute), CreateTime: base}
			if i%5 == 4 {
				s.Kind, s.RefundOf = report.Refund, fmt.Sprintf("x-%d", i-1)
			}
			if err := tx.PutSale(s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSaleRoundTripsThroughItsEncoding(t *testing.T) {
	st := open(t)
	want := put(t, st, 3)
	err := st.View(func(tx ingest.ReadTx) error {
		for _, w := range want {
			got, err := tx.SaleByKey(w.Platform, w.ExternalID)
			if err != nil || !reflect.DeepEqual(got, w) {
				t.Errorf("by key: %+v %v, want %+v", got, err, w)
			}
		}
		missing, err := tx.SaleByKey("KUAISHOU", "x-1")
		if missing != nil || err != nil {
			t.Errorf("a key of another platform found %v %v", missing, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotsAndCellsRoundTrip(t *testing.T) {
	st := open(t)
	ses := &ingest.Session{Name: "sessions/a", State: ingest.Ended, Platform: "DOUYIN", ActualStart: base, ActualEnd: base.Add(time.Hour),
		Products: []string{"members/m/products/p"}, Merchants: []string{"members/m"},
		Attr: ingest.SessionAttr{Host: "members/h", Agency: "members/ag", Base: "members/b", Studio: "members/b/studios/1", District: "dazu", Official: true}}
	p := &ingest.Product{Name: "members/m/products/p", Merchant: "members/m", Category: "tea", OriginDistrict: "banan"}
	attr := ingest.Attribution(ses, p)
	err := st.Update(func(tx ingest.Tx) error {
		if err := tx.PutSession(ses); err != nil {
			return err
		}
		if err := tx.PutProduct(p); err != nil {
			return err
		}
		for i := range 3 { // two deltas in one transaction, one in the next: one cell
			if err := tx.AddToCell(report.Delta{Session: ses.Name, Product: p.Name, Attr: attr, Day: 20522, EventTime: base.Add(time.Duration(i) * time.Minute),
				Kind: report.Order, Quantity: 2, Amount: 500}, attr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx ingest.Tx) error {
		return tx.AddToCell(report.Delta{Session: ses.Name, Product: p.Name, Attr: attr, Day: 20522, EventTime: base, Kind: report.Refund, Quantity: 1, Amount: 200}, attr)
	}); err != nil {
		t.Fatal(err)
	}
	// Start-up's reads read sales.db, which takes the log at open.
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	ss, ps, err := st.Snapshots()
	if err != nil || len(ss) != 1 || len(ps) != 1 || !reflect.DeepEqual(ss[0], ses) || !reflect.DeepEqual(ps[0], p) {
		t.Fatalf("snapshots %+v %+v %v, want %+v %+v", ss, ps, err, ses, p)
	}
	var cells []report.Cell
	if err := st.Cells(func(c report.Cell) { cells = append(cells, c) }); err != nil {
		t.Fatal(err)
	}
	want := report.Cell{Session: ses.Name, Product: p.Name, Attr: attr, Day: 20522, Orders: 3, Units: 6, Gross: 1500,
		Refunds: 200, RefundLines: 1, FirstEvent: base, LastEvent: base.Add(2 * time.Minute)}
	if len(cells) != 1 || !reflect.DeepEqual(cells[0], want) {
		t.Fatalf("cells %+v, want %+v", cells, want)
	}
}

func TestIndexerResumesAndListingFollowsEventTime(t *testing.T) {
	st := open(t)
	sales := put(t, st, 25)
	for run := 1; ; run++ {
		done, err := st.IndexSales(10)
		if err != nil {
			t.Fatal(err)
		}
		if done != (run == 3) {
			t.Fatalf("run %d: done=%v; 25 sales in batches of 10 take 3 runs", run, done)
		}
		if done {
			break
		}
	}
	list := func(session string, kind report.Kind) []string {
		var names []string
		var cursor []byte
		for {
			var page []*ingest.Sale
			err := st.View(func(tx ingest.ReadTx) error {
				var err error
				page, cursor, err = tx.ListSales(session, kind, cursor, 4)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page {
				names = append(names, s.ExternalID)
			}
			if cursor == nil {
				return names
			}
		}
	}
	var want []string
	for i := len(sales) - 1; i >= 0; i-- { // event times run backwards
		want = append(want, sales[i].ExternalID)
	}
	if got := list("", 0); !reflect.DeepEqual(got, want) {
		t.Fatalf("all sales listed %v, want %v", got, want)
	}
	var s1Refunds []string
	for _, x := range want {
		var i int
		fmt.Sscanf(x, "x-%d", &i)
		if i%2 == 1 && i%5 == 4 {
			s1Refunds = append(s1Refunds, x)
		}
	}
	if got := list("sessions/s1", report.Refund); !reflect.DeepEqual(got, s1Refunds) {
		t.Fatalf("refunds of s1 listed %v, want %v", got, s1Refunds)
	}
	// New sales are not listed until the indexes catch up; SyncIndexes does that.
	put(t, st, 1)
	if ok, _ := st.indexed(); ok {
		t.Fatal("the indexes claim to cover a sale they have not seen")
	}
	if err := st.SyncIndexes(); err != nil {
		t.Fatal(err)
	}
	if got := list("", 0); len(got) != 26 {
		t.Fatalf("%d sales listed after SyncIndexes, want 26", len(got))
	}
}
