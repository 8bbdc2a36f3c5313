package ingest_test

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
)

// The rules of ingestion, checked on the domain with a real store and a
// directory that answers from memory; the gRPC harness in app checks the
// wiring of the same rules.

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

const (
	host, agency, base, farm, shop = "members/host", "members/agency", "members/base", "members/farm", "members/shop"
	studio                         = "members/base/studios/s1"
	tea, honey, other              = "members/farm/products/tea", "members/farm/products/honey", "members/shop/products/x"
)

// directory is the other services as ingestion sees them, from memory.
type directory struct{}

var sessions = map[string]ingest.SessionInfo{
	"sessions/live":   {State: ingest.Live, ActualStart: t0.Add(-time.Hour)},
	"sessions/ended":  {State: ingest.Ended, ActualStart: t0.Add(-30 * time.Hour), ActualEnd: t0.Add(-28 * time.Hour)},
	"sessions/sched":  {State: ingest.Scheduled},
	"sessions/cancel": {State: ingest.Cancelled},
}

func (directory) Sessions(_ context.Context, names []string) (map[string]ingest.SessionInfo, error) {
	out := map[string]ingest.SessionInfo{}
	for _, n := range names {
		if s, ok := sessions[n]; ok {
			s.Name, s.Host, s.Studio, s.Platform = n, host, studio, "DOUYIN"
			s.Merchants, s.Products = []string{farm}, []string{tea}
			out[n] = s
		}
	}
	return out, nil
}

func (directory) Members(_ context.Context, names []string) (map[string]ingest.MemberInfo, error) {
	out := map[string]ingest.MemberInfo{}
	for _, n := range names {
		switch n {
		case host:
			out[n] = ingest.MemberInfo{Name: n, Agency: agency, District: "banan"}
		case base:
			out[n] = ingest.MemberInfo{Name: n, District: "dazu"}
		}
	}
	return out, nil
}

func (directory) Product(_ context.Context, name string) (ingest.Product, bool, error) {
	switch name {
	case tea, honey, other:
		return ingest.Product{Name: name, Merchant: ingest.MerchantOf(name), Category: "tea", OriginDistrict: "banan"}, true, nil
	}
	return ingest.Product{}, false, nil
}

func newService(t *testing.T) *ingest.Service {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "sales.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := ingest.NewService(st, directory{}, report.New(time.UTC), ingest.Config{
		Currency: "CNY", Location: time.UTC, Now: func() time.Time { return t0 },
	})
	t.Cleanup(func() {
		svc.Close()
		st.Close()
	})
	return svc
}

var (
	staff    = ingest.WithCaller(context.Background(), ingest.Caller{Trusted: true})
	noCaller = context.Background()
)

func as(member string, kind members.Kind, district string) context.Context {
	return ingest.WithCaller(context.Background(), ingest.Caller{Member: member, Kind: kind, District: district})
}

func order(session, product, id string, qty, amount int64, at time.Time) ingest.Sale {
	return ingest.Sale{Session: session, Product: product, Kind: report.Order, Quantity: qty, Amount: amount,
		Currency: "CNY", Platform: "DOUYIN", ExternalID: id, EventTime: at}
}

func refund(session, product, id, of string, qty, amount int64, at time.Time) ingest.Sale {
	s := order(session, product, id, qty, amount, at)
	s.Kind, s.RefundOf = report.Refund, of
	return s
}

