package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// TestIngestionRules checks every ingestion rule (docs/API.md) with its
// code and reason, over the real gRPC server. Sessions come from the
// map-backed scheduler, since some are in the past; members and products
// from the registry (memberfake).
func TestIngestionRules(t *testing.T) {
	e := newEnv(t)
	a := e.a
	in := func(d time.Duration) time.Time { return t0.Add(d) }
	e.mustRecord(order(sEnded, a.Tea, "base-order", 3, 3000, in(time.Hour)))
	e.mustRecord(order(sEnded, a.Tea, "small-order", 1, 500, in(time.Hour)))

	kuaishou := func(s *salesv1.Sale) { s.Session, s.Platform = sKuaishou, typev1.Platform_PLATFORM_KUAISHOU }
	cases := []struct {
		name   string
		before []*salesv1.Sale // accepted first
		sale   *salesv1.Sale
		at     time.Time // the clock, if not the fixture's
		code   codes.Code
		reason string
		fields []string
	}{
		{name: "order inside an ENDED session's window is accepted",
			sale: order(sEnded, a.Tea, "ok-1", 1, 100, in(2*time.Hour))},
		{name: "product of one of the session's merchants, not featured, is accepted",
			sale: order(sEnded, a.Hotpot, "ok-2", 1, 100, in(2*time.Hour))},
		{name: "order 23h after the session ended is accepted (late settlement)",
			sale: order(sEnded, a.Tea, "ok-3", 1, 100, in(26*time.Hour))},
		{name: "order on a LIVE session up to now is accepted",
			sale: order(sLive, a.Tea, "ok-4", 1, 100, in(2*time.Hour))},
		{name: "idempotency: external id reused with a different amount",
			sale: order(sEnded, a.Tea, "base-order", 3, 3001, in(time.Hour)), code: codes.AlreadyExists, reason: "EXTERNAL_ID_REUSED"},
		{name: "idempotency: external id reused with a different event time",
			sale: order(sEnded, a.Tea, "base-order", 3, 3000, in(time.Hour+time.Second)), code: codes.AlreadyExists, reason: "EXTERNAL_ID_REUSED"},
		{name: "session state: order on a SCHEDULED session",
			sale: order(sScheduled, a.Tea, "x-1", 1, 100, in(time.Hour)), code: codes.FailedPrecondition, reason: "SESSION_NOT_LIVE"},
		{name: "session state: order on a CANCELLED session",
			sale: order(sCancelled, a.Tea, "x-2", 1, 100, in(time.Hour)), code: codes.FailedPrecondition, reason: "SESSION_NOT_LIVE"},
		{name: "session state: unknown session",
			sale: order("sessions/nope", a.Tea, "x-3", 1, 100, in(time.Hour)), code: codes.NotFound, reason: "SESSION_NOT_FOUND"},
		{name: "product: neither featured nor sold by one of the session's merchants",
			sale: order(sEnded, a.Noodles, "x-4", 1, 100, in(time.Hour)), code: codes.FailedPrecondition, reason: "PRODUCT_NOT_IN_SESSION"},
		{name: "product: of a session merchant but unknown to the registry",
			sale: order(sEnded, a.Merchant+"/products/ghost", "x-5", 1, 100, in(time.Hour)), code: codes.NotFound, reason: "PRODUCT_NOT_FOUND"},
		{name: "order time: before the session's actual start",
			sale: order(sEnded, a.Tea, "x-6", 1, 100, in(-time.Second)), code: codes.FailedPrecondition, reason: "EVENT_OUTSIDE_SESSION"},
		{name: "order time: more than 24h after the session's actual end",
			sale: order(sEnded, a.Tea, "x-7", 1, 100, in(27*time.Hour+time.Second)), code: codes.FailedPrecondition, reason: "EVENT_OUTSIDE_SESSION"},
		{name: "order time: LIVE session, beyond the clock-skew allowance past now",
			sale: order(sLive, a.Tea, "x-8", 1, 100, in(2*time.Hour+2*time.Minute)), code: codes.FailedPrecondition, reason: "EVENT_OUTSIDE_SESSION"},
		{name: "platform: sale from another platform than the session's",
			sale: edited(order(sEnded, a.Tea, "x-9", 1, 100, in(time.Hour)), func(s *salesv1.Sale) { s.Platform = typev1.Platform_PLATFORM_KUAISHOU }),
			code: codes.FailedPrecondition, reason: "PLATFORM_MISMATCH"},
		{name: "refund: names no order",
			sale: refund(sEnded, a.Tea, "r-1", "no-such-order", 1, 100, in(2*time.Hour)), code: codes.FailedPrecondition, reason: "REFUND_ORDER_NOT_FOUND"},
		{name: "refund: names a refund, not an order",
			before: []*salesv1.Sale{refund(sEnded, a.Tea, "r-2a", "small-order", 1, 100, in(2*time.Hour))},
			sale:   refund(sEnded, a.Tea, "r-2", "r-2a", 1, 50, in(2*time.Hour)), code: codes.FailedPrecondition, reason: "REFUND_ORDER_NOT_FOUND"},
		{name: "refund: the order is on another platform",
			before: []*salesv1.Sale{edited(order(sKuaishou, a.Tea, "ks-order", 2, 2000, in(time.Hour)), kuaishou)},
			sale:   refund(sEnded, a.Tea, "r-3", "ks-order", 1, 100, in(2*time.Hour)), code: codes.FailedPrecondition, reason: "REFUND_ORDER_NOT_FOUND"},
		{name: "refund: more than the order's amount",
			sale: refund(sEnded, a.Tea, "r-4", "base-order", 1, 3001, in(2*time.Hour)), code: codes.FailedPrecondition, reason: "REFUND_EXCEEDS_ORDER"},
		{name: "refund: more than the order's quantity",
			sale: refund(sEnded, a.Tea, "r-5", "base-order", 4, 100, in(2*time.Hour)), code: codes.FailedPrecondition, reason: "REFUND_EXCEEDS_ORDER"},
		{name: "refund: refunds of one order exceed its amount in total",
			before: []*salesv1.Sale{refund(sEnded, a.Tea, "r-6a", "base-order", 1, 2000, in(2*time.Hour))},
			sale:   refund(sEnded, a.Tea, "r-6", "base-order", 1, 1001, in(2*time.Hour)), code: codes.FailedPrecondition, reason: "REFUND_EXCEEDS_ORDER"},
		{name: "refund: up to the rest of the order is accepted, any time later (within a year)",
			sale: refund(sEnded, a.Tea, "r-7", "base-order", 2, 1000, in(30*24*time.Hour)), at: in(31 * 24 * time.Hour)},
		{name: "currency: not the reporting currency",
			sale: edited(order(sEnded, a.Tea, "v-1", 1, 100, in(time.Hour)), func(s *salesv1.Sale) { s.Amount.CurrencyCode = "USD" }),
			code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"sale.amount.currency_code"}},
		{name: "shape: quantity and amount must be positive",
			sale: order(sEnded, a.Tea, "v-2", 0, -5, in(time.Hour)), code: codes.InvalidArgument, reason: "INVALID_ARGUMENT",
			fields: []string{"sale.amount.minor_units", "sale.quantity"}},
		{name: "shape: external id of 129 characters",
			sale: order(sEnded, a.Tea, strings.Repeat("x", 129), 1, 100, in(time.Hour)), code: codes.InvalidArgument, reason: "INVALID_ARGUMENT",
			fields: []string{"sale.external_id"}},
		{name: "shape: external id not printable ASCII",
			sale: order(sEnded, a.Tea, "订单-1", 1, 100, in(time.Hour)), code: codes.InvalidArgument, reason: "INVALID_ARGUMENT",
			fields: []string{"sale.external_id"}},
		{name: "shape: refund_of on an ORDER",
			sale: edited(order(sEnded, a.Tea, "v-3", 1, 100, in(time.Hour)), func(s *salesv1.Sale) { s.RefundOf = "base-order" }),
			code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"sale.refund_of"}},
		{name: "shape: REFUND without refund_of",
			sale: refund(sEnded, a.Tea, "v-4", "", 1, 100, in(time.Hour)), code: codes.InvalidArgument, reason: "INVALID_ARGUMENT", fields: []string{"sale.refund_of"}},
		{name: "shape: missing session, kind, platform and event time",
			sale: &salesv1.Sale{Product: a.Tea, Quantity: 1, Amount: money(1), ExternalId: "v-5"}, code: codes.InvalidArgument, reason: "INVALID_ARGUMENT",
			fields: []string{"sale.event_time", "sale.kind", "sale.platform", "sale.session"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !c.at.IsZero() {
				saved := e.clock.Now()
				e.clock.Set(c.at)
				defer e.clock.Set(saved)
			}
			for _, s := range c.before {
				e.mustRecord(s)
			}
			got, err := e.record(c.sale)
			if c.code == codes.OK {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got.GetName() == "" || got.GetAttribution().GetHost() == "" || got.GetCreateTime() == nil {
					t.Fatalf("stored sale lacks name, attribution or create time: %v", got)
				}
				return
			}
			wantErr(t, err, c.code, c.reason)
			if c.fields != nil {
				fields := grpcx.FieldViolations(err)
				slices.Sort(fields)
				if !slices.Equal(fields, c.fields) {
					t.Fatalf("field violations %v, want %v", fields, c.fields)
				}
			}
		})
	}
}

