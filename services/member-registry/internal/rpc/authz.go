package rpc

import (
	"context"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
)

// Policy is who may call what on the member registry, at a glance. The
// first column is checked by the auth interceptor before the handler; the
// comment says how the registry's rules (registry/authz.go) narrow
// "members" to the caller's own data.
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
	memberv1.MemberRegistry_ListApiKeys_FullMethodName:        auth.Members | auth.Read,    // the member's own keys; staff keys: admins only
	memberv1.MemberRegistry_RevokeApiKey_FullMethodName:       auth.Members | auth.Write,   // the member's own keys; staff keys: admins only
	memberv1.MemberRegistry_AuthenticateApiKey_FullMethodName: auth.TrustedOnly | auth.Read,
	memberv1.MemberRegistry_GetCallerIdentity_FullMethodName:  auth.Members | auth.Read, // the caller itself
}

// withCaller hands the authenticated principal to the registry's rules
// (registry/authz.go). A context without a principal gets no caller, and
// the rules refuse it.
func withCaller(ctx context.Context) context.Context {
	p := auth.From(ctx)
	switch p.Kind {
	case auth.Member:
		return registry.WithCaller(ctx, registry.Caller{Member: p.Member})
	case auth.Admin, auth.Unchecked:
		return registry.WithCaller(ctx, registry.Caller{Trusted: true, Admin: p.IsAdmin() || p.Kind == auth.Unchecked})
	case auth.Service:
		return registry.WithCaller(ctx, registry.Caller{Trusted: true})
	}
	return ctx
}
