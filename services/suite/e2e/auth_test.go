package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/gen"
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The auth sweep of issue 6: every RPC of the three services, found from
// their descriptors, and every HTTP route, found from the OpenAPI documents
// the gateway serves, is called with no key, garbage keys and a revoked
// key; then, with the key of a member that has nothing to do with them,
// every write that targets others' resources and every read of others'
// sales. Member A's contact data must never reach another member, reports
// must hold C to its own (empty) data, and the admin's view must be
// unchanged afterwards. An RPC added later must be classified below, or this fails.

// Member A is a merchant with a product, B a host with two sessions, C an
// agency unrelated to both.
const (
	memberA, memberB, memberC = "members/sweep-a", "members/sweep-b", "members/sweep-c"
	baseX                     = "members/sweep-base"
	productA                  = memberA + "/products/tea"
	liveSession, laterSession = "sessions/sweep-live", "sessions/sweep-later"
	seriesB                   = "sessionSeries/sweep-series" // B's, in the base's s2
	policyS1                  = baseX + "/studios/s1/policy"
)

// contactA is what must never reach anyone but the admin and A.
var contactA = []string{"甲经理", "6000 0101", "a.only@merchant.example"}

type access int

const (
	// public: any member may read it (the directory, the schedule, the
	// alliance-wide overview).
	public access = iota
	// private: another member's private data (its keys, its sessions'
	// sales); refused to C.
	private
	// write: changes others' resources; refused to C.
	write
	// own: a report held to the caller's own data: answered, but C has no
	// sale, so nothing of others' sales may show.
	own
	// lineRefused: a stream of sales (ImportSales) into others' sessions:
	// answered, with every line refused PERMISSION_DENIED.
	lineRefused
)

// sweepFixture is what the admin set up.
type sweepFixture struct {
	s                       *suite
	conns                   map[string]*grpc.ClientConn // gRPC service full name -> connection
	keyB, keyBName, keyC    string
	revoked                 string
	staffRO, staffAdmin     *memberv1.CreateApiKeyResponse // named staff keys: STAFF_READONLY, ADMIN
	revokedStaff            string
	sale                    string
	from, to, later, future string // dates and times the requests use
	// Every method of the three services (rpcs), and by "package.Service/Method".
	methods []protoreflect.MethodDescriptor
	byName  map[string]protoreflect.MethodDescriptor
	// Clients of the three services over conns; each call sends its key
	// (ctx).
	members  memberv1.MemberRegistryClient
	sessions sessionv1.SessionSchedulerClient
	sales    salesv1.SalesReportingClient
}

func (f *sweepFixture) ctx(key string) context.Context { return testkit.WithKey(key) }

