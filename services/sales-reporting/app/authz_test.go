package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// sNoodles is the official host's session in the second base, featuring
// only Merchant2: nobody of sEnded's parties has a part in it.
const sNoodles = "sessions/noodles"

// authzEnv runs sales reporting with authentication on, and holds a key
// for every role the rules tell apart. sEnded's parties are "host",
// "agency" (the host's), "base" and "merchant" (featured); "office" is the
// DISTRICT_OFFICE of its district (jiulongpo). The "other …" members have
// no part in sEnded; "other host", "other base" and "other merchant" are
// the parties of sNoodles, and "other office" is its district's (dazu).
type authzEnv struct {
	*env
	admin context.Context
	as    map[string]context.Context
}

func newAuthzEnv(t *testing.T) *authzEnv {
	t.Helper()
	e := newEnv(t)
	admin := auth.NewAdminKey()
	e.stop()
	e.cfg.Admin, e.cfg.ServiceSecret = auth.NewAdminKeysFor(admin), auth.ServiceSecret("0123456789abcdef0123456789abcdef")
	e.start()

	n := e.a.Session("noodles", sessionv1.SessionState_SESSION_STATE_ENDED, t0, t0.Add(2*time.Hour))
	n.Host, n.Studio, n.Merchants, n.Products = e.a.OfficialHost, e.a.Studio2, []string{e.a.Merchant2}, []string{e.a.Noodles}
	e.sched.Put(n)

	ctx := context.Background()
	reg := memberv1.NewMemberRegistryClient(testkit.Dial(t, e.regAddr))
	office := func(id, district string) string {
		m, err := reg.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: id, Member: &memberv1.Member{
			Kind: memberv1.MemberKind_MEMBER_KIND_DISTRICT_OFFICE, DisplayName: id, District: district}})
		if err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
		return m.GetName()
	}
	members := map[string]string{
		"host": e.a.Host, "agency": e.a.Agency, "base": e.a.Base, "merchant": e.a.Merchant,
		"office":     office("office-jiulongpo", "jiulongpo"),
		"other host": e.a.OfficialHost, "other base": e.a.Base2, "other merchant": e.a.Merchant2,
		"other office": office("office-dazu", "dazu"),
	}
	ae := &authzEnv{env: e, admin: testkit.WithKey(admin), as: map[string]context.Context{}}
	for role, m := range members {
		k, err := reg.CreateApiKey(ctx, &memberv1.CreateApiKeyRequest{Member: m, ApiKey: &memberv1.ApiKey{DisplayName: role}})
		if err != nil {
			t.Fatalf("key of %s: %v", m, err)
		}
		ae.as[role] = testkit.WithKey(k.GetKey())
	}
	return ae
}

// externalIDs lists, as the admin sees them, the external ids of a session's sales.
func (e *authzEnv) externalIDs(session string) []string {
	e.t.Helper()
	r, err := e.sales.ListSales(e.admin, &salesv1.ListSalesRequest{Session: session, PageSize: 1000})
	if err != nil {
		e.t.Fatalf("admin lists %s: %v", session, err)
	}
	var out []string
	for _, s := range r.GetSales() {
		out = append(out, s.GetExternalId())
	}
	slices.Sort(out)
	return out
}

func wantRefusal(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || grpcx.Reason(err) != reason {
		t.Fatalf("got %v (reason %q), want %v %s", err, grpcx.Reason(err), code, reason)
	}
}

func TestRecordingIsForTheSessionsParties(t *testing.T) {
	e := newAuthzEnv(t)
	var stored []string
	for i, c := range []struct {
		name, who string
		allowed   bool
	}{
		{"the host records", "host", true},
		{"the base of the studio records", "base", true},
		{"the host's agency records", "agency", true},
		{"a featured merchant records", "merchant", true},
		{"another host may not", "other host", false},
		{"another base may not", "other base", false},
		{"a merchant not featured may not", "other merchant", false},
		{"the district office may not", "office", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ext := fmt.Sprintf("rec-%d", i)
			got, err := e.sales.RecordSale(e.as[c.who], &salesv1.RecordSaleRequest{Sale: order(sEnded, e.a.Tea, ext, 1, 100, t0.Add(time.Hour))})
			if !c.allowed {
				wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
				return
			}
			if err != nil || got.GetName() == "" {
				t.Fatalf("RecordSale: %v %v", got, err)
			}
			stored = append(stored, ext)
		})
	}
	if got := e.externalIDs(sEnded); !slices.Equal(got, stored) {
		t.Fatalf("stored %v, want only the parties' %v", got, stored)
	}
	t.Run("an unknown session stays NOT_FOUND for everyone", func(t *testing.T) {
		_, err := e.sales.RecordSale(e.as["other host"], &salesv1.RecordSaleRequest{Sale: order("sessions/nowhere", e.a.Tea, "rec-x", 1, 100, t0.Add(time.Hour))})
		wantRefusal(t, err, codes.NotFound, "SESSION_NOT_FOUND")
	})
}

