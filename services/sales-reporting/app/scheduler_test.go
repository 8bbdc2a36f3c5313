package app_test

import (
	"context"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"github.com/cqlive/alliance/services/sales-reporting/internal/testenv"
	schedapp "github.com/cqlive/alliance/services/session-scheduling/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestLifecycleWithRealScheduler runs the real member registry, the real
// session scheduler and sales reporting on one clock, and follows a session
// from SCHEDULED to ENDED: the sales it takes at each step, and the
// overview's sessions_held.
func TestLifecycleWithRealScheduler(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)} // 16:00 in Chongqing
	reg, err := testenv.Registry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	regAddr := testkit.Serve(t, reg)
	a, err := testenv.Seed(ctx, testkit.Dial(t, regAddr))
	if err != nil {
		t.Fatal(err)
	}
	sched, err := schedapp.New(schedapp.Config{DataDir: t.TempDir(), MemberRegistryAddr: regAddr, Now: clk.Now, ShutdownTimeout: time.Second}, testenv.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	schedAddr := testkit.Serve(t, sched)
	sc := sessionv1.NewSessionSchedulerClient(testkit.Dial(t, schedAddr))
	salesSrv, err := app.New(app.Config{DataDir: t.TempDir(), MemberRegistryAddr: regAddr, SessionSchedulingAddr: schedAddr, Now: clk.Now, ShutdownTimeout: time.Second}, testenv.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, clock: clk, sales: salesv1.NewSalesReportingClient(testkit.Dial(t, testkit.Serve(t, salesSrv)))}

	start := clk.Now().Add(10 * time.Minute)
	ses, err := sc.CreateSession(ctx, &sessionv1.CreateSessionRequest{SessionId: "tea-night", Session: &sessionv1.Session{
		Title: "银针茶专场", Host: a.Host, Studio: a.Studio, Merchants: []string{a.Merchant}, Products: []string{a.Tea},
		Platform: typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.record(order(ses.GetName(), a.Tea, "life-1", 1, 100, clk.Now()))
	wantErr(t, err, codes.FailedPrecondition, "SESSION_NOT_LIVE")

	if _, err := sc.StartSession(ctx, &sessionv1.StartSessionRequest{Name: ses.GetName()}); err != nil {
		t.Fatal(err)
	}
	clk.Set(clk.Now().Add(time.Minute))
	// The cached SCHEDULED state refuses the line, so the state is asked again.
	e.mustRecord(order(ses.GetName(), a.Tea, "life-2", 1, 100, clk.Now()))

	clk.Set(clk.Now().Add(time.Hour))
	ended, err := sc.EndSession(ctx, &sessionv1.EndSessionRequest{Name: ses.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	end := ended.GetActualEndTime().AsTime()
	clk.Set(end.Add(3 * time.Hour))
	e.mustRecord(order(ses.GetName(), a.Tea, "life-3", 1, 200, end.Add(2*time.Hour)))
	_, err = e.record(order(ses.GetName(), a.Tea, "life-4", 1, 100, end.Add(25*time.Hour)))
	wantErr(t, err, codes.FailedPrecondition, "EVENT_OUTSIDE_SESSION")

	o, err := e.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: "2030-01-07", EndDate: "2030-01-08"})
	if err != nil {
		t.Fatal(err)
	}
	if o.GetSessionsHeld() != 1 || o.GetSessionsWithSales() != 1 || o.GetGross().GetMinorUnits() != 300 || o.GetDataThrough() == nil {
		t.Fatalf("overview %v, want 1 session held, 1 with sales, gross 300, data_through set", o)
	}
	o, err = e.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: "2030-01-08", EndDate: "2030-01-09"})
	if err != nil || o.GetSessionsHeld() != 0 {
		t.Fatalf("next day's overview %v %v, want no session held", o, err)
	}
}