// cases holds one request per RPC, in its gRPC JSON form, each one aimed at
// A's or B's resources and valid apart from who sends it, so that a refusal
// has no other reason.
func (f *sweepFixture) cases() map[string]struct {
	access access
	req    string
} {
	session := func(id, studio, start, end string) string {
		return `{"sessionId":"` + id + `","session":{"title":"冒名场","host":"` + memberB + `","studio":"` + baseX + `/studios/` + studio + `",` +
			`"merchants":["` + memberA + `"],"products":["` + productA + `"],"platform":"PLATFORM_DOUYIN",` +
			`"startTime":"` + start + `","endTime":"` + end + `"}}`
	}
	sale := func(ext string) string {
		return `{"sale":{"session":"` + liveSession + `","product":"` + productA + `","kind":"SALE_KIND_ORDER","quantity":"5",` +
			`"amount":{"currencyCode":"CNY","minorUnits":"99900"},"platform":"PLATFORM_DOUYIN","externalId":"` + ext + `",` +
			`"eventTime":"` + time.Now().UTC().Format(time.RFC3339) + `"}}`
	}
	dates := `"startDate":"` + f.from + `","endDate":"` + f.to + `"`
	return map[string]struct {
		access access
		req    string
	}{
		"CreateMember":       {write, `{"memberId":"sweep-new","member":{"kind":"MEMBER_KIND_HOST","displayName":"冒名","district":"banan"}}`},
		"GetMember":          {public, `{"name":"` + memberA + `"}`},
		"BatchGetMembers":    {public, `{"names":["` + memberA + `","` + memberB + `"]}`},
		"ListMembers":        {public, `{}`},
		"UpdateMember":       {write, `{"member":{"name":"` + memberA + `","displayName":"改名"},"updateMask":"displayName"}`},
		"SuspendMember":      {write, `{"name":"` + memberA + `","reason":"冒名"}`},
		"ReinstateMember":    {write, `{"name":"` + memberA + `"}`},
		"WithdrawMember":     {write, `{"name":"` + memberA + `","reason":"冒名"}`},
		"CreateProduct":      {write, `{"parent":"` + memberA + `","productId":"fake","product":{"displayName":"假货","category":"tea","originDistrict":"banan","listPrice":{"currencyCode":"CNY","minorUnits":"100"}}}`},
		"GetProduct":         {public, `{"name":"` + productA + `"}`},
		"ListProducts":       {public, `{"parent":"` + memberA + `"}`},
		"UpdateProduct":      {write, `{"product":{"name":"` + productA + `","displayName":"改名"},"updateMask":"displayName"}`},
		"ListDistricts":      {public, `{}`},
		"ListCategories":     {public, `{}`},
		"CreateApiKey":       {write, `{"member":"` + memberA + `","apiKey":{"displayName":"stolen"}}`},
		"ListApiKeys":        {private, `{"member":"` + memberA + `"}`},
		"RevokeApiKey":       {write, `{"name":"` + f.keyBName + `"}`},
		"AuthenticateApiKey": {private, `{"key":"` + f.keyB + `"}`},
		// The staff keys' forms (parent "alliance"), with HTTP routes of their own.
		"CreateApiKey2":     {write, `{"parent":"alliance","apiKey":{"displayName":"冒名员工","role":"API_KEY_ROLE_ADMIN"}}`},
		"ListApiKeys2":      {private, `{"parent":"alliance"}`},
		"RevokeApiKey2":     {write, `{"name":"` + f.staffAdmin.GetApiKey().GetName() + `"}`},
		"GetCallerIdentity": {public, `{}`},

		"CreateSession":      {write, session("sweep-fake", "s2", f.future, f.later)},
		"GetSession":         {public, `{"name":"` + liveSession + `"}`},
		"BatchGetSessions":   {public, `{"names":["` + liveSession + `","` + laterSession + `"]}`},
		"ListSessions":       {public, `{}`},
		"UpdateSession":      {write, `{"session":{"name":"` + laterSession + `","title":"改名"},"updateMask":"title"}`},
		"StartSession":       {write, `{"name":"` + laterSession + `"}`},
		"EndSession":         {write, `{"name":"` + liveSession + `"}`},
		"CancelSession":      {write, `{"name":"` + laterSession + `","reason":"冒名"}`},
		"FindAvailableSlots": {public, `{"base":"` + baseX + `","duration":"3600s","windowStart":"` + f.future + `","windowEnd":"` + f.later + `"}`},
		"CountSessions":      {public, `{}`},
		"ImportSessions":     {write, session("sweep-old", "s1", time.Now().Add(-50*time.Hour).UTC().Format(time.RFC3339), time.Now().Add(-49*time.Hour).UTC().Format(time.RFC3339))},
		// The booking rules (issue 15): the base's alone to change and decide.
		"ApproveSession":     {write, `{"name":"` + laterSession + `"}`},
		"DeclineSession":     {write, `{"name":"` + laterSession + `","reason":"冒名"}`},
		"GetStudioPolicy":    {public, `{"name":"` + policyS1 + `"}`},
		"UpdateStudioPolicy": {write, `{"policy":{"name":"` + policyS1 + `","requiresApproval":true},"updateMask":"requiresApproval"}`},
		"CreateSessionSeries": {write, `{"seriesId":"sweep-fake-series","series":{"template":{"title":"冒名系列","host":"` + memberB + `","studio":"` + baseX + `/studios/s1",` +
			`"platform":"PLATFORM_DOUYIN","startTime":"` + f.future + `","endTime":"` + f.later + `"},"recurrence":{"frequency":"FREQUENCY_DAILY","count":2}}}`},
		"GetSessionSeries":     {public, `{"name":"` + seriesB + `"}`},
		"CancelSessionSeries":  {write, `{"name":"` + seriesB + `","reason":"冒名"}`},
		"GetStudioUtilisation": {public, `{"base":"` + baseX + `",` + dates + `}`},

		"RecordSale":          {write, sale("sweep-fake-1")},
		"ImportSales":         {lineRefused, sale("sweep-fake-2")},
		"GetSale":             {private, `{"name":"` + f.sale + `"}`},
		"ListSales":           {private, `{"session":"` + liveSession + `"}`},
		"GetSessionSummary":   {private, `{"session":"` + liveSession + `"}`},
		"QuerySalesReport":    {own, `{` + dates + `,"granularity":"GRANULARITY_TOTAL","groupBy":["DIMENSION_MERCHANT"]}`},
		"ListTopPerformers":   {own, `{` + dates + `,"dimension":"DIMENSION_MERCHANT","metric":"METRIC_NET","limit":5}`},
		"GetAllianceOverview": {public, `{` + dates + `}`},
		// Traffic: recorded by the session's parties, read as its sales are.
		"RecordSessionMetrics": {write, traffic(time.Now())},
		"ImportSessionMetrics": {lineRefused, traffic(time.Now())},
		"GetSessionMetrics":    {private, `{"name":"` + liveSession + `/metrics"}`},
		"ExportSalesReport":    {own, `{"query":{` + dates + `,"granularity":"GRANULARITY_TOTAL","groupBy":["DIMENSION_MERCHANT"]},"format":"CSV"}`},
	}
}

