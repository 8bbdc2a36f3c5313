package service

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/backup"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/tracing"
	"google.golang.org/grpc"
)

// Boot is one start-up of a service: what it has opened so far, to be
// closed in reverse order, either by Abort when a later step fails or,
// once Serve has built the server, when that server stops.
//
//	b := service.Start(c.Config, spec, log)
//	defer b.Abort()
//	st, err := store.Open(b.DBPath(), b.BoltOptions())
//	if err != nil { return nil, err }
//	b.OnClose(st.Close)
//	...
//	return b.Serve(keys, rpc.Policy, register)
//
// Every start-up has its own metrics (b.Metrics): the server's RPCs, the
// calls of its connections, the commits of its store, and what the
// service adds; the admin port serves them (-admin-addr).
type Boot struct {
	Config
	Spec Spec
	Log  *slog.Logger
	// Metrics of this process, for the service to add its own to.
	Metrics *metrics.Registry
	tracing *tracing.Tracing
	traced  bool
	backups *backup.Server
	closers []func() error
	served  bool
}

// Start begins a start-up.
func Start(c Config, s Spec, log *slog.Logger) *Boot {
	return &Boot{Config: c, Spec: s, Log: log, Metrics: metrics.New()}
}

// Tracing starts the process's tracing on first use (-otlp-endpoint):
// the connections and the server share it, and it is shut down, its last
// spans exported, after everything else has closed.
func (b *Boot) Tracing() (*tracing.Tracing, error) {
	if b.traced {
		return b.tracing, nil
	}
	t, err := b.StartTracing(b.Spec.Name)
	if err != nil {
		return nil, err
	}
	b.tracing, b.traced = t, true
	// First registered, so last closed.
	b.closers = append([]func() error{t.Shutdown}, b.closers...)
	return t, nil
}

// BoltOptions are the options of opening the service's file, with the
// group commit's metrics.
func (b *Boot) BoltOptions() boltdb.Options {
	o := b.Config.BoltOptions()
	o.Observe = b.Metrics.CommitObserver()
	return o
}

// Backups serves alliance.admin.v1.Maintenance/Backup from src, the
// service's store; each hook runs before each snapshot (see backup.Hook).
func (b *Boot) Backups(src backup.Source, before ...backup.Hook) {
	b.backups = backup.NewServer(b.Spec.Name, b.Spec.DBFile, src, before...)
}

// DBPath is where the service's bbolt file is.
func (b *Boot) DBPath() string { return b.Config.DBPath(b.Spec) }

// OnClose registers f to run when the server stops, or when the start-up
// is abandoned; closers run in reverse order of registration.
func (b *Boot) OnClose(f func() error) { b.closers = append(b.closers, f) }

// Dial connects (lazily) to another service of the suite, named dep in
// errors, as this service: TLS when configured, and this service's token
// when the suite has a service secret. The connection is closed with the
// rest.
func (b *Boot) Dial(dep, addr string, timeout time.Duration) (*grpc.ClientConn, error) {
	opts, err := auth.ClientOptions(b.Spec.Name, b.ServiceSecret, b.TLS)
	if err != nil {
		return nil, err
	}
	tr, err := b.Tracing()
	if err != nil {
		return nil, err
	}
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{Timeout: timeout, GRPC: opts, Metrics: b.Metrics, Tracing: tr})
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", dep, addr, err)
	}
	b.OnClose(cc.Close)
	return cc, nil
}

// RegistryKeys checks member keys with the member registry over cc (a
// connection of Dial) and remembers its answers for the key cache's TTL:
// how a service other than the registry checks them. Serve counts its
// cache's hits and misses.
func (b *Boot) RegistryKeys(cc *grpc.ClientConn) *auth.RemoteMemberKeys {
	return &auth.RemoteMemberKeys{Registry: memberv1.NewMemberRegistryClient(cc), TTL: b.KeyCacheTTL}
}

// Serve builds the gRPC server: authentication of every call against
// policy (member keys checked by members) in front of the extra
// interceptors, TLS when configured, metrics and tracing, register's
// services and the backup service (see Backups); and it opens the admin
// port (-admin-addr). From here on, what was opened is closed when that
// server stops.
func (b *Boot) Serve(members auth.MemberKeys, policy auth.Policy, register func(*grpc.Server)) (*grpcx.Server, error) {
	unary, stream, tlsOpts, err := b.Security.Server(members, policy, b.Unary, b.Stream)
	if err != nil {
		return nil, err
	}
	tr, err := b.Tracing()
	if err != nil {
		return nil, err
	}
	if keys, ok := members.(*auth.RemoteMemberKeys); ok && keys.Observe == nil {
		keys.Observe = b.Metrics.KeyCacheObserver()
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: b.Spec.GRPCService, Logger: b.Log, ShutdownTimeout: b.ShutdownTimeout,
		Unary: unary, Stream: stream, GRPC: append(tlsOpts, b.GRPCServer...),
		Metrics: b.Metrics, Tracing: tr,
	})
	register(srv.GRPC)
	if b.backups != nil {
		adminv1.RegisterMaintenanceServer(srv.GRPC, b.backups)
	}
	admin, err := b.ServeAdmin(b.Metrics, b.Log)
	if err != nil {
		return nil, err
	}
	if admin != nil {
		b.OnClose(admin.Close) // last registered: the first to close once calls have ended
	}
	b.Log.Info("telemetry", "admin_addr", b.AdminAddr, "pprof", b.Pprof && admin != nil, "tracing", tr.Enabled())
	for _, f := range b.closers {
		srv.OnClose(f)
	}
	b.served = true
	return srv, nil
}

// Abort closes, in reverse order, what the start-up opened, unless Serve
// has handed it to a server. Defer it right after Start.
func (b *Boot) Abort() {
	if b.served {
		return
	}
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	if err := errors.Join(errs...); err != nil {
		b.Log.Warn("closing after a failed start", "err", err)
	}
}
