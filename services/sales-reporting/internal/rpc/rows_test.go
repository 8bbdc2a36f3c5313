package rpc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// referenceMetrics and referenceRows are the conversion as it was written
// before reportRows took its messages from a slab: one allocation per
// message, each date formatted where it is used.
func referenceMetrics(currency string, m report.Metrics) *salesv1.Metrics {
	money := func(v int64) *typev1.Money { return protoconv.Money(currency, v) }
	t := m.Traffic
	out := &salesv1.Metrics{
		Sessions: m.Sessions, Orders: m.Orders, Units: m.Units,
		Gross: money(m.Gross), Refunds: money(m.Refunds), Net: money(m.Net),
		AverageOrderValue: money(m.AverageOrderValue),
		Views:             t.Views, Viewers: t.Viewers, PeakConcurrentViewers: t.PeakConcurrentViewers,
		ProductClicks: t.ProductClicks, ProductImpressions: t.ProductImpressions, TrafficSessions: t.Sessions,
	}
	if gpm, ok := report.GPM(m.Gross, t.Views); ok {
		out.Gpm = money(gpm)
	}
	if r, ok := report.Ratio(m.Orders, t.Viewers); ok {
		out.ConversionRate = &r
	}
	if r, ok := report.Ratio(t.ProductClicks, t.ProductImpressions); ok {
		out.ClickThroughRate = &r
	}
	if d, ok := t.AverageViewDuration(); ok {
		out.AverageViewDuration = durationpb.New(d)
	}
	return out
}

func referenceRows(currency string, rows []report.Row, dims []salesv1.Dimension, groupBy []report.Dimension, display func(report.Dimension, string) string) []*salesv1.ReportRow {
	out := make([]*salesv1.ReportRow, 0, len(rows))
	for _, r := range rows {
		row := &salesv1.ReportRow{PeriodStart: r.PeriodStart.String(), PeriodEnd: r.PeriodEnd.String(), Metrics: referenceMetrics(currency, r.Metrics)}
		if r.Previous != nil {
			row.Previous = referenceMetrics(currency, *r.Previous)
			row.Change = change(row.Metrics, row.Previous)
		}
		for j, k := range r.Keys {
			row.Keys = append(row.Keys, &salesv1.GroupKey{Dimension: dims[j], Key: k, DisplayName: display(groupBy[j], k)})
		}
		out = append(out, row)
	}
	return out
}

// randomFigure is a figure of a report: often 0 (no traffic, no orders),
// sometimes at the edge of int64, else anything.
func randomFigure(rng *rand.Rand) int64 {
	switch rng.IntN(6) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64
	case 2:
		return -rng.Int64N(1e9)
	}
	return rng.Int64N(1e12)
}

func randomMetrics(rng *rand.Rand) report.Metrics {
	f := func() int64 { return randomFigure(rng) }
	return report.Metrics{Sessions: f(), Orders: f(), Units: f(), Gross: f(), Refunds: f(), Net: f(), AverageOrderValue: f(),
		Traffic: report.TrafficMetrics{Sessions: f(), Views: f(), Viewers: f(), PeakConcurrentViewers: f(),
			ProductImpressions: f(), ProductClicks: f(), ViewMillis: f()}}
}

