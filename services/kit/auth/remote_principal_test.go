package auth

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"google.golang.org/grpc"
)

// answering is a registry that answers AuthenticateApiKey only.
type answering struct {
	memberv1.MemberRegistryClient
	resp *memberv1.AuthenticateApiKeyResponse
}

func (a answering) AuthenticateApiKey(context.Context, *memberv1.AuthenticateApiKeyRequest, ...grpc.CallOption) (*memberv1.AuthenticateApiKeyResponse, error) {
	return a.resp, nil
}

// TestRemoteKeysCarryStateAndRole: the other services learn a member's
// state and a staff key's role from the registry's answer, so the Policy
// refuses their writes there as in the registry.
func TestRemoteKeysCarryStateAndRole(t *testing.T) {
	cases := map[string]struct {
		resp *memberv1.AuthenticateApiKeyResponse
		want Principal
	}{
		"a suspended member": {
			&memberv1.AuthenticateApiKeyResponse{Member: "members/h", Kind: memberv1.MemberKind_MEMBER_KIND_HOST, State: memberv1.MemberState_MEMBER_STATE_SUSPENDED},
			Principal{Kind: Member, Member: "members/h", MemberKind: members.Host, MemberState: members.Suspended, KeyID: "id1"}},
		"a read-only staff key": {
			&memberv1.AuthenticateApiKeyResponse{Role: memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY, ApiKey: "alliance/apiKeys/id1"},
			Principal{Kind: Admin, Role: RoleReadOnly, KeyID: "id1"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := &RemoteMemberKeys{Registry: answering{resp: c.resp}}
			got, err := r.Lookup(context.Background(), "id1", "secret")
			if err != nil || got != c.want {
				t.Fatalf("Lookup = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}
