package servicetest_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	gatewayapp "github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	"github.com/cqlive/alliance/services/suite/servicetest"
)

// The gateway in front of the real member registry, for what only the
// registry's own answers show: its routes and JSON, its errors as HTTP
// statuses, update masks in JSON names, and its refusal of a key passed
// through unchanged. The gateway's own behaviour (limits, CORS, TLS,
// readiness, outages) is tested in services/gateway against a fake.

type gatewayEnv struct{ url string }

// startGateway runs a real member registry that checks no keys, stand-ins
// of the other two services (health only) and the gateway.
func startGateway(t *testing.T, mutate func(*gatewayapp.Config)) gatewayEnv {
	return startGatewayWith(t, mutate, auth.Security{})
}

func startGatewayWith(t *testing.T, mutate func(*gatewayapp.Config), registry auth.Security) gatewayEnv {
	t.Helper()
	regAddr := servicetest.Registry(t, memberapp.Config{Config: service.Config{Security: registry}})
	sessAddr, _ := testkit.StandIn(t, sessionv1.SessionScheduler_ServiceDesc.ServiceName, nil)
	salesAddr, _ := testkit.StandIn(t, salesv1.SalesReporting_ServiceDesc.ServiceName, nil)
	c := gatewayapp.Config{
		MemberRegistryAddr: regAddr, SessionSchedulingAddr: sessAddr, SalesReportingAddr: salesAddr,
		MaxBodyBytes: 1 << 20, CORSOrigins: "http://allowed.example", ReadyTimeout: 500 * time.Millisecond,
	}
	if mutate != nil {
		mutate(&c)
	}
	return gatewayEnv{url: servicetest.Gateway(t, c)}
}

// keyed sends a bearer key on every request that does not set its own
// Authorization: the gateway refuses a /v1/ request without one, and a
// registry that checks no keys lets any key pass.
var keyed = &http.Client{Transport: testkit.Bearer{Key: "test-key"}}

func do(t *testing.T, method, url, body string, hdr map[string]string) testkit.Reply {
	t.Helper()
	return testkit.Fetch(t, keyed, method, url, body, hdr)
}

const host = `{"kind":"MEMBER_KIND_HOST","displayName":"区长 (巴南)","district":"banan","official":true}`

func TestRoutesAndJSONConventions(t *testing.T) {
	e := startGateway(t, nil)
	r := do(t, "POST", e.url+"/v1/members?memberId=banan-head", host, nil)
	if r.Code != 200 {
		t.Fatalf("create: %d %s", r.Code, r.Raw)
	}
	// lowerCamelCase names, enums by name, zero values left out.
	if r.Body["name"] != "members/banan-head" || r.Body["kind"] != "MEMBER_KIND_HOST" || r.Body["displayName"] != "区长 (巴南)" ||
		r.Body["state"] != "MEMBER_STATE_ACTIVE" || r.Body["official"] != true {
		t.Errorf("create body: %s", r.Raw)
	}
	if _, ok := r.Body["agency"]; ok {
		t.Errorf("empty agency should be left out: %s", r.Raw)
	}
	if _, ok := r.Body["createTime"]; !ok {
		t.Errorf("no createTime: %s", r.Raw)
	}
	g := do(t, "GET", e.url+"/v1/members/banan-head", "", nil)
	if g.Code != 200 || g.Body["etag"] != r.Body["etag"] {
		t.Errorf("get: %d %s", g.Code, g.Raw)
	}
	d := do(t, "GET", e.url+"/v1/districts", "", nil)
	if ds, _ := d.Body["districts"].([]any); d.Code != 200 || len(ds) != 38 {
		t.Errorf("districts: %d %s", d.Code, d.Raw)
	}
}

