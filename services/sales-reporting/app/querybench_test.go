package app_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The flags of BenchmarkReportsAtScale, given after -args.
var (
	atScaleSales      = flag.Int("sales", 0, "BenchmarkReportsAtScale: sales to store (0 skips it)")
	atScalePerSession = flag.Int("per-session", 54, "BenchmarkReportsAtScale: sales per session (Chongqing 2020: 10 billion yuan over 184,000 sessions)")
	atScaleDir        = flag.String("dir", "", "BenchmarkReportsAtScale: data folder, kept and reused (default: a temporary one)")
)

// BenchmarkReportsAtScale measures report latency as the store grows: it
// builds a sales.db of -sales N sales through the store layer (the same
// transactions and rollup cells ingestion writes, without the gRPC and
// attribution cost), starts the real service over it, and measures over
// gRPC on loopback the p50/p99 of QuerySalesReport (MONTH x DISTRICT for
// one year) and GetAllianceOverview (one year), next to the health check
// measured the same way in the same run. Each sub-benchmark makes b.N
// calls after 20 of warm-up: -benchtime 2000x is the figure of BENCHMARKS.md.
//
//	go test -run '^$' -bench ReportsAtScale -benchtime 2000x ./app -args -sales 1000000
//	go test -run '^$' -bench ReportsAtScale -benchtime 2000x -timeout 2h ./app -args -sales 10000000 -dir /var/tmp/q10m
//
// Session scheduling is the map-backed test scheduler (its CountSessions
// is not what is measured); display names come from memberfake.
func BenchmarkReportsAtScale(b *testing.B) {
	if *atScaleSales <= 0 {
		b.Skip("give -args -sales N to store N sales")
	}
	dir := *atScaleDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, app.Spec.DBFile)
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		if err := buildSales(path, *atScaleSales, *atScalePerSession); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("built %d sales in %s\n", *atScaleSales, time.Since(start).Round(time.Millisecond))
	}
	if fi, err := os.Stat(path); err == nil {
		fmt.Printf("sales.db: %.0f MB\n", float64(fi.Size())/1e6)
	}
	regAddr := testkit.Serve(b, newRegistry().Server(grpcx.ServerOptions{}))
	schedAddr := testkit.Serve(b, newScheduler().Server())
	loadStart := time.Now()
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir, ShutdownTimeout: 5 * time.Second},
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: schedAddr}, testkit.Quiet)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("start-up (load rollup cells into the engine): %s\n", time.Since(loadStart).Round(time.Millisecond))
	cc := testkit.Dial(b, testkit.Serve(b, srv))
	sales := salesv1.NewSalesReportingClient(cc)
	health := healthpb.NewHealthClient(cc)
	ctx := context.Background()

	measure := func(name string, call func() error) {
		b.Run(name, func(b *testing.B) {
			for range 20 { // warm-up
				if err := call(); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				s := time.Now()
				if err := call(); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				lat = append(lat, time.Since(s))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
	measure("HealthCheck-baseline", func() error {
		_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	var rows int
	measure("QuerySalesReport-2025-MONTHxDISTRICT", func() error {
		r, err := sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: "2025-01-01", EndDate: "2026-01-01",
			Granularity: salesv1.Granularity_GRANULARITY_MONTH, GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_DISTRICT}, PageSize: 1000})
		rows = len(r.GetRows())
		return err
	})
	var o *salesv1.AllianceOverview
	measure("GetAllianceOverview-2025", func() error {
		var err error
		o, err = sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: "2025-01-01", EndDate: "2026-01-01"})
		return err
	})
	fmt.Printf("report rows: %d; overview: %d sessions with sales, %d orders, net %d fen\n", rows, o.GetSessionsWithSales(), o.GetOrders(), o.GetNet().GetMinorUnits())
}

var atScaleDistricts = []string{"yuzhong", "dadukou", "jiangbei", "shapingba", "jiulongpo", "nanan", "beibei", "yubei", "banan",
	"wanzhou", "fuling", "qianjiang", "changshou", "jiangjin", "hechuan", "yongchuan", "nanchuan", "qijiang", "dazu",
	"bishan", "tongliang", "tongnan", "rongchang", "kaizhou", "liangping", "wulong", "chengkou", "fengdu", "dianjiang",
	"zhongxian", "yunyang", "fengjie", "wushan", "wuxi", "shizhu", "xiushan", "youyang", "pengshui"}

var atScaleCategories = []string{"tea", "agri-food", "apparel", "hotpot", "snacks", "fruit", "vegetables", "meat", "grain",
	"liquor", "beverages", "crafts", "cosmetics", "home", "electronics", "herbal", "seasoning", "noodles", "honey", "eggs"}

