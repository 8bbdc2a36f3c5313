package servicetest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	"github.com/cqlive/alliance/services/suite/servicetest"
	"google.golang.org/grpc/status"
)

// TestMemberfakeAnswersAsTheRegistry makes the same calls to the real
// member registry and to kit/testkit/memberfake, which the other services'
// tests use in its place, and wants the same answers: the fields those
// services read, and for each refusal the code, reason and ErrorInfo
// metadata they act on. A change of the registry's contract fails here
// until the fake follows it.
func TestMemberfakeAnswersAsTheRegistry(t *testing.T) {
	ctx := context.Background()
	real := memberv1.NewMemberRegistryClient(testkit.Dial(t, servicetest.Registry(t, memberapp.Config{})))
	fake := memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, memberfake.New().Server(grpcx.ServerOptions{}))))

	// answer is what a caller of the registry can tell of an answer.
	type answer struct{ code, reason, metadata, fields string }
	of := func(fields func() string, err error) answer {
		if err != nil {
			ei := grpcx.ErrorInfo(err)
			return answer{code: status.Code(err).String(), reason: ei.GetReason(), metadata: strings.TrimSpace(ei.GetMetadata()["name"])}
		}
		return answer{code: "OK", fields: fields()}
	}
	steps := []struct {
		name string
		call func(c memberv1.MemberRegistryClient, keys map[string]string) answer
	}{
		{"create a base", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			m, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "base-x", Member: &memberv1.Member{
				Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "x", District: "jiulongpo", Studios: []*memberv1.Studio{{StudioId: "s1", DisplayName: "s1"}}}})
			return of(func() string {
				return m.GetName() + " " + m.GetState().String() + " " + m.GetStudios()[0].GetStudioId()
			}, err)
		}},
		{"create a host of an agency", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			if _, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "mcn", Member: &memberv1.Member{
				Kind: memberv1.MemberKind_MEMBER_KIND_AGENCY, DisplayName: "mcn", District: "yuzhong"}}); err != nil {
				return of(nil, err)
			}
			m, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "host-a", Member: &memberv1.Member{
				Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "a", District: "banan", Agency: "members/mcn"}})
			return of(func() string { return m.GetName() + " " + m.GetAgency() + " " + m.GetDistrict() }, err)
		}},
		{"the same id again", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			_, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "base-x", Member: &memberv1.Member{
				Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "x", District: "jiulongpo"}})
			return of(nil, err)
		}},
		{"a merchant's product", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			if _, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: "farm", Member: &memberv1.Member{
				Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "farm", District: "banan"}}); err != nil {
				return of(nil, err)
			}
			p, err := c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/farm", ProductId: "tea", Product: &memberv1.Product{
				DisplayName: "tea", Category: "tea", OriginDistrict: "banan", ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 100}}})
			return of(func() string {
				return p.GetName() + " " + p.GetState().String() + " " + p.GetCategory() + " " + p.GetOriginDistrict()
			}, err)
		}},
		{"BatchGetMembers in the order asked", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			r, err := c.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: []string{"members/host-a", "members/base-x"}})
			return of(func() string { return r.GetMembers()[0].GetName() + " " + r.GetMembers()[1].GetKind().String() }, err)
		}},
		{"BatchGetMembers with an unknown name", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			_, err := c.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: []string{"members/base-x", "members/nobody"}})
			return of(nil, err)
		}},
		{"GetMember of an unknown name", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			_, err := c.GetMember(ctx, &memberv1.GetMemberRequest{Name: "members/nobody"})
			return of(nil, err)
		}},
		{"GetProduct of an unknown product", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			_, err := c.GetProduct(ctx, &memberv1.GetProductRequest{Name: "members/farm/products/none"})
			return of(nil, err)
		}},
		{"a member key authenticates", func(c memberv1.MemberRegistryClient, keys map[string]string) answer {
			k, err := c.CreateApiKey(ctx, &memberv1.CreateApiKeyRequest{Parent: "members/host-a"})
			if err != nil {
				return of(nil, err)
			}
			keys["host-a"], keys["host-a name"] = k.GetKey(), k.GetApiKey().GetName()
			r, err := c.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: k.GetKey()})
			return of(func() string {
				return r.GetMember() + " " + r.GetKind().String() + " " + r.GetDistrict() + " " + r.GetState().String() + " " +
					fmt.Sprint(strings.HasPrefix(r.GetApiKey(), "members/host-a/apiKeys/"))
			}, err)
		}},
		{"a wrong secret", func(c memberv1.MemberRegistryClient, keys map[string]string) answer {
			_, err := c.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: keys["host-a"][:len(keys["host-a"])-4] + "aaaa"})
			return of(nil, err)
		}},
		{"an unknown key id", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			_, err := c.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: "mk_zzzzzzzzzzzzzzzz_" + strings.Repeat("a", 52)})
			return of(nil, err)
		}},
		{"not a member key", func(c memberv1.MemberRegistryClient, _ map[string]string) answer {
			_, err := c.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: "not-a-key"})
			return of(nil, err)
		}},
		{"a suspended member's key authenticates, SUSPENDED", func(c memberv1.MemberRegistryClient, keys map[string]string) answer {
			if _, err := c.SuspendMember(ctx, &memberv1.SuspendMemberRequest{Name: "members/host-a", Reason: "test"}); err != nil {
				return of(nil, err)
			}
			r, err := c.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: keys["host-a"]})
			return of(func() string { return r.GetMember() + " " + r.GetState().String() }, err)
		}},
		{"a revoked key", func(c memberv1.MemberRegistryClient, keys map[string]string) answer {
			k, err := c.RevokeApiKey(ctx, &memberv1.RevokeApiKeyRequest{Name: keys["host-a name"]})
			if err != nil || k.GetState() != memberv1.ApiKeyState_API_KEY_STATE_REVOKED {
				return of(func() string { return "revoke answered " + k.GetState().String() }, err)
			}
			_, err = c.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: keys["host-a"]})
			return of(nil, err)
		}},
	}
	realKeys, fakeKeys := map[string]string{}, map[string]string{}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			want, got := s.call(real, realKeys), s.call(fake, fakeKeys)
			if got != want {
				t.Fatalf("memberfake answers %+v, the registry %+v", got, want)
			}
		})
	}
}
