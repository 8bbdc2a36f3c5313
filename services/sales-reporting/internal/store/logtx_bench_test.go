package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// groupTx is the logging transaction of a RecordSale group of n sales as
// the commit goroutine has it when it builds the log entry: a sale and
// its cell's delta for each, then the totals.
func groupTx(n int) *loggingTx {
	l := &loggingTx{tx: &tx{}}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for i := range n {
		s := &ingest.Sale{ID: uint64(i + 1), Session: "sessions/s1", Product: "members/m/products/p1", Kind: report.Order,
			Quantity: 1, Amount: 1000, Currency: "CNY", Platform: "DOUYIN", ExternalID: fmt.Sprintf("o-%d", i), EventTime: at, CreateTime: at}
		l.tx.newSales = append(l.tx.newSales, s)
		l.sales++
		l.ops = append(l.ops, loggedOp{opPutSale, i})
		keep(l, opAddToCell, &l.deltas, report.Delta{Session: s.Session, Product: s.Product, Day: 20455, EventTime: at,
			Kind: report.Order, Quantity: 1, Amount: 1000, Attr: report.Attribution{Host: "members/h", Platform: "抖音"}})
	}
	keep(l, opSetTotals, &l.sums, report.Sums{})
	return l
}

// BenchmarkGroupEntry builds and encodes the log entry of a group of 32
// sales, the commit goroutine's work for the log besides its write.
func BenchmarkGroupEntry(b *testing.B) {
	l := groupTx(32)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = appendEntry(buf, l.entry([]byte("log"), 7)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAGroupEntryHasEachOpItsOwnMessage: the entry's ops, sales and deltas
// come from shared slices; each op still holds its own.
func TestAGroupEntryHasEachOpItsOwnMessage(t *testing.T) {
	l := groupTx(3)
	l.attrs = map[int]report.Attribution{1: {Host: "members/other"}}
	e, err := decodeEntry(must(encodeEntry(l.entry([]byte("log"), 7))))
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	var hosts []string
	for _, op := range e.GetOps() {
		if s := op.GetPutSale(); s != nil {
			ids = append(ids, s.GetId())
			if want := fmt.Sprintf("o-%d", s.GetId()-1); s.GetExternalId() != want {
				t.Errorf("sale %d has external id %q, want %q", s.GetId(), s.GetExternalId(), want)
			}
		}
		if d := op.GetAddToCell(); d != nil {
			hosts = append(hosts, d.GetHost())
		}
	}
	if fmt.Sprint(ids) != "[1 2 3]" || fmt.Sprint(hosts) != "[members/h members/other members/h]" || len(e.GetOps()) != 7 || e.GetOps()[6].GetSetTotals() == nil {
		t.Errorf("ops %v: sales %v, hosts %v", e.GetOps(), ids, hosts)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