func TestRecordingRules(t *testing.T) {
	live, ended := "sessions/live", "sessions/ended"
	in := t0.Add(-30 * time.Minute)
	for _, c := range []struct {
		name   string
		ctx    context.Context
		before []ingest.Sale // recorded first, by staff
		sale   ingest.Sale
		want   fault.Reason // zero: stored
		dup    bool
	}{
		{name: "an order of a LIVE session within its window is stored", ctx: staff, sale: order(live, tea, "o1", 1, 100, in)},
		{name: "idempotency: an identical repeat is the stored sale, not a second one", ctx: staff,
			before: []ingest.Sale{order(live, tea, "o1", 1, 100, in)}, sale: order(live, tea, "o1", 1, 100, in), dup: true},
		{name: "idempotency: the same external id with another payload is EXTERNAL_ID_REUSED", ctx: staff,
			before: []ingest.Sale{order(live, tea, "o1", 1, 100, in)}, sale: order(live, tea, "o1", 2, 100, in), want: ingest.ReasonExternalIDReused},
		{name: "session state: a SCHEDULED session takes no sales", ctx: staff, sale: order("sessions/sched", tea, "o1", 1, 100, in), want: ingest.ReasonSessionNotLive},
		{name: "session state: a CANCELLED session takes no sales", ctx: staff, sale: order("sessions/cancel", tea, "o1", 1, 100, in), want: ingest.ReasonSessionNotLive},
		{name: "session state: an unknown session is NOT_FOUND", ctx: staff, sale: order("sessions/nope", tea, "o1", 1, 100, in), want: ingest.ReasonSessionNotFound},
		{name: "platform: a sale from another platform than the session's", ctx: staff,
			sale: func() ingest.Sale { s := order(live, tea, "o1", 1, 100, in); s.Platform = "KUAISHOU"; return s }(), want: ingest.ReasonPlatformMismatch},
		{name: "product: a featured product is taken", ctx: staff, sale: order(live, tea, "o1", 1, 100, in)},
		{name: "product: another product of a featured merchant is taken", ctx: staff, sale: order(live, honey, "o1", 1, 100, in)},
		{name: "product: a product of no merchant of the session is refused", ctx: staff, sale: order(live, other, "o1", 1, 100, in), want: ingest.ReasonProductNotInSession},
		{name: "order time: at the actual start is taken", ctx: staff, sale: order(live, tea, "o1", 1, 100, t0.Add(-time.Hour))},
		{name: "order time: before the actual start is outside the session", ctx: staff,
			sale: order(live, tea, "o1", 1, 100, t0.Add(-time.Hour-time.Nanosecond)), want: ingest.ReasonEventOutsideSession},
		{name: "order time: an ENDED session takes orders a day after its end", ctx: staff,
			sale: order(ended, tea, "o1", 1, 100, sessions[ended].ActualEnd.Add(ingest.LateOrderWindow))},
		{name: "order time: and not a nanosecond later", ctx: staff,
			sale: order(ended, tea, "o1", 1, 100, sessions[ended].ActualEnd.Add(ingest.LateOrderWindow+time.Nanosecond)), want: ingest.ReasonEventOutsideSession},
		{name: "order time: a LIVE session takes an order up to the clock skew ahead", ctx: staff, sale: order(live, tea, "o1", 1, 100, t0.Add(ingest.ClockSkew))},
		{name: "order time: and not beyond", ctx: staff, sale: order(live, tea, "o1", 1, 100, t0.Add(ingest.ClockSkew+time.Nanosecond)), want: ingest.ReasonEventOutsideSession},
		{name: "refund: of an order that exists, within it", ctx: staff,
			before: []ingest.Sale{order(live, tea, "o1", 2, 200, in)}, sale: refund(live, tea, "r1", "o1", 1, 100, in.Add(time.Minute))},
		{name: "refund: of no order", ctx: staff, sale: refund(live, tea, "r1", "o1", 1, 100, in), want: ingest.ReasonRefundOrderNotFound},
		{name: "refund: beyond its order", ctx: staff,
			before: []ingest.Sale{order(live, tea, "o1", 2, 200, in)}, sale: refund(live, tea, "r1", "o1", 1, 201, in.Add(time.Minute)), want: ingest.ReasonRefundExceedsOrder},
		{name: "shape: a sale in another currency than the reporting one", ctx: staff,
			sale: func() ingest.Sale { s := order(live, tea, "o1", 1, 100, in); s.Currency = "USD"; return s }(), want: fault.ReasonInvalidArgument},
		{name: "who: the session's host records its sales", ctx: as(host, members.Host, ""), sale: order(live, tea, "o1", 1, 100, in)},
		{name: "who: the base of its studio does", ctx: as(base, members.Base, ""), sale: order(live, tea, "o1", 1, 100, in)},
		{name: "who: the host's agency does", ctx: as(agency, members.Agency, ""), sale: order(live, tea, "o1", 1, 100, in)},
		{name: "who: a featured merchant does", ctx: as(farm, members.Merchant, ""), sale: order(live, tea, "o1", 1, 100, in)},
		{name: "who: a member that is no party to the session may not", ctx: as(shop, members.Merchant, ""),
			sale: order(live, tea, "o1", 1, 100, in), want: fault.ReasonPermissionDenied},
		{name: "who: nor learn of a stored sale of that session by sending it again", ctx: as(shop, members.Merchant, ""),
			before: []ingest.Sale{order(live, tea, "o1", 1, 100, in)}, sale: order(live, tea, "o1", 1, 100, in), want: fault.ReasonPermissionDenied},
		{name: "who: a call with no caller at all is refused", ctx: noCaller, sale: order(live, tea, "o1", 1, 100, in), want: fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc := newService(t)
			for _, b := range c.before {
				if _, _, err := svc.Record(staff, b); err != nil {
					t.Fatalf("recording %s first: %v", b.ExternalID, err)
				}
			}
			stored, dup, err := svc.Record(c.ctx, c.sale)
			if got := fault.ReasonOf(err); got != c.want || err != nil && c.want == (fault.Reason{}) {
				t.Fatalf("%v, want reason %q", err, c.want)
			}
			if c.want == (fault.Reason{}) && (stored == nil || dup != c.dup) {
				t.Fatalf("stored %v, duplicate %v; want a stored sale, duplicate %v", stored, dup, c.dup)
			}
		})
	}
}

