// Package testkit is what the suite's tests share: real servers on free
// loopback ports, stopped when the test ends; a client of a service that
// is down; a quiet logger, and a buffer for the logs a test reads; a
// clock a test moves by hand; the check of a gRPC error's code, reason
// and domain; and HTTP calls that read a google.rpc.Status body. A
// service's own fixtures stay in its tests; fakes of a dependency, for
// services that call it, are in the subpackages (memberfake).
package testkit

import (
	"context"
	"github.com/cqlive/alliance/services/kit/testkit/freeport"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc"
)

// Quiet is a logger that drops everything: the servers of a test log nothing.
var Quiet = slog.New(slog.DiscardHandler)

// Server is what Serve runs: a grpcx.Server, or the gateway.
type Server interface {
	Serve(ctx context.Context, lis net.Listener) error
}

// Serve runs srv on 127.0.0.1 on a free port and returns its address. The
// server is stopped gracefully (closing its stores) when the test ends.
func Serve(t testing.TB, srv Server) string {
	t.Helper()
	addr, _ := ServeOn(t, srv, "127.0.0.1:0")
	return addr
}

// ServeOn runs srv on addr ("127.0.0.1:0" for any free port) until stop is
// called or the test ends, and fails the test if srv stops with an error.
// An address just released by a stopped server may take a moment to be
// free again: ServeOn waits up to 5 s for it, so a test can restart a
// server where its clients expect it.
func ServeOn(t testing.TB, srv Server, addr string) (string, func()) {
	t.Helper()
	var lis net.Listener
	var err error
	for range 50 {
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stopped with error: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return lis.Addr().String(), stop
}

// StandIn serves, under the gRPC service name, only grpc.health.v1,
// reflection and what register adds (nil adds nothing): a stand-in for a
// service a test needs to be up, or to answer one call its way.
func StandIn(t testing.TB, name string, register func(*grpc.Server), opts ...grpc.ServerOption) (string, func()) {
	t.Helper()
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: name, Logger: Quiet, ShutdownTimeout: time.Second, GRPC: opts})
	if register != nil {
		register(srv.GRPC)
	}
	return ServeOn(t, srv, "127.0.0.1:0")
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

// Unreachable is a client of a loopback port where nothing listens, and
// that port's address: a real outage of a dependency. Its calls fail fast
// (a 300 ms connect timeout); it is closed when the test ends.
func Unreachable(t testing.TB) (*grpc.ClientConn, string) {
	t.Helper()
	addr := FreeAddr(t)
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc, addr
}

// Conn is a raw TCP connection to addr, for a test that speaks the wire
// protocol by hand; it is closed when the test ends. safety is its
// deadline: a net against a server that hangs, not a measurement.
func Conn(t testing.TB, addr string, safety time.Duration) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(safety))
	return conn
}

// Listen opens a listener on a free loopback port, closed when the test ends.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	return lis
}

// FreeAddr is a loopback address that was free a moment ago: for a
// process the test starts, which must listen on it itself.
// It comes from below the ephemeral range (see package freeport), so that
// no outbound connection takes it before the process binds it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
