package app_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// seen records the metadata of the calls that reached the member registry.
type seen struct {
	mu  sync.Mutex
	mds []metadata.MD
}

func (s *seen) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.mds = append(s.mds, md.Copy())
	s.mu.Unlock()
	return h(ctx, req)
}

func (s *seen) all() []metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]metadata.MD(nil), s.mds...)
}

func (s *seen) last() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.mds) == 0 {
		return nil
	}
	return s.mds[len(s.mds)-1]
}

type env struct {
	url     string
	regAddr string
	seen    *seen
	// stopSales stops the stand-in of sales-reporting.
	stopSales func()
}

// healthOnly serves only grpc.health.v1 (and reflection) under a service's
// name: a stand-in for a service whose routes a test does not call.
func healthOnly(t testing.TB, name string, opts ...grpc.ServerOption) (string, func()) {
	return testkit.StandIn(t, name, nil, opts...)
}

// registry is the member registry of these tests (the suite's tests run
// the gateway in front of the real one): it knows two districts.
func registry() *memberfake.Registry {
	r := memberfake.New()
	r.Districts = []*memberv1.District{{Code: "banan", DisplayName: "巴南区"}, {Code: "yuzhong", DisplayName: "渝中区"}}
	return r
}

// start runs a member registry, stand-ins for the other two services
// and the gateway, all on loopback.
func start(t testing.TB, mutate func(*app.Config)) env {
	return startWith(t, setup{gateway: mutate})
}

// setup changes what startWith runs.
type setup struct {
	gateway func(*app.Config)
	// sales registers a stand-in's services; nil serves health only.
	sales func(*grpc.Server)
}

func startWith(t testing.TB, o setup) env {
	t.Helper()
	s := &seen{}
	regAddr := testkit.Serve(t, registry().Server(grpcx.ServerOptions{Unary: []grpc.UnaryServerInterceptor{s.interceptor}}))
	sessAddr, _ := healthOnly(t, sessionv1.SessionScheduler_ServiceDesc.ServiceName)
	salesAddr, stopSales := testkit.StandIn(t, salesv1.SalesReporting_ServiceDesc.ServiceName, o.sales)

	c := app.Config{
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: sessAddr, SalesReportingAddr: salesAddr,
		MaxBodyBytes: 1 << 20, CORSOrigins: "http://allowed.example", ReadyTimeout: 500 * time.Millisecond,
	}
	if o.gateway != nil {
		o.gateway(&c)
	}
	gw, err := app.New(c, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	return env{url: "http://" + testkit.Serve(t, gw), regAddr: regAddr, seen: s, stopSales: stopSales}
}

// keyed sends a bearer key on every request that does not set its own
// Authorization (the gateway refuses a /v1/ request without one). The
// registry of these tests checks no keys, so any key passes.
var keyed = &http.Client{Transport: withKey(nil)}

// withKey is next (nil: the default transport) sending the tests' key.
func withKey(next http.RoundTripper) http.RoundTripper {
	return testkit.Bearer{Key: "test-key", Next: next}
}

type reply = testkit.Reply

// do sends a request with a key (keyed) and reads the answer.
func do(t *testing.T, method, url, body string, hdr map[string]string) reply {
	t.Helper()
	return testkit.Fetch(t, keyed, method, url, body, hdr)
}
