package rpc

import (
	"fmt"
	"math/rand/v2"
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/proto"
)

// BenchmarkReportRows converts a full page (1,000 rows) the way the
// adapter does now and the way it did before (referenceRows), with and
// without marshalling: MONTH x MERCHANT (a product dimension: no
// traffic) and MONTH x HOST (a session dimension: traffic in every row);
// and the decoding of that page, which a caller pays; and the page
// written straight to the wire (wireAnswer), as the adapter sends it now.
//
//	go test -run '^$' -bench ReportRows -benchmem ./internal/rpc
func BenchmarkReportRows(b *testing.B) {
	s := &Server{currency: "CNY"}
	display := func(_ report.Dimension, k string) string { return "name of " + k }
	for _, shape := range []struct {
		name    string
		dim     report.Dimension
		traffic bool
	}{{"MONTHxMERCHANT", report.DimMerchant, false}, {"MONTHxHOST", report.DimHost, true}} {
		rng := rand.New(rand.NewPCG(1, 2))
		rows := make([]report.Row, 1000)
		for i := range rows {
			start := report.Day(18262 + 31*(i/300))
			m := report.Metrics{Sessions: rng.Int64N(500), Orders: rng.Int64N(1e5), Units: rng.Int64N(3e5), Gross: rng.Int64N(1e10),
				Refunds: rng.Int64N(1e8), Net: rng.Int64N(1e10), AverageOrderValue: rng.Int64N(1e5)}
			if shape.traffic {
				m.Traffic = report.TrafficMetrics{Sessions: 40, Views: 1e6, Viewers: 4e5, PeakConcurrentViewers: 9000,
					ProductImpressions: 2e6, ProductClicks: 1e5, ViewMillis: 9e10}
			}
			rows[i] = report.Row{PeriodStart: start, PeriodEnd: start + 31, Keys: []string{fmt.Sprintf("members/m-%d", i%300)}, Metrics: m}
		}
		groupBy, dims := []report.Dimension{shape.dim}, []salesv1.Dimension{salesv1.Dimension_DIMENSION_MERCHANT}
		for _, way := range []struct {
			name    string
			convert func() []*salesv1.ReportRow
		}{
			{"before", func() []*salesv1.ReportRow { return referenceRows("CNY", rows, dims, groupBy, display) }},
			{"now", func() []*salesv1.ReportRow { return s.reportRows(rows, dims, groupBy, display) }},
		} {
			b.Run(shape.name+"/convert/"+way.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					way.convert()
				}
			})
			b.Run(shape.name+"/convert+marshal/"+way.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := proto.Marshal(&salesv1.QuerySalesReportResponse{Rows: way.convert()}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(shape.name+"/convert+marshal/wire", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.wireAnswer(&salesv1.QuerySalesReportResponse{}, rows, dims, groupBy, display)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := proto.Marshal(out); err != nil {
					b.Fatal(err)
				}
			}
		})
		// What the caller pays for the same page: the answer's size and
		// its decoding (the replay's latency includes it).
		wire, err := proto.Marshal(&salesv1.QuerySalesReportResponse{Rows: s.reportRows(rows, dims, groupBy, display)})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(shape.name+"/unmarshal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := proto.Unmarshal(wire, new(salesv1.QuerySalesReportResponse)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(wire)), "answer-bytes")
		})
	}
}
