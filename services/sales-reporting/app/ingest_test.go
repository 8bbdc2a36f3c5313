package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func TestImportJudgesEachLineOnItsOwn(t *testing.T) {
	e := newEnv(t)
	a := e.a
	at := t0.Add(time.Hour)
	lines := []*salesv1.Sale{
		0: order(sEnded, a.Tea, "imp-1", 2, 2000, at),
		1: refund(sEnded, a.Tea, "imp-r1", "imp-1", 1, 500, at.Add(time.Minute)), // refund after its order, same stream
		2: order(sScheduled, a.Tea, "imp-2", 1, 100, at),                         // SESSION_NOT_LIVE
		3: order(sEnded, a.Tea, "imp-1", 2, 2000, at),                            // identical copy in the same stream
		4: order(sEnded, a.Tea, "imp-1", 2, 2001, at),                            // reused with another amount
		5: order(sEnded, a.Tea, "imp-3", 0, 100, at),                             // INVALID_ARGUMENT
		6: refund(sEnded, a.Tea, "imp-r2", "imp-1", 1, 1501, at),                 // exceeds what is left of the order
		7: order(sEnded, a.Noodles, "imp-4", 1, 100, at),                         // PRODUCT_NOT_IN_SESSION
		8: order(sEnded, a.Hotpot, "imp-5", 1, 700, at),
	}
	r, err := e.importSales(lines)
	if err != nil {
		t.Fatal(err)
	}
	if r.GetAccepted() != 3 || r.GetDuplicates() != 1 || r.GetRejected() != 5 {
		t.Fatalf("accepted %d duplicates %d rejected %d, want 3 1 5; errors %v", r.GetAccepted(), r.GetDuplicates(), r.GetRejected(), r.GetErrors())
	}
	want := map[int64][2]string{
		2: {"FAILED_PRECONDITION", "SESSION_NOT_LIVE"},
		4: {"ALREADY_EXISTS", "EXTERNAL_ID_REUSED"},
		5: {"INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		6: {"FAILED_PRECONDITION", "REFUND_EXCEEDS_ORDER"},
		7: {"FAILED_PRECONDITION", "PRODUCT_NOT_IN_SESSION"},
	}
	for _, er := range r.GetErrors() {
		w, ok := want[er.GetIndex()]
		if !ok || er.GetCode() != w[0] || er.GetReason() != w[1] || er.GetMessage() == "" {
			t.Errorf("error %v not expected (want %v)", er, w)
		}
		delete(want, er.GetIndex())
	}
	if len(want) > 0 {
		t.Errorf("missing errors for lines %v", want)
	}
	if m := e.total("2026-03-10", "2026-03-12"); m.GetOrders() != 2 || m.GetGross().GetMinorUnits() != 2700 || m.GetRefunds().GetMinorUnits() != 500 {
		t.Fatalf("totals %v, want 2 orders, gross 2700, refunds 500", m)
	}
}

func TestAttributionCostsAHandfulOfCalls(t *testing.T) {
	e := newEnv(t)
	var lines []*salesv1.Sale
	for i := range 5000 {
		lines = append(lines, order(sEnded, e.a.Tea, ext("many", i), 1, 100, t0.Add(time.Duration(i)*time.Second)))
	}
	before := e.sched.BatchCalls.Load()
	r, err := e.importSales(lines)
	if err != nil || r.GetAccepted() != 5000 {
		t.Fatalf("import: %v %v", r, err)
	}
	// An ENDED session is final: the second import asks nobody.
	if _, err := e.importSales(lines); err != nil {
		t.Fatal(err)
	}
	if calls := e.sched.BatchCalls.Load() - before; calls != 1 {
		t.Fatalf("10,000 lines of one ENDED session cost %d BatchGetSessions calls, want 1", calls)
	}
	// ...and neither does a restart: the snapshot is in sales.db.
	e.restart()
	if _, err := e.importSales(lines[:10]); err != nil {
		t.Fatal(err)
	}
	if calls := e.sched.BatchCalls.Load() - before; calls != 1 {
		t.Fatalf("after a restart: %d calls, want still 1", calls)
	}
}

func TestDependencyDownIsUnavailableAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	// Not a port of the ephemeral range: the servers this test restarts
	// listen on port 0 and could be given it.
	dead := testkit.FreeAddr(t)
	e.stop()
	e.cfg.SessionSchedulingAddr = dead
	e.cfg.DependencyTimeout = 300 * time.Millisecond
	e.cfg.ImportPatience = time.Second
	e.start()
	_, err := e.record(order(sEnded, e.a.Tea, "down-1", 1, 100, t0.Add(time.Hour)))
	wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
	// An import is patient, then refuses the lines concerned, not the stream.
	r, err := e.importSales([]*salesv1.Sale{order(sEnded, e.a.Tea, "down-2", 1, 100, t0.Add(time.Hour))})
	if err != nil || r.GetRejected() != 1 || len(r.GetErrors()) != 1 ||
		r.GetErrors()[0].GetCode() != "UNAVAILABLE" || r.GetErrors()[0].GetReason() != "DEPENDENCY_UNAVAILABLE" {
		t.Fatalf("import while session-scheduling is down: %v %v, want its line rejected UNAVAILABLE", r, err)
	}
	if got := e.allSales(""); len(got) != 0 {
		t.Fatalf("%d sales stored while session scheduling was down", len(got))
	}
}

