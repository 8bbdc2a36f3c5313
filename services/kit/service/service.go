// Package service is the start-up every gRPC service of the suite shares:
// the common part of its Config and their flags (each backed by an
// environment variable), the order in which a service's resources are
// opened and, when start-up fails or the server stops, closed again, and
// Main, which parses the flags, loads the keys and serves until SIGINT or
// SIGTERM. A service's app package adds only what is its own: its flags,
// its store and its dependencies.
package service

import (
	"flag"
	"path/filepath"
	"time"

	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/config"
	"google.golang.org/grpc"
)

// Spec names one service.
type Spec struct {
	// Name is how operators call it ("member-registry"): its flag set,
	// the "service" of its logs, the identity of its calls to the others.
	Name string
	// EnvPrefix prefixes the environment variable of each flag
	// ("MEMBER_REGISTRY": -grpc-addr is MEMBER_REGISTRY_GRPC_ADDR).
	EnvPrefix string
	// GRPCService is the gRPC service, also the name of its health status.
	GRPCService string
	// DefaultAddr is the default of -grpc-addr.
	DefaultAddr string
	// DefaultAdminAddr is the default of -admin-addr (metrics).
	DefaultAdminAddr string
	// DBFile is the bbolt file inside the data folder.
	DBFile string
	// SchemaVersion is the newest schema of DBFile this build reads:
	// alliance-admin restores no newer file.
	SchemaVersion int
}

// Config is the part of a service's configuration that every service has.
// A service's own Config embeds it, so these fields read as its own.
type Config struct {
	GRPCAddr        string
	DataDir         string
	LogLevel        string
	ShutdownTimeout time.Duration
	LockTimeout     time.Duration
	// Keys and TLS (see auth.Security).
	auth.Security
	// The admin port (metrics, profiler) and tracing.
	Telemetry
	// Extra interceptors and server options, after authentication: tests
	// put a slow dependency or a call counter here.
	Unary      []grpc.UnaryServerInterceptor
	Stream     []grpc.StreamServerInterceptor
	GRPCServer []grpc.ServerOption
}

// BindFlags defines the common flags (and their variables) on fs and
// returns the set, on which the service defines its own.
func (c *Config) BindFlags(fs *flag.FlagSet, s Spec) *config.Set {
	set := config.New(fs, s.EnvPrefix)
	set.String(&c.GRPCAddr, "grpc-addr", s.DefaultAddr, "gRPC listen address")
	set.String(&c.DataDir, "data-dir", "data", "folder of "+s.DBFile)
	set.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	set.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight calls")
	set.Duration(&c.LockTimeout, "lock-timeout", 2*time.Second, "how long to wait for the data file's lock")
	c.Security.BindFlags(set)
	c.Telemetry.BindFlags(set, s.DefaultAdminAddr)
	return set
}

// DBPath is where the service's bbolt file is.
func (c Config) DBPath(s Spec) string { return filepath.Join(c.DataDir, s.DBFile) }

// BoltOptions are the options of opening that file (Boot's add the
// commit metrics).
func (c Config) BoltOptions() boltdb.Options { return boltdb.Options{LockTimeout: c.LockTimeout} }
