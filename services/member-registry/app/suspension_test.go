package app_test

import (
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// TestASuspendedMemberReadsAndDoesNotWrite: suspension means one thing in
// every service; here, in the registry, its key still reads the directory
// and its own data, and every write it may otherwise make is refused.
func TestASuspendedMemberReadsAndDoesNotWrite(t *testing.T) {
	s, keyA := startSecured(t)
	if _, err := s.c.SuspendMember(as(s.admin), &memberv1.SuspendMemberRequest{Name: "members/a", Reason: "licence under review"}); err != nil {
		t.Fatal(err)
	}
	ctxA := as(keyA)
	reads := map[string]func() error{
		"GetMember itself": func() error {
			return errOf(s.c.GetMember(ctxA, &memberv1.GetMemberRequest{Name: "members/a"}))
		},
		"ListProducts": func() error {
			return errOf(s.c.ListProducts(ctxA, &memberv1.ListProductsRequest{Parent: "members/a"}))
		},
		"ListApiKeys of its own": func() error {
			return errOf(s.c.ListApiKeys(ctxA, &memberv1.ListApiKeysRequest{Parent: "members/a"}))
		},
	}
	for name, call := range reads {
		if err := call(); err != nil {
			t.Errorf("%s as a suspended member: %v, want OK", name, err)
		}
	}
	keys, err := s.c.ListApiKeys(as(s.admin), &memberv1.ListApiKeysRequest{Parent: "members/a"})
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"UpdateMember of its profile": func() error {
			return errOf(s.c.UpdateMember(ctxA, &memberv1.UpdateMemberRequest{
				Member: &memberv1.Member{Name: "members/a", DisplayName: "改名"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}))
		},
		"UpdateProduct of its product": func() error {
			return errOf(s.c.UpdateProduct(ctxA, &memberv1.UpdateProductRequest{
				Product: &memberv1.Product{Name: "members/a/products/tea", DisplayName: "改名"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}))
		},
		"CreateProduct": func() error {
			return errOf(s.c.CreateProduct(ctxA, &memberv1.CreateProductRequest{Parent: "members/a", ProductId: "more", Product: tea()}))
		},
		"RevokeApiKey of its own key": func() error {
			return errOf(s.c.RevokeApiKey(ctxA, &memberv1.RevokeApiKeyRequest{Name: keys.ApiKeys[0].Name}))
		},
	}
	before := snapshot(t, s)
	for name, call := range writes {
		t.Run(name, func(t *testing.T) {
			err := call()
			if status.Code(err) != codes.FailedPrecondition || grpcx.Reason(err) != auth.ReasonMemberSuspended {
				t.Fatalf("%v, want FAILED_PRECONDITION %s", err, auth.ReasonMemberSuspended)
			}
			if grpcx.ErrorInfo(err).GetMetadata()["member"] != "members/a" {
				t.Fatalf("ErrorInfo %v does not name the member", grpcx.ErrorInfo(err))
			}
		})
	}
	if after := snapshot(t, s); after != before {
		t.Fatal("a suspended member changed the registry")
	}

	// Reinstated, its key writes again at once: the registry reads the
	// member's state on every call.
	if _, err := s.c.ReinstateMember(as(s.admin), &memberv1.ReinstateMemberRequest{Name: "members/a"}); err != nil {
		t.Fatal(err)
	}
	if err := writes["UpdateMember of its profile"](); err != nil {
		t.Fatalf("a reinstated member's update: %v", err)
	}
}

// TestAWithdrawnMembersKeysAreRefusedEntirely: withdrawal is terminal, so
// the keys stop identifying anyone: UNAUTHENTICATED, even to read.
func TestAWithdrawnMembersKeysAreRefusedEntirely(t *testing.T) {
	s, keyA := startSecured(t)
	if _, err := s.c.WithdrawMember(as(s.admin), &memberv1.WithdrawMemberRequest{Name: "members/a", Reason: "left"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.GetMember(as(keyA), &memberv1.GetMemberRequest{Name: "members/b"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a withdrawn member's key read: %v, want UNAUTHENTICATED", err)
	}
	if _, err := s.c.AuthenticateApiKey(as(s.service), &memberv1.AuthenticateApiKeyRequest{Key: keyA}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("the other services are told a withdrawn member's key is valid: %v", err)
	}
}
