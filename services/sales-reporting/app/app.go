// Package app assembles sales reporting: configuration, store, report
// engine, clients of its two dependencies, and the gRPC server.
// cmd/sales-reporting runs it; tests and benchmarks use New to run a real
// service on loopback.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/rpc"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
	"github.com/cqlive/alliance/services/sales-reporting/internal/upstream"
	"golang.org/x/text/currency"
	"google.golang.org/grpc"
)

// Config of sales reporting.
type Config struct {
	// Address, data folder, log level, timeouts, keys and TLS. With a
	// ServiceSecret, calls to the other services carry this service's token.
	service.Config
	MemberRegistryAddr    string
	SessionSchedulingAddr string
	// TimeZone buckets days and periods (IANA name).
	TimeZone string
	// Currency is the one reporting currency (ISO 4217).
	Currency string
	// DependencyTimeout bounds each call to the other services.
	DependencyTimeout time.Duration
	// ImportPatience is how long an import retries a dependency that is
	// slow or down before it refuses the lines concerned (UNAVAILABLE).
	ImportPatience time.Duration
	// Now is the clock of the ingestion rules (tests set it); nil is time.Now.
	Now func() time.Time
}

// Spec names sales reporting for kit/service: its flags' variables, default
// port, gRPC service (its health status too) and bbolt file.
var Spec = service.Spec{Name: "sales-reporting", EnvPrefix: "SALES_REPORTING", GRPCService: salesv1.SalesReporting_ServiceDesc.ServiceName, DefaultAddr: ":50053",
	DefaultAdminAddr: ":9103", DBFile: "sales.db", SchemaVersion: store.Schema.Version}

// BindFlags defines the flags (and their SALES_REPORTING_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := c.Config.BindFlags(fs, Spec)
	s.String(&c.MemberRegistryAddr, "member-registry-addr", "localhost:50051", "member registry gRPC address")
	s.String(&c.SessionSchedulingAddr, "session-scheduling-addr", "localhost:50052", "session scheduling gRPC address")
	s.String(&c.TimeZone, "time-zone", service.DefaultTimeZone, "alliance time zone: days and report periods are calendar days here")
	s.String(&c.Currency, "currency", "CNY", "the reporting currency; sales in any other are refused")
	s.Duration(&c.DependencyTimeout, "dependency-timeout", 3*time.Second, "deadline of each call to member registry and session scheduling")
	s.Duration(&c.ImportPatience, "import-patience", 30*time.Second, "how long an import retries a slow or unavailable dependency before it refuses the lines concerned (never past the stream's deadline)")
	return s
}

