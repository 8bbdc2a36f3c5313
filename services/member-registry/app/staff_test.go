package app_test

import (
	"strings"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/member-registry/internal/rpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func staffKey(t *testing.T, s *secured, who string, role memberv1.ApiKeyRole) *memberv1.CreateApiKeyResponse {
	t.Helper()
	k, err := s.c.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{DisplayName: who, Role: role}})
	if err != nil {
		t.Fatalf("staff key for %s: %v", who, err)
	}
	return k
}

func TestStaffKeysAreIssuedToNamedPeopleWithARole(t *testing.T) {
	s, keyA := startSecured(t)
	k := staffKey(t, s, "王会计", memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY)
	if !strings.HasPrefix(k.ApiKey.Name, "alliance/apiKeys/") || k.ApiKey.Role != memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY ||
		k.ApiKey.DisplayName != "王会计" || k.ApiKey.State != memberv1.ApiKeyState_API_KEY_STATE_ACTIVE {
		t.Fatalf("staff key %v", k.ApiKey)
	}
	who, err := s.c.AuthenticateApiKey(as(s.service), &memberv1.AuthenticateApiKeyRequest{Key: k.Key})
	if err != nil || who.Role != memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY || who.Member != "" || who.ApiKey != k.ApiKey.Name {
		t.Fatalf("AuthenticateApiKey of a staff key: %v, %v", who, err)
	}

	bad := []struct {
		name  string
		req   *memberv1.CreateApiKeyRequest
		field string
	}{
		{"a staff key needs a role", &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{DisplayName: "张三"}}, "api_key.role"},
		{"a staff key needs the person's name", &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{Role: memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN}}, "api_key.display_name"},
		{"a role outside the enum is refused", &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{DisplayName: "张三", Role: 7}}, "api_key.role"},
		{"a member's key has no role", &memberv1.CreateApiKeyRequest{Parent: "members/a", ApiKey: &memberv1.ApiKey{Role: memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN}}, "api_key.role"},
		{"parent and member must agree", &memberv1.CreateApiKeyRequest{Parent: "members/a", Member: "members/b"}, "parent"},
		{"the alliance is a parent, not a member", &memberv1.CreateApiKeyRequest{Member: "alliance"}, "member"},
		{"a parent is a member or the alliance", &memberv1.CreateApiKeyRequest{Parent: "alliances"}, "parent"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.c.CreateApiKey(as(s.admin), c.req)
			if status.Code(err) != codes.InvalidArgument || len(grpcx.FieldViolations(err)) != 1 || grpcx.FieldViolations(err)[0] != c.field {
				t.Fatalf("%v (fields %v), want INVALID_ARGUMENT on %s", err, grpcx.FieldViolations(err), c.field)
			}
		})
	}

	t.Run("a member's key is issued under parent as under member", func(t *testing.T) {
		k, err := s.c.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Parent: "members/b", ApiKey: &memberv1.ApiKey{DisplayName: "booking tool"}})
		if err != nil || !strings.HasPrefix(k.ApiKey.Name, "members/b/apiKeys/") || k.ApiKey.Role != memberv1.ApiKeyRole_API_KEY_ROLE_UNSPECIFIED {
			t.Fatalf("%v %v", k, err)
		}
		list, err := s.c.ListApiKeys(as(s.admin), &memberv1.ListApiKeysRequest{Parent: "members/b"})
		if err != nil || len(list.ApiKeys) != 1 {
			t.Fatalf("ListApiKeys{parent: members/b}: %v %v", list, err)
		}
	})

	t.Run("only an admin lists and revokes staff keys", func(t *testing.T) {
		for who, key := range map[string]string{"a member": keyA, "a read-only staff key": k.Key, "a service": s.service} {
			_, err := s.c.ListApiKeys(as(key), &memberv1.ListApiKeysRequest{Parent: "alliance"})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s listed the staff keys: %v", who, err)
			}
			_, err = s.c.RevokeApiKey(as(key), &memberv1.RevokeApiKeyRequest{Name: k.ApiKey.Name})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s revoked a staff key: %v", who, err)
			}
			_, err = s.c.CreateApiKey(as(key), &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{DisplayName: "x", Role: memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN}})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s issued a staff key: %v", who, err)
			}
		}
		// A member cannot learn whether a staff key exists.
		_, err := s.c.RevokeApiKey(as(keyA), &memberv1.RevokeApiKeyRequest{Name: "alliance/apiKeys/nosuchkey"})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("a member revoking an unknown staff key: %v, want PERMISSION_DENIED as for a known one", err)
		}
		list, err := s.c.ListApiKeys(as(s.admin), &memberv1.ListApiKeysRequest{Parent: "alliance"})
		if err != nil || len(list.ApiKeys) != 1 || list.ApiKeys[0].Name != k.ApiKey.Name {
			t.Fatalf("the admin's list of staff keys: %v %v", list, err)
		}
	})
}

