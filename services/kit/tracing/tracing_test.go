package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/otlpfake"
	"github.com/cqlive/alliance/services/kit/tracing"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
)

const call = "/test.Echo/Call"

// echo registers test.Echo/Call on s: it calls next first, when there is
// one, as a service that asks another while it answers.
func echo(s *grpcx.Server, next *grpc.ClientConn) *grpcx.Server {
	testkit.RegisterProbe(s.GRPC, "test.Echo", func(ctx context.Context) error {
		if next != nil {
			return next.Invoke(ctx, call, new(emptypb.Empty), new(emptypb.Empty))
		}
		return nil
	})
	return s
}

func start(t *testing.T, exp sdktrace.SpanExporter, service string) *tracing.Tracing {
	t.Helper()
	tr, err := tracing.Start(context.Background(), tracing.Config{Service: service, Exporter: exp})
	if err != nil || !tr.Enabled() {
		t.Fatalf("tracing.Start: %v, enabled %v", err, tr.Enabled())
	}
	return tr
}

func dial(t *testing.T, addr string, tr *tracing.Tracing) *grpc.ClientConn {
	t.Helper()
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{Tracing: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// TestOneCallIsOneTraceThroughAProcessThatDoesNotTrace: front (tracing)
// calls middle (tracing off), which calls back (tracing): back's span is a
// child of front's call, in front's trace, because the middle passes the
// trace context on even with no spans of its own; and every span carries
// the call's request id.
func TestOneCallIsOneTraceThroughAProcessThatDoesNotTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	backTr := start(t, exp, "back")
	back := testkit.Serve(t, echo(grpcx.NewServer(grpcx.ServerOptions{Name: "x", Logger: testkit.Quiet, Tracing: backTr}), nil))
	middle := testkit.Serve(t, echo(grpcx.NewServer(grpcx.ServerOptions{Name: "x", Logger: testkit.Quiet}), dial(t, back, nil)))
	frontTr := start(t, exp, "front")
	front := testkit.Serve(t, echo(grpcx.NewServer(grpcx.ServerOptions{Name: "x", Logger: testkit.Quiet, Tracing: frontTr}), dial(t, middle, frontTr)))

	ctx, root := frontTr.Provider().Tracer("test").Start(context.Background(), "root")
	ctx = metadata.AppendToOutgoingContext(ctx, grpcx.RequestIDHeader, "req-42")
	if err := dial(t, front, frontTr).Invoke(ctx, call, new(emptypb.Empty), new(emptypb.Empty)); err != nil {
		t.Fatal(err)
	}
	// A health check, as a probe makes them, is no span.
	if _, err := healthpb.NewHealthClient(dial(t, front, frontTr)).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	root.End()
	flush(t, frontTr, backTr) // not Shutdown: it would empty the shared exporter

	spans := exp.GetSpans()
	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans {
		if s.SpanContext.TraceID() != root.SpanContext().TraceID() {
			t.Errorf("span %s (%s) is in trace %s, not the root's", s.Name, s.Resource, s.SpanContext.TraceID())
		}
		key := s.Resource.String() + " " + s.SpanKind.String()
		byName[key] = append(byName[key], s)
	}
	frontServer := only(t, byName, "front", trace.SpanKindServer)
	frontClients := all(byName, "front", trace.SpanKindClient)
	backServer := only(t, byName, "back", trace.SpanKindServer)
	if len(frontClients) != 2 {
		t.Fatalf("front made %d client spans, want 2 (the test's call, front's call to middle): %v", len(frontClients), spans)
	}
	var toMiddle tracetest.SpanStub
	for _, c := range frontClients {
		if c.Parent.SpanID() == frontServer.SpanContext.SpanID() {
			toMiddle = c
		}
	}
	if backServer.Parent.SpanID() != toMiddle.SpanContext.SpanID() || !toMiddle.SpanContext.IsValid() {
		t.Errorf("back's span has parent %s; want front's call to middle, %s", backServer.Parent.SpanID(), toMiddle.SpanContext.SpanID())
	}
	for _, s := range []tracetest.SpanStub{frontServer, backServer} {
		if got := attr(s, tracing.RequestIDKey); got != "req-42" {
			t.Errorf("%s: request_id %q, want req-42", s.Resource, got)
		}
	}
}

func flush(t *testing.T, trs ...*tracing.Tracing) {
	t.Helper()
	for _, tr := range trs {
		if err := tr.Provider().(*sdktrace.TracerProvider).ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func all(by map[string][]tracetest.SpanStub, service string, kind trace.SpanKind) []tracetest.SpanStub {
	for k, v := range by {
		if strings.Contains(k, "service.name="+service) && strings.HasSuffix(k, " "+kind.String()) {
			return v
		}
	}
	return nil
}

func only(t *testing.T, by map[string][]tracetest.SpanStub, service string, kind trace.SpanKind) tracetest.SpanStub {
	t.Helper()
	got := all(by, service, kind)
	if len(got) != 1 {
		t.Fatalf("%s made %d %s spans, want 1: %v", service, len(got), kind, by)
	}
	return got[0]
}

func attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.AsString()
		}
	}
	return ""
}

