package app_test

import (
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestGetCallerIdentityNamesTheKeysOwner(t *testing.T) {
	s, keyA := startSecured(t)
	id, _, _ := auth.ParseMemberKey(keyA)
	cases := []struct {
		name string
		key  string
		want *memberv1.CallerIdentity
	}{
		{"a key of the admin key file is ADMIN, with no member and no key name", s.admin, &memberv1.CallerIdentity{Kind: memberv1.CallerKind_CALLER_KIND_ADMIN, Role: "ADMIN"}},
		{"a member key names its member, its kind, its display name and the key", keyA, &memberv1.CallerIdentity{
			Kind: memberv1.CallerKind_CALLER_KIND_MEMBER, Member: "members/a", MemberKind: memberv1.MemberKind_MEMBER_KIND_MERCHANT,
			DisplayName: "成员 MEMBER_KIND_MERCHANT", Key: "members/a/apiKeys/" + id}},
		{"a service token is SERVICE, named after the service", s.service, &memberv1.CallerIdentity{
			Kind: memberv1.CallerKind_CALLER_KIND_SERVICE, DisplayName: "sales-reporting"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.c.GetCallerIdentity(as(c.key), &memberv1.GetCallerIdentityRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	for _, staff := range []struct {
		role memberv1.ApiKeyRole
		want string
	}{{memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN, "ADMIN"}, {memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY, "STAFF_READONLY"}} {
		t.Run("a staff key of role "+staff.want+" is STAFF, with the person's name and the key's", func(t *testing.T) {
			made, err := s.c.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Parent: "alliance",
				ApiKey: &memberv1.ApiKey{DisplayName: "值班员 " + staff.want, Role: staff.role}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.c.GetCallerIdentity(as(made.GetKey()), &memberv1.GetCallerIdentityRequest{})
			want := &memberv1.CallerIdentity{Kind: memberv1.CallerKind_CALLER_KIND_STAFF, Role: staff.want,
				DisplayName: "值班员 " + staff.want, Key: made.GetApiKey().GetName()}
			if err != nil || !proto.Equal(got, want) {
				t.Errorf("got %v, %v; want %v", got, err, want)
			}
		})
	}
	t.Run("no key is UNAUTHENTICATED", func(t *testing.T) {
		if _, err := s.c.GetCallerIdentity(as(""), &memberv1.GetCallerIdentityRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a renamed member shows its new name at once", func(t *testing.T) {
		_, err := s.c.UpdateMember(as(keyA), &memberv1.UpdateMemberRequest{
			Member:     &memberv1.Member{Name: "members/a", DisplayName: "新店名"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.c.GetCallerIdentity(as(keyA), &memberv1.GetCallerIdentityRequest{})
		if err != nil || got.GetDisplayName() != "新店名" {
			t.Errorf("got %v, %v", got, err)
		}
	})
}
