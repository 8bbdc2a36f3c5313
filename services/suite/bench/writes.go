package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	bolt "go.etcd.io/bbolt"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type writesOptions struct {
	bin, out string
	n, c     int
	lines    int
}

// row is one line of the writes table: a measurement and its floor.
type row struct {
	Figures
	what, tool, unit string
	floor            string
	floorRate        float64
}

// Writes measures the suite's write paths against real processes, each
// as a ratio to a floor measured in the same run on the same machine: the
// empty RPC (grpc.health.v1.Health/Check) for calls, and the disk's fsync
// rate for durable ingestion. It starts member-registry,
// session-scheduling and sales-reporting from -bin on a fresh temporary
// folder (with API keys on, as in production), and stops them at the end.
// The results are printed as Markdown and written to -out.
func Writes(args []string) error {
	var o writesOptions
	fs := flag.NewFlagSet("alliance-bench writes", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin", "folder of the service binaries and ghz")
	fs.StringVar(&o.out, "out", "", "also write the Markdown results to this file")
	fs.IntVar(&o.n, "n", 20_000, "calls per measurement")
	fs.IntVar(&o.c, "c", 64, "concurrent clients")
	fs.IntVar(&o.lines, "lines", 200_000, "sale lines per ImportSales measurement")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	s, err := Up(o.bin, false)
	if err != nil {
		return err
	}
	defer s.Stop()
	c := s.Clients
	live, err := Seed(ctx, c.Members, c.Sessions, o.c)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	var rows []row
	ghz := func(what, addr, method, data string) (row, error) {
		f, err := Ghz{Addr: addr, Method: method, Data: data, Bearer: s.Bearer(), Workers: o.c, N: o.n}.Run(ghzIn(o.bin))
		return row{Figures: f, what: what, tool: "ghz", unit: "calls/s"}, err
	}

	// Floors.
	fsync, err := fsyncRate(s.Dir)
	if err != nil {
		return err
	}
	rows = append(rows, row{what: "bbolt commit with fsync (one put)", tool: "Go", Figures: Figures{Rate: fsync}, unit: "commits/s"})
	healthSales, err := ghz("Health/Check on sales-reporting", s.Addrs.SalesReporting, "grpc.health.v1.Health.Check", `{}`)
	if err != nil {
		return err
	}
	healthReg, err := ghz("Health/Check on member-registry", s.Addrs.MemberRegistry, "grpc.health.v1.Health.Check", `{}`)
	if err != nil {
		return err
	}
	rows = append(rows, healthSales, healthReg)

	// Writes over ghz.
	sale := fmt.Sprintf(`{"sale":{"session":%q,"product":%q,"kind":"SALE_KIND_ORDER","quantity":1,`+
		`"amount":{"currency_code":"CNY","minor_units":12800},"platform":"PLATFORM_DOUYIN","external_id":"bench-{{.UUID}}","event_time":%q}}`,
		live.GetName(), Product, live.GetActualStartTime().AsTime().Add(time.Second).Format(time.RFC3339))
	rs, err := ghz("RecordSale", s.Addrs.SalesReporting, "alliance.sales.v1.SalesReporting.RecordSale", sale)
	if err != nil {
		return err
	}
	rs.floor, rs.floorRate = "Health/Check on sales-reporting", healthSales.Rate
	cm, err := ghz("CreateMember", s.Addrs.MemberRegistry, "alliance.member.v1.MemberRegistry.CreateMember",
		`{"member":{"kind":"MEMBER_KIND_HOST","display_name":"主播 {{.RequestNumber}}","district":"banan"}}`)
	if err != nil {
		return err
	}
	cm.floor, cm.floorRate = "Health/Check on member-registry", healthReg.Rate
	rows = append(rows, rs, cm)

	// CreateSession needs a free slot per call, which ghz's templates cannot
	// compute: a Go client with the same concurrency, against its own floor.
	schedFloor := row{what: "Health/Check on session-scheduling", tool: "Go client", unit: "calls/s",
		Figures: Load("Health/Check on session-scheduling", o.c, o.n, func(w, i int) error {
			_, err := c.SessionsHealth.Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		})}
	start := time.Now().Add(time.Hour).Truncate(time.Hour)
	cs := row{what: "CreateSession", tool: "Go client", unit: "calls/s", floor: schedFloor.what, floorRate: schedFloor.Rate,
		Figures: Load("CreateSession", o.c, o.n, func(w, i int) error {
			at := start.Add(time.Duration(i) * 30 * time.Minute)
			_, err := c.Sessions.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: &sessionv1.Session{
				Title: "bench", Host: Host(w), Studio: Studio(w),
				Platform: typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(15 * time.Minute)),
			}})
			return err
		})}
	rows = append(rows, schedFloor, cs)

	// ImportSales: durable lines per second over one stream and over four.
	for _, streams := range []int{1, 4} {
		r, err := importRate(ctx, c.Sales, live, streams, o.lines)
		if err != nil {
			return err
		}
		r.floor, r.floorRate = "bbolt commit with fsync", fsync
		rows = append(rows, r)
	}

	report := render(rows, o)
	fmt.Print(report)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report), 0o644)
	}
	return nil
}

