package app_test

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// traffic is a valid traffic snapshot of session at t0+offset, its
// counters scaled by n.
func traffic(session string, offset time.Duration, n int64) *salesv1.SessionMetrics {
	return &salesv1.SessionMetrics{
		Session: session, Platform: typev1.Platform_PLATFORM_DOUYIN, AsOf: timestamppb.New(t0.Add(offset)),
		Views: 100 * n, Viewers: 60 * n, PeakConcurrentViewers: 10 * n, AverageViewDuration: durationpb.New(95 * time.Second),
		Likes: 30 * n, Comments: 5 * n, Shares: 2 * n, NewFollowers: n, ProductImpressions: 80 * n, ProductClicks: 12 * n,
	}
}

func (e *env) recordMetrics(ctx context.Context, m *salesv1.SessionMetrics) (*salesv1.SessionMetrics, error) {
	return e.sales.RecordSessionMetrics(ctx, &salesv1.RecordSessionMetricsRequest{Metrics: m})
}

func TestSessionMetricsAreCumulativeSnapshots(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := traffic(sEnded, time.Hour, 1)
	first.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 50, Clicks: 8}, {Product: e.a.Hotpot, Impressions: 30, Clicks: 4}}
	first.Products[0], first.Products[1] = first.Products[1], first.Products[0] // hotpot-base, green-tea
	got, err := e.recordMetrics(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	// Products come back ordered by product.
	if got.GetProducts()[0].GetProduct() != e.a.Tea || got.GetViews() != 100 {
		t.Fatalf("recorded %v", got)
	}

	t.Run("an identical repeat is a no-op that returns the stored snapshot", func(t *testing.T) {
		again, err := e.recordMetrics(ctx, first)
		if err != nil || !proto.Equal(again, got) {
			t.Fatalf("repeat: %v, %v; want %v", again, err, got)
		}
	})
	t.Run("another payload at the same as_of is ALREADY_EXISTS", func(t *testing.T) {
		other := proto.Clone(first).(*salesv1.SessionMetrics)
		other.Likes++
		_, err := e.recordMetrics(ctx, other)
		wantErr(t, err, codes.AlreadyExists, "METRICS_AS_OF_REUSED")
	})
	t.Run("a newer snapshot whose counter falls is METRICS_DECREASED", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			edit func(m *salesv1.SessionMetrics)
		}{
			{"views", func(m *salesv1.SessionMetrics) { m.Views = 99 }},
			{"peak", func(m *salesv1.SessionMetrics) { m.PeakConcurrentViewers = 9 }},
			{"product clicks", func(m *salesv1.SessionMetrics) { m.ProductClicks, m.Products = 11, nil }}, // the products' would add up to more
			{"a product's impressions", func(m *salesv1.SessionMetrics) {
				m.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 49, Clicks: 8}, {Product: e.a.Hotpot, Impressions: 30, Clicks: 4}}
			}},
			{"a product left out (its counters fell to 0)", func(m *salesv1.SessionMetrics) {
				m.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 50, Clicks: 8}}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m := traffic(sEnded, 2*time.Hour, 1)
				m.Products = proto.Clone(first).(*salesv1.SessionMetrics).GetProducts()
				tc.edit(m)
				_, err := e.recordMetrics(ctx, m)
				wantErr(t, err, codes.FailedPrecondition, "METRICS_DECREASED")
			})
		}
	})
	t.Run("an older snapshot arriving late is held below the newer ones", func(t *testing.T) {
		later := traffic(sEnded, 2*time.Hour, 2)
		later.Products = first.GetProducts()
		if _, err := e.recordMetrics(ctx, later); err != nil {
			t.Fatal(err)
		}
		between := traffic(sEnded, 90*time.Minute, 3) // above the later one
		_, err := e.recordMetrics(ctx, between)
		wantErr(t, err, codes.FailedPrecondition, "METRICS_DECREASED")
		between = traffic(sEnded, 90*time.Minute, 1)
		between.Views, between.Products = 150, first.GetProducts()
		if _, err := e.recordMetrics(ctx, between); err != nil {
			t.Fatalf("a snapshot between its neighbours: %v", err)
		}
	})
	t.Run("the newest as_of is the session's figure, in GetSessionMetrics and the summary", func(t *testing.T) {
		m, err := e.sales.GetSessionMetrics(ctx, &salesv1.GetSessionMetricsRequest{Name: sEnded + "/metrics"})
		if err != nil || m.GetViews() != 200 || !m.GetAsOf().AsTime().Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("latest = %v, %v; want the 2h snapshot with 200 views", m, err)
		}
		sum, err := e.sales.GetSessionSummary(ctx, &salesv1.GetSessionSummaryRequest{Session: sEnded})
		if err != nil || !proto.Equal(sum.GetMetrics(), m) {
			t.Fatalf("summary's metrics %v, %v; want %v", sum.GetMetrics(), err, m)
		}
	})
	t.Run("snapshots survive a restart", func(t *testing.T) {
		e.restart()
		m, err := e.sales.GetSessionMetrics(ctx, &salesv1.GetSessionMetricsRequest{Name: sEnded + "/metrics"})
		if err != nil || m.GetViews() != 200 {
			t.Fatalf("after restart: %v, %v", m, err)
		}
	})
	t.Run("a session without snapshots is METRICS_NOT_FOUND; an unknown one SESSION_NOT_FOUND", func(t *testing.T) {
		_, err := e.sales.GetSessionMetrics(ctx, &salesv1.GetSessionMetricsRequest{Name: sLive + "/metrics"})
		wantErr(t, err, codes.NotFound, "METRICS_NOT_FOUND")
		_, err = e.sales.GetSessionMetrics(ctx, &salesv1.GetSessionMetricsRequest{Name: "sessions/nope/metrics"})
		wantErr(t, err, codes.NotFound, "SESSION_NOT_FOUND")
		_, err = e.sales.GetSessionMetrics(ctx, &salesv1.GetSessionMetricsRequest{Name: sLive})
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
}

func TestSessionMetricsRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		edit   func(m *salesv1.SessionMetrics)
		code   codes.Code
		reason string
	}{
		{"a SCHEDULED session takes no traffic", func(m *salesv1.SessionMetrics) {
			m.Session, m.AsOf = sScheduled, timestamppb.New(t0.Add(time.Hour))
		}, codes.FailedPrecondition, "SESSION_NOT_LIVE"},
		{"nor a CANCELLED one", func(m *salesv1.SessionMetrics) { m.Session = sCancelled }, codes.FailedPrecondition, "SESSION_NOT_LIVE"},
		{"an unknown session", func(m *salesv1.SessionMetrics) { m.Session = "sessions/nope" }, codes.NotFound, "SESSION_NOT_FOUND"},
		{"another platform than the session's", func(m *salesv1.SessionMetrics) { m.Platform = typev1.Platform_PLATFORM_JD }, codes.FailedPrecondition, "PLATFORM_MISMATCH"},
		{"as_of before the session started", func(m *salesv1.SessionMetrics) { m.AsOf = timestamppb.New(t0.Add(-time.Minute)) }, codes.FailedPrecondition, "EVENT_OUTSIDE_SESSION"},
		{"as_of more than 7 days after it ended", func(m *salesv1.SessionMetrics) {
			m.AsOf = timestamppb.New(t0.Add(3*time.Hour + 7*24*time.Hour + time.Second))
			e.clock.Set(t0.Add(30 * 24 * time.Hour))
		}, codes.FailedPrecondition, "EVENT_OUTSIDE_SESSION"},
		{"as_of in the future", func(m *salesv1.SessionMetrics) { m.AsOf = timestamppb.New(e.clock.Now().Add(2 * time.Minute)) }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"as_of before 2000", func(m *salesv1.SessionMetrics) {
			m.AsOf = timestamppb.New(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC))
		}, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"no as_of", func(m *salesv1.SessionMetrics) { m.AsOf = nil }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"no platform", func(m *salesv1.SessionMetrics) { m.Platform = typev1.Platform_PLATFORM_UNSPECIFIED }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a negative counter", func(m *salesv1.SessionMetrics) { m.Likes = -1 }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a counter over 10^12", func(m *salesv1.SessionMetrics) { m.Shares = 1_000_000_000_001 }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"more viewers than views", func(m *salesv1.SessionMetrics) { m.Viewers = m.Views + 1 }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a peak above the viewers", func(m *salesv1.SessionMetrics) { m.PeakConcurrentViewers = m.Viewers + 1 }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"more clicks than impressions", func(m *salesv1.SessionMetrics) { m.ProductClicks = m.ProductImpressions + 1 }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a view duration over a day", func(m *salesv1.SessionMetrics) { m.AverageViewDuration = durationpb.New(25 * time.Hour) }, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a product twice", func(m *salesv1.SessionMetrics) {
			m.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 1}, {Product: e.a.Tea, Impressions: 2}}
		}, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a product's clicks above its impressions", func(m *salesv1.SessionMetrics) {
			m.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 1, Clicks: 2}}
		}, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"the products' impressions above the session's product_impressions", func(m *salesv1.SessionMetrics) {
			m.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 50, Clicks: 8}, {Product: e.a.Hotpot, Impressions: 31, Clicks: 4}}
		}, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"the products' clicks above the session's product_clicks", func(m *salesv1.SessionMetrics) {
			m.Products = []*salesv1.ProductTraffic{{Product: e.a.Tea, Impressions: 50, Clicks: 8}, {Product: e.a.Hotpot, Impressions: 30, Clicks: 5}}
		}, codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"a product not of the session", func(m *salesv1.SessionMetrics) {
			m.Products = []*salesv1.ProductTraffic{{Product: e.a.Noodles, Impressions: 1}}
		}, codes.FailedPrecondition, "PRODUCT_NOT_IN_SESSION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Set(t0.Add(2 * time.Hour))
			m := traffic(sEnded, time.Hour, 1)
			tc.edit(m)
			_, err := e.recordMetrics(ctx, m)
			wantErr(t, err, tc.code, tc.reason)
		})
	}
	t.Run("nothing refused was stored", func(t *testing.T) {
		e.clock.Set(t0.Add(2 * time.Hour))
		_, err := e.sales.GetSessionMetrics(ctx, &salesv1.GetSessionMetricsRequest{Name: sEnded + "/metrics"})
		wantErr(t, err, codes.NotFound, "METRICS_NOT_FOUND")
	})
	t.Run("a LIVE session takes snapshots up to now", func(t *testing.T) {
		e.clock.Set(t0.Add(2 * time.Hour))
		if _, err := e.recordMetrics(ctx, traffic(sLive, 2*time.Hour, 1)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an ENDED session takes them for 7 days after its end", func(t *testing.T) {
		e.clock.Set(t0.Add(30 * 24 * time.Hour))
		if _, err := e.recordMetrics(ctx, traffic(sEnded, 3*time.Hour+7*24*time.Hour, 1)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestImportSessionMetricsJudgesEachSnapshot(t *testing.T) {
	e := newEnv(t)
	stream, err := e.sales.ImportSessionMetrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var lines []*salesv1.SessionMetrics
	for i := range 2500 { // more than one chunk
		lines = append(lines, traffic(sEnded, time.Duration(i)*time.Second, int64(i+1)))
	}
	lines = append(lines, traffic(sEnded, 10*time.Second, 1)) // 2500: another payload at a stored as_of
	lines = append(lines, traffic(sEnded, 5*time.Second, 6))  // 2501: an identical repeat
	bad := traffic(sEnded, time.Hour, 1)
	bad.Views = -1
	lines = append(lines, bad) // 2502: malformed
	for _, m := range lines {
		if err := stream.Send(&salesv1.ImportSessionMetricsRequest{Metrics: m}); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAccepted() != 2500 || resp.GetDuplicates() != 1 || resp.GetRejected() != 2 ||
		resp.GetErrors()[0].GetIndex() != 2500 || resp.GetErrors()[0].GetReason() != "METRICS_AS_OF_REUSED" || resp.GetErrors()[1].GetIndex() != 2502 {
		t.Fatalf("import answered %v", resp)
	}
	m, err := e.sales.GetSessionMetrics(context.Background(), &salesv1.GetSessionMetricsRequest{Name: sEnded + "/metrics"})
	if err != nil || m.GetViews() != 250000 {
		t.Fatalf("latest after import %v, %v", m, err)
	}
}

// Concurrent writers of one session's snapshots, in any order, leave the
// counters monotone in as_of order: each snapshot is judged against its
// neighbours inside the transaction that stores it.
func TestConcurrentSnapshotsStayMonotone(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[int64]bool{}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				n := int64((i*8+w)%97 + 1)
				m := traffic(sEnded, time.Duration(i*8+w)*time.Second, n) // as_of order is not counter order
				if _, err := e.recordMetrics(context.Background(), m); err == nil {
					mu.Lock()
					accepted[int64(i*8+w)] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	var last int64 = -1
	for s := int64(0); s < 320; s++ {
		if !accepted[s] {
			continue
		}
		n := (s%97 + 1) * 100
		if n < last {
			t.Fatalf("accepted views %d at +%ds after %d earlier: counters fell", n, s, last)
		}
		last = n
	}
	if len(accepted) == 0 {
		t.Fatal("nothing was accepted")
	}
	t.Logf("%d of 320 accepted", len(accepted))
}

// Traffic has the parties of sales: the session's parties and the admins
// record it; they and the session's district office read it; no one else.
func TestSessionMetricsParties(t *testing.T) {
	e := newAuthzEnv(t)
	n := int64(0)
	next := func() *salesv1.SessionMetrics {
		n++
		return traffic(sEnded, time.Duration(n)*time.Minute, n)
	}
	for _, tc := range []struct {
		who    string
		code   codes.Code
		reason string
	}{
		{"host", codes.OK, ""}, {"agency", codes.OK, ""}, {"base", codes.OK, ""}, {"merchant", codes.OK, ""},
		{"office", codes.PermissionDenied, "PERMISSION_DENIED"},
		{"other host", codes.PermissionDenied, "PERMISSION_DENIED"},
		{"other merchant", codes.PermissionDenied, "PERMISSION_DENIED"},
	} {
		t.Run(tc.who+" records", func(t *testing.T) {
			_, err := e.recordMetrics(e.as[tc.who], next())
			if tc.code == codes.OK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			testkit.WantError(t, err, tc.code, tc.reason, "")
		})
	}
	if _, err := e.recordMetrics(e.admin, next()); err != nil {
		t.Fatalf("admin records: %v", err)
	}
	for _, tc := range []struct {
		who string
		ok  bool
	}{{"host", true}, {"merchant", true}, {"office", true}, {"other host", false}, {"other office", false}} {
		t.Run(tc.who+" reads", func(t *testing.T) {
			m, err := e.sales.GetSessionMetrics(e.as[tc.who], &salesv1.GetSessionMetricsRequest{Name: sEnded + "/metrics"})
			if tc.ok && (err != nil || m.GetViews() != 100*n) {
				t.Fatalf("%v, %v; want the admin's latest", m, err)
			}
			if !tc.ok {
				testkit.WantError(t, err, codes.PermissionDenied, "PERMISSION_DENIED", "")
			}
		})
	}
}

// Report rows carry each session's latest traffic, on the day the session
// started, with GPM, conversion, click-through and a view-weighted
// duration computed from the row's sums; rows of product dimensions and
// rows of sessions without traffic have no ratios at all.
func TestReportRowsCarryTrafficAndDerivedMeasures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustRecord(order(sEnded, e.a.Tea, "o1", 1, 30000, t0.Add(time.Hour)))
	e.mustRecord(order(sEnded, e.a.Tea, "o2", 1, 20000, t0.Add(2*time.Hour)))
	e.mustRecord(order(sLive, e.a.Tea, "o3", 1, 10000, t0.Add(time.Hour)))
	k := order(sKuaishou, e.a.Tea, "k1", 1, 7000, t0.Add(time.Hour))
	k.Platform = typev1.Platform_PLATFORM_KUAISHOU
	e.mustRecord(k)
	old := traffic(sEnded, time.Hour, 1) // replaced by the newer one
	if _, err := e.recordMetrics(ctx, old); err != nil {
		t.Fatal(err)
	}
	m := traffic(sEnded, 2*time.Hour, 10) // 1,000 views, 600 viewers, 800 impressions, 120 clicks
	if _, err := e.recordMetrics(ctx, m); err != nil {
		t.Fatal(err)
	}
	live := traffic(sLive, time.Hour, 30) // 3,000 views at 20 s
	live.AverageViewDuration = durationpb.New(20 * time.Second)
	live.PeakConcurrentViewers = 1500
	if _, err := e.recordMetrics(ctx, live); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, got *salesv1.Metrics) {
		t.Helper()
		// Both Douyin sessions: gross 60,000 fen over 4,000 views.
		if got.GetViews() != 4000 || got.GetViewers() != 2400 || got.GetPeakConcurrentViewers() != 1500 || got.GetTrafficSessions() != 2 ||
			got.GetGpm().GetMinorUnits() != 15000 || got.GetConversionRate() != 3.0/2400 || got.GetClickThroughRate() != 480.0/3200 ||
			got.GetAverageViewDuration().AsDuration() != (1000*95+3000*20)*time.Second/4000 {
			t.Fatalf("row %v", got)
		}
	}
	day := t0.Format(time.DateOnly)
	next := t0.AddDate(0, 0, 1).Format(time.DateOnly)
	r, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: day, EndDate: next,
		GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_PLATFORM}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a row's figures are sums and ratios of sums", func(t *testing.T) { check(t, r.GetRows()[0].GetMetrics()) })
	t.Run("a row of sessions without traffic has no ratio", func(t *testing.T) {
		ks := r.GetRows()[1].GetMetrics()
		if r.GetRows()[1].GetKeys()[0].GetKey() != "KUAISHOU" || ks.GetViews() != 0 || ks.Gpm != nil || ks.ConversionRate != nil ||
			ks.ClickThroughRate != nil || ks.AverageViewDuration != nil {
			t.Fatalf("kuaishou row %v", r.GetRows()[1])
		}
	})
	t.Run("totals carry the traffic of every row", func(t *testing.T) {
		if tot := r.GetTotals(); tot.GetViews() != 4000 || tot.GetGpm().GetMinorUnits() != 67000*1000/4000 {
			t.Fatalf("totals %v", tot)
		}
	})
	t.Run("rows of product dimensions carry none", func(t *testing.T) {
		r, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: day, EndDate: next,
			GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_CATEGORY}})
		if err != nil || r.GetRows()[0].GetMetrics().GetViews() != 0 || r.GetRows()[0].GetMetrics().Gpm != nil {
			t.Fatalf("%v, %v", r, err)
		}
	})
	t.Run("the overview has them, and so does the engine after a restart", func(t *testing.T) {
		e.restart()
		o, err := e.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: day, EndDate: next})
		if err != nil {
			t.Fatal(err)
		}
		if o.GetTotals().GetViews() != 4000 || o.GetTotals().GetConversionRate() != 4.0/2400 || o.GetTotals().GetOrders() != 4 {
			t.Fatalf("overview totals %v", o.GetTotals())
		}
		r, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: day, EndDate: next,
			GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_PLATFORM}})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r.GetRows()[0].GetMetrics())
	})
}

