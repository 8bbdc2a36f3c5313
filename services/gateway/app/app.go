// Package app assembles the gateway: an HTTP/JSON front door that turns the
// HTTP rules of the three services into gRPC calls over the network, so the
// services' own interceptors run for HTTP callers too. It also serves the
// alliance console (the web client embedded from services/console) at /,
// and its API page at /docs/. It holds no state.
// cmd/gateway runs it; tests use New to run it on loopback.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/console"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/tracing"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Gateway is the HTTP server with its connections to the services.
type Gateway struct {
	Handler http.Handler
	// Metrics of the gateway: its HTTP requests and its calls to the services.
	Metrics *metrics.Registry
	cfg     Config
	log     *slog.Logger
	conns   []*grpc.ClientConn
	tls     *tls.Config // HTTPS when set
	tracing *tracing.Tracing
}

// upstream is one service behind the gateway.
type upstream struct {
	name    string // e.g. "member-registry", as operators call it
	service string // the gRPC service, also its health-check name
	health  healthpb.HealthClient
}

// New dials the three services (lazily: a service that is down now is
// retried on each call, and /readyz says so) and builds the handler.
func New(c Config, log *slog.Logger) (*Gateway, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	origins, _ := c.origins()
	serverTLS, err := c.TLS.ServerTLS()
	if err != nil {
		return nil, err
	}
	// Calls to the services, /readyz's health checks included, use the same
	// transport: TLS when -tls-ca is set, else plaintext.
	transport, err := c.TLS.DialOption()
	if err != nil {
		return nil, err
	}
	tr, err := c.StartTracing("gateway")
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: c, log: log, tls: serverTLS, Metrics: metrics.New(), tracing: tr}
	dial := func(addr string) (*grpc.ClientConn, error) {
		cc, err := grpcx.Dial(addr, grpcx.DialOptions{Timeout: c.CallTimeout, Metrics: g.Metrics, Tracing: tr, GRPC: []grpc.DialOption{
			transport, grpc.WithChainUnaryInterceptor(normalizeMasks),
		}})
		if err == nil {
			g.conns = append(g.conns, cc)
		}
		return cc, err
	}
	member, err := dial(c.MemberRegistryAddr)
	if err != nil {
		return nil, err
	}
	session, err := dial(c.SessionSchedulingAddr)
	if err != nil {
		g.close()
		return nil, err
	}
	sales, err := dial(c.SalesReportingAddr)
	if err != nil {
		g.close()
		return nil, err
	}

	ups := []upstream{
		{"member-registry", memberv1.MemberRegistry_ServiceDesc.ServiceName, healthpb.NewHealthClient(member)},
		{"session-scheduling", sessionv1.SessionScheduler_ServiceDesc.ServiceName, healthpb.NewHealthClient(session)},
		{"sales-reporting", salesv1.SalesReporting_ServiceDesc.ServiceName, healthpb.NewHealthClient(sales)},
	}
	names := map[string]string{}
	for _, u := range ups {
		names[u.service] = u.name
	}
	ctx := context.Background()
	// The Register…HandlerClient functions only record routes; they cannot fail
	// with a client in hand, but their error is checked all the same.
	salesClient := salesv1.NewSalesReportingClient(sales)
	register := func(mux *runtime.ServeMux) error {
		return errors.Join(
			memberv1.RegisterMemberRegistryHandlerClient(ctx, mux, memberv1.NewMemberRegistryClient(member)),
			sessionv1.RegisterSessionSchedulerHandlerClient(ctx, mux, sessionv1.NewSessionSchedulerClient(session)),
			salesv1.RegisterSalesReportingHandlerClient(ctx, mux, salesClient),
			// Registered last, so it takes the route from the generated handler (download.go).
			mux.HandlePath("GET", exportPath, exportHandler(mux, salesClient)),
		)
	}
	methods, err := newRouteMethods(register)
	if err != nil {
		g.close()
		return nil, err
	}
	mux := newServeMux(log, names, c.ReadTimeout, methods)
	if err := register(mux); err != nil {
		g.close()
		return nil, err
	}

	ui, err := consoleHandler(console.FS())
	if err != nil {
		g.close()
		return nil, err
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", healthz)
	root.Handle("GET /readyz", readyz(log, ups, c.ReadyTimeout))
	root.Handle("GET /openapi/", openAPI())
	root.Handle("/v1/", mux)
	root.Handle("/", ui) // the console: its pages, its assets, /docs/

	limit := int64(c.MaxBodyBytes)
	// The span comes first, so that the request id, the access log and
	// every call to a service belong to it.
	g.Handler = tr.Handler(instrument(g.Metrics,
		withRequestID(withAccessLog(log, withCORS(origins, withKeyRequired(mux, withBodyLimit(limit, root)))))), "gateway",
		otelhttp.WithSpanNameFormatter(spanName),
		otelhttp.WithFilter(func(r *http.Request) bool { a := area(r.URL.Path); return a != "healthz" && a != "readyz" }))
	return g, nil
}

