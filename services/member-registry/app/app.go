// Package app assembles the member registry: configuration, store, rules
// and gRPC server. cmd/member-registry runs it; the suite's tests use New
// to run a real registry on loopback.
package app

import (
	"flag"
	"log/slog"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"github.com/cqlive/alliance/services/member-registry/internal/rpc"
	"github.com/cqlive/alliance/services/member-registry/internal/store"
	"github.com/cqlive/alliance/services/member-registry/internal/upstream"
	"google.golang.org/grpc"
)

// Config of the member registry.
type Config struct {
	// Address, data folder, log level, timeouts, keys and TLS.
	service.Config
	DistrictsFile  string
	CategoriesFile string
	// SessionSchedulingAddr is asked before a studio is removed; empty
	// means none, and then no studio can be removed (UNAVAILABLE).
	SessionSchedulingAddr string
	// SessionSchedulingTimeout bounds each of those questions.
	SessionSchedulingTimeout time.Duration
}

// Spec names the registry for kit/service: its flags' variables, default
// port, gRPC service (its health status too) and bbolt file.
var Spec = service.Spec{Name: "member-registry", EnvPrefix: "MEMBER_REGISTRY", GRPCService: memberv1.MemberRegistry_ServiceDesc.ServiceName, DefaultAddr: ":50051",
	DefaultAdminAddr: ":9101", DBFile: "member.db", SchemaVersion: store.Schema.Version}

// BindFlags defines the registry's flags (and their MEMBER_REGISTRY_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := c.Config.BindFlags(fs, Spec)
	s.String(&c.DistrictsFile, "districts-file", "", "JSON file [{code, display_name}] replacing the built-in 38 districts of Chongqing")
	s.String(&c.CategoriesFile, "categories-file", "", "JSON file [{code, display_name}] replacing the built-in product categories")
	s.String(&c.SessionSchedulingAddr, "session-scheduling-addr", "localhost:50052", "gRPC address of session-scheduling, asked before a studio is removed")
	s.Duration(&c.SessionSchedulingTimeout, "session-scheduling-timeout", 3*time.Second, "deadline of each call to session-scheduling")
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
	b := service.Start(c.Config, Spec, log)
	defer b.Abort()
	if c.SessionSchedulingAddr != "" {
		// Asked as the registry's own service identity. The connection is
		// lazy: the registry starts first, before session-scheduling.
		cc, err := b.Dial("session-scheduling", c.SessionSchedulingAddr, c.SessionSchedulingTimeout)
		if err != nil {
			return nil, err
		}
		opts.Bookings = upstream.New(cc, c.SessionSchedulingTimeout)
	}
	st, key, err := service.OpenStore(b, store.Open)
	if err != nil {
		return nil, err
	}
	svc := registry.NewService(st, opts)
	// The registry checks member keys against its own store.
	return b.Serve(rpc.LocalKeys(svc), rpc.Policy, func(s *grpc.Server) {
		memberv1.RegisterMemberRegistryServer(s, rpc.New(svc, page.NewCodec(key)))
	})
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	return service.Main(args, Spec, &c.Config, c.BindFlags, func(log *slog.Logger) (*grpcx.Server, error) { return New(c, log) })
}
