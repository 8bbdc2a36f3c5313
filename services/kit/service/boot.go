package service

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/grpcx"
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
type Boot struct {
	Config
	Spec    Spec
	Log     *slog.Logger
	closers []func() error
	served  bool
}

// Start begins a start-up.
func Start(c Config, s Spec, log *slog.Logger) *Boot {
	return &Boot{Config: c, Spec: s, Log: log}
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
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{Timeout: timeout, GRPC: opts})
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", dep, addr, err)
	}
	b.OnClose(cc.Close)
	return cc, nil
}

// Serve builds the gRPC server: authentication of every call against
// policy (member keys checked by members) in front of the extra
// interceptors, TLS when configured, and register's services. From here
// on, what was opened is closed when that server stops.
func (b *Boot) Serve(members auth.MemberKeys, policy auth.Policy, register func(*grpc.Server)) (*grpcx.Server, error) {
	unary, stream, tlsOpts, err := b.Security.Server(members, policy, b.Unary, b.Stream)
	if err != nil {
		return nil, err
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: b.Spec.GRPCService, Logger: b.Log, ShutdownTimeout: b.ShutdownTimeout,
		Unary: unary, Stream: stream, GRPC: append(tlsOpts, b.GRPCServer...),
	})
	register(srv.GRPC)
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
