package registry

import "github.com/cqlive/alliance/services/kit/fault"

// reasons are the reasons the registry gives besides the suite's
// (fault.Reason...): alliance.member.v1.ErrorReason publishes them, and
// TestReasonsAreTheProtoEnum keeps the two the same.
var reasons fault.Reasons

var (
	ReasonMemberNotFound         = reasons.Define("MEMBER_NOT_FOUND")
	ReasonProductNotFound        = reasons.Define("PRODUCT_NOT_FOUND")
	ReasonMemberAlreadyExists    = reasons.Define("MEMBER_ALREADY_EXISTS")
	ReasonProductAlreadyExists   = reasons.Define("PRODUCT_ALREADY_EXISTS")
	ReasonWrongMemberKind        = reasons.Define("WRONG_MEMBER_KIND")
	ReasonInvalidStateTransition = reasons.Define("INVALID_STATE_TRANSITION")
	ReasonAgencyNotFound         = reasons.Define("AGENCY_NOT_FOUND")
	ReasonAgencyNotActive        = reasons.Define("AGENCY_NOT_ACTIVE")
	ReasonMerchantNotActive      = reasons.Define("MERCHANT_NOT_ACTIVE")
	ReasonMemberWithdrawn        = reasons.Define("MEMBER_WITHDRAWN")
	ReasonUnknownCategory        = reasons.Define("UNKNOWN_CATEGORY")
	ReasonStudioHasSessions      = reasons.Define("STUDIO_HAS_SESSIONS")
	ReasonConcurrentChange       = reasons.Define("CONCURRENT_CHANGE")
)

// Reasons lists the registry's own reasons.
func Reasons() []fault.Reason { return reasons.All() }
