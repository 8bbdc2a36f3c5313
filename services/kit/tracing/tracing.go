// Package tracing is OpenTelemetry for the suite: a span for every gRPC
// call served and made (otelgrpc's stats handlers) and for every request
// of the gateway (otelhttp), the W3C trace context passed on between the
// processes, and an OTLP exporter (gRPC) when an endpoint is configured,
// so that one call through the gateway is one trace over every process it
// reaches.
//
// With no endpoint, tracing is off and costs next to nothing: there is no
// exporter, no sampler and no gRPC stats handler; two interceptors carry
// on only the trace context a caller sent (so a traced caller's trace
// goes through, and the ids in the logs match the caller's). The gateway's
// HTTP spans are then OpenTelemetry's no-op ones.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Config of a process's tracing.
type Config struct {
	// Service is the service.name of its spans, unless OTEL_SERVICE_NAME
	// (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise.
	Service string
	// Endpoint is the OTLP gRPC endpoint, the -otlp-endpoint flag: a URL
	// (http://collector:4317 is plaintext, https:// TLS) or host:port
	// (plaintext). Empty falls back to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
	// or OTEL_EXPORTER_OTLP_ENDPOINT, read by the exporter with the other
	// OTEL_EXPORTER_OTLP_* settings; none of them set is tracing off.
	Endpoint string
	// Exporter, when set, receives the spans instead of OTLP: tests
	// collect them in memory with it.
	Exporter sdktrace.SpanExporter
}

// Tracing is a process's tracer provider and propagator. The nil
// *Tracing is tracing off.
type Tracing struct {
	sdk *sdktrace.TracerProvider // nil when off
}

// Propagator is the W3C trace context and baggage, on every process of
// the suite whether it exports spans or not.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// endpointFromEnv is the exporter's own setting, when there is one.
func endpointFromEnv() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
}

// Start sets tracing up: on when c names an exporter or an endpoint (or
// the environment does), off otherwise. The exporter connects lazily: a
// collector that is down loses spans, never a call.
func Start(ctx context.Context, c Config) (*Tracing, error) {
	exp := c.Exporter
	if exp == nil {
		var opts []otlptracegrpc.Option
		switch {
		case strings.Contains(c.Endpoint, "://"):
			opts = append(opts, otlptracegrpc.WithEndpointURL(c.Endpoint))
		case c.Endpoint != "":
			opts = append(opts, otlptracegrpc.WithEndpoint(c.Endpoint), otlptracegrpc.WithInsecure())
		case !endpointFromEnv():
			return nil, nil
		}
		var err error
		if exp, err = otlptracegrpc.New(ctx, opts...); err != nil {
			return nil, fmt.Errorf("OTLP exporter: %w", err)
		}
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(c.Service)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithProcessPID(),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	// The sampler is the SDK's default, parent-based (a call is traced
	// when its caller's is), unless OTEL_TRACES_SAMPLER sets another.
	return &Tracing{sdk: sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))}, nil
}

// Enabled says whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t != nil && t.sdk != nil }

// Provider is the tracer provider: the SDK's, or the no-op one when off.
func (t *Tracing) Provider() trace.TracerProvider {
	if t.Enabled() {
		return t.sdk
	}
	return noop.NewTracerProvider()
}

// Shutdown exports the spans still buffered, within a few seconds.
func (t *Tracing) Shutdown() error {
	if !t.Enabled() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return t.sdk.Shutdown(ctx)
}

func (t *Tracing) grpcOptions() []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(t.Provider()),
		otelgrpc.WithPropagators(Propagator),
		// Probes every few seconds would bury the calls.
		otelgrpc.WithFilter(filters.Not(filters.HealthCheck())),
	}
}

// ServerOptions make a span of every call the server serves, the child
// of the caller's span when the call carries one. With tracing off they
// only put the caller's trace context in the call's context (for the
// logs, and for the calls the handler makes), with interceptors rather
// than otelgrpc's stats handler: gRPC then makes no stats events at all.
func (t *Tracing) ServerOptions() []grpc.ServerOption {
	if !t.Enabled() {
		return []grpc.ServerOption{grpc.ChainUnaryInterceptor(extractUnary), grpc.ChainStreamInterceptor(extractStream)}
	}
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(t.grpcOptions()...))}
}

// DialOptions make a span of every call of a client connection and send
// its trace context with the call; with tracing off they only send on
// the trace context that the call's context carries.
func (t *Tracing) DialOptions() []grpc.DialOption {
	if !t.Enabled() {
		return []grpc.DialOption{grpc.WithChainUnaryInterceptor(injectUnary), grpc.WithChainStreamInterceptor(injectStream)}
	}
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(t.grpcOptions()...))}
}

// carrier is gRPC metadata as the propagator reads and writes it.
type carrier metadata.MD

func (c carrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c carrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c carrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

func extract(ctx context.Context) context.Context {
	// Most calls carry no trace context: look for its header before
	// copying every header for the propagator.
	if len(metadata.ValueFromIncomingContext(ctx, "traceparent")) == 0 {
		return ctx
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		return Propagator.Extract(ctx, carrier(md))
	}
	return ctx
}

func inject(ctx context.Context) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	Propagator.Inject(ctx, carrier(md))
	return metadata.NewOutgoingContext(ctx, md)
}

func extractUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	return h(extract(ctx), req)
}

type streamWithContext struct {
	grpc.ServerStream
	ctx context.Context
}

func (s streamWithContext) Context() context.Context { return s.ctx }

func extractStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	return h(srv, streamWithContext{ss, extract(ss.Context())})
}

func injectUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(inject(ctx), method, req, reply, cc, opts...)
}

func injectStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(inject(ctx), desc, cc, method, opts...)
}

// Handler makes a span of every HTTP request h serves (otelhttp, with
// opts), the child of the caller's when it sent a traceparent header.
func (t *Tracing) Handler(h http.Handler, operation string, opts ...otelhttp.Option) http.Handler {
	return otelhttp.NewHandler(h, operation, append([]otelhttp.Option{
		otelhttp.WithTracerProvider(t.Provider()), otelhttp.WithPropagators(Propagator)}, opts...)...)
}

// RequestIDKey is the span attribute that holds the request id the logs
// carry as request_id.
const RequestIDKey = attribute.Key("request_id")

// Annotate puts the request id on the call's span.
func Annotate(ctx context.Context, requestID string) {
	trace.SpanFromContext(ctx).SetAttributes(RequestIDKey.String(requestID))
}

// LogHandler adds trace_id and span_id to every record logged with a
// context that carries a span, so that a log line leads to its trace.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
