package rpc

import (
	"context"
	"strings"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
)

// GetCallerIdentity tells a caller who its key stands for. The principal
// was set by the auth interceptor; a member's display name comes from the
// store, so a renamed member shows its new name at once.
func (s *Server) GetCallerIdentity(ctx context.Context, _ *memberv1.GetCallerIdentityRequest) (*memberv1.CallerIdentity, error) {
	p := auth.From(ctx)
	switch p.Kind {
	case auth.Admin:
		role := "ADMIN"
		if p.Role != auth.RoleAdmin {
			role = "STAFF_READONLY"
		}
		if strings.HasPrefix(p.KeyID, auth.BootstrapKeyPrefix) {
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
	// Only a server without authentication (an in-process test) gets here.
	return nil, fail(ctx, fault.New(fault.Unauthenticated, "UNAUTHENTICATED", "the call carries no key"))
}
