package servicetest_test

import (
	"context"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	salesapp "github.com/cqlive/alliance/services/sales-reporting/app"
	schedapp "github.com/cqlive/alliance/services/session-scheduling/app"
	"github.com/cqlive/alliance/services/suite/servicetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestLifecycleWithRealScheduler runs the real member registry, the real
// session scheduler and sales reporting on one clock, and follows a session
// from SCHEDULED to ENDED: the sales it takes at each step, and the
// overview's sessions_held.
func TestLifecycleWithRealScheduler(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock(time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)) // 16:00 in Chongqing
	regAddr := servicetest.Registry(t, memberapp.Config{})
	reg := memberv1.NewMemberRegistryClient(testkit.Dial(t, regAddr))
	create := func(id string, m *memberv1.Member) string {
		got, err := reg.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: id, Member: m})
		if err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
		return got.GetName()
	}
	host := create("host-li", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "李主播", District: "yuzhong"})
	studio := create("base-jiulongpo", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "九龙坡直播基地", District: "jiulongpo",
		Studios: []*memberv1.Studio{{StudioId: "a1", DisplayName: "A1"}}}) + "/studios/a1"
	merchant := create("farm-yinzhen", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "银针茶园", District: "banan"})
	p, err := reg.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: merchant, ProductId: "green-tea", Product: &memberv1.Product{
		DisplayName: "green-tea", Category: "agri-food", OriginDistrict: "banan", ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	tea := p.GetName()

	schedAddr := servicetest.Scheduler(t, schedapp.Config{MemberRegistryAddr: regAddr, Now: clk.Now})
	sc := sessionv1.NewSessionSchedulerClient(testkit.Dial(t, schedAddr))
	sales := salesv1.NewSalesReportingClient(testkit.Dial(t, servicetest.Sales(t, salesapp.Config{
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: schedAddr, Now: clk.Now})))
	record := func(session, ext string, amount int64, at time.Time) error {
		_, err := sales.RecordSale(ctx, &salesv1.RecordSaleRequest{Sale: &salesv1.Sale{
			Session: session, Product: tea, Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: 1,
			Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: amount}, Platform: typev1.Platform_PLATFORM_DOUYIN,
			ExternalId: ext, EventTime: timestamppb.New(at),
		}})
		return err
	}
	mustRecord := func(session, ext string, amount int64, at time.Time) {
		t.Helper()
		if err := record(session, ext, amount, at); err != nil {
			t.Fatalf("record %s: %v", ext, err)
		}
	}
	wantErr := func(err error, reason string) {
		t.Helper()
		testkit.WantError(t, err, codes.FailedPrecondition, reason, "sales.alliance")
	}

	start := clk.Now().Add(10 * time.Minute)
	ses, err := sc.CreateSession(ctx, &sessionv1.CreateSessionRequest{SessionId: "tea-night", Session: &sessionv1.Session{
		Title: "银针茶专场", Host: host, Studio: studio, Merchants: []string{merchant}, Products: []string{tea},
		Platform: typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(record(ses.GetName(), "life-1", 100, clk.Now()), "SESSION_NOT_LIVE")

	if _, err := sc.StartSession(ctx, &sessionv1.StartSessionRequest{Name: ses.GetName()}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	// The cached SCHEDULED state refuses the line, so the state is asked again.
	mustRecord(ses.GetName(), "life-2", 100, clk.Now())

	clk.Advance(time.Hour)
	ended, err := sc.EndSession(ctx, &sessionv1.EndSessionRequest{Name: ses.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	end := ended.GetActualEndTime().AsTime()
	clk.Set(end.Add(3 * time.Hour))
	mustRecord(ses.GetName(), "life-3", 200, end.Add(2*time.Hour))
	wantErr(record(ses.GetName(), "life-4", 100, end.Add(25*time.Hour)), "EVENT_OUTSIDE_SESSION")

	o, err := sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: "2030-01-07", EndDate: "2030-01-08"})
	if err != nil {
		t.Fatal(err)
	}
	if o.GetSessionsHeld() != 1 || o.GetSessionsWithSales() != 1 || o.GetGross().GetMinorUnits() != 300 || o.GetDataThrough() == nil {
		t.Fatalf("overview %v, want 1 session held, 1 with sales, gross 300, data_through set", o)
	}
	o, err = sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: "2030-01-08", EndDate: "2030-01-09"})
	if err != nil || o.GetSessionsHeld() != 0 {
		t.Fatalf("next day's overview %v %v, want no session held", o, err)
	}

	// A report by category names each category as the registry's list
	// does: the one list that products are checked against.
	cats, err := reg.ListCategories(ctx, &memberv1.ListCategoriesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, c := range cats.GetCategories() {
		if c.GetCode() == "agri-food" {
			want = c.GetDisplayName()
		}
	}
	rep, err := sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: "2030-01-07", EndDate: "2030-01-08",
		Granularity: salesv1.Granularity_GRANULARITY_TOTAL, GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_CATEGORY}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := rep.GetRows(); want == "" || len(rows) != 1 || rows[0].GetKeys()[0].GetKey() != "agri-food" || rows[0].GetKeys()[0].GetDisplayName() != want {
		t.Fatalf("report by category: %v, want one row of agri-food named %q as the registry names it", rows, want)
	}
}