// traffic is a snapshot of liveSession's traffic as of at, as RecordSessionMetrics takes it.
func traffic(at time.Time) string {
	return `{"metrics":{"session":"` + liveSession + `","platform":"PLATFORM_DOUYIN","asOf":"` + at.UTC().Format(time.RFC3339Nano) + `",` +
		`"views":"900","viewers":"400","peakConcurrentViewers":"80","productImpressions":"500","productClicks":"60"}}`
}

// rpcs lists every method of the three services from their descriptors.
func rpcs() []protoreflect.MethodDescriptor {
	var out []protoreflect.MethodDescriptor
	for _, fd := range []protoreflect.FileDescriptor{
		memberv1.File_alliance_member_v1_member_registry_proto,
		sessionv1.File_alliance_session_v1_session_scheduler_proto,
		salesv1.File_alliance_sales_v1_sales_reporting_proto,
	} {
		for i := 0; i < fd.Services().Len(); i++ {
			ms := fd.Services().Get(i).Methods()
			for j := 0; j < ms.Len(); j++ {
				out = append(out, ms.Get(j))
			}
		}
	}
	return out
}

// byFullName indexes methods by "package.Service/Method", the form the
// sweep's cases and the Policies name them in.
func byFullName(methods []protoreflect.MethodDescriptor) map[string]protoreflect.MethodDescriptor {
	out := make(map[string]protoreflect.MethodDescriptor, len(methods))
	for _, md := range methods {
		out[string(md.Parent().FullName())+"/"+string(md.Name())] = md
	}
	return out
}

// invoke calls any method, unary or client stream, and returns the reply.
func (f *sweepFixture) invoke(t *testing.T, key string, md protoreflect.MethodDescriptor, reqJSON string) (proto.Message, error) {
	t.Helper()
	in := testkit.NewMessage(t, md.Input().FullName())
	if err := protojson.Unmarshal([]byte(reqJSON), in); err != nil {
		t.Fatalf("%s: request %s: %v", md.FullName(), reqJSON, err)
	}
	ctx, cancel := context.WithTimeout(f.ctx(key), 10*time.Second)
	defer cancel()
	return testkit.Invoke(ctx, t, f.conns[string(md.Parent().FullName())], md, in)
}

// route is one HTTP rule of the OpenAPI documents.
type apiRoute struct {
	method, path string // path as in the document: /v1/{member.name}
	rpc          string // alliance.member.v1.MemberRegistry/UpdateMember
	// variant tells an RPC's additional bindings apart: "2" for the second
	// route of an RPC (its operation id ends in 2), "" for the first.
	variant    string
	pathParams []string
	bodyParam  string // "" none, "body" the whole request, else the field
}

// caseName is the sweep case of the route: the RPC's own, or its
// variant's (CreateApiKey2) when the sweep has one.
func (r apiRoute) caseName(cases map[string]struct {
	access access
	req    string
}) string {
	short := r.rpc[strings.IndexByte(r.rpc, '/')+1:]
	if _, ok := cases[short+r.variant]; ok {
		return short + r.variant
	}
	return short
}

// variants are the sweep cases that are a second form of an RPC, by the
// RPC's name: CreateApiKey2 -> CreateApiKey.
func variants(cases map[string]struct {
	access access
	req    string
}) map[string]string {
	out := map[string]string{}
	for name := range cases {
		if base := strings.TrimRight(name, "0123456789"); base != name {
			out[name] = base
		}
	}
	return out
}