// TestAReadOnlyStaffKeyReadsEverythingAndWritesNothing calls every write
// of the registry, taken from the Policy's annotation, so a write added
// later is covered without touching this test.
func TestAReadOnlyStaffKeyReadsEverythingAndWritesNothing(t *testing.T) {
	s, _ := startSecured(t)
	ro := staffKey(t, s, "审计员", memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY).Key
	a, err := s.c.GetMember(as(ro), &memberv1.GetMemberRequest{Name: "members/a"})
	if err != nil || a.GetContact().GetPerson() != s.contactA.Person {
		t.Fatalf("a read-only staff key reads a member with its contact: %v, %v", a, err)
	}
	if _, err := s.c.ListApiKeys(as(ro), &memberv1.ListApiKeysRequest{Parent: "members/a"}); err != nil {
		t.Fatalf("a read-only staff key lists a member's keys: %v", err)
	}
	if _, err := s.c.ListProducts(as(ro), &memberv1.ListProductsRequest{Parent: "members/-"}); err != nil {
		t.Fatal(err)
	}
	sd := memberv1.File_alliance_member_v1_member_registry_proto.Services().ByName("MemberRegistry")
	writes := rpc.Policy.Writes(sd)
	if len(writes) < 9 {
		t.Fatalf("only %d writes annotated: %v", len(writes), writes)
	}
	before := snapshot(t, s)
	for _, method := range writes {
		md := sd.Methods().ByName(protoreflect.Name(method[strings.LastIndexByte(method, '/')+1:]))
		_, err := testkit.Invoke(as(ro), t, s.cc, md, testkit.NewMessage(t, md.Input().FullName()))
		if status.Code(err) != codes.PermissionDenied || grpcx.Reason(err) != auth.ReasonReadOnlyKey {
			t.Errorf("%s with a read-only staff key: %v, want PERMISSION_DENIED %s", method, err, auth.ReasonReadOnlyKey)
		}
	}
	if after := snapshot(t, s); after != before {
		t.Fatal("a read-only staff key changed the registry")
	}
}

func TestAnAdminStaffKeyWritesAndARevokedOneIsRefusedAtOnce(t *testing.T) {
	s, _ := startSecured(t)
	k := staffKey(t, s, "李主任", memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN)
	if _, err := s.c.CreateMember(as(k.Key), &memberv1.CreateMemberRequest{MemberId: "by-staff", Member: host("主播")}); err != nil {
		t.Fatalf("an ADMIN staff key creates a member: %v", err)
	}
	other, err := s.c.CreateApiKey(as(k.Key), &memberv1.CreateApiKeyRequest{Parent: "alliance", ApiKey: &memberv1.ApiKey{DisplayName: "赵", Role: memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY}})
	if err != nil {
		t.Fatalf("an ADMIN staff key issues a staff key: %v", err)
	}
	if _, err := s.c.RevokeApiKey(as(k.Key), &memberv1.RevokeApiKeyRequest{Name: other.ApiKey.Name}); err != nil {
		t.Fatalf("an ADMIN staff key revokes a staff key: %v", err)
	}
	if _, err := s.c.GetMember(as(other.Key), &memberv1.GetMemberRequest{Name: "members/a"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a staff key revoked a moment ago: %v, want UNAUTHENTICATED", err)
	}
	revoked, err := s.c.RevokeApiKey(as(s.admin), &memberv1.RevokeApiKeyRequest{Name: k.ApiKey.Name})
	if err != nil || revoked.State != memberv1.ApiKeyState_API_KEY_STATE_REVOKED || revoked.RevokeTime == nil {
		t.Fatalf("revoke: %v %v", revoked, err)
	}
	_, err = s.c.CreateMember(as(k.Key), &memberv1.CreateMemberRequest{MemberId: "too-late", Member: host("主播")})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a revoked ADMIN staff key wrote: %v", err)
	}
	if _, err := s.c.AuthenticateApiKey(as(s.service), &memberv1.AuthenticateApiKeyRequest{Key: k.Key}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("the other services are told a revoked staff key is valid: %v", err)
	}
	_, err = s.c.RevokeApiKey(as(s.admin), &memberv1.RevokeApiKeyRequest{Name: "members/a/apiKeys/" + strings.TrimPrefix(other.ApiKey.Name, "alliance/apiKeys/")})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("a staff key revoked as a member's key: %v, want NOT_FOUND", err)
	}
}