// TestIdempotencyUnderLoad sends the same 1,000 sales (orders and refunds)
// ten times, concurrently, through the real gRPC server.
func TestIdempotencyUnderLoad(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(t0.Add(4 * time.Hour)) // after the last refund: none lies in the future
	var sales []*salesv1.Sale
	var gross, refunds int64
	for i := range 1000 {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		if i%10 == 9 { // refunds half of the order just before it
			sales = append(sales, refund(sEnded, e.a.Tea, ext("load", i), ext("load", i-1), 1, int64(100+i-1)/2, at))
			refunds += int64(100+i-1) / 2
			continue
		}
		sales = append(sales, order(sEnded, e.a.Tea, ext("load", i), 2, int64(100+i), at))
		gross += int64(100 + i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for sender := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sender%2 == 1 { // half the senders stream, half call RecordSale
				r, err := e.importSales(sales)
				if err == nil && r.GetRejected() > 0 {
					err = importFailure{r}
				}
				if err != nil {
					errs <- err
				}
				return
			}
			for _, s := range sales {
				if _, err := e.sales.RecordSale(context.Background(), &salesv1.RecordSaleRequest{Sale: proto.Clone(s).(*salesv1.Sale)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := e.allSales(""); len(got) != 1000 {
		t.Fatalf("%d sales stored, want 1000", len(got))
	}
	m := e.total("2026-03-01", "2026-04-01")
	if m.GetOrders() != 900 || m.GetGross().GetMinorUnits() != gross || m.GetRefunds().GetMinorUnits() != refunds || m.GetSessions() != 1 {
		t.Fatalf("totals %v, want 900 orders, gross %d, refunds %d, 1 session", m, gross, refunds)
	}
	sum, err := e.sales.GetSessionSummary(context.Background(), &salesv1.GetSessionSummaryRequest{Session: sEnded})
	if err != nil || sum.GetOrders() != 900 || sum.GetRefundCount() != 100 || sum.GetUnits() != 1800 {
		t.Fatalf("summary %v %v, want 900 orders, 100 refunds, 1800 units", sum, err)
	}
}

type importFailure struct{ r *salesv1.ImportSalesResponse }

func (f importFailure) Error() string { return "import rejected lines: " + f.r.String() }

func TestRestartKeepsSalesAndReports(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(t0.Add(6 * time.Hour)) // after the refund: it does not lie in the future
	a := e.a
	var lines []*salesv1.Sale
	for i := range 300 {
		// every 7 minutes from 20:00 Chongqing time: across midnight
		at := t0.Add(time.Duration(i) * 7 * time.Minute / 10)
		p := a.Tea
		if i%3 == 0 {
			p = a.Hotpot
		}
		lines = append(lines, order(sEnded, p, ext("rs", i), int64(1+i%4), int64(999+i*13), at))
	}
	k := order(sKuaishou, a.Tea, "rs-k", 1, 4321, t0.Add(time.Hour))
	k.Platform = 3 // KUAISHOU
	lines = append(lines, k, refund(sEnded, a.Tea, "rs-r", ext("rs", 1), 1, 500, t0.Add(5*time.Hour)))
	if r, err := e.importSales(lines); err != nil || r.GetRejected() > 0 {
		t.Fatalf("import: %v %v", r, err)
	}
	queries := []*salesv1.QuerySalesReportRequest{
		{StartDate: "2026-03-01", EndDate: "2026-04-01", Granularity: salesv1.Granularity_GRANULARITY_DAY,
			GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_HOST, salesv1.Dimension_DIMENSION_CATEGORY}},
		{StartDate: "2026-01-01", EndDate: "2027-01-01", Granularity: salesv1.Granularity_GRANULARITY_MONTH,
			GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_DISTRICT}},
		{StartDate: "2026-03-10", EndDate: "2026-03-12", Granularity: salesv1.Granularity_GRANULARITY_TOTAL,
			GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_PLATFORM, salesv1.Dimension_DIMENSION_ORIGIN_DISTRICT}},
	}
	answer := func() []*salesv1.QuerySalesReportResponse {
		var out []*salesv1.QuerySalesReportResponse
		for _, q := range queries {
			r, err := e.sales.QuerySalesReport(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	before, salesBefore := answer(), e.allSales("")
	if len(before[0].GetRows()) < 4 {
		t.Fatalf("expected rows on two days and two categories, got %v", before[0].GetRows())
	}
	e.restart()
	after, salesAfter := answer(), e.allSales("")
	for i := range before {
		if !proto.Equal(before[i], after[i]) {
			t.Fatalf("query %d after restart:\n%v\nwant\n%v", i, after[i], before[i])
		}
	}
	if len(salesAfter) != len(salesBefore) {
		t.Fatalf("%d sales after restart, want %d", len(salesAfter), len(salesBefore))
	}
	for i := range salesBefore {
		if !proto.Equal(salesBefore[i], salesAfter[i]) {
			t.Fatalf("sale %d after restart: %v, want %v", i, salesAfter[i], salesBefore[i])
		}
	}
}

func TestLockedDataFolderFailsFast(t *testing.T) {
	e := newEnv(t)
	cfg := e.cfg
	cfg.LockTimeout = 100 * time.Millisecond
	if _, err := app.New(cfg, testkit.Quiet); err == nil {
		t.Fatal("a second server on the same data folder started")
	}
}