func TestARefusedLineMeetsNoStoredSale(t *testing.T) {
	e := newAuthzEnv(t)
	line := order(sEnded, e.a.Tea, "x-1", 1, 100, t0.Add(time.Hour))
	first, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: line})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a repeat by a member with no part is refused, not answered with the stored sale", func(t *testing.T) {
		_, err := e.sales.RecordSale(e.as["other host"], &salesv1.RecordSaleRequest{Sale: line})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	})
	t.Run("the external id on an unknown session is NOT_FOUND, not a reuse", func(t *testing.T) {
		again := order("sessions/nowhere", e.a.Tea, "x-1", 1, 100, t0.Add(time.Hour))
		_, err := e.sales.RecordSale(e.as["other host"], &salesv1.RecordSaleRequest{Sale: again})
		wantRefusal(t, err, codes.NotFound, "SESSION_NOT_FOUND")
	})
	t.Run("the external id in the member's own session is a reuse that names no sale", func(t *testing.T) {
		mine := order(sNoodles, e.a.Noodles, "x-1", 1, 100, t0.Add(time.Hour))
		_, err := e.sales.RecordSale(e.as["other host"], &salesv1.RecordSaleRequest{Sale: mine})
		wantRefusal(t, err, codes.AlreadyExists, "EXTERNAL_ID_REUSED")
		if md := grpcx.ErrorInfo(err).GetMetadata(); md["sale"] != "" || strings.Contains(status.Convert(err).Message(), first.GetName()) {
			t.Fatalf("the refusal names the stored sale: %v %v", err, md)
		}
	})
	t.Run("a party's repeat is the stored sale", func(t *testing.T) {
		got, err := e.sales.RecordSale(e.as["host"], &salesv1.RecordSaleRequest{Sale: line})
		if err != nil || got.GetName() != first.GetName() {
			t.Fatalf("repeat: %v %v, want %s", got.GetName(), err, first.GetName())
		}
	})
	if got := e.externalIDs(sEnded); !slices.Equal(got, []string{"x-1"}) {
		t.Fatalf("sales of %s: %v", sEnded, got)
	}
	if got := e.externalIDs(sNoodles); len(got) != 0 {
		t.Fatalf("sales of %s: %v, want none", sNoodles, got)
	}
}