func (g *Gateway) close() {
	for _, cc := range g.conns {
		_ = cc.Close()
	}
	if err := g.tracing.Shutdown(); err != nil {
		g.log.Warn("exporting the last spans", "err", err)
	}
}

// Serve serves HTTP on lis until ctx is done, then shuts down gracefully:
// it stops accepting, waits up to ShutdownTimeout for in-flight requests,
// and closes the connections to the services.
func (g *Gateway) Serve(ctx context.Context, lis net.Listener) error {
	srv := &http.Server{
		Handler: g.Handler,
		// A client that trickles its request in would hold a connection
		// and a goroutine for as long as it likes: every read is bounded.
		ReadHeaderTimeout: g.cfg.ReadHeaderTimeout,
		ReadTimeout:       g.cfg.ReadTimeout,
		IdleTimeout:       g.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if g.tls != nil {
		// ServeTLS adds h2 to a clone of TLSConfig, so HTTP/2 stays on.
		srv.TLSConfig = g.tls
		scheme = "https"
	}
	admin, err := g.cfg.ServeAdmin(g.Metrics, g.log)
	if err != nil {
		_ = lis.Close()
		g.close()
		return err
	}
	g.log.Info("telemetry", "admin_addr", g.cfg.AdminAddr, "pprof", g.cfg.Pprof && admin != nil, "tracing", g.tracing.Enabled())
	g.log.Info("serving", "addr", lis.Addr().String(), "scheme", scheme,
		"tls_to_services", g.cfg.TLS.CAFile != "",
		"member_registry", g.cfg.MemberRegistryAddr,
		"session_scheduling", g.cfg.SessionSchedulingAddr,
		"sales_reporting", g.cfg.SalesReportingAddr)
	served := make(chan error, 1)
	go func() {
		if g.tls != nil {
			served <- srv.ServeTLS(lis, "", "")
			return
		}
		served <- srv.Serve(lis)
	}()

	select {
	case err = <-served:
	case <-ctx.Done():
		g.log.Info("shutting down", "bound", g.cfg.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if err != nil {
			g.log.Warn("in-flight requests did not finish in time; closing hard", "err", err)
			_ = srv.Close()
		}
		<-served
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if admin != nil {
		err = errors.Join(err, admin.Close())
	}
	g.close()
	g.log.Info("stopped")
	return err
}

// Main parses args, then serves until SIGINT or SIGTERM.
func Main(args []string) error {
	var c Config
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	if err := c.BindFlags(fs).Parse(args); err != nil {
		return err
	}
	g, err := New(c, service.Logger("gateway", c.LogLevel))
	if err != nil {
		return err
	}
	// The connections to the services are lazy: nothing to close when the
	// address cannot be listened on, before the process exits.
	return service.Serve(g, c.HTTPAddr)
}
