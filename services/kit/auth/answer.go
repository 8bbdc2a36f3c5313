package auth

import (
	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/members"
)

// MemberPrincipal is the principal of a member's key.
func MemberPrincipal(member string, kind members.Kind, district string, state members.State, keyID string) Principal {
	return Principal{Kind: Member, Member: member, MemberKind: kind, District: district, MemberState: state, KeyID: keyID}
}

// StaffPrincipal is the principal of a named staff key.
func StaffPrincipal(role Role, keyID string) Principal {
	return Principal{Kind: Admin, Role: role, KeyID: keyID}
}

// FromAuthentication turns the registry's answer about a key into the
// principal of its caller: a member's key, or a staff key (role set, no
// member). An answer that is neither is refused, so that no reading of a
// half-filled answer ever yields a staff principal.
func FromAuthentication(keyID string, resp *memberv1.AuthenticateApiKeyResponse) (Principal, error) {
	bad := fault.New(fault.Unauthenticated, fault.ReasonInvalidAPIKey, "invalid API key")
	switch role := resp.GetRole(); {
	case role == memberv1.ApiKeyRole_API_KEY_ROLE_UNSPECIFIED && resp.GetMember() != "":
		return MemberPrincipal(resp.GetMember(), members.Kind(resp.GetKind()), resp.GetDistrict(), members.State(resp.GetState()), keyID), nil
	case resp.GetMember() != "":
		return Principal{}, bad
	case role == memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN:
		return StaffPrincipal(RoleAdmin, keyID), nil
	case role == memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY:
		return StaffPrincipal(RoleReadOnly, keyID), nil
	}
	return Principal{}, bad
}
