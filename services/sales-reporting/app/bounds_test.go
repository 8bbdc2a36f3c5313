package app_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// snapshot is what a caller can read of the sales of one session: every
// sale, its summary, a report and its data_through. Memory and disk agree
// when it is the same before and after a restart.
type snapshot struct {
	sales   []*salesv1.Sale
	summary *salesv1.SessionSummary
	report  *salesv1.QuerySalesReportResponse
}

func (e *env) snapshot(session, start, end string) snapshot {
	e.t.Helper()
	ctx := context.Background()
	sum, err := e.sales.GetSessionSummary(ctx, &salesv1.GetSessionSummaryRequest{Session: session})
	if err != nil {
		e.t.Fatal(err)
	}
	rep, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: start, EndDate: end,
		Granularity: salesv1.Granularity_GRANULARITY_DAY, GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_HOST}})
	if err != nil {
		e.t.Fatal(err)
	}
	return snapshot{sales: e.allSales(session), summary: sum, report: rep}
}

func (s snapshot) equal(o snapshot) bool {
	return slices.EqualFunc(s.sales, o.sales, func(a, b *salesv1.Sale) bool { return proto.Equal(a, b) }) &&
		proto.Equal(s.summary, o.summary) && proto.Equal(s.report, o.report)
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	got := grpcx.FieldViolations(err)
	slices.Sort(got)
	if !slices.Equal(got, fields) {
		t.Fatalf("field violations %v, want %v (%v)", got, fields, err)
	}
}

// TestEventTimesOutsideTheirBoundsAreRefused is the reported refund stamped
// 9999-12-31T23:59:59Z and its kin: each is refused before anything is
// stored, naming the field, and what is stored reads back exactly, is
// recognised when sent again, and survives a restart unchanged.
func TestEventTimesOutsideTheirBoundsAreRefused(t *testing.T) {
	e := newEnv(t)
	a := e.a
	now := e.clock.Now() // t0 + 2h; sEnded is [t0, t0+3h]
	e.mustRecord(order(sEnded, a.Tea, "tb-order", 2, 2000, t0.Add(time.Hour)))
	y9999 := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	beyond := &salesv1.Sale{}
	proto.Merge(beyond, order(sEnded, a.Tea, "tb-beyond", 1, 100, t0))
	beyond.EventTime = &timestamppb.Timestamp{Seconds: 253402300800} // 10000-01-01, outside a Timestamp
	for _, c := range []struct {
		name   string
		sale   *salesv1.Sale
		code   codes.Code
		reason string
		field  bool // names sale.event_time in a BadRequest
	}{
		{"a refund in 9999 (the reported one)", refund(sEnded, a.Tea, "tb-r1", "tb-order", 1, 100, y9999), codes.InvalidArgument, "INVALID_ARGUMENT", true},
		{"a refund more than the clock skew ahead of now", refund(sEnded, a.Tea, "tb-r2", "tb-order", 1, 100, now.Add(2*time.Minute)),
			codes.InvalidArgument, "INVALID_ARGUMENT", true},
		{"an order before 2000", order(sEnded, a.Tea, "tb-o1", 1, 100, time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)),
			codes.InvalidArgument, "INVALID_ARGUMENT", true},
		{"a time beyond the Timestamp range", beyond, codes.InvalidArgument, "INVALID_ARGUMENT", true},
		{"an order in 9999, far outside its session", order(sEnded, a.Tea, "tb-o2", 1, 100, y9999), codes.FailedPrecondition, "EVENT_OUTSIDE_SESSION", false},
		{"a refund before its order", refund(sEnded, a.Tea, "tb-r3", "tb-order", 1, 100, t0.Add(time.Hour-time.Nanosecond)),
			codes.FailedPrecondition, "REFUND_BEFORE_ORDER", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.record(c.sale)
			wantErr(t, err, c.code, c.reason)
			if c.field {
				wantFields(t, err, "sale.event_time")
			}
			r, err := e.importSales([]*salesv1.Sale{c.sale})
			if err != nil || r.GetRejected() != 1 || r.GetErrors()[0].GetReason() != c.reason {
				t.Fatalf("import: %v %v, want the line refused %s", r, err, c.reason)
			}
		})
	}
	if got := e.allSales(""); len(got) != 1 {
		t.Fatalf("%d sales stored, want only the order", len(got))
	}

	at := now // a refund up to now is taken
	first := e.mustRecord(refund(sEnded, a.Tea, "tb-r4", "tb-order", 1, 500, at))
	if !first.GetEventTime().AsTime().Equal(at) {
		t.Fatalf("refund read back at %s, want %s", first.GetEventTime().AsTime(), at)
	}
	if again := e.mustRecord(refund(sEnded, a.Tea, "tb-r4", "tb-order", 1, 500, at)); !proto.Equal(again, first) {
		t.Fatalf("the identical resend answered %v, want the stored %v", again, first)
	}
	before := e.snapshot(sEnded, "2026-03-01", "2026-04-01")
	if through := before.report.GetDataThrough().AsTime(); !through.Equal(at) {
		t.Fatalf("data_through %s, want the refund's time %s", through, at)
	}
	e.restart()
	if after := e.snapshot(sEnded, "2026-03-01", "2026-04-01"); !after.equal(before) {
		t.Fatalf("after a restart:\n%v\nwant\n%v", after, before)
	}
	if again := e.mustRecord(refund(sEnded, a.Tea, "tb-r4", "tb-order", 1, 500, at)); !proto.Equal(again, first) {
		t.Fatalf("after a restart the resend answered %v, want the stored %v", again, first)
	}

	t.Run("a refund more than a year after its session ended", func(t *testing.T) {
		end := t0.Add(3 * time.Hour)
		e.clock.Set(end.Add(ingest.RefundWindow + 48*time.Hour))
		defer e.clock.Set(now)
		_, err := e.record(refund(sEnded, a.Tea, "tb-r5", "tb-order", 1, 100, end.Add(ingest.RefundWindow+time.Second)))
		wantErr(t, err, codes.FailedPrecondition, "EVENT_OUTSIDE_SESSION")
		e.mustRecord(refund(sEnded, a.Tea, "tb-r6", "tb-order", 1, 100, end.Add(ingest.RefundWindow)))
	})
}

