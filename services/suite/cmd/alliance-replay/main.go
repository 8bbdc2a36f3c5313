// Command alliance-replay loads a deterministic synthetic year of the
// alliance — Chongqing 2020: 184,000 sessions, about 10 billion yuan — through
// the public gRPC API, then asks the suite for the year's overview and checks
// it against what it sent, to the fen. It reports progress, throughput, the
// size of each bbolt file and the latency of the year's reports.
//
// With -start it runs its own member-registry, session-scheduling and
// sales-reporting (from -bin) on a fresh data folder and stops them at the
// end; without it, it loads a suite that is already running.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"github.com/cqlive/alliance/services/suite/internal/proc"
	"github.com/cqlive/alliance/services/suite/replay"
	"google.golang.org/grpc"
)

type options struct {
	start        bool
	bin, data    string
	adminKeyFile string
	addrs        layout.Addrs
	scale        float64
	seed         uint64
	aovYuan      int64
	streams      int
	chunk        int
	queries      int
	restart      bool
	measure      int
}

func main() { layout.Exit("alliance-replay", run(os.Args[1:])) }

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("alliance-replay", flag.ContinueOnError)
	fs.BoolVar(&o.start, "start", false, "start the three gRPC services from -bin on -data-dir, and stop them at the end")
	fs.StringVar(&o.bin, "bin", "bin", "folder of the service binaries (with -start)")
	fs.StringVar(&o.data, "data-dir", "data/replay-2020", "data folder of the started services (with -start; must be new or empty)")
	fs.StringVar(&o.adminKeyFile, "admin-key-file", "", "admin key to send (default: <data-dir>/admin.key with -start; none otherwise)")
	fs.StringVar(&o.addrs.MemberRegistry, "member-registry-addr", "127.0.0.1:50061", "gRPC address of member-registry")
	fs.StringVar(&o.addrs.SessionScheduling, "session-scheduling-addr", "127.0.0.1:50062", "gRPC address of session-scheduling")
	fs.StringVar(&o.addrs.SalesReporting, "sales-reporting-addr", "127.0.0.1:50063", "gRPC address of sales-reporting")
	fs.Float64Var(&o.scale, "scale", 1, "share of the year's volume: 1 is 184,000 sessions, 0.01 is 1,840")
	fs.Uint64Var(&o.seed, "seed", 2020, "generator seed")
	fs.Int64Var(&o.aovYuan, "aov-yuan", 400, "average order value in yuan (about 25M lines at 400)")
	fs.IntVar(&o.streams, "streams", 4, "parallel ImportSales streams")
	fs.IntVar(&o.chunk, "chunk", 50_000, "sale lines per ImportSales stream")
	fs.IntVar(&o.queries, "queries", 200, "report calls to time after the load")
	fs.BoolVar(&o.restart, "restart", true, "with -start: restart sales-reporting on the loaded data and time its start-up to the first overview, its resident memory, and the reports again")
	fs.IntVar(&o.measure, "measure", 0, "load nothing: on the -data-dir of a finished -start replay, start the services -measure times in turn and time sales-reporting's start-up to the first overview, its resident memory and the reports, as -restart does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := replay.Default()
	cfg.Seed, cfg.Scale, cfg.AvgOrderFen = o.seed, o.scale, o.aovYuan*100
	g := replay.New(cfg)
	// A measurement loads nothing, so the generator's figures (from flags
	// it does not need) would misdescribe the folder it measures.
	if o.measure > 0 {
		fmt.Printf("alliance-replay: measuring the replay in %s, %d starts (loads nothing)\n", o.data, o.measure)
	} else {
		fmt.Printf("alliance-replay: %d ENDED sessions, target gross %.1f billion yuan, average order %d yuan, about %d sale lines\n",
			int(float64(cfg.Sessions)*cfg.Scale), float64(cfg.GrossYuan)*cfg.Scale/1e9, o.aovYuan, g.ExpectedLines())
	}

	if o.measure > 0 {
		o.start = false
		if _, err := os.Stat(filepath.Join(o.data, "sales-reporting")); err != nil {
			return fmt.Errorf("-measure needs the data folder of a finished replay: %w", err)
		}
		keys, _, _, err := layout.EnsureAuth(o.data)
		if err != nil {
			return err
		}
		if o.adminKeyFile == "" {
			o.adminKeyFile = keys.AdminKeyFile
		}
	}
	var stopSuite func()
	if o.start {
		stopAll, err := startSuite(ctx, &o)
		if err != nil {
			return err
		}
		stopSuite = stopAll
		defer func() { stopSuite() }()
	}
	var callOpts []grpc.DialOption
	if o.adminKeyFile != "" {
		// The services read an admin key file's keys one a line, and skip
		// comment lines: the replay sends the first key, not the first line.
		key, err := layout.FirstLine(o.adminKeyFile)
		if err != nil {
			return err
		}
		callOpts = append(callOpts, dial.Bearer(key))
	}
	clients, err := dial.Suite(o.addrs, grpcx.DialOptions{Timeout: 10 * time.Minute, GRPC: callOpts})
	if err != nil {
		return err
	}
	defer clients.Close()

	from, to := g.Period()
	start, end := from.Format(time.DateOnly), to.Format(time.DateOnly)
	for i := range o.measure {
		fmt.Printf("\nmeasurement %d of %d on %s\n", i+1, o.measure, o.data)
		if err := restartSales(ctx, &o, func() {}, clients.Sales, start, end); err != nil {
			return err
		}
	}
	if o.measure > 0 {
		return nil
	}

	wall := time.Now()
	res, err := replay.Load(ctx, g, clients, replay.Options{Streams: o.streams, Chunk: o.chunk, Progress: os.Stdout, Every: 10 * time.Second})
	if err != nil {
		return err
	}
	total := time.Since(wall)
	fmt.Printf("loaded in %s: members %s, sessions %s, sales %s (%d lines, %.0f lines/s; %d duplicates, %d rejected)\n",
		total.Round(time.Millisecond), res.MembersTime.Round(time.Millisecond), res.SessionsTime.Round(time.Millisecond),
		res.SalesTime.Round(time.Millisecond), res.Lines, float64(res.Lines)/res.SalesTime.Seconds(), res.Duplicates, res.Rejected)
	fmt.Printf("  traffic: %d snapshots in %s (%.0f/s)\n", res.Snapshots, res.TrafficTime.Round(time.Millisecond),
		float64(res.Snapshots)/res.TrafficTime.Seconds())
	for _, r := range res.FirstRejected {
		fmt.Println("  rejected:", r)
	}

	ov, err := clients.Sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: start, EndDate: end})
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	ok := printHeadline(res.Totals, ov, cfg.Year)
	// A listing waits for the listing indexes to cover every sale, so the
	// sizes below hold them.
	t := time.Now()
	if _, err := clients.Sales.ListSales(ctx, &salesv1.ListSalesRequest{PageSize: 1}); err != nil {
		return fmt.Errorf("list sales: %w", err)
	}
	fmt.Printf("\nlisting indexes caught up %s after the load\n", time.Since(t).Round(time.Millisecond))
	if o.start {
		printSizes(o.data, res.Lines)
	}
	timeReports(ctx, clients.Sales, start, end, o.queries)
	if o.start && o.restart {
		if err := restartSales(ctx, &o, stopSuite, clients.Sales, start, end); err != nil {
			return err
		}
	}
	if !ok || res.Rejected > 0 {
		return errors.New("the overview does not match what was sent")
	}
	return nil
}

