// Package app assembles the member registry: configuration, store, rules
// and gRPC server. cmd/member-registry runs it; other services' tests use
// New to run a real registry on loopback.
package app

import (
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/runner"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"github.com/cqlive/alliance/services/member-registry/internal/rpc"
	"github.com/cqlive/alliance/services/member-registry/internal/store"
	"github.com/cqlive/alliance/services/member-registry/internal/upstream"
	"google.golang.org/grpc"
)

// Config of the member registry.
type Config struct {
	GRPCAddr       string
	DataDir        string
	DistrictsFile  string
	CategoriesFile string
	// SessionSchedulingAddr is asked before a studio is removed; empty
	// means none, and then no studio can be removed (UNAVAILABLE).
	SessionSchedulingAddr string
	// SessionSchedulingTimeout bounds each of those questions.
	SessionSchedulingTimeout time.Duration
	LogLevel                 string
	ShutdownTimeout          time.Duration
	LockTimeout              time.Duration
	// Keys and TLS (see auth.Security).
	auth.Security
	// Extra interceptors and server options.
	Unary      []grpc.UnaryServerInterceptor
	Stream     []grpc.StreamServerInterceptor
	GRPCServer []grpc.ServerOption
}

// DBFile is the name of the bbolt file inside the data folder.
const DBFile = "member.db"

// ServiceName is the gRPC service, also used for its health status.
const ServiceName = "alliance.member.v1.MemberRegistry"

// BindFlags defines the registry's flags (and their MEMBER_REGISTRY_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := config.New(fs, "MEMBER_REGISTRY")
	s.String(&c.GRPCAddr, "grpc-addr", ":50051", "gRPC listen address")
	s.String(&c.DataDir, "data-dir", "data", "folder of member.db")
	s.String(&c.DistrictsFile, "districts-file", "", "JSON file [{code, display_name}] replacing the built-in 38 districts of Chongqing")
	s.String(&c.CategoriesFile, "categories-file", "", "JSON file [{code, display_name}] replacing the built-in product categories")
	s.String(&c.SessionSchedulingAddr, "session-scheduling-addr", "localhost:50052", "gRPC address of session-scheduling, asked before a studio is removed")
	s.Duration(&c.SessionSchedulingTimeout, "session-scheduling-timeout", 3*time.Second, "deadline of each call to session-scheduling")
	s.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight calls")
	s.Duration(&c.LockTimeout, "lock-timeout", 2*time.Second, "how long to wait for the data file's lock")
	c.Security.BindFlags(s)
	return s
}

// New opens the store, connects (lazily) to session-scheduling and returns
// a ready server; Serve runs it and closes both when it stops.
func New(c Config, log *slog.Logger) (*grpcx.Server, error) {
	opts := registry.Options{Now: time.Now}
	var err error
	if c.DistrictsFile != "" {
		if opts.Districts, err = registry.LoadDistricts(c.DistrictsFile); err != nil {
			return nil, err
		}
	}
	if c.CategoriesFile != "" {
		if opts.Categories, err = registry.LoadCategories(c.CategoriesFile); err != nil {
			return nil, err
		}
	}
	var cc *grpc.ClientConn
	if c.SessionSchedulingAddr != "" {
		// Asked as the registry's own service identity. The connection is
		// lazy: the registry starts first, before session-scheduling.
		dial, err := auth.ClientOptions("member-registry", c.ServiceSecret, c.TLS)
		if err != nil {
			return nil, err
		}
		if cc, err = grpcx.Dial(c.SessionSchedulingAddr, grpcx.DialOptions{Timeout: c.SessionSchedulingTimeout, GRPC: dial}); err != nil {
			return nil, fmt.Errorf("session-scheduling at %s: %w", c.SessionSchedulingAddr, err)
		}
		opts.Bookings = upstream.New(cc, c.SessionSchedulingTimeout)
	}
	closeAll := func() {
		if cc != nil {
			_ = cc.Close()
		}
	}
	st, err := store.Open(filepath.Join(c.DataDir, DBFile), boltdb.Options{LockTimeout: c.LockTimeout})
	if err != nil {
		closeAll()
		return nil, err
	}
	key, err := boltdb.Secret(st.DB, "page-token")
	if err != nil {
		_ = st.Close()
		closeAll()
		return nil, err
	}
	svc := registry.NewService(st, opts)
	// The registry checks member keys against its own store.
	unary, stream, tlsOpts, err := c.Security.Server(rpc.LocalKeys(svc), rpc.Policy, c.Unary, c.Stream)
	if err != nil {
		_ = st.Close()
		closeAll()
		return nil, err
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: ServiceName, Logger: log, ShutdownTimeout: c.ShutdownTimeout,
		Unary: unary, Stream: stream, GRPC: append(tlsOpts, c.GRPCServer...),
	})
	memberv1.RegisterMemberRegistryServer(srv.GRPC, rpc.New(svc, page.NewCodec(key)))
	srv.OnClose(st.Close)
	if cc != nil {
		srv.OnClose(cc.Close)
	}
	return srv, nil
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	fs := flag.NewFlagSet("member-registry", flag.ContinueOnError)
	if err := c.BindFlags(fs).Parse(args); err != nil {
		return err
	}
	log := runner.Logger("member-registry", c.LogLevel)
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
