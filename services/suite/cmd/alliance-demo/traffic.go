package main

import (
	"context"
	"fmt"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// trafficOf is a session's traffic snapshot as of asOf, fixed by the
// session's id (a rerun sends the same one, which the service takes once):
// 20 to 100 views per order, about half of them unique viewers, a tenth of
// those at the peak, and product impressions and clicks spread over the
// session's products.
func trafficOf(session string, platform typev1.Platform, products []string, orders int, asOf time.Time) *salesv1.SessionMetrics {
	rng := seed(session + "/traffic")
	views := int64(max(orders, 1)) * (20 + rng.Int64N(81))
	viewers := views * (35 + rng.Int64N(26)) / 100
	m := &salesv1.SessionMetrics{Session: session, Platform: platform, AsOf: timestamppb.New(asOf),
		Views: views, Viewers: viewers, PeakConcurrentViewers: viewers * (5 + rng.Int64N(11)) / 100,
		AverageViewDuration: durationpb.New(time.Duration(40+rng.IntN(140)) * time.Second),
		Likes:               views * (2 + rng.Int64N(8)) / 100, Comments: views * (5 + rng.Int64N(15)) / 1000,
		Shares: views * (1 + rng.Int64N(5)) / 1000, NewFollowers: viewers * (5 + rng.Int64N(15)) / 1000}
	for _, p := range products {
		imp := views * (40 + rng.Int64N(40)) / 100 / int64(len(products))
		clk := imp * (6 + rng.Int64N(12)) / 100
		m.Products = append(m.Products, &salesv1.ProductTraffic{Product: p, Impressions: imp, Clicks: clk})
		m.ProductImpressions += imp
		m.ProductClicks += clk
	}
	return m
}

// importTraffic sends the history's snapshots over one ImportSessionMetrics stream.
func (d *demo) importTraffic(ctx context.Context, hist []histSession) error {
	stream, err := d.sales.ImportSessionMetrics(ctx)
	if err != nil {
		return err
	}
	sent := 0
	for _, h := range hist {
		m := trafficOf("sessions/"+h.id, h.s.GetPlatform(), h.s.GetProducts(), h.plan.orders, h.s.GetActualEndTime().AsTime().Add(5*time.Minute))
		if err := stream.Send(&salesv1.ImportSessionMetricsRequest{Metrics: m}); err != nil {
			break // the answer says why
		}
		sent++
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("import traffic: %w", err)
	}
	fmt.Printf("  traffic:  %d sent, %d accepted, %d already there, %d rejected\n", sent, resp.GetAccepted(), resp.GetDuplicates(), resp.GetRejected())
	for i, e := range resp.GetErrors() {
		if i == 5 {
			break
		}
		fmt.Printf("    line %d: %s %s: %s\n", e.GetIndex(), e.GetCode(), e.GetReason(), e.GetMessage())
	}
	return nil
}
