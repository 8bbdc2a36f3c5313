package tracing_test

import (
	"context"
	"net"
	"testing"

	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/tracing"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// BenchmarkCallOnLoopback is one unary call, client and server in one
// process: bare gRPC, then with tracing off (no spans: two interceptors
// carry the caller's trace context on), then on (otelgrpc's stats
// handlers, spans recorded and batched to an exporter that drops them).
// Read the ratios: off should cost next to nothing over bare.
func BenchmarkCallOnLoopback(b *testing.B) {
	on, err := tracing.Start(context.Background(), tracing.Config{Service: "bench", Exporter: tracetest.NewNoopExporter()})
	if err != nil {
		b.Fatal(err)
	}
	defer on.Shutdown()
	for _, c := range []struct {
		name string
		tr   *tracing.Tracing
		with bool
	}{{"bare", nil, false}, {"off", nil, true}, {"on", on, true}} {
		b.Run(c.name, func(b *testing.B) {
			var sopts []grpc.ServerOption
			copts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
			if c.with {
				sopts = append(sopts, c.tr.ServerOptions()...)
				copts = append(copts, c.tr.DialOptions()...)
			}
			srv := grpc.NewServer(sopts...)
			// Through the server's interceptors: with tracing off, they are
			// what carries the caller's trace context on.
			testkit.RegisterProbe(srv, "test.Echo", func(context.Context) error { return nil })
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go srv.Serve(lis)
			defer srv.Stop()
			cc, err := grpc.NewClient(lis.Addr().String(), copts...)
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Close()
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				if err := cc.Invoke(ctx, call, new(emptypb.Empty), new(emptypb.Empty)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
