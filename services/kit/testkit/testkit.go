// Package testkit starts real servers for tests: a gRPC server of the kit on
// a loopback port, stopped when the test ends.
package testkit

import (
	"context"
	"net"
	"testing"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc"
)

// Serve runs srv on 127.0.0.1 on a free port and returns its address. The
// server is stopped gracefully (closing its stores) when the test ends.
func Serve(t testing.TB, srv *grpcx.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	})
	return lis.Addr().String()
}

// Dial connects to addr with the kit's client options and closes the
// connection when the test ends.
func Dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}