// routes reads every route of the OpenAPI documents gen embeds.
func routes(t *testing.T) []apiRoute {
	t.Helper()
	pkgs := map[string]string{"MemberRegistry": "alliance.member.v1.", "SessionScheduler": "alliance.session.v1.", "SalesReporting": "alliance.sales.v1."}
	docs, err := fs.Glob(gen.OpenAPI, "openapi/*.swagger.json")
	if err != nil || len(docs) != 3 {
		t.Fatalf("OpenAPI documents: %v %v", docs, err)
	}
	var out []apiRoute
	for _, doc := range docs {
		raw, err := fs.ReadFile(gen.OpenAPI, doc)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
				Parameters  []struct{ Name, In string }
			}
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		for path, ops := range d.Paths {
			for method, op := range ops {
				svc, rpc, _ := strings.Cut(op.OperationID, "_")
				base := strings.TrimRight(rpc, "0123456789")
				r := apiRoute{method: strings.ToUpper(method), path: path, rpc: pkgs[svc] + svc + "/" + base, variant: rpc[len(base):]}
				if pkgs[svc] == "" {
					t.Fatalf("%s: operation %s of an unknown service", doc, op.OperationID)
				}
				for _, p := range op.Parameters {
					switch p.In {
					case "path":
						r.pathParams = append(r.pathParams, p.Name)
					case "body":
						r.bodyParam = p.Name
					}
				}
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b apiRoute) int { return strings.Compare(a.method+a.path, b.method+b.path) })
	return out
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// httpRequest turns a gRPC request (JSON) into the route's HTTP request, as
// grpc-gateway maps it: path parameters from their fields, the body from
// the body field (or the rest, for body "*"), the rest in the query.
func (r apiRoute) httpRequest(t *testing.T, base, reqJSON string) (method, target, body string) {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal([]byte(reqJSON), &fields); err != nil {
		t.Fatal(err)
	}
	path := r.path
	for _, p := range r.pathParams {
		// name_1: the document's name for a second parameter called name.
		field := p
		if i := strings.LastIndexByte(field, '_'); i > 0 && strings.Trim(field[i+1:], "0123456789") == "" {
			field = field[:i]
		}
		keys := strings.Split(field, ".")
		holder := fields
		for _, k := range keys[:len(keys)-1] {
			holder, _ = holder[camel(k)].(map[string]any)
		}
		last := camel(keys[len(keys)-1])
		v, _ := holder[last].(string)
		if v == "" {
			t.Fatalf("%s %s: no value for %s in %s", r.method, r.path, p, reqJSON)
		}
		delete(holder, last)
		path = strings.Replace(path, "{"+p+"}", v, 1)
	}
	switch r.bodyParam {
	case "":
	case "body":
		b, _ := json.Marshal(fields)
		body, fields = string(b), nil
	default:
		b, _ := json.Marshal(fields[r.bodyParam])
		body = string(b)
		delete(fields, r.bodyParam)
	}
	q := url.Values{}
	var flatten func(prefix string, v any)
	flatten = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				flatten(prefix+"."+k, sub)
			}
		case []any:
			for _, e := range x {
				flatten(prefix, e)
			}
		default:
			q.Add(strings.TrimPrefix(prefix, "."), fmt.Sprint(x))
		}
	}
	flatten("", fields)
	target = base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	return r.method, target, body
}

func (f *sweepFixture) http(t *testing.T, key, method, target, body string) httpReply {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json"}
	if key != "" {
		hdr["Authorization"] = "Bearer " + key
	}
	return send(t, method, target, body, hdr)
}

