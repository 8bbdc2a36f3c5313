// Package app assembles sales reporting: configuration, store, report
// engine, clients of its two dependencies, and the gRPC server.
// cmd/sales-reporting runs it; tests and benchmarks use New to run a real
// service on loopback.
package app

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/runner"
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
	GRPCAddr              string
	DataDir               string
	MemberRegistryAddr    string
	SessionSchedulingAddr string
	// TimeZone buckets days and periods (IANA name).
	TimeZone string
	// Currency is the one reporting currency (ISO 4217).
	Currency        string
	LogLevel        string
	ShutdownTimeout time.Duration
	LockTimeout     time.Duration
	// DependencyTimeout bounds each call to the other services.
	DependencyTimeout time.Duration
	// ImportPatience is how long an import retries a dependency that is
	// slow or down before it refuses the lines concerned (UNAVAILABLE).
	ImportPatience time.Duration
	// Now is the clock of the ingestion rules (tests set it); nil is time.Now.
	Now func() time.Time
	// Keys and TLS (see auth.Security). With a ServiceSecret, calls to the
	// other services carry this service's token.
	auth.Security
	// Extra interceptors and server options (authentication, TLS).
	Unary      []grpc.UnaryServerInterceptor
	Stream     []grpc.StreamServerInterceptor
	GRPCServer []grpc.ServerOption
}

// DBFile is the name of the bbolt file inside the data folder.
const DBFile = "sales.db"

// ServiceName is the gRPC service, also used for its health status.
const ServiceName = "alliance.sales.v1.SalesReporting"

// BindFlags defines the flags (and their SALES_REPORTING_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := config.New(fs, "SALES_REPORTING")
	s.String(&c.GRPCAddr, "grpc-addr", ":50053", "gRPC listen address")
	s.String(&c.DataDir, "data-dir", "data", "folder of sales.db")
	s.String(&c.MemberRegistryAddr, "member-registry-addr", "localhost:50051", "member registry gRPC address")
	s.String(&c.SessionSchedulingAddr, "session-scheduling-addr", "localhost:50052", "session scheduling gRPC address")
	s.String(&c.TimeZone, "time-zone", "Asia/Shanghai", "alliance time zone: days and report periods are calendar days here")
	s.String(&c.Currency, "currency", "CNY", "the reporting currency; sales in any other are refused")
	s.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight calls")
	s.Duration(&c.LockTimeout, "lock-timeout", 2*time.Second, "how long to wait for the data file's lock")
	s.Duration(&c.DependencyTimeout, "dependency-timeout", 3*time.Second, "deadline of each call to member registry and session scheduling")
	s.Duration(&c.ImportPatience, "import-patience", 30*time.Second, "how long an import retries a slow or unavailable dependency before it refuses the lines concerned (never past the stream's deadline)")
	c.Security.BindFlags(s)
	return s
}

// New opens the store, loads the rollups into the report engine, starts
// the commit loop and returns a ready server; Serve runs it, and stopping
// it drains the commit loop and closes the store.
func New(c Config, log *slog.Logger) (*grpcx.Server, error) {
	if c.TimeZone == "" {
		c.TimeZone = "Asia/Shanghai"
	}
	if c.Currency == "" {
		c.Currency = "CNY"
	}
	if u, err := currency.ParseISO(c.Currency); err != nil || u.String() != c.Currency {
		return nil, fmt.Errorf("currency %q: the reporting currency must be an ISO 4217 code in capitals, such as CNY", c.Currency)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", c.TimeZone, err)
	}
	st, err := store.Open(filepath.Join(c.DataDir, DBFile), boltdb.Options{LockTimeout: c.LockTimeout})
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			_ = st.Close()
		}
	}()
	key, err := boltdb.Secret(st.DB, "page-token")
	if err != nil {
		return nil, err
	}
	engine := report.New(loc)
	if err := st.Cells(engine.Load); err != nil {
		return nil, fmt.Errorf("load rollups: %w", err)
	}
	// Attribution and display names are looked up as this service.
	clientOpts, err := auth.ClientOptions("sales-reporting", c.ServiceSecret, c.TLS)
	if err != nil {
		return nil, err
	}
	dial := grpcx.DialOptions{Timeout: c.DependencyTimeout, GRPC: clientOpts}
	schedConn, err := grpcx.Dial(c.SessionSchedulingAddr, dial)
	if err != nil {
		return nil, fmt.Errorf("session scheduling at %s: %w", c.SessionSchedulingAddr, err)
	}
	regConn, err := grpcx.Dial(c.MemberRegistryAddr, dial)
	if err != nil {
		_ = schedConn.Close()
		return nil, fmt.Errorf("member registry at %s: %w", c.MemberRegistryAddr, err)
	}
	client := upstream.New(schedConn, regConn, c.DependencyTimeout, log)
	svc := ingest.NewService(st, client, engine, ingest.Config{Currency: c.Currency, Location: loc, Now: c.Now,
		DependencyTimeout: c.DependencyTimeout, ImportPatience: c.ImportPatience})

	keys := &auth.RemoteMemberKeys{Registry: memberv1.NewMemberRegistryClient(regConn), TTL: c.KeyCacheTTL}
	unary, stream, tlsOpts, err := c.Security.Server(keys, rpc.Policy, c.Unary, c.Stream)
	if err != nil {
		return nil, err
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: ServiceName, Logger: log, ShutdownTimeout: c.ShutdownTimeout,
		Unary: unary, Stream: stream, GRPC: append(tlsOpts, c.GRPCServer...),
	})
	salesv1.RegisterSalesReportingServer(srv.GRPC, rpc.New(svc, engine, upstream.NewNames(client, c.Now), client, page.NewCodec(key), c.Currency))
	stopIndexer, indexerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(indexerDone)
		st.RunIndexer(stopIndexer, 250*time.Millisecond, func(err error) { log.Error("indexing sales", "err", err) })
	}()
	// Closers run in reverse: the commit loop drains, then the indexer
	// stops, then the store closes.
	srv.OnClose(st.Close)
	srv.OnClose(func() error { close(stopIndexer); <-indexerDone; return nil })
	srv.OnClose(func() error { return errors.Join(schedConn.Close(), regConn.Close()) })
	srv.OnClose(svc.Close)
	ok = true
	return srv, nil
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	fs := flag.NewFlagSet("sales-reporting", flag.ContinueOnError)
	if err := c.BindFlags(fs).Parse(args); err != nil {
		return err
	}
	log := runner.Logger("sales-reporting", c.LogLevel)
	// Every call is authenticated; without key files the first start makes
	// them in the data folder (see auth.Flags.Load).
	var err error
	if err = c.Security.Load(c.DataDir, log); err != nil {
		return err
	}
	srv, err := New(c, log)
	if err != nil {
		return err
	}
	return runner.Serve(srv, c.GRPCAddr)
}