// New opens the store, loads the rollups into the report engine, starts
// the group commit of ingestion and returns a ready server; Serve runs it, and stopping
// it drains the queued commits and closes the store.
func New(c Config, log *slog.Logger) (*grpcx.Server, error) {
	if c.Currency == "" {
		c.Currency = "CNY"
	}
	if u, err := currency.ParseISO(c.Currency); err != nil || u.String() != c.Currency {
		return nil, fmt.Errorf("currency %q: the reporting currency must be an ISO 4217 code in capitals, such as CNY", c.Currency)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	loc, err := service.LoadZone(c.TimeZone)
	if err != nil {
		return nil, err
	}
	b := service.Start(c.Config, Spec, log)
	defer b.Abort()
	// Closers run in reverse: queued commits drain, then the connections
	// close, then the indexer stops, then the store closes.
	st, key, err := service.OpenStore(b, openStore)
	if err != nil {
		return nil, err
	}
	if n, sales := st.Replayed(); n > 0 {
		// Only an unclean stop leaves entries behind (Close empties the log).
		log.Warn("replayed the write-ahead log after an unclean stop", "file", b.DBPath(), "entries", n, "sales", sales)
	}
	engine, err := loadEngine(st, loc, log)
	if err != nil {
		return nil, err
	}
	// Registered before the indexer's closer, so it runs after it: Close
	// writes the image after the store's last commit (see store/image.go).
	st.WriteImageOnClose(engine.WriteImage, func(path string, err error) {
		if err != nil {
			log.Warn("the report engine's image was not written; the next start loads sales.db in full", "file", path, "err", err)
			return
		}
		log.Info("wrote the report engine's image for the next start", "file", path)
	})
	watchEngine(b.Metrics, engine, c.Now)
	stopIndexer, indexerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(indexerDone)
		st.RunIndexer(stopIndexer, 250*time.Millisecond, func(err error) { log.Error("indexing sales", "err", err) })
	}()
	b.OnClose(func() error { close(stopIndexer); <-indexerDone; return nil })
	// Attribution and display names are looked up as this service.
	schedConn, err := b.Dial("session scheduling", c.SessionSchedulingAddr, c.DependencyTimeout)
	if err != nil {
		return nil, err
	}
	regConn, err := b.Dial("member registry", c.MemberRegistryAddr, c.DependencyTimeout)
	if err != nil {
		return nil, err
	}
	client := upstream.New(schedConn, regConn, c.DependencyTimeout)
	svc := ingest.NewService(st, client, engine, ingest.Config{Currency: c.Currency, Location: loc, Now: c.Now,
		DependencyTimeout: c.DependencyTimeout, ImportPatience: c.ImportPatience})
	b.OnClose(svc.Close)

	// Calls run on goroutines that stay instead of a new goroutine per
	// call, whose stack a write's call path grew again each time (7% of
	// RecordSale's CPU while the collector, which shrinks idle stacks, ran
	// every hundred calls; see settleGC).
	b.GRPCServer = append(b.GRPCServer, grpc.NumStreamWorkers(streamWorkers))
	return b.Serve(b.RegistryKeys(regConn), rpc.Policy, func(s *grpc.Server) {
		srv := rpc.New(svc, engine, upstream.NewNames(client, c.Now), client, page.NewCodec(key), c.Currency)
		srv.Meters = rpc.NewMeters(b.Metrics)
		srv.OnImport = importGC
		salesv1.RegisterSalesReportingServer(s, srv)
		warm, stopWarm := context.WithCancel(context.Background())
		b.OnClose(func() error { stopWarm(); return nil })
		go srv.WarmNames(warm)
	})
}

// openStore is store.Open without options, as service.OpenStore opens it.
func openStore(path string, o boltdb.Options) (*store.Store, error) { return store.Open(path, o) }

// streamWorkers is how many goroutines serve calls: more than the
// writers waiting for their commit at once under load (64 in the
// benchmarks), beyond which gRPC starts a goroutine for a call as usual.
const streamWorkers = 256

// loadEngine makes the report engine and loads the store's rollups and
// traffic into it. Start-up is mostly this load, and the garbage
// collector, which would trace the growing engine again and again, is held
// back until the heap reaches a bound sized from the number of cells (see
// loadGC). Then the engine gives back what appending left unused, the
// load's garbage is returned to the system, and the file's pages that the
// load read are dropped from the resident set: the reports read the
// engine, not the file.
func loadEngine(st *store.Store, loc *time.Location, log *slog.Logger) (*report.Engine, error) {
	start := time.Now()
	engine, err := imageEngine(st, loc)
	if err == nil {
		// Nothing of sales.db was read since Open, which dropped the pages
		// its dictionary brought in.
		log.Info("read the report engine from its image", "file", st.ImagePath(), "took", time.Since(start).Round(time.Millisecond).String())
		return engine, nil
	}
	// Never fatal: the image is a cache of sales.db.
	level := slog.LevelWarn
	if errors.Is(err, store.ErrNoImage) {
		level = slog.LevelInfo // an unclean stop, a first start, a restore
	}
	log.Log(context.Background(), level, "loading the report engine from sales.db in full", "why", err)
	engine = report.New(loc)
	n, err := st.CellCount()
	if err != nil {
		return nil, fmt.Errorf("count rollups: %w", err)
	}
	restore := loadGC(loadGCLimit(n))
	// The traffic snapshots are read and decoded beside the cells' load,
	// on the core the cells' merge leaves mostly idle, and merged after it.
	type snapshots struct {
		all []report.Traffic
		err error
	}
	traffic := make(chan snapshots, 1)
	go func() {
		var t snapshots
		t.err = st.ForEachLatestMetrics(func(m *ingest.SessionMetrics) error {
			t.all = append(t.all, ingest.TrafficOf(m, loc))
			return nil
		})
		traffic <- t
	}()
	err = st.Cells(engine.Load)
	t := <-traffic
	switch {
	case err != nil:
		err = fmt.Errorf("load rollups: %w", err)
	case t.err != nil:
		err = fmt.Errorf("load traffic: %w", t.err)
	default:
		engine.ApplyTraffic(t.all)
	}
	t.all = nil
	restore()
	if err != nil {
		return nil, err
	}
	engine.Compact()
	debug.FreeOSMemory()
	settleGC()
	if err := st.DropMappedPages(); err != nil {
		log.Warn("dropping the file's mapped pages after the load", "err", err)
	}
	return engine, nil
}

