// Package metrics is one process's Prometheus metrics: a registry of its
// own (so that services run together in one test process never share a
// series), the Go and process collectors, the RPC metrics of
// go-grpc-middleware's Prometheus provider for the server and for the
// calls to other services, and constructors for what the kit and the
// domains count. docs/OPERATIONS.md lists every metric; kit/adminhttp
// serves them.
//
// A nil *Registry, and the nil *Counter, *Histogram and funcs it then
// returns, count nothing: code under test needs no registry.
package metrics

import (
	"context"
	"net/http"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// LatencyBuckets (seconds) reach down to the millisecond, where an fsync
// and most calls of the suite end, and up to the 30 s of a long import.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Registry is one process's metrics.
type Registry struct {
	reg      *prometheus.Registry
	server   *grpcprom.ServerMetrics
	client   *grpcprom.ClientMetrics
	inFlight *prometheus.GaugeVec
}

// New makes a registry with the Go runtime's and the process's collectors
// and the gRPC metrics, server and client side, with latency histograms.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		server: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets(LatencyBuckets))),
		client: grpcprom.NewClientMetrics(grpcprom.WithClientHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets(LatencyBuckets))),
		// The provider counts calls started and handled; their difference
		// is the calls in flight, kept here as a gauge of its own.
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alliance_grpc_server_in_flight",
			Help: "RPCs the server has started and not yet answered, by service and method.",
		}, []string{"grpc_service", "grpc_method"}),
	}
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.server, r.client, r.inFlight)
	return r
}

// Registerer is where a package registers collectors of its own.
func (r *Registry) Registerer() prometheus.Registerer {
	if r == nil {
		return prometheus.NewRegistry() // registered, and never gathered
	}
	return r.reg
}

// Gatherer reads the registry, as a scrape does.
func (r *Registry) Gatherer() prometheus.Gatherer {
	if r == nil {
		return prometheus.NewRegistry()
	}
	return r.reg
}

// Handler serves the registry in the Prometheus text format, or in
// OpenMetrics when the scraper asks for it: then the latency histograms
// carry the trace id of a sampled call as an exemplar.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.Gatherer(), promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// exemplar is the trace of a sampled call, for the RPC metrics.
func exemplar(ctx context.Context) prometheus.Labels {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		return prometheus.Labels{"trace_id": sc.TraceID().String()}
	}
	return nil
}

// UnaryServer counts every unary call of the server: started, handled by
// code, latency, in flight. It goes first in the chain, so that the code
// it counts is the one the caller got.
func (r *Registry) UnaryServer() grpc.UnaryServerInterceptor {
	if r == nil {
		return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}
	}
	counted := r.server.UnaryServerInterceptor(grpcprom.WithExemplarFromContext(exemplar))
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		g := r.inFlight.WithLabelValues(split(info.FullMethod))
		g.Inc()
		defer g.Dec()
		return counted(ctx, req, info, h)
	}
}

// StreamServer is UnaryServer for streams.
func (r *Registry) StreamServer() grpc.StreamServerInterceptor {
	if r == nil {
		return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			return h(srv, ss)
		}
	}
	counted := r.server.StreamServerInterceptor(grpcprom.WithExemplarFromContext(exemplar))
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		g := r.inFlight.WithLabelValues(split(info.FullMethod))
		g.Inc()
		defer g.Dec()
		return counted(srv, ss, info, h)
	}
}

// split turns "/pkg.Service/Method" into its service and method.
func split(full string) (string, string) {
	full = full[min(1, len(full)):]
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '/' {
			return full[:i], full[i+1:]
		}
	}
	return "unknown", full
}

// InitServer creates the series of every method registered on s at zero,
// so that a rate over a method that has not been called yet is 0, not
// absent. Call it once every service is registered.
func (r *Registry) InitServer(s *grpc.Server) {
	if r != nil {
		r.server.InitializeMetrics(s)
	}
}

// DialOptions count the calls of a client connection to another service
// (grpc_client_*), with latency.
func (r *Registry) DialOptions() []grpc.DialOption {
	if r == nil {
		return nil
	}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(r.client.UnaryClientInterceptor(grpcprom.WithExemplarFromContext(exemplar))),
		grpc.WithChainStreamInterceptor(r.client.StreamClientInterceptor(grpcprom.WithExemplarFromContext(exemplar))),
	}
}

// Counter is a counter by label values.
type Counter struct{ vec *prometheus.CounterVec }

// Counter registers a counter named name with the given labels.
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	if r == nil {
		return nil
	}
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(vec)
	return &Counter{vec}
}

// Inc adds one to the series of the label values (in the order of the
// labels).
func (c *Counter) Inc(values ...string) {
	if c != nil {
		c.vec.WithLabelValues(values...).Inc()
	}
}

// Add adds n to the series of the label values.
func (c *Counter) Add(n float64, values ...string) {
	if c != nil {
		c.vec.WithLabelValues(values...).Add(n)
	}
}

// Histogram is a histogram by label values.
type Histogram struct{ vec *prometheus.HistogramVec }

// Histogram registers a histogram named name with buckets and labels.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *Histogram {
	if r == nil {
		return nil
	}
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	r.reg.MustRegister(vec)
	return &Histogram{vec}
}

// Observe adds v to the series of the label values.
func (h *Histogram) Observe(v float64, values ...string) {
	if h != nil {
		h.vec.WithLabelValues(values...).Observe(v)
	}
}

// GaugeFunc registers a gauge whose value f computes at each scrape.
func (r *Registry) GaugeFunc(name, help string, f func() float64) {
	if r != nil {
		r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
}

// CommitObserver registers the group commit's metrics and returns the
// observer that keeps them (kit/boltdb's Options.Observe).
func (r *Registry) CommitObserver() func(writes int, took time.Duration, err error) {
	if r == nil {
		return nil
	}
	writes := r.Histogram("alliance_boltdb_commit_writes",
		"Writes that shared one bbolt commit (one fsync): the group commit's batch size.",
		prometheus.ExponentialBuckets(1, 2, 16))
	latency := r.Histogram("alliance_boltdb_commit_seconds",
		"Time of one bbolt commit, from the start of its transaction to the end of its fsync.", LatencyBuckets)
	failed := r.Counter("alliance_boltdb_commit_errors_total", "bbolt commits that failed (the disk, not a refused write).")
	return func(n int, took time.Duration, err error) {
		if err != nil {
			failed.Inc()
			return
		}
		writes.Observe(float64(n))
		latency.Observe(took.Seconds())
	}
}

// KeyCacheObserver registers the count of member-key checks by how the
// cache answered, and returns what counts one (kit/auth's
// RemoteMemberKeys.Observe).
func (r *Registry) KeyCacheObserver() func(result string) {
	if r == nil {
		return nil
	}
	c := r.Counter("alliance_auth_key_cache_lookups_total",
		"Member-key checks by how the key cache answered: hit (a remembered yes), negative_hit (a remembered no), miss (member-registry was asked).",
		"result")
	return func(result string) { c.Inc(result) }
}