func yuan(fen int64) string { return fmt.Sprintf("%.2f", float64(fen)/100) }

// printHeadline prints the year as the suite reports it beside what the
// generator sent, and says whether they agree exactly.
func printHeadline(want replay.Totals, ov *salesv1.AllianceOverview, year int) bool {
	rows := []struct {
		what      string
		got, sent int64
		money     bool
	}{
		{"sessions held (ENDED)", ov.GetSessionsHeld(), want.SessionsHeld, false},
		{"sessions with sales", ov.GetSessionsWithSales(), want.SessionsWithSales, false},
		{"orders", ov.GetOrders(), want.Orders, false},
		{"gross", ov.GetGross().GetMinorUnits(), want.GrossFen, true},
		{"refunds", ov.GetRefunds().GetMinorUnits(), want.RefundsFen, true},
		{"net", ov.GetNet().GetMinorUnits(), want.NetFen(), true},
	}
	fmt.Printf("\nThe alliance's %d, as GetAllianceOverview reports it:\n", year)
	ok := true
	for _, r := range rows {
		mark := "ok"
		if r.got != r.sent {
			mark, ok = "MISMATCH", false
		}
		if r.money {
			fmt.Printf("  %-22s %20s yuan   (sent %s)  %s\n", r.what, yuan(r.got), yuan(r.sent), mark)
		} else {
			fmt.Printf("  %-22s %20d        (sent %d)  %s\n", r.what, r.got, r.sent, mark)
		}
	}
	const cnyPerUSD = 6.49
	fmt.Printf("  headline: %d live-streaming sales sessions, sales of %.2f billion yuan (about %.2f billion USD at %.2f CNY/USD)\n",
		ov.GetSessionsHeld(), float64(ov.GetGross().GetMinorUnits())/1e11, float64(ov.GetGross().GetMinorUnits())/1e11/cnyPerUSD, cnyPerUSD)
	for _, d := range ov.GetTopDistricts() {
		fmt.Printf("  top district %d: %s %s, net %s yuan\n", d.GetRank(), d.GetKey(), d.GetDisplayName(), yuan(d.GetValue()))
	}
	// Traffic: the overview's GPM and conversion beside the same ratios of
	// what the generator sent (its gross over its views, its orders over
	// its viewers), with the overview's rounding.
	tot := ov.GetTotals()
	wantGPM := gpm(want.GrossFen, want.Views)
	wantConv := float64(want.Orders) / float64(max(want.Viewers, 1))
	for _, r := range []struct {
		what      string
		got, sent string
		same      bool
	}{
		{"views", fmt.Sprint(tot.GetViews()), fmt.Sprint(want.Views), tot.GetViews() == want.Views},
		{"viewers", fmt.Sprint(tot.GetViewers()), fmt.Sprint(want.Viewers), tot.GetViewers() == want.Viewers},
		{"GPM (yuan per 1,000 views)", yuan(tot.GetGpm().GetMinorUnits()), yuan(wantGPM), tot.Gpm != nil && tot.GetGpm().GetMinorUnits() == wantGPM},
		{"conversion (orders/viewer)", fmt.Sprintf("%.6f", tot.GetConversionRate()), fmt.Sprintf("%.6f", wantConv), tot.ConversionRate != nil && tot.GetConversionRate() == wantConv},
	} {
		mark := "ok"
		if !r.same {
			mark, ok = "MISMATCH", false
		}
		fmt.Printf("  %-27s %15s        (sent %s)  %s\n", r.what, r.got, r.sent, mark)
	}
	return ok
}