// TestSalesPastUnixNanosLastInstant runs a session across
// 2262-04-11T23:47:16.854775807Z, where UnixNano wraps: every time reads
// back exactly, in order, resends are recognised, and a restart changes
// nothing.
func TestSalesPastUnixNanosLastInstant(t *testing.T) {
	e := newEnv(t)
	a := e.a
	wrap := time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC)
	start, end := wrap.Add(-2*time.Hour), wrap.Add(10*time.Minute)
	e.sched.Put(a.Session("y2262", sessionv1.SessionState_SESSION_STATE_ENDED, start, end))
	e.clock.Set(end.Add(time.Hour))
	const ses = "sessions/y2262"
	lines := []*salesv1.Sale{
		order(ses, a.Tea, "w-1", 1, 100, wrap),
		order(ses, a.Tea, "w-2", 2, 200, wrap.Add(time.Nanosecond)),
		order(ses, a.Tea, "w-3", 3, 300, wrap.Add(-time.Hour)),
		refund(ses, a.Tea, "w-r", "w-2", 1, 50, end.Add(30*time.Minute)),
	}
	var names []string
	for _, l := range lines {
		got := e.mustRecord(l)
		if !got.GetEventTime().AsTime().Equal(l.GetEventTime().AsTime()) {
			t.Fatalf("%s read back at %s, want %s", l.GetExternalId(), got.GetEventTime().AsTime(), l.GetEventTime().AsTime())
		}
		names = append(names, got.GetName())
	}
	for i, l := range lines {
		if again := e.mustRecord(l); again.GetName() != names[i] {
			t.Fatalf("resend of %s answered %s, want %s", l.GetExternalId(), again.GetName(), names[i])
		}
	}
	before := e.snapshot(ses, "2262-04-11", "2262-04-13")
	var order []string
	for _, s := range before.sales {
		order = append(order, s.GetExternalId())
	}
	if want := []string{"w-3", "w-1", "w-2", "w-r"}; !slices.Equal(order, want) {
		t.Fatalf("listed %v, want by event time %v", order, want)
	}
	if through := before.report.GetDataThrough().AsTime(); !through.Equal(end.Add(30 * time.Minute)) {
		t.Fatalf("data_through %s", through)
	}
	if s := before.summary; s.GetGross().GetMinorUnits() != 600 || s.GetNet().GetMinorUnits() != 550 ||
		!s.GetFirstEventTime().AsTime().Equal(wrap.Add(-time.Hour)) {
		t.Fatalf("summary %v", s)
	}
	e.restart()
	if after := e.snapshot(ses, "2262-04-11", "2262-04-13"); !after.equal(before) {
		t.Fatalf("after a restart:\n%v\nwant\n%v", after, before)
	}
}

