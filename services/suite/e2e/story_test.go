package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

const (
	memberSvc  = "alliance.member.v1.MemberRegistry/"
	sessionSvc = "alliance.session.v1.SessionScheduler/"
	salesSvc   = "alliance.sales.v1.SalesReporting/"
)

// The HTTP walk runs with API keys on: every call passes the gateway with
// the caller's Authorization header, which the services check.
func TestStoryOverHTTP(t *testing.T) {
	s := startSuite(t)
	r := step(t, httpDoor{base: s.gatewayURL()}, "a call without a key", codes.Unauthenticated,
		memberSvc+"ListDistricts", `{}`, route{"GET", "/v1/districts", ""})
	if reason(r) == "" {
		t.Errorf("401 without a reason: %s", r.raw)
	}
	step(t, s.httpDoor("adm_wrong"), "a call with a wrong key", codes.Unauthenticated,
		memberSvc+"ListDistricts", `{}`, route{"GET", "/v1/districts", ""})
	walkStory(t, s.httpDoor(""))
}

// The gRPC walk uses the real grpcurl with the admin key in
// `-H "authorization: Bearer …"`, as the README does.
func TestStoryOverGRPC(t *testing.T) {
	s := startSuite(t)
	noKey := s.grpcurlDoor("")
	noKey.token = ""
	step(t, noKey, "a call without a key", codes.Unauthenticated, memberSvc+"ListDistricts", `{}`, route{})
	walkStory(t, s.grpcurlDoor(""))
}

// step calls through the door and checks the code: the gRPC code over
// gRPC; over HTTP the status of docs/API.md's table of errors and, for an error,
// the same code in the Status body.
func step(t *testing.T, d door, what string, want codes.Code, rpc, req string, r route) result {
	t.Helper()
	res := d.call(t, rpc, req, r)
	if res.code != want {
		t.Fatalf("%s: code %s, want %s; body %s", what, res.code, want, res.raw)
	}
	if _, isHTTP := d.(httpDoor); isHTTP && res.http != httpFor[want] {
		t.Fatalf("%s: HTTP %d, want %d; body %s", what, res.http, httpFor[want], res.raw)
	}
	return res
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600) // no DST since 1991

