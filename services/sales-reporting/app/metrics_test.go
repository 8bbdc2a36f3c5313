package app_test

import (
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
)

// TestEveryLineIsCountedByItsOutcome: each line of RecordSale and
// ImportSales counts once on the admin port: stored by kind and source, an
// identical repeat as a duplicate, a refusal by the reason its caller
// reads, a line that does not even parse included; and the engine's
// gauges follow what it holds.
func TestEveryLineIsCountedByItsOutcome(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.cfg.AdminAddr = testkit.FreeAddr(t)
	e.start()
	at := t0.Add(time.Hour)
	e.mustRecord(order(sLive, e.a.Tea, "m-o1", 2, 2000, at))
	e.mustRecord(order(sLive, e.a.Tea, "m-o1", 2, 2000, at)) // an identical repeat
	if _, err := e.record(refund(sLive, e.a.Tea, "m-r0", "m-o1", 3, 100, at)); err == nil {
		t.Fatal("a refund of more than the order was accepted")
	}
	unparsable := order(sLive, e.a.Tea, "m-bad", 1, 100, at)
	unparsable.EventTime.Nanos = -1
	resp, err := e.importSales([]*salesv1.Sale{
		order(sLive, e.a.Tea, "m-o2", 1, 1000, at),
		refund(sLive, e.a.Tea, "m-r1", "m-o2", 1, 1000, at),
		order(sLive, e.a.Tea, "m-o1", 2, 2000, at), // a repeat of the recorded one
		order(sScheduled, e.a.Tea, "m-o3", 1, 1000, at),
		unparsable,
	})
	if err != nil || resp.GetAccepted() != 2 || resp.GetDuplicates() != 1 || resp.GetRejected() != 2 {
		t.Fatalf("import: %v %v", resp, err)
	}
	reasons := map[string]bool{}
	for _, ie := range resp.GetErrors() {
		reasons[ie.GetReason()] = true
	}
	m := testkit.Scrape(t, "http://"+e.cfg.AdminAddr+"/metrics")
	type l = map[string]string
	want := []struct {
		name   string
		labels l
		n      float64
	}{
		{"alliance_sales_ingested_total", l{"kind": "order", "source": "record"}, 1},
		{"alliance_sales_duplicates_total", l{"kind": "order", "source": "record"}, 1},
		{"alliance_sales_rejected_total", l{"source": "record", "reason": "REFUND_EXCEEDS_ORDER"}, 1},
		{"alliance_sales_ingested_total", l{"kind": "order", "source": "import"}, 1},
		{"alliance_sales_ingested_total", l{"kind": "refund", "source": "import"}, 1},
		{"alliance_sales_duplicates_total", l{"kind": "order", "source": "import"}, 1},
		{"alliance_sales_rejected_total", l{"source": "import"}, 2},
		{"alliance_report_sessions", nil, 1},
	}
	for reason := range reasons {
		want = append(want, struct {
			name   string
			labels l
			n      float64
		}{"alliance_sales_rejected_total", l{"source": "import", "reason": reason}, 1})
	}
	for _, w := range want {
		if got := m.Value(w.name, w.labels); got != w.n {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.n)
		}
	}
	if len(reasons) != 2 {
		t.Errorf("the import's refusals give reasons %v; want two", reasons)
	}
	through := m.Value("alliance_report_data_through_timestamp_seconds", nil)
	if want := float64(at.UnixNano()) / 1e9; through != want {
		t.Errorf("data_through %v, want %v (the newest sale)", through, want)
	}
	if lag := m.Value("alliance_report_data_through_lag_seconds", nil); lag != e.clock.Now().Sub(at).Seconds() {
		t.Errorf("data_through lag %v s, want %v", lag, e.clock.Now().Sub(at).Seconds())
	}
}