// fsyncRate commits single puts to a bbolt file in dir for two seconds.
func fsyncRate(dir string) (float64, error) {
	db, err := boltdb.Open(filepath.Join(dir, "fsync.db"), boltdb.Schema{Version: 1, Buckets: [][]byte{[]byte("b")}}, boltdb.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	n := 0
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("b")).Put(binary.BigEndian.AppendUint64(nil, uint64(n)), []byte("x"))
		}); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// importRate sends `lines` orders to the live session over `streams`
// parallel ImportSales streams; the rate counts only acknowledged lines.
func importRate(ctx context.Context, slc salesv1.SalesReportingClient, live *sessionv1.Session, streams, lines int) (row, error) {
	at := live.GetActualStartTime().AsTime().Add(time.Second)
	per := lines / streams
	var wg sync.WaitGroup
	var accepted atomic.Int64
	var firstErr error
	var mu sync.Mutex
	start := time.Now()
	for s := range streams {
		wg.Go(func() {
			err := func() error {
				st, err := slc.ImportSales(ctx)
				if err != nil {
					return err
				}
				for i := range per {
					if err := st.Send(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{
						Session: live.GetName(), Product: Product, Kind: salesv1.SaleKind_SALE_KIND_ORDER,
						Quantity: 1, Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 12800}, Platform: typev1.Platform_PLATFORM_DOUYIN,
						ExternalId: fmt.Sprintf("import-%d-%d-%d", streams, s, i), EventTime: timestamppb.New(at),
					}}); err != nil {
						return err
					}
				}
				resp, err := st.CloseAndRecv()
				if err != nil {
					return err
				}
				if resp.GetRejected() > 0 {
					return fmt.Errorf("%d lines rejected: %v", resp.GetRejected(), resp.GetErrors()[0])
				}
				accepted.Add(resp.GetAccepted())
				return nil
			}()
			if err != nil {
				mu.Lock()
				firstErr = errors.Join(firstErr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return row{}, fmt.Errorf("import: %w", firstErr)
	}
	elapsed := time.Since(start)
	return row{what: fmt.Sprintf("ImportSales, %d stream(s), %d lines", streams, per*streams), tool: "Go client",
		Figures: Figures{Calls: accepted.Load(), Rate: float64(accepted.Load()) / elapsed.Seconds()}, unit: "lines/s"}, nil
}

func render(rows []row, o writesOptions) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Measured %s on %s: %d cores, %s, %s/%s. %d concurrent clients, %d calls per measurement.\n\n",
		time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, o.c, o.n)
	b.WriteString("| measurement | tool | rate | p50 | p99 | errors | floor | ratio to floor |\n|---|---|---:|---:|---:|---:|---|---:|\n")
	for _, r := range rows {
		ratio, p50, p99 := "", "", ""
		if r.floorRate > 0 {
			ratio = fmt.Sprintf("%.2f×", r.Rate/r.floorRate)
		}
		if r.P50 > 0 {
			p50, p99 = r.P50.Round(10*time.Microsecond).String(), r.P99.Round(10*time.Microsecond).String()
		}
		floor := r.floor
		if floor == "" {
			floor = "(is a floor)"
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f %s | %s | %s | %d | %s | %s |\n", r.what, r.tool, r.Rate, r.unit, p50, p99, r.Errors, floor, ratio)
	}
	return b.String()
}