// imageEngine reads the engine from the image a clean stop wrote, when one
// covers sales.db as it is (see store/image.go). The image holds the
// engine as it was, compacted; the collector waits, as for the full load.
func imageEngine(st *store.Store, loc *time.Location) (*report.Engine, error) {
	var engine *report.Engine
	err := st.ReadImage(func(r io.ReaderAt, size int64, stamp []byte) error {
		restore := loadGC(max(1<<30, 2*size))
		defer restore()
		var err error
		engine, err = report.ReadImage(r, size, loc, stamp)
		return err
	})
	if err != nil {
		return nil, err
	}
	// As after the full load: the collector has not run since the image
	// was read, so the live heap it last measured is the store's opening,
	// a few MB, which would settle GOGC at its ceiling with 0.5 GB live.
	debug.FreeOSMemory()
	settleGC()
	return engine, nil
}

// loadGCLimit is the heap the collector lets the load of n cells reach
// before it runs: at least 1 GiB, and twice what the engine takes per
// cell (about 300 bytes at the 2020 replay's size), so that the collector
// runs a few times during a load and never over and over.
func loadGCLimit(n int) int64 {
	return max(1<<30, int64(n)*600)
}

// loadGC turns the garbage collector off but for a memory limit (limit, or
// the process's own GOMEMLIMIT when lower), and returns how to restore
// both. The settings are the process's: loads that overlap (servers
// started side by side in one process, as tests do) share them, the first
// saves them and the last restores them.
func loadGC(limit int64) (restore func()) {
	s := &gcState
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loads == 0 {
		s.limit = debug.SetMemoryLimit(-1)
		s.pct = debug.SetGCPercent(-1)
	}
	s.loads++
	debug.SetMemoryLimit(min(s.limit, limit))
	return sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.loads--; s.loads == 0 {
			debug.SetGCPercent(s.pct)
			debug.SetMemoryLimit(s.limit)
		}
	})
}

// gcState is what loadGC saved while loads run.
var gcState gcStateT

type gcStateT struct {
	mu    sync.Mutex
	loads int
	pct   int
	limit int64
	// followed is the GOGC followLiveHeap set last: if someone else set
	// another since, it stops.
	followed  int
	following bool
	// imports is how many imports run (importGC).
	imports int
}

// percentFor is the settled GOGC for a live heap of live bytes: with
// importHeadroom while an import runs, else minHeadroom.
func (s *gcStateT) percentFor(live uint64) int {
	if s.imports > 0 {
		return percentWith(live, importHeadroom)
	}
	return settledPercentFor(live)
}

// importHeadroom is how much the heap may grow over what is live, at
// least, while an import runs. An import allocates some 2 KB a line that
// it drops within a commit or two; with minHeadroom the collector ran
// every 35,000 lines of an import into a fresh store (55 times for a
// million lines, a fifth of the service's CPU, and its write barriers on
// a good part of the time), each marking the same live heap again. Four
// times the headroom marks it a quarter as often. It is headroom over
// what is live, so the year's store, whose 40% is about as much, holds
// about what it did (target 6's bound is for the store at rest).
const importHeadroom = 256 << 20

