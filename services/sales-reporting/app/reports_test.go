package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func TestReportRequestsAreValidated(t *testing.T) {
	e := newEnv(t)
	dims := func(d ...salesv1.Dimension) []salesv1.Dimension { return d }
	cases := []struct {
		name   string
		req    *salesv1.QuerySalesReportRequest
		fields []string
	}{
		{"dates: not YYYY-MM-DD", &salesv1.QuerySalesReportRequest{StartDate: "2026/03/01", EndDate: "2026-13-01"}, []string{"end_date", "start_date"}},
		{"dates: end equal to start", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-03-01"}, []string{"end_date"}},
		{"dates: end before start", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-02", EndDate: "2026-03-01"}, []string{"end_date"}},
		{"group_by: more than two dimensions", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01",
			GroupBy: dims(salesv1.Dimension_DIMENSION_HOST, salesv1.Dimension_DIMENSION_BASE, salesv1.Dimension_DIMENSION_DISTRICT)}, []string{"group_by"}},
		{"group_by: a dimension twice", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01",
			GroupBy: dims(salesv1.Dimension_DIMENSION_HOST, salesv1.Dimension_DIMENSION_HOST)}, []string{"group_by"}},
		{"group_by: unspecified dimension", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01",
			GroupBy: dims(salesv1.Dimension_DIMENSION_UNSPECIFIED)}, []string{"group_by[0]"}},
		{"page_size: negative", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01", PageSize: -1}, []string{"page_size"}},
		{"page_token: not one of ours", &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01", PageToken: "bm9wZQ"}, []string{"page_token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.sales.QuerySalesReport(context.Background(), c.req)
			wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
			fields := grpcx.FieldViolations(err)
			slices.Sort(fields)
			if !slices.Equal(fields, c.fields) {
				t.Fatalf("fields %v, want %v", fields, c.fields)
			}
		})
	}
	_, err := e.sales.ListTopPerformers(context.Background(), &salesv1.ListTopPerformersRequest{StartDate: "2026-03-01", EndDate: "2026-04-01"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = e.sales.GetAllianceOverview(context.Background(), &salesv1.GetAllianceOverviewRequest{StartDate: "2026-03-01", EndDate: "2026-02-01"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}

func TestReportPagingNamesAndRankings(t *testing.T) {
	e := newEnv(t)
	a := e.a
	var lines []*salesv1.Sale
	for i := range 120 { // one sale every 13 minutes from 20:00 on 10 March: 26 hours
		p := a.Tea
		if i%2 == 1 {
			p = a.Hotpot
		}
		lines = append(lines, order(sEnded, p, ext("pg", i), 1, int64(100*(i+1)), t0.Add(time.Duration(i)*13*time.Minute)))
	}
	k := order(sKuaishou, a.Tea, "pg-k", 1, 99999, t0.Add(time.Hour))
	k.Platform = 3
	lines = append(lines, k)
	if r, err := e.importSales(lines); err != nil || r.GetRejected() > 0 {
		t.Fatalf("import %v %v", r, err)
	}
	req := &salesv1.QuerySalesReportRequest{StartDate: "2026-03-10", EndDate: "2026-03-13", Granularity: salesv1.Granularity_GRANULARITY_DAY,
		GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_CATEGORY, salesv1.Dimension_DIMENSION_BASE}}
	full, err := e.sales.QuerySalesReport(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.GetRows()) != 5 { // 10th: hotpot, tea, tea@dazu; 11th: hotpot, tea
		t.Fatalf("%d rows, want 5: %v", len(full.GetRows()), full.GetRows())
	}
	var paged []*salesv1.ReportRow
	pageReq := proto.Clone(req).(*salesv1.QuerySalesReportRequest)
	pageReq.PageSize = 2
	for {
		r, err := e.sales.QuerySalesReport(context.Background(), pageReq)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(r.GetTotals(), full.GetTotals()) {
			t.Fatalf("page totals %v, want the whole report's %v", r.GetTotals(), full.GetTotals())
		}
		paged = append(paged, r.GetRows()...)
		if r.GetNextPageToken() == "" {
			break
		}
		// A token is bound to its query.
		other := proto.Clone(pageReq).(*salesv1.QuerySalesReportRequest)
		other.Category, other.PageToken = "tea", r.GetNextPageToken()
		_, err = e.sales.QuerySalesReport(context.Background(), other)
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		pageReq.PageToken = r.GetNextPageToken()
	}
	if len(paged) != len(full.GetRows()) {
		t.Fatalf("pages gave %d rows, want %d", len(paged), len(full.GetRows()))
	}
	for i := range paged {
		if !proto.Equal(paged[i], full.GetRows()[i]) {
			t.Fatalf("row %d: %v, want %v", i, paged[i], full.GetRows()[i])
		}
	}
	first := full.GetRows()[0]
	if first.GetPeriodStart() != "2026-03-10" || first.GetPeriodEnd() != "2026-03-11" ||
		first.GetKeys()[0].GetDisplayName() != "火锅底料" || first.GetKeys()[1].GetDisplayName() != "九龙坡直播基地" {
		t.Fatalf("first row %v: want 2026-03-10, 火锅底料, 九龙坡直播基地", first)
	}
	if full.GetDataThrough() == nil {
		t.Fatal("report without data_through")
	}

	top, err := e.sales.ListTopPerformers(context.Background(), &salesv1.ListTopPerformersRequest{
		Dimension: salesv1.Dimension_DIMENSION_DISTRICT, Metric: salesv1.Metric_METRIC_GROSS, StartDate: "2026-03-01", EndDate: "2026-04-01"})
	if err != nil {
		t.Fatal(err)
	}
	// jiulongpo: 100+200+...+12000 = 726,000; dazu: 99,999.
	if len(top.GetEntries()) != 2 || top.GetEntries()[0].GetKey() != "jiulongpo" || top.GetEntries()[0].GetValue() != 726000 ||
		top.GetEntries()[0].GetDisplayName() != "九龙坡区" || top.GetEntries()[1].GetRank() != 2 || top.GetDataThrough() == nil {
		t.Fatalf("top districts %v", top)
	}
	hosts, err := e.sales.ListTopPerformers(context.Background(), &salesv1.ListTopPerformersRequest{
		Dimension: salesv1.Dimension_DIMENSION_HOST, StartDate: "2026-03-01", EndDate: "2026-04-01", Limit: 1})
	if err != nil || len(hosts.GetEntries()) != 1 || hosts.GetEntries()[0].GetDisplayName() != "李主播" {
		t.Fatalf("top host %v %v, want 李主播 alone", hosts, err)
	}
}

func TestSessionSummary(t *testing.T) {
	e := newEnv(t)
	at := t0.Add(time.Hour)
	e.mustRecord(order(sEnded, e.a.Tea, "sum-1", 3, 3000, at))
	e.mustRecord(refund(sEnded, e.a.Tea, "sum-r", "sum-1", 1, 1000, at.Add(time.Hour)))
	s, err := e.sales.GetSessionSummary(context.Background(), &salesv1.GetSessionSummaryRequest{Session: sEnded})
	if err != nil {
		t.Fatal(err)
	}
	if s.GetOrders() != 1 || s.GetUnits() != 3 || s.GetNet().GetMinorUnits() != 2000 || s.GetRefundCount() != 1 ||
		!s.GetFirstEventTime().AsTime().Equal(at) || !s.GetLastEventTime().AsTime().Equal(at.Add(time.Hour)) {
		t.Fatalf("summary %v", s)
	}
	z, err := e.sales.GetSessionSummary(context.Background(), &salesv1.GetSessionSummaryRequest{Session: sLive})
	if err != nil || z.GetOrders() != 0 || z.GetGross().GetMinorUnits() != 0 {
		t.Fatalf("a session without sales: %v %v, want zeros", z, err)
	}
	_, err = e.sales.GetSessionSummary(context.Background(), &salesv1.GetSessionSummaryRequest{Session: "sessions/none"})
	wantErr(t, err, codes.NotFound, "SESSION_NOT_FOUND")
}

func TestGetAndListSales(t *testing.T) {
	e := newEnv(t)
	var want []*salesv1.Sale
	for i := range 25 { // recorded in reverse time order: the list is by event time
		want = append(want, e.mustRecord(order(sEnded, e.a.Tea, ext("gl", i), 1, 100, t0.Add(time.Duration(60-i)*time.Minute))))
	}
	got, err := e.sales.GetSale(context.Background(), &salesv1.GetSaleRequest{Name: want[3].GetName()})
	if err != nil || !proto.Equal(got, want[3]) {
		t.Fatalf("get %v %v, want %v", got, err, want[3])
	}
	_, err = e.sales.GetSale(context.Background(), &salesv1.GetSaleRequest{Name: "sales/s999999999999"})
	wantErr(t, err, codes.NotFound, "SALE_NOT_FOUND")
	_, err = e.sales.GetSale(context.Background(), &salesv1.GetSaleRequest{Name: "orders/1"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")

	var listed []*salesv1.Sale
	token := ""
	for {
		r, err := e.sales.ListSales(context.Background(), &salesv1.ListSalesRequest{Session: sEnded, PageSize: 10, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, r.GetSales()...)
		if token = r.GetNextPageToken(); token == "" {
			break
		}
	}
	slices.Reverse(want)
	if len(listed) != len(want) {
		t.Fatalf("listed %d, want %d", len(listed), len(want))
	}
	for i := range want {
		if !proto.Equal(listed[i], want[i]) {
			t.Fatalf("sale %d is %s, want %s (event-time order)", i, listed[i].GetExternalId(), want[i].GetExternalId())
		}
	}
	r, err := e.sales.ListSales(context.Background(), &salesv1.ListSalesRequest{Kind: salesv1.SaleKind_SALE_KIND_REFUND})
	if err != nil || len(r.GetSales()) != 0 {
		t.Fatalf("refunds: %v %v, want none", r, err)
	}
	_, err = e.sales.ListSales(context.Background(), &salesv1.ListSalesRequest{Session: sLive, PageToken: token + "x"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}
