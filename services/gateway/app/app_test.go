package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
)

const host = `{"kind":"MEMBER_KIND_HOST","displayName":"区长 (巴南)","district":"banan","official":true}`

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
		if r.Code != 200 {
			t.Errorf("got %d %s", r.Code, r.Raw)
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
		if r.Code != 204 || r.Header.Get("Access-Control-Allow-Origin") != "http://allowed.example" ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("got %d %v", r.Code, r.Header)
		}
	})
	t.Run("preflight from a refused origin", func(t *testing.T) {
		r := pre("http://evil.example")
		if r.Code != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" || r.Reason() != "CORS_ORIGIN_NOT_ALLOWED" {
			t.Errorf("got %d %v %s", r.Code, r.Header, r.Raw)
		}
	})
	t.Run("simple request from an allowed origin carries ACAO", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Origin": "http://allowed.example"})
		if r.Code != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://allowed.example" {
			t.Errorf("got %d %v", r.Code, r.Header)
		}
	})
	t.Run("simple request from a refused origin carries none", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Origin": "http://evil.example"})
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("got %v", r.Header)
		}
	})
}

func TestConfigRefusesWildcardOrigin(t *testing.T) {
	for _, o := range []string{"*", "https://*.example.com", "example.com"} {
		if _, err := app.New(app.Config{CORSOrigins: o, MaxBodyBytes: 1}, testkit.Quiet); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
}

func TestHeadersPassedThrough(t *testing.T) {
	e := start(t, nil)
	r := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Authorization": "Bearer t0k3n", "X-Request-Id": "req-42"})
	if r.Code != 200 || r.Header.Get("X-Request-Id") != "req-42" {
		t.Fatalf("got %d %v", r.Code, r.Header)
	}
	if got := r.Header.Get("Grpc-Metadata-Content-Type") + r.Header.Get("Grpc-Metadata-X-Request-Id"); got != "" {
		t.Errorf("gRPC headers leak into the response: %v", r.Header)
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
		id := r.Header.Get("X-Request-Id")
		if got := e.seen.last().Get(grpcx.RequestIDHeader); id == "" || len(got) != 1 || got[0] != id {
			t.Errorf("response id %q, service saw %v", id, got)
		}
	})
}

func TestHealthReadinessAndOpenAPI(t *testing.T) {
	e := start(t, nil)
	if r := do(t, "GET", e.url+"/healthz", "", nil); r.Code != 200 {
		t.Errorf("healthz: %d", r.Code)
	}
	if r := do(t, "GET", e.url+"/readyz", "", nil); r.Code != 200 || r.Body["status"] != "ready" {
		t.Errorf("readyz with all up: %d %s", r.Code, r.Raw)
	}
	idx := do(t, "GET", e.url+"/openapi/", "", nil)
	if docs := fmt.Sprint(idx.Body["documents"]); idx.Code != 200 || !strings.Contains(docs, "/openapi/member_registry.swagger.json") {
		t.Errorf("openapi index: %d %s", idx.Code, idx.Raw)
	}
	doc := do(t, "GET", e.url+"/openapi/sales_reporting.swagger.json", "", nil)
	if doc.Code != 200 || doc.Body["swagger"] != "2.0" {
		t.Errorf("openapi doc: %d %.200s", doc.Code, doc.Raw)
	}

	e.stopSales()
	r := do(t, "GET", e.url+"/readyz", "", nil)
	if r.Code != 503 || fmt.Sprint(r.Body["down"]) != "[sales-reporting]" {
		t.Errorf("readyz with sales-reporting down: %d %s", r.Code, r.Raw)
	}
	r = do(t, "GET", e.url+"/v1/reports:overview?startDate=2026-01-01&endDate=2026-02-01", "", nil)
	if d := r.Detail("google.rpc.ErrorInfo"); r.Code != 503 || r.Reason() != "SERVICE_UNAVAILABLE" ||
		fmt.Sprint(d["metadata"]) != "map[service:sales-reporting]" || strings.Contains(r.Raw, "127.0.0.1") {
		t.Errorf("call to the stopped service: %d %s", r.Code, r.Raw)
	}
	if r := do(t, "GET", e.url+"/healthz", "", nil); r.Code != 200 {
		t.Errorf("healthz must not follow the services: %d", r.Code)
	}
}
