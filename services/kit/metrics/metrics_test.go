package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/adminhttp"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func scrapeURL(t *testing.T, r *metrics.Registry) string {
	t.Helper()
	s, err := adminhttp.Start("127.0.0.1:0", adminhttp.Handler(r.Handler(), false), testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return "http://" + s.Addr() + "/metrics"
}

// TestRPCMetricsCountWhatTheCallerGot: the server counts every call by
// the code its caller got (a panic is the INTERNAL the caller sees), with
// its latency and while it is in flight; the client counts the same calls
// on its side; every method's series exist before its first call.
func TestRPCMetricsCountWhatTheCallerGot(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	hold := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		switch req.(*healthpb.HealthCheckRequest).GetService() {
		case "slow":
			close(entered)
			<-release
		case "panic":
			panic("a bug")
		}
		return h(ctx, req)
	}
	server, client := metrics.New(), metrics.New()
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "test.S", Logger: testkit.Quiet, Metrics: server, Unary: []grpc.UnaryServerInterceptor{hold}})
	srv.Health.SetServingStatus("slow", healthpb.HealthCheckResponse_SERVING)
	addr := testkit.Serve(t, srv)
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{Metrics: client})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	hc := healthpb.NewHealthClient(cc)
	ctx := context.Background()
	for range 3 {
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "panic"}); status.Code(err) != codes.Internal {
		t.Fatalf("a panicking call: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "slow"}); done <- err }()
	<-entered

	url := scrapeURL(t, server)
	check := map[string]string{"grpc_service": "grpc.health.v1.Health", "grpc_method": "Check"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range check {
			m[a] = b
		}
		return m
	}
	m := testkit.Scrape(t, url)
	if got := m.Value("alliance_grpc_server_in_flight", check); got != 1 {
		t.Errorf("in flight while one call waits: %v", got)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	m = testkit.Scrape(t, url)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"grpc_server_started_total", check, 5},
		{"grpc_server_handled_total", with("grpc_code", "OK"), 4},
		{"grpc_server_handled_total", with("grpc_code", "Internal"), 1},
		{"grpc_server_handling_seconds", check, 5},
		{"alliance_grpc_server_in_flight", check, 0},
	} {
		if got := m.Value(c.name, c.labels); got != c.want {
			t.Errorf("server %s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := m.Series("grpc_server_handled_total", map[string]string{"grpc_method": "Watch", "grpc_code": "OK"}); n != 1 {
		t.Errorf("Watch, never called, has %d series of handled calls; want one, at 0", n)
	}
	cm := testkit.Scrape(t, scrapeURL(t, client))
	if got := cm.Value("grpc_client_handled_total", with("grpc_code", "OK")); got != 4 {
		t.Errorf("client: %v calls OK, want 4", got)
	}
	if got := cm.Value("grpc_client_handling_seconds", check); got != 5 {
		t.Errorf("client: %v calls timed, want 5", got)
	}
}

// TestObserversKeepTheirMetrics: the commit and key-cache observers count
// what they are told, and a failed commit is an error, not a latency.
func TestObserversKeepTheirMetrics(t *testing.T) {
	r := metrics.New()
	commit, key := r.CommitObserver(), r.KeyCacheObserver()
	commit(3, 2*time.Millisecond, nil)
	commit(1, time.Millisecond, nil)
	commit(5, time.Second, context.DeadlineExceeded)
	key("hit")
	key("hit")
	key("miss")
	m := testkit.Scrape(t, scrapeURL(t, r))
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"alliance_boltdb_commit_writes", nil, 2},
		{"alliance_boltdb_commit_seconds", nil, 2},
		{"alliance_boltdb_commit_errors_total", nil, 1},
		{"alliance_auth_key_cache_lookups_total", map[string]string{"result": "hit"}, 2},
		{"alliance_auth_key_cache_lookups_total", map[string]string{"result": "miss"}, 1},
	} {
		if got := m.Value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if sum := m["alliance_boltdb_commit_writes"].GetMetric()[0].GetHistogram().GetSampleSum(); sum != 4 {
		t.Errorf("writes per commit sum to %v, want 4", sum)
	}
}

// TestANilRegistryCountsNothing: code under test runs without metrics.
func TestANilRegistryCountsNothing(t *testing.T) {
	var r *metrics.Registry
	r.Counter("x_total", "x", "a").Inc("b")
	r.Histogram("x_seconds", "x", nil).Observe(1)
	r.GaugeFunc("x", "x", func() float64 { return 1 })
	if r.CommitObserver() != nil || r.KeyCacheObserver() != nil || r.DialOptions() != nil {
		t.Fatal("a nil registry hands out observers")
	}
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "test.S", Logger: testkit.Quiet, Metrics: r})
	cc, err := grpcx.Dial(testkit.Serve(t, srv), grpcx.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
}