// walkStory registers a base with studios, two hosts (one a district head),
// a tea merchant with Banan Yinzhen; books a session, is refused a double
// booking of the studio and of the host, starts the session, records an
// order, its identical repeat, a clashing reuse of its id and a refund,
// ends the session, and reads the summary, a report and the overview.
func walkStory(t *testing.T, d door) {
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	// Members.
	base := `{"kind":"MEMBER_KIND_BASE","displayName":"阿里巴巴九龙坡直播基地","district":"jiulongpo",` +
		`"studios":[{"studioId":"hall-1","displayName":"一号厅"},{"studioId":"hall-2","displayName":"二号厅"}]}`
	r := step(t, d, "create base", codes.OK, memberSvc+"CreateMember",
		`{"memberId":"jlp-base","member":`+base+`}`,
		route{"POST", "/v1/members?memberId=jlp-base", base})
	expect(t, "base name", str(r.body, "name"), "members/jlp-base")
	expect(t, "base kind", str(r.body, "kind"), "MEMBER_KIND_BASE")
	expect(t, "studio", str(r.body, "studios", 1, "studioId"), "hall-2")

	head := `{"kind":"MEMBER_KIND_HOST","displayName":"巴南区区长","district":"banan","official":true}`
	step(t, d, "create official host", codes.OK, memberSvc+"CreateMember",
		`{"memberId":"banan-head","member":`+head+`}`, route{"POST", "/v1/members?memberId=banan-head", head})
	other := `{"kind":"MEMBER_KIND_HOST","displayName":"带货主播","district":"yuzhong"}`
	step(t, d, "create second host", codes.OK, memberSvc+"CreateMember",
		`{"memberId":"host-two","member":`+other+`}`, route{"POST", "/v1/members?memberId=host-two", other})
	farm := `{"kind":"MEMBER_KIND_MERCHANT","displayName":"巴南茶场","district":"banan"}`
	step(t, d, "create merchant", codes.OK, memberSvc+"CreateMember",
		`{"memberId":"tea-farm","member":`+farm+`}`, route{"POST", "/v1/members?memberId=tea-farm", farm})
	dup := step(t, d, "create with a taken id", codes.AlreadyExists, memberSvc+"CreateMember",
		`{"memberId":"tea-farm","member":`+farm+`}`, route{"POST", "/v1/members?memberId=tea-farm", farm})
	expect(t, "duplicate reason", reason(dup), "MEMBER_ALREADY_EXISTS")

	tea := `{"displayName":"巴南银针","category":"tea","originDistrict":"banan","listPrice":{"currencyCode":"CNY","minorUnits":"12800"}}`
	r = step(t, d, "create product", codes.OK, memberSvc+"CreateProduct",
		`{"parent":"members/tea-farm","productId":"yinzhen","product":`+tea+`}`,
		route{"POST", "/v1/members/tea-farm/products?productId=yinzhen", tea})
	expect(t, "product name", str(r.body, "name"), "members/tea-farm/products/yinzhen")
	expect(t, "product price", str(r.body, "listPrice", "minorUnits"), "12800")

	r = step(t, d, "get member", codes.OK, memberSvc+"GetMember", `{"name":"members/banan-head"}`,
		route{"GET", "/v1/members/banan-head", ""})
	expect(t, "official", get(r.body, "official"), true)
	r = step(t, d, "unknown member", codes.NotFound, memberSvc+"GetMember", `{"name":"members/nobody"}`,
		route{"GET", "/v1/members/nobody", ""})
	expect(t, "not found reason", reason(r), "MEMBER_NOT_FOUND")

	// A session 10 minutes from now, an hour long, in hall 1.
	sess := func(host, studio string, from, to time.Duration) string {
		return `{"title":"巴南银针助农直播","host":"members/` + host + `","studio":"members/jlp-base/studios/` + studio + `",` +
			`"merchants":["members/tea-farm"],"products":["members/tea-farm/products/yinzhen"],` +
			`"platform":"PLATFORM_TAOBAO_LIVE","platformRoomId":"room-1",` +
			`"startTime":"` + ts(from) + `","endTime":"` + ts(to) + `"}`
	}
	s1 := sess("banan-head", "hall-1", 10*time.Minute, 70*time.Minute)
	r = step(t, d, "book session", codes.OK, sessionSvc+"CreateSession",
		`{"sessionId":"tea-live","session":`+s1+`}`, route{"POST", "/v1/sessions?sessionId=tea-live", s1})
	expect(t, "session name", str(r.body, "name"), "sessions/tea-live")
	expect(t, "session state", str(r.body, "state"), "SESSION_STATE_SCHEDULED")

	clash := sess("host-two", "hall-1", 30*time.Minute, 90*time.Minute)
	r = step(t, d, "double-book the studio", codes.FailedPrecondition, sessionSvc+"CreateSession",
		`{"session":`+clash+`}`, route{"POST", "/v1/sessions", clash})
	expect(t, "studio clash reason", reason(r), "STUDIO_DOUBLE_BOOKED")
	clash = sess("banan-head", "hall-2", 30*time.Minute, 90*time.Minute)
	r = step(t, d, "double-book the host", codes.FailedPrecondition, sessionSvc+"CreateSession",
		`{"session":`+clash+`}`, route{"POST", "/v1/sessions", clash})
	expect(t, "host clash reason", reason(r), "HOST_DOUBLE_BOOKED")

	r = step(t, d, "start session", codes.OK, sessionSvc+"StartSession", `{"name":"sessions/tea-live"}`,
		route{"POST", "/v1/sessions/tea-live:start", "{}"})
	expect(t, "state after start", str(r.body, "state"), "SESSION_STATE_LIVE")

	// Sales: an order, its identical repeat, a reuse of its id, a refund,
	// all timed now that the session is live.
	saleTime := time.Now().UTC().Format(time.RFC3339Nano)
	sale := func(kind, ext, refundOf string, qty, amount int) string {
		s := `{"session":"sessions/tea-live","product":"members/tea-farm/products/yinzhen","kind":"` + kind + `",` +
			`"quantity":"` + fmt.Sprint(qty) + `","amount":{"currencyCode":"CNY","minorUnits":"` + fmt.Sprint(amount) + `"},` +
			`"platform":"PLATFORM_TAOBAO_LIVE","externalId":"` + ext + `","eventTime":"` + saleTime + `"`
		if refundOf != "" {
			s += `,"refundOf":"` + refundOf + `"`
		}
		return s + "}"
	}
	order := sale("SALE_KIND_ORDER", "tb-order-1", "", 2, 25600)
	first := step(t, d, "record order", codes.OK, salesSvc+"RecordSale", `{"sale":`+order+`}`,
		route{"POST", "/v1/sales", order})
	expect(t, "attribution district", str(first.body, "attribution", "district"), "jiulongpo")
	expect(t, "attribution origin", str(first.body, "attribution", "originDistrict"), "banan")
	expect(t, "attribution host", str(first.body, "attribution", "host"), "members/banan-head")
	expect(t, "attribution official", get(first.body, "attribution", "official"), true)
	if !strings.HasPrefix(str(first.body, "name"), "sales/") {
		t.Errorf("sale name %q", str(first.body, "name"))
	}
	again := step(t, d, "repeat the order", codes.OK, salesSvc+"RecordSale", `{"sale":`+order+`}`,
		route{"POST", "/v1/sales", order})
	expect(t, "repeat returns the stored sale", str(again.body, "name"), str(first.body, "name"))
	reused := sale("SALE_KIND_ORDER", "tb-order-1", "", 3, 38400)
	r = step(t, d, "reuse the order id", codes.AlreadyExists, salesSvc+"RecordSale", `{"sale":`+reused+`}`,
		route{"POST", "/v1/sales", reused})
	expect(t, "reuse reason", reason(r), "EXTERNAL_ID_REUSED")
	refund := sale("SALE_KIND_REFUND", "tb-refund-1", "tb-order-1", 1, 12800)
	step(t, d, "record refund", codes.OK, salesSvc+"RecordSale", `{"sale":`+refund+`}`,
		route{"POST", "/v1/sales", refund})

	r = step(t, d, "end session", codes.OK, sessionSvc+"EndSession", `{"name":"sessions/tea-live"}`,
		route{"POST", "/v1/sessions/tea-live:end", "{}"})
	expect(t, "state after end", str(r.body, "state"), "SESSION_STATE_ENDED")

	// Reading.
	r = step(t, d, "session summary", codes.OK, salesSvc+"GetSessionSummary", `{"session":"sessions/tea-live"}`,
		route{"GET", "/v1/sessions/tea-live:summary", ""})
	expect(t, "summary orders", str(r.body, "orders"), "1")
	expect(t, "summary units", str(r.body, "units"), "2")
	expect(t, "summary gross", str(r.body, "gross", "minorUnits"), "25600")
	expect(t, "summary refunds", str(r.body, "refunds", "minorUnits"), "12800")
	expect(t, "summary net", str(r.body, "net", "minorUnits"), "12800")

	// Dates around today in the alliance's zone, so midnight cannot split the story.
	today := now.In(shanghai)
	from, to := today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 2).Format(time.DateOnly)
	q := `{"startDate":"` + from + `","endDate":"` + to + `","granularity":"GRANULARITY_TOTAL","groupBy":["DIMENSION_DISTRICT","DIMENSION_HOST"]}`
	r = step(t, d, "report by district and host", codes.OK, salesSvc+"QuerySalesReport", q,
		route{"POST", "/v1/reports:query", q})
	rows, _ := get(r.body, "rows").([]any)
	if len(rows) != 1 {
		t.Fatalf("report rows: %s", r.raw)
	}
	expect(t, "row district", str(rows[0], "keys", 0, "key"), "jiulongpo")
	expect(t, "row host", str(rows[0], "keys", 1, "key"), "members/banan-head")
	expect(t, "row net", str(rows[0], "metrics", "net", "minorUnits"), "12800")
	expect(t, "row sessions", str(rows[0], "metrics", "sessions"), "1")
	expect(t, "totals gross", str(r.body, "totals", "gross", "minorUnits"), "25600")
	if str(r.body, "dataThrough") == "" {
		t.Errorf("report has no dataThrough: %s", r.raw)
	}

	r = step(t, d, "overview", codes.OK, salesSvc+"GetAllianceOverview",
		`{"startDate":"`+from+`","endDate":"`+to+`"}`,
		route{"GET", "/v1/reports:overview?startDate=" + from + "&endDate=" + to, ""})
	expect(t, "sessions held", str(r.body, "sessionsHeld"), "1")
	expect(t, "sessions with sales", str(r.body, "sessionsWithSales"), "1")
	expect(t, "overview net", str(r.body, "net", "minorUnits"), "12800")
	expect(t, "overview orders", str(r.body, "orders"), "1")
	expect(t, "top district", str(r.body, "topDistricts", 0, "key"), "jiulongpo")

	r = step(t, d, "invalid report range", codes.InvalidArgument, salesSvc+"GetAllianceOverview",
		`{"startDate":"`+to+`","endDate":"`+from+`"}`,
		route{"GET", "/v1/reports:overview?startDate=" + to + "&endDate=" + from, ""})
	if len(violations(r)) == 0 || !slices.ContainsFunc(violations(r), func(f string) bool { return strings.Contains(f, "date") }) {
		t.Errorf("invalid range: no field violation on a date: %s", r.raw)
	}
}