var atScalePlatforms = []string{"TAOBAO_LIVE", "DOUYIN", "KUAISHOU", "WECHAT_CHANNELS", "JD", "PINDUODUO"}

// build writes n sales of sessions spread over 2025, with their snapshots,
// refunded totals and rollup cells, in transactions of 20,000 sales.
func buildSales(path string, n, perSession int) error {
	st, err := store.Open(path, boltdb.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	year := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	const nProducts = 10000
	products := make([]*ingest.Product, nProducts)
	for i := range products {
		m := fmt.Sprintf("members/merchant-%d", i/5)
		products[i] = &ingest.Product{Name: fmt.Sprintf("%s/products/p%d", m, i%5), Merchant: m,
			Category: atScaleCategories[rng.IntN(len(atScaleCategories))], OriginDistrict: atScaleDistricts[rng.IntN(len(atScaleDistricts))]}
	}
	written := map[string]bool{}
	var ses *ingest.Session
	var sesProducts []*ingest.Product
	var orders []*ingest.Sale
	const perTx = 20000
	for done := 0; done < n; {
		err := st.Update(func(tx ingest.Tx) error {
			for i := 0; i < perTx && done < n; i, done = i+1, done+1 {
				if done%perSession == 0 {
					k := done / perSession
					host := rng.IntN(500)
					base := rng.IntN(12)
					agency := ""
					if host%4 != 0 {
						agency = fmt.Sprintf("members/agency-%d", host%40)
					}
					start := year.Add(time.Duration(rng.IntN(364*24)) * time.Hour)
					ses = &ingest.Session{Name: fmt.Sprintf("sessions/s%d", k), State: ingest.Ended, Platform: atScalePlatforms[rng.IntN(len(atScalePlatforms))],
						ActualStart: start, ActualEnd: start.Add(3 * time.Hour),
						Attr: ingest.SessionAttr{Host: fmt.Sprintf("members/host-%d", host), Agency: agency, Official: host%50 == 0,
							Base: fmt.Sprintf("members/base-%d", base), Studio: fmt.Sprintf("members/base-%d/studios/a%d", base, rng.IntN(4)),
							District: atScaleDistricts[base*3%len(atScaleDistricts)]}}
					if err := tx.PutSession(ses); err != nil {
						return err
					}
					sesProducts = sesProducts[:0]
					for range 5 {
						sesProducts = append(sesProducts, products[rng.IntN(nProducts)])
					}
					orders = orders[:0]
				}
				p := sesProducts[rng.IntN(len(sesProducts))]
				if !written[p.Name] {
					written[p.Name] = true
					if err := tx.PutProduct(p); err != nil {
						return err
					}
				}
				id, err := tx.NextID()
				if err != nil {
					return err
				}
				s := &ingest.Sale{ID: id, Session: ses.Name, Product: p.Name, Kind: report.Order, Quantity: 1 + rng.Int64N(3),
					Amount: 500 + rng.Int64N(50000), Currency: "CNY", Platform: ses.Platform, ExternalID: fmt.Sprintf("x%d", id),
					EventTime: ses.ActualStart.Add(time.Duration(rng.IntN(int(27*time.Hour/time.Second))) * time.Second)}
				if len(orders) > 0 && rng.IntN(10) == 0 { // a tenth are refunds, of the whole of an earlier order
					o := orders[rng.IntN(len(orders))]
					q, a, err := tx.Refunded(o.ID)
					if err != nil {
						return err
					}
					if q == 0 {
						s.Kind, s.RefundOf, s.Quantity, s.Amount, s.Product = report.Refund, o.ExternalID, o.Quantity, o.Amount, o.Product
						s.EventTime = o.EventTime.Add(time.Duration(rng.IntN(30*24)) * time.Hour)
						p = nil
						if err := tx.SetRefunded(o.ID, o.Quantity, a+o.Amount); err != nil {
							return err
						}
					}
				}
				if s.Kind == report.Order {
					orders = append(orders, s)
				}
				s.CreateTime = time.Now()
				if err := tx.PutSale(s); err != nil {
					return err
				}
				prod := p
				if prod == nil {
					for _, x := range products {
						if x.Name == s.Product {
							prod = x
							break
						}
					}
				}
				attr := ingest.Attribution(ses, prod)
				if err := tx.AddToCell(report.Delta{Session: s.Session, Product: s.Product, Attr: attr, Day: report.DayOf(s.EventTime, loc),
					EventTime: s.EventTime, Kind: s.Kind, Quantity: s.Quantity, Amount: s.Amount}, attr); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if done%1000000 == 0 {
			fmt.Printf("  %d sales\n", done)
		}
	}
	return st.SyncIndexes()
}
