package grpcx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/tracing"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// ServerOptions configure NewServer.
type ServerOptions struct {
	// Name of the service, for logs and the health check (e.g. "alliance.member.v1.MemberRegistry").
	Name   string
	Logger *slog.Logger
	// How long graceful shutdown waits for in-flight calls before it cuts them off.
	ShutdownTimeout time.Duration
	// Interceptors that run after request id, logging and panic recovery,
	// before the handler: the place for authentication.
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
	// Limits on streams, connections and message sizes; the zero value
	// is the documented defaults (see Limits).
	Limits Limits
	// Extra grpc.ServerOptions (TLS credentials); they come after the
	// options of Limits, so one given here wins.
	GRPC []grpc.ServerOption
	// Metrics counts every call, first in the chain, so that it sees the
	// code the caller gets; nil counts nothing.
	Metrics *metrics.Registry
	// Tracing makes a span of every call (nil: only the caller's trace
	// context is carried on).
	Tracing *tracing.Tracing
}

// Server is a gRPC server with reflection, grpc.health.v1, logging, panic
// recovery, limits (Limits), INVALID_ARGUMENT for requests that do not
// decode, and a graceful stop that then closes the service's resources.
type Server struct {
	GRPC    *grpc.Server
	Health  *health.Server
	opts    ServerOptions
	closers []func() error
}

// NewServer builds the server. Register services on s.GRPC, then Serve.
func NewServer(o ServerOptions) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	o.Limits = o.Limits.withDefaults()
	unary := append(append([]grpc.UnaryServerInterceptor{o.Metrics.UnaryServer(), unaryInterceptor(o.Logger)}, o.Unary...), checkUnary)
	stream := append(append([]grpc.StreamServerInterceptor{o.Metrics.StreamServer(), streamInterceptor(o.Logger)}, o.Stream...), checkStream)
	// Tracing first: with it off, its interceptors put the caller's trace
	// context in the call's context before the metrics and the log read it.
	opts := append(o.Tracing.ServerOptions(), []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.ForceServerCodecV2(newServerCodec()),
	}...)
	opts = append(opts, o.Limits.serverOptions()...)
	gs := grpc.NewServer(append(opts, o.GRPC...)...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, newCappedHealth(hs, o.Limits.MaxHealthWatchers))
	reflection.Register(gs)
	return &Server{GRPC: gs, Health: hs, opts: o}
}

// OnClose registers f to run after the server has stopped (e.g. closing bbolt).
// Closers run in reverse order of registration.
func (s *Server) OnClose(f func() error) { s.closers = append(s.closers, f) }

// Serve serves on lis until ctx is done, then stops gracefully: it refuses
// new calls, waits up to ShutdownTimeout for in-flight ones, and closes the
// registered resources. It returns the first error of serving or closing.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	log := s.opts.Logger
	s.opts.Metrics.InitServer(s.GRPC) // every service is registered by now
	s.Health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.Health.SetServingStatus(s.opts.Name, healthpb.HealthCheckResponse_SERVING)
	log.Info("serving", "grpc_service", s.opts.Name, "addr", lis.Addr().String())

	served := make(chan error, 1)
	go func() { served <- s.GRPC.Serve(lis) }()

	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down", "grpc_service", s.opts.Name, "bound", s.opts.ShutdownTimeout.String())
		s.Health.Shutdown()
		stopped := make(chan struct{})
		go func() { s.GRPC.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(s.opts.ShutdownTimeout):
			log.Warn("in-flight calls did not finish in time; stopping hard", "grpc_service", s.opts.Name)
			s.GRPC.Stop()
			<-stopped
		}
		<-served
	}
	if errors.Is(err, grpc.ErrServerStopped) {
		err = nil
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		if cerr := s.closers[i](); cerr != nil && err == nil {
			err = cerr
		}
	}
	log.Info("stopped", "grpc_service", s.opts.Name)
	return err
}
