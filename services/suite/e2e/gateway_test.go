package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/testkit"
)

type httpReply struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func send(t *testing.T, method, url, body string, hdr map[string]string) httpReply {
	t.Helper()
	r := testkit.Fetch(t, http.DefaultClient, method, url, body, hdr)
	return httpReply{code: r.Code, header: r.Header, body: r.Body, raw: r.Raw}
}

func (r httpReply) result() result { return result{body: r.body, raw: r.raw, http: r.code} }

// TestGatewayErrorPaths runs against the real binaries: each error the
// gateway promises, with its HTTP code and google.rpc.Status body.
func TestGatewayErrorPaths(t *testing.T) {
	const allowed = "http://admin.alliance.test"
	s := startSuite(t, "-cors-origins", allowed, "-max-body-bytes", "8192", "-ready-timeout", "500ms")
	u, admin := s.gatewayURL(), s.admin()
	host := `{"kind":"MEMBER_KIND_HOST","displayName":"主播","district":"dazu"}`
	if r := send(t, "POST", u+"/v1/members?memberId=h1", host, admin); r.code != 200 {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}

	t.Run("401 without a key or with a wrong one, saying nothing of the resource", func(t *testing.T) {
		for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer adm_" + strings.Repeat("x", 52)}, {"Authorization": "Basic Zm9vOmJhcg=="}} {
			r := send(t, "GET", u+"/v1/members/h1", "", hdr)
			if r.code != 401 || r.body["code"] != float64(16) || reason(r.result()) != "UNAUTHENTICATED" || strings.Contains(r.raw, "h1") {
				t.Errorf("%v: got %d %s", hdr, r.code, r.raw)
			}
		}
	})
	t.Run("404 for an unknown member", func(t *testing.T) {
		r := send(t, "GET", u+"/v1/members/nobody", "", admin)
		if r.code != 404 || r.body["code"] != float64(5) || reason(r.result()) != "MEMBER_NOT_FOUND" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("400 with one field violation per bad field", func(t *testing.T) {
		r := send(t, "POST", u+"/v1/members", `{"kind":"MEMBER_KIND_HOST","displayName":"","district":"atlantis"}`, admin)
		got := strings.Join(violations(r.result()), ",")
		if r.code != 400 || !strings.Contains(got, "member.display_name") || !strings.Contains(got, "member.district") {
			t.Errorf("got %d violations %q: %s", r.code, got, r.raw)
		}
	})
	t.Run("409 for a stale etag", func(t *testing.T) {
		cur := send(t, "GET", u+"/v1/members/h1", "", admin)
		etag, _ := cur.body["etag"].(string)
		patch := func() httpReply {
			return send(t, "PATCH", u+"/v1/members/h1?updateMask=display_name", `{"displayName":"改名","etag":"`+etag+`"}`, admin)
		}
		if r := patch(); r.code != 200 {
			t.Fatalf("first update: %d %s", r.code, r.raw)
		}
		r := patch()
		if r.code != 409 || r.body["code"] != float64(10) || reason(r.result()) != "ETAG_MISMATCH" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("409 for a taken id", func(t *testing.T) {
		r := send(t, "POST", u+"/v1/members?memberId=h1", host, admin)
		if r.code != 409 || r.body["code"] != float64(6) {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("413 for a body over the cap", func(t *testing.T) {
		big := `{"kind":"MEMBER_KIND_HOST","district":"dazu","displayName":"` + strings.Repeat("长", 8192) + `"}`
		r := send(t, "POST", u+"/v1/members", big, admin)
		if r.code != 413 || reason(r.result()) != "REQUEST_BODY_TOO_LARGE" {
			t.Errorf("got %d %s", r.code, r.raw)
		}
	})
	t.Run("CORS preflight from the allowed origin", func(t *testing.T) {
		r := send(t, "OPTIONS", u+"/v1/sessions", "", map[string]string{
			"Origin": allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
		if r.code != 204 || r.header.Get("Access-Control-Allow-Origin") != allowed ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("got %d %v", r.code, r.header)
		}
	})
	t.Run("CORS preflight from a refused origin", func(t *testing.T) {
		r := send(t, "OPTIONS", u+"/v1/sessions", "", map[string]string{
			"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "POST"})
		if r.code != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("got %d %v", r.code, r.header)
		}
	})
	t.Run("X-Request-Id comes back", func(t *testing.T) {
		r := send(t, "GET", u+"/v1/districts", "", map[string]string{"X-Request-Id": "e2e-123", "Authorization": admin["Authorization"]})
		if r.code != 200 || r.header.Get("X-Request-Id") != "e2e-123" {
			t.Errorf("got %d %v", r.code, r.header)
		}
	})
	t.Run("OpenAPI documents are served", func(t *testing.T) {
		r := send(t, "GET", u+"/openapi/session_scheduler.swagger.json", "", nil)
		if r.code != 200 || r.body["swagger"] != "2.0" {
			t.Errorf("got %d %.200s", r.code, r.raw)
		}
	})
	t.Run("readyz goes 503 when a service stops, and calls to it 503", func(t *testing.T) {
		if r := send(t, "GET", u+"/readyz", "", nil); r.code != 200 {
			t.Fatalf("readyz before: %d %s", r.code, r.raw)
		}
		if p := s.procs["sales-reporting"]; !p.Stop(10 * time.Second) {
			t.Errorf("sales-reporting did not stop gracefully: %s", p.Describe())
		}
		r := send(t, "GET", u+"/readyz", "", nil)
		if r.code != 503 || !strings.Contains(r.raw, "sales-reporting") || strings.Contains(r.raw, `"down":["member`) {
			t.Errorf("readyz after: %d %s", r.code, r.raw)
		}
		r = send(t, "GET", u+"/v1/reports:overview?startDate=2026-01-01&endDate=2026-02-01", "", admin)
		if r.code != 503 || r.body["code"] != float64(14) || reason(r.result()) != "SERVICE_UNAVAILABLE" ||
			!strings.Contains(r.raw, "sales-reporting is unavailable") {
			t.Errorf("call to the stopped service: %d %s", r.code, r.raw)
		}
		if r := send(t, "GET", u+"/healthz", "", nil); r.code != 200 {
			t.Errorf("healthz: %d", r.code)
		}
	})
}
