package app_test

import (
	"context"
	"flag"
	"runtime"
	"slices"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
)

var pagesDir = flag.String("pages-dir", "", "BenchmarkReportPages: data folder of a loaded sales-reporting (a copy: a clean stop rewrites its image)")

// BenchmarkReportPages times, over gRPC on loopback in one process, the
// year's reports of a loaded folder that answer pages of hundreds to 1,000
// rows (those alliance-replay -measure found over 10 ms at p99), with the
// bytes and allocations of a call, so that a CPU or allocation profile of
// what such a page costs needs no suite:
//
//	go test -run '^$' -bench ReportPages -benchtime 400x -memprofile /tmp/m.prof ./app -args -pages-dir /tmp/replay-copy/sales-reporting
func BenchmarkReportPages(b *testing.B) {
	srv, err := startsOn(b, *pagesDir, "-pages-dir")()
	if err != nil {
		b.Fatal(err)
	}
	sales := salesv1.NewSalesReportingClient(testkit.Dial(b, testkit.Serve(b, srv)))
	ctx := context.Background()
	const (
		day, month, total          = salesv1.Granularity_GRANULARITY_DAY, salesv1.Granularity_GRANULARITY_MONTH, salesv1.Granularity_GRANULARITY_TOTAL
		host, merchant             = salesv1.Dimension_DIMENSION_HOST, salesv1.Dimension_DIMENSION_MERCHANT
		category, origin, district = salesv1.Dimension_DIMENSION_CATEGORY, salesv1.Dimension_DIMENSION_ORIGIN_DISTRICT, salesv1.Dimension_DIMENSION_DISTRICT
	)
	for _, c := range []struct {
		name string
		g    salesv1.Granularity
		dims []salesv1.Dimension
	}{
		{"DAY", day, nil},
		{"TOTALxHOST", total, []salesv1.Dimension{host}},
		{"MONTHxMERCHANT", month, []salesv1.Dimension{merchant}},
		{"MONTHxORIGIN_DISTRICT", month, []salesv1.Dimension{origin}},
		{"DAYxCATEGORY", day, []salesv1.Dimension{category}},
		{"TOTALxMERCHANTxCATEGORY", total, []salesv1.Dimension{merchant, category}},
		{"MONTHxDISTRICT", month, []salesv1.Dimension{district}},
	} {
		req := &salesv1.QuerySalesReportRequest{StartDate: "2020-01-01", EndDate: "2021-01-01", Granularity: c.g, GroupBy: c.dims, PageSize: 1000}
		b.Run(c.name, func(b *testing.B) {
			rows := 0
			for range 10 { // warm-up
				r, err := sales.QuerySalesReport(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(r.GetRows())
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				s := time.Now()
				if _, err := sales.QuerySalesReport(ctx, req); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(s))
			}
			runtime.ReadMemStats(&after)
			slices.Sort(lat)
			n := float64(len(lat))
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(after.NumGC-before.NumGC), "GCs")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n/1024, "kB/call")
		})
	}
}