// TestLineBoundsKeepEveryFigureInsideInt64 is the reported refund of
// quantity and amount 9223372036854775807, and what would overflow after
// it: each line is bounded, and a line that would take the alliance's
// totals past int64 is refused and not stored.
func TestLineBoundsKeepEveryFigureInsideInt64(t *testing.T) {
	e := newEnv(t)
	a := e.a
	at := t0.Add(time.Hour)
	e.mustRecord(order(sEnded, a.Tea, "ov-o", 1, 100, at))
	_, err := e.record(refund(sEnded, a.Tea, "ov-r", "ov-o", math.MaxInt64, math.MaxInt64, at.Add(time.Minute)))
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	wantFields(t, err, "sale.amount.minor_units", "sale.quantity")
	_, err = e.record(order(sEnded, a.Tea, "ov-o2", 1, math.MaxInt64, at))
	wantFields(t, err, "sale.amount.minor_units")
	_, err = e.record(order(sEnded, a.Tea, "ov-o3", ingest.MaxLineQuantity+1, 100, at))
	wantFields(t, err, "sale.quantity")
	e.mustRecord(order(sEnded, a.Tea, "ov-big-1", ingest.MaxLineQuantity, ingest.MaxLineAmount, at))
	e.mustRecord(order(sEnded, a.Tea, "ov-big-2", ingest.MaxLineQuantity, ingest.MaxLineAmount, at))
	gross := int64(100 + 2*ingest.MaxLineAmount)

	// The alliance's totals one line short of int64's limit, as a long
	// history would leave them.
	e.stop()
	st, err := store.Open(filepath.Join(e.cfg.DataDir, app.Spec.DBFile), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(tx ingest.Tx) error {
		s, err := tx.Totals()
		if err != nil {
			return err
		}
		if s.Gross != gross || s.Orders != 3 {
			t.Errorf("stored totals %+v, want the sums of the three orders", s)
		}
		s.Gross = math.MaxInt64 - 5
		return tx.SetTotals(s)
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	_, err = e.record(order(sEnded, a.Tea, "ov-over", 1, 6, at))
	wantErr(t, err, codes.FailedPrecondition, "TOTAL_OVERFLOW")
	r, err := e.importSales([]*salesv1.Sale{order(sEnded, a.Tea, "ov-over", 1, 6, at), order(sEnded, a.Tea, "ov-edge", 1, 5, at)})
	if err != nil || r.GetAccepted() != 1 || r.GetRejected() != 1 || r.GetErrors()[0].GetReason() != "TOTAL_OVERFLOW" || r.GetErrors()[0].GetIndex() != 0 {
		t.Fatalf("import %v %v, want the line over the limit refused and the one up to it accepted", r, err)
	}
	for _, s := range e.allSales("") {
		if s.GetExternalId() == "ov-over" {
			t.Fatal("the refused line was stored")
		}
	}
	sum, err := e.sales.GetSessionSummary(context.Background(), &salesv1.GetSessionSummaryRequest{Session: sEnded})
	if err != nil || sum.GetGross().GetMinorUnits() != gross+5 || sum.GetOrders() != 4 {
		t.Fatalf("summary %v %v, want gross %d", sum, err, gross+5)
	}
}
