package ingest

import (
	"fmt"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

var at = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func anOrder(qty, amount int64) *Sale {
	return &Sale{ID: 1, Session: "sessions/a", Product: "members/m/products/p", Kind: report.Order, Quantity: qty, Amount: amount,
		Currency: "CNY", Platform: "DOUYIN", ExternalID: "o-1", EventTime: at}
}

func aRefund(qty, amount int64) *Sale {
	return &Sale{Session: "sessions/a", Product: "members/m/products/p", Kind: report.Refund, Quantity: qty, Amount: amount,
		Currency: "CNY", Platform: "DOUYIN", ExternalID: "r-1", RefundOf: "o-1", EventTime: at.Add(time.Hour)}
}

func reasonOf(err error) string {
	if fe, ok := fault.As(err); ok {
		return fe.Reason.String()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestRefundBoundedByItsOrder(t *testing.T) {
	const max = math.MaxInt64
	for _, c := range []struct {
		name                  string
		order, refund         *Sale
		refundedQty, refunded int64
		visible               bool
		want                  fault.Reason
	}{
		{name: "a refund of the whole order fits", order: anOrder(3, 3000), refund: aRefund(3, 3000), visible: true},
		{name: "one unit more than the order does not", order: anOrder(3, 3000), refund: aRefund(4, 1), visible: true, want: ReasonRefundExceedsOrder},
		{name: "the rest of a partly refunded order fits", order: anOrder(3, 3000), refund: aRefund(1, 1000), refundedQty: 2, refunded: 2000, visible: true},
		{name: "past the rest does not", order: anOrder(3, 3000), refund: aRefund(1, 1001), refundedQty: 2, refunded: 2000, visible: true, want: ReasonRefundExceedsOrder},
		{name: "int64: a refund of the largest quantity and amount after an earlier one does not wrap into fitting",
			order: anOrder(10, 10), refund: aRefund(max, max), refundedQty: 1, refunded: 1, visible: true, want: ReasonRefundExceedsOrder},
		{name: "int64: a refund of the largest amount on an order of the largest amount fits once",
			order: anOrder(max, max), refund: aRefund(max, max), visible: true},
		{name: "int64: and not a second time", order: anOrder(max, max), refund: aRefund(1, 1), refundedQty: max, refunded: max, visible: true, want: ReasonRefundExceedsOrder},
		{name: "no order", refund: aRefund(1, 1), visible: true, want: ReasonRefundOrderNotFound},
		{name: "the order is a refund", order: func() *Sale { o := anOrder(1, 1); o.Kind = report.Refund; return o }(), refund: aRefund(1, 1), visible: true,
			want: ReasonRefundOrderNotFound},
		{name: "the order is of another session the caller sees", order: func() *Sale { o := anOrder(1, 1); o.Session = "sessions/b"; return o }(),
			refund: aRefund(1, 1), visible: true, want: ReasonRefundSessionMismatch},
		{name: "the order is of another session the caller may not see: as if there were none",
			order: func() *Sale { o := anOrder(1, 1); o.Session = "sessions/b"; return o }(), refund: aRefund(1, 1), want: ReasonRefundOrderNotFound},
		{name: "the order is of another product: the refund would count in that product's rollups",
			order: anOrder(1, 1), refund: func() *Sale { r := aRefund(1, 1); r.Product = "members/m/products/q"; return r }(),
			visible: true, want: ReasonRefundProductMismatch},
		{name: "the order is of another merchant's product", order: anOrder(1, 1),
			refund: func() *Sale { r := aRefund(1, 1); r.Product = "members/n/products/p"; return r }(), visible: true, want: ReasonRefundProductMismatch},
		{name: "a refund before its order", order: anOrder(1, 1), refund: func() *Sale { r := aRefund(1, 1); r.EventTime = at.Add(-time.Nanosecond); return r }(),
			visible: true, want: ReasonRefundBeforeOrder},
		{name: "a refund at its order's instant fits", order: anOrder(1, 1), refund: func() *Sale { r := aRefund(1, 1); r.EventTime = at; return r }(), visible: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := reasonOf(checkRefund(c.order, c.refund, c.refundedQty, c.refunded, c.visible)); got != c.want.String() {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestAnUnseenOrderIsAnsweredAsAnUnknownOne: the caller who may not see
// an order's session learns nothing of the order, not even its size.
func TestAnUnseenOrderIsAnsweredAsAnUnknownOne(t *testing.T) {
	other := anOrder(7, 987654)
	other.Session = "sessions/b"
	unseen, _ := fault.As(checkRefund(other, aRefund(1, 1), 0, 0, false))
	unknown, _ := fault.As(checkRefund(nil, aRefund(1, 1), 0, 0, false))
	if unseen == nil || unknown == nil || unseen.Error() != unknown.Error() || !maps.Equal(unseen.Metadata, unknown.Metadata) {
		t.Fatalf("an unseen order answers %v, an unknown one %v", unseen, unknown)
	}
}

// FuzzRefundBound compares the refund bound with the naive sum in big
// integers, which cannot wrap: a refund fits iff, for quantity and amount
// both, what earlier refunds took plus this one is at most the order's.
func FuzzRefundBound(f *testing.F) {
	const max = math.MaxInt64
	f.Add(int64(3), int64(3000), int64(0), int64(0), int64(3), int64(3000))
	f.Add(int64(10), int64(10), int64(1), int64(1), int64(max), int64(max))
	f.Add(int64(max), int64(max), int64(max), int64(max), int64(1), int64(1))
	f.Add(int64(0), int64(0), int64(math.MinInt64), int64(math.MinInt64), int64(-1), int64(-1))
	f.Fuzz(func(t *testing.T, orderQty, orderAmt, refundedQty, refundedAmt, qty, amt int64) {
		fits := func(limit, refunded, more int64) bool {
			sum := new(big.Int).Add(big.NewInt(refunded), big.NewInt(more))
			return sum.Cmp(big.NewInt(limit)) <= 0
		}
		want := fits(orderQty, refundedQty, qty) && fits(orderAmt, refundedAmt, amt)
		if got := refundFits(orderQty, refundedQty, qty) && refundFits(orderAmt, refundedAmt, amt); got != want {
			t.Fatalf("refundFits says %v, the exact sum %v", got, want)
		}
		err := checkRefund(anOrder(orderQty, orderAmt), aRefund(qty, amt), refundedQty, refundedAmt, true)
		if got := reasonOf(err); want && got != "" || !want && got != ReasonRefundExceedsOrder.String() {
			t.Fatalf("checkRefund says %q; the exact sum says fits=%v", got, want)
		}
	})
}

func TestLineBounds(t *testing.T) {
	now := at.Add(2 * time.Hour)
	for _, c := range []struct {
		name   string
		edit   func(*Sale)
		fields []string
	}{
		{name: "an order within every bound is valid", edit: func(*Sale) {}},
		{name: "quantity: the largest per line is valid", edit: func(s *Sale) { s.Quantity = MaxLineQuantity }},
		{name: "quantity: one more is not", edit: func(s *Sale) { s.Quantity = MaxLineQuantity + 1 }, fields: []string{"sale.quantity"}},
		{name: "quantity: the largest int64 is not", edit: func(s *Sale) { s.Quantity = math.MaxInt64 }, fields: []string{"sale.quantity"}},
		{name: "amount: the largest per line is valid", edit: func(s *Sale) { s.Amount = MaxLineAmount }},
		{name: "amount: one more is not", edit: func(s *Sale) { s.Amount = MaxLineAmount + 1 }, fields: []string{"sale.amount.minor_units"}},
		{name: "event time: 2000-01-01T00:00:00Z is the first taken", edit: func(s *Sale) { s.EventTime = HistoryStart }},
		{name: "event time: before 2000 is history the alliance does not keep",
			edit: func(s *Sale) { s.EventTime = HistoryStart.Add(-time.Nanosecond) }, fields: []string{"sale.event_time"}},
		{name: "event time: beyond a Timestamp's range", edit: func(s *Sale) { s.EventTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
			fields: []string{"sale.event_time"}},
		{name: "event time: an order in the future is judged by its session's window, not here",
			edit: func(s *Sale) { s.EventTime = now.Add(time.Hour) }},
		{name: "event time: a refund up to the clock skew ahead is valid",
			edit: func(s *Sale) { s.Kind, s.RefundOf, s.EventTime = report.Refund, "o-1", now.Add(ClockSkew) }},
		{name: "event time: a refund further in the future is not",
			edit: func(s *Sale) {
				s.Kind, s.RefundOf, s.EventTime = report.Refund, "o-1", now.Add(ClockSkew+time.Nanosecond)
			},
			fields: []string{"sale.event_time"}},
		{name: "event time: a refund in 9999 is not",
			edit: func(s *Sale) {
				s.Kind, s.RefundOf, s.EventTime = report.Refund, "o-1", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
			},
			fields: []string{"sale.event_time"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := anOrder(1, 100)
			c.edit(s)
			err := Validate(s, "CNY", "sale.", now)
			var fields []string
			if fe, ok := fault.As(err); ok {
				for _, v := range fe.Violations {
					fields = append(fields, v.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fields, c.fields) {
				t.Fatalf("violations %v, want %v (%v)", fields, c.fields, err)
			}
		})
	}
}

func TestRefundWindowAfterTheSessionEnded(t *testing.T) {
	ses := &Session{Name: "sessions/a", State: Ended, Platform: "DOUYIN", ActualStart: at.Add(-time.Hour), ActualEnd: at.Add(time.Hour),
		Products: []string{"members/m/products/p"}}
	r := aRefund(1, 1)
	r.EventTime = ses.ActualEnd.Add(RefundWindow)
	if err := checkSession(ses, r, r.EventTime); err != nil {
		t.Fatalf("a refund a year after the end: %v", err)
	}
	r.EventTime = r.EventTime.Add(time.Nanosecond)
	if got := reasonOf(checkSession(ses, r, r.EventTime)); got != ReasonEventOutsideSession.String() {
		t.Fatalf("a refund past a year after the end: %q, want %s", got, ReasonEventOutsideSession)
	}
}

// TestNamesAreCheckedAsTheirPattern: the hand-written checks of session
// and product names accept exactly what their patterns accept.
func TestNamesAreCheckedAsTheirPattern(t *testing.T) {
	sessionRE := regexp.MustCompile(`^sessions/[a-z][a-z0-9-]{0,62}$`)
	productRE := regexp.MustCompile(`^members/[a-z][a-z0-9-]{0,62}/products/[a-z][a-z0-9-]{0,62}$`)
	id63 := "a" + strings.Repeat("b", 62)
	ids := []string{"", "a", "a-", "a1", "1a", "-a", "A", "ab/c", "a b", "é", id63, id63 + "c", "x.y"}
	for _, a := range ids {
		for _, name := range []string{"sessions/" + a, "session/" + a, "sessions/" + a + "/", "xsessions/" + a} {
			if got, want := ValidSessionName(name), sessionRE.MatchString(name); got != want {
				t.Errorf("ValidSessionName(%q) = %v, the pattern says %v", name, got, want)
			}
			err := CheckSessionName("filter.session", name)
			if fe, ok := fault.As(err); (err == nil) != sessionRE.MatchString(name) ||
				err != nil && (!ok || fe.Code != fault.InvalidArgument || len(fe.Violations) != 1 || fe.Violations[0].Field != "filter.session") {
				t.Errorf("CheckSessionName(filter.session, %q) = %v, the pattern says valid: %v", name, err, sessionRE.MatchString(name))
			}
		}
		for _, b := range ids {
			for _, name := range []string{"members/" + a + "/products/" + b, "members/" + a + "/product/" + b,
				"members/" + a + "/products/" + b + "/products/c", "members/" + a + "/products/"} {
				if got, want := validProductName(name), productRE.MatchString(name); got != want {
					t.Errorf("validProductName(%q) = %v, the pattern says %v", name, got, want)
				}
			}
		}
	}
}

// SaleName renders what fmt's "sales/s%012d" does, past 12 digits too.
func TestSaleNameIsZeroPaddedToTwelveDigits(t *testing.T) {
	for _, id := range []uint64{0, 1, 9, 10, 42, 999_999_999_999, 1_000_000_000_000, 123_456_789_012_345, math.MaxUint64} {
		if got, want := SaleName(id), fmt.Sprintf("sales/s%012d", id); got != want {
			t.Errorf("SaleName(%d) = %q, want %q", id, got, want)
		}
		if back, ok := ParseSaleName(SaleName(id)); id > 0 && (!ok || back != id) {
			t.Errorf("ParseSaleName(SaleName(%d)) = %d, %v", id, back, ok)
		}
	}
}
