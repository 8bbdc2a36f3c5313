package rpc

import (
	"context"
	"strings"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
)

// GetCallerIdentity tells a caller who its key stands for. The principal
// was set by the auth interceptor; a member's display name comes from the
// store, so a renamed member shows its new name at once.
func (s *Server) GetCallerIdentity(ctx context.Context, _ *memberv1.GetCallerIdentityRequest) (*memberv1.CallerIdentity, error) {
	p := auth.From(ctx)
	switch p.Kind {
	case auth.Admin:
		role := protoconv.EnumName(memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN)
		if p.Role != auth.RoleAdmin {
			role = protoconv.EnumName(memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY)
		}
		if strings.HasPrefix(p.KeyID, apikey.BootstrapKeyPrefix) {
			// A key of the admin key file: it has no resource name.
			return &memberv1.CallerIdentity{Kind: memberv1.CallerKind_CALLER_KIND_ADMIN, Role: role}, nil
		}
		k, err := s.svc.StaffKey(p.KeyID)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &memberv1.CallerIdentity{Kind: memberv1.CallerKind_CALLER_KIND_STAFF, Role: role, DisplayName: k.DisplayName, Key: k.Name()}, nil
	case auth.Service:
		return &memberv1.CallerIdentity{Kind: memberv1.CallerKind_CALLER_KIND_SERVICE, DisplayName: p.Service}, nil
	case auth.Member:
		id := registry.ParseMemberName(p.Member)
		m, err := s.svc.GetMember(id)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &memberv1.CallerIdentity{
			Kind: memberv1.CallerKind_CALLER_KIND_MEMBER, Member: m.Name(), MemberKind: memberv1.MemberKind(m.Kind),
			DisplayName: m.DisplayName, Key: registry.MemberName(id) + "/apiKeys/" + p.KeyID,
		}, nil
	}
	// A server without authentication (Unchecked: an in-process test) has
	// no key to name, and no principal at all is refused alike.
	return nil, fail(ctx, fault.New(fault.Unauthenticated, fault.ReasonUnauthenticated, "the call carries no key"))
}
