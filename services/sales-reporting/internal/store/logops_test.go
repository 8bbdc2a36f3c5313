package store

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// randomGroup is a logging transaction of random ops: sales and deltas
// with random fields (empty strings, non-ASCII ones, negative numbers,
// zero and far times), refunds, totals, sessions and products between
// them, and now and then a string that is not UTF-8.
func randomGroup(r *rand.Rand) *loggingTx {
	l := &loggingTx{tx: &tx{}}
	text := func() string {
		switch r.IntN(6) {
		case 0:
			return ""
		case 1:
			return "抖音"
		case 2:
			if r.IntN(20) == 0 {
				return "bad\xff"
			}
			return "sessions/s" + string(rune('a'+r.IntN(26)))
		default:
			return "members/m/products/p" + string(rune('0'+r.IntN(10)))
		}
	}
	num := func() int64 { // zero, negative or positive
		return [...]int64{0, -r.Int64N(1 << 40), r.Int64N(1 << 50), r.Int64N(1 << 50)}[r.IntN(4)]
	}
	when := func() time.Time {
		switch r.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(-r.Int64N(1<<35), r.Int64N(1e9)).UTC()
		default:
			return time.Unix(r.Int64N(1<<32), r.Int64N(1e9)).UTC()
		}
	}
	attr := func() report.Attribution {
		return report.Attribution{Host: text(), Agency: text(), Base: text(), Studio: text(), District: text(), Merchant: text(),
			Category: text(), OriginDistrict: text(), Platform: text(), Official: r.IntN(2) == 0}
	}
	for range r.IntN(40) {
		switch r.IntN(8) {
		case 0, 1, 2:
			s := &ingest.Sale{ID: uint64(r.Int64N(1 << 40)), Session: text(), Product: text(), Kind: report.Kind(r.IntN(3)),
				Quantity: num(), Amount: num(), Currency: text(), Platform: text(), ExternalID: text(), RefundOf: text(),
				EventTime: when(), CreateTime: when()}
			l.tx.newSales = append(l.tx.newSales, s)
			l.sales++
			l.ops = append(l.ops, loggedOp{opPutSale, len(l.tx.newSales) - 1})
		case 3, 4:
			i := keep(l, opAddToCell, &l.deltas, report.Delta{Session: text(), Product: text(), Attr: attr(), Day: report.Day(num() % (1 << 31)),
				EventTime: when(), Kind: report.Kind(r.IntN(3)), Quantity: num(), Amount: num()})
			if r.IntN(3) == 0 {
				if l.attrs == nil {
					l.attrs = map[int]report.Attribution{}
				}
				l.attrs[i] = attr()
			}
		case 5:
			keep(l, opSetTotals, &l.sums, report.Sums{Orders: num(), Units: num(), Gross: num(), Refunds: num(), RefundLines: num()})
		case 6:
			keep(l, opSetRefunded, &l.refunds, refundArgs{uint64(r.Int64N(1 << 40)), num(), num()})
		default:
			if r.IntN(2) == 0 {
				keep(l, opPutSession, &l.sessions, &ingest.Session{Name: text(), Platform: text(), ActualStart: when(),
					Products: []string{text()}, Attr: ingest.SessionAttr{Host: text(), Official: true}})
			} else {
				keep(l, opPutProduct, &l.products, &ingest.Product{Name: text(), Merchant: text(), Category: text()})
			}
		}
	}
	return l
}

// TestTheLogEntryEncodesAsItsMessages: the entry of a group, its ops
// encoded by hand, is the same bytes in the log as the entry built of
// messages, or the same error, whatever the ops.
func TestTheLogEntryEncodesAsItsMessages(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		l := randomGroup(r)
		if i == 0 {
			l = groupTx(32)
		}
		ours, errOurs := encodeEntry(l.entry([]byte("log-id"), uint64(i)))
		theirs, errTheirs := encodeEntry(l.messages([]byte("log-id"), uint64(i)))
		if (errOurs == nil) != (errTheirs == nil) || !bytes.Equal(ours, theirs) {
			t.Fatalf("group %d (%d ops): encoded\n%x (%v)\nas messages\n%x (%v)", i, len(l.ops), ours, errOurs, theirs, errTheirs)
		}
	}
}