// setUp registers A, B, C and the base, books B's sessions, starts one and
// records a sale in it, and issues keys: B's, C's, and one of A's that is
// revoked before anyone uses it, so no service's key cache can hold it;
// and staff keys: a STAFF_READONLY one, an ADMIN one, and an ADMIN one
// revoked before use.
func setUpSweep(t *testing.T, s *suite) *sweepFixture {
	t.Helper()
	f := &sweepFixture{s: s, conns: map[string]*grpc.ClientConn{}, methods: rpcs()}
	f.byName = byFullName(f.methods)
	for svc, addr := range map[string]string{
		"alliance.member.v1.MemberRegistry":    s.addrs.MemberRegistry,
		"alliance.session.v1.SessionScheduler": s.addrs.SessionScheduling,
		"alliance.sales.v1.SalesReporting":     s.addrs.SalesReporting,
	} {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		f.conns[svc] = cc
	}
	admin := f.ctx(s.adminKey)
	f.members = memberv1.NewMemberRegistryClient(f.conns["alliance.member.v1.MemberRegistry"])
	f.sessions = sessionv1.NewSessionSchedulerClient(f.conns["alliance.session.v1.SessionScheduler"])
	f.sales = salesv1.NewSalesReportingClient(f.conns["alliance.sales.v1.SalesReporting"])
	members, sessions, sales := f.members, f.sessions, f.sales
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, m := range []string{
		`{"memberId":"sweep-a","member":{"kind":"MEMBER_KIND_MERCHANT","displayName":"甲茶场","district":"banan","contact":{"person":"甲经理","phone":"+86 23 6000 0101","email":"a.only@merchant.example"}}}`,
		`{"memberId":"sweep-b","member":{"kind":"MEMBER_KIND_HOST","displayName":"乙主播","district":"yuzhong","contact":{"person":"乙本人","phone":"+86 23 6000 0202","email":"b@host.example"}}}`,
		`{"memberId":"sweep-c","member":{"kind":"MEMBER_KIND_AGENCY","displayName":"丙机构","district":"dazu"}}`,
		`{"memberId":"sweep-base","member":{"kind":"MEMBER_KIND_BASE","displayName":"测试基地","district":"jiulongpo","studios":[{"studioId":"s1","displayName":"一号厅"},{"studioId":"s2","displayName":"二号厅"}]}}`,
	} {
		req := &memberv1.CreateMemberRequest{}
		must("member json", protojson.Unmarshal([]byte(m), req))
		_, err := members.CreateMember(admin, req)
		must("create "+req.MemberId, err)
	}
	prod := &memberv1.CreateProductRequest{}
	must("product json", protojson.Unmarshal([]byte(`{"parent":"`+memberA+`","productId":"tea","product":{"displayName":"巴南银针","category":"tea","originDistrict":"banan","listPrice":{"currencyCode":"CNY","minorUnits":"12800"}}}`), prod))
	_, err := members.CreateProduct(admin, prod)
	must("create product", err)

	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	f.future, f.later = ts(5*time.Hour), ts(6*time.Hour)
	today := now.In(shanghai)
	f.from, f.to = today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 2).Format(time.DateOnly)
	for _, sj := range []string{
		`{"sessionId":"sweep-live","session":{"title":"甲茶直播","host":"` + memberB + `","studio":"` + baseX + `/studios/s1","merchants":["` + memberA + `"],"products":["` + productA + `"],"platform":"PLATFORM_DOUYIN","startTime":"` + ts(10*time.Minute) + `","endTime":"` + ts(70*time.Minute) + `"}}`,
		`{"sessionId":"sweep-later","session":{"title":"晚场","host":"` + memberB + `","studio":"` + baseX + `/studios/s2","merchants":["` + memberA + `"],"products":["` + productA + `"],"platform":"PLATFORM_DOUYIN","startTime":"` + ts(3*time.Hour) + `","endTime":"` + ts(4*time.Hour) + `"}}`,
	} {
		req := &sessionv1.CreateSessionRequest{}
		must("session json", protojson.Unmarshal([]byte(sj), req))
		_, err := sessions.CreateSession(admin, req)
		must("book "+req.SessionId, err)
	}
	series := &sessionv1.CreateSessionSeriesRequest{}
	must("series json", protojson.Unmarshal([]byte(`{"seriesId":"sweep-series","series":{"template":{"title":"乙的系列","host":"`+memberB+`","studio":"`+baseX+`/studios/s2",`+
		`"platform":"PLATFORM_DOUYIN","startTime":"`+ts(26*time.Hour)+`","endTime":"`+ts(27*time.Hour)+`"},"recurrence":{"frequency":"FREQUENCY_DAILY","count":2}}}`), series))
	_, err = sessions.CreateSessionSeries(admin, series)
	must("book the series", err)
	_, err = sessions.StartSession(admin, &sessionv1.StartSessionRequest{Name: liveSession})
	must("start", err)
	sale := &salesv1.RecordSaleRequest{}
	must("sale json", protojson.Unmarshal([]byte(`{"sale":{"session":"`+liveSession+`","product":"`+productA+`","kind":"SALE_KIND_ORDER","quantity":"2","amount":{"currencyCode":"CNY","minorUnits":"25600"},"platform":"PLATFORM_DOUYIN","externalId":"sweep-o1","eventTime":"`+time.Now().UTC().Format(time.RFC3339Nano)+`"}}`), sale))
	recorded, err := sales.RecordSale(admin, sale)
	must("record sale", err)
	f.sale = recorded.GetName()
	// A traffic snapshot, so that reading it is a read that finds something.
	snap := &salesv1.RecordSessionMetricsRequest{}
	must("metrics json", protojson.Unmarshal([]byte(traffic(time.Now())), snap))
	_, err = sales.RecordSessionMetrics(admin, snap)
	must("record metrics", err)

	issue := func(member string) *memberv1.CreateApiKeyResponse {
		k, err := members.CreateApiKey(admin, &memberv1.CreateApiKeyRequest{Member: member, ApiKey: &memberv1.ApiKey{DisplayName: "sweep"}})
		must("key of "+member, err)
		return k
	}
	b := issue(memberB)
	f.keyB, f.keyBName = b.GetKey(), b.GetApiKey().GetName()
	f.keyC = issue(memberC).GetKey()
	a := issue(memberA)
	_, err = members.RevokeApiKey(admin, &memberv1.RevokeApiKeyRequest{Name: a.GetApiKey().GetName()})
	must("revoke", err)
	f.revoked = a.GetKey()
	staff := func(who string, role memberv1.ApiKeyRole) *memberv1.CreateApiKeyResponse {
		k, err := members.CreateApiKey(admin, &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{DisplayName: who, Role: role}})
		must("staff key of "+who, err)
		return k
	}
	f.staffRO = staff("审计员", memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY)
	f.staffAdmin = staff("值班主任", memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN)
	gone := staff("离职员工", memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN)
	_, err = members.RevokeApiKey(admin, &memberv1.RevokeApiKeyRequest{Name: gone.GetApiKey().GetName()})
	must("revoke a staff key", err)
	f.revokedStaff = gone.GetKey()
	return f
}