// TestReportRowsConvertAsOneMessageAtATime: the rows of a page taken from
// a slab are the messages the plain conversion makes, for 0, 1 and 2
// dimensions, with and without an earlier period, with and without
// traffic, over pages that fill the slab exactly and pages of one row.
func TestReportRowsConvertAsOneMessageAtATime(t *testing.T) {
	s := &Server{currency: "CNY"}
	all := []report.Dimension{report.DimMerchant, report.DimCategory, report.DimDistrict, report.DimPlatform}
	display := func(d report.Dimension, k string) string {
		if k == "" {
			return ""
		}
		return fmt.Sprint(int(d)) + ":" + k
	}
	rng := rand.New(rand.NewPCG(12, 4))
	for trial := range 100 {
		nk := trial % 3
		groupBy := make([]report.Dimension, nk)
		dims := make([]salesv1.Dimension, nk)
		for j := range groupBy {
			groupBy[j] = all[rng.IntN(len(all))]
			dims[j] = salesv1.Dimension(1 + rng.IntN(8))
		}
		rows := make([]report.Row, []int{0, 1, 2, 50, 300}[trial%5])
		day := report.Day(18262 + rng.IntN(366))
		for i := range rows {
			if rng.IntN(4) == 0 {
				day += report.Day(1 + rng.IntN(31))
			}
			r := report.Row{PeriodStart: day, PeriodEnd: day + report.Day(1+rng.IntN(31)), Metrics: randomMetrics(rng)}
			if trial%2 == 1 && rng.IntN(3) > 0 {
				p := randomMetrics(rng)
				r.Previous = &p
			}
			for range nk {
				r.Keys = append(r.Keys, []string{"", "members/m1", "tea", "DOUYIN", "members/m2"}[rng.IntN(5)])
			}
			rows[i] = r
		}
		got := s.reportRows(rows, dims, groupBy, display)
		want := referenceRows("CNY", rows, dims, groupBy, display)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d rows, want %d", trial, len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Fatalf("trial %d, row %d:\n got %v\nwant %v", trial, i, got[i], want[i])
			}
		}
		gotBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(&salesv1.QuerySalesReportResponse{Rows: got})
		if err != nil {
			t.Fatal(err)
		}
		wantBytes, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&salesv1.QuerySalesReportResponse{Rows: want})
		if string(gotBytes) != string(wantBytes) {
			t.Fatalf("trial %d: the answers' bytes differ", trial)
		}
	}
}

// TestMetricsAreTheirOwnMessages: two rows' figures never share a message
// (a slab hands each out once), so changing one leaves the other.
func TestMetricsAreTheirOwnMessages(t *testing.T) {
	s := &Server{currency: "CNY"}
	m := report.Metrics{Gross: 100, Orders: 1, Traffic: report.TrafficMetrics{Views: 10, Viewers: 5, ViewMillis: 50000}}
	rows := []report.Row{{Metrics: m, Previous: &m}, {Metrics: m}}
	got := s.reportRows(rows, nil, nil, nil)
	got[0].Metrics.Gross.MinorUnits = 7
	*got[0].Metrics.ConversionRate = 9
	got[0].Metrics.AverageViewDuration.Seconds = 99
	for _, other := range []*salesv1.Metrics{got[0].Previous, got[1].Metrics} {
		if other.Gross.MinorUnits != 100 || *other.ConversionRate != 0.2 || other.AverageViewDuration.Seconds != 5 {
			t.Fatalf("a row's figures changed with another's: %v", other)
		}
	}
}

// TestSlabHoldsWhatMetricsTake: a slab sized by size.add is spent exactly
// by metricsIn, neither short (each message more allocated on its own)
// nor long (memory cleared for nothing), for figures with and without
// views, viewers and impressions.
func TestSlabHoldsWhatMetricsTake(t *testing.T) {
	s := &Server{currency: "CNY"}
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 200 {
		ms := make([]report.Metrics, 1+trial%20)
		var z size
		for i := range ms {
			ms[i] = randomMetrics(rng)
			z.add(&ms[i], nil)
		}
		a := newSlab(z)
		var took size
		for _, m := range ms {
			p := s.metricsIn(a, m)
			took.metrics++
			took.money += 4 + count(p.Gpm != nil)
			took.floats += count(p.ConversionRate != nil) + count(p.ClickThroughRate != nil)
			took.durs += count(p.AverageViewDuration != nil)
		}
		if took != z {
			t.Fatalf("trial %d: sized %+v, took %+v", trial, z, took)
		}
		if len(a.metrics)+len(a.money)+len(a.floats)+len(a.durs) != 0 {
			t.Fatalf("trial %d: left %d metrics, %d money, %d floats, %d durations", trial, len(a.metrics), len(a.money), len(a.floats), len(a.durs))
		}
		extra := s.metricsIn(a, ms[0])
		if extra.Gross == nil || extra.Gross.CurrencyCode != "CNY" {
			t.Fatalf("a spent slab gave %v", extra)
		}
	}
}

func count(ok bool) int {
	if ok {
		return 1
	}
	return 0
}
