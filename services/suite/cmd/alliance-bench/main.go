// Command alliance-bench measures the suite's write paths against real
// processes, each as a ratio to a floor measured in the same run on the
// same machine: the empty RPC (grpc.health.v1.Health/Check) for calls, and
// the disk's fsync rate for durable ingestion. It starts member-registry,
// session-scheduling and sales-reporting from -bin on a fresh temporary
// folder (with API keys on, as in production), and stops them at the end.
// The results are printed as Markdown and written to -out.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type options struct {
	bin, out string
	n, c     int
	lines    int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin", "folder of the service binaries and ghz")
	flag.StringVar(&o.out, "out", "", "also write the Markdown results to this file")
	flag.IntVar(&o.n, "n", 20_000, "calls per measurement")
	flag.IntVar(&o.c, "c", 64, "concurrent clients")
	flag.IntVar(&o.lines, "lines", 200_000, "sale lines per ImportSales measurement")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "alliance-bench:", err)
		os.Exit(1)
	}
}

type row struct {
	what, tool string
	rate       float64 // per second
	unit       string
	p50, p99   time.Duration
	floor      string
	floorRate  float64
	errors     int64
}

func run(o options) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "alliance-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addrs := layout.Addrs{MemberRegistry: layout.FreeAddr(), SessionScheduling: layout.FreeAddr(), SalesReporting: layout.FreeAddr()}
	keys, key, _, err := layout.EnsureAuth(dir)
	if err != nil {
		return err
	}
	stop, err := layout.StartGRPC(ctx, o.bin, layout.WithAuth(layout.Procs(addrs, dir, "warn"), keys), 20*time.Second,
		func(l proc.Line) { fmt.Fprintf(os.Stderr, "[%s] %s\n", l.Proc, l.Text) })
	if err != nil {
		return err
	}
	defer stop()

	creds := grpc.WithPerRPCCredentials(auth.PerRPCToken{Token: key, Insecure: true})
	conn := func(addr string) *grpc.ClientConn {
		cc, err := grpcx.Dial(addr, grpcx.DialOptions{Timeout: time.Minute, GRPC: []grpc.DialOption{creds}})
		if err != nil {
			panic(err)
		}
		return cc
	}
	mc := memberv1.NewMemberRegistryClient(conn(addrs.MemberRegistry))
	schedConn := conn(addrs.SessionScheduling)
	sc := sessionv1.NewSessionSchedulerClient(schedConn)
	salesConn := conn(addrs.SalesReporting)
	slc := salesv1.NewSalesReportingClient(salesConn)
	live, err := seed(ctx, mc, sc, o.c)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	var rows []row
	md := fmt.Sprintf(`{"authorization":"Bearer %s"}`, key)
	ghz := func(what, addr, method, data string) (row, error) {
		return runGhz(filepath.Join(o.bin, "ghz"), what, addr, method, data, md, o.n, o.c)
	}

	// Floors.
	fsync, err := fsyncRate(dir)
	if err != nil {
		return err
	}
	rows = append(rows, row{what: "bbolt commit with fsync (one put)", tool: "Go", rate: fsync, unit: "commits/s"})
	healthSales, err := ghz("Health/Check on sales-reporting", addrs.SalesReporting, "grpc.health.v1.Health.Check", `{}`)
	if err != nil {
		return err
	}
	healthReg, err := ghz("Health/Check on member-registry", addrs.MemberRegistry, "grpc.health.v1.Health.Check", `{}`)
	if err != nil {
		return err
	}
	rows = append(rows, healthSales, healthReg)

	// Writes over ghz.
	sale := fmt.Sprintf(`{"sale":{"session":%q,"product":"members/bench-merchant/products/tea","kind":"SALE_KIND_ORDER","quantity":1,`+
		`"amount":{"currency_code":"CNY","minor_units":12800},"platform":"PLATFORM_DOUYIN","external_id":"bench-{{.UUID}}","event_time":%q}}`,
		live.GetName(), live.GetActualStartTime().AsTime().Add(time.Second).Format(time.RFC3339))
	rs, err := ghz("RecordSale", addrs.SalesReporting, "alliance.sales.v1.SalesReporting.RecordSale", sale)
	if err != nil {
		return err
	}
	rs.floor, rs.floorRate = "Health/Check on sales-reporting", healthSales.rate
	cm, err := ghz("CreateMember", addrs.MemberRegistry, "alliance.member.v1.MemberRegistry.CreateMember",
		`{"member":{"kind":"MEMBER_KIND_HOST","display_name":"主播 {{.RequestNumber}}","district":"banan"}}`)
	if err != nil {
		return err
	}
	cm.floor, cm.floorRate = "Health/Check on member-registry", healthReg.rate
	rows = append(rows, rs, cm)

	// CreateSession needs a free slot per call, which ghz's templates cannot
	// compute: a Go client with the same concurrency, against its own floor.
	hc := healthpb.NewHealthClient(schedConn)
	schedFloor := load("Health/Check on session-scheduling", o.c, o.n, func(w, i int) error {
		_, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	start := time.Now().Add(time.Hour).Truncate(time.Hour)
	cs := load("CreateSession", o.c, o.n, func(w, i int) error {
		at := start.Add(time.Duration(i) * 30 * time.Minute)
		_, err := sc.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: &sessionv1.Session{
			Title: "bench", Host: fmt.Sprintf("members/bench-host-%02d", w), Studio: fmt.Sprintf("members/bench-base/studios/s%02d", w),
			Platform: typev1.Platform_PLATFORM_DOUYIN, StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(15 * time.Minute)),
		}})
		return err
	})
	cs.floor, cs.floorRate = schedFloor.what, schedFloor.rate
	rows = append(rows, schedFloor, cs)

	// ImportSales: durable lines per second over one stream and over four.
	for _, streams := range []int{1, 4} {
		r, err := importRate(ctx, slc, live, streams, o.lines)
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

// seed makes a base with one studio per client, one host per client, a
// merchant with a product, and a LIVE session to record sales against.
func seed(ctx context.Context, mc memberv1.MemberRegistryClient, sc sessionv1.SessionSchedulerClient, clients int) (*sessionv1.Session, error) {
	base := &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "压测基地", District: "jiulongpo"}
	for i := range clients + 1 {
		base.Studios = append(base.Studios, &memberv1.Studio{StudioId: fmt.Sprintf("s%02d", i), DisplayName: "直播间"})
	}
	if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "bench-base", Member: base}); err != nil {
		return nil, err
	}
	for i := range clients + 1 {
		if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: fmt.Sprintf("bench-host-%02d", i),
			Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "主播", District: "banan"}}); err != nil {
			return nil, err
		}
	}
	if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "bench-merchant",
		Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "茶园", District: "banan"}}); err != nil {
		return nil, err
	}
	if _, err := mc.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/bench-merchant", ProductId: "tea",
		Product: &memberv1.Product{DisplayName: "巴南银针", Category: "tea", OriginDistrict: "banan", ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 12800}}}); err != nil {
		return nil, err
	}
	at := time.Now().Add(5 * time.Minute)
	s, err := sc.CreateSession(ctx, &sessionv1.CreateSessionRequest{SessionId: "bench-live", Session: &sessionv1.Session{
		Title: "压测直播", Host: fmt.Sprintf("members/bench-host-%02d", clients), Studio: fmt.Sprintf("members/bench-base/studios/s%02d", clients),
		Merchants: []string{"members/bench-merchant"}, Platform: typev1.Platform_PLATFORM_DOUYIN,
		StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(12 * time.Hour)),
	}})
	if err != nil {
		return nil, err
	}
	return sc.StartSession(ctx, &sessionv1.StartSessionRequest{Name: s.GetName()})
}