// compare_to puts the earlier period beside every row, the totals, the
// ranking and the overview, through the API; rows of only one period stay.
func TestCompareToThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ly := t0.AddDate(-1, 0, 0)
	e.sched.Put(e.a.Session("last-year", sessionv1.SessionState_SESSION_STATE_ENDED, ly, ly.Add(3*time.Hour)))
	e.mustRecord(order("sessions/last-year", e.a.Tea, "ly1", 1, 40000, ly.Add(time.Hour)))
	e.mustRecord(order(sEnded, e.a.Tea, "ty1", 1, 50000, t0.Add(time.Hour)))
	k := order(sKuaishou, e.a.Tea, "ty2", 1, 7000, t0.Add(time.Hour)) // no Kuaishou sales last year
	k.Platform = typev1.Platform_PLATFORM_KUAISHOU
	e.mustRecord(k)
	month := func(t time.Time) (string, string) {
		y, m, _ := t.Date()
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	from, to := month(t0)
	r, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: from, EndDate: to, Granularity: salesv1.Granularity_GRANULARITY_MONTH,
		GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_PLATFORM}, CompareTo: salesv1.Comparison_COMPARISON_PREVIOUS_YEAR})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetPreviousStartDate() != "2025-03-01" || r.GetPreviousEndDate() != "2025-04-01" || r.GetPreviousTotals().GetNet().GetMinorUnits() != 40000 ||
		r.GetTotalsChange().GetNet() != (57000.0-40000)/40000 {
		t.Fatalf("totals: %v", r)
	}
	douyin, kuaishou := r.GetRows()[0], r.GetRows()[1]
	if douyin.GetPrevious().GetNet().GetMinorUnits() != 40000 || douyin.GetChange().GetNet() != 0.25 || kuaishou.Previous != nil || kuaishou.GetChange() != nil {
		t.Fatalf("rows: %v", r.GetRows())
	}
	t.Run("a row only the earlier period has is shown, with zeros now", func(t *testing.T) {
		r, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: from, EndDate: to,
			GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_HOST}, Host: e.a.Host, Platform: typev1.Platform_PLATFORM_DOUYIN,
			CompareTo: salesv1.Comparison_COMPARISON_PREVIOUS_YEAR})
		if err != nil || len(r.GetRows()) != 1 {
			t.Fatalf("%v, %v", r, err)
		}
		from2, to2 := month(t0.AddDate(0, 1, 0))
		r, err = e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: from2, EndDate: to2,
			CompareTo: salesv1.Comparison_COMPARISON_PREVIOUS_PERIOD})
		if err != nil || len(r.GetRows()) != 1 || r.GetRows()[0].GetMetrics().GetOrders() != 0 || r.GetRows()[0].GetPrevious().GetOrders() != 2 {
			t.Fatalf("April against March: %v, %v", r, err)
		}
	})
	t.Run("the ranking gives the earlier rank", func(t *testing.T) {
		top, err := e.sales.ListTopPerformers(ctx, &salesv1.ListTopPerformersRequest{Dimension: salesv1.Dimension_DIMENSION_PLATFORM,
			StartDate: from, EndDate: to, CompareTo: salesv1.Comparison_COMPARISON_PREVIOUS_YEAR})
		if err != nil || len(top.GetEntries()) != 2 || top.GetEntries()[0].GetPreviousRank() != 1 || top.GetEntries()[1].GetPreviousRank() != 0 {
			t.Fatalf("%v, %v", top, err)
		}
	})
	t.Run("the overview gives the earlier overview", func(t *testing.T) {
		o, err := e.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: from, EndDate: to, CompareTo: salesv1.Comparison_COMPARISON_PREVIOUS_YEAR})
		if err != nil || o.GetPrevious().GetNet().GetMinorUnits() != 40000 || o.GetPrevious().GetStartDate() != "2025-03-01" || o.GetChange().GetOrders() != 1 {
			t.Fatalf("%v, %v", o, err)
		}
	})
	t.Run("an unknown comparison is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: from, EndDate: to, CompareTo: 9})
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
}
