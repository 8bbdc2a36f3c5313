// Package app assembles the session scheduler: configuration, store, the
// member-registry client, rules and gRPC server. cmd/session-scheduling
// runs it; other services' tests use New to run a real scheduler on loopback.
package app

import (
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/runner"
	"github.com/cqlive/alliance/services/session-scheduling/internal/rpc"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store"
	"github.com/cqlive/alliance/services/session-scheduling/internal/upstream"
	"google.golang.org/grpc"
)

// Config of the session scheduler.
type Config struct {
	GRPCAddr           string
	DataDir            string
	MemberRegistryAddr string
	// Booking rules: the studio changeover buffer, the shortest and longest
	// session, how far in the past a new session may start, and how far
	// ahead (the booking horizon).
	ChangeoverBuffer time.Duration
	MinLength        time.Duration
	MaxLength        time.Duration
	StartLeeway      time.Duration
	BookingHorizon   time.Duration
	ShutdownTimeout  time.Duration
	LockTimeout      time.Duration
	// RegistryTimeout bounds each call to the member registry.
	RegistryTimeout time.Duration
	LogLevel        string
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
	// Keys and TLS (see auth.Security).
	auth.Security
	// Extra interceptors and server options.
	Unary      []grpc.UnaryServerInterceptor
	Stream     []grpc.StreamServerInterceptor
	GRPCServer []grpc.ServerOption
}

// DBFile is the name of the bbolt file inside the data folder.
const DBFile = "session.db"

// ServiceName is the gRPC service, also used for its health status.
const ServiceName = "alliance.session.v1.SessionScheduler"

// BindFlags defines the scheduler's flags (and their SESSION_SCHEDULING_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := config.New(fs, "SESSION_SCHEDULING")
	d := scheduling.DefaultRules
	s.String(&c.GRPCAddr, "grpc-addr", ":50052", "gRPC listen address")
	s.String(&c.DataDir, "data-dir", "data", "folder of session.db")
	s.String(&c.MemberRegistryAddr, "member-registry-addr", "localhost:50051", "gRPC address of member-registry")
	s.Duration(&c.ChangeoverBuffer, "changeover-buffer", d.ChangeoverBuffer, "least time between two sessions of one studio")
	s.Duration(&c.MinLength, "min-length", d.MinLength, "shortest session")
	s.Duration(&c.MaxLength, "max-length", d.MaxLength, "longest session")
	s.Duration(&c.StartLeeway, "start-leeway", d.StartLeeway, "how far in the past a new session may start")
	s.Duration(&c.BookingHorizon, "booking-horizon", d.Horizon, "how far ahead of now a session may start (also the latest start of an imported one)")
	s.Duration(&c.RegistryTimeout, "registry-timeout", 3*time.Second, "deadline of each call to member-registry")
	s.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight calls")
	s.Duration(&c.LockTimeout, "lock-timeout", 2*time.Second, "how long to wait for the data file's lock")
	c.Security.BindFlags(s)
	return s
}

// rules takes the configured limits; zero values fall back to the defaults,
// so a Config built in a test needs to set only what it changes.
func (c Config) rules() (scheduling.Rules, error) {
	r := scheduling.DefaultRules
	if c.ChangeoverBuffer > 0 {
		r.ChangeoverBuffer = c.ChangeoverBuffer
	}
	if c.MinLength > 0 {
		r.MinLength = c.MinLength
	}
	if c.MaxLength > 0 {
		r.MaxLength = c.MaxLength
	}
	if c.StartLeeway > 0 {
		r.StartLeeway = c.StartLeeway
	}
	switch {
	case c.BookingHorizon > 0:
		r.Horizon = c.BookingHorizon
	case c.BookingHorizon < 0:
		return r, fmt.Errorf("booking-horizon %s is negative", c.BookingHorizon)
	}
	if r.MinLength > r.MaxLength {
		return r, fmt.Errorf("min-length %s is longer than max-length %s", r.MinLength, r.MaxLength)
	}
	return r, nil
}

// New opens the store, connects (lazily) to the member registry and
// returns a ready server; Serve runs it and closes both when it stops.
func New(c Config, log *slog.Logger) (*grpcx.Server, error) {
	rules, err := c.rules()
	if err != nil {
		return nil, err
	}
	if c.MemberRegistryAddr == "" {
		c.MemberRegistryAddr = "localhost:50051"
	}
	st, err := store.Open(filepath.Join(c.DataDir, DBFile), boltdb.Options{LockTimeout: c.LockTimeout})
	if err != nil {
		return nil, err
	}
	key, err := boltdb.Secret(st.DB, "page-token")
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	// The registry's member checks and key checks run as this service.
	dial, err := auth.ClientOptions("session-scheduling", c.ServiceSecret, c.TLS)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	tlsOpts, err := c.TLS.ServerOptions()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	cc, err := grpcx.Dial(c.MemberRegistryAddr, grpcx.DialOptions{Timeout: c.RegistryTimeout, GRPC: dial})
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("member registry at %s: %w", c.MemberRegistryAddr, err)
	}
	svc := scheduling.NewService(st, upstream.New(cc, c.RegistryTimeout), rules, c.Now)
	keys := &auth.RemoteMemberKeys{Registry: memberv1.NewMemberRegistryClient(cc), TTL: c.KeyCacheTTL}
	unary, stream, tlsOpts, err := c.Security.Server(keys, rpc.Policy, c.Unary, c.Stream)
	if err != nil {
		_ = st.Close()
		_ = cc.Close()
		return nil, err
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: ServiceName, Logger: log, ShutdownTimeout: c.ShutdownTimeout,
		Unary: unary, Stream: stream, GRPC: append(tlsOpts, c.GRPCServer...),
	})
	sessionv1.RegisterSessionSchedulerServer(srv.GRPC, rpc.New(svc, page.NewCodec(key)))
	srv.OnClose(st.Close)
	srv.OnClose(cc.Close)
	return srv, nil
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	fs := flag.NewFlagSet("session-scheduling", flag.ContinueOnError)
	if err := c.BindFlags(fs).Parse(args); err != nil {
		return err
	}
	log := runner.Logger("session-scheduling", c.LogLevel)
	var err error
	// Every call is authenticated; without key files the first start makes
	// them in the data folder (see auth.Flags.Load).
	if err = c.Security.Load(c.DataDir, log); err != nil {
		return err
	}
	srv, err := New(c, log)
	if err != nil {
		return err
	}
	return runner.Serve(srv, c.GRPCAddr)
}