// gpm is gross per thousand views in fen, rounded half to even, exactly.
func gpm(grossFen, views int64) int64 {
	if views <= 0 {
		return 0
	}
	q, rem := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(grossFen), big.NewInt(1000)), big.NewInt(views), new(big.Int))
	twice := new(big.Int).Mul(rem, big.NewInt(2))
	if c := twice.Cmp(big.NewInt(views)); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

func printSizes(dataDir string, lines int64) {
	fmt.Println("\nbbolt files:")
	_ = filepath.Walk(dataDir, func(path string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, ".db") {
			fmt.Printf("  %-50s %8.1f MiB", path, float64(fi.Size())/(1<<20))
			if strings.HasSuffix(path, "sales.db") && lines > 0 {
				fmt.Printf("   %.1f bytes per sale line", float64(fi.Size())/float64(lines))
			}
			fmt.Println()
		}
		return nil
	})
}

// timeReports calls every kind of report over the year n times each and
// prints p50 and p99: the overview, the rankings, and QuerySalesReport by
// each granularity with session and product dimensions, one and two at a
// time.
func timeReports(ctx context.Context, sc salesv1.SalesReportingClient, start, end string, n int) {
	if n <= 0 {
		return
	}
	type call struct {
		name string
		do   func() error
	}
	report := func(g salesv1.Granularity, dims ...salesv1.Dimension) func() error {
		return func() error {
			_, err := sc.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: start, EndDate: end, Granularity: g, GroupBy: dims, PageSize: 1000})
			return err
		}
	}
	top := func(d salesv1.Dimension) func() error {
		return func() error {
			_, err := sc.ListTopPerformers(ctx, &salesv1.ListTopPerformersRequest{StartDate: start, EndDate: end, Dimension: d, Metric: salesv1.Metric_METRIC_NET, Limit: 10})
			return err
		}
	}
	const (
		day, month, year, total    = salesv1.Granularity_GRANULARITY_DAY, salesv1.Granularity_GRANULARITY_MONTH, salesv1.Granularity_GRANULARITY_YEAR, salesv1.Granularity_GRANULARITY_TOTAL
		district, host, platform   = salesv1.Dimension_DIMENSION_DISTRICT, salesv1.Dimension_DIMENSION_HOST, salesv1.Dimension_DIMENSION_PLATFORM
		merchant, category, origin = salesv1.Dimension_DIMENSION_MERCHANT, salesv1.Dimension_DIMENSION_CATEGORY, salesv1.Dimension_DIMENSION_ORIGIN_DISTRICT
	)
	calls := []call{
		{"GetAllianceOverview(year)", func() error {
			_, err := sc.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: start, EndDate: end})
			return err
		}},
		{"QuerySalesReport(year, MONTH x DISTRICT)", report(month, district)},
		{"QuerySalesReport(year, MONTH x PLATFORM)", report(month, platform)},
		{"QuerySalesReport(year, DAY)", report(day)},
		{"QuerySalesReport(year, TOTAL x HOST)", report(total, host)},
		{"QuerySalesReport(year, MONTH x CATEGORY)", report(month, category)},
		{"QuerySalesReport(year, MONTH x MERCHANT)", report(month, merchant)},
		{"QuerySalesReport(year, MONTH x ORIGIN_DISTRICT)", report(month, origin)},
		{"QuerySalesReport(year, DAY x CATEGORY)", report(day, category)},
		{"QuerySalesReport(year, YEAR x DISTRICT x CATEGORY)", report(year, district, category)},
		{"QuerySalesReport(year, TOTAL x MERCHANT x CATEGORY)", report(total, merchant, category)},
		{"ListTopPerformers(year, HOST by NET)", top(host)},
		{"ListTopPerformers(year, MERCHANT by NET)", top(merchant)},
	}
	fmt.Println("\nreport latency over gRPC on loopback:")
	for _, c := range calls {
		var ds []time.Duration
		for range n {
			t := time.Now()
			if err := c.do(); err != nil {
				fmt.Printf("  %s: %v\n", c.name, err)
				break
			}
			ds = append(ds, time.Since(t))
		}
		if len(ds) == 0 {
			continue
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("  %-52s p50 %8s   p99 %8s   (%d calls)\n", c.name, ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond), len(ds))
	}
}

