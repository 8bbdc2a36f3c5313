package app_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
)

// BenchmarkExport is a year of 2025 by DAY × DISTRICT and by DAY × HOST
// (about 4,000 and 31,000 rows over 300,000 sales) through ExportSalesReport as CSV and XLSX, beside the
// same rows read through QuerySalesReport's pages (1,000 a page), in the
// same run, on the real service over gRPC on loopback. Each reports rows/s
// and the peak of the heap in use during the call above what it held
// before (peak-heap-MiB), sampled every millisecond: what the export
// holds besides the engine's rows.
//
//	go test -run '^$' -bench Export -benchtime 20x ./app
func BenchmarkExport(b *testing.B) {
	dir := b.TempDir()
	if err := buildSales(filepath.Join(dir, app.Spec.DBFile), 300000, 54); err != nil {
		b.Fatal(err)
	}
	regAddr := testkit.Serve(b, newRegistry().Server(grpcx.ServerOptions{}))
	schedAddr := testkit.Serve(b, newScheduler().Server())
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir, ShutdownTimeout: 5 * time.Second},
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: schedAddr}, testkit.Quiet)
	if err != nil {
		b.Fatal(err)
	}
	sales := salesv1.NewSalesReportingClient(testkit.Dial(b, testkit.Serve(b, srv)))
	ctx := context.Background()
	for _, dim := range []salesv1.Dimension{salesv1.Dimension_DIMENSION_DISTRICT, salesv1.Dimension_DIMENSION_HOST} {
		q := func() *salesv1.QuerySalesReportRequest {
			return &salesv1.QuerySalesReportRequest{StartDate: "2025-01-01", EndDate: "2026-01-01",
				Granularity: salesv1.Granularity_GRANULARITY_DAY, GroupBy: []salesv1.Dimension{dim}}
		}
		exportRuns(b, ctx, sales, "DAYx"+dim.String()[len("DIMENSION_"):], q)
	}
}

func exportRuns(b *testing.B, ctx context.Context, sales salesv1.SalesReportingClient, by string, q func() *salesv1.QuerySalesReportRequest) {
	run := func(name string, call func() (int, error)) {
		b.Run(by+"/"+name, func(b *testing.B) {
			if _, err := call(); err != nil { // warm-up: display names cached
				b.Fatal(err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
			})
			rows := 0
			b.ResetTimer()
			for range b.N {
				n, err := call()
				if err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows/b.N), "rows")
			if p := peak.Load(); p > base {
				b.ReportMetric(float64(p-base)/(1<<20), "peak-heap-MiB")
			} else {
				b.ReportMetric(0, "peak-heap-MiB")
			}
		})
	}
	run("pages", func() (int, error) { return pagedRows(ctx, sales, q()) })
	for _, format := range []string{"CSV", "XLSX"} {
		run("export-"+format, func() (int, error) {
			stream, err := sales.ExportSalesReport(ctx, &salesv1.ExportSalesReportRequest{Query: q(), Format: format})
			if err != nil {
				return 0, err
			}
			for {
				if _, err := stream.Recv(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					return 0, err
				}
			}
			return rowsOf(ctx, sales, q())
		})
	}
}

// rowsOf is the number of rows of a report (its pages counted once, cached).
var rowCount sync.Map

func rowsOf(ctx context.Context, sales salesv1.SalesReportingClient, q *salesv1.QuerySalesReportRequest) (int, error) {
	key := q.String()
	if n, ok := rowCount.Load(key); ok {
		return n.(int), nil
	}
	n, err := pagedRows(ctx, sales, q)
	if err == nil {
		rowCount.Store(key, n)
	}
	return n, err
}

// pagedRows reads the report of q page by page (1,000 rows a page) and
// counts its rows.
func pagedRows(ctx context.Context, sales salesv1.SalesReportingClient, q *salesv1.QuerySalesReportRequest) (int, error) {
	q.PageSize = 1000
	n := 0
	for {
		r, err := sales.QuerySalesReport(ctx, q)
		if err != nil {
			return 0, err
		}
		n += len(r.GetRows())
		if q.PageToken = r.GetNextPageToken(); q.PageToken == "" {
			return n, nil
		}
	}
}