// edited is s after edit: a sale that breaks one rule, for a table row.
func edited(s *salesv1.Sale, edit func(*salesv1.Sale)) *salesv1.Sale {
	edit(s)
	return s
}

func TestIdenticalRepeatReturnsStoredSaleCountedOnce(t *testing.T) {
	e := newEnv(t)
	s := order(sEnded, e.a.Tea, "once", 2, 1250, t0.Add(time.Hour))
	first := e.mustRecord(s)
	again := e.mustRecord(proto.Clone(s).(*salesv1.Sale))
	if !proto.Equal(first, again) {
		t.Fatalf("repeat answered %v, want the stored %v", again, first)
	}
	if m := e.total("2026-03-01", "2026-04-01"); m.GetOrders() != 1 || m.GetGross().GetMinorUnits() != 1250 {
		t.Fatalf("totals %v, want one order of 1250", m)
	}
}

func TestAttributionCopiedOntoTheSale(t *testing.T) {
	e := newEnv(t)
	a := e.a
	got := e.mustRecord(order(sEnded, a.Hotpot, "attr-1", 1, 100, t0.Add(time.Hour)))
	want := &salesv1.Attribution{Host: a.Host, Agency: a.Agency, Base: a.Base, Studio: a.Studio, District: "jiulongpo",
		Merchant: a.Merchant, Category: "hotpot", OriginDistrict: "yuzhong"}
	if !proto.Equal(got.GetAttribution(), want) {
		t.Fatalf("attribution %v, want %v", got.GetAttribution(), want)
	}
	k := order(sKuaishou, a.Tea, "attr-2", 1, 100, t0.Add(time.Hour))
	k.Platform = typev1.Platform_PLATFORM_KUAISHOU
	got = e.mustRecord(k)
	if at := got.GetAttribution(); !at.GetOfficial() || at.GetDistrict() != "dazu" || at.GetAgency() != "" {
		t.Fatalf("official host's sale attributed %v, want official, district dazu, no agency", at)
	}
}