// ghzReport is the part of ghz's JSON report that is used here.
type ghzReport struct {
	Count   int64   `json:"count"`
	Rps     float64 `json:"rps"`
	Latency []struct {
		Percentage int   `json:"percentage"`
		Latency    int64 `json:"latency"`
	} `json:"latencyDistribution"`
	Status map[string]int64 `json:"statusCodeDistribution"`
}

func runGhz(ghz, what, addr, method, data, md string, n, c int) (row, error) {
	cmd := exec.Command(ghz, "--insecure", "--call", method, "-d", data, "-m", md, "--reflect-metadata", md,
		"-c", fmt.Sprint(c), "-n", fmt.Sprint(n), "-O", "json", addr)
	out, err := cmd.Output()
	if err != nil {
		return row{}, fmt.Errorf("ghz %s: %w", what, err)
	}
	var r ghzReport
	if err := json.Unmarshal(out, &r); err != nil {
		return row{}, fmt.Errorf("ghz %s: %w", what, err)
	}
	res := row{what: what, tool: "ghz", rate: r.Rps, unit: "calls/s"}
	for _, l := range r.Latency {
		switch l.Percentage {
		case 50:
			res.p50 = time.Duration(l.Latency)
		case 99:
			res.p99 = time.Duration(l.Latency)
		}
	}
	for code, k := range r.Status {
		if code != "OK" {
			res.errors += k
		}
	}
	if res.errors > 0 {
		fmt.Fprintf(os.Stderr, "ghz %s: status codes %v\n", what, r.Status)
	}
	return res, nil
}

// load runs n calls over c workers and measures calls/s and latency.
func load(what string, c, n int, call func(worker, i int) error) row {
	var next, errs atomic.Int64
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if next.Add(1) > int64(n) {
					return
				}
				t := time.Now()
				if err := call(w, i); err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
					}
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return row{what: what, tool: "Go client", rate: float64(n) / elapsed.Seconds(), unit: "calls/s",
		p50: all[len(all)/2], p99: all[len(all)*99/100], errors: errs.Load()}
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				st, err := slc.ImportSales(ctx)
				if err != nil {
					return err
				}
				for i := range per {
					if err := st.Send(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{
						Session: live.GetName(), Product: "members/bench-merchant/products/tea", Kind: salesv1.SaleKind_SALE_KIND_ORDER,
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
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return row{}, fmt.Errorf("import: %w", firstErr)
	}
	elapsed := time.Since(start)
	return row{what: fmt.Sprintf("ImportSales, %d stream(s), %d lines", streams, per*streams), tool: "Go client",
		rate: float64(accepted.Load()) / elapsed.Seconds(), unit: "lines/s"}, nil
}

func render(rows []row, o options) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Measured %s on %s: %d cores, %s, %s/%s. %d concurrent clients, %d calls per measurement.\n\n",
		time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, o.c, o.n)
	b.WriteString("| measurement | tool | rate | p50 | p99 | errors | floor | ratio to floor |\n|---|---|---:|---:|---:|---:|---|---:|\n")
	for _, r := range rows {
		ratio, p50, p99 := "", "", ""
		if r.floorRate > 0 {
			ratio = fmt.Sprintf("%.2f×", r.rate/r.floorRate)
		}
		if r.p50 > 0 {
			p50, p99 = r.p50.Round(10*time.Microsecond).String(), r.p99.Round(10*time.Microsecond).String()
		}
		floor := r.floor
		if floor == "" {
			floor = "(is a floor)"
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f %s | %s | %s | %d | %s | %s |\n", r.what, r.tool, r.rate, r.unit, p50, p99, r.errors, floor, ratio)
	}
	return b.String()
}
