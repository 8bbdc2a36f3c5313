// Package app assembles the member registry: configuration, store, rules
// and gRPC server. cmd/member-registry runs it; other services' tests use
// New to run a real registry on loopback.
package app

import (
	"flag"
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
	"google.golang.org/grpc"
)

// Config of the member registry.
type Config struct {
	GRPCAddr        string
	DataDir         string
	DistrictsFile   string
	LogLevel        string
	ShutdownTimeout time.Duration
	LockTimeout     time.Duration
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
	s.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight calls")
	s.Duration(&c.LockTimeout, "lock-timeout", 2*time.Second, "how long to wait for the data file's lock")
	c.Security.BindFlags(s)
	return s
}

// New opens the store and returns a ready server; Serve runs it and closes
// the store when it stops.
func New(c Config, log *slog.Logger) (*grpcx.Server, error) {
	districts := registry.DefaultDistricts()
	if c.DistrictsFile != "" {
		var err error
		if districts, err = registry.LoadDistricts(c.DistrictsFile); err != nil {
			return nil, err
		}
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
	svc := registry.NewService(st, districts, time.Now)
	// The registry checks member keys against its own store.
	unary, stream, tlsOpts, err := c.Security.Server(rpc.LocalKeys(svc), rpc.Policy, c.Unary, c.Stream)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: ServiceName, Logger: log, ShutdownTimeout: c.ShutdownTimeout,
		Unary: unary, Stream: stream, GRPC: append(tlsOpts, c.GRPCServer...),
	})
	memberv1.RegisterMemberRegistryServer(srv.GRPC, rpc.New(svc, page.NewCodec(key)))
	srv.OnClose(st.Close)
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
