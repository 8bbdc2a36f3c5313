package e2e

import (
	"context"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"github.com/cqlive/alliance/services/suite/replay"
	"google.golang.org/grpc"
)

// TestReplayOneHundredthOfTheYear loads 1/100 of the synthetic Chongqing
// 2020 (1,840 sessions, about 250,000 sale lines) into real processes
// through the public API, and checks that the year's overview equals what
// the generator sent, to the fen. make replay-2020 does the whole year.
func TestReplayOneHundredthOfTheYear(t *testing.T) {
	s := startSuite(t)
	clients, err := dial.Suite(s.addrs, grpcx.DialOptions{Timeout: time.Minute, GRPC: []grpc.DialOption{dial.Bearer(s.adminKey)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(clients.Close)
	cfg := replay.Default()
	cfg.Scale = 0.01
	g := replay.New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := replay.Load(ctx, g, clients, replay.Options{Streams: 2, Chunk: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 0 || res.Duplicates != 0 {
		t.Fatalf("%d lines rejected, %d duplicates: %v", res.Rejected, res.Duplicates, res.FirstRejected)
	}
	from, to := g.Period()
	ov, err := clients.Sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{
		StartDate: from.Format(time.DateOnly), EndDate: to.Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	want := res.Totals
	got := replay.Totals{SessionsHeld: ov.GetSessionsHeld(), SessionsWithSales: ov.GetSessionsWithSales(), Orders: ov.GetOrders(),
		GrossFen: ov.GetGross().GetMinorUnits(), RefundsFen: ov.GetRefunds().GetMinorUnits()}
	if got.SessionsHeld != want.SessionsHeld || got.SessionsWithSales != want.SessionsWithSales || got.Orders != want.Orders ||
		got.GrossFen != want.GrossFen || got.RefundsFen != want.RefundsFen || ov.GetNet().GetMinorUnits() != want.NetFen() {
		t.Fatalf("overview %+v (net %d)\nsent     %+v (net %d)", got, ov.GetNet().GetMinorUnits(), want, want.NetFen())
	}
	if want.SessionsHeld != 1840 || want.Orders < 200_000 {
		t.Fatalf("the generator sent a smaller year than 1/100: %+v", want)
	}
	// The traffic: every session's latest snapshot, GPM and conversion.
	tot := ov.GetTotals()
	if tot.GetViews() != want.Views || tot.GetViewers() != want.Viewers || tot.GetTrafficSessions() != want.TrafficSessions ||
		tot.Gpm == nil || tot.ConversionRate == nil || tot.GetConversionRate() != float64(want.Orders)/float64(want.Viewers) {
		t.Fatalf("overview traffic %v; sent %d views, %d viewers of %d sessions", tot, want.Views, want.Viewers, want.TrafficSessions)
	}
	if views := float64(want.Views) / float64(want.Orders); views < 20 || views > 100 {
		t.Fatalf("%.1f views per order", views)
	}
	// A year like Chongqing's concentrates where the bases are.
	top := ov.GetTopDistricts()
	if len(top) < 5 || top[0].GetKey() != "jiulongpo" && top[0].GetKey() != "yubei" || float64(top[0].GetValue()) < 1.2*float64(top[4].GetValue()) {
		t.Fatalf("top districts %v", top)
	}
}