func TestErrorPaths(t *testing.T) {
	e := startGateway(t, func(c *gatewayapp.Config) { c.MaxBodyBytes = 4096 })
	if r := do(t, "POST", e.url+"/v1/members?memberId=h1", host, nil); r.Code != 200 {
		t.Fatalf("create: %d %s", r.Code, r.Raw)
	}
	created := do(t, "GET", e.url+"/v1/members/h1", "", nil)

	t.Run("unknown member is 404 with ErrorInfo", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/members/nobody", "", nil)
		if r.Code != 404 || r.Reason() != "MEMBER_NOT_FOUND" || r.Body["code"] != float64(5) {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("invalid fields are 400 with one field violation each", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", `{"kind":"MEMBER_KIND_HOST","displayName":"","district":"atlantis"}`, nil)
		br := r.Detail("google.rpc.BadRequest")
		fvs, _ := br["fieldViolations"].([]any)
		if r.Code != 400 || len(fvs) < 2 {
			t.Fatalf("got %d %s", r.Code, r.Raw)
		}
		fields := fmt.Sprint(fvs)
		for _, f := range []string{"display_name", "district"} {
			if !strings.Contains(fields, f) {
				t.Errorf("no violation for %s: %s", f, r.Raw)
			}
		}
	})
	t.Run("a misspelt JSON field is 400, not ignored", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", `{"kind":"MEMBER_KIND_HOST","dispalyName":"x","district":"banan"}`, nil)
		if r.Code != 400 || !strings.Contains(r.Raw, "dispalyName") {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("duplicate id is 409 ALREADY_EXISTS", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members?memberId=h1", `{"kind":"MEMBER_KIND_HOST","displayName":"other","district":"yuzhong"}`, nil)
		if r.Code != 409 || r.Reason() != "MEMBER_ALREADY_EXISTS" {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("stale etag is 409 ABORTED", func(t *testing.T) {
		etag, _ := created.Body["etag"].(string)
		ok := do(t, "PATCH", e.url+"/v1/members/h1?updateMask=display_name", `{"displayName":"新名字","etag":"`+etag+`"}`, nil)
		if ok.Code != 200 {
			t.Fatalf("first update: %d %s", ok.Code, ok.Raw)
		}
		r := do(t, "PATCH", e.url+"/v1/members/h1?updateMask=display_name", `{"displayName":"again","etag":"`+etag+`"}`, nil)
		if r.Code != 409 || r.Reason() != "ETAG_MISMATCH" || r.Body["code"] != float64(10) {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("wrong state is 400 FAILED_PRECONDITION", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members/h1:reinstate", `{}`, nil)
		if r.Code != 400 || r.Body["code"] != float64(9) || r.Reason() != "INVALID_STATE_TRANSITION" {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("unknown route is 404 with reason ROUTE_NOT_FOUND", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/nothing-here", "", nil)
		if r.Code != 404 || r.Body["code"] != float64(5) || r.Reason() != "ROUTE_NOT_FOUND" {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("a body that is not JSON is 400 with reason MALFORMED_REQUEST", func(t *testing.T) {
		r := do(t, "POST", e.url+"/v1/members", `{"kind":`, nil)
		if r.Code != 400 || r.Reason() != "MALFORMED_REQUEST" {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
	t.Run("an RPC the service lacks is 501 with a reason", func(t *testing.T) {
		// The sales stand-in serves only health checks.
		r := do(t, "GET", e.url+"/v1/reports:overview?startDate=2026-01-01&endDate=2026-02-01", "", nil)
		if r.Code != 501 || r.Reason() != "UNIMPLEMENTED" {
			t.Errorf("got %d %s", r.Code, r.Raw)
		}
	})
}

func TestTheGatewaysRefusalIsTheServicesOwn(t *testing.T) {
	// A registry that checks keys: its answer to a wrong key is the one it
	// gives to a missing key, and the gateway's 401 must read the same.
	e := startGatewayWith(t, nil, auth.Security{Admin: auth.NewAdminKeysFor("adm_" + strings.Repeat("k", 40))})
	fromService := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Authorization": "Bearer adm_wrong"})
	fromGateway := do(t, "GET", e.url+"/v1/districts", "", map[string]string{"Authorization": ""})
	if fromService.Code != 401 || fromGateway.Code != 401 || fromService.Raw != fromGateway.Raw {
		t.Fatalf("service: %d %s\ngateway: %d %s", fromService.Code, fromService.Raw, fromGateway.Code, fromGateway.Raw)
	}
	if a, b := fromService.Header.Get("Www-Authenticate"), fromGateway.Header.Get("Www-Authenticate"); a != b {
		t.Errorf("WWW-Authenticate: service %q, gateway %q", a, b)
	}
}

func TestUpdateMaskTakesJSONNames(t *testing.T) {
	e := startGateway(t, nil)
	if r := do(t, "POST", e.url+"/v1/members?memberId=h1", host, nil); r.Code != 200 {
		t.Fatalf("create: %d %s", r.Code, r.Raw)
	}
	patch := func(mask, name string) testkit.Reply {
		cur := do(t, "GET", e.url+"/v1/members/h1", "", nil)
		return do(t, "PATCH", e.url+"/v1/members/h1?updateMask="+mask,
			`{"displayName":"`+name+`","etag":"`+cur.Body["etag"].(string)+`"}`, nil)
	}
	for _, c := range []struct{ mask, name string }{
		{"displayName", "驼峰"},
		{"display_name", "蛇形"},
	} {
		t.Run("updateMask="+c.mask, func(t *testing.T) {
			if r := patch(c.mask, c.name); r.Code != 200 || r.Body["displayName"] != c.name {
				t.Fatalf("got %d %s", r.Code, r.Raw)
			}
		})
	}
	t.Run("a path that names no field is the service's to refuse", func(t *testing.T) {
		r := patch("displayNam", "x")
		if r.Code != 400 || !strings.Contains(r.Raw, "displayNam") {
			t.Fatalf("got %d %s", r.Code, r.Raw)
		}
	})
}

// A PATCH without updateMask: grpc-gateway makes the mask of the body's
// leaves, so {"listPrice":{...}} names list_price.currency_code and
// list_price.minor_units, which the registry took for unknown fields (400)
// although list_price is updatable. They name list_price, replaced whole.
func TestPatchWithoutMaskUpdatesAMoneyField(t *testing.T) {
	e := startGateway(t, nil)
	if r := do(t, "POST", e.url+"/v1/members?memberId=m1", `{"kind":"MEMBER_KIND_MERCHANT","displayName":"m","district":"banan"}`, nil); r.Code != 200 {
		t.Fatalf("create merchant: %d %s", r.Code, r.Raw)
	}
	if r := do(t, "POST", e.url+"/v1/members/m1/products?productId=p1",
		`{"displayName":"p","category":"tea","originDistrict":"banan","listPrice":{"currencyCode":"CNY","minorUnits":"100"}}`, nil); r.Code != 200 {
		t.Fatalf("create product: %d %s", r.Code, r.Raw)
	}
	r := do(t, "PATCH", e.url+"/v1/members/m1/products/p1", `{"listPrice":{"currencyCode":"CNY","minorUnits":"250"}}`, nil)
	price, _ := r.Body["listPrice"].(map[string]any)
	if r.Code != 200 || price["minorUnits"] != "250" || price["currencyCode"] != "CNY" || r.Body["displayName"] != "p" {
		t.Fatalf("PATCH listPrice without updateMask: %d %s", r.Code, r.Raw)
	}
	// Half a price replaces the whole, and is told what it lacks.
	r = do(t, "PATCH", e.url+"/v1/members/m1/products/p1", `{"listPrice":{"minorUnits":"300"}}`, nil)
	if fvs, _ := r.Detail("google.rpc.BadRequest")["fieldViolations"].([]any); r.Code != 400 || len(fvs) != 1 ||
		!strings.Contains(fmt.Sprint(fvs), "product.list_price.currency_code") {
		t.Fatalf("PATCH half a price: %d %s", r.Code, r.Raw)
	}
	if g := do(t, "GET", e.url+"/v1/members/m1/products/p1", "", nil); !strings.Contains(g.Raw, `"minorUnits":"250"`) {
		t.Fatalf("the refused update changed the product: %s", g.Raw)
	}
}

// A path with routes for other methods only is 405 with an Allow header
// listing them (RFC 9110); it was 501, which says the server implements
// nothing of the kind. Its status keeps UNIMPLEMENTED METHOD_NOT_ALLOWED.
func TestAMethodWithoutARouteIs405WithAllow(t *testing.T) {
	e := startGateway(t, nil)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/v1/members/m1", "GET, PATCH"},
		{"DELETE", "/v1/members", "GET, POST"},
		{"POST", "/v1/reports:export", "GET"},
	} {
		r := do(t, c.method, e.url+c.path, `{}`, nil)
		if r.Code != 405 || r.Header.Get("Allow") != c.allow || r.Reason() != "METHOD_NOT_ALLOWED" || r.Body["code"] != float64(12) {
			t.Errorf("%s %s: %d, Allow %q, %s; want 405, Allow %q", c.method, c.path, r.Code, r.Header.Get("Allow"), r.Raw, c.allow)
		}
	}
	if r := do(t, "GET", e.url+"/v1/nothing-here", "", nil); r.Code != 404 || r.Reason() != "ROUTE_NOT_FOUND" {
		t.Errorf("an unknown path: %d %s", r.Code, r.Raw)
	}
}

// A member sent back as GET returned it, with one field changed and no
// updateMask, is an update of that field (AIP-203): the mask grpc-gateway
// makes of the body names kind, which passes while it holds the stored
// kind; another kind is still IMMUTABLE_FIELD, and changes nothing. The
// body's etag is checked as sent.
func TestAMemberSentBackAsReadUpdatesWhatChanged(t *testing.T) {
	e := startGateway(t, nil)
	if r := do(t, "POST", e.url+"/v1/members?memberId=h1", `{"kind":"MEMBER_KIND_HOST","displayName":"主播","district":"banan","contact":{"phone":"1"}}`, nil); r.Code != 200 {
		t.Fatalf("create host: %d %s", r.Code, r.Raw)
	}
	read := do(t, "GET", e.url+"/v1/members/h1", "", nil)
	if read.Code != 200 {
		t.Fatalf("GET: %d %s", read.Code, read.Raw)
	}
	back := func(edit func(map[string]any)) testkit.Reply {
		body := maps.Clone(read.Body)
		edit(body)
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return do(t, "PATCH", e.url+"/v1/members/h1", string(raw), nil)
	}
	if r := back(func(m map[string]any) { m["displayName"] = "新主播" }); r.Code != 200 || r.Body["displayName"] != "新主播" || r.Body["kind"] != "MEMBER_KIND_HOST" {
		t.Fatalf("the member sent back with a new display name: %d %s", r.Code, r.Raw)
	}
	read = do(t, "GET", e.url+"/v1/members/h1", "", nil) // its etag is checked
	r := back(func(m map[string]any) { m["kind"] = "MEMBER_KIND_MERCHANT"; m["displayName"] = "商家" })
	if r.Code != 400 || r.Reason() != "IMMUTABLE_FIELD" {
		t.Fatalf("the member sent back with another kind: %d %s", r.Code, r.Raw)
	}
	if g := do(t, "GET", e.url+"/v1/members/h1", "", nil); g.Body["displayName"] != "新主播" || g.Body["kind"] != "MEMBER_KIND_HOST" {
		t.Fatalf("the refused update changed the member: %s", g.Raw)
	}
}

// A form-encoded POST to a path without a POST route is 405, not the
// path's GET answered under another method (grpc-gateway's path-length
// fallback, now off).
func TestAFormPostIsNotServedAsAGet(t *testing.T) {
	e := startGateway(t, nil)
	if r := do(t, "POST", e.url+"/v1/members?memberId=f1", `{"kind":"MEMBER_KIND_MERCHANT","displayName":"m","district":"banan"}`, nil); r.Code != 200 {
		t.Fatalf("create merchant: %d %s", r.Code, r.Raw)
	}
	r := do(t, "POST", e.url+"/v1/members/f1", "displayName=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.Code != 405 || r.Header.Get("Allow") != "GET, PATCH" {
		t.Fatalf("a form POST to /v1/members/f1: %d, Allow %q, %s; want 405, Allow \"GET, PATCH\"", r.Code, r.Header.Get("Allow"), r.Raw)
	}
}
