package rpc

import (
	"context"
	"slices"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
)

// Policy is who may call what on the member registry, at a glance. The
// first column is checked by the auth interceptor before the handler; the
// comment says how the handler narrows "members" to the caller's own data.
// Read or Write says what the method does: writes are refused to
// STAFF_READONLY keys and SUSPENDED members (see auth.Rule).
var Policy = auth.Policy{
	memberv1.MemberRegistry_CreateMember_FullMethodName:       auth.AdminOnly | auth.Write,
	memberv1.MemberRegistry_GetMember_FullMethodName:          auth.Members | auth.Read,  // public directory; contact only for admin, services and self
	memberv1.MemberRegistry_BatchGetMembers_FullMethodName:    auth.Members | auth.Read,  // same
	memberv1.MemberRegistry_ListMembers_FullMethodName:        auth.Members | auth.Read,  // same
	memberv1.MemberRegistry_UpdateMember_FullMethodName:       auth.Members | auth.Write, // self only; agency, official and district stay admin's
	memberv1.MemberRegistry_SuspendMember_FullMethodName:      auth.AdminOnly | auth.Write,
	memberv1.MemberRegistry_ReinstateMember_FullMethodName:    auth.AdminOnly | auth.Write,
	memberv1.MemberRegistry_WithdrawMember_FullMethodName:     auth.AdminOnly | auth.Write,
	memberv1.MemberRegistry_CreateProduct_FullMethodName:      auth.Members | auth.Write, // the merchant itself
	memberv1.MemberRegistry_GetProduct_FullMethodName:         auth.Members | auth.Read,  // public directory
	memberv1.MemberRegistry_ListProducts_FullMethodName:       auth.Members | auth.Read,  // public directory
	memberv1.MemberRegistry_UpdateProduct_FullMethodName:      auth.Members | auth.Write, // the owning merchant
	memberv1.MemberRegistry_ListDistricts_FullMethodName:      auth.Members | auth.Read,
	memberv1.MemberRegistry_ListCategories_FullMethodName:     auth.Members | auth.Read,
	memberv1.MemberRegistry_CreateApiKey_FullMethodName:       auth.AdminOnly | auth.Write, // members' keys and staff keys (parent alliance)
	memberv1.MemberRegistry_ListApiKeys_FullMethodName:        auth.Members | auth.Read,    // the member's own keys; staff keys: admins only (mayManageStaff)
	memberv1.MemberRegistry_RevokeApiKey_FullMethodName:       auth.Members | auth.Write,   // the member's own keys; staff keys: admins only
	memberv1.MemberRegistry_AuthenticateApiKey_FullMethodName: auth.TrustedOnly | auth.Read,
	memberv1.MemberRegistry_GetCallerIdentity_FullMethodName:  auth.Members | auth.Read, // the caller itself
}

var errNotYours = fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "this key may act only for its own member")

// mayManage allows admins, services, and the member itself. When no
// authentication runs (in-process tests), the caller is anonymous and the
// interceptor that would have refused it is absent, so it is let through.
func mayManage(ctx context.Context, member string) error {
	p := auth.From(ctx)
	if p.Kind == auth.Anonymous || p.Trusted() || p.Is(member) {
		return nil
	}
	return errNotYours
}

// seesContact says whether the caller may see member's contact data.
func seesContact(ctx context.Context, member string) bool {
	return mayManage(ctx, member) == nil
}

// selfUpdateLimits keeps the fields that only the alliance sets (a host's
// agency and official flag, a member's district) out of a member's own update.
func selfUpdateLimits(ctx context.Context, req *memberv1.UpdateMemberRequest) error {
	if p := auth.From(ctx); p.Kind != auth.Member {
		return nil
	}
	m := req.GetMember()
	paths := req.GetUpdateMask().GetPaths()
	touches := func(field string, set bool) bool {
		if len(paths) == 0 {
			return set
		}
		return slices.Contains(paths, field) || slices.Contains(paths, "*")
	}
	if touches("agency", m.GetAgency() != "") || touches("official", m.GetOfficial()) || touches("district", m.GetDistrict() != "") {
		return fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "agency, official and district are set by the alliance's admins")
	}
	return nil
}
