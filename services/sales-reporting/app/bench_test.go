package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Benchmarks run the real server in-process on loopback, on a data folder
// on disk (every commit is fsynced), with the map-backed scheduler. Each
// reports its figure next to a baseline measured in the same run: compare
// ns/op of BenchmarkRecordSale to BenchmarkHealthCheck, and sales/s of
// BenchmarkImportSales to the 100,000/s target.

var benchRun atomic.Int64

func benchEnv(b *testing.B) *env {
	return newEnvTB(b)
}

func BenchmarkHealthCheck(b *testing.B) {
	e := benchEnv(b)
	h := healthpb.NewHealthClient(testkit.Dial(b, e.addr))
	b.SetParallelism(32) // 64 goroutines on 2 cores, like ghz -c 64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRecordSale(b *testing.B) {
	e := benchEnv(b)
	run := benchRun.Add(1)
	var n atomic.Int64
	at := e.clock.Now().Add(-time.Minute)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s := order(sLive, e.a.Tea, fmt.Sprintf("b%d-%d", run, n.Add(1)), 1, 1000, at)
			if _, err := e.sales.RecordSale(context.Background(), &salesv1.RecordSaleRequest{Sale: s}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkImportSales streams b.N sales over one ImportSales stream; the
// answer comes once all are durable.
func BenchmarkImportSales(b *testing.B) { benchImport(b, 1) }

// BenchmarkImportSalesBatched is BenchmarkImportSales with 1,000 sales a
// message (ImportSalesRequest.sales), as the replay and alliance-bench send
// them.
func BenchmarkImportSalesBatched(b *testing.B) { benchImport(b, 1000) }

func benchImport(b *testing.B, per int) {
	e := benchEnv(b)
	run := benchRun.Add(1)
	var reqs []*salesv1.ImportSalesRequest
	for i := range b.N {
		s := order(sEnded, e.a.Tea, fmt.Sprintf("i%d-%d", run, i), 1, 1000, t0.Add(time.Duration(i%10000)*time.Second))
		switch {
		case per == 1:
			reqs = append(reqs, &salesv1.ImportSalesRequest{Sale: s})
		case i%per == 0:
			reqs = append(reqs, &salesv1.ImportSalesRequest{Sales: []*salesv1.Sale{s}})
		default:
			r := reqs[len(reqs)-1]
			r.Sales = append(r.Sales, s)
		}
	}
	b.ResetTimer()
	stream, err := e.sales.ImportSales(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			b.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if resp.GetAccepted() != int64(b.N) {
		b.Fatalf("accepted %d of %d: %v", resp.GetAccepted(), b.N, resp.GetErrors()[:min(3, len(resp.GetErrors()))])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sales/s")
}

// BenchmarkRecordSessionMetrics is RecordSale's shape for traffic: 64
// clients, every snapshot durable before its answer. Compare its ns/op to
// BenchmarkRecordSale's in the same run (issue 14: no slower).
func BenchmarkRecordSessionMetrics(b *testing.B) {
	e := benchEnv(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// Distinct as_of, counters growing with it: every call stores.
			i := n.Add(1)
			m := traffic(sLive, time.Duration(i)*time.Millisecond, i)
			m.AverageViewDuration = nil
			if _, err := e.sales.RecordSessionMetrics(context.Background(), &salesv1.RecordSessionMetricsRequest{Metrics: m}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
