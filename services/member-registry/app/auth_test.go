package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/auth/authtest"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/member-registry/app"
	"github.com/cqlive/alliance/services/member-registry/internal/rpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

type secured struct {
	cc       *grpc.ClientConn
	c        memberv1.MemberRegistryClient
	admin    string
	service  string
	dir      string
	contactA *memberv1.Contact
}

// as is a call with key ("" for none).
func as(key string) context.Context { return testkit.WithKey(key) }

// startSecured runs a registry with authentication on, and two members,
// A (a merchant with a key) and B (a host), made by the admin.
func startSecured(t *testing.T) (*secured, string) {
	t.Helper()
	dir := t.TempDir()
	admin := auth.NewAdminKey()
	secret := auth.ServiceSecret(auth.RandomSecret(32))
	srv, err := app.New(app.Config{Config: service.Config{DataDir: dir, Security: auth.Security{Admin: auth.NewAdminKeysFor(admin), ServiceSecret: secret}}}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	cc := testkit.Dial(t, testkit.Serve(t, srv))
	s := &secured{cc: cc, c: memberv1.NewMemberRegistryClient(cc), admin: admin, service: secret.Token("sales-reporting"), dir: dir,
		contactA: &memberv1.Contact{Person: "店长", Phone: "023-5555-0001", Email: "a@example.com"}}
	mA := ofKind(memberv1.MemberKind_MEMBER_KIND_MERCHANT, "banan")
	mA.Contact = s.contactA
	if _, err := s.c.CreateMember(as(admin), &memberv1.CreateMemberRequest{MemberId: "a", Member: mA}); err != nil {
		t.Fatal(err)
	}
	mB := host("主播B")
	mB.Contact = &memberv1.Contact{Person: "B本人", Phone: "023-5555-0002"}
	if _, err := s.c.CreateMember(as(admin), &memberv1.CreateMemberRequest{MemberId: "b", Member: mB}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.CreateProduct(as(admin), &memberv1.CreateProductRequest{Parent: "members/a", ProductId: "tea", Product: tea()}); err != nil {
		t.Fatal(err)
	}
	key, err := s.c.CreateApiKey(as(admin), &memberv1.CreateApiKeyRequest{Member: "members/a", ApiKey: &memberv1.ApiKey{DisplayName: "order feed"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, key.Key
}

func TestEveryRPCHasARule(t *testing.T) {
	authtest.Covers(t, rpc.Policy, memberv1.File_alliance_member_v1_member_registry_proto.Services().ByName("MemberRegistry"))
}

// TestEveryRPCRefusesBadKeys calls every RPC of the service, found from its
// descriptor, with no key, a malformed key, a wrong key and a revoked key.
func TestEveryRPCRefusesBadKeys(t *testing.T) {
	s, keyA := startSecured(t)
	revoked, err := s.c.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Member: "members/b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.RevokeApiKey(as(keyA), &memberv1.RevokeApiKeyRequest{Name: revoked.ApiKey.Name}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("member A revoked member B's key: %v", err)
	}
	if _, err := s.c.RevokeApiKey(as(s.admin), &memberv1.RevokeApiKeyRequest{Name: revoked.ApiKey.Name}); err != nil {
		t.Fatal(err)
	}
	staff, err := s.c.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Parent: "alliance",
		ApiKey: &memberv1.ApiKey{DisplayName: "离职员工", Role: memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.RevokeApiKey(as(s.admin), &memberv1.RevokeApiKeyRequest{Name: staff.ApiKey.Name}); err != nil {
		t.Fatal(err)
	}
	bad := testkit.BadKeys(t, keyA)
	bad["a revoked key"] = revoked.Key
	bad["a revoked staff key"] = staff.Key
	sd := memberv1.File_alliance_member_v1_member_registry_proto.Services().ByName("MemberRegistry")
	before := snapshot(t, s)
	testkit.RefusesBadKeys(t, s.cc, sd, bad, nil, "members/")
	if after := snapshot(t, s); after != before {
		t.Fatalf("refused calls changed the registry:\n%s\n---\n%s", before, after)
	}
}

// snapshot renders everything the admin can see.
func snapshot(t *testing.T, s *secured) string {
	t.Helper()
	ms, err := s.c.ListMembers(as(s.admin), &memberv1.ListMembersRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.c.ListProducts(as(s.admin), &memberv1.ListProductsRequest{Parent: "members/-"})
	if err != nil {
		t.Fatal(err)
	}
	return ms.String() + ps.String()
}

func TestAMemberSeesOnlyItsOwnContact(t *testing.T) {
	s, keyA := startSecured(t)
	ctxA := as(keyA)
	own, err := s.c.GetMember(ctxA, &memberv1.GetMemberRequest{Name: "members/a"})
	if err != nil || !proto.Equal(own.Contact, s.contactA) {
		t.Fatalf("A reading itself: contact %v, %v", own.GetContact(), err)
	}
	other, err := s.c.GetMember(ctxA, &memberv1.GetMemberRequest{Name: "members/b"})
	if err != nil || other.Contact != nil || other.DisplayName != "主播B" {
		t.Fatalf("A reading B: %v, %v; want the public directory without contact", other, err)
	}
	batch, err := s.c.BatchGetMembers(ctxA, &memberv1.BatchGetMembersRequest{Names: []string{"members/b", "members/a"}})
	if err != nil || batch.Members[0].Contact != nil || batch.Members[1].Contact == nil {
		t.Fatalf("BatchGet as A: %v, %v", batch, err)
	}
	list, err := s.c.ListMembers(ctxA, &memberv1.ListMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Members {
		if m.Name != "members/a" && m.Contact != nil {
			t.Fatalf("List as A shows %s's contact", m.Name)
		}
	}
	adminView, _ := s.c.GetMember(as(s.admin), &memberv1.GetMemberRequest{Name: "members/b"})
	if adminView.GetContact().GetPerson() != "B本人" {
		t.Fatal("the admin must see contact data")
	}
	serviceView, _ := s.c.GetMember(as(s.service), &memberv1.GetMemberRequest{Name: "members/b"})
	if serviceView.GetContact().GetPerson() != "B本人" {
		t.Fatal("a service of the suite must see contact data")
	}
}

func TestAMemberChangesOnlyItsOwnData(t *testing.T) {
	s, keyA := startSecured(t)
	ctxA := as(keyA)
	denied := map[string]func() error{
		"create a member": func() error {
			return errOf(s.c.CreateMember(ctxA, &memberv1.CreateMemberRequest{Member: host("x")}))
		},
		"update another member": func() error {
			return errOf(s.c.UpdateMember(ctxA, &memberv1.UpdateMemberRequest{Member: &memberv1.Member{Name: "members/b", DisplayName: "x"}}))
		},
		"change its own district": func() error {
			return errOf(s.c.UpdateMember(ctxA, &memberv1.UpdateMemberRequest{Member: &memberv1.Member{Name: "members/a", District: "dazu"}}))
		},
		"suspend another member": func() error {
			return errOf(s.c.SuspendMember(ctxA, &memberv1.SuspendMemberRequest{Name: "members/b"}))
		},
		"reinstate itself": func() error {
			return errOf(s.c.ReinstateMember(ctxA, &memberv1.ReinstateMemberRequest{Name: "members/a"}))
		},
		"add a product under another member": func() error {
			return errOf(s.c.CreateProduct(ctxA, &memberv1.CreateProductRequest{Parent: "members/b", Product: tea()}))
		},
		"issue itself a key": func() error {
			return errOf(s.c.CreateApiKey(ctxA, &memberv1.CreateApiKeyRequest{Member: "members/a"}))
		},
		"list another member's keys": func() error {
			return errOf(s.c.ListApiKeys(ctxA, &memberv1.ListApiKeysRequest{Member: "members/b"}))
		},
		"authenticate keys like a service": func() error {
			return errOf(s.c.AuthenticateApiKey(ctxA, &memberv1.AuthenticateApiKeyRequest{Key: keyA}))
		},
	}
	before := snapshot(t, s)
	for name, call := range denied {
		t.Run(name, func(t *testing.T) {
			if err := call(); status.Code(err) != codes.PermissionDenied {
				t.Fatalf("%v, want PERMISSION_DENIED", err)
			}
		})
	}
	if after := snapshot(t, s); after != before {
		t.Fatal("a denied call changed the registry")
	}
	if _, err := s.c.UpdateMember(ctxA, &memberv1.UpdateMemberRequest{
		Member: &memberv1.Member{Name: "members/a", DisplayName: "新店名"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}); err != nil {
		t.Fatalf("A updating its own profile: %v", err)
	}
	if _, err := s.c.UpdateProduct(ctxA, &memberv1.UpdateProductRequest{
		Product: &memberv1.Product{Name: "members/a/products/tea", DisplayName: "新茶"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
	}); err != nil {
		t.Fatalf("A updating its own product: %v", err)
	}
	keys, err := s.c.ListApiKeys(ctxA, &memberv1.ListApiKeysRequest{Member: "members/a"})
	if err != nil || len(keys.ApiKeys) != 1 {
		t.Fatalf("A listing its own keys: %v %v", keys, err)
	}
}

func TestAuthenticateApiKeyForServices(t *testing.T) {
	s, keyA := startSecured(t)
	got, err := s.c.AuthenticateApiKey(as(s.service), &memberv1.AuthenticateApiKeyRequest{Key: keyA})
	if err != nil || got.Member != "members/a" || got.Kind != memberv1.MemberKind_MEMBER_KIND_MERCHANT || got.District != "banan" {
		t.Fatalf("AuthenticateApiKey = %v, %v", got, err)
	}
	id, _, _ := auth.ParseMemberKey(keyA)
	_, err = s.c.AuthenticateApiKey(as(s.service), &memberv1.AuthenticateApiKeyRequest{Key: "mk_" + id + "_wrong"})
	if status.Code(err) != codes.Unauthenticated || grpcx.Reason(err) != "INVALID_API_KEY" {
		t.Fatalf("a wrong secret: %v", err)
	}
	// A key id that does not exist is told apart, for the services' caches
	// only: their callers, like the registry's own, get one answer.
	_, err = s.c.AuthenticateApiKey(as(s.service), &memberv1.AuthenticateApiKeyRequest{Key: "mk_zzzzzzzzzzzzzzzz_wrong"})
	if status.Code(err) != codes.Unauthenticated || grpcx.Reason(err) != "API_KEY_NOT_FOUND" {
		t.Fatalf("an unknown key id: %v", err)
	}
	unknown := status.Convert(func() error {
		return errOf(s.c.GetMember(as("mk_zzzzzzzzzzzzzzzz_wrong"), &memberv1.GetMemberRequest{Name: "members/a"}))
	}())
	wrong := status.Convert(func() error {
		return errOf(s.c.GetMember(as("mk_"+id+"_wrong"), &memberv1.GetMemberRequest{Name: "members/a"}))
	}())
	if !proto.Equal(unknown.Proto(), wrong.Proto()) {
		t.Fatalf("a call with an unknown key id (%v) is answered unlike one with a wrong secret (%v)", unknown.Proto(), wrong.Proto())
	}
	if _, err := s.c.RevokeApiKey(as(keyA), &memberv1.RevokeApiKeyRequest{Name: "members/a/apiKeys/" + id}); err != nil {
		t.Fatalf("A revoking its own key: %v", err)
	}
	if _, err := s.c.GetMember(as(keyA), &memberv1.GetMemberRequest{Name: "members/a"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a revoked key still works in the registry: %v", err)
	}
}

func TestRawKeyIsNotInTheFile(t *testing.T) {
	s, keyA := startSecured(t)
	_, secret, _ := auth.ParseMemberKey(keyA)
	raw, err := os.ReadFile(filepath.Join(s.dir, app.Spec.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(keyA)) || bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the raw API key is stored in member.db")
	}
	// The store's records hold the hash as its bytes.
	if !bytes.Contains(raw, auth.Hash(secret)) {
		t.Fatal("the key's hash is not in member.db either: the test looks in the wrong place")
	}
}