func TestWhoSeesASessionsSales(t *testing.T) {
	svc := newService(t)
	for _, c := range []struct {
		name    string
		ctx     context.Context
		session string
		want    fault.Reason
	}{
		{name: "the alliance's staff see every session", ctx: staff, session: "sessions/live"},
		{name: "its host", ctx: as(host, members.Host, "banan"), session: "sessions/live"},
		{name: "the base of its studio", ctx: as(base, members.Base, "dazu"), session: "sessions/live"},
		{name: "the host's agency", ctx: as(agency, members.Agency, "banan"), session: "sessions/live"},
		{name: "a featured merchant", ctx: as(farm, members.Merchant, "banan"), session: "sessions/live"},
		{name: "the district office of the base's district", ctx: as("members/dazu-office", members.DistrictOffice, "dazu"), session: "sessions/live"},
		{name: "not another district's office", ctx: as("members/banan-office", members.DistrictOffice, "banan"), session: "sessions/live", want: fault.ReasonPermissionDenied},
		{name: "not a member that is no party", ctx: as(shop, members.Merchant, "dazu"), session: "sessions/live", want: fault.ReasonPermissionDenied},
		{name: "an unknown session is NOT_FOUND: session names are public", ctx: as(shop, members.Merchant, ""), session: "sessions/nope", want: ingest.ReasonSessionNotFound},
		{name: "no caller at all sees nothing", ctx: noCaller, session: "sessions/live", want: fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fault.ReasonOf(svc.MaySeeSession(c.ctx, c.session)); got != c.want {
				t.Fatalf("reason %q, want %q", got, c.want)
			}
		})
	}
}

func TestAMemberListsAndGetsOnlyWhatItSees(t *testing.T) {
	svc := newService(t)
	stored, _, err := svc.Record(staff, order("sessions/live", tea, "o1", 1, 100, t0.Add(-time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want fault.Reason
	}{
		{"a member lists the sales of one of its sessions", func() error {
			_, _, err := svc.List(as(host, members.Host, ""), "sessions/live", 0, nil, 10)
			return err
		}(), fault.Reason{}},
		{"a member names the session it lists", func() error {
			_, _, err := svc.List(as(host, members.Host, ""), "", 0, nil, 10)
			return err
		}(), fault.ReasonPermissionDenied},
		{"staff list every sale", func() error { _, _, err := svc.List(staff, "", 0, nil, 10); return err }(), fault.Reason{}},
		{"a member gets a sale of its session", func() error { _, err := svc.Get(as(host, members.Host, ""), stored.ID); return err }(), fault.Reason{}},
		{"a member that is no party does not", func() error { _, err := svc.Get(as(shop, members.Merchant, ""), stored.ID); return err }(), fault.ReasonPermissionDenied},
		{"to a member an unknown sale is as one it may not see", func() error { _, err := svc.Get(as(host, members.Host, ""), stored.ID+1); return err }(), fault.ReasonPermissionDenied},
		{"to staff an unknown sale is NOT_FOUND", func() error { _, err := svc.Get(staff, stored.ID+1); return err }(), ingest.ReasonSaleNotFound},
		{"no caller gets nothing", func() error { _, err := svc.Get(noCaller, stored.ID); return err }(), fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fault.ReasonOf(c.err); got != c.want {
				t.Fatalf("%v, want reason %q", c.err, c.want)
			}
		})
	}
}

func TestAMembersReportIsHeldToItsOwnData(t *testing.T) {
	for _, c := range []struct {
		name   string
		ctx    context.Context
		filter report.Filter
		want   report.Filter
		refuse fault.Reason
	}{
		{name: "staff report on everything, as asked", ctx: staff, filter: report.Filter{District: "dazu"}, want: report.Filter{District: "dazu"}},
		{name: "a host's report is its own", ctx: as(host, members.Host, "banan"), want: report.Filter{Host: host}},
		{name: "a base's report is its own", ctx: as(base, members.Base, "dazu"), want: report.Filter{Base: base}},
		{name: "an agency's report is its own", ctx: as(agency, members.Agency, ""), want: report.Filter{Agency: agency}},
		{name: "a merchant's report is its own, narrowed further as asked", ctx: as(farm, members.Merchant, ""),
			filter: report.Filter{Category: "tea"}, want: report.Filter{Merchant: farm, Category: "tea"}},
		{name: "a district office's report is its district's", ctx: as("members/dazu-office", members.DistrictOffice, "dazu"), want: report.Filter{District: "dazu"}},
		{name: "asking for another member's data is refused, not widened", ctx: as(host, members.Host, ""),
			filter: report.Filter{Host: "members/someone-else"}, refuse: fault.ReasonPermissionDenied},
		{name: "a district office without a district sees nothing", ctx: as("members/office", members.DistrictOffice, ""), refuse: fault.ReasonPermissionDenied},
		{name: "a member of no known kind sees nothing", ctx: as("members/odd", members.KindUnspecified, ""), refuse: fault.ReasonPermissionDenied},
		{name: "no caller at all is refused", ctx: noCaller, refuse: fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.filter
			err := ingest.OwnFilter(c.ctx, &f)
			if got := fault.ReasonOf(err); got != c.refuse {
				t.Fatalf("%v, want reason %q", err, c.refuse)
			}
			if err == nil && f != c.want {
				t.Fatalf("filter %+v, want %+v", f, c.want)
			}
		})
	}
}