func TestImportRefusesOthersSessionsLineByLine(t *testing.T) {
	e := newAuthzEnv(t)
	stream, err := e.sales.ImportSales(e.as["other merchant"])
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	for _, s := range []*salesv1.Sale{
		order(sNoodles, e.a.Noodles, "imp-0", 1, 100, at),
		order(sEnded, e.a.Tea, "imp-1", 1, 100, at), // not featured there
		order(sNoodles, e.a.Noodles, "imp-2", 1, 100, at),
		order("sessions/nowhere", e.a.Noodles, "imp-3", 1, 100, at),
	} {
		if err := stream.Send(&salesv1.ImportSalesRequest{Sale: s}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAccepted() != 2 || resp.GetRejected() != 2 || len(resp.GetErrors()) != 2 {
		t.Fatalf("answer %v, want 2 accepted and 2 rejected", resp)
	}
	for i, want := range []struct {
		index        int64
		code, reason string
	}{{1, "PERMISSION_DENIED", "PERMISSION_DENIED"}, {3, "NOT_FOUND", "SESSION_NOT_FOUND"}} {
		if got := resp.GetErrors()[i]; got.GetIndex() != want.index || got.GetCode() != want.code || got.GetReason() != want.reason {
			t.Errorf("error %d: %v, want line %d %s %s", i, got, want.index, want.code, want.reason)
		}
	}
	if got := e.externalIDs(sEnded); len(got) != 0 {
		t.Fatalf("the refused line was stored: %v", got)
	}
	if got := e.externalIDs(sNoodles); !slices.Equal(got, []string{"imp-0", "imp-2"}) {
		t.Fatalf("sales of %s: %v", sNoodles, got)
	}
}

// recordSpread records, as the admin, 100 in sEnded (host, agency, base,
// district jiulongpo; Merchant's tea), 1,000 in sKuaishou (official host,
// second base, district dazu; Merchant's tea) and 10,000 in sNoodles
// (official host, second base; Merchant2's noodles).
func (e *authzEnv) recordSpread() {
	e.t.Helper()
	at := t0.Add(time.Hour)
	k := order(sKuaishou, e.a.Tea, "k-1", 1, 1000, at)
	k.Platform = typev1.Platform_PLATFORM_KUAISHOU
	for _, s := range []*salesv1.Sale{order(sEnded, e.a.Tea, "e-1", 1, 100, at), k, order(sNoodles, e.a.Noodles, "n-1", 1, 10000, at)} {
		if _, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: s}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestMembersReportOnlyTheirOwnData(t *testing.T) {
	e := newAuthzEnv(t)
	e.recordSpread()
	march := func(f func(*salesv1.QuerySalesReportRequest)) *salesv1.QuerySalesReportRequest {
		r := &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01", Granularity: salesv1.Granularity_GRANULARITY_TOTAL}
		if f != nil {
			f(r)
		}
		return r
	}
	for _, c := range []struct {
		name, who string
		req       func(*salesv1.QuerySalesReportRequest)
		gross     int64 // when allowed
		denied    bool
	}{
		{"the admin reads everything", "", nil, 11100, false},
		{"a host reads its own sessions", "host", nil, 100, false},
		{"an agency reads its hosts' sessions", "agency", nil, 100, false},
		{"a base reads its studios' sessions", "base", nil, 100, false},
		{"another base reads its own", "other base", nil, 11000, false},
		{"a merchant reads its products' sales", "merchant", nil, 1100, false},
		{"another merchant reads its own", "other merchant", nil, 10000, false},
		{"a district office reads its district", "office", nil, 100, false},
		{"another district office reads its own", "other office", nil, 11000, false},
		{"naming itself in its own filter is fine", "host", func(r *salesv1.QuerySalesReportRequest) { r.Host = e.a.Host }, 100, false},
		{"other filters narrow its data further", "host", func(r *salesv1.QuerySalesReportRequest) { r.Merchant = e.a.Merchant2 }, 0, false},
		{"a host may not name another host", "host", func(r *salesv1.QuerySalesReportRequest) { r.Host = e.a.OfficialHost }, 0, true},
		{"a merchant may not name another merchant", "merchant", func(r *salesv1.QuerySalesReportRequest) { r.Merchant = e.a.Merchant2 }, 0, true},
		{"an agency may not name another agency", "agency", func(r *salesv1.QuerySalesReportRequest) { r.Agency = "members/other-mcn" }, 0, true},
		{"a base may not name another base", "base", func(r *salesv1.QuerySalesReportRequest) { r.Base = e.a.Base2 }, 0, true},
		{"a district office may not name another district", "office", func(r *salesv1.QuerySalesReportRequest) { r.District = "dazu" }, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := e.admin
			if c.who != "" {
				ctx = e.as[c.who]
			}
			got, err := e.sales.QuerySalesReport(ctx, march(c.req))
			if c.denied {
				wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
				return
			}
			if err != nil || got.GetTotals().GetGross().GetMinorUnits() != c.gross {
				t.Fatalf("gross %v, %v; want %d", got.GetTotals().GetGross(), err, c.gross)
			}
		})
	}
	t.Run("the alliance overview is open to every member", func(t *testing.T) {
		o, err := e.sales.GetAllianceOverview(e.as["host"], &salesv1.GetAllianceOverviewRequest{StartDate: "2026-03-01", EndDate: "2026-04-01"})
		if err != nil || o.GetGross().GetMinorUnits() != 11100 {
			t.Fatalf("overview %v, %v; want gross 11100", o.GetGross(), err)
		}
	})
}

func TestRankingsStayInsideTheMembersData(t *testing.T) {
	e := newAuthzEnv(t)
	e.recordSpread()
	for _, c := range []struct {
		name, who string
		dim       salesv1.Dimension
		want      string // key=net, ...
	}{
		{"the admin ranks every merchant", "", salesv1.Dimension_DIMENSION_MERCHANT, fmt.Sprintf("%s=10000 %s=1100", e.a.Merchant2, e.a.Merchant)},
		{"a host ranks merchants in its sessions only", "host", salesv1.Dimension_DIMENSION_MERCHANT, e.a.Merchant + "=100"},
		{"a merchant ranks hosts by its products' sales", "merchant", salesv1.Dimension_DIMENSION_HOST, fmt.Sprintf("%s=1000 %s=100", e.a.OfficialHost, e.a.Host)},
		{"a district office ranks bases in its district", "office", salesv1.Dimension_DIMENSION_BASE, e.a.Base + "=100"},
		{"an agency ranks districts of its hosts' sessions", "agency", salesv1.Dimension_DIMENSION_DISTRICT, "jiulongpo=100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := e.admin
			if c.who != "" {
				ctx = e.as[c.who]
			}
			r, err := e.sales.ListTopPerformers(ctx, &salesv1.ListTopPerformersRequest{Dimension: c.dim, StartDate: "2026-03-01", EndDate: "2026-04-01"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range r.GetEntries() {
				got = append(got, fmt.Sprintf("%s=%d", x.GetKey(), x.GetValue()))
			}
			if strings.Join(got, " ") != c.want {
				t.Fatalf("ranking %v, want %s", got, c.want)
			}
		})
	}
}

func TestSessionSalesAreReadByItsParties(t *testing.T) {
	e := newAuthzEnv(t)
	sale, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: order(sEnded, e.a.Tea, "s-1", 2, 300, t0.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who     string
		allowed bool
	}{
		{"host", true}, {"base", true}, {"agency", true}, {"merchant", true}, {"office", true},
		{"other host", false}, {"other base", false}, {"other merchant", false}, {"other office", false},
	} {
		ctx := e.as[c.who]
		t.Run(c.who+" reading "+sEnded, func(t *testing.T) {
			sum, err1 := e.sales.GetSessionSummary(ctx, &salesv1.GetSessionSummaryRequest{Session: sEnded})
			list, err2 := e.sales.ListSales(ctx, &salesv1.ListSalesRequest{Session: sEnded})
			got, err3 := e.sales.GetSale(ctx, &salesv1.GetSaleRequest{Name: sale.GetName()})
			if !c.allowed {
				for _, err := range []error{err1, err2, err3} {
					wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
				}
				return
			}
			if err1 != nil || sum.GetOrders() != 1 || err2 != nil || len(list.GetSales()) != 1 || err3 != nil || got.GetExternalId() != "s-1" {
				t.Fatalf("summary %v %v; list %v %v; sale %v %v", sum, err1, list, err2, got, err3)
			}
		})
	}
	t.Run("a featured merchant reads a session with no sale yet, an unfeatured one may not", func(t *testing.T) {
		if r, err := e.sales.ListSales(e.as["other merchant"], &salesv1.ListSalesRequest{Session: sNoodles}); err != nil || len(r.GetSales()) != 0 {
			t.Fatalf("featured: %v %v", r, err)
		}
		_, err := e.sales.GetSessionSummary(e.as["merchant"], &salesv1.GetSessionSummaryRequest{Session: sNoodles})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	})
	t.Run("a member lists the sales of one session, not of all", func(t *testing.T) {
		_, err := e.sales.ListSales(e.as["host"], &salesv1.ListSalesRequest{})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		if r, err := e.sales.ListSales(e.admin, &salesv1.ListSalesRequest{}); err != nil || len(r.GetSales()) != 1 {
			t.Fatalf("admin lists all: %v %v", r, err)
		}
	})
	t.Run("an unknown session is NOT_FOUND for everyone", func(t *testing.T) {
		_, err := e.sales.GetSessionSummary(e.as["host"], &salesv1.GetSessionSummaryRequest{Session: "sessions/nowhere"})
		wantRefusal(t, err, codes.NotFound, "SESSION_NOT_FOUND")
		_, err = e.sales.ListSales(e.as["host"], &salesv1.ListSalesRequest{Session: "sessions/nowhere"})
		wantRefusal(t, err, codes.NotFound, "SESSION_NOT_FOUND")
	})
	t.Run("a member cannot tell a missing sale from one it may not see", func(t *testing.T) {
		_, err := e.sales.GetSale(e.as["host"], &salesv1.GetSaleRequest{Name: "sales/s000000099999"})
		wantRefusal(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		_, err = e.sales.GetSale(e.admin, &salesv1.GetSaleRequest{Name: "sales/s000000099999"})
		wantRefusal(t, err, codes.NotFound, "SALE_NOT_FOUND")
	})
}
