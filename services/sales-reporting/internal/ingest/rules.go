package ingest

import (
	"regexp"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Limits of the ingestion rules.
const (
	// An order may arrive up to a day after its session ended: platforms
	// settle late orders of a broadcast (replays, pay-later carts).
	LateOrderWindow = 24 * time.Hour
	// A LIVE session has no end yet; an order may be stamped slightly in
	// the future by a platform whose clock runs ahead of ours.
	ClockSkew     = time.Minute
	maxExternalID = 128
)

var (
	sessionName = regexp.MustCompile(`^sessions/[a-z][a-z0-9-]{0,62}$`)
	productName = regexp.MustCompile(`^members/[a-z][a-z0-9-]{0,62}/products/[a-z][a-z0-9-]{0,62}$`)
)

// ValidSessionName reports whether name is sessions/{session}.
func ValidSessionName(name string) bool { return sessionName.MatchString(name) }

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

// Validate checks the shape of a sale; prefix names the sale in field paths
// (e.g. "sale."). Every bad field is reported at once.
func Validate(s *Sale, currency, prefix string) error {
	var v fault.Invalid
	if !sessionName.MatchString(s.Session) {
		v.Add(prefix+"session", "must be a session name sessions/{session}, got %q", s.Session)
	}
	if !productName.MatchString(s.Product) {
		v.Add(prefix+"product", "must be a product name members/{merchant}/products/{product}, got %q", s.Product)
	}
	if s.Kind != report.Order && s.Kind != report.Refund {
		v.Add(prefix+"kind", "must be ORDER or REFUND")
	}
	if s.Quantity <= 0 {
		v.Add(prefix+"quantity", "must be greater than 0, got %d", s.Quantity)
	}
	if s.Amount <= 0 {
		v.Add(prefix+"amount.minor_units", "must be greater than 0, got %d (a refund's amount is positive too)", s.Amount)
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
	if s.EventTime.IsZero() {
		v.Add(prefix+"event_time", "is required")
	}
	return v.Err()
}

// checkSession applies the rules that tie a sale to its session: state,
// platform, product, and, for orders, the session's window. now is the
// time of judgement.
func checkSession(ses *Session, s *Sale, now time.Time) error {
	if ses.State != Live && ses.State != Ended {
		return fault.New(fault.FailedPrecondition, ReasonSessionNotLive,
			"session %s is %s; sales are taken only for LIVE or ENDED sessions", ses.Name, ses.State).With("session", ses.Name)
	}
	if s.Platform != ses.Platform {
		return fault.New(fault.FailedPrecondition, ReasonPlatformMismatch,
			"the sale is from %s but session %s streams on %s", s.Platform, ses.Name, ses.Platform).With("session", ses.Name)
	}
	if !slices.Contains(ses.Products, s.Product) && !slices.Contains(ses.Merchants, MerchantOf(s.Product)) {
		return fault.New(fault.FailedPrecondition, ReasonProductNotInSession,
			"product %s is neither featured in session %s nor sold by one of its merchants", s.Product, ses.Name).With("product", s.Product)
	}
	if s.Kind != report.Order {
		return nil
	}
	latest := now.Add(ClockSkew)
	if ses.State == Ended {
		latest = ses.ActualEnd.Add(LateOrderWindow)
	}
	if s.EventTime.Before(ses.ActualStart) || s.EventTime.After(latest) {
		return fault.New(fault.FailedPrecondition, ReasonEventOutsideSession,
			"order time %s is outside session %s's window [%s, %s]", s.EventTime.UTC().Format(time.RFC3339Nano), ses.Name,
			ses.ActualStart.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339)).With("session", ses.Name)
	}
	return nil
}

// checkRefund bounds a refund by its order: the refunds of an order never
// exceed its amount or its quantity in total. refundedQty and refundedAmt
// are what earlier refunds of the order took.
func checkRefund(order *Sale, s *Sale, refundedQty, refundedAmt int64) error {
	if order == nil || order.Kind != report.Order {
		return fault.New(fault.FailedPrecondition, ReasonRefundOrderNotFound,
			"no ORDER with external_id %q on %s to refund", s.RefundOf, s.Platform).With("refund_of", s.RefundOf)
	}
	if refundedQty+s.Quantity > order.Quantity || refundedAmt+s.Amount > order.Amount {
		return fault.New(fault.FailedPrecondition, ReasonRefundExceedsOrder,
			"refunds of order %q would reach %d units and %d minor units; the order has %d units and %d minor units",
			s.RefundOf, refundedQty+s.Quantity, refundedAmt+s.Amount, order.Quantity, order.Amount).With("refund_of", s.RefundOf)
	}
	return nil
}