// TestOffIsOff: with no endpoint, flag or variable, there is no tracer of
// the SDK; with one, there is, and it never needs the collector up.
func TestOffIsOff(t *testing.T) {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"} {
		t.Setenv(v, "")
	}
	tr, err := tracing.Start(context.Background(), tracing.Config{Service: "x"})
	if err != nil || tr.Enabled() {
		t.Fatalf("no endpoint: %v, enabled %v", err, tr.Enabled())
	}
	if _, ok := tr.Provider().Tracer("x").Start(context.Background(), "s"); ok.IsRecording() {
		t.Fatal("tracing off records spans")
	}
	for _, c := range []struct {
		name, flag, env string
		on              bool
	}{
		{"a URL flag", "http://127.0.0.1:1", "", true},
		{"a host:port flag", "127.0.0.1:1", "", true},
		{"the standard variable", "", "http://127.0.0.1:1", true},
		{"the standard variable, with the SDK disabled", "", "http://127.0.0.1:1;disabled", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, disabled, _ := strings.Cut(c.env, ";")
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", env)
			if disabled != "" {
				t.Setenv("OTEL_SDK_DISABLED", "true")
			}
			tr, err := tracing.Start(context.Background(), tracing.Config{Service: "x", Endpoint: c.flag})
			if err != nil || tr.Enabled() != c.on {
				t.Fatalf("%v, enabled %v; want %v", err, tr.Enabled(), c.on)
			}
			_ = tr.Shutdown()
		})
	}
}

// TestOTLPExport: a process with -otlp-endpoint, or with only the
// standard OTEL_EXPORTER_OTLP_ENDPOINT, exports its spans to the
// collector there, over OTLP gRPC, with its service name.
func TestOTLPExport(t *testing.T) {
	for _, byFlag := range []bool{true, false} {
		name := map[bool]string{true: "by -otlp-endpoint", false: "by OTEL_EXPORTER_OTLP_ENDPOINT"}[byFlag]
		t.Run(name, func(t *testing.T) {
			col := otlpfake.Start(t)
			c := tracing.Config{Service: "exporter"}
			if byFlag {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
				c.Endpoint = col.Endpoint
			} else {
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.Endpoint) // http://127.0.0.1:PORT
				t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
			}
			tr, err := tracing.Start(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			_, s := tr.Provider().Tracer("t").Start(context.Background(), "work")
			s.End()
			if err := tr.Shutdown(); err != nil {
				t.Fatal(err)
			}
			got := col.Trace(s.SpanContext().TraceID().String())
			if len(got) != 1 || got[0].Service != "exporter" || got[0].Name != "work" {
				t.Fatalf("collector got %v", got)
			}
		})
	}
}

// TestLogLinesCarryTheTrace: a record logged with a traced context names
// its trace and span; one without names none.
func TestLogLinesCarryTheTrace(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&buf, nil))).With("service", "x")
	tr := start(t, tracetest.NewInMemoryExporter(), "x")
	ctx, s := tr.Provider().Tracer("t").Start(context.Background(), "work")
	log.InfoContext(ctx, "traced")
	log.InfoContext(context.Background(), "untraced")
	s.End()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var traced, untraced map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &traced) != nil || json.Unmarshal([]byte(lines[1]), &untraced) != nil {
		t.Fatalf("log: %s", buf.String())
	}
	if traced["trace_id"] != s.SpanContext().TraceID().String() || traced["span_id"] != s.SpanContext().SpanID().String() || traced["service"] != "x" {
		t.Errorf("traced line: %v", traced)
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Errorf("untraced line: %v", untraced)
	}
}
