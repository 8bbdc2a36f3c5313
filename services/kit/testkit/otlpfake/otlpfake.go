// Package otlpfake is an OpenTelemetry collector for tests: an OTLP trace
// receiver (gRPC) on loopback that keeps every span it is sent, so that a
// test can start real processes with -otlp-endpoint pointing at it and
// read the traces they exported.
package otlpfake

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	collectorv1 "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonv1 "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
)

// Span is one exported span, flattened.
type Span struct {
	// Service is the service.name of the process that exported it.
	Service                   string
	TraceID, SpanID, ParentID string // hex; ParentID is "" for a root
	Name                      string
	Kind                      string // SPAN_KIND_SERVER, ...
	Attrs                     map[string]string
}

func (s Span) String() string {
	return fmt.Sprintf("%s %q (%s) trace %s span %s parent %s", s.Service, s.Name, s.Kind, s.TraceID, s.SpanID, s.ParentID)
}

// Collector receives spans.
type Collector struct {
	collectorv1.UnimplementedTraceServiceServer
	// Endpoint is where to send them: http://127.0.0.1:PORT.
	Endpoint string
	mu       sync.Mutex
	spans    []Span
}

// Start serves a collector on a free loopback port until the test ends.
func Start(t testing.TB) *Collector {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{Endpoint: "http://" + lis.Addr().String()}
	srv := grpc.NewServer()
	collectorv1.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return c
}

// Export implements the OTLP trace service.
func (c *Collector) Export(_ context.Context, req *collectorv1.ExportTraceServiceRequest) (*collectorv1.ExportTraceServiceResponse, error) {
	var got []Span
	for _, rs := range req.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				got = append(got, Span{
					Service: service, TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentID: hex.EncodeToString(s.GetParentSpanId()), Name: s.GetName(), Kind: s.GetKind().String(),
					Attrs: attrs(s.GetAttributes()),
				})
			}
		}
	}
	c.mu.Lock()
	c.spans = append(c.spans, got...)
	c.mu.Unlock()
	return &collectorv1.ExportTraceServiceResponse{}, nil
}

func attrs(kvs []*commonv1.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[kv.GetKey()] = v.GetStringValue()
		default:
			m[kv.GetKey()] = fmt.Sprint(v.GetValue())
		}
	}
	return m
}

// Trace returns the spans of one trace received so far.
func (c *Collector) Trace(traceID string) []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Span
	for _, s := range c.spans {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

// WaitTrace waits up to timeout until done says the spans of the trace are
// all there, and returns them (all that came, when they never do).
func (c *Collector) WaitTrace(traceID string, timeout time.Duration, done func([]Span) bool) []Span {
	deadline := time.Now().Add(timeout)
	for {
		spans := c.Trace(traceID)
		if done(spans) || time.Now().After(deadline) {
			return spans
		}
		time.Sleep(50 * time.Millisecond)
	}
}
