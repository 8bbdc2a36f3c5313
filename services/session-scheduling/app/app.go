// Package app assembles the session scheduler: configuration, store, the
// member-registry client, rules and gRPC server. cmd/session-scheduling
// runs it; the suite's tests use New to run a real scheduler on loopback.
package app

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/session-scheduling/internal/rpc"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store"
	"github.com/cqlive/alliance/services/session-scheduling/internal/upstream"
	"google.golang.org/grpc"
)

// Config of the session scheduler.
type Config struct {
	// Address, data folder, log level, timeouts, keys and TLS.
	service.Config
	MemberRegistryAddr string
	// Booking rules: the studio changeover buffer, the shortest and longest
	// session, how far in the past a new session may start, and how far
	// ahead (the booking horizon).
	ChangeoverBuffer time.Duration
	MinLength        time.Duration
	MaxLength        time.Duration
	StartLeeway      time.Duration
	BookingHorizon   time.Duration
	// TimeZone is the alliance's: opening hours, quota weeks and days,
	// recurrences and utilisation dates are local to it.
	TimeZone string
	// SweepInterval is how often the no-show sweep runs (it also runs at
	// start-up, and every read and booking settles what it meets).
	SweepInterval time.Duration
	// RegistryTimeout bounds each call to the member registry.
	RegistryTimeout time.Duration
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
}

// Spec names the scheduler for kit/service: its flags' variables, default
// port, gRPC service (its health status too) and bbolt file.
var Spec = service.Spec{Name: "session-scheduling", EnvPrefix: "SESSION_SCHEDULING", GRPCService: sessionv1.SessionScheduler_ServiceDesc.ServiceName, DefaultAddr: ":50052",
	DefaultAdminAddr: ":9102", DBFile: "session.db", SchemaVersion: store.Schema.Version}

// BindFlags defines the scheduler's flags (and their SESSION_SCHEDULING_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := c.Config.BindFlags(fs, Spec)
	d := scheduling.DefaultRules
	s.String(&c.MemberRegistryAddr, "member-registry-addr", "localhost:50051", "gRPC address of member-registry")
	s.Duration(&c.ChangeoverBuffer, "changeover-buffer", d.ChangeoverBuffer, "least time between two sessions of one studio")
	s.Duration(&c.MinLength, "min-length", d.MinLength, "shortest session")
	s.Duration(&c.MaxLength, "max-length", d.MaxLength, "longest session")
	s.Duration(&c.StartLeeway, "start-leeway", d.StartLeeway, "how far in the past a new session may start")
	s.Duration(&c.BookingHorizon, "booking-horizon", d.Horizon, "how far ahead of now a session may start (also the latest start of an imported one)")
	s.String(&c.TimeZone, "time-zone", service.DefaultTimeZone, "the alliance's time zone: studio opening hours, quota weeks and days, series and utilisation dates are local to it")
	s.Duration(&c.SweepInterval, "sweep-interval", DefaultSweepInterval, "how often sessions not started within their no-show grace become NO_SHOW (and requests pending at their start DECLINED)")
	s.Duration(&c.RegistryTimeout, "registry-timeout", 3*time.Second, "deadline of each call to member-registry")
	return s
}

// DefaultSweepInterval is -sweep-interval's default.
const DefaultSweepInterval = 30 * time.Second

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
	loc, err := service.LoadZone(c.TimeZone)
	if err != nil {
		return r, err
	}
	r.Zone = loc
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
	b := service.Start(c.Config, Spec, log)
	defer b.Abort()
	st, key, err := service.OpenStore(b, store.Open)
	if err != nil {
		return nil, err
	}
	// The registry's member checks and key checks run as this service.
	cc, err := b.Dial("member registry", c.MemberRegistryAddr, c.RegistryTimeout)
	if err != nil {
		return nil, err
	}
	svc := scheduling.NewService(st, upstream.New(cc, c.RegistryTimeout), rules, c.Now)
	// The sweep stops before the store closes (closers run in reverse).
	b.OnClose(sweep(svc, c.SweepInterval, log))
	return b.Serve(b.RegistryKeys(cc), rpc.Policy, func(s *grpc.Server) {
		srv := rpc.New(svc, page.NewCodec(key))
		srv.Meters = rpc.NewMeters(b.Metrics)
		sessionv1.RegisterSessionSchedulerServer(s, srv)
	})
}

// sweep runs the no-show sweep at once and then every interval, until
// the returned stop is called; stop waits for a sweep in progress.
func sweep(svc *scheduling.Service, interval time.Duration, log *slog.Logger) (stop func() error) {
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			for more := true; more && ctx.Err() == nil; {
				var n int
				var err error
				switch n, more, err = svc.SweepStep(); {
				case err != nil:
					log.Warn("no-show sweep failed; the next one tries again", "err", err)
				case n > 0:
					// One line per transaction: what is logged is stored.
					log.Info("no-show sweep", "lapsed", n, "more", more)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() error {
		cancel()
		<-done
		return nil
	}
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	return service.Main(args, Spec, &c.Config, c.BindFlags, func(log *slog.Logger) (*grpcx.Server, error) { return New(c, log) })
}
