package ingest

import (
	"slices"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Limits of the ingestion rules.
const (
	// An order may arrive up to a day after its session ended: platforms
	// settle late orders of a broadcast (replays, pay-later carts).
	LateOrderWindow = 24 * time.Hour
	// A LIVE session has no end yet; an order may be stamped slightly in
	// the future by a platform whose clock runs ahead of ours. No refund
	// may lie further than this in the future.
	ClockSkew = time.Minute
	// A refund may come up to a year after its session ended: after-sales
	// periods and disputes are months, never years.
	RefundWindow  = 365 * 24 * time.Hour
	maxExternalID = 128
	// Bounds of one line. A live-streamed line is a cart of a few units
	// and at most some thousand yuan; these leave room for wholesale lots
	// (a million units, ten billion yuan in one line) and keep the sum of
	// 9 million such lines inside int64.
	MaxLineQuantity = 1_000_000
	MaxLineAmount   = 1_000_000_000_000 // minor units: 10^12 fen = 10 billion yuan
)

// HistoryStart is the earliest event time taken: the alliance keeps no
// earlier history, and a time before it is a platform's placeholder.
var HistoryStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// The names a sale holds: sessions/{id} and members/{id}/products/{id},
// each id `[a-z][a-z0-9-]{0,62}`. They are checked on every line of an
// import, so by hand rather than by regexp (a tenth of the cost; the test
// compares the two on every case).
const (
	sessionsPrefix = "sessions/"
	membersPrefix  = "members/"
	productsInfix  = "/products/"
)

// resourceID reports whether s is an id `[a-z][a-z0-9-]{0,62}`.
func resourceID(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidSessionName reports whether name is sessions/{session}.
func ValidSessionName(name string) bool {
	id, ok := strings.CutPrefix(name, sessionsPrefix)
	return ok && resourceID(id)
}

// checkSessionName adds to v that field must be a session name, unless
// name is one.
func checkSessionName(v *fault.Invalid, field, name string) {
	if !ValidSessionName(name) {
		v.Add(field, "must be a session name sessions/{session}, got %q", name)
	}
}

// CheckSessionName is nil when name is sessions/{session}, else the
// INVALID_ARGUMENT that field must be one.
func CheckSessionName(field, name string) error {
	var v fault.Invalid
	checkSessionName(&v, field, name)
	return v.Err()
}

// validProductName reports whether name is members/{merchant}/products/{product}.
func validProductName(name string) bool {
	rest, ok := strings.CutPrefix(name, membersPrefix)
	if !ok {
		return false
	}
	merchant, product, ok := strings.Cut(rest, productsInfix)
	return ok && resourceID(merchant) && resourceID(product)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func checkExternalID(v *fault.Invalid, field, id string) {
	switch {
	case id == "":
		v.Add(field, "is required")
	case len(id) > maxExternalID:
		v.Add(field, "must be at most %d characters, got %d", maxExternalID, len(id))
	case !printableASCII(id):
		v.Add(field, "must be printable ASCII")
	}
}

// Validate checks the shape of a sale, judged at now; prefix names the sale
// in field paths (e.g. "sale."). Every bad field is reported at once.
func Validate(s *Sale, currency, prefix string, now time.Time) error {
	var v fault.Invalid
	checkSessionName(&v, prefix+"session", s.Session)
	if !validProductName(s.Product) {
		v.Add(prefix+"product", "must be a product name members/{merchant}/products/{product}, got %q", s.Product)
	}
	if s.Kind != report.Order && s.Kind != report.Refund {
		v.Add(prefix+"kind", "must be ORDER or REFUND")
	}
	switch {
	case s.Quantity <= 0:
		v.Add(prefix+"quantity", "must be greater than 0, got %d", s.Quantity)
	case s.Quantity > MaxLineQuantity:
		v.Add(prefix+"quantity", "must be at most %d per line, got %d", MaxLineQuantity, s.Quantity)
	}
	switch {
	case s.Amount <= 0:
		v.Add(prefix+"amount.minor_units", "must be greater than 0, got %d (a refund's amount is positive too)", s.Amount)
	case s.Amount > MaxLineAmount:
		v.Add(prefix+"amount.minor_units", "must be at most %d per line, got %d", int64(MaxLineAmount), s.Amount)
	}
	if s.Currency != currency {
		v.Add(prefix+"amount.currency_code", "must be the reporting currency %s, got %q", currency, s.Currency)
	}
	if s.Platform == "" {
		v.Add(prefix+"platform", "is required")
	}
	checkExternalID(&v, prefix+"external_id", s.ExternalID)
	switch {
	case s.Kind == report.Refund:
		checkExternalID(&v, prefix+"refund_of", s.RefundOf)
	case s.RefundOf != "":
		v.Add(prefix+"refund_of", "is only for REFUND lines")
	}
	checkEventTime(&v, prefix+"event_time", s, now)
	return v.Err()
}

// checkEventTime applies the bounds that need nothing but the line and the
// clock; those relative to the session and the order are in checkSession
// and checkRefund.
func checkEventTime(v *fault.Invalid, field string, s *Sale, now time.Time) {
	t := s.EventTime
	switch {
	case t.IsZero():
		v.Add(field, "is required")
	case !timekey.Check(t):
		v.Add(field, "must lie within 0001-01-01 and 9999-12-31, the range of a google.protobuf.Timestamp")
	case t.Before(HistoryStart):
		v.Add(field, "must not be before %s: the alliance keeps no earlier history, got %s", HistoryStart.Format(time.RFC3339), stampOf(t))
	case s.Kind == report.Refund && t.After(now.Add(ClockSkew)):
		v.Add(field, "a refund must not lie in the future (more than %s after now, %s), got %s", ClockSkew, stampOf(now), stampOf(t))
	}
}

func stampOf(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// checkTakes ties a sale and a snapshot alike to its session: the session
// is LIVE or ENDED and streams on the line's platform. what ("sales are")
// and line ("sale") name the line in the messages.
func checkTakes(ses *Session, what, line, platform string) error {
	if ses.State != Live && ses.State != Ended {
		return fault.New(fault.FailedPrecondition, ReasonSessionNotLive,
			"session %s is %s; %s taken only for LIVE or ENDED sessions", ses.Name, ses.State, what).With("session", ses.Name)
	}
	if platform != ses.Platform {
		return fault.New(fault.FailedPrecondition, ReasonPlatformMismatch,
			"the %s is from %s but session %s streams on %s", line, platform, ses.Name, ses.Platform).With("session", ses.Name)
	}
	return nil
}

// checkProduct: a line's product is featured in its session or sold by one
// of the session's merchants.
func checkProduct(ses *Session, product string) error {
	if !slices.Contains(ses.Products, product) && !slices.Contains(ses.Merchants, MerchantOf(product)) {
		return fault.New(fault.FailedPrecondition, ReasonProductNotInSession,
			"product %s is neither featured in session %s nor sold by one of its merchants", product, ses.Name).With("product", product)
	}
	return nil
}

// checkSession applies the rules that tie a sale to its session: state,
// platform, product, and, for orders, the session's window. now is the
// time of judgement.
func checkSession(ses *Session, s *Sale, now time.Time) error {
	if err := checkTakes(ses, "sales are", "sale", s.Platform); err != nil {
		return err
	}
	if err := checkProduct(ses, s.Product); err != nil {
		return err
	}
	if s.Kind == report.Refund {
		// Its lower bound is its order's time (checkRefund); its upper
		// bound the clock (Validate) and, once the session ended, a year.
		if latest := ses.ActualEnd.Add(RefundWindow); ses.State == Ended && s.EventTime.After(latest) {
			return fault.New(fault.FailedPrecondition, ReasonEventOutsideSession,
				"refund time %s is more than %s after session %s ended (%s)", stampOf(s.EventTime), refundWindowText, ses.Name,
				stampOf(ses.ActualEnd)).With("session", ses.Name).With("field", "sale.event_time")
		}
		return nil
	}
	latest := now.Add(ClockSkew)
	if ses.State == Ended {
		latest = ses.ActualEnd.Add(LateOrderWindow)
	}
	if s.EventTime.Before(ses.ActualStart) || s.EventTime.After(latest) {
		return fault.New(fault.FailedPrecondition, ReasonEventOutsideSession,
			"order time %s is outside session %s's window [%s, %s]", stampOf(s.EventTime), ses.Name,
			ses.ActualStart.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339)).With("session", ses.Name).With("field", "sale.event_time")
	}
	return nil
}

// refundWindowText is RefundWindow as the messages say it.
const refundWindowText = "one year"

// orderNotFound is the answer for a refund whose order is unknown, and for
// one whose order the caller may not see: the two must not differ.
func orderNotFound(s *Sale) error {
	return fault.New(fault.FailedPrecondition, ReasonRefundOrderNotFound,
		"no ORDER with external_id %q on %s to refund", s.RefundOf, s.Platform).With("refund_of", s.RefundOf)
}

// checkRefund binds a refund to its order: the order exists and is an
// ORDER, lies on the refund's own session and product, is not later than the refund,
// and its refunds never exceed its amount or its quantity in total.
// refundedQty and refundedAmt are what earlier refunds of the order took.
// visible says whether the caller may see the order's session; when it may
// not, it learns nothing of the order, as if there were none.
func checkRefund(order *Sale, s *Sale, refundedQty, refundedAmt int64, visible bool) error {
	if order == nil || order.Kind != report.Order || order.Session != s.Session && !visible {
		return orderNotFound(s)
	}
	if order.Session != s.Session {
		return fault.New(fault.FailedPrecondition, ReasonRefundSessionMismatch,
			"order %q on %s was recorded on %s, not %s: a refund is recorded on its order's session", s.RefundOf, s.Platform,
			order.Session, s.Session).With("refund_of", s.RefundOf).With("session", order.Session)
	}
	if order.Product != s.Product {
		return fault.New(fault.FailedPrecondition, ReasonRefundProductMismatch,
			"order %q on %s is of %s, not %s: a refund is recorded on its order's product", s.RefundOf, s.Platform,
			order.Product, s.Product).With("refund_of", s.RefundOf).With("product", order.Product)
	}
	if s.EventTime.Before(order.EventTime) {
		return fault.New(fault.FailedPrecondition, ReasonRefundBeforeOrder,
			"refund time %s is before the time of order %q, %s", stampOf(s.EventTime), s.RefundOf, stampOf(order.EventTime)).
			With("refund_of", s.RefundOf).With("field", "sale.event_time")
	}
	if !refundFits(order.Quantity, refundedQty, s.Quantity) || !refundFits(order.Amount, refundedAmt, s.Amount) {
		return fault.New(fault.FailedPrecondition, ReasonRefundExceedsOrder,
			"refunds of order %q took %d units and %d minor units before this one of %d units and %d minor units; the order has %d units and %d minor units",
			s.RefundOf, refundedQty, refundedAmt, s.Quantity, s.Amount, order.Quantity, order.Amount).With("refund_of", s.RefundOf)
	}
	return nil
}

// refundFits reports whether refunded+more <= limit, exactly for every
// int64: the sum is never formed where it could wrap.
func refundFits(limit, refunded, more int64) bool {
	sum, ok := report.CheckedAdd(refunded, more)
	if !ok {
		// Both had one sign: below the int64 range fits any limit, above none.
		return more < 0
	}
	return sum <= limit
}