// adminView is everything an admin sees of members, keys, sessions and sales.
func (f *sweepFixture) adminView(t *testing.T) []proto.Message {
	t.Helper()
	admin := f.ctx(f.s.adminKey)
	members, sessions, sales := f.members, f.sessions, f.sales
	var view []proto.Message
	add := func(m proto.Message, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("admin view: %v", err)
		}
		view = append(view, m)
	}
	add(members.ListMembers(admin, &memberv1.ListMembersRequest{PageSize: 1000}))
	add(members.ListProducts(admin, &memberv1.ListProductsRequest{Parent: "members/-", PageSize: 1000}))
	for _, m := range []string{memberA, memberB, memberC, "alliance"} {
		add(members.ListApiKeys(admin, &memberv1.ListApiKeysRequest{Parent: m}))
	}
	add(sessions.ListSessions(admin, &sessionv1.ListSessionsRequest{PageSize: 1000}))
	add(sessions.GetSessionSeries(admin, &sessionv1.GetSessionSeriesRequest{Name: seriesB}))
	add(sessions.GetStudioPolicy(admin, &sessionv1.GetStudioPolicyRequest{Name: policyS1}))
	add(sales.ListSales(admin, &salesv1.ListSalesRequest{PageSize: 1000}))
	add(sales.GetSessionSummary(admin, &salesv1.GetSessionSummaryRequest{Session: liveSession}))
	return view
}

// refused says whether C's call is refused as a whole.
func refused(a access) bool { return a == private || a == write }

// answeredWithout checks an answer to C that may hold only C's own data,
// of which there is none; it returns what is wrong, or "".
func answeredWithout(a access, out proto.Message) string {
	switch a {
	case own:
		switch r := out.(type) {
		case *salesv1.QuerySalesReportResponse:
			if t := r.GetTotals(); t.GetOrders() != 0 || t.GetGross().GetMinorUnits() != 0 || len(r.GetRows()) != 0 {
				return "the report counts others' sales"
			}
		case *salesv1.ListTopPerformersResponse:
			if len(r.GetEntries()) != 0 {
				return "the ranking shows others' sales"
			}
		case *salesv1.ExportChunk:
			// Header, the totals (of nothing) and data_through: no row.
			lines := strings.Split(strings.TrimSpace(string(r.GetData())), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[1], "TOTAL,,,,0,0,0,") {
				return "the export holds others' sales"
			}
		default:
			return fmt.Sprintf("no check for %T", out)
		}
	case lineRefused:
		type importAnswer interface {
			GetAccepted() int64
			GetDuplicates() int64
			GetRejected() int64
			GetErrors() []*salesv1.ImportError
		}
		r, ok := out.(importAnswer)
		if !ok || r.GetAccepted() != 0 || r.GetDuplicates() != 0 || r.GetRejected() != 1 || len(r.GetErrors()) != 1 ||
			r.GetErrors()[0].GetReason() != "PERMISSION_DENIED" {
			return "want the one line refused PERMISSION_DENIED"
		}
	}
	return ""
}

func leaksContact(s string) bool {
	for _, c := range contactA {
		if strings.Contains(s, c) {
			return true
		}
	}
	return false
}

