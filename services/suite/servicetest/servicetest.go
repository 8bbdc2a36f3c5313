// Package servicetest runs the real services in the test's own process,
// on free loopback ports, for the tests that are about two of them
// together: a key the registry issues and the scheduler checks, TLS and
// service tokens between them, sales following the real scheduler, the
// gateway in front of the real registry. Each service's own tests run it
// against fakes of its dependencies (kit/testkit/memberfake and fakes of
// their own), so that no service module requires another; these tests,
// in the suite's module, are where the real ones meet. The tests that
// start the built binaries as processes are in services/suite/e2e.
package servicetest

import (
	"testing"
	"time"

	gatewayapp "github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	salesapp "github.com/cqlive/alliance/services/sales-reporting/app"
	schedapp "github.com/cqlive/alliance/services/session-scheduling/app"
)

// serve builds a service with build and serves it on loopback until the
// test ends. The service gets a data folder of its own and a short
// shutdown, unless c, the common part of its Config, sets them.
func serve(t testing.TB, name string, c *service.Config, build func() (*grpcx.Server, error)) string {
	t.Helper()
	if c.DataDir == "" {
		c.DataDir = t.TempDir()
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = time.Second
	}
	srv, err := build()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return testkit.Serve(t, srv)
}

// Registry runs a real member registry with c and returns its address.
// Without a SessionSchedulingAddr it asks no scheduler (no studio can be
// removed).
func Registry(t testing.TB, c memberapp.Config) string {
	t.Helper()
	return serve(t, "member registry", &c.Config, func() (*grpcx.Server, error) { return memberapp.New(c, testkit.Quiet) })
}

// Scheduler runs a real session scheduler with c and returns its address.
func Scheduler(t testing.TB, c schedapp.Config) string {
	t.Helper()
	return serve(t, "session scheduling", &c.Config, func() (*grpcx.Server, error) { return schedapp.New(c, testkit.Quiet) })
}

// Sales runs real sales reporting with c and returns its address.
func Sales(t testing.TB, c salesapp.Config) string {
	t.Helper()
	return serve(t, "sales reporting", &c.Config, func() (*grpcx.Server, error) { return salesapp.New(c, testkit.Quiet) })
}

// Gateway runs the real gateway with c and returns its base URL.
func Gateway(t testing.TB, c gatewayapp.Config) string {
	t.Helper()
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	gw, err := gatewayapp.New(c, testkit.Quiet)
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	return "http://" + testkit.Serve(t, gw)
}
