package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	member "github.com/cqlive/alliance/services/member-registry/app"
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
	return standIn(t, name, nil, opts...)
}

// standIn serves what register adds, besides health and reflection.
func standIn(t testing.TB, name string, register func(*grpc.Server), opts ...grpc.ServerOption) (string, func()) {
	t.Helper()
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: name, Logger: quiet(), GRPC: opts})
	if register != nil {
		register(srv.GRPC)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return lis.Addr().String(), stop
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start runs a real member registry, stand-ins for the other two services
// and the gateway, all on loopback.
func start(t testing.TB, mutate func(*app.Config)) env {
	return startWith(t, setup{gateway: mutate})
}

// setup changes what startWith runs.
type setup struct {
	gateway  func(*app.Config)
	registry func(*member.Config)
	// sales registers a stand-in's services; nil serves health only.
	sales func(*grpc.Server)
}

func startWith(t testing.TB, o setup) env {
	t.Helper()
	s := &seen{}
	rc := member.Config{DataDir: t.TempDir(), Unary: []grpc.UnaryServerInterceptor{s.interceptor}}
	if o.registry != nil {
		o.registry(&rc)
	}
	reg, err := member.New(rc, quiet())
	if err != nil {
		t.Fatal(err)
	}
	regAddr := testkit.Serve(t, reg)
	sessAddr, _ := healthOnly(t, sessionv1.SessionScheduler_ServiceDesc.ServiceName)
	salesAddr, stopSales := standIn(t, salesv1.SalesReporting_ServiceDesc.ServiceName, o.sales)

	c := app.Config{
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: sessAddr, SalesReportingAddr: salesAddr,
		MaxBodyBytes: 1 << 20, CORSOrigins: "http://allowed.example", ReadyTimeout: 500 * time.Millisecond,
	}
	if o.gateway != nil {
		o.gateway(&c)
	}
	gw, err := app.New(c, quiet())
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway stopped with error: %v", err)
		}
	})
	return env{url: "http://" + lis.Addr().String(), regAddr: regAddr, seen: s, stopSales: stopSales}
}

// keyed sends a bearer key on every request that does not set its own
// Authorization (the gateway refuses a /v1/ request without one). The
// registry of these tests checks no keys, so any key passes.
var keyed = &http.Client{Transport: withKey{http.DefaultTransport}}

type withKey struct{ next http.RoundTripper }

func (k withKey) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, set := r.Header["Authorization"]; !set {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer test-key")
	}
	return k.next.RoundTrip(r)
}