func TestAuthSweep(t *testing.T) {
	s := startSuite(t)
	f := setUpSweep(t, s)
	cases := f.cases()
	for _, md := range f.methods {
		if _, ok := cases[string(md.Name())]; !ok {
			t.Errorf("%s has no case in the auth sweep: say who may call it and add a request", md.FullName())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	// The admin sees A's contact: the data the checks below look for exists.
	if r, err := f.invoke(t, s.adminKey, f.byName["alliance.member.v1.MemberRegistry/GetMember"], cases["GetMember"].req); err != nil ||
		!leaksContact(protojson.Format(r)) {
		t.Fatalf("the admin does not see A's contact: %v %v", r, err)
	}
	before := f.adminView(t)

	badKeys := map[string]string{
		"no key":               "",
		"a garbage key":        "garbage",
		"a garbage member key": "mk_zzzzzzzzzzzzzzzz_" + strings.Repeat("a", 52),
		"a revoked member key": f.revoked,
		"a revoked staff key":  f.revokedStaff,
		"a garbage admin key":  "adm_" + strings.Repeat("x", 52),
		"a forged service key": "svc_sales-reporting_" + strings.Repeat("0", 64),
	}

	t.Run("gRPC: every RPC refuses a missing, a garbage and a revoked key alike", func(t *testing.T) {
		var first *status.Status
		for _, md := range f.methods {
			for what, key := range badKeys {
				_, err := f.invoke(t, key, md, cases[string(md.Name())].req)
				st := status.Convert(err)
				if st.Code() != codes.Unauthenticated {
					t.Errorf("%s with %s: %v, want UNAUTHENTICATED", md.FullName(), what, err)
					continue
				}
				// One answer for every RPC and every bad key: it can say
				// nothing about the resource or about which part was wrong.
				if first == nil {
					first = st
				} else if !proto.Equal(first.Proto(), st.Proto()) {
					t.Errorf("%s with %s: %v differs from %v", md.FullName(), what, st.Proto(), first.Proto())
				}
			}
		}
	})

	rts := routes(t)
	t.Logf("%d RPCs from the descriptors, %d HTTP routes from the OpenAPI documents", len(f.methods), len(rts))
	t.Run("HTTP: every route refuses a missing, a garbage and a revoked key alike", func(t *testing.T) {
		if len(rts) < 25 {
			t.Fatalf("only %d routes in the OpenAPI documents", len(rts))
		}
		first := ""
		for _, r := range rts {
			if f.byName[r.rpc] == nil {
				t.Errorf("%s %s: route of an RPC %s the descriptors do not have", r.method, r.path, r.rpc)
				continue
			}
			method, target, body := r.httpRequest(t, s.gatewayURL(), cases[r.caseName(cases)].req)
			for what, key := range badKeys {
				rep := f.http(t, key, method, target, body)
				if rep.code != 401 || rep.body["code"] != float64(codes.Unauthenticated) || reason(rep.result()) != "UNAUTHENTICATED" {
					t.Errorf("%s %s with %s: %d %s", method, target, what, rep.code, rep.raw)
					continue
				}
				if first == "" {
					first = rep.raw
				} else if rep.raw != first {
					t.Errorf("%s %s with %s: %s differs from %s", method, target, what, rep.raw, first)
				}
			}
		}
		if strings.Contains(first, "sweep") || leaksContact(first) {
			t.Errorf("the refusal carries resource data: %s", first)
		}
	})

	t.Run("an unrelated member may not write to others' resources nor read their private data", func(t *testing.T) {
		calls := map[string]protoreflect.MethodDescriptor{}
		for _, md := range f.methods {
			calls[string(md.Name())] = md
		}
		for variant, base := range variants(cases) {
			for _, md := range f.methods {
				if string(md.Name()) == base {
					calls[variant] = md
				}
			}
		}
		for name, md := range calls {
			c := cases[name]
			out, err := f.invoke(t, f.keyC, md, c.req)
			if err == nil && leaksContact(protojson.Format(out)) {
				t.Errorf("gRPC %s as C: A's contact in %v", name, out)
			}
			switch code := status.Code(err); {
			case refused(c.access) && code != codes.PermissionDenied:
				t.Errorf("gRPC %s as C: %v, want PERMISSION_DENIED", name, err)
			case !refused(c.access) && code != codes.OK:
				t.Errorf("gRPC %s as C: %v, want OK", name, err)
			case code == codes.OK:
				if problem := answeredWithout(c.access, out); problem != "" {
					t.Errorf("gRPC %s as C: %s: %v", name, problem, out)
				}
			}
		}
		for _, r := range rts {
			c := cases[r.caseName(cases)]
			method, target, body := r.httpRequest(t, s.gatewayURL(), c.req)
			rep := f.http(t, f.keyC, method, target, body)
			switch {
			case refused(c.access) && (rep.code != 403 || rep.body["code"] != float64(codes.PermissionDenied)):
				t.Errorf("HTTP %s %s as C: %d %s, want 403", method, target, rep.code, rep.raw)
			case !refused(c.access) && rep.code != 200:
				t.Errorf("HTTP %s %s as C: %d %s, want 200", method, target, rep.code, rep.raw)
			case rep.code == 200:
				out := testkit.NewMessage(t, f.byName[r.rpc].Output().FullName())
				if chunk, ok := out.(*salesv1.ExportChunk); ok {
					chunk.Data = []byte(rep.raw) // a download: the file itself
					if problem := answeredWithout(c.access, out); problem != "" {
						t.Errorf("HTTP %s %s as C: %s: %s", method, target, problem, rep.raw)
					}
				} else if err := protojson.Unmarshal([]byte(rep.raw), out); err != nil {
					t.Errorf("HTTP %s %s as C: %v in %s", method, target, err, rep.raw)
				} else if problem := answeredWithout(c.access, out); problem != "" {
					t.Errorf("HTTP %s %s as C: %s: %s", method, target, problem, rep.raw)
				}
			}
			if leaksContact(rep.raw) {
				t.Errorf("HTTP %s %s as C: A's contact in %s", method, target, rep.raw)
			}
		}
	})

	t.Run("reports hold a member to its own data, session sales go to the session's parties", func(t *testing.T) {
		md := f.byName["alliance.sales.v1.SalesReporting/QuerySalesReport"]
		totals := func(key, req string) (int64, error) {
			out, err := f.invoke(t, key, md, req)
			if err != nil {
				return 0, err
			}
			return out.(*salesv1.QuerySalesReportResponse).GetTotals().GetOrders(), nil
		}
		req := cases["QuerySalesReport"].req
		// The sale exists, so C's empty report is a filter, not an empty alliance.
		if n, err := totals(f.s.adminKey, req); err != nil || n != 1 {
			t.Fatalf("admin's report: %d orders, %v; want the 1 sale", n, err)
		}
		if n, err := totals(f.keyB, req); err != nil || n != 1 {
			t.Errorf("B's report of its own session: %d orders, %v; want 1", n, err)
		}
		with := func(field, value string) string {
			return strings.Replace(req, `"granularity"`, `"`+field+`":"`+value+`","granularity"`, 1)
		}
		// C is an agency: a report is forced to agency = C, and naming
		// another agency is refused rather than widened...
		naming := with("agency", memberA)
		if _, err := totals(f.keyC, naming); status.Code(err) != codes.PermissionDenied {
			t.Errorf("C's report naming another agency: %v, want PERMISSION_DENIED", err)
		}
		// ...while another filter only narrows C's own data.
		if n, err := totals(f.keyC, with("merchant", memberA)); err != nil || n != 0 {
			t.Errorf("C's report of A's products: %d orders, %v; want 0", n, err)
		}
		for _, rt := range rts {
			if rt.rpc == string(md.FullName().Parent())+"/"+string(md.Name()) {
				method, target, body := rt.httpRequest(t, s.gatewayURL(), naming)
				if rep := f.http(t, f.keyC, method, target, body); rep.code != 403 {
					t.Errorf("HTTP %s %s as C: %d %s, want 403", method, target, rep.code, rep.raw)
				}
			}
		}
		for _, name := range []string{"GetSale", "ListSales", "GetSessionSummary"} {
			if _, err := f.invoke(t, f.keyB, f.byName["alliance.sales.v1.SalesReporting/"+name], cases[name].req); err != nil {
				t.Errorf("%s as B, the session's host: %v", name, err)
			}
		}
	})

	t.Run("A's contact data never reaches B or C, by Get, List or BatchGet, on either path", func(t *testing.T) {
		reads := []string{"GetMember", "ListMembers", "BatchGetMembers"}
		for who, key := range map[string]string{"B": f.keyB, "C": f.keyC} {
			for _, name := range reads {
				rpc := "alliance.member.v1.MemberRegistry/" + name
				r, err := f.invoke(t, key, f.byName[rpc], cases[name].req)
				if err != nil {
					t.Fatalf("gRPC %s as %s: %v", name, who, err)
				}
				out := protojson.Format(r)
				if !strings.Contains(out, "甲茶场") {
					t.Errorf("gRPC %s as %s does not show A at all: %s", name, who, out)
				}
				if leaksContact(out) {
					t.Errorf("gRPC %s as %s shows A's contact: %s", name, who, out)
				}
				for _, rt := range rts {
					if rt.rpc != rpc {
						continue
					}
					method, target, body := rt.httpRequest(t, s.gatewayURL(), cases[name].req)
					rep := f.http(t, key, method, target, body)
					if rep.code != 200 || !strings.Contains(rep.raw, "甲茶场") || leaksContact(rep.raw) {
						t.Errorf("HTTP %s as %s: %d %s", name, who, rep.code, rep.raw)
					}
				}
			}
		}
	})

	t.Run("afterwards the admin's view of members, keys, sessions and sales is unchanged", func(t *testing.T) {
		after := f.adminView(t)
		for i := range before {
			if !proto.Equal(before[i], after[i]) {
				t.Errorf("changed:\nbefore %v\nafter  %v", before[i], after[i])
			}
		}
	})
}