// importGC widens the collector's headroom to importHeadroom until done
// is called, for an import (rpc.Server.OnImport); imports that overlap
// share it, and the last one's end narrows it again. It changes nothing
// where settleGC does not follow the live heap (GOGC or GOMEMLIMIT set,
// or another setting made since).
func importGC() (done func()) {
	s := &gcState
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imports++
	if s.imports == 1 {
		s.refollow()
	}
	return sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.imports--; s.imports == 0 {
			s.refollow()
		}
	})
}

// refollow sets the settled GOGC again from the last live heap, when the
// collector still follows it (s.mu held).
func (s *gcStateT) refollow() {
	if !s.following {
		return
	}
	s.follow(s.percentFor(liveHeap()))
}

// follow makes pct the settled GOGC, the one a running load restores at
// its end or the collector's own, and reports false, changing nothing,
// when the one followed last is no longer in place: someone else set
// another (s.mu held).
func (s *gcStateT) follow(pct int) bool {
	switch {
	case s.loads > 0 && s.pct != s.followed, s.loads == 0 && readMetric("/gc/gogc:percent") != uint64(s.followed):
		return false
	case s.loads > 0:
		s.pct = pct // the load's end restores it
	default:
		debug.SetGCPercent(pct)
	}
	s.followed = pct
	return true
}

// settleGC makes the collector run when the heap has grown 40% over what
// is live (GOGC=40), once the engine is loaded, unless GOGC or GOMEMLIMIT
// says otherwise. With the default 100 the heap grows to twice what is
// live before the collector runs, and the engine is most of what is live:
// the replay's year would hold 1.1 GB where 0.6 GB are in use. A
// percentage follows the live heap as sales arrive for months; a memory
// limit fixed at start would not, and a live heap grown near it would
// keep the collector running (up to half the CPU) until the next start.
//
// Below 160 MiB live, 40% is less than minHeadroom: there the heap may
// grow by minHeadroom instead, so that a small store's collector does not
// run every hundred writes (on a fresh store, 8 MB live, GOGC=40 collected
// every 3 MB allocated: a fifth of RecordSale's CPU). The percentage is set
// again after every collection (followLiveHeap), so it falls back to 40
// as the store grows.
func settleGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	s := &gcState
	s.mu.Lock()
	defer s.mu.Unlock()
	pct := s.percentFor(liveHeap())
	s.followed = pct
	if s.loads > 0 {
		s.pct = pct // another load restores it when it ends
	} else {
		debug.SetGCPercent(pct)
	}
	if !s.following {
		s.following = true
		followLiveHeap(new(gcSentinel))
	}
}

// settledPercent is the GOGC that settleGC sets once the live heap is
// over minHeadroom*100/settledPercent.
const settledPercent = 40

// minHeadroom is how much the heap may grow over what is live before the
// collector runs, at least.
const minHeadroom = 64 << 20

// settledPercentFor is the GOGC for a live heap of live bytes.
func settledPercentFor(live uint64) int { return percentWith(live, minHeadroom) }

// percentWith is the GOGC that lets a live heap of live bytes grow by
// settledPercent, or by headroom bytes when that is more.
func percentWith(live, headroom uint64) int {
	if live == 0 {
		return settledPercent
	}
	return max(settledPercent, int(min((headroom*100+live-1)/live, 1000)))
}

// gcSentinel is garbage on purpose: its cleanup runs after a collection.
type gcSentinel struct{ _ *int }

// followLiveHeap sets the settled GOGC after each collection, from the
// heap that collection found live (while a load has the collector, the
// one its end restores), until someone else sets another.
func followLiveHeap(g *gcSentinel) {
	runtime.AddCleanup(g, func(struct{}) {
		s := &gcState
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.follow(s.percentFor(liveHeap())) {
			s.following = false
			return
		}
		followLiveHeap(new(gcSentinel))
	}, struct{}{})
}

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 { return readMetric("/gc/heap/live:bytes") }

func readMetric(name string) uint64 {
	m := []metrics.Sample{{Name: name}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	return service.Main(args, Spec, &c.Config, c.BindFlags, func(log *slog.Logger) (*grpcx.Server, error) { return New(c, log) })
}
