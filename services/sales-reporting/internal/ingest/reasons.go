package ingest

import "github.com/cqlive/alliance/services/kit/fault"

// reasons are the reasons sales reporting gives besides the suite's
// (fault.Reason...): alliance.sales.v1.ErrorReason publishes them, and
// TestReasonsAreTheProtoEnum keeps the two the same.
var reasons fault.Reasons

var (
	ReasonExternalIDReused    = reasons.Define("EXTERNAL_ID_REUSED")
	ReasonSessionNotLive      = reasons.Define("SESSION_NOT_LIVE")
	ReasonSessionNotFound     = reasons.Define("SESSION_NOT_FOUND")
	ReasonProductNotInSession = reasons.Define("PRODUCT_NOT_IN_SESSION")
	ReasonProductNotFound     = reasons.Define("PRODUCT_NOT_FOUND")
	ReasonEventOutsideSession = reasons.Define("EVENT_OUTSIDE_SESSION")
	ReasonRefundOrderNotFound = reasons.Define("REFUND_ORDER_NOT_FOUND")
	ReasonRefundExceedsOrder  = reasons.Define("REFUND_EXCEEDS_ORDER")
	// A refund names an order of another session: it would count against
	// a session it does not belong to and use up that order's refunds.
	ReasonRefundSessionMismatch = reasons.Define("REFUND_SESSION_MISMATCH")
	// A refund names an order of another product: it would move the refund
	// into another product's merchant, category and origin rollups.
	ReasonRefundProductMismatch = reasons.Define("REFUND_PRODUCT_MISMATCH")
	// A refund is stamped before the order it refunds.
	ReasonRefundBeforeOrder = reasons.Define("REFUND_BEFORE_ORDER")
	// Counting the line would take a sum of the alliance's figures past
	// int64, which every report total is bounded by (see report.Sums).
	ReasonTotalOverflow = reasons.Define("TOTAL_OVERFLOW")
	// The sale's platform is not the platform the session streams on: the
	// (platform, external_id) key would otherwise let one platform's feed
	// book sales into another platform's session.
	ReasonPlatformMismatch = reasons.Define("PLATFORM_MISMATCH")
	ReasonSaleNotFound     = reasons.Define("SALE_NOT_FOUND")
	// The service is shutting down: nothing of the call was stored.
	ReasonShuttingDown = reasons.Define("SHUTTING_DOWN")
	// A line that attribution could not finish this time; sent again, it is judged anew.
	ReasonRetry = reasons.Define("RETRY")
)

// Reasons lists sales reporting's own reasons.
func Reasons() []fault.Reason { return reasons.All() }
