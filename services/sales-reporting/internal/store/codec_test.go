package store

import (
	"bytes"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Instants where UnixNano fails: outside 1677–2262 it wraps, and the Unix
// epoch itself was its "no time".
var hardTimes = []time.Time{
	timekey.Min,
	time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC),
	time.Unix(0, 0).UTC(),
	time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC),
	time.Date(2262, 4, 11, 23, 47, 16, 854775808, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	timekey.Max,
}

// TestSaleTimesRoundTripOverTheWholeTimestampRange stores sales at each
// hard instant: each reads back exactly, and the listing orders them by
// time.
func TestSaleTimesRoundTripOverTheWholeTimestampRange(t *testing.T) {
	st := open(t)
	var want []*ingest.Sale
	err := st.Update(func(tx ingest.Tx) error {
		if err := records(tx, "sessions/a"); err != nil {
			return err
		}
		for i := len(hardTimes) - 1; i >= 0; i-- { // ids against time order
			id, err := tx.NextID()
			if err != nil {
				return err
			}
			s := &ingest.Sale{ID: id, Session: "sessions/a", Product: "members/m/products/p", Kind: report.Order, Quantity: 1, Amount: 1,
				Currency: "CNY", Platform: "DOUYIN", ExternalID: ext(i), EventTime: hardTimes[i], CreateTime: hardTimes[len(hardTimes)-1-i]}
			if err := tx.PutSale(s); err != nil {
				return err
			}
			want = append([]*ingest.Sale{s}, want...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SyncIndexes(); err != nil {
		t.Fatal(err)
	}
	for _, session := range []string{"", "sessions/a"} {
		var got []*ingest.Sale
		err := st.View(func(tx ingest.ReadTx) error {
			var err error
			got, _, err = tx.ListSales(session, 0, nil, 100)
			return err
		})
		if err != nil || !reflect.DeepEqual(got, want) {
			for i := range got {
				t.Logf("got %s, want %s", got[i].EventTime, want[min(i, len(want)-1)].EventTime)
			}
			t.Fatalf("listing %q: %d sales, %v; want %d exactly, in time order", session, len(got), err, len(want))
		}
	}
}

// FuzzSaleCodec: every sale the API can take survives the record encoding
// (a record in a packed block, names through the dictionaries) exactly,
// its listing key sorts as its event time and reads back to its time and
// id, and no byte string makes a decoder panic.
func FuzzSaleCodec(f *testing.F) {
	for i, tm := range hardTimes {
		f.Add("sessions/a", "members/m/products/p", uint8(1+i%2), int64(i), int64(100*i), "CNY", "DOUYIN", "x", "",
			tm.Unix(), int64(tm.Nanosecond()), int64(0), int64(0), uint64(i+1), encodeSale(&ingest.Sale{EventTime: tm}))
	}
	f.Fuzz(func(t *testing.T, session, product string, kind uint8, qty, amount int64, currency, platform, extID, refundOf string,
		evSec, evNsec, crSec, crNsec int64, id uint64, raw []byte) {
		_, _ = unpackBlock(raw) // must not panic
		_, _ = decodeKeyBlock(raw)
		if kind != uint8(report.Order) && kind != uint8(report.Refund) {
			kind = uint8(report.Order)
		}
		if currency == "" {
			// A sale has a currency (the API refuses one without): a record
			// leaves its currency out when it is its block's.
			return
		}
		s := &ingest.Sale{ID: id, Session: session, Product: product, Kind: report.Kind(kind), Quantity: qty, Amount: amount,
			Currency: currency, Platform: platform, ExternalID: extID, RefundOf: refundOf,
			EventTime: clamp(evSec, evNsec), CreateTime: clamp(crSec, crNsec)}
		names := testDict{session: session, product: product}
		base := clamp(crNsec, evSec).Unix()
		b := &storev1.SaleBlock{FirstId: id, Currency: "CNY", BaseSeconds: base, Sales: []*storev1.Sale{saleRecord(s, 1, 2, "CNY", base)}}
		v, err := packBlock(b)
		if err != nil {
			// Protobuf strings are UTF-8, as every string of the API is
			// (gRPC refuses others), so only such a name may be refused.
			for _, x := range []string{session, product, currency, platform, extID, refundOf} {
				if !utf8.ValidString(x) {
					return
				}
			}
			t.Fatal(err)
		}
		back, err := unpackBlock(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := saleOf(id, back.GetSales()[0], back, names)
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip of %+v: %+v, %v", s, got, err)
		}
		k := listingKey(nil, s)
		at, err := timekey.ParseKey(k[:timekey.Size])
		if err != nil || !at.Equal(s.EventTime) || !bytes.Equal(k[len(k)-8:], u64(id)) {
			t.Fatalf("listing key of %s, id %d reads back %s, %v", s.EventTime, id, at, err)
		}
		other := clamp(crSec, crNsec)
		if cmp := bytes.Compare(timekey.Key(s.EventTime), timekey.Key(other)); cmp != s.EventTime.Compare(other) {
			t.Fatalf("keys of %s and %s compare %d", s.EventTime, other, cmp)
		}
	})
}

type testDict struct{ session, product string }

func (d testDict) sessionName(id uint32) (string, bool) { return d.session, id == 1 }
func (d testDict) productName(id uint32) (string, bool) { return d.product, id == 2 }

// clamp maps any pair of integers to an instant of the Timestamp range.
func clamp(sec, nsec int64) time.Time {
	lo, hi := timekey.Min.Unix(), timekey.Max.Unix()
	span := uint64(hi - lo + 1)
	return time.Unix(lo+int64(uint64(sec)%span), int64(uint64(nsec)%1e9)).UTC()
}