// restartSales stops the suite, starts it again on the same data, and
// times sales-reporting from its start to its first overview (the rollups
// loaded), then prints its resident memory and the reports again.
func restartSales(ctx context.Context, o *options, stop func(), sc salesv1.SalesReportingClient, start, end string) error {
	stop()
	keys, _, _, err := layout.EnsureAuth(o.data)
	if err != nil {
		return err
	}
	procs := layout.WithAuth(layout.Procs(o.addrs, o.data, "warn"), keys)[:3]
	sink := func(l proc.Line) { fmt.Fprintf(os.Stderr, "[%s] %s\n", l.Proc, l.Text) }
	stopDeps, err := layout.Start(ctx, o.bin, procs[:2], 30*time.Second, sink)
	if err != nil {
		return err
	}
	t0 := time.Now()
	p, err := proc.Start(procs[2].Name, filepath.Join(o.bin, procs[2].Name), procs[2].Args, nil, sink)
	if err != nil {
		stopDeps()
		return err
	}
	var first time.Duration
	for {
		_, err := sc.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: start, EndDate: end})
		if err == nil {
			first = time.Since(t0)
			break
		}
		if time.Since(t0) > 2*time.Minute {
			p.Stop(10 * time.Second)
			stopDeps()
			return fmt.Errorf("no overview 2 minutes after the restart: %w", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Resident memory as the kernel counts it, split: bbolt maps sales.db,
	// so the file's pages that start-up read count as resident too (clean
	// page cache the kernel may drop), besides the heap (anonymous).
	rss := func() string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
		if err != nil {
			return err.Error()
		}
		f := map[string]string{}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				f[k] = strings.TrimSpace(v)
			}
		}
		return fmt.Sprintf("%s (anonymous %s, file %s), peak %s", f["VmRSS"], f["RssAnon"], f["RssFile"], f["VmHWM"])
	}
	fmt.Printf("\nrestart of sales-reporting on the loaded data: first overview %s after the process started (%s of CPU); resident %s\n", first.Round(time.Millisecond), cpuOf(p.Pid()), rss())
	timeReports(ctx, sc, start, end, o.queries)
	fmt.Printf("after the reports: resident %s\n", rss())
	p.Stop(30 * time.Second)
	stopDeps()
	return nil
}

// cpuOf is the CPU time (user and system) process pid has used, from
// /proc/pid/stat: on a shared machine it moves less than the wall time.
func cpuOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err.Error()
	}
	// The fields after the command's name (which may hold spaces), from
	// the third: utime and stime are the 14th and 15th, in clock ticks
	// (100 a second on Linux).
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return "?"
	}
	var ticks int64
	for _, s := range f[11:13] {
		var n int64
		fmt.Sscan(s, &n)
		ticks += n
	}
	return (time.Duration(ticks) * 10 * time.Millisecond).String()
}

// startSuite starts the three gRPC services on o.data with one admin key
// and one service secret, and returns how to stop them.
func startSuite(ctx context.Context, o *options) (func(), error) {
	if entries, err := os.ReadDir(o.data); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty: the replay loads a fresh alliance (remove it, or pick another -data-dir)", o.data)
	}
	keys, _, _, err := layout.EnsureAuth(o.data)
	if err != nil {
		return nil, err
	}
	if o.adminKeyFile == "" {
		o.adminKeyFile = keys.AdminKeyFile
	}
	return layout.StartGRPC(ctx, o.bin, layout.WithAuth(layout.Procs(o.addrs, o.data, "warn"), keys), 30*time.Second,
		func(l proc.Line) { fmt.Fprintf(os.Stderr, "[%s] %s\n", l.Proc, l.Text) })
}