type reply struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, method, url, body string, hdr map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := keyed.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{code: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

// detail returns the first detail of a Status body with the given @type suffix.
func detail(r reply, typ string) map[string]any {
	ds, _ := r.body["details"].([]any)
	for _, d := range ds {
		m, _ := d.(map[string]any)
		if at, _ := m["@type"].(string); strings.HasSuffix(at, typ) {
			return m
		}
	}
	return nil
}

func reason(r reply) string {
	if d := detail(r, "google.rpc.ErrorInfo"); d != nil {
		s, _ := d["reason"].(string)
		return s
	}
	return ""
}

const host = `{"kind":"MEMBER_KIND_HOST","displayName":"区长 (巴南)","district":"banan","official":true}`

func TestRoutesAndJSONConventions(t *testing.T) {
	e := start(t, nil)
	r := do(t, "POST", e.url+"/v1/members?memberId=banan-head", host, nil)
	if r.code != 200 {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	// lowerCamelCase names, enums by name, zero values left out.
	if r.body["name"] != "members/banan-head" || r.body["kind"] != "MEMBER_KIND_HOST" || r.body["displayName"] != "区长 (巴南)" ||
		r.body["state"] != "MEMBER_STATE_ACTIVE" || r.body["official"] != true {
		t.Errorf("create body: %s", r.raw)
	}
	if _, ok := r.body["agency"]; ok {
		t.Errorf("empty agency should be left out: %s", r.raw)
	}
	if _, ok := r.body["createTime"]; !ok {
		t.Errorf("no createTime: %s", r.raw)
	}
	g := do(t, "GET", e.url+"/v1/members/banan-head", "", nil)
	if g.code != 200 || g.body["etag"] != r.body["etag"] {
		t.Errorf("get: %d %s", g.code, g.raw)
	}
	d := do(t, "GET", e.url+"/v1/districts", "", nil)
	if ds, _ := d.body["districts"].([]any); d.code != 200 || len(ds) != 38 {
		t.Errorf("districts: %d %s", d.code, d.raw)
	}
}

func TestErrorPaths(t *testing.T) {
	e := start(t, func(c *app.Config) { c.MaxBodyBytes = 4096 })
	if r := do(t, "POST", e.url+"/v1/members?memberId=h1", host, nil); r.code != 200 {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	created := do(t, "GET", e.url+"/v1/members/h1", "", nil)

	t.Run("unknown member is 404 with ErrorInfo", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/members/nobody", "", nil)
		if r.code != 404 || reason(r) != "MEMBER_NOT_FOUND" || r.body["code"] != float64(5) {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("invalid fields are 400 with one field violation each", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", `{"kind":"MEMBER_KIND_HOST","displayName":"","district":"atlantis"}`, nil)
		br := detail(r, "google.rpc.BadRequest")
		fvs, _ := br["fieldViolations"].([]any)
		if r.code != 400 || len(fvs) < 2 {
			t.Fatalf("got %d %s", r.code, r.raw)
		}
		fields := fmt.Sprint(fvs)
		for _, f := range []string{"display_name", "district"} {
			if !strings.Contains(fields, f) {
				t.Errorf("no violation for %s: %s", f, r.raw)
			}
		}
	})
	t.Run("a misspelt JSON field is 400, not ignored", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", `{"kind":"MEMBER_KIND_HOST","dispalyName":"x","district":"banan"}`, nil)
		if r.code != 400 || !strings.Contains(r.raw, "dispalyName") {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("duplicate id is 409 ALREADY_EXISTS", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members?memberId=h1", `{"kind":"MEMBER_KIND_HOST","displayName":"other","district":"yuzhong"}`, nil)
		if r.code != 409 || reason(r) != "MEMBER_ALREADY_EXISTS" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("stale etag is 409 ABORTED", func(t *testing.T) {
		etag, _ := created.body["etag"].(string)
		ok := do(t, "PATCH", e.url+"/v1/members/h1?updateMask=display_name", `{"displayName":"新名字","etag":"`+etag+`"}`, nil)
		if ok.code != 200 {
			t.Fatalf("first update: %d %s", ok.code, ok.raw)
		}
		r := do(t, "PATCH", e.url+"/v1/members/h1?updateMask=display_name", `{"displayName":"again","etag":"`+etag+`"}`, nil)
		if r.code != 409 || reason(r) != "ETAG_MISMATCH" || r.body["code"] != float64(10) {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("wrong state is 400 FAILED_PRECONDITION", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members/h1:reinstate", `{}`, nil)
		if r.code != 400 || r.body["code"] != float64(9) || reason(r) != "INVALID_STATE_TRANSITION" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("unknown route is 404 with reason ROUTE_NOT_FOUND", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/nothing-here", "", nil)
		if r.code != 404 || r.body["code"] != float64(5) || reason(r) != "ROUTE_NOT_FOUND" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("a body that is not JSON is 400 with reason MALFORMED_REQUEST", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", `{"kind":`, nil)
		if r.code != 400 || reason(r) != "MALFORMED_REQUEST" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("an RPC the service lacks is 501 with a reason", func(t *testing.T) {
		// The sales stand-in serves only health checks.
		r := do(t, "GET", e.url+"/v1/reports:overview?startDate=2026-01-01&endDate=2026-02-01", "", nil)
		if r.code != 501 || reason(r) != "UNIMPLEMENTED" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
}

func TestBodyCap(t *testing.T) {
	const max = 4096
	e := start(t, func(c *app.Config) { c.MaxBodyBytes = max })
	big := `{"kind":"MEMBER_KIND_HOST","district":"banan","displayName":"` + strings.Repeat("x", 2*max) + `"}`
	check := func(t *testing.T, r *http.Response) {
		t.Helper()
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		var st map[string]any
		_ = json.Unmarshal(b, &st)
		if r.StatusCode != 413 || !strings.Contains(string(b), "REQUEST_BODY_TOO_LARGE") || st["code"] != float64(3) {
			t.Errorf("got %d %s", r.StatusCode, b)
		}
	}
	t.Run("declared length over the cap is 413 before reading", func(t *testing.T) {
		resp, err := keyed.Post(e.url+"/v1/members", "application/json", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		check(t, resp)
	})
	t.Run("chunked body over the cap is 413 while streaming", func(t *testing.T) {
		// io.MultiReader hides the length, so the client sends it chunked.
		req, _ := http.NewRequest("POST", e.url+"/v1/members", io.MultiReader(strings.NewReader(big)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := keyed.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if req.ContentLength > 0 {
			t.Fatal("request was not chunked")
		}
		check(t, resp)
	})
	t.Run("a body under the cap passes", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", host, nil)
		if r.code != 200 {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
}

func TestCORS(t *testing.T) {
	e := start(t, nil)
	pre := func(origin string) reply {
		return do(t, "OPTIONS", e.url+"/v1/members", "", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type",
		})
	}
	t.Run("preflight from an allowed origin", func(t *testing.T) {
		r := pre("http://allowed.example")
		if r.code != 204 || r.header.Get("Access-Control-Allow-Origin") != "http://allowed.example" ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("got %d %v", r.code, r.header)
		}
	})
	t.Run("preflight from a refused origin", func(t *testing.T) {
		r := pre("http://evil.example")
		if r.code != 403 || r.header.Get("Access-Control-Allow-Origin") != "" || reason(r) != "CORS_ORIGIN_NOT_ALLOWED" {
			t.Errorf("got %d %v %s", r.code, r.header, r.raw)
		}
	})
	t.Run("simple request from an allowed origin carries ACAO", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Origin": "http://allowed.example"})
		if r.code != 200 || r.header.Get("Access-Control-Allow-Origin") != "http://allowed.example" {
			t.Errorf("got %d %v", r.code, r.header)
		}
	})
	t.Run("simple request from a refused origin carries none", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Origin": "http://evil.example"})
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("got %v", r.header)
		}
	})
}

func TestConfigRefusesWildcardOrigin(t *testing.T) {
	for _, o := range []string{"*", "https://*.example.com", "example.com"} {
		if _, err := app.New(app.Config{CORSOrigins: o, MaxBodyBytes: 1}, quiet()); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
}

func TestHeadersPassedThrough(t *testing.T) {
	e := start(t, nil)
	r := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Authorization": "Bearer t0k3n", "X-Request-Id": "req-42"})
	if r.code != 200 || r.header.Get("X-Request-Id") != "req-42" {
		t.Fatalf("got %d %v", r.code, r.header)
	}
	if got := r.header.Get("Grpc-Metadata-Content-Type") + r.header.Get("Grpc-Metadata-X-Request-Id"); got != "" {
		t.Errorf("gRPC headers leak into the response: %v", r.header)
	}
	md := e.seen.last()
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer t0k3n" {
		t.Errorf("authorization metadata: %v", md)
	}
	if got := md.Get(grpcx.RequestIDHeader); len(got) != 1 || got[0] != "req-42" {
		t.Errorf("request id metadata: %v", md)
	}
	t.Run("a request without an id gets one, same as the services saw", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/districts", "", nil)
		id := r.header.Get("X-Request-Id")
		if got := e.seen.last().Get(grpcx.RequestIDHeader); id == "" || len(got) != 1 || got[0] != id {
			t.Errorf("response id %q, service saw %v", id, got)
		}
	})
}

func TestHealthReadinessAndOpenAPI(t *testing.T) {
	e := start(t, nil)
	if r := do(t, "GET", e.url+"/healthz", "", nil); r.code != 200 {
		t.Errorf("healthz: %d", r.code)
	}
	if r := do(t, "GET", e.url+"/readyz", "", nil); r.code != 200 || r.body["status"] != "ready" {
		t.Errorf("readyz with all up: %d %s", r.code, r.raw)
	}
	idx := do(t, "GET", e.url+"/openapi/", "", nil)
	if docs := fmt.Sprint(idx.body["documents"]); idx.code != 200 || !strings.Contains(docs, "/openapi/member_registry.swagger.json") {
		t.Errorf("openapi index: %d %s", idx.code, idx.raw)
	}
	doc := do(t, "GET", e.url+"/openapi/sales_reporting.swagger.json", "", nil)
	if doc.code != 200 || doc.body["swagger"] != "2.0" {
		t.Errorf("openapi doc: %d %.200s", doc.code, doc.raw)
	}

	e.stopSales()
	r := do(t, "GET", e.url+"/readyz", "", nil)
	if r.code != 503 || fmt.Sprint(r.body["down"]) != "[sales-reporting]" {
		t.Errorf("readyz with sales-reporting down: %d %s", r.code, r.raw)
	}
	r = do(t, "GET", e.url+"/v1/reports:overview?startDate=2026-01-01&endDate=2026-02-01", "", nil)
	if d := detail(r, "google.rpc.ErrorInfo"); r.code != 503 || reason(r) != "SERVICE_UNAVAILABLE" ||
		fmt.Sprint(d["metadata"]) != "map[service:sales-reporting]" || strings.Contains(r.raw, "127.0.0.1") {
		t.Errorf("call to the stopped service: %d %s", r.code, r.raw)
	}
	if r := do(t, "GET", e.url+"/healthz", "", nil); r.code != 200 {
		t.Errorf("healthz must not follow the services: %d", r.code)
	}
}
