package scheduling

import "github.com/cqlive/alliance/services/kit/fault"

// reasons are the reasons the scheduler gives besides the suite's
// (fault.Reason...): alliance.session.v1.ErrorReason publishes them, and
// TestReasonsAreTheProtoEnum keeps the two the same.
var reasons fault.Reasons

var (
	ReasonSessionNotFound        = reasons.Define("SESSION_NOT_FOUND")
	ReasonSessionAlreadyExists   = reasons.Define("SESSION_ALREADY_EXISTS")
	ReasonHostNotFound           = reasons.Define("HOST_NOT_FOUND")
	ReasonHostNotActive          = reasons.Define("HOST_NOT_ACTIVE")
	ReasonWrongMemberKind        = reasons.Define("WRONG_MEMBER_KIND")
	ReasonStudioNotFound         = reasons.Define("STUDIO_NOT_FOUND")
	ReasonBaseNotActive          = reasons.Define("BASE_NOT_ACTIVE")
	ReasonMerchantNotFound       = reasons.Define("MERCHANT_NOT_FOUND")
	ReasonMerchantNotActive      = reasons.Define("MERCHANT_NOT_ACTIVE")
	ReasonProductNotOffered      = reasons.Define("PRODUCT_NOT_OFFERED")
	ReasonHostDoubleBooked       = reasons.Define("HOST_DOUBLE_BOOKED")
	ReasonStudioDoubleBooked     = reasons.Define("STUDIO_DOUBLE_BOOKED")
	ReasonInvalidStateTransition = reasons.Define("INVALID_STATE_TRANSITION")
	ReasonSessionNotScheduled    = reasons.Define("SESSION_NOT_SCHEDULED")
	ReasonTooEarlyToStart        = reasons.Define("TOO_EARLY_TO_START")
	ReasonOutsideOpeningHours    = reasons.Define("OUTSIDE_OPENING_HOURS")
	ReasonStudioBlackedOut       = reasons.Define("STUDIO_BLACKED_OUT")
	ReasonTooShortNotice         = reasons.Define("TOO_SHORT_NOTICE")
	ReasonTooFarAhead            = reasons.Define("TOO_FAR_AHEAD")
	ReasonQuotaExceeded          = reasons.Define("QUOTA_EXCEEDED")
	ReasonApprovalRequired       = reasons.Define("APPROVAL_REQUIRED")
	ReasonStudioHasSessions      = reasons.Define("STUDIO_HAS_SESSIONS")
	ReasonSeriesNotFound         = reasons.Define("SERIES_NOT_FOUND")
	ReasonSeriesAlreadyExists    = reasons.Define("SERIES_ALREADY_EXISTS")
)

// Reasons lists the scheduler's own reasons.
func Reasons() []fault.Reason { return reasons.All() }
