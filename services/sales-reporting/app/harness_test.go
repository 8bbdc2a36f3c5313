package app_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// t0 is when the test sessions start: Tuesday 10 March 2026, 20:00 in
// Chongqing, so a session of a few hours crosses midnight there.
var t0 = time.Date(2026, 3, 10, 20, 0, 0, 0, shanghai)

// env is a member registry (memberfake), a map-backed session scheduler
// and a real sales-reporting server, all gRPC on loopback.
type env struct {
	t     testing.TB
	a     *alliance
	reg   *memberfake.Registry
	sched *fakeScheduler
	clock *testkit.Clock
	cfg   app.Config
	sales salesv1.SalesReportingClient
	stop  func()
	addr  string
	// regAddr is the member registry's (it checks no caller: tests issue keys).
	regAddr string
	// schedAddr is the scheduler's.
	schedAddr string
}

// Session ids the fixture puts in the scheduler.
const (
	sEnded     = "sessions/ended"     // ENDED, [t0, t0+3h], Douyin
	sLive      = "sessions/live"      // LIVE since t0
	sScheduled = "sessions/scheduled" // SCHEDULED
	sCancelled = "sessions/cancelled" // CANCELLED
	sKuaishou  = "sessions/kuaishou"  // ENDED, on Kuaishou, official host in the second base
)

func newEnv(t *testing.T) *env { return newEnvTB(t) }

func newEnvTB(t testing.TB) *env {
	t.Helper()
	reg := newRegistry()
	regAddr := testkit.Serve(t, reg.Server(grpcx.ServerOptions{}))
	ctx := context.Background()
	a, err := seed(ctx, testkit.Dial(t, regAddr))
	if err != nil {
		t.Fatal(err)
	}
	sched := newScheduler()
	sched.Put(a.Session("ended", sessionv1.SessionState_SESSION_STATE_ENDED, t0, t0.Add(3*time.Hour)))
	sched.Put(a.Session("live", sessionv1.SessionState_SESSION_STATE_LIVE, t0, t0.Add(3*time.Hour)))
	sched.Put(a.Session("scheduled", sessionv1.SessionState_SESSION_STATE_SCHEDULED, t0.Add(24*time.Hour), t0.Add(26*time.Hour)))
	sched.Put(a.Session("cancelled", sessionv1.SessionState_SESSION_STATE_CANCELLED, t0.Add(24*time.Hour), t0.Add(26*time.Hour)))
	k := a.Session("kuaishou", sessionv1.SessionState_SESSION_STATE_ENDED, t0, t0.Add(2*time.Hour))
	k.Platform, k.Host, k.Studio = typev1.Platform_PLATFORM_KUAISHOU, a.OfficialHost, a.Studio2
	sched.Put(k)
	schedAddr := testkit.Serve(t, sched.Server())

	e := &env{t: t, a: a, reg: reg, sched: sched, clock: testkit.NewClock(t0.Add(2 * time.Hour)), regAddr: regAddr, schedAddr: schedAddr}
	e.cfg = app.Config{
		Config:             service.Config{DataDir: t.TempDir(), ShutdownTimeout: 5 * time.Second},
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: schedAddr, DependencyTimeout: 5 * time.Second, Now: e.clock.Now,
	}
	e.start()
	return e
}

// start runs the sales server over e.cfg.DataDir until stop or the test's end.
func (e *env) start() {
	e.t.Helper()
	srv, err := app.New(e.cfg, testkit.Quiet)
	if err != nil {
		e.t.Fatal(err)
	}
	e.addr, e.stop = testkit.ServeOn(e.t, srv, "127.0.0.1:0")
	e.sales = salesv1.NewSalesReportingClient(testkit.Dial(e.t, e.addr))
}

func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

func money(v int64) *typev1.Money { return &typev1.Money{CurrencyCode: "CNY", MinorUnits: v} }

func order(session, product, ext string, qty, amount int64, at time.Time) *salesv1.Sale {
	return &salesv1.Sale{
		Session: session, Product: product, Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: qty,
		Amount: money(amount), Platform: typev1.Platform_PLATFORM_DOUYIN, ExternalId: ext, EventTime: timestamppb.New(at),
	}
}

func refund(session, product, ext, of string, qty, amount int64, at time.Time) *salesv1.Sale {
	s := order(session, product, ext, qty, amount, at)
	s.Kind, s.RefundOf = salesv1.SaleKind_SALE_KIND_REFUND, of
	return s
}

func (e *env) record(s *salesv1.Sale) (*salesv1.Sale, error) {
	return e.sales.RecordSale(context.Background(), &salesv1.RecordSaleRequest{Sale: s})
}

func (e *env) mustRecord(s *salesv1.Sale) *salesv1.Sale {
	e.t.Helper()
	got, err := e.record(s)
	if err != nil {
		e.t.Fatalf("record %s: %v", s.GetExternalId(), err)
	}
	return got
}

func (e *env) importSales(sales []*salesv1.Sale) (*salesv1.ImportSalesResponse, error) {
	stream, err := e.sales.ImportSales(context.Background())
	if err != nil {
		return nil, err
	}
	for _, s := range sales {
		if err := stream.Send(&salesv1.ImportSalesRequest{Sale: s}); err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

func (e *env) allSales(session string) []*salesv1.Sale {
	e.t.Helper()
	var out []*salesv1.Sale
	token := ""
	for {
		r, err := e.sales.ListSales(context.Background(), &salesv1.ListSalesRequest{Session: session, PageSize: 1000, PageToken: token})
		if err != nil {
			e.t.Fatalf("list sales: %v", err)
		}
		out = append(out, r.GetSales()...)
		if token = r.GetNextPageToken(); token == "" {
			return out
		}
	}
}

func (e *env) total(start, end string) *salesv1.Metrics {
	e.t.Helper()
	r, err := e.sales.QuerySalesReport(context.Background(), &salesv1.QuerySalesReportRequest{
		StartDate: start, EndDate: end, Granularity: salesv1.Granularity_GRANULARITY_TOTAL})
	if err != nil {
		e.t.Fatalf("report: %v", err)
	}
	return r.GetTotals()
}

// wantErr checks a status's code and ErrorInfo reason, and its domain:
// this service's, except for an outage of a dependency, which may be told
// by the kit's key check.
func wantErr(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	domain := "sales.alliance"
	if reason == "DEPENDENCY_UNAVAILABLE" {
		domain = ""
	}
	testkit.WantError(t, err, code, reason, domain)
}

func ext(prefix string, i int) string { return fmt.Sprintf("%s-%06d", prefix, i) }
